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

#[cfg(feature = "parallel")]
mod stream;
#[cfg(feature = "parallel")]
pub use stream::{
    tnf_of_fasta, tnf_of_fasta_in_blocks, tnf_of_file, tnf_of_slice, DEFAULT_BLOCK_BYTES,
};

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

/// Columns of [`KERNEL`] rounded up to whole 16-lane vectors.
#[cfg(target_arch = "x86_64")]
const N_PADDED: usize = 112;

/// [`KERNEL`] with zero columns 103..112, so that a row is 13 aligned 8-lane
/// loads or 7 aligned 16-lane ones.
#[cfg(target_arch = "x86_64")]
#[repr(align(64))]
struct PaddedKernel([[f32; N_PADDED]; 256]);

#[cfg(target_arch = "x86_64")]
static KERNEL_PADDED: PaddedKernel = {
    let mut k = [[0f32; N_PADDED]; 256];
    let mut i = 0;
    while i < 256 {
        let mut j = 0;
        while j < N_TNF {
            k[i][j] = KERNEL[i][j];
            j += 1;
        }
        i += 1;
    }
    PaddedKernel(k)
};

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

/// Code of a raw FASTA sequence byte for [`raw_kmer_counts`]: A/C/G/T/U
/// (either case) 0..=3, any other IUPAC code [`BREAK`], line breaks and blanks
/// [`SKIP`] (dropped, as `fasta::clean_sequence` drops them), anything else
/// `BAD` (it also breaks the run). Built from the FASTA reader's own table so
/// both accept the same bytes.
const fn make_raw_table() -> [u8; 256] {
    let clean = crate::fasta::make_clean_table();
    let code = make_code_table();
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match clean[i] {
            crate::fasta::SKIP => SKIP,
            crate::fasta::BAD => BAD,
            c => code[c as usize],
        };
        i += 1;
    }
    t
}

/// A code that breaks the 4-mer run (any code ≥ 4 does).
const BREAK: u8 = 4;
const SKIP: u8 = 8;
const BAD: u8 = BREAK | 16;

static RAW: [u8; 256] = make_raw_table();

/// Codes handled per flush (the codes and their pair indices stay in L1).
const BLOCK: usize = 4096;

/// Room for the codes of one flush: up to four carried codes, [`BLOCK`] new
/// ones, and slack for [`count_pairs`]' two-code words.
const CODES: usize = BLOCK + 8;

/// Bins of the pair histogram. Windows (4-mers) are counted two at a time: the
/// windows at 2m and 2m + 1 are one 5-mer when both are 4-mers (bins
/// 0..1024, index = first 4-mer · 4 + last base); when only one is, that
/// 4-mer's bin in [`FIRST_ONLY`] or [`SECOND_ONLY`]; when neither, [`NEITHER`].
/// One store per two bases instead of one per base; [`sum_tables`]
/// marginalises the bins back to the 256 4-mer counts.
const PAIR_BINS: usize = 1537;
const FIRST_ONLY: u16 = 1024;
const SECOND_ONLY: u16 = 1280;
const NEITHER: u16 = 1536;

/// Two pair histograms, alternating pair by pair, so that runs of one 5-mer
/// (poly-A…) do not serialise on one counter.
type Tables = [[u32; PAIR_BINS]; 2];

/// Codes, 2-aligned so that pairs of codes read as little-endian `u16` words.
#[repr(C, align(64))]
struct Codes([u8; CODES]);

impl Codes {
    /// `w[m] = codes[2m] | codes[2m + 1] << 8`.
    #[inline(always)]
    fn words(&self) -> &[u16] {
        // SAFETY: the array is 64-byte aligned and CODES is even; u16 has no
        // invalid bit patterns. The words are little-endian by construction
        // and converted with `u16::from_le` where they are read.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u16>(), CODES / 2) }
    }
}

/// Counts the first `2 · pairs` windows of `codes` (window i = codes i..i + 4,
/// every code < 4 a base, anything else breaks the window) into the pair
/// histogram. Two passes over L1-resident data: the bin of every pair, built
/// from three overlapping words without a loop-carried dependency, which
/// vectorises; then the histogram.
#[inline(always)]
fn count_pairs(codes: &Codes, pairs: usize, idx: &mut [u16; BLOCK / 2 + 1], t: &mut Tables) {
    let w = codes.words();
    let (w0, w1, w2) = (&w[..pairs], &w[1..pairs + 1], &w[2..pairs + 2]);
    let idx = &mut idx[..pairs];
    for m in 0..pairs {
        let (x0, x1, x2) = (
            u16::from_le(w0[m]),
            u16::from_le(w1[m]),
            u16::from_le(w2[m]),
        );
        // the pair's five codes: a b = x0, c d = x1, e = the low byte of x2
        let k = (x0 & 3) << 8 | (x0 >> 8 & 3) << 6 | (x1 & 3) << 4 | (x1 >> 8 & 3) << 2 | x2 & 3;
        let first_ok = (x0 | x1) & 0xfcfc == 0;
        let second_ok = (x0 >> 8 | x1 | x2 << 8) & 0xfcfc == 0;
        idx[m] = match (first_ok, second_ok) {
            (true, true) => k,
            (true, false) => FIRST_ONLY + (k >> 2),
            (false, true) => SECOND_ONLY + (k & 255),
            (false, false) => NEITHER,
        };
    }
    let mut two = idx.chunks_exact(2);
    // SAFETY (the unchecked indexing): every bin was set just above to at
    // most NEITHER < PAIR_BINS
    for q in &mut two {
        unsafe {
            *t[0].get_unchecked_mut(q[0] as usize) += 1;
            *t[1].get_unchecked_mut(q[1] as usize) += 1;
        }
    }
    for &k in two.remainder() {
        t[0][k as usize] += 1;
    }
}

