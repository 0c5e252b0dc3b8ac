//! The student's CPU forward pass in a fixed summation order, so it gives the
//! same bits on every platform: x86-64 with or without AVX2, wasm32 with or
//! without SIMD, one thread or many. The CLI's `annotate` and the browser's
//! CPU path both run it, so their outputs are byte-identical.
//!
//! Shapes: a dense layer maps `x` (rows, n_in) f32 row-major to `y` (rows, n_out):
//!
//! `y[i][j] = (((0 + x[i][0]·W[j][0]) + x[i][1]·W[j][1]) + … + x[i][n_in−1]·W[j][n_in−1]) + b[j]`
//!
//! Each product is rounded to f32 and added in k order. The k sum is never
//! split or reassociated, and never fused into an FMA: Rust does not contract
//! `a * b + c`, and only `avx2` (not `fma`) is enabled for the x86 fast path.
//! Vectorisation runs across output columns j (lanes are independent sums), so
//! the vector width changes the speed, never the result. The softmax uses
//! [`crate::fmath::exp_f32`] (no libm: glibc's `expf` and the wasm build's
//! differ in the last bit).

use crate::fmath::exp_f32;

/// Output columns per tile: two AVX2 vectors natively, two wasm SIMD vectors
/// in the browser (so a 4 × C block of sums stays in registers). The tile
/// shape changes the speed, never the result.
#[cfg(not(target_arch = "wasm32"))]
const C: usize = 16;
#[cfg(target_arch = "wasm32")]
const C: usize = 8;
/// Rows per register block.
const R: usize = 4;
/// Rows per work unit (one rayon task natively); activations of one block fit in L2.
pub(super) const BLOCK_ROWS: usize = 64;

/// One layer's weights, transposed and packed in tiles of [`C`] output
/// columns: `packed[t][k][c] = W[t·C + c][k]` (zero for the padding columns
/// past `n_out`), so the kernel reads one contiguous (n_in, C) tile.
#[derive(Debug, Clone)]
pub(super) struct Dense {
    pub n_in: usize,
    pub n_out: usize,
    packed: Vec<f32>,
    bias: Vec<f32>,
}

impl Dense {
    /// From a row-major weight (n_out, n_in), as stored in safetensors, and a bias (n_out).
    pub fn new(weight: &[f32], bias: &[f32], n_out: usize, n_in: usize) -> Dense {
        assert_eq!(weight.len(), n_out * n_in, "weight shape");
        assert_eq!(bias.len(), n_out, "bias shape");
        let tiles = n_out.div_ceil(C);
        let mut packed = vec![0f32; tiles * n_in * C];
        for j in 0..n_out {
            let (t, c) = (j / C, j % C);
            for k in 0..n_in {
                packed[(t * n_in + k) * C + c] = weight[j * n_in + k];
            }
        }
        Dense {
            n_in,
            n_out,
            packed,
            bias: bias.to_vec(),
        }
    }

    /// `y = x·Wᵀ + b`, then LeakyReLU with `slope` when given. `x`: (rows, n_in),
    /// `y`: (rows, n_out).
    pub fn forward(&self, x: &[f32], y: &mut [f32], slope: Option<f32>) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { self.forward_avx2(x, y, slope) };
                return;
            }
        }
        self.forward_generic(x, y, slope);
    }

    /// The same code compiled with 256-bit vectors (not FMA: see the module doc).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn forward_avx2(&self, x: &[f32], y: &mut [f32], slope: Option<f32>) {
        self.forward_generic(x, y, slope);
    }

    #[inline(always)]
    fn forward_generic(&self, x: &[f32], y: &mut [f32], slope: Option<f32>) {
        let (n_in, n_out) = (self.n_in, self.n_out);
        let rows = x.len() / n_in;
        debug_assert_eq!(x.len(), rows * n_in);
        debug_assert_eq!(y.len(), rows * n_out);
        for (t, tile) in self.packed.chunks_exact(n_in * C).enumerate() {
            let j0 = t * C;
            let width = C.min(n_out - j0);
            let mut r0 = 0;
            while r0 < rows {
                let here = R.min(rows - r0);
                let xs = &x[r0 * n_in..(r0 + here) * n_in];
                if here == R {
                    let acc = kernel::<R>(xs, n_in, tile);
                    self.store(&acc, r0, j0, width, y, slope);
                } else {
                    for r in 0..here {
                        let acc = kernel::<1>(&xs[r * n_in..(r + 1) * n_in], n_in, tile);
                        self.store(&acc, r0 + r, j0, width, y, slope);
                    }
                }
                r0 += here;
            }
        }
    }

    #[inline(always)]
    fn store<const N: usize>(
        &self,
        acc: &[[f32; C]; N],
        r0: usize,
        j0: usize,
        width: usize,
        y: &mut [f32],
        slope: Option<f32>,
    ) {
        let n_out = self.n_out;
        for (r, a) in acc.iter().enumerate() {
            let out = &mut y[(r0 + r) * n_out + j0..(r0 + r) * n_out + j0 + width];
            for ((o, &v), &b) in out.iter_mut().zip(a).zip(&self.bias[j0..j0 + width]) {
                let v = v + b;
                *o = match slope {
                    Some(s) if v < 0.0 => v * s,
                    _ => v,
                };
            }
        }
    }
}

