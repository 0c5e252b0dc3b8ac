//! vamb-compatible features, exactly the input Taxometer (vamb 5) feeds its
//! classifier: `features: (n_contigs, 103 + n_samples + 1), f32`, columns
//! `tnf0..tnf102`, then (with abundances) one column per sample and
//! `log_abundance`. Without abundances the matrix has the 103 TNF columns only.
//!
//! * TNF ([`tnf`]): 4-mer counts over runs of A/C/G/T (any other code breaks the
//!   run), frequencies `f = count · (1/Σcount) − 1/256` in f32, projected with
//!   vamb's 256×103 kernel (`vamb/kernel.npz`, embedded as
//!   `features/kernel_f32le.bin`), then the lowest 12 mantissa bits cleared as
//!   vamb's `mask_lower_bits` does (`vamb/parsecontigs.py`).
//! * Normalisation (`vamb/encode.py::make_dataloader`): each sample scaled to a
//!   total depth of 10⁶, each row divided by its total (rows with zero total
//!   become `1/S`), `log_abundance = ln(max(total, 0.001))`; `log_abundance`
//!   and every TNF column are z-scored (population std, std 0 → 1).
//!
//! vamb only keeps contigs of at least `min_length` bp; here every contig keeps
//! its row (FASTA order), but the statistics — sample totals, means and standard
//! deviations — come from the contigs of at least `min_length` bp, so the rows
//! of those contigs equal vamb's. Short contigs are transformed with the same
//! statistics. See `docs/features.md` for the formulas and the golden test.

use crate::abundance::Abundance;
use crate::errors::{Error, Result};
use crate::fasta::Contig;
use std::io::{BufRead, Write};

/// Number of TNF dimensions (vamb's kernel projection).
pub const N_TNF: usize = 103;

/// Default minimum contig length for statistics and training (Taxometer's 2,000 bp).
pub const DEFAULT_MIN_LENGTH: usize = 2000;

/// Row-major feature matrix, one row per contig in FASTA order.
/// Columns: `tnf0..tnf102`, then (with abundances) one column per sample and `log_abundance`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub ids: Vec<String>,
    /// Contig lengths in bp (0 when read back from a TSV, which does not store them).
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

    /// Writes the matrix as TSV: header `contigs`, then the column names; one
    /// line per contig. Numbers use the shortest text that reads back to the
    /// same f32.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_tsv<W: Write>(&self, mut w: W) -> Result<()> {
        let io = |e: std::io::Error| Error::Io {
            source_name: "features TSV".into(),
            reason: e.to_string(),
        };
        let mut line = String::with_capacity(16 * (self.n_cols() + 1));
        line.push_str("contigs");
        for c in &self.columns {
            line.push('\t');
            line.push_str(c);
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
        for i in 0..self.n_rows() {
            line.clear();
            line.push_str(&self.ids[i]);
            for v in self.row(i) {
                use std::fmt::Write as _;
                let _ = write!(line, "\t{v}");
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(())
    }

    /// Reads a TSV written by [`FeatureMatrix::write_tsv`] (lengths become 0).
    ///
    /// # Errors
    /// [`Error::BadLine`] for a wrong header, a wrong number of fields or a
    /// value that is not a finite number; [`Error::Io`] when reading fails.
    pub fn read_tsv<R: BufRead>(reader: R, source_name: &str) -> Result<FeatureMatrix> {
        let bad = |line: usize, reason: String| Error::BadLine {
            source_name: source_name.to_string(),
            line,
            reason,
        };
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(h) => h.map_err(|e| Error::Io {
                source_name: source_name.to_string(),
                reason: e.to_string(),
            })?,
            None => return Err(bad(1, "empty file: no header".into())),
        };
        let header = header.trim_end_matches('\r');
        let mut cols = header.split('\t');
        if cols.next() != Some("contigs") {
            return Err(bad(1, "header must start with 'contigs'".into()));
        }
        let columns: Vec<String> = cols.map(str::to_string).collect();
        if columns.len() < N_TNF
            || columns
                .iter()
                .take(N_TNF)
                .enumerate()
                .any(|(i, c)| *c != format!("tnf{i}"))
        {
            return Err(bad(
                1,
                "expected columns tnf0..tnf102 after 'contigs'".into(),
            ));
        }
        let n_samples = match columns.len() - N_TNF {
            0 => 0,
            k if columns.last().map(String::as_str) == Some("log_abundance") && k >= 2 => k - 1,
            _ => {
                return Err(bad(
                    1,
                    "sample columns must be followed by 'log_abundance'".into(),
                ))
            }
        };
        let mut m = FeatureMatrix {
            ids: Vec::new(),
            lengths: Vec::new(),
            n_samples,
            columns,
            data: Vec::new(),
        };
        for (i, line) in lines.enumerate() {
            let lineno = i + 2;
            let line = line.map_err(|e| Error::Io {
                source_name: source_name.to_string(),
                reason: e.to_string(),
            })?;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let id = fields.next().unwrap_or_default();
            let before = m.data.len();
            for f in fields {
                let v: f32 = f
                    .parse()
                    .map_err(|_| bad(lineno, format!("'{f}' is not a number")))?;
                if !v.is_finite() {
                    return Err(bad(lineno, format!("'{f}' is not finite")));
                }
                m.data.push(v);
            }
            let got = m.data.len() - before;
            if got != m.n_cols() {
                return Err(bad(
                    lineno,
                    format!("expected {} values, found {got}", m.n_cols()),
                ));
            }
            m.ids.push(id.to_string());
            m.lengths.push(0);
        }
        Ok(m)
    }
}

