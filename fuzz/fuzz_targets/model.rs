//! A student model directory from any bytes (`model.json` + `model.safetensors`,
//! as `annotate` and the web page's model input read them): `Ok` or a typed
//! error — never a panic, never a hang — and a model that loads predicts a
//! lineage for a feature row without panicking, at most 7 ranks deep.
//!
//! Input: a little-endian u32 `n`, then `n` bytes of `model.json`, then the
//! safetensors bytes (`fuzz/seed.sh` writes seeds in this layout).
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::model::{ModelMeta, Student};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let n = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
    let rest = &data[4..];
    let (json, st) = rest.split_at(n.min(rest.len()));
    // the JSON alone (the page checks it before the weights arrive)
    let Ok(meta) = ModelMeta::from_json(json) else {
        return;
    };
    assert!(meta.tree.n_leaves() >= 2);
    for leaf in &meta.tree.leaves {
        assert!(meta.tree.lineage(*leaf).depth() <= 7);
    }
    let Ok(student) = Student::from_meta_and_bytes(meta, st) else {
        return;
    };
    let f = student.meta.n_features();
    if f > 4096 {
        return;
    }
    let row: Vec<f32> = (0..f).map(|i| (i % 7) as f32 * 0.5).collect();
    if let Ok(preds) = student.predict(&row) {
        assert_eq!(preds.len(), 1);
        assert!(preds[0].lineage.depth() <= 7);
        assert_eq!(preds[0].lineage.depth(), preds[0].scores.len());
    }
});
