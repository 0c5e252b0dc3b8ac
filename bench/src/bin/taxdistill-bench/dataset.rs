//! The files of a dataset with truth (`--dataset DIR`).

use crate::args::Args;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Input files of a dataset with truth.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetFiles {
    pub contigs: PathBuf,
    pub abundance: Option<PathBuf>,
    pub labels: PathBuf,
    pub labels_format: Option<String>,
    pub truth: PathBuf,
    pub truth_format: Option<String>,
    pub taxonomy: Option<PathBuf>,
}

/// Finds `DIR/<stem>.*` among `names` (first existing), else any file starting with `stem`.
fn find_in(dir: &Path, names: &[&str], stem: &str) -> Option<PathBuf> {
    for n in names {
        let p = dir.join(n);
        if p.is_file() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{stem}.")))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// The files of `--dataset DIR`: those given by flags, else found in `DIR`.
///
/// # Errors
/// `DIR` is not a directory, or a needed file is neither given nor found.
pub fn dataset_files(a: &Args, dir: &Path) -> Result<DatasetFiles> {
    if !dir.is_dir() {
        bail!("--dataset {}: not a directory", dir.display());
    }
    let need =
        |given: &Option<PathBuf>, names: &[&str], stem: &str, flag: &str| -> Result<PathBuf> {
            match given {
                Some(p) => Ok(p.clone()),
                None => find_in(dir, names, stem).with_context(|| {
                    format!(
                        "--dataset {}: no {stem} file found (pass --{flag})",
                        dir.display()
                    )
                }),
            }
        };
    let contigs = need(
        &a.contigs,
        &[
            "contigs.fna.gz",
            "contigs.fna",
            "contigs.fa.gz",
            "contigs.fa",
            "contigs.fasta.gz",
            "contigs.fasta",
        ],
        "contigs",
        "contigs",
    )?;
    let labels = need(&a.labels, &["labels.tsv"], "labels", "labels")?;
    let truth = need(&a.truth, &["truth.tsv"], "truth", "truth")?;
    let abundance = match &a.abundance {
        Some(p) => Some(p.clone()),
        None => find_in(dir, &["abundance.tsv"], "abundance"),
    };
    for p in [&contigs, &labels, &truth]
        .into_iter()
        .chain(abundance.as_ref())
    {
        if !p.is_file() {
            bail!("{}: no such file", p.display());
        }
    }
    Ok(DatasetFiles {
        contigs,
        abundance,
        labels,
        labels_format: a.labels_format.clone(),
        truth,
        truth_format: a.truth_format.clone(),
        taxonomy: a.taxonomy.clone(),
    })
}
