//! Typed errors of the core. Every variant says what went wrong and where
//! (file/source name, record or line), so the CLI and the browser can show it
//! as one line.

/// Errors of the core crate.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A FASTA record (or the stream around it) is malformed.
    #[error("{source_name}: record {record}: {reason}")]
    BadRecord {
        source_name: String,
        record: usize,
        reason: String,
    },
    /// The input holds no record at all.
    #[error("{source_name}: empty file: no FASTA records")]
    EmptyFile { source_name: String },
    /// Two records carry the same contig id.
    #[error("{source_name}: record {record}: duplicate contig id '{id}'")]
    DuplicateId {
        source_name: String,
        record: usize,
        id: String,
    },
    /// A line of a tabular file (labels, abundance, taxdump, truth) is malformed.
    #[error("{source_name}: line {line}: {reason}")]
    BadLine {
        source_name: String,
        line: usize,
        reason: String,
    },
    /// A value names a rank we do not know.
    #[error("{source_name}: line {line}: unknown rank '{value}'")]
    UnknownRank {
        source_name: String,
        line: usize,
        value: String,
    },
    /// Inputs disagree with each other (contigs missing from abundance, sample counts, leaf sets…).
    #[error("{0}")]
    Mismatch(String),
    /// A model or soft-label file is malformed or inconsistent.
    #[error("{what}: {reason}")]
    BadModel { what: String, reason: String },
    /// A label format carries taxids but no taxdump was given.
    #[error("{source_name}: {format} labels carry taxids: a taxdump is needed (pass --taxonomy DIR with nodes.dmp, names.dmp)")]
    TaxdumpRequired { source_name: String, format: String },
    /// Label format could not be detected.
    #[error("{source_name}: cannot detect the label format ({reason}); pass --format")]
    UnknownFormat { source_name: String, reason: String },
    /// Invalid argument to a core function.
    #[error("{0}")]
    Invalid(String),
    /// I/O error while reading or writing, with the source name and the
    /// `std::io` kind (so callers can tell, e.g., a missing file or a
    /// broken pipe from bad data).
    #[error("{source_name}: {reason}")]
    Io {
        source_name: String,
        reason: String,
        kind: std::io::ErrorKind,
    },
    /// Tensor error from candle.
    #[error("tensor: {0}")]
    Candle(String),
    /// JSON (de)serialisation error.
    #[error("json: {0}")]
    Json(String),
    /// safetensors error.
    #[error("safetensors: {0}")]
    SafeTensors(String),
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Candle(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

impl From<safetensors::SafeTensorError> for Error {
    fn from(e: safetensors::SafeTensorError) -> Self {
        Error::SafeTensors(e.to_string())
    }
}

/// Result of the core crate.
pub type Result<T> = std::result::Result<T, Error>;
