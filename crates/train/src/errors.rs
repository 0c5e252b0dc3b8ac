//! Typed errors of the training crate.

/// Errors of student training.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The inputs cannot train a model (too few leaves, no labelled contig…).
    #[error("{0}")]
    NotTrainable(String),
    /// Inputs disagree with each other (row counts, leaf sets, feature widths).
    #[error("{0}")]
    Mismatch(String),
    /// Invalid configuration value.
    #[error("invalid setting: {0}")]
    Config(String),
    /// Training diverged (non-finite loss).
    #[error("training diverged at epoch {epoch}: loss is {loss}")]
    Diverged { epoch: usize, loss: f32 },
    /// Error from the core crate (model file, tree).
    #[error(transparent)]
    Core(#[from] taxdistill_core::Error),
    /// Tensor error from candle.
    #[error("tensor: {0}")]
    Candle(String),
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Candle(e.to_string())
    }
}
