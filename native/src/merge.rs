//! Joining the shards of `embed` (directories) or `teach` (soft-label
//! files) back into one output in FASTA order, for `taxdistill merge`.
//!
//! Order comes from each shard's `shard.json` (embeddings) or the `shard`/`total`
//! keys of the soft-label `meta` (`"shard": "2/4", "total": 1000`); with a
//! FASTA ([`FastaOrder`]) the FASTA gives the order instead. Duplicated contigs, missing
//! shards or contigs, and shards of different runs are errors.

use crate::embeddings::write_embeddings;
use crate::util;
use anyhow::{bail, Context, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_teacher::shard::{interleave, Shard, ShardInfo};

/// Rows of one shard: ids, row-major values and (if known) the shard.
struct Part {
    ids: Vec<String>,
    rows: Vec<Vec<f32>>,
    shard: Option<(Shard, usize)>,
    source: String,
}

/// One `embed` output directory: its rows and their width.
fn read_embedding_shard(dir: &Path) -> Result<(Part, usize)> {
    let name = |f: &str| dir.join(f).display().to_string();
    let bytes = std::fs::read(dir.join("embeddings.safetensors"))
        .with_context(|| format!("{}: cannot read", name("embeddings.safetensors")))?;
    let (shape, data) = taxdistill_core::model::read_f32_tensor(
        &bytes,
        "embeddings",
        &name("embeddings.safetensors"),
    )?;
    if shape.len() != 2 {
        bail!(
            "{}: tensor embeddings has shape {shape:?}, expected [n, hidden]",
            name("embeddings.safetensors")
        );
    }
    let ids: Vec<String> = std::fs::read_to_string(dir.join("contigs.txt"))
        .with_context(|| format!("{}: cannot read", name("contigs.txt")))?
        .lines()
        .map(str::to_string)
        .collect();
    if ids.len() != shape[0] {
        bail!(
            "{}: {} ids for {} embedding rows",
            name("contigs.txt"),
            ids.len(),
            shape[0]
        );
    }
    let shard = match std::fs::read(dir.join("shard.json")) {
        Ok(b) => {
            let info: ShardInfo = serde_json::from_slice(&b)
                .with_context(|| format!("{}: malformed", name("shard.json")))?;
            if info.rows != ids.len() {
                bail!(
                    "{}: says {} rows, found {}",
                    name("shard.json"),
                    info.rows,
                    ids.len()
                );
            }
            Some((info.shard, info.total))
        }
        Err(_) => None,
    };
    let dim = shape[1];
    let rows = if dim == 0 {
        vec![Vec::new(); ids.len()]
    } else {
        data.chunks_exact(dim).map(<[f32]>::to_vec).collect()
    };
    Ok((
        Part {
            ids,
            rows,
            shard,
            source: dir.display().to_string(),
        },
        dim,
    ))
}

/// One `teach` soft-label file: its rows and the file itself.
fn read_softlabel_shard(path: &Path) -> Result<(Part, SoftLabels)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let sl = SoftLabels::from_bytes(&bytes, &util::name(path))?;
    let shard = match (
        sl.meta.get("shard").and_then(|s| s.as_str()),
        sl.meta.get("total").and_then(|t| t.as_u64()),
    ) {
        (Some(s), Some(t)) => Some((
            s.parse::<Shard>()
                .with_context(|| format!("{}: meta.shard", path.display()))?,
            t as usize,
        )),
        _ => None,
    };
    let rows = (0..sl.contigs.len()).map(|i| sl.row(i).to_vec()).collect();
    Ok((
        Part {
            ids: sl.contigs.clone(),
            rows,
            shard,
            source: path.display().to_string(),
        },
        sl,
    ))
}

/// Rows in the order of a FASTA instead of by shard number: every contig of
/// it of at least `min_length` bp must be in a shard, and no other.
#[derive(Clone, Copy, Debug)]
pub struct FastaOrder<'a> {
    /// The FASTA.
    pub fasta: &'a Path,
    /// Contigs shorter than this were skipped by `embed --min-length` and are not expected.
    pub min_length: usize,
}

