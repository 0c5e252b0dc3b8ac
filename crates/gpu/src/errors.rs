//! Typed errors of the GPU crate. GPU failures say which stage failed, so the
//! CLI and the browser can show one line and decide whether to fall back.

/// Errors of the GPU inference crate.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Model or input problem reported by the core (bad shapes, NaN features, …).
    #[error(transparent)]
    Core(#[from] taxdistill_core::Error),
    /// The adapter refused to give us a device.
    #[error("requesting a GPU device from '{adapter}': {reason}")]
    RequestDevice { adapter: String, reason: String },
    /// The device was lost (driver reset, `destroy()`, browser tab backgrounded…).
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// A validation or out-of-memory error raised by wgpu while running a stage.
    #[error("GPU error while {stage}: {reason}")]
    Gpu { stage: &'static str, reason: String },
    /// The model does not fit the device's buffer limits.
    #[error("model does not fit the GPU: {0}")]
    TooLarge(String),
    /// Another inference is running on the same engine (browser: concurrent calls).
    #[error("the GPU engine is busy with another batch")]
    Busy,
}

/// Result of the GPU crate.
pub type Result<T> = std::result::Result<T, Error>;
