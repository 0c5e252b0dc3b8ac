//! 4-mer counting: code tables, the pair counter, the raw-byte counter and
//! the block reader's fast record parser (scalar, AVX2, AVX-512).

#[cfg(target_arch = "x86_64")]
use super::simd;
#[cfg(feature = "parallel")]
use super::{project_many, N_TNF};

/// 2-bit code of a base; 4 for anything but A/C/G/T/U (either case; U counts
/// as T), as in vambcore 0.1.2, the counting core of vamb 5.
pub(super) const fn make_code_table() -> [u8; 256] {
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

pub(super) static CODE: [u8; 256] = make_code_table();

/// Code of a raw FASTA sequence byte for [`raw_kmer_counts`]: A/C/G/T/U
/// (either case) 0..=3, any other IUPAC code [`BREAK`], line breaks and blanks
/// [`SKIP`] (dropped, as `fasta::clean_sequence` drops them), anything else
/// `BAD` (it also breaks the run). Built from the FASTA reader's own table so
/// both accept the same bytes.
pub(super) const fn make_raw_table() -> [u8; 256] {
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
pub(super) const BREAK: u8 = 4;
pub(super) const SKIP: u8 = 8;
pub(super) const BAD: u8 = BREAK | 16;

pub(super) static RAW: [u8; 256] = make_raw_table();

/// Codes handled per flush (the codes and their pair indices stay in L1).
pub(super) const BLOCK: usize = 4096;

/// Room for the codes of one flush: up to four carried codes, [`BLOCK`] new
/// ones, and slack for [`count_pairs`]' two-code words.
pub(super) const CODES: usize = BLOCK + 8;

/// Bins of the pair histogram. Windows (4-mers) are counted two at a time: the
/// windows at 2m and 2m + 1 are one 5-mer when both are 4-mers (bins
/// 0..1024, index = first 4-mer · 4 + last base); when only one is, that
/// 4-mer's bin in [`FIRST_ONLY`] or [`SECOND_ONLY`]; when neither, [`NEITHER`].
/// One store per two bases instead of one per base; [`sum_tables`]
/// marginalises the bins back to the 256 4-mer counts.
pub(super) const PAIR_BINS: usize = 1537;
pub(super) const FIRST_ONLY: u16 = 1024;
pub(super) const SECOND_ONLY: u16 = 1280;
pub(super) const NEITHER: u16 = 1536;

/// Two pair histograms, alternating pair by pair, so that runs of one 5-mer
/// (poly-A…) do not serialise on one counter.
pub(super) type Tables = [[u32; PAIR_BINS]; 2];

/// Codes, 2-aligned so that pairs of codes read as little-endian `u16` words.
#[repr(C, align(64))]
pub(super) struct Codes(pub(super) [u8; CODES]);

impl Codes {
    /// `w[m] = codes[2m] | codes[2m + 1] << 8`.
    #[inline(always)]
    pub(super) fn words(&self) -> &[u16] {
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
pub(super) fn count_pairs(
    codes: &Codes,
    pairs: usize,
    idx: &mut [u16; BLOCK / 2 + 1],
    t: &mut Tables,
) {
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
pub(super) fn sum_tables(t: &Tables) -> [u32; 256] {
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
pub(super) fn raw_kmer_counts_scalar(raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
    let mut c = RawCounter::new();
    c.push_scalar(raw);
    c.finish(raw)
}

/// Codes of a sequence collected flush by flush and counted in pairs of windows.
pub(crate) struct RawCounter {
    pub(super) t: Tables,
    /// `codes[..carry]` are the codes carried over from the previous flush
    /// (three, or four when a window was left without a partner); at the start
    /// of a sequence, three that break every window.
    pub(super) codes: Codes,
    pub(super) idx: [u16; BLOCK / 2 + 1],
    /// Next free position in `codes`.
    pub(super) j: usize,
    pub(super) carry: usize,
    pub(super) len: usize,
    /// OR of the codes of the bytes that went through the table.
    pub(super) seen: u8,
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
    pub(super) fn reset(&mut self) {
        self.t = [[0; PAIR_BINS]; 2];
        self.codes.0[..3].fill(BREAK);
        (self.j, self.carry, self.len, self.seen) = (3, 3, 0, 0);
    }

    /// Counts the collected windows in pairs and carries the rest over.
    #[inline(always)]
    pub(super) fn flush(&mut self) {
        let pairs = (self.j - 3) / 2;
        count_pairs(&self.codes, pairs, &mut self.idx, &mut self.t);
        self.len += self.j - self.carry;
        self.codes.0.copy_within(2 * pairs..self.j, 0);
        self.j -= 2 * pairs;
        self.carry = self.j;
    }

    /// Makes room for `m` ≤ [`BLOCK`] more codes.
    #[inline(always)]
    pub(super) fn reserve(&mut self, m: usize) {
        if self.j + m > BLOCK + 4 {
            self.flush();
        }
    }

    /// Appends the codes of `raw` through the table; blanks are dropped without
    /// a branch (the write position only advances past kept bytes).
    #[inline(always)]
    pub(super) fn push_scalar(&mut self, raw: &[u8]) {
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
    pub(super) fn count(&mut self, raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
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
    pub(super) fn counts(&mut self) -> ([u32; 256], usize) {
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
    pub(super) fn finish(&mut self, raw: &[u8]) -> std::result::Result<([u32; 256], usize), u8> {
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
    pub(super) fn close(&mut self, id: String, out: &mut Records) -> bool {
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
pub(super) enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

#[cfg(feature = "parallel")]
impl Isa {
    /// The best this CPU has.
    pub(super) fn best() -> Self {
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
    pub(super) fn available() -> Vec<Self> {
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
pub(super) fn records_on(
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
    pub(super) rows: Vec<(String, usize, [f32; N_TNF])>,
    pub(super) counts: Vec<[u32; 256]>,
}

/// How far ahead of the line being read the fast reader prefetches (bytes):
/// two pages, so the next page's mapping and first line are on their way.
#[cfg(all(feature = "parallel", target_arch = "x86_64"))]
pub(super) const PREFETCH: usize = 8192;

/// [`records_tnf`] with `push` appending one line's codes to the counter and
/// `try_push` doing so only when the whole line is A/C/G/T/U (else it leaves
/// the counter as it was and says false).
///
/// Most sequence lines have the length of the one before: when the byte at
/// that distance is the line break and `try_push` takes the line (which proves
/// that it holds no other line break), no search for the line's end is needed.
#[cfg(feature = "parallel")]
#[inline(always)]
pub(super) fn records_with(
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
