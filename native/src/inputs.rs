//! The CLI's input files: opened (gzip detected), named in messages and
//! handed to the pipeline's loaders as readers; also the GenomeOcean
//! embeddings (computed here or read from `taxdistill embed`'s output) and
//! model directories.
//!
//! Shapes: embeddings `(n_contigs, hidden)` f32, rows aligned to the
//! features (see [`taxdistill_pipeline::teach::Embeddings`]).

use crate::util::{self, Bars};
use anyhow::{bail, Context, Result};
use std::path::Path;
use taxdistill_core::features::{tnf_of_file, FeatureBuilder, FeatureMatrix};
use taxdistill_core::labels::LabelFormat;
use taxdistill_core::model::Student;
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::LabelTree;
use taxdistill_pipeline::load::{features_of, read_labels, Labels};
use taxdistill_pipeline::teach::{sparse_soft, Embeddings, SparseSoftRows};

/// Features of a FASTA (+ abundances): rows in FASTA order, contigs shorter
/// than `min_length` kept as rows but left out of the normalisation statistics.
/// The FASTA is read once by [`count_contigs`]; sequences are not kept.
pub fn load_features(
    contigs: &Path,
    abundance: Option<&Path>,
    min_length: usize,
) -> Result<FeatureMatrix> {
    // a missing abundance file fails before the long FASTA pass
    let mut ab = abundance.map(util::open_text).transpose()?;
    let builder = count_contigs(contigs)?;
    let ab_name = abundance.map(util::name).unwrap_or_default();
    let ab = ab
        .as_mut()
        .map(|r| (r.as_mut() as &mut dyn std::io::BufRead, ab_name.as_str()));
    Ok(features_of(
        builder,
        &util::name(contigs),
        ab,
        min_length,
        &Bars::default(),
    )?)
}

/// The raw TNF, ids and lengths of a FASTA's contigs, read once on every
/// core (`taxdistill_core::features::tnf_of_file`: a plain file in blocks of
/// records, a compressed one decoded on a thread of its own), with a
/// progress bar over the file's bytes. The same rows as the pipeline's
/// sequential `stream_contigs`, which the browser uses.
pub fn count_contigs(path: &Path) -> Result<FeatureBuilder> {
    let name = util::name(path);
    let size = std::fs::metadata(path)
        .with_context(|| format!("{name}: cannot open"))?
        .len();
    let pb = util::progress(size, "contigs");
    let inc = pb.clone();
    let b = tnf_of_file(path, &name, move |n| inc.inc(n));
    pb.finish_and_clear();
    Ok(b?)
}

/// Labels aligned to `ids` (missing = unclassified), with each label's
/// reference support where the format carries one; warns about the parser's
/// findings and about labelled contigs absent from the FASTA.
pub fn load_labels(
    path: &Path,
    format: Option<&str>,
    taxonomy: Option<&Path>,
    ids: &[String],
    fasta: &Path,
) -> Result<Labels> {
    let format = format.map(|f| f.parse::<LabelFormat>()).transpose()?;
    let taxdump = taxonomy.map(util::load_taxdump).transpose()?;
    let labels = read_labels(
        util::open_text(path)?,
        &util::name(path),
        format,
        taxdump.as_ref(),
        ids,
    )?;
    for w in &labels.warnings {
        tracing::warn!("{w}");
    }
    let extra = labels.absent;
    if extra > 0 {
        tracing::warn!(
            "{}: {extra} labelled contig(s) are absent from {}; ignored",
            path.display(),
            fasta.display()
        );
        eprintln!(
            "warning: {}: {extra} labelled contig(s) are absent from {}; ignored",
            path.display(),
            fasta.display()
        );
    }
    Ok(labels)
}

/// Reads a soft-label file and aligns it to the features' contigs and the tree.
pub fn load_soft_labels(path: &Path, ids: &[String], tree: &LabelTree) -> Result<SparseSoftRows> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let soft = SoftLabels::from_bytes(&bytes, &util::name(path))?;
    sparse_soft(&soft, ids, tree).with_context(|| format!("soft labels {}", path.display()))
}

/// Loads a model directory (`model.safetensors` + `model.json`).
pub fn load_model(dir: &Path) -> Result<Student> {
    let st = dir.join("model.safetensors");
    let js = dir.join("model.json");
    let st_bytes = std::fs::read(&st).with_context(|| format!("{}: cannot read", st.display()))?;
    let js_bytes = std::fs::read(&js).with_context(|| format!("{}: cannot read", js.display()))?;
    Student::from_bytes(&st_bytes, &js_bytes)
        .with_context(|| format!("loading the model in {}", dir.display()))
}

/// Embeddings written by `taxdistill embed` (`embeddings.safetensors` +
/// `contigs.txt` in `dir`), aligned to `ids`.
pub fn read_embeddings(dir: &Path, ids: &[String]) -> Result<Embeddings> {
    let st_path = dir.join("embeddings.safetensors");
    let ids_path = dir.join("contigs.txt");
    let bytes =
        std::fs::read(&st_path).with_context(|| format!("{}: cannot read", st_path.display()))?;
    let (shape, data) =
        taxdistill_core::model::read_f32_tensor(&bytes, "embeddings", &util::name(&st_path))?;
    let text = std::fs::read_to_string(&ids_path)
        .with_context(|| format!("{}: cannot read", ids_path.display()))?;
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (e, missing) = Embeddings::aligned(
        &shape,
        &data,
        &names,
        ids,
        &util::name(&st_path),
        &util::name(&ids_path),
    )?;
    if missing > 0 {
        tracing::warn!("{missing} contig(s) have no embedding in {} (absent or a zero row); they are neither neighbours nor training rows", dir.display());
    }
    Ok(e)
}

/// GenomeOcean embeddings of the FASTA's contigs (model in `dir`), aligned
/// to `ids`.
pub fn embed(dir: &Path, contigs: &Path, ids: &[String], batch_size: usize) -> Result<Embeddings> {
    let seqs =
        taxdistill_core::fasta::read_contigs(util::open_text(contigs)?, &util::name(contigs))?;
    if seqs.len() != ids.len() {
        bail!("{}: contig count changed while reading", contigs.display());
    }
    let go = taxdistill_teacher::genomeocean::GenomeOcean::load(dir, &Default::default())
        .with_context(|| format!("loading GenomeOcean from {}", dir.display()))?;
    let s: Vec<&[u8]> = seqs.iter().map(|c| c.seq.as_slice()).collect();
    let pb = util::spinner("embedding");
    let rows = go.embed(&s, batch_size.max(1))?;
    pb.finish_and_clear();
    let dim = go.hidden_size();
    let present: Vec<bool> = rows.iter().map(|r| r.tokens > 0).collect();
    Ok(Embeddings {
        values: rows.into_iter().flat_map(|r| r.row).collect(),
        dim,
        present,
    })
}