/// The 256 4-mer counts of the pair histograms: a 4-mer is the first or the
/// second window of a 5-mer, or a window counted alone.
fn sum_tables(t: &Tables) -> [u32; 256] {
    let mut h = [0u32; PAIR_BINS];
    for ((h, &a), &b) in h.iter_mut().zip(&t[0]).zip(&t[1]) {
        *h = a + b;
    }
    let (five, rest) = h.split_at(1024);
    let mut out = [0u32; 256];
    for (x, o) in out.iter_mut().enumerate() {
        let first = five[4 * x] + five[4 * x + 1] + five[4 * x + 2] + five[4 * x + 3];
        let second = five[x] + five[256 + x] + five[512 + x] + five[768 + x];
        *o = first + second + rest[x] + rest[256 + x];
    }
    out
}

/// Counts the 256 4-mers of `seq` (index: A,C,G,T = 0..3, first base most
/// significant; U counts as T), skipping every 4-mer that contains another byte.
pub fn kmer_counts(seq: &[u8]) -> [u32; 256] {
    let mut c = RawCounter::new();
    for chunk in seq.chunks(BLOCK) {
        let n = chunk.len();
        c.reserve(n);
        for (d, &b) in c.codes.0[c.j..c.j + n].iter_mut().zip(chunk) {
            *d = CODE[b as usize];
        }
        c.j += n;
    }
    c.counts().0
}

/// 4-mer counts and length of a raw FASTA sequence (line breaks, `\r`,
/// blanks and lower case as the file has them) in one pass: equal to
/// [`kmer_counts`] and the length of the sequence the FASTA reader cleans from
/// these bytes. On a byte outside the IUPAC alphabet, returns the first one.
pub fn raw_kmer_counts(raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
    RawCounter::new().count(raw)
}

/// [`raw_kmer_counts`] through the table only (any CPU).
#[cfg(test)]
fn raw_kmer_counts_scalar(raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
    let mut c = RawCounter::new();
    c.push_scalar(raw);
    c.finish(raw)
}

/// Codes of a sequence collected flush by flush and counted in pairs of windows.
pub(crate) struct RawCounter {
    t: Tables,
    /// `codes[..carry]` are the codes carried over from the previous flush
    /// (three, or four when a window was left without a partner); at the start
    /// of a sequence, three that break every window.
    codes: Codes,
    idx: [u16; BLOCK / 2 + 1],
    /// Next free position in `codes`.
    j: usize,
    carry: usize,
    len: usize,
    /// OR of the codes of the bytes that went through the table.
    seen: u8,
}

impl RawCounter {
    pub(crate) fn new() -> Self {
        Self {
            t: [[0; PAIR_BINS]; 2],
            codes: Codes([BREAK; CODES]),
            idx: [0; BLOCK / 2 + 1],
            j: 3,
            carry: 3,
            len: 0,
            seen: 0,
        }
    }

    /// Forgets the previous sequence.
    #[inline(always)]
    fn reset(&mut self) {
        self.t = [[0; PAIR_BINS]; 2];
        self.codes.0[..3].fill(BREAK);
        (self.j, self.carry, self.len, self.seen) = (3, 3, 0, 0);
    }

    /// Counts the collected windows in pairs and carries the rest over.
    #[inline(always)]
    fn flush(&mut self) {
        let pairs = (self.j - 3) / 2;
        count_pairs(&self.codes, pairs, &mut self.idx, &mut self.t);
        self.len += self.j - self.carry;
        self.codes.0.copy_within(2 * pairs..self.j, 0);
        self.j -= 2 * pairs;
        self.carry = self.j;
    }

    /// Makes room for `m` ≤ [`BLOCK`] more codes.
    #[inline(always)]
    fn reserve(&mut self, m: usize) {
        if self.j + m > BLOCK + 4 {
            self.flush();
        }
    }

