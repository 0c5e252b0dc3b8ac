//! AVX2 / AVX-512 codes for the common case: a line made of A/C/G/T/U only
//! (x86_64; the k-mer counter and the block reader's fast path).

use super::kmer::{RawCounter, BLOCK};
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
