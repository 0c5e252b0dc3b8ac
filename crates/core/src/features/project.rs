//! Projection of 4-mer counts onto vamb's 103 TNF dimensions (its kernel,
//! scalar and x86 vector code).

use super::*;

/// vamb's 256×103 projection kernel (row = 4-mer index with A,C,G,T = 0..3,
/// first base most significant), generated from `vamb/kernel.npz` by
/// `scripts/golden_features.py kernel`.
pub(super) static KERNEL: [[f32; N_TNF]; 256] = parse_kernel(include_bytes!("kernel_f32le.bin"));

/// Columns of [`KERNEL`] rounded up to whole 16-lane vectors.
#[cfg(target_arch = "x86_64")]
pub(super) const N_PADDED: usize = 112;

/// [`KERNEL`] with zero columns 103..112, so that a row is 13 aligned 8-lane
/// loads or 7 aligned 16-lane ones.
#[cfg(target_arch = "x86_64")]
#[repr(align(64))]
pub(super) struct PaddedKernel(pub(super) [[f32; N_PADDED]; 256]);

#[cfg(target_arch = "x86_64")]
pub(super) static KERNEL_PADDED: PaddedKernel = {
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

pub(super) const fn parse_kernel(bytes: &[u8; 256 * N_TNF * 4]) -> [[f32; N_TNF]; 256] {
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

/// Clears the lowest `bits` mantissa bits, as vamb's `mask_lower_bits`.
pub(super) fn mask_lower_bits(x: f32, bits: u32) -> f32 {
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
pub(super) fn inverse_total(counts: &[u32; 256]) -> f32 {
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
pub(super) fn project_with(
    counts: &[u32; 256],
    fma: impl Fn(f32, f32, f32) -> f32,
) -> [f32; N_TNF] {
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
pub(super) fn project_emulated(counts: &[u32; 256]) -> [f32; N_TNF] {
    project_with(counts, |f, k, a| (f as f64 * k as f64 + a as f64) as f32)
}

/// The projection with hardware FMA: the 103 sums live in 13 registers of 8
/// lanes for the whole pass over the 256 rows (about 10× faster than the
/// emulation, which matters for short contigs: 26,368 multiply-adds per
/// contig). Lane by lane it is exactly [`project_with`]'s order and rounding.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn project_fma_avx2(counts: &[u32; 256]) -> [f32; N_TNF] {
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
pub(super) unsafe fn project4_avx512(counts: [&[u32; 256]; 4]) -> [[f32; N_TNF]; 4] {
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
pub(super) fn masked(sums: &[f32; N_PADDED]) -> [f32; N_TNF] {
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
