//! The real `vamb taxometer`, run as a subprocess on the run's contigs,
//! abundances and labels (contigs ≥ min length); its wall time and peak
//! memory (the child's `ru_maxrss`) are the method's cost.

use super::Settings;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use taxdistill::cmd::convert;
use taxdistill::util;
use taxdistill_bench::evaluate::Predictions;
use taxdistill_bench::measure::{subprocess, StepRecord};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::taxonomy::Lineage;

/// Writes vamb's inputs (labels of the contigs ≥ min length as Taxometer
/// TSV, abundances as `contigname\t<sample>…`), runs `vamb taxometer` and
/// reads its `results_taxometer.tsv` back, aligned to the feature rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_vamb(
    exe: &Path,
    contigs: &Path,
    abundance: &Path,
    features: &FeatureMatrix,
    lineages: &[Lineage],
    seed: u64,
    settings: &Settings,
    work: &Path,
) -> Result<(Predictions, StepRecord)> {
    let min_length = settings.train.min_length;
    let dir = work.join("vamb_inputs");
    std::fs::create_dir_all(&dir)?;
    let tax = dir.join("taxonomy.tsv");
    util::write_atomic(&tax, |w| {
        writeln!(w, "contigs\tpredictions")?;
        for (i, id) in features.ids.iter().enumerate() {
            if features.lengths[i] >= min_length {
                writeln!(w, "{id}\t{}", lineages[i].to_plain_string())?;
            }
        }
        Ok(())
    })?;
    let ab = taxdistill_core::abundance::read_abundance(
        util::open_text(abundance)?,
        &util::name(abundance),
    )
    .with_context(|| format!("reading abundances from {}", abundance.display()))?;
    let values = ab.aligned_to(&features.ids)?;
    let s = ab.samples.len();
    let ab_path = dir.join("abundance.tsv");
    util::write_atomic(&ab_path, |w| {
        write!(w, "contigname")?;
        for name in &ab.samples {
            write!(w, "\t{name}")?;
        }
        writeln!(w)?;
        for (i, id) in features.ids.iter().enumerate() {
            write!(w, "{id}")?;
            for v in &values[i * s..(i + 1) * s] {
                write!(w, "\t{v}")?;
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    let out = work.join("vamb");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    let threads = settings.threads.max(1).to_string();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("taxometer")
        .arg("--outdir")
        .arg(&out)
        .arg("--fasta")
        .arg(contigs)
        .arg("--abundance_tsv")
        .arg(&ab_path)
        .arg("--taxonomy")
        .arg(&tax)
        .args(["-p", &threads, "--seed", &seed.to_string(), "-m"])
        .arg(min_length.to_string())
        .env("OMP_NUM_THREADS", &threads)
        .env("MKL_NUM_THREADS", &threads);
    let log = work.join("vamb.log");
    let (status, st) = subprocess("vamb", &mut cmd, &log)?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        bail!(
            "{} taxometer exited with {status}; last lines of {}: {}",
            exe.display(),
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    let res = out.join("results_taxometer.tsv");
    let (labels, scores) = convert::load_labels(&res, Some("taxometer"), None)
        .with_context(|| format!("reading vamb's {}", res.display()))?;
    let by_id: HashMap<&str, &Lineage> = labels
        .entries
        .iter()
        .map(|(id, l)| (id.as_str(), l))
        .collect();
    let lineages_v: Vec<Lineage> = features
        .ids
        .iter()
        .map(|id| {
            by_id
                .get(id.as_str())
                .map_or_else(Lineage::unclassified, |l| (*l).clone())
        })
        .collect();
    let scores_v: Vec<Vec<f32>> = features
        .ids
        .iter()
        .zip(&lineages_v)
        .map(|(id, l)| {
            scores
                .get(id)
                .filter(|s| s.len() == l.depth())
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let has_scores = scores_v
        .iter()
        .zip(&lineages_v)
        .any(|(s, l)| l.depth() > 0 && !s.is_empty());
    Ok((
        Predictions {
            lineages: lineages_v,
            scores: has_scores.then_some(scores_v),
        },
        st,
    ))
}

/// Finds the `vamb` executable: `--vamb PATH`, else `vamb` on `PATH`.
pub fn find_vamb(explicit: Option<&Path>) -> std::result::Result<PathBuf, String> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("--vamb {}: no such file", p.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("vamb"))
        .find(|p| p.is_file())
        .ok_or_else(|| "vamb is not installed (not on PATH; pass --vamb PATH)".to_string())
}