    /// Appends the codes of `raw` through the table; blanks are dropped without
    /// a branch (the write position only advances past kept bytes).
    #[inline(always)]
    fn push_scalar(&mut self, raw: &[u8]) {
        for piece in raw.chunks(BLOCK) {
            self.reserve(piece.len());
            let mut j = self.j;
            let mut seen = 0u8;
            for &b in piece {
                let c = RAW[b as usize];
                seen |= c;
                self.codes.0[j] = c;
                j += (c != SKIP) as usize;
            }
            self.j = j;
            self.seen |= seen;
        }
    }

    /// [`raw_kmer_counts`] of `raw` with this counter's buffers (a reader
    /// reuses one counter for all its contigs).
    fn count(&mut self, raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
        self.reset();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has the feature the function is compiled for.
            return unsafe { simd::count_avx2(self, raw) };
        }
        self.push_scalar(raw);
        self.finish(raw)
    }

    /// The 4-mer counts and length of the sequence collected so far.
    #[inline(always)]
    fn counts(&mut self) -> ([u32; 256], usize) {
        self.flush();
        if self.j == 4 {
            // one window without a partner
            let c = &self.codes.0[..4];
            let k = (c[0] as u16) << 6 | (c[1] as u16) << 4 | (c[2] as u16) << 2 | c[3] as u16;
            let bin = if (c[0] | c[1] | c[2] | c[3]) >= BREAK {
                NEITHER
            } else {
                FIRST_ONLY + k
            };
            self.t[0][bin as usize] += 1;
        }
        (sum_tables(&self.t), self.len)
    }

    #[inline(always)]
    fn finish(&mut self, raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
        let counts = self.counts();
        if self.seen & BAD == BAD {
            // BAD is the only code with bit 4 set
            if let Some(&b) = raw.iter().find(|&&b| RAW[b as usize] == BAD) {
                return Err(b);
            }
        }
        Ok(counts)
    }

    /// Ends a record of [`records_tnf`]: its TNF goes to `out`; false when a
    /// byte was outside the IUPAC alphabet or the sequence is empty.
    #[cfg(feature = "parallel")]
    #[inline(always)]
    fn close(&mut self, id: String, out: &mut Records) -> bool {
        let (counts, len) = self.counts();
        if self.seen & BAD == BAD || len == 0 {
            return false;
        }
        out.rows.push((id, len, [0.0; N_TNF]));
        out.counts.push(counts);
        true
    }
}

/// Raw TNF (id, length, TNF) of every record of FASTA text in memory that
/// starts with `>`, appended to `out`, in one pass over its lines and without
/// copying a byte; unless the text ends the input (`cut_before_record`), its
/// last byte is the `>` of a record that belongs to what follows.
///
/// This is the fast path of the block reader. It returns false — `out` then
/// holds an unspecified prefix — on anything but plain records with an id and
/// a non-empty sequence of IUPAC codes (an empty or non-UTF-8 id, a byte
/// outside the alphabet, a header without a line break, an empty record);
/// the caller then reads the text with the FASTA reader (needletail), which
/// reports exactly what is wrong and where. A stream test checks that both
/// give the same contigs.
#[cfg(feature = "parallel")]
pub(crate) fn records_tnf(
    data: &[u8],
    cut_before_record: bool,
    c: &mut RawCounter,
    out: &mut Vec<(String, usize, [f32; N_TNF])>,
) -> bool {
    let mut records = Records {
        rows: std::mem::take(out),
        counts: Vec::new(),
    };
    let first = records.rows.len();
    let ok = records_on(Isa::best(), data, cut_before_record, c, &mut records);
    *out = records.rows;
    if ok {
        project_many(&records.counts, out[first..].iter_mut().map(|r| &mut r.2));
    }
    ok
}

/// The instruction sets the fast reader has code for.
#[cfg(feature = "parallel")]
#[derive(Debug, Clone, Copy, PartialEq)]
enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

#[cfg(feature = "parallel")]
impl Isa {
    /// The best this CPU has.
    fn best() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512bw") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }

    /// Every one this CPU has (tests run each).
    #[cfg(test)]
    fn available() -> Vec<Self> {
        let mut all = vec![Isa::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                all.push(Isa::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512bw") {
                all.push(Isa::Avx512);
            }
        }
        all
    }
}

