//! A soft-label file (`teach`'s `soft_labels.safetensors`, dense or top-k)
//! from any bytes: `Ok` or a typed error, never a panic; a file that loads
//! has one row of probabilities per contig, finite and in [0, 1], and writes
//! back to bytes that load again to the same shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::softlabels::SoftLabels;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = SoftLabels::from_bytes(data, "fuzz") else {
        return;
    };
    let (n, l) = (s.contigs.len(), s.n_leaves());
    assert_eq!(s.probs.len(), n * l);
    for i in 0..n {
        for &p in s.row(i) {
            assert!(p.is_finite() && (0.0..=1.0 + 1e-4).contains(&p), "{p}");
        }
    }
    if let Ok(bytes) = s.to_bytes(None) {
        let back = SoftLabels::from_bytes(&bytes, "again").expect("written soft labels load");
        assert_eq!((back.contigs.len(), back.n_leaves()), (n, l));
    }
});
