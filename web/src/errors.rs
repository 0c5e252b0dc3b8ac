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
    /// An abundance table that does not fit the FASTA (contigs missing
    /// from it, a sample with no depth on the contigs that count).
    #[error("{name}: does not fit the contigs: {reason}")]
    AbundanceMismatch { name: String, reason: String },
    /// An abundance table with another number of samples than the model
    /// was trained with: the model was made for other samples.
    #[error("{name}: {got} sample column(s) ({samples}), but the model (model.json) was trained with {want}: it was made for other samples; pick the abundance table it was trained with, or train a model on these samples")]
    ModelSamples {
        name: String,
        got: usize,
        want: usize,
        samples: String,
    },
    /// A gzip file that does not decompress to its end (a damaged block, a
    /// checksum that does not match, a truncated end).
    #[error("{name}: damaged gzip file ({reason}): compress it again, or give it uncompressed")]
    DamagedGzip { name: String, reason: String },
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

/// How the worker died: a wasm trap or an uncaught JavaScript error, as
/// `worker.js` reports it, with the panic message posted before it (if the
/// trap was a Rust panic) and the worker's memory at that moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Crash {
    /// The JavaScript error's name (`RuntimeError`, `RangeError`, …).
    pub name: String,
    /// Its message (`unreachable`, `Array buffer allocation failed`, …).
    pub message: String,
    /// What the Rust code panicked with, when it did.
    pub panic: Option<String>,
    /// The allocation the worker's heap could not serve (bytes; 0: none).
    pub refused_bytes: f64,
    /// The worker's wasm memory (bytes).
    pub memory_bytes: f64,
    /// The cap on the worker's heap the page set (`?max_memory_mb=N`).
    pub cap_mb: Option<f64>,
}

impl Crash {
    /// Whether the worker ran out of memory: its heap refused a request,
    /// the browser refused an array buffer, or the module aborted without
    /// a panic (what a failed allocation does in wasm32).
    pub fn out_of_memory(&self) -> bool {
        let m = self.message.to_lowercase();
        self.refused_bytes > 0.0
            || m.contains("out of memory")
            || m.contains("allocation failed")
            || (self.panic.is_none() && self.name == "RuntimeError" && m.contains("unreachable"))
    }
}

/// What the worker was doing at `stage` (the last progress message), in words.
fn doing(stage: &str) -> String {
    match stage {
        "" => "starting".into(),
        "parsing" | "reading contigs" => "reading the contigs".into(),
        "features" => "computing the features".into(),
        "taxonomy" => "reading the taxonomy".into(),
        "inference" => "running the student".into(),
        "teacher" => "running the teacher".into(),
        "training" => "training the student".into(),
        other => other.to_string(),
    }
}

fn size(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else if bytes >= 1e6 {
        format!("{:.0} MB", bytes / 1e6)
    } else {
        format!("{:.0} kB", (bytes / 1e3).ceil())
    }
}

/// The status line for a crashed worker (the page adds `error: `), naming
/// the file the run was reading (`file`) and what it was doing (`stage`).
pub fn crash_line(c: &Crash, stage: &str, file: &str) -> String {
    let file = if file.is_empty() { "the run" } else { file };
    let restarted = "the worker was stopped and the next run starts a fresh one";
    if c.out_of_memory() {
        let refused = if c.refused_bytes > 0.0 {
            format!(", a request for {} more refused", size(c.refused_bytes))
        } else {
            String::new()
        };
        let cap = c
            .cap_mb
            .map(|mb| format!(", the heap capped at {mb} MB by max_memory_mb"))
            .unwrap_or_default();
        format!(
            "{file}: ran out of memory in the browser tab while {} ({} of wasm memory{refused}{cap}); {restarted}: try a smaller file, or the CLI (taxdistill annotate / run), which has the machine's memory",
            doing(stage),
            size(c.memory_bytes),
        )
    } else if let Some(p) = &c.panic {
        format!(
            "{file}: the worker crashed while {}: {p}; {restarted} (this is a bug: please report it)",
            doing(stage)
        )
    } else {
        format!(
            "{file}: the worker crashed while {}: {}: {}; {restarted}",
            doing(stage),
            c.name,
            c.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_allocation_is_an_out_of_memory_line_naming_the_file_and_stage() {
        let c = Crash {
            name: "RuntimeError".into(),
            message: "unreachable".into(),
            panic: None,
            refused_bytes: 4.2e6,
            memory_bytes: 52.4e6,
            cap_mb: None,
        };
        assert!(c.out_of_memory());
        assert_eq!(
            crash_line(&c, "parsing", "contigs.fna"),
            "contigs.fna: ran out of memory in the browser tab while reading the contigs (52 MB of wasm memory, a request for 4 MB more refused); the worker was stopped and the next run starts a fresh one: try a smaller file, or the CLI (taxdistill annotate / run), which has the machine's memory"
        );
    }

    #[test]
    fn an_abort_without_a_panic_or_a_refused_buffer_is_out_of_memory() {
        let abort = Crash {
            name: "RuntimeError".into(),
            message: "unreachable".into(),
            ..Crash::default()
        };
        assert!(abort.out_of_memory());
        let buffer = Crash {
            name: "RangeError".into(),
            message: "Array buffer allocation failed".into(),
            ..Crash::default()
        };
        assert!(buffer.out_of_memory());
        let capped = Crash {
            refused_bytes: 65_536.0,
            memory_bytes: 9.4e6,
            cap_mb: Some(8.0),
            ..abort.clone()
        };
        assert!(crash_line(&capped, "parsing", "c.fna").contains(
            "(9 MB of wasm memory, a request for 66 kB more refused, the heap capped at 8 MB by max_memory_mb)"
        ));
        assert!(crash_line(&buffer, "", "")
            .starts_with("the run: ran out of memory in the browser tab while starting"));
    }

    #[test]
    fn a_panic_is_a_crash_with_its_message_not_out_of_memory() {
        let c = Crash {
            name: "RuntimeError".into(),
            message: "unreachable".into(),
            panic: Some("panicked at src/x.rs:1:1: index out of bounds".into()),
            ..Crash::default()
        };
        assert!(!c.out_of_memory());
        let line = crash_line(&c, "training", "c.fna");
        assert!(
            line.starts_with("c.fna: the worker crashed while training the student: panicked at"),
            "{line}"
        );
        assert!(line.contains("fresh one"), "{line}");
        let other = Crash {
            name: "RuntimeError".into(),
            message: "memory access out of bounds".into(),
            ..Crash::default()
        };
        assert!(!other.out_of_memory());
        assert!(crash_line(&other, "inference", "c.fna")
            .contains("running the student: RuntimeError: memory access out of bounds"));
    }

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
