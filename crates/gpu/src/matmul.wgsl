// y = act(x · wᵀ + b), f32, row-major.
//   x: (m, k) activations   w: (n, k) weights (PyTorch/candle layout)
//   b: (n,) bias             y: (m, n) output
// act = LeakyReLU(slope) when p.act == 1, identity otherwise.
//
// Tiling: a workgroup of 16×16 threads computes a 64×64 block of y; each
// thread owns a 4×4 register block. The k dimension is walked in tiles of 16
// staged in workgroup memory. Loads outside (m, n, k) read as 0 and stores
// outside (m, n) are skipped, so no size needs to divide the tile.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    act: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const TM: u32 = 4u;
const TN: u32 = 4u;
const THREADS: u32 = 256u;

// Stored k-major ([kk][row]) so the inner product loop reads consecutive words.
var<workgroup> xs: array<f32, 1024>; // BK * BM
var<workgroup> ws: array<f32, 1024>; // BK * BN

@compute @workgroup_size(16, 16, 1)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    let n_tiles = (p.k + BK - 1u) / BK;
    for (var t = 0u; t < n_tiles; t++) {
        let k0 = t * BK;
        // 1024 elements per tile, 256 threads: 4 loads each; consecutive
        // threads read consecutive k of one row (coalesced).
        for (var e = 0u; e < 4u; e++) {
            let idx = li + e * THREADS;
            let r = idx / BK;
            let kk = idx % BK;
            let gk = k0 + kk;
            let gr = row0 + r;
            var xv = 0.0;
            if (gr < p.m && gk < p.k) {
                xv = x[gr * p.k + gk];
            }
            xs[kk * BM + r] = xv;
            let gc = col0 + r;
            var wv = 0.0;
            if (gc < p.n && gk < p.k) {
                wv = w[gc * p.k + gk];
            }
            ws[kk * BN + r] = wv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            var a: array<f32, 4>;
            var c: array<f32, 4>;
            for (var i = 0u; i < TM; i++) {
                a[i] = xs[kk * BM + lid.y * TM + i];
            }
            for (var j = 0u; j < TN; j++) {
                c[j] = ws[kk * BN + lid.x * TN + j];
            }
            for (var i = 0u; i < TM; i++) {
                for (var j = 0u; j < TN; j++) {
                    acc[i * TN + j] = acc[i * TN + j] + a[i] * c[j];
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < TM; i++) {
        let gr = row0 + lid.y * TM + i;
        if (gr >= p.m) {
            continue;
        }
        for (var j = 0u; j < TN; j++) {
            let gc = col0 + lid.x * TN + j;
            if (gc >= p.n) {
                continue;
            }
            var v = acc[i * TN + j] + b[gc];
            if (p.act == 1u && v < 0.0) {
                v = v * p.slope;
            }
            y[gr * p.n + gc] = v;
        }
    }
}
