//! The web app's errors. Each is shown to the user as one line (`error: …`
//! in the status), naming the file, the record or line and the reason where
//! there is one; the worker hands it to the page as that line.

/// An error of the web app.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file the core cannot read or that does not fit; the core's message
    /// names the file, the line or record and the reason.
    #[error(transparent)]
    Core(taxdistill_core::Error),
    /// The pipeline failed (labels that give nothing to train on, a failing
    /// teacher or training run): its message and causes, on one line.
    #[error("{}", one_line(.0))]
    Pipeline(taxdistill_pipeline::Error),
    /// Taxid-only labels (Kraken2, Centrifuge, Metabuli) without a taxonomy.
    #[error("{source_name}: {format} labels name taxa by taxid only: add the NCBI taxonomy they were made with (nodes.dmp and names.dmp) in the Taxonomy input")]
    TaxonomyNeeded { source_name: String, format: String },
    /// A file the browser could not read.
    #[error("{name}: cannot read ({reason})")]
    Read { name: String, reason: String },
    /// An input is missing, or the inputs do not fit together (in words).
    #[error("{0}")]
    Inputs(String),
    /// A run option (URL query or the Options box) that does not parse or
    /// is out of range.
    #[error("{key}={value}: {reason}")]
    Setting {
        key: String,
        value: String,
        reason: &'static str,
    },
    /// The student could not run (neither on WebGPU nor on the CPU).
    #[error("the student: {0}")]
    Inference(String),
    /// A browser API failed (worker, fetch, download, message).
    #[error("{0}")]
    Browser(String),
}

impl From<taxdistill_core::Error> for Error {
    fn from(e: taxdistill_core::Error) -> Self {
        match e {
            // the core's message speaks of the CLI's --taxonomy flag
            taxdistill_core::Error::TaxdumpRequired {
                source_name,
                format,
            } => Error::TaxonomyNeeded {
                source_name,
                format: format.to_string(),
            },
            e => Error::Core(e),
        }
    }
}

impl From<taxdistill_pipeline::Error> for Error {
    fn from(e: taxdistill_pipeline::Error) -> Self {
        match e {
            // the core's message names the file, the record and the reason
            taxdistill_pipeline::Error::Input { source, .. } => source.into(),
            taxdistill_pipeline::Error::Core(source) => source.into(),
            e => Error::Pipeline(e),
        }
    }
}

/// An error and its causes on one line (a cause already in the message is
/// not repeated).
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxid_labels_without_a_taxonomy_point_at_the_taxonomy_input() {
        let core = taxdistill_core::labels::read_labels(
            &b"C\tc1\t562\t100\t562:66\n"[..],
            "k.out",
            Some(taxdistill_core::labels::LabelFormat::Kraken2),
            None,
        )
        .unwrap_err();
        let e: Error = core.into();
        assert!(matches!(e, Error::TaxonomyNeeded { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("k.out: ") && text.contains("Taxonomy input"),
            "{text}"
        );
    }

    #[test]
    fn pipeline_input_errors_are_the_cores_message() {
        let e =
            taxdistill_pipeline::load::stream_contigs(&b"@r\nAC\n+\nII\n"[..], "r.fna", |_, _| {})
                .err()
                .unwrap();
        let e: Error = e.into();
        assert!(matches!(e, Error::Core(_)));
        assert!(e.to_string().starts_with("r.fna"), "{e}");
    }
}