/// How features are normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureOptions {
    /// Contigs shorter than this do not contribute to the normalisation
    /// statistics (they still get a row).
    pub min_length: usize,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        Self {
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

// ---------------------------------------------------------------- TNF

/// vamb's 256×103 projection kernel (row = 4-mer index with A,C,G,T = 0..3,
/// first base most significant), generated from `vamb/kernel.npz` by
/// `scripts/golden_features.py kernel`.
static KERNEL: [[f32; N_TNF]; 256] = parse_kernel(include_bytes!("features/kernel_f32le.bin"));

const fn parse_kernel(bytes: &[u8; 256 * N_TNF * 4]) -> [[f32; N_TNF]; 256] {
    let mut k = [[0f32; N_TNF]; 256];
    let mut i = 0;
    while i < 256 * N_TNF {
        let b = [
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ];
        k[i / N_TNF][i % N_TNF] = f32::from_bits(u32::from_le_bytes(b));
        i += 1;
    }
    k
}

/// 2-bit code of a base; 4 for anything but A/C/G/T/U (either case; U counts
/// as T), as in vambcore 0.1.2, the counting core of vamb 5.
const fn make_code_table() -> [u8; 256] {
    let mut t = [4u8; 256];
    t[b'A' as usize] = 0;
    t[b'a' as usize] = 0;
    t[b'C' as usize] = 1;
    t[b'c' as usize] = 1;
    t[b'G' as usize] = 2;
    t[b'g' as usize] = 2;
    t[b'T' as usize] = 3;
    t[b't' as usize] = 3;
    t[b'U' as usize] = 3;
    t[b'u' as usize] = 3;
    t
}

static CODE: [u8; 256] = make_code_table();

/// Counts the 256 4-mers of `seq` (index: A,C,G,T = 0..3, first base most
/// significant; U counts as T), skipping every 4-mer that contains another byte.
pub fn kmer_counts(seq: &[u8]) -> [u32; 256] {
    // Codes are written per block, then every 4-mer index is built from four
    // independent loads: no loop-carried shift chain. Invalid bytes have code 4,
    // so a window is valid iff the OR of its codes is < 4. Four count tables,
    // by position, keep runs of one 4-mer (poly-A…) from serialising on one counter.
    const BLOCK: usize = 4096;
    let mut counts = [[0u32; 256]; 4];
    let mut codes = [4u8; BLOCK + 3];
    let mut carry = [4u8; 3];
    for chunk in seq.chunks(BLOCK) {
        let m = chunk.len() + 3;
        codes[..3].copy_from_slice(&carry);
        for (d, &b) in codes[3..m].iter_mut().zip(chunk) {
            *d = CODE[b as usize];
        }
        let c = &codes[..m];
        for (i, w) in c.windows(4).enumerate() {
            let idx = ((w[0] as usize) << 6)
                | ((w[1] as usize) << 4)
                | ((w[2] as usize) << 2)
                | w[3] as usize;
            let valid = ((w[0] | w[1] | w[2] | w[3]) < 4) as u32;
            counts[i & 3][idx & 0xff] += valid;
        }
        carry.copy_from_slice(&c[m - 3..m]);
    }
    let mut out = [0u32; 256];
    for (i, o) in out.iter_mut().enumerate() {
        *o = counts[0][i] + counts[1][i] + counts[2][i] + counts[3][i];
    }
    out
}

/// Clears the lowest `bits` mantissa bits, as vamb's `mask_lower_bits`.
fn mask_lower_bits(x: f32, bits: u32) -> f32 {
    f32::from_bits(x.to_bits() & !((1u32 << bits) - 1))
}

/// Projects 4-mer counts onto vamb's 103 dimensions
/// (`Composition._project` followed by `mask_lower_bits(·, 12)`).
pub fn project(counts: &[u32; 256]) -> [f32; N_TNF] {
    let total: u64 = counts.iter().map(|&c| c as u64).sum();
    let mut s = total as f32;
    if s == 0.0 {
        s = 1.0;
    }
    // f32 arithmetic in the order numpy does it: (c · (1/s)) + (−1/256)
    let inv = 1.0f32 / s;
    // numpy's float32 dot (OpenBLAS sgemm) accumulates over the 256 4-mers in
    // order with fused multiply-adds; doing the same gives vamb's bits exactly
    // (0 of 6,180 values differ on the golden fixture, against 14 with an f64
    // sum), which matters because the 12-bit masking and z-scoring amplify any
    // difference. The fma is emulated in f64: the product is exact, one f64 then
    // one f32 rounding, which vectorises unlike `f32::mul_add` without FMA.
    let mut acc = [0f32; N_TNF];
    for (i, &c) in counts.iter().enumerate() {
        let f = (c as f32 * inv + (-1.0f32 / 256.0)) as f64;
        for (a, &k) in acc.iter_mut().zip(KERNEL[i].iter()) {
            *a = (f * k as f64 + *a as f64) as f32;
        }
    }
    acc.map(|a| mask_lower_bits(a, 12))
}

/// vamb's 103-dimensional TNF of one sequence (before any z-scoring).
pub fn tnf(seq: &[u8]) -> [f32; N_TNF] {
    project(&kmer_counts(seq))
}

/// TNF of many sequences, in order (in parallel with the `parallel` feature).
pub fn tnf_many(seqs: &[&[u8]]) -> Vec<[f32; N_TNF]> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        seqs.par_iter().with_min_len(4).map(|s| tnf(s)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        seqs.iter().map(|s| tnf(s)).collect()
    }
}

