//! Typed errors of the simulator: only a bad configuration or a failing
//! writer can stop it.

/// Errors of the simulator.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range.
    #[error("invalid simulator setting {name} = {value}: {reason}")]
    BadConfig {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// An unknown label profile name.
    #[error("unknown label profile '{0}' (expected kraken2 or mmseqs2)")]
    UnknownProfile(String),
    /// An unknown label model name.
    #[error("unknown label model '{0}' (expected realistic or independent)")]
    UnknownLabelModel(String),
    /// Writing an output failed.
    #[error("writing {what}: {reason}")]
    Write { what: &'static str, reason: String },
}

/// Result of the simulator.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn write_err(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::Write {
        what,
        reason: e.to_string(),
    }
}