/// Sums over k for `N` rows × [`C`] columns: `acc[r][c] = Σ_k x[r][k]·tile[k][c]`,
/// sequentially in k. (Portable: LLVM vectorises the inner loop across c.)
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn kernel<const N: usize>(x: &[f32], n_in: usize, tile: &[f32]) -> [[f32; C]; N] {
    let mut acc = [[0f32; C]; N];
    let rows: [&[f32]; N] = std::array::from_fn(|r| &x[r * n_in..(r + 1) * n_in]);
    for (k, w) in tile.chunks_exact(C).enumerate() {
        let w: &[f32; C] = w.try_into().expect("tile rows are C wide");
        for (a, row) in acc.iter_mut().zip(&rows) {
            let xv = row[k];
            for (s, &wc) in a.iter_mut().zip(w) {
                *s += xv * wc;
            }
        }
    }
    acc
}

/// The same sums with explicit wasm SIMD: the web build is optimised for
/// size (`opt-level = "z"`), where LLVM does not vectorise loops. The same
/// `mul` then `add` per lane, in k order (`f32x4_mul`/`f32x4_add` are IEEE
/// single-precision operations, as the scalar ones are).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn kernel<const N: usize>(x: &[f32], n_in: usize, tile: &[f32]) -> [[f32; C]; N] {
    use std::arch::wasm32::{
        f32x4_add, f32x4_mul, f32x4_splat, f32x4_splat as splat, v128, v128_load, v128_store,
    };
    const V: usize = C / 4;
    let mut acc = [[splat(0.0); V]; N];
    let rows: [&[f32]; N] = std::array::from_fn(|r| &x[r * n_in..(r + 1) * n_in]);
    for (k, w) in tile.chunks_exact(C).enumerate() {
        // SAFETY: `w` holds C = 4·V f32s; each load reads 4 of them (wasm loads need no alignment)
        let wv: [v128; V] =
            std::array::from_fn(|j| unsafe { v128_load(w.as_ptr().add(4 * j) as *const v128) });
        for (a, row) in acc.iter_mut().zip(&rows) {
            let xv = f32x4_splat(row[k]);
            for (s, &wj) in a.iter_mut().zip(&wv) {
                *s = f32x4_add(*s, f32x4_mul(xv, wj));
            }
        }
    }
    let mut out = [[0f32; C]; N];
    for (o, a) in out.iter_mut().zip(&acc) {
        for (j, &v) in a.iter().enumerate() {
            // SAFETY: `o` holds C = 4·V f32s; each store writes 4 of them
            unsafe { v128_store(o.as_mut_ptr().add(4 * j) as *mut v128, v) };
        }
    }
    out
}

/// Softmax of one row in place: `exp(z − max) / Σ`, the sum taken in column order.
pub(super) fn softmax_row(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for v in z.iter_mut() {
        *v = exp_f32(*v - m);
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition in the module doc, one element at a time.
    fn reference(w: &[f32], b: &[f32], x: &[f32], n_out: usize, n_in: usize) -> Vec<f32> {
        let rows = x.len() / n_in;
        let mut y = vec![0f32; rows * n_out];
        for i in 0..rows {
            for j in 0..n_out {
                let mut s = 0f32;
                for k in 0..n_in {
                    s += x[i * n_in + k] * w[j * n_in + k];
                }
                y[i * n_out + j] = s + b[j];
            }
        }
        y
    }

    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
            })
            .collect()
    }

    #[test]
    fn tiled_layer_gives_the_bits_of_the_sequential_sum() {
        // odd sizes: column tails, row tails, fewer columns than a tile
        for &(rows, n_in, n_out) in &[
            (1, 1, 1),
            (3, 7, 5),
            (9, 33, 17),
            (5, 110, 512),
            (4, 64, 16),
        ] {
            let w = values(n_out * n_in, 1);
            let b = values(n_out, 2);
            let x = values(rows * n_in, 3);
            let d = Dense::new(&w, &b, n_out, n_in);
            let mut y = vec![0f32; rows * n_out];
            d.forward(&x, &mut y, None);
            let want = reference(&w, &b, &x, n_out, n_in);
            let same = y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "rows {rows} n_in {n_in} n_out {n_out}");
            // the portable path (no AVX2) agrees bit for bit
            let mut z = vec![0f32; rows * n_out];
            d.forward_generic(&x, &mut z, None);
            assert!(z.iter().zip(&y).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn leaky_relu_scales_only_negative_outputs() {
        let d = Dense::new(&[1.0, -1.0], &[0.0, 0.0], 2, 1);
        let mut y = [0f32; 2];
        d.forward(&[2.0], &mut y, Some(0.01));
        assert_eq!(y, [2.0, -0.02]);
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let mut z = [1.0f32, 2.0, 3.0, -50.0];
        softmax_row(&mut z);
        let s: f32 = z.iter().sum();
        assert!((s - 1.0).abs() < 1e-6);
        assert!(z[2] > z[1] && z[1] > z[0] && z[3] > 0.0);
    }
}