/// [`records_with`] compiled for `isa`, which the CPU must have.
#[cfg(feature = "parallel")]
fn records_on(
    isa: Isa,
    data: &[u8],
    cut_before_record: bool,
    c: &mut RawCounter,
    out: &mut Records,
) -> bool {
    match isa {
        Isa::Scalar => records_with(
            data,
            cut_before_record,
            c,
            out,
            |c, line| c.push_scalar(line),
            |_, _| false,
        ),
        // SAFETY (both): Isa::best and Isa::available only name what the CPU has
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { simd::records_avx2(data, cut_before_record, c, out) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { simd::records_avx512(data, cut_before_record, c, out) },
    }
}

/// What [`records_tnf`] collects: the rows, their TNF still to be projected
/// from the counts (all at once, see [`project_many`]).
#[cfg(feature = "parallel")]
pub(crate) struct Records {
    rows: Vec<(String, usize, [f32; N_TNF])>,
    counts: Vec<[u32; 256]>,
}

/// How far ahead of the line being read the fast reader prefetches (bytes):
/// two pages, so the next page's mapping and first line are on their way.
#[cfg(all(feature = "parallel", target_arch = "x86_64"))]
const PREFETCH: usize = 8192;

/// [`records_tnf`] with `push` appending one line's codes to the counter and
/// `try_push` doing so only when the whole line is A/C/G/T/U (else it leaves
/// the counter as it was and says false).
///
/// Most sequence lines have the length of the one before: when the byte at
/// that distance is the line break and `try_push` takes the line (which proves
/// that it holds no other line break), no search for the line's end is needed.
#[cfg(feature = "parallel")]
#[inline(always)]
fn records_with(
    data: &[u8],
    cut_before_record: bool,
    c: &mut RawCounter,
    out: &mut Records,
    mut push: impl FnMut(&mut RawCounter, &[u8]),
    mut try_push: impl FnMut(&mut RawCounter, &[u8]) -> bool,
) -> bool {
    let n = data.len();
    if data.first() != Some(&b'>') {
        return false;
    }
    let mut id: Option<String> = None;
    let mut start = 0;
    // the last sequence line's length without and with its line break
    let (mut width, mut step) = (0usize, 0usize);
    while start < n {
        if data[start] == b'>' {
            if let Some(done) = id.take() {
                if !c.close(done, out) {
                    return false;
                }
            }
            let Some(e) = memchr::memchr(b'\n', &data[start..]) else {
                // a header without a line break is only the next text's '>'
                return cut_before_record && start + 1 == n;
            };
            match crate::fasta::contig_id(&data[start + 1..start + e]) {
                Ok(s) => id = Some(s.to_string()),
                Err(_) => return false,
            }
            c.reset();
            start += e + 1;
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch never faults, whatever the address
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().wrapping_add(start + PREFETCH) as *const i8);
        }
        let end = start + step;
        if step > 0
            && end <= n
            && data[end - 1] == b'\n'
            && (step == width + 1 || data[start + width] == b'\r')
            && try_push(c, &data[start..start + width])
        {
            start = end;
            continue;
        }
        let e = memchr::memchr(b'\n', &data[start..]).map_or(n, |e| start + e);
        let line = &data[start..e];
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        push(c, body);
        (width, step) = (body.len(), e + 1 - start);
        start = e + 1;
    }
    !cut_before_record && id.is_some_and(|done| c.close(done, out))
}

