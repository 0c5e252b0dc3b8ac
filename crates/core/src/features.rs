//! vamb-compatible features: 103 TNF + S abundances + 1 log-abundance, f32.
//!
//! API contract:
//! - `pub const N_TNF: usize = 103;`
//! - `pub fn tnf(seq: &[u8]) -> [f32; N_TNF]` (vamb's projection of 4-mer frequencies)
//! - `pub fn build_features(contigs: &[Contig], abundance: Option<&Abundance>) -> Result<FeatureMatrix>`

/// Number of TNF dimensions (vamb's kernel projection).
pub const N_TNF: usize = 103;

/// Row-major feature matrix, one row per contig in FASTA order.
/// Columns: `tnf0..tnf102`, then (with abundances) one column per sample and `log_abundance`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub ids: Vec<String>,
    pub lengths: Vec<usize>,
    /// Number of abundance samples (0 when built without abundances).
    pub n_samples: usize,
    /// Column names (`tnf0`… then sample names, `log_abundance`).
    pub columns: Vec<String>,
    /// n_rows × columns.len() values.
    pub data: Vec<f32>,
}

impl FeatureMatrix {
    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }
    /// Number of rows (contigs).
    pub fn n_rows(&self) -> usize {
        self.ids.len()
    }
    /// One row.
    pub fn row(&self, i: usize) -> &[f32] {
        let c = self.n_cols();
        &self.data[i * c..(i + 1) * c]
    }
}
