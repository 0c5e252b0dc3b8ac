//! Typed errors of the bench library: each variant says what went wrong and
//! where (the plan and its scenario or line, the flag and its value, the
//! file, the program, the chart), so the binary can show it as one line.

/// Errors of the bench library.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A plan (a file or a preset) that does not parse or asks for
    /// something impossible; `plan` names it, `reason` says where in it.
    #[error("{plan}: {reason}")]
    BadPlan { plan: String, reason: String },
    /// A command-line value that does not parse (`--scenarios`, `--grid`, `--train`).
    #[error("{flag} '{value}': {reason}")]
    BadValue {
        flag: String,
        value: String,
        reason: String,
    },
    /// A file or directory that cannot be read or written.
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    /// A subprocess that cannot be started or waited for.
    #[error("{program}: {reason}")]
    Subprocess { program: String, reason: String },
    /// A chart that plotters could not draw.
    #[error("plot '{title}': {reason}")]
    Plot { title: String, reason: String },
    /// JSON (de)serialisation of records and results.
    #[error("json: {0}")]
    Json(String),
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

/// Results of the bench library.
pub type Result<T> = std::result::Result<T, Error>;