/// AVX2 codes for the common case: a line made of A/C/G/T/U only.
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{RawCounter, BLOCK};
    use std::arch::x86_64::*;

    /// The body of a `try_piece`: codes one piece (16..=[`BLOCK`] bytes) into
    /// the counter when all are A/C/G/T/U, `$code` coding `$m` bytes from
    /// `$src` to `$dst`. Whether they were; if not, the counter is as before
    /// (codes past its end are scratch). A macro, not a function taking a
    /// closure, so that the coding is inlined into each instruction set's code.
    macro_rules! try_piece_with {
        ($c:expr, $piece:expr, |$src:ident, $dst:ident, $m:ident| $code:expr) => {{
            let (c, piece): (&mut RawCounter, &[u8]) = ($c, $piece);
            let $m = piece.len();
            if !(16..=BLOCK).contains(&$m) {
                return false;
            }
            c.reserve($m);
            // SAFETY (all pointer offsets): every load is inside `piece`, every
            // store inside codes[j..j + m], and j + m <= BLOCK + 4 after `reserve`.
            let ($src, $dst) = (piece.as_ptr(), c.codes.0.as_mut_ptr().add(c.j));
            let ok = $code;
            if ok {
                c.j += $m;
            }
            ok
        }};
    }

    /// Codes of 32 bytes at `src` (A,C,G,T/U → 0..3, anything else 4) stored
    /// at `dst`; whether all 32 were A/C/G/T/U. The code is the ASCII letter's
    /// bits 1–2 (A 0, C 1, G 3, T/U 2) with the last two swapped (x ^ x>>1).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn code32(src: *const u8, dst: *mut u8) -> bool {
        let v = _mm256_loadu_si256(src as *const __m256i);
        let lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        let is = |c: u8| _mm256_cmpeq_epi8(lower, _mm256_set1_epi8(c as i8));
        let valid = _mm256_or_si256(
            _mm256_or_si256(
                _mm256_or_si256(is(b'a'), is(b'c')),
                _mm256_or_si256(is(b'g'), is(b't')),
            ),
            is(b'u'),
        );
        let x = _mm256_and_si256(_mm256_srli_epi16(v, 1), _mm256_set1_epi8(3));
        let code = _mm256_xor_si256(
            x,
            _mm256_and_si256(_mm256_srli_epi16(x, 1), _mm256_set1_epi8(1)),
        );
        _mm256_storeu_si256(
            dst as *mut __m256i,
            _mm256_blendv_epi8(_mm256_set1_epi8(4), code, valid),
        );
        _mm256_movemask_epi8(valid) == -1
    }

    /// As [`code32`] for 16 bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn code16(src: *const u8, dst: *mut u8) -> bool {
        let v = _mm_loadu_si128(src as *const __m128i);
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let is = |c: u8| _mm_cmpeq_epi8(lower, _mm_set1_epi8(c as i8));
        let valid = _mm_or_si128(
            _mm_or_si128(
                _mm_or_si128(is(b'a'), is(b'c')),
                _mm_or_si128(is(b'g'), is(b't')),
            ),
            is(b'u'),
        );
        let x = _mm_and_si128(_mm_srli_epi16(v, 1), _mm_set1_epi8(3));
        let code = _mm_xor_si128(x, _mm_and_si128(_mm_srli_epi16(x, 1), _mm_set1_epi8(1)));
        _mm_storeu_si128(
            dst as *mut __m128i,
            _mm_blendv_epi8(_mm_set1_epi8(4), code, valid),
        );
        _mm_movemask_epi8(valid) == 0xffff
    }

    /// As [`code32`] for 64 bytes, with AVX-512BW.
    #[cfg(feature = "parallel")]
    #[inline]
    #[target_feature(enable = "avx512bw")]
    unsafe fn code64(src: *const u8, dst: *mut u8) -> bool {
        let v = _mm512_loadu_si512(src.cast());
        let lower = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
        let is = |c: u8| _mm512_cmpeq_epi8_mask(lower, _mm512_set1_epi8(c as i8));
        let valid = is(b'a') | is(b'c') | is(b'g') | is(b't') | is(b'u');
        let x = _mm512_and_si512(_mm512_srli_epi16(v, 1), _mm512_set1_epi8(3));
        let code = _mm512_xor_si512(
            x,
            _mm512_and_si512(_mm512_srli_epi16(x, 1), _mm512_set1_epi8(1)),
        );
        _mm512_storeu_si512(
            dst.cast(),
            _mm512_mask_blend_epi8(valid, _mm512_set1_epi8(4), code),
        );
        valid == u64::MAX
    }

    /// [`try_piece`] with 64-byte vectors (AVX-512BW); the counting it
    /// triggers is compiled for AVX-512 too.
    #[cfg(feature = "parallel")]
    #[inline]
    #[target_feature(enable = "avx512bw")]
    unsafe fn try_piece512(c: &mut RawCounter, piece: &[u8]) -> bool {
        try_piece_with!(c, piece, |src, dst, m| if m >= 64 {
            code_vectors(src, dst, m, 64, |s, d| code64(s, d))
        } else if m >= 32 {
            code_vectors(src, dst, m, 32, |s, d| code32(s, d))
        } else {
            code_vectors(src, dst, m, 16, |s, d| code16(s, d))
        })
    }

    /// [`super::records_tnf`] with the lines coded and counted by AVX-512.
    #[cfg(feature = "parallel")]
    #[target_feature(enable = "avx512bw")]
    pub(super) unsafe fn records_avx512(
        data: &[u8],
        cut_before_record: bool,
        c: &mut RawCounter,
        out: &mut super::Records,
    ) -> bool {
        // SAFETY (both closures): only called from this function, compiled for AVX-512BW
        super::records_with(
            data,
            cut_before_record,
            c,
            out,
            |c, line| unsafe {
                for piece in line.chunks(BLOCK) {
                    if !try_piece512(c, piece) {
                        c.push_scalar(piece);
                    }
                }
            },
            |c, line| unsafe { try_piece512(c, line) },
        )
    }

    /// Codes of `m` ≥ `w` bytes at `src` to `dst` by `code`, `w` bytes at a
    /// time, the last vector overlapping the previous (it rewrites the same
    /// codes); whether all were A/C/G/T/U.
    #[inline(always)]
    unsafe fn code_vectors(
        src: *const u8,
        dst: *mut u8,
        m: usize,
        w: usize,
        code: impl Fn(*const u8, *mut u8) -> bool,
    ) -> bool {
        let mut ok = true;
        let mut k = 0;
        while k + w <= m {
            ok &= code(src.add(k), dst.add(k));
            k += w;
        }
        if k < m {
            ok &= code(src.add(m - w), dst.add(m - w));
        }
        ok
    }

    /// [`try_piece_with`] in 32-byte vectors (16 below 32 bytes).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn try_piece(c: &mut RawCounter, piece: &[u8]) -> bool {
        try_piece_with!(c, piece, |src, dst, m| if m >= 32 {
            code_vectors(src, dst, m, 32, |s, d| code32(s, d))
        } else {
            code_vectors(src, dst, m, 16, |s, d| code16(s, d))
        })
    }

    /// Codes of one piece (≤ [`BLOCK`] bytes, no line break) into the counter:
    /// [`try_piece`], or any other byte sends the piece through the table.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn push_piece(c: &mut RawCounter, piece: &[u8]) {
        if !try_piece(c, piece) {
            c.push_scalar(piece);
        }
    }

    /// [`RawCounter::count`] with AVX2: line by line (memchr), each line
    /// without its `\r` coded 32 bytes at a time, counted by the shared code
    /// compiled for AVX2 (16 window indices per instruction), the last block's
    /// too (`finish` is inlined here).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn count_avx2(
        c: &mut RawCounter,
        raw: &[u8],
    ) -> std::result::Result<([u32; 256], usize), u8> {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', raw).chain(std::iter::once(raw.len())) {
            let line = &raw[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            push_line(c, line);
            start = end + 1;
        }
        c.finish(raw)
    }

    /// The codes of one line (no line break) into the counter.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn push_line(c: &mut RawCounter, line: &[u8]) {
        for piece in line.chunks(BLOCK) {
            push_piece(c, piece);
        }
    }

    /// [`super::records_tnf`] with the lines coded by AVX2.
    #[cfg(feature = "parallel")]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn records_avx2(
        data: &[u8],
        cut_before_record: bool,
        c: &mut RawCounter,
        out: &mut super::Records,
    ) -> bool {
        // SAFETY (both closures): only called from this function, compiled for AVX2
        super::records_with(
            data,
            cut_before_record,
            c,
            out,
            |c, line| unsafe { push_line(c, line) },
            |c, line| unsafe { try_piece(c, line) },
        )
    }
}