// ---------------------------------------------------------------- building

/// Accumulates raw TNF of contigs batch by batch, so a FASTA can be streamed
/// (memory: 103 floats per contig, sequences are not kept).
#[derive(Debug, Default, Clone)]
pub struct FeatureBuilder {
    ids: Vec<String>,
    lengths: Vec<usize>,
    tnf: Vec<[f32; N_TNF]>,
}

impl FeatureBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a batch of contigs (TNF computed in parallel with the `parallel` feature).
    pub fn push_batch(&mut self, contigs: &[Contig]) {
        let seqs: Vec<&[u8]> = contigs.iter().map(|c| c.seq.as_slice()).collect();
        self.tnf.extend(tnf_many(&seqs));
        self.ids.extend(contigs.iter().map(|c| c.id.clone()));
        self.lengths.extend(contigs.iter().map(|c| c.seq.len()));
    }

    /// Adds one contig whose TNF is already known.
    pub fn push_raw(&mut self, id: String, length: usize, tnf: [f32; N_TNF]) {
        self.ids.push(id);
        self.lengths.push(length);
        self.tnf.push(tnf);
    }

    /// Number of contigs so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no contig was added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Contig ids so far, in order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Normalises into the final matrix (see the module docs).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a contig is missing from `abundance` or a sample
    /// has zero depth over all contigs of at least `min_length` bp.
    pub fn finish(
        self,
        abundance: Option<&Abundance>,
        opts: &FeatureOptions,
    ) -> Result<FeatureMatrix> {
        let n = self.ids.len();
        let keep: Vec<bool> = self.lengths.iter().map(|&l| l >= opts.min_length).collect();
        // with no contig long enough, vamb would stop; we take statistics over all contigs
        let keep = if keep.iter().any(|&k| k) {
            keep
        } else {
            vec![true; n]
        };

        let (samples, depths) = match abundance {
            Some(a) => (a.samples.clone(), Some(a.aligned_to(&self.ids)?)),
            None => (Vec::new(), None),
        };
        let s = samples.len();
        let n_cols = N_TNF + if s > 0 { s + 1 } else { 0 };
        let mut data = vec![0f32; n * n_cols];

        // TNF: column z-scores over kept rows
        let mut tnf = self.tnf;
        zscore_columns(&mut tnf, &keep);
        for (row, t) in data.chunks_exact_mut(n_cols).zip(&tnf) {
            row[..N_TNF].copy_from_slice(t);
        }

        if let Some(mut d) = depths {
            let log_total = normalise_depths(&mut d, s, &keep, &samples)?;
            for (i, row) in data.chunks_exact_mut(n_cols).enumerate() {
                row[N_TNF..N_TNF + s].copy_from_slice(&d[i * s..(i + 1) * s]);
                row[N_TNF + s] = log_total[i];
            }
        }

        let mut columns: Vec<String> = (0..N_TNF).map(|i| format!("tnf{i}")).collect();
        if s > 0 {
            columns.extend(samples.iter().cloned());
            columns.push("log_abundance".to_string());
        }
        Ok(FeatureMatrix {
            ids: self.ids,
            lengths: self.lengths,
            n_samples: s,
            columns,
            data,
        })
    }
}

