//! Progress of the pipeline's long stages, reported to a [`Progress`]
//! implementation: the CLI draws progress bars from it, the browser posts
//! messages, tests pass [`Silent`].

/// A stage of the pipeline that reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Parsing the FASTA (length unknown).
    ReadContigs,
    /// Composition and abundance features (length unknown).
    Features,
    /// The teacher's soft labels (length unknown).
    Teacher,
    /// Training a student: positions are epochs.
    Training,
    /// The student's forward pass: positions are contigs.
    Annotating,
}

impl Stage {
    /// A short name for a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Stage::ReadContigs => "reading contigs",
            Stage::Features => "features",
            Stage::Teacher => "teacher",
            Stage::Training => "training",
            Stage::Annotating => "annotating",
        }
    }
}

/// Receives the pipeline's progress. Every method has a default that does
/// nothing, so an implementation overrides only what it shows.
pub trait Progress {
    /// `stage` starts; `len` is its number of steps when known (epochs,
    /// contigs), `None` for work of unknown length.
    fn start(&self, stage: Stage, len: Option<u64>) {
        let _ = (stage, len);
    }
    /// `pos` of `len` steps of `stage` are done (`len` may change as the
    /// stage learns more, e.g. a training run's epoch budget).
    fn update(&self, stage: Stage, pos: u64, len: u64) {
        let _ = (stage, pos, len);
    }
    /// `stage` is done.
    fn finish(&self, stage: Stage) {
        let _ = stage;
    }
    /// A monotonic clock in seconds, for the timings recorded in a model's
    /// provenance; `None` (the default) where there is none, and those
    /// timings are recorded as `null`. The pipeline reads no clock itself:
    /// `std::time::Instant` panics on `wasm32-unknown-unknown`.
    fn now(&self) -> Option<f64> {
        None
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