/// Clears the lowest `bits` mantissa bits, as vamb's `mask_lower_bits`.
fn mask_lower_bits(x: f32, bits: u32) -> f32 {
    f32::from_bits(x.to_bits() & !((1u32 << bits) - 1))
}

/// Projects 4-mer counts onto vamb's 103 dimensions
/// (`Composition._project` followed by `mask_lower_bits(·, 12)`).
pub fn project(counts: &[u32; 256]) -> [f32; N_TNF] {
    #[cfg(target_arch = "aarch64")]
    {
        // every aarch64 CPU has a fused multiply-add
        project_with(counts, |f, k, a| f.mul_add(k, a))
    }
    #[cfg(not(target_arch = "aarch64"))]
    {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { project_fma_avx2(counts) };
        }
        project_emulated(counts)
    }
}

/// [`project`] of many count vectors, into `out` in order; the same bits.
/// With AVX-512, four contigs share each pass over the kernel (115 KB, more
/// than L1 holds): four times fewer kernel loads, and 28 independent 16-lane
/// sums. (One contig in 16-lane vectors was no faster than in 8-lane ones:
/// it waits on the kernel's loads and the latency of its 7 sums.)
pub fn project_many<'a>(
    counts: &[[u32; 256]],
    out: impl IntoIterator<Item = &'a mut [f32; N_TNF]>,
) {
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut out = out.into_iter();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        let mut fours = counts.chunks_exact(4);
        for four in &mut fours {
            // SAFETY: the CPU has the feature the function is compiled for.
            let t = unsafe { project4_avx512([&four[0], &four[1], &four[2], &four[3]]) };
            for t in t {
                if let Some(o) = out.next() {
                    *o = t;
                }
            }
        }
        for (c, o) in fours.remainder().iter().zip(out) {
            *o = project(c);
        }
        return;
    }
    for (c, o) in counts.iter().zip(out) {
        *o = project(c);
    }
}

/// `1 / Σ counts` in f32 (1 for a sequence without 4-mers), as vamb has it.
#[inline(always)]
fn inverse_total(counts: &[u32; 256]) -> f32 {
    let total: u64 = counts.iter().map(|&c| c as u64).sum();
    let s = total as f32;
    1.0f32 / if s == 0.0 { 1.0 } else { s }
}

/// The projection in the order numpy computes it, with `fma(f, k, acc)` as
/// the multiply-add: `f[i] = c[i] · (1/s) − 1/256` in f32, then
/// `acc[j] = fma(f[i], K[i][j], acc[j])` for i = 0..255 in order.
///
/// numpy's float32 dot (OpenBLAS sgemm) accumulates over the 256 4-mers in
/// order with fused multiply-adds; doing the same gives vamb's bits exactly
/// (0 of 6,180 values differ on the golden fixture, against 14 with an f64
/// sum), which matters because the 12-bit masking and z-scoring amplify any
/// difference.
#[inline(always)]
fn project_with(counts: &[u32; 256], fma: impl Fn(f32, f32, f32) -> f32) -> [f32; N_TNF] {
    let inv = inverse_total(counts);
    let mut acc = [0f32; N_TNF];
    for (i, &c) in counts.iter().enumerate() {
        let f = c as f32 * inv + (-1.0f32 / 256.0);
        for (a, &k) in acc.iter_mut().zip(KERNEL[i].iter()) {
            *a = fma(f, k, *a);
        }
    }
    acc.map(|a| mask_lower_bits(a, 12))
}

