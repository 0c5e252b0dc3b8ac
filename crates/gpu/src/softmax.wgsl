// In-place softmax over each row of z: (m, n) f32, row-major.
// One workgroup of 64 threads per row; numerically stable (max subtracted
// before exp), reductions in workgroup memory.

struct Params {
    m: u32,
    n: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;

const WG: u32 = 64u;
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    // The dispatch may be 2-D when m exceeds the per-dimension workgroup limit.
    let row = wg.y * 65535u + wg.x;
    if (row >= p.m) {
        return;
    }
    let base = row * p.n;
    var mx = -3.402823e38; // Tint (Chromium) rejects -3.4028235e38 as not representable in f32
    for (var j = li; j < p.n; j += WG) {
        mx = max(mx, z[base + j]);
    }
    red[li] = mx;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (li < s) {
            red[li] = max(red[li], red[li + s]);
        }
        workgroupBarrier();
    }
    mx = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var j = li; j < p.n; j += WG) {
        let e = exp(z[base + j] - mx);
        z[base + j] = e;
        sum += e;
    }
    red[li] = sum;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (li < s) {
            red[li] = red[li] + red[li + s];
        }
        workgroupBarrier();
    }
    let total = red[0];
    for (var j = li; j < p.n; j += WG) {
        z[base + j] = z[base + j] / total;
    }
}