/// Mean and population standard deviation over the kept values, as f32
/// (vamb's `zscore`: a standard deviation of 0 becomes 1).
fn mean_std(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let (mut n, mut sum) = (0usize, 0f64);
    for v in values.clone() {
        n += 1;
        sum += v as f64;
    }
    if n == 0 {
        return (0.0, 1.0);
    }
    let mean = (sum / n as f64) as f32;
    let mut ss = 0f64;
    for v in values {
        let d = (v - mean) as f64;
        ss += d * d;
    }
    let std = ((ss / n as f64).sqrt()) as f32;
    (mean, if std == 0.0 { 1.0 } else { std })
}

fn zscore_columns(rows: &mut [[f32; N_TNF]], keep: &[bool]) {
    for j in 0..N_TNF {
        let kept = rows.iter().zip(keep).filter(|(_, &k)| k).map(|(r, _)| r[j]);
        let (mean, std) = mean_std(kept);
        for r in rows.iter_mut() {
            r[j] = (r[j] - mean) / std;
        }
    }
}

/// vamb 5 `make_dataloader` on the depth matrix `d` (n × s, in place):
/// returns the z-scored log total abundance per row.
fn normalise_depths(
    d: &mut [f32],
    s: usize,
    keep: &[bool],
    samples: &[String],
) -> Result<Vec<f32>> {
    let n = keep.len();
    // sample totals over kept rows, then scale each sample to 10^6
    let mut sums = vec![0f64; s];
    for (row, _) in d.chunks_exact(s).zip(keep).filter(|(_, &k)| k) {
        for (acc, &v) in sums.iter_mut().zip(row) {
            *acc += v as f64;
        }
    }
    let mut scale = Vec::with_capacity(s);
    for (sum, name) in sums.iter().zip(samples) {
        let total = *sum as f32;
        if total == 0.0 {
            return Err(Error::Mismatch(format!(
                "abundance: sample '{name}' has zero depth in every contig of at least the minimum length, so it cannot be depth-normalised"
            )));
        }
        scale.push(1_000_000f32 / total);
    }
    let mut log_total = vec![0f32; n];
    for (row, lt) in d.chunks_exact_mut(s).zip(log_total.iter_mut()) {
        let mut total = 0f32;
        for (v, &sc) in row.iter_mut().zip(&scale) {
            *v *= sc;
            total += *v;
        }
        if total == 0.0 {
            row.fill(1.0 / s as f32);
        } else {
            for v in row.iter_mut() {
                *v /= total;
            }
        }
        *lt = total.max(0.001).ln();
    }
    let (mean, std) = mean_std(
        log_total
            .iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(&v, _)| v),
    );
    for v in log_total.iter_mut() {
        *v = (*v - mean) / std;
    }
    Ok(log_total)
}