/// Joins the parts in FASTA (`by_fasta`) or shard order; returns (ids, rows).
fn order(parts: Vec<Part>, by_fasta: Option<FastaOrder>) -> Result<(Vec<String>, Vec<Vec<f32>>)> {
    let mut seen: HashMap<String, String> = HashMap::new();
    for p in &parts {
        for id in &p.ids {
            if let Some(prev) = seen.insert(id.clone(), p.source.clone()) {
                bail!("contig {id} occurs twice (in {prev} and {})", p.source);
            }
        }
    }
    if let Some(FastaOrder { fasta, min_length }) = by_fasta {
        let reader = util::open_text(fasta)?;
        let all = taxdistill_core::fasta::read_contigs(reader, &util::name(fasta))?;
        let mut by_id: HashMap<String, Vec<f32>> = parts
            .into_iter()
            .flat_map(|p| p.ids.into_iter().zip(p.rows))
            .collect();
        let mut ids = Vec::new();
        let mut rows = Vec::new();
        let mut wanted = HashSet::new();
        for c in all.iter().filter(|c| c.seq.len() >= min_length) {
            wanted.insert(c.id.as_str());
            let row = by_id.remove(&c.id).with_context(|| {
                format!("contig {} of {} is in no shard", c.id, fasta.display())
            })?;
            ids.push(c.id.clone());
            rows.push(row);
        }
        if let Some(extra) = by_id.keys().next() {
            bail!(
                "contig {extra} of the shards is not in {} (or shorter than --min-length)",
                fasta.display()
            );
        }
        return Ok((ids, rows));
    }
    let mut total = None;
    let mut with_shard = Vec::new();
    for p in parts {
        let Some((shard, t)) = p.shard else {
            bail!(
                "{}: no shard information; pass --contigs FASTA to merge by FASTA order",
                p.source
            );
        };
        if *total.get_or_insert(t) != t {
            bail!(
                "{}: shard of a run of {t} contigs, others have {}",
                p.source,
                total.unwrap_or(0)
            );
        }
        with_shard.push((shard, p.ids.into_iter().zip(p.rows).collect::<Vec<_>>()));
    }
    let merged = interleave(with_shard, total.unwrap_or(0))?;
    Ok(merged.into_iter().unzip())
}

/// Merges the `embed` output directories `inputs` into the directory `out`;
/// returns the number of contigs.
///
/// # Errors
/// Unreadable or inconsistent shards (see the module doc), or `out` cannot
/// be written.
pub fn merge_embeddings(
    inputs: &[PathBuf],
    by_fasta: Option<FastaOrder>,
    out: &Path,
) -> Result<usize> {
    let mut parts = Vec::new();
    let mut dim = None;
    for dir in inputs {
        let (p, d) = read_embedding_shard(dir)?;
        if *dim.get_or_insert(d) != d {
            bail!(
                "{}: embeddings of width {d}, others have {}",
                dir.display(),
                dim.unwrap_or(0)
            );
        }
        parts.push(p);
    }
    let (ids, rows) = order(parts, by_fasta)?;
    let dim = dim.unwrap_or(0);
    let data: Vec<f32> = rows.into_iter().flatten().collect();
    let info = ShardInfo {
        kind: "embeddings".into(),
        shard: Shard::default(),
        total: ids.len(),
        rows: ids.len(),
    };
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    write_embeddings(out, &refs, dim, data, &info)?;
    Ok(ids.len())
}

/// Merges the `teach` soft-label files `inputs` into the file `out`;
/// returns the number of contigs.
///
/// # Errors
/// Unreadable or inconsistent shards (see the module doc), leaves that
/// differ between shards, or `out` cannot be written.
pub fn merge_soft_labels(
    inputs: &[PathBuf],
    by_fasta: Option<FastaOrder>,
    out: &Path,
) -> Result<usize> {
    let mut parts = Vec::new();
    let mut first: Option<SoftLabels> = None;
    for f in inputs {
        let (p, sl) = read_softlabel_shard(f)?;
        match &first {
            Some(s0) if s0.leaves != sl.leaves => bail!(
                "{}: leaves differ from {}",
                f.display(),
                inputs[0].display()
            ),
            Some(_) => {}
            None => first = Some(sl),
        }
        parts.push(p);
    }
    let (ids, rows) = order(parts, by_fasta)?;
    let first = first.context("no inputs")?;
    let mut meta = first.meta.clone();
    if let Some(m) = meta.as_object_mut() {
        m.remove("shard");
        m.insert("total".into(), serde_json::json!(ids.len()));
        m.insert("merged_from".into(), serde_json::json!(inputs.len()));
    }
    let merged = SoftLabels {
        contigs: ids,
        leaves: first.leaves,
        probs: rows.into_iter().flatten().collect(),
        meta,
    };
    let bytes = merged.to_bytes(None)?;
    util::write_atomic(out, |w| Ok(w.write_all(&bytes)?))?;
    Ok(merged.contigs.len())
}