/// The fma emulated in f64 (the product of two f32 is exact in f64; then one
/// f64 and one f32 rounding), which vectorises on any CPU, unlike
/// `f32::mul_add` without hardware FMA. It can differ from a true fma only
/// when the f64 sum falls exactly halfway between two f32 (double rounding).
#[cfg_attr(target_arch = "aarch64", allow(dead_code))]
fn project_emulated(counts: &[u32; 256]) -> [f32; N_TNF] {
    project_with(counts, |f, k, a| (f as f64 * k as f64 + a as f64) as f32)
}

/// The projection with hardware FMA: the 103 sums live in 13 registers of 8
/// lanes for the whole pass over the 256 rows (about 10× faster than the
/// emulation, which matters for short contigs: 26,368 multiply-adds per
/// contig). Lane by lane it is exactly [`project_with`]'s order and rounding.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn project_fma_avx2(counts: &[u32; 256]) -> [f32; N_TNF] {
    use std::arch::x86_64::*;
    let inv = inverse_total(counts);
    let mut acc = [_mm256_setzero_ps(); N_TNF.div_ceil(8)];
    for (i, &c) in counts.iter().enumerate() {
        let f = _mm256_set1_ps(c as f32 * inv + (-1.0f32 / 256.0));
        let row = KERNEL_PADDED.0[i].as_ptr();
        for (v, a) in acc.iter_mut().enumerate() {
            // SAFETY: row has N_PADDED ≥ 8 × acc.len() floats, 64-byte aligned.
            *a = _mm256_fmadd_ps(f, _mm256_load_ps(row.add(8 * v)), *a);
        }
    }
    let mut out = [0f32; N_PADDED];
    for (v, a) in acc.iter().enumerate() {
        // SAFETY: out has N_PADDED ≥ 8 × acc.len() floats.
        _mm256_storeu_ps(out.as_mut_ptr().add(8 * v), *a);
    }
    masked(&out)
}

/// [`project_fma_avx2`] of four contigs in one pass over the kernel, in 16-lane
/// vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn project4_avx512(counts: [&[u32; 256]; 4]) -> [[f32; N_TNF]; 4] {
    use std::arch::x86_64::*;
    let inv = counts.map(inverse_total);
    const V: usize = N_PADDED / 16;
    let mut acc = [[_mm512_setzero_ps(); V]; 4];
    for (i, row) in KERNEL_PADDED.0.iter().enumerate() {
        let f: [__m512; 4] = std::array::from_fn(|r| {
            _mm512_set1_ps(counts[r][i] as f32 * inv[r] + (-1.0f32 / 256.0))
        });
        for v in 0..V {
            // SAFETY: row has N_PADDED = 16 × V floats, 64-byte aligned.
            let k = _mm512_load_ps(row.as_ptr().add(16 * v));
            for (a, f) in acc.iter_mut().zip(&f) {
                a[v] = _mm512_fmadd_ps(*f, k, a[v]);
            }
        }
    }
    acc.map(|a| {
        let mut out = [0f32; N_PADDED];
        for (v, a) in a.iter().enumerate() {
            // SAFETY: out has 16 × V floats.
            _mm512_storeu_ps(out.as_mut_ptr().add(16 * v), *a);
        }
        masked(&out)
    })
}

/// The first [`N_TNF`] sums with vamb's masking.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masked(sums: &[f32; N_PADDED]) -> [f32; N_TNF] {
    let mut t = [0f32; N_TNF];
    for (d, &x) in t.iter_mut().zip(sums) {
        *d = mask_lower_bits(x, 12);
    }
    t
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

/// Column means and standard deviations over the kept rows, with
/// [`mean_std`]'s arithmetic (the same f64 sums in row order) but row by row,
/// so a pass reads memory in order.
fn column_stats(rows: &[[f32; N_TNF]], keep: &[bool]) -> ([f32; N_TNF], [f32; N_TNF]) {
    let kept = || rows.iter().zip(keep).filter(|(_, &k)| k).map(|(r, _)| r);
    let n = kept().count();
    if n == 0 {
        return ([0.0; N_TNF], [1.0; N_TNF]);
    }
    let mut sum = [0f64; N_TNF];
    for r in kept() {
        for (s, &v) in sum.iter_mut().zip(r) {
            *s += v as f64;
        }
    }
    let mean = sum.map(|s| (s / n as f64) as f32);
    let mut ss = [0f64; N_TNF];
    for r in kept() {
        for ((s, &v), &m) in ss.iter_mut().zip(r).zip(&mean) {
            let d = (v - m) as f64;
            *s += d * d;
        }
    }
    let std = ss.map(|s| {
        let sd = (s / n as f64).sqrt() as f32;
        if sd == 0.0 {
            1.0
        } else {
            sd
        }
    });
    (mean, std)
}