/// Features of in-memory contigs with the default options
/// (statistics over contigs of at least [`DEFAULT_MIN_LENGTH`] bp).
///
/// # Errors
/// As [`FeatureBuilder::finish`].
pub fn build_features(contigs: &[Contig], abundance: Option<&Abundance>) -> Result<FeatureMatrix> {
    build_features_with(contigs, abundance, &FeatureOptions::default())
}

/// Features of in-memory contigs.
///
/// # Errors
/// As [`FeatureBuilder::finish`].
pub fn build_features_with(
    contigs: &[Contig],
    abundance: Option<&Abundance>,
    opts: &FeatureOptions,
) -> Result<FeatureMatrix> {
    let mut b = FeatureBuilder::new();
    b.push_batch(contigs);
    b.finish(abundance, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_counts(seq: &[u8]) -> [u32; 256] {
        let mut c = [0u32; 256];
        for w in seq.windows(4) {
            let mut k = 0usize;
            let mut ok = true;
            for &b in w {
                let v = CODE[b as usize];
                ok &= v < 4;
                k = (k << 2) | (v as usize & 3);
            }
            if ok {
                c[k] += 1;
            }
        }
        c
    }

    #[test]
    fn kmer_counts_skip_every_window_with_a_non_acgt_byte() {
        let seq = b"ACGTNACGTTTTTAAAAXYacgtAC";
        assert_eq!(kmer_counts(seq), naive_counts(seq));
        assert_eq!(kmer_counts(b"AAAA")[0], 1);
        assert_eq!(kmer_counts(b"AAA").iter().sum::<u32>(), 0);
        assert_eq!(
            kmer_counts(b"ACGU"),
            kmer_counts(b"ACGT"),
            "U counts as T, as in vambcore"
        );
        assert_eq!(
            kmer_counts(b"ACGUACGTacgtNACGT").iter().sum::<u32>(),
            10,
            "vambcore's count for this sequence"
        );
    }

    #[test]
    fn kernel_is_vambs() {
        // spot values of vamb/kernel.npz (row-major, 256 × 103)
        assert_eq!(KERNEL.len(), 256);
        let colsum: f64 = (0..256).map(|i| KERNEL[i][0] as f64).sum();
        assert!(colsum.abs() < 1e-5);
    }

    #[test]
    fn masking_clears_twelve_bits() {
        assert_eq!(
            mask_lower_bits(f32::from_bits(0x3f80_0fff), 12).to_bits(),
            0x3f80_0000
        );
    }

    #[test]
    fn sequence_without_kmers_projects_to_almost_zero() {
        // −1/256 times the kernel's column sums, which vanish up to f32 rounding
        let t = tnf(b"NNNN");
        assert!(t.iter().all(|v| v.abs() < 1e-8), "{t:?}");
        assert_eq!(t, tnf(b""));
    }

    #[test]
    fn tsv_round_trip_of_a_small_matrix() {
        let contigs = vec![
            Contig {
                id: "a".into(),
                seq: b"ACGTACGGGTCA".repeat(300),
            },
            Contig {
                id: "b".into(),
                seq: b"TTTGACAG".repeat(400),
            },
            Contig {
                id: "c".into(),
                seq: b"ACG".to_vec(),
            },
        ];
        let ab = Abundance {
            samples: vec!["s1".into(), "s2".into()],
            ids: vec!["c".into(), "b".into(), "a".into()],
            values: vec![0.0, 0.0, 1.0, 2.5, 3.0, 0.5],
        };
        let m = build_features(&contigs, Some(&ab)).unwrap();
        assert_eq!(m.n_cols(), N_TNF + 3);
        assert_eq!(m.ids, ["a", "b", "c"]);
        let mut buf = Vec::new();
        m.write_tsv(&mut buf).unwrap();
        let back = FeatureMatrix::read_tsv(&buf[..], "mem").unwrap();
        assert_eq!(back.data, m.data);
        assert_eq!(back.columns, m.columns);
        assert_eq!(back.n_samples, 2);
        // the short contig has zero depth: uniform 1/S
        assert_eq!(&m.row(2)[N_TNF..N_TNF + 2], &[0.5, 0.5]);
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/features")
            .join(name)
    }

    fn fixture_contigs() -> Vec<Contig> {
        let f = std::fs::File::open(fixture("contigs.fna")).unwrap();
        crate::fasta::read_contigs(f, "contigs.fna").unwrap()
    }

    fn golden(name: &str) -> FeatureMatrix {
        let f = std::io::BufReader::new(std::fs::File::open(fixture(name)).unwrap());
        FeatureMatrix::read_tsv(f, name).unwrap()
    }

    /// Largest |ours − vamb| over the golden rows (matched by id) and columns.
    fn max_abs_diff(ours: &FeatureMatrix, gold: &FeatureMatrix) -> f32 {
        assert_eq!(ours.columns, gold.columns);
        let mut worst = 0f32;
        for (g, id) in gold.ids.iter().enumerate() {
            let i = ours
                .ids
                .iter()
                .position(|x| x == id)
                .unwrap_or_else(|| panic!("{id} missing"));
            for (a, b) in ours.row(i).iter().zip(gold.row(g)) {
                worst = worst.max((a - b).abs());
            }
        }
        worst
    }

    #[test]
    fn raw_tnf_equals_vamb_bit_for_bit() {
        let contigs = fixture_contigs();
        let gold = golden("golden_tnf.tsv");
        let fma = |counts: &[u32; 256]| -> [f32; N_TNF] {
            let total: u64 = counts.iter().map(|&c| c as u64).sum();
            let s = if total == 0 { 1.0 } else { total as f32 };
            let inv = 1.0f32 / s;
            let mut acc = [0f64; N_TNF];
            for (i, &c) in counts.iter().enumerate() {
                let f = (c as f32 * inv + (-1.0f32 / 256.0)) as f64;
                for (a, &k) in acc.iter_mut().zip(KERNEL[i].iter()) {
                    *a += f * k as f64;
                }
            }
            acc.map(|a| mask_lower_bits(a as f32, 12))
        };
        let (mut ours, mut fmas, mut total) = (0, 0, 0);
        for (g, c) in contigs.iter().enumerate() {
            let counts = kmer_counts(&c.seq);
            let a = project(&counts);
            let b = fma(&counts);
            for j in 0..N_TNF {
                total += 1;
                ours += (a[j] != gold.row(g)[j]) as usize;
                fmas += (b[j] != gold.row(g)[j]) as usize;
            }
        }
        eprintln!("exact mismatches: ours (f32 fma order) {ours}, f64 sum {fmas} of {total}");
        assert_eq!(ours, 0);
    }

    #[test]
    fn raw_tnf_matches_vamb() {
        let contigs = fixture_contigs();
        let gold = golden("golden_tnf.tsv");
        assert_eq!(gold.n_rows(), contigs.len());
        let mut worst = 0f32;
        for (c, g) in contigs.iter().zip(0..) {
            assert_eq!(c.id, gold.ids[g]);
            for (a, b) in tnf(&c.seq).iter().zip(gold.row(g)) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst <= 1e-5, "max abs diff {worst}");
    }

    #[test]
    fn normalised_features_match_vambs_taxometer_input() {
        let contigs = fixture_contigs();
        for (ab_file, gold_file) in [
            ("abundance.tsv", "golden.tsv"),
            ("abundance_s1.tsv", "golden_s1.tsv"),
        ] {
            let f = std::io::BufReader::new(std::fs::File::open(fixture(ab_file)).unwrap());
            let ab = crate::abundance::read_abundance(f, ab_file).unwrap();
            let ours = build_features(&contigs, Some(&ab)).unwrap();
            assert_eq!(
                ours.n_rows(),
                contigs.len(),
                "short contigs keep their rows"
            );
            let gold = golden(gold_file);
            assert!(gold.n_rows() >= 50 && gold.n_rows() < contigs.len());
            let worst = max_abs_diff(&ours, &gold);
            assert!(worst <= 1e-5, "{gold_file}: max abs diff {worst}");
        }
    }

    #[test]
    fn features_without_abundance_are_the_tnf_columns() {
        let contigs = fixture_contigs();
        let m = build_features(&contigs, None).unwrap();
        assert_eq!(m.n_cols(), N_TNF);
        let gold = golden("golden.tsv");
        let mut worst = 0f32;
        for (g, id) in gold.ids.iter().enumerate() {
            let i = m.ids.iter().position(|x| x == id).unwrap();
            for (a, b) in m.row(i).iter().zip(&gold.row(g)[..N_TNF]) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst <= 1e-5, "max abs diff {worst}");
    }

    fn revcomp(seq: &[u8]) -> Vec<u8> {
        seq.iter()
            .rev()
            .map(|&b| match b {
                b'A' => b'T',
                b'C' => b'G',
                b'G' => b'C',
                b'T' => b'A',
                x => x,
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn kmer_counts_equal_a_naive_count(seq in proptest::collection::vec(proptest::sample::select(b"ACGTNacgtuRY".to_vec()), 0..9000)) {
            proptest::prop_assert_eq!(kmer_counts(&seq).to_vec(), naive_counts(&seq).to_vec());
        }

        #[test]
        fn tnf_is_reverse_complement_invariant(seq in proptest::collection::vec(proptest::sample::select(b"ACGTN".to_vec()), 0..3000)) {
            let a = tnf(&seq);
            let b = tnf(&revcomp(&seq));
            for (x, y) in a.iter().zip(&b) {
                // the kernel averages a 4-mer with its reverse complement; only f32
                // rounding (and vamb's 12-bit masking of it) can differ
                let step = x.abs().max(y.abs()) * (2f32).powi(-11);
                proptest::prop_assert!((x - y).abs() <= step + 5e-7, "{x} vs {y}");
            }
        }

        #[test]
        fn features_tsv_reads_back_the_same_numbers(
            seqs in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ACGTNacgt".to_vec()), 0..500), 1..12),
            depth in proptest::collection::vec(0f32..100.0, 24),
        ) {
            let contigs: Vec<Contig> = seqs.iter().enumerate().map(|(i, s)| Contig { id: format!("c{i}"), seq: s.to_ascii_uppercase() }).collect();
            let ids: Vec<String> = contigs.iter().map(|c| c.id.clone()).collect();
            let mut values: Vec<f32> = depth[..2 * ids.len()].to_vec();
            values[0] += 1.0;
            values[1] += 1.0;
            let ab = Abundance { samples: vec!["a".into(), "b".into()], ids, values };
            let m = build_features_with(&contigs, Some(&ab), &FeatureOptions { min_length: 100 }).unwrap();
            let mut buf = Vec::new();
            m.write_tsv(&mut buf).unwrap();
            let back = FeatureMatrix::read_tsv(&buf[..], "mem").unwrap();
            proptest::prop_assert_eq!(&back.ids, &m.ids);
            proptest::prop_assert_eq!(&back.columns, &m.columns);
            proptest::prop_assert_eq!(back.data, m.data);
        }
    }

    #[test]
    fn missing_contig_in_abundance_is_a_mismatch() {
        let contigs = vec![Contig {
            id: "a".into(),
            seq: b"ACGTACGT".to_vec(),
        }];
        let ab = Abundance {
            samples: vec!["s".into()],
            ids: vec!["z".into()],
            values: vec![1.0],
        };
        assert!(matches!(
            build_features(&contigs, Some(&ab)),
            Err(Error::Mismatch(_))
        ));
    }

    #[test]
    fn zero_depth_sample_is_a_mismatch() {
        let contigs = vec![Contig {
            id: "a".into(),
            seq: b"ACGTACGT".to_vec(),
        }];
        let ab = Abundance {
            samples: vec!["s".into(), "t".into()],
            ids: vec!["a".into()],
            values: vec![1.0, 0.0],
        };
        assert!(
            matches!(build_features(&contigs, Some(&ab)), Err(Error::Mismatch(m)) if m.contains("'t'"))
        );
    }
}
