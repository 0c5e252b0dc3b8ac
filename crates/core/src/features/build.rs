//! Building the matrix: raw TNF accumulated batch by batch, abundances
//! normalised as vamb does, columns z-scored.

use super::*;

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

/// Accumulates raw TNF of contigs batch by batch, so a FASTA can be streamed
/// (memory: 103 floats per contig, sequences are not kept).
#[derive(Debug, Default, Clone)]
pub struct FeatureBuilder {
    pub(super) ids: Vec<String>,
    pub(super) lengths: Vec<usize>,
    pub(super) tnf: Vec<[f32; N_TNF]>,
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

    /// Total length of the contigs so far (bp).
    pub fn bases(&self) -> usize {
        self.lengths.iter().sum()
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
        let keep = statistics_rows(&self.lengths, opts.min_length);
        let (samples, depths) = match abundance {
            Some(a) => (a.samples.clone(), Some(a.aligned_to(&self.ids)?)),
            None => (Vec::new(), None),
        };
        let s = samples.len();
        let n_cols = N_TNF + if s > 0 { s + 1 } else { 0 };

        // TNF: column z-scores over kept rows, in place when they are all
        // the columns (no second matrix to allocate and fill)
        let (mean, std) = column_stats(&self.tnf, &keep);
        let mut data = if s == 0 {
            self.tnf.into_flattened()
        } else {
            let mut data = vec![0f32; n * n_cols];
            for (row, t) in data.chunks_exact_mut(n_cols).zip(&self.tnf) {
                row[..N_TNF].copy_from_slice(t);
            }
            data
        };
        for_row_chunks(&mut data, n_cols, |rows| {
            for row in rows.chunks_exact_mut(n_cols) {
                zscore_row(&mut row[..N_TNF], &mean, &std);
            }
        });

        if let Some(mut d) = depths {
            let log_total = normalise_depths(&mut d, s, &keep, &samples)?;
            for (i, row) in data.chunks_exact_mut(n_cols).enumerate() {
                row[N_TNF..N_TNF + s].copy_from_slice(&d[i * s..(i + 1) * s]);
                row[N_TNF + s] = log_total[i];
            }
        }

        Ok(FeatureMatrix {
            ids: self.ids,
            lengths: self.lengths,
            n_samples: s,
            columns: feature_columns(&samples),
            data,
        })
    }
}

/// The rows that give the normalisation statistics: contigs of at least
/// `min_length` bp, or every contig when none is that long (vamb would
/// stop; we take statistics over all contigs).
pub fn statistics_rows(lengths: &[usize], min_length: usize) -> Vec<bool> {
    let keep: Vec<bool> = lengths.iter().map(|&l| l >= min_length).collect();
    if keep.iter().any(|&k| k) {
        keep
    } else {
        vec![true; lengths.len()]
    }
}

/// Column names of a feature matrix with these abundance samples.
fn feature_columns(samples: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = (0..N_TNF).map(|i| format!("tnf{i}")).collect();
    if !samples.is_empty() {
        columns.extend(samples.iter().cloned());
        columns.push("log_abundance".to_string());
    }
    columns
}

/// The TNF column statistics of [`FeatureBuilder::finish`] gathered over
/// rows that are not held together (a FASTA streamed twice): the sums of
/// the first pass ([`TnfMoments::add`]) give the means, the squared
/// deviations from them of the second ([`TnfMoments::add_deviation`]) the
/// standard deviations — the same f64 sums in row order as for a matrix,
/// so both give the same bits.
#[derive(Debug, Clone)]
pub struct TnfMoments {
    n: usize,
    sum: [f64; N_TNF],
    mean: Option<[f32; N_TNF]>,
    ss: [f64; N_TNF],
}

impl Default for TnfMoments {
    fn default() -> Self {
        TnfMoments {
            n: 0,
            sum: [0.0; N_TNF],
            mean: None,
            ss: [0.0; N_TNF],
        }
    }
}

impl TnfMoments {
    /// First pass: one row's raw TNF.
    pub fn add(&mut self, row: &[f32; N_TNF]) {
        debug_assert!(self.mean.is_none(), "add after add_deviation");
        self.n += 1;
        for (s, &v) in self.sum.iter_mut().zip(row) {
            *s += v as f64;
        }
    }

    /// Rows added in the first pass.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The column means of the first pass.
    pub fn mean(&mut self) -> [f32; N_TNF] {
        let n = self.n.max(1) as f64;
        *self
            .mean
            .get_or_insert_with(|| self.sum.map(|s| (s / n) as f32))
    }

    /// Second pass: the same rows again, in the same order.
    pub fn add_deviation(&mut self, row: &[f32; N_TNF]) {
        let mean = self.mean();
        for ((s, &v), &m) in self.ss.iter_mut().zip(row).zip(&mean) {
            let d = (v - m) as f64;
            *s += d * d;
        }
    }

