//! Per-sample abundances: vamb `abundance.tsv`, strobealign `--aemb`, MetaBAT/CoverM depth files.
//!
//! API contract:
//! - `pub fn read_abundance<R: std::io::BufRead>(reader: R, source_name: &str) -> Result<Abundance>` (format auto-detected)
//! - `impl Abundance { pub fn aligned_to(&self, ids: &[String]) -> Result<Vec<f32>> }` (n × S, error on missing contigs)

/// Raw abundance table (mean depth per contig and sample).
#[derive(Debug, Clone, PartialEq)]
pub struct Abundance {
    pub samples: Vec<String>,
    pub ids: Vec<String>,
    /// ids.len() × samples.len(), row-major.
    pub values: Vec<f32>,
}
