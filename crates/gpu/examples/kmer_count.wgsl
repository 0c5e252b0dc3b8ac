// Prototype: 4-mer counts of many sequences, one workgroup per sequence.
//   seq:     the sequences' bytes (upper-case ASCII), four per u32, little-endian
//   offsets: byte offset of sequence i at offsets[i], its end at offsets[i + 1]
//   counts:  (n_sequences, 256) u32, index A,C,G,T = 0..3 with the first base
//            most significant (U counts as T), windows with another byte skipped
// Each of the 256 threads takes every 256th window and adds it to a histogram
// in workgroup memory; the histogram is then written out, one bin per thread.

struct Params {
    first: u32,   // index of the first sequence of this dispatch
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;

var<workgroup> hist: array<atomic<u32>, 256>;

fn byte_at(i: u32) -> u32 {
    return (seq[i >> 2u] >> (8u * (i & 3u))) & 0xffu;
}

// 0..3 for A, C, G, T/U; 4 for anything else
fn code(b: u32) -> u32 {
    return select(select(select(select(4u, 3u, b == 84u || b == 85u), 2u, b == 71u), 1u, b == 67u), 0u, b == 65u);
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let s = p.first + wg.x;
    atomicStore(&hist[t], 0u);
    workgroupBarrier();
    let start = offsets[s];
    let end = offsets[s + 1u];
    if (end >= start + 4u) {
        for (var i = start + t; i + 3u < end; i += 256u) {
            let a = code(byte_at(i));
            let b = code(byte_at(i + 1u));
            let c = code(byte_at(i + 2u));
            let d = code(byte_at(i + 3u));
            if ((a | b | c | d) < 4u) {
                atomicAdd(&hist[(a << 6u) | (b << 4u) | (c << 2u) | d], 1u);
            }
        }
    }
    workgroupBarrier();
    counts[wg.x * 256u + t] = atomicLoad(&hist[t]);
}
