//! Typed errors of the teacher crate.

/// Errors of the teacher crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model directory file is missing or malformed.
    #[error("{path}: {reason}")]
    BadModelFile { path: String, reason: String },
    /// Inputs disagree (labels vs contigs, leaf sets, …).
    #[error("{0}")]
    Mismatch(String),
    /// Invalid argument.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Core(#[from] taxdistill_core::Error),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result of the teacher crate.
pub type Result<T> = std::result::Result<T, Error>;
