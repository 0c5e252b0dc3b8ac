//! What `run` tells the user on stderr: how many labels are trusted above
//! the genus only, which student it kept and why, the open-set rule's gates,
//! and the closing counts and summary table.

use std::path::Path;
use std::time::Instant;
use taxdistill_pipeline::load::Loaded;
use taxdistill_pipeline::run::RunOutput;

/// Tells how many labels rest on less than `min_support` of their contig's
/// k-mers (and so are trusted above the genus only), if any do.
pub fn report_weak(n_weak: usize, min_support: f32) {
    if n_weak > 0 {
        eprintln!(
            "{} label(s) rest on less than {:.1} % of their contig's k-mers: trusted above the genus only",
            n_weak,
            min_support * 100.0
        );
    }
}

/// Tells which student was kept and why, and the open-set rule's gates.
pub fn report_choice(out: &RunOutput) {
    if let Some(choice) = &out.students.choice {
        for c in &choice.candidates {
            eprintln!(
                "held-out F1 against the labels (mean over ranks), {}: {}",
                c.candidate,
                c.mean.map_or("-".to_string(), |v| format!("{v:.4}"))
            );
        }
        eprintln!("keeping the {}", choice.kept().candidate);
    }
    if let Some(gates) = &out.gates {
        let gate = |g: &taxdistill_teacher::novel::RankGate| {
            g.threshold.map_or("-".into(), |t| format!("{t:.2}"))
        };
        eprintln!(
            "open set: where the neighbourhood looks novel, a rank is named when the heads' probability reaches {} (domain … species; - never)",
            gates.iter().map(gate).collect::<Vec<_>>().join(" "),
        );
    }
}

/// The closing lines of `run`: how many contigs were labelled in the input
/// and in the output and how the labels changed, the summary `table` (TSV,
/// printed with spaces) and where the outputs are (`dir`).
pub fn report_summary(
    loaded: &Loaded,
    out: &RunOutput,
    table: &str,
    min_length: usize,
    t0: Instant,
    dir: &Path,
) {
    let lineages = &loaded.labels.lineages;
    let n_labelled = lineages.iter().filter(|l| l.depth() > 0).count();
    let n_annot = out
        .written
        .iter()
        .filter(|c| c.prediction.lineage.depth() > 0)
        .count();
    let s = &out.summary;
    eprintln!(
        "{} contigs: {} labelled in the input, {} labelled in the output; {} deepened, {} newly labelled (unclassified in the input), {} changed, {} left unassigned at some rank as novel, {} kept their input label (shorter than {} bp); {:.1} s",
        loaded.features.n_rows(),
        n_labelled,
        n_annot,
        s.deepened,
        s.newly_labelled,
        s.changed,
        s.left_novel,
        s.kept_input,
        min_length,
        t0.elapsed().as_secs_f64()
    );
    eprint!("{}", table.replace('\t', "  "));
    eprintln!("outputs in {}", dir.display());
}