#[inline(always)]
fn zscore_row(row: &mut [f32], mean: &[f32; N_TNF], std: &[f32; N_TNF]) {
    for ((v, &m), &sd) in row.iter_mut().zip(mean).zip(std) {
        *v = (*v - m) / sd;
    }
}

/// Column z-scores over the kept rows ([`column_stats`]), in place.
#[cfg(test)]
fn zscore_columns(rows: &mut [[f32; N_TNF]], keep: &[bool]) {
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
fn for_row_chunks(data: &mut [f32], n_cols: usize, f: impl Fn(&mut [f32]) + Sync + Send) {
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
    fn the_fast_projection_equals_the_emulated_fma_on_the_fixture() {
        for c in fixture_contigs() {
            let counts = kmer_counts(&c.seq);
            let want = project_emulated(&counts);
            assert_eq!(project(&counts), want, "{}", c.id);
            // batched: each of the four slots and the remainder
            for k in 1..=5 {
                let mut batch = vec![counts; k];
                batch[k - 1] = kmer_counts(&c.seq[c.seq.len() / 2..]);
                let mut got = vec![[0f32; N_TNF]; k];
                project_many(&batch, got.iter_mut());
                for (g, b) in got.iter().zip(&batch) {
                    assert_eq!(*g, project_emulated(b), "{} in a batch of {k}", c.id);
                }
            }
            // each vector width this CPU has, not only the one `project` picks
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("avx2")
                {
                    // SAFETY: the CPU has the features.
                    assert_eq!(unsafe { project_fma_avx2(&counts) }, want, "{}", c.id);
                }
            }
        }
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
        fn raw_counts_equal_cleaning_then_counting(raw in proptest::collection::vec(proptest::sample::select(b"ACGTNacgtuRYsw \t\r\n>J\x00\xff".to_vec()), 0..9000)) {
            let mut clean = Vec::new();
            let want = crate::fasta::clean_sequence(&raw, &mut clean).map(|()| (kmer_counts(&clean), clean.len()));
            proptest::prop_assert_eq!(raw_kmer_counts(&raw).map(|(c, n)| (c.to_vec(), n)), want.map(|(c, n)| (c.to_vec(), n)));
        }

        #[test]
        fn raw_counts_of_long_clean_lines_equal_cleaning_then_counting(
            parts in proptest::collection::vec(("[ACGTUacgtu]{0,120}", proptest::sample::select(vec!["\n", "\r\n", "", "N", " ", "\t", "J", "r"])), 0..80)
        ) {
            let raw: Vec<u8> = parts.iter().flat_map(|(a, b)| a.bytes().chain(b.bytes())).collect();
            let mut clean = Vec::new();
            let want = crate::fasta::clean_sequence(&raw, &mut clean).map(|()| (kmer_counts(&clean), clean.len()));
            let want = want.map(|(c, n)| (c.to_vec(), n));
            proptest::prop_assert_eq!(raw_kmer_counts(&raw).map(|(c, n)| (c.to_vec(), n)), want.clone());
            proptest::prop_assert_eq!(raw_kmer_counts_scalar(&raw).map(|(c, n)| (c.to_vec(), n)), want.clone());
            // a reused counter forgets the previous sequence (here a poly-N-ended one)
            let mut counter = RawCounter::new();
            let _ = counter.count(b"ACGTACGGTTACGN\nACG");
            proptest::prop_assert_eq!(counter.count(&raw).map(|(c, n)| (c.to_vec(), n)), want);
        }

        #[test]
        fn row_wise_z_scores_equal_column_wise_ones(
            values in proptest::collection::vec(-5f32..5.0, N_TNF..N_TNF * 40),
            keep_bits in proptest::collection::vec(proptest::bool::ANY, 40),
        ) {
            let mut rows: Vec<[f32; N_TNF]> = values.chunks_exact(N_TNF).map(|c| c.try_into().unwrap()).collect();
            let keep = &keep_bits[..rows.len()];
            let mut want = rows.clone();
            for j in 0..N_TNF {
                let (mean, std) = mean_std(want.iter().zip(keep).filter(|(_, &k)| k).map(|(r, _)| r[j]));
                for r in want.iter_mut() {
                    r[j] = (r[j] - mean) / std;
                }
            }
            zscore_columns(&mut rows, keep);
            let bits = |m: &[[f32; N_TNF]]| m.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&rows), bits(&want));
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
