//! Typed errors of the pipeline crate.

/// Errors of the pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No contig long enough to train on carries a label.
    #[error(
        "{source_name}: no contig of at least {min_length} bp has a label; nothing to train on"
    )]
    NoTrainingLabels {
        source_name: String,
        min_length: usize,
    },
    /// The labels name fewer than two taxa: nothing to tell apart.
    #[error("{source_name}: the labels give a label tree with {n_leaves} leaf; at least two distinct taxa are needed to train")]
    TooFewLeaves {
        source_name: String,
        n_leaves: usize,
    },
    /// The features have another number of abundance samples than the model.
    #[error("{model}: the model was trained with {expected} abundance sample(s) but the input has {found}{}",
        if *expected > 0 && *found == 0 { " (pass --abundance)" } else { "" })]
    SampleCountMismatch {
        model: String,
        expected: usize,
        found: usize,
    },
    /// The features have another number of columns than the model.
    #[error("{model}: the model expects {expected} feature columns but the input has {found}")]
    FeatureCountMismatch {
        model: String,
        expected: usize,
        found: usize,
    },
    /// An embedding matrix does not fit its list of contigs.
    #[error(
        "{source_name}: embeddings have shape {shape:?} but {names_source} lists {n_names} contigs"
    )]
    EmbeddingShape {
        source_name: String,
        shape: Vec<usize>,
        names_source: String,
        n_names: usize,
    },
    /// No contig of the FASTA has an embedding.
    #[error("{names_source}: no contig of the FASTA has an embedding (absent, or a zero row for a contig without A/C/G/T)")]
    NoEmbeddings { names_source: String },
    /// Reading or checking one input failed; `what` says which (`reading contigs.fna`).
    #[error("{what}")]
    Input {
        what: String,
        #[source]
        source: taxdistill_core::Error,
    },
    /// The teacher failed; `teacher` names it (`graph teacher`, `teacher heads`).
    #[error("{teacher}")]
    Teacher {
        teacher: &'static str,
        #[source]
        source: taxdistill_teacher::Error,
    },
    #[error(transparent)]
    Core(#[from] taxdistill_core::Error),
    #[error(transparent)]
    Train(#[from] taxdistill_train::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Result of the pipeline crate.
pub type Result<T> = std::result::Result<T, Error>;
