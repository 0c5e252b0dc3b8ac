// Node probabilities for every rank and the threshold walk, one thread per row.
//
//   probs:   (m, n_leaves) leaf probabilities, row-major
//   tree:    u32 tables, offsets in Params:
//            leaf_node[n_leaves]   node index of each leaf column
//            parent[n_nodes]       parent node (root: 0, unused)
//            child_off[n_nodes+1]  CSR offsets into child_idx
//            child_idx[..]         children of each node, sorted by name
//            threshold[n_nodes]    f32 bits: threshold of the node's rank
//   scratch: (n_nodes, cap) node probabilities, node-major so that
//            neighbouring threads (rows) touch neighbouring words
//   out:     (m, 16) per row: node index at depth 1..7 (0xffffffff past the
//            walk's end) in words 0..7, the matching probabilities (f32 bits)
//            in words 8..15.
//
// Node probabilities are accumulated children→parent in decreasing node index,
// exactly as the CPU's LabelTree::node_probs, so no float atomics are needed
// and both sides add in the same order. The walk picks the most probable
// child (first by name on ties) while it reaches its rank's threshold, as
// predict_from_node_probs does.

struct Params {
    m: u32,
    n_leaves: u32,
    n_nodes: u32,
    cap: u32,
    off_parent: u32,
    off_child_off: u32,
    off_child_idx: u32,
    off_threshold: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> tree: array<u32>;
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

const NONE: u32 = 0xffffffffu;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.x;
    if (row >= p.m) {
        return;
    }
    for (var v = 0u; v < p.n_nodes; v++) {
        scratch[v * p.cap + row] = 0.0;
    }
    for (var l = 0u; l < p.n_leaves; l++) {
        scratch[tree[l] * p.cap + row] = probs[row * p.n_leaves + l];
    }
    for (var v = p.n_nodes - 1u; v >= 1u; v--) {
        let par = tree[p.off_parent + v];
        scratch[par * p.cap + row] = scratch[par * p.cap + row] + scratch[v * p.cap + row];
    }
    for (var d = 0u; d < 7u; d++) {
        out[row * 16u + d] = NONE;
        out[row * 16u + 8u + d] = 0u;
    }
    var node = 0u;
    for (var d = 0u; d < 7u; d++) {
        let start = tree[p.off_child_off + node];
        let end = tree[p.off_child_off + node + 1u];
        if (start == end) {
            break;
        }
        var best = tree[p.off_child_idx + start];
        var best_p = scratch[best * p.cap + row];
        for (var c = start + 1u; c < end; c++) {
            let cand = tree[p.off_child_idx + c];
            let cp = scratch[cand * p.cap + row];
            if (cp > best_p) {
                best = cand;
                best_p = cp;
            }
        }
        if (best_p < bitcast<f32>(tree[p.off_threshold + best])) {
            break;
        }
        out[row * 16u + d] = best;
        out[row * 16u + 8u + d] = bitcast<u32>(best_p);
        node = best;
    }
}