    /// Means and population standard deviations (a deviation of 0 becomes
    /// 1, vamb's `zscore`); zeros and ones with no row.
    pub fn mean_std(&mut self) -> ([f32; N_TNF], [f32; N_TNF]) {
        if self.n == 0 {
            return ([0.0; N_TNF], [1.0; N_TNF]);
        }
        let n = self.n as f64;
        let std = self.ss.map(|s| {
            let sd = (s / n).sqrt() as f32;
            if sd == 0.0 {
                1.0
            } else {
                sd
            }
        });
        (self.mean(), std)
    }
}

/// [`FeatureBuilder::finish`]'s normalisation for rows built one at a time
/// (annotation in constant memory): TNF z-scored with statistics from
/// [`TnfMoments`], then the depth-normalised abundances and the z-scored log
/// total abundance of the row. Holds the abundance table (n × samples), not
/// the TNF.
#[derive(Debug, Clone)]
pub struct RowNormaliser {
    mean: [f32; N_TNF],
    std: [f32; N_TNF],
    samples: Vec<String>,
    depths: Vec<f32>,
    log_total: Vec<f32>,
}

impl RowNormaliser {
    /// `ids` and `keep` ([`statistics_rows`]) of every row, in order.
    ///
    /// # Errors
    /// As [`FeatureBuilder::finish`]: a contig missing from `abundance`, a
    /// sample with zero depth over the kept rows.
    pub fn new(
        moments: &mut TnfMoments,
        ids: &[String],
        keep: &[bool],
        abundance: Option<&Abundance>,
    ) -> Result<Self> {
        let (mean, std) = moments.mean_std();
        let (samples, depths, log_total) = match abundance {
            Some(a) => {
                let mut d = a.aligned_to(ids)?;
                let lt = normalise_depths(&mut d, a.samples.len(), keep, &a.samples)?;
                (a.samples.clone(), d, lt)
            }
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        Ok(RowNormaliser {
            mean,
            std,
            samples,
            depths,
            log_total,
        })
    }

    /// Abundance samples (0: TNF only).
    pub fn n_samples(&self) -> usize {
        self.samples.len()
    }

    /// Column names, as the matrix's.
    pub fn columns(&self) -> Vec<String> {
        feature_columns(&self.samples)
    }

    /// Appends row `i`'s features, from its raw TNF, to `out`.
    pub fn push_row(&self, i: usize, tnf: &[f32; N_TNF], out: &mut Vec<f32>) {
        let at = out.len();
        out.extend_from_slice(tnf);
        zscore_row(&mut out[at..], &self.mean, &self.std);
        let s = self.samples.len();
        if s > 0 {
            out.extend_from_slice(&self.depths[i * s..(i + 1) * s]);
            out.push(self.log_total[i]);
        }
    }
}

/// Mean and population standard deviation over the kept values, as f32
/// (vamb's `zscore`: a standard deviation of 0 becomes 1).
pub(super) fn mean_std(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
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

/// Column means and standard deviations over the kept rows, with
/// [`mean_std`]'s arithmetic (the same f64 sums in row order) but row by row,
/// so a pass reads memory in order.
pub(super) fn column_stats(rows: &[[f32; N_TNF]], keep: &[bool]) -> ([f32; N_TNF], [f32; N_TNF]) {
    let kept = || rows.iter().zip(keep).filter(|(_, &k)| k).map(|(r, _)| r);
    let mut m = TnfMoments::default();
    kept().for_each(|r| m.add(r));
    if !m.is_empty() {
        kept().for_each(|r| m.add_deviation(r));
    }
    m.mean_std()
}

#[inline(always)]
pub(super) fn zscore_row(row: &mut [f32], mean: &[f32; N_TNF], std: &[f32; N_TNF]) {
    for ((v, &m), &sd) in row.iter_mut().zip(mean).zip(std) {
        *v = (*v - m) / sd;
    }
}

/// Column z-scores over the kept rows ([`column_stats`]), in place.
#[cfg(test)]
pub(super) fn zscore_columns(rows: &mut [[f32; N_TNF]], keep: &[bool]) {
    if !keep.iter().any(|&k| k) {
        return;
    }
    let (mean, std) = column_stats(rows, keep);
    for r in rows.iter_mut() {
        zscore_row(r, &mean, &std);
    }
}

/// `f` on consecutive chunks of whole rows of `data` (rows of `n_cols`), on
/// rayon's pool with the `parallel` feature; row by row the work is the same.
pub(super) fn for_row_chunks(
    data: &mut [f32],
    n_cols: usize,
    f: impl Fn(&mut [f32]) + Sync + Send,
) {
    let chunk = n_cols * 2048;
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(chunk).for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    data.chunks_mut(chunk).for_each(f);
}

/// vamb 5 `make_dataloader` on the depth matrix `d` (n × s, in place):
/// returns the z-scored log total abundance per row.
pub(super) fn normalise_depths(
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
        // fixed-order ln: the browser's features equal the CLI's bit for bit
        *lt = crate::fmath::ln_f32(total.max(0.001));
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
