//! Every label reader must return `Ok` or a typed error on any input — never
//! panic — with and without a taxdump, for every format and for detection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use taxdistill_core::labels::{read_labels, read_scored_predictions, LabelFormat};
use taxdistill_core::taxdump::TaxDump;

const NODES: &str = include_str!("../../tests/data/labels/taxonomy/nodes.dmp");
const NAMES: &str = include_str!("../../tests/data/labels/taxonomy/names.dmp");
const MERGED: &str = include_str!("../../tests/data/labels/taxonomy/merged.dmp");

fn taxdump() -> &'static TaxDump {
    static TD: OnceLock<TaxDump> = OnceLock::new();
    TD.get_or_init(|| {
        TaxDump::from_readers(
            NODES.as_bytes(),
            NAMES.as_bytes(),
            Some(MERGED.as_bytes()),
            "fixture",
        )
        .expect("fixture taxdump loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = match data.split_first() {
        Some((s, b)) => (*s, b),
        None => (0, data),
    };
    let format = match selector % 7 {
        0 => None,
        i => Some(LabelFormat::ALL[(i - 1) as usize]),
    };
    let td = if selector & 0x80 != 0 {
        Some(taxdump())
    } else {
        None
    };
    if let Ok(labels) = read_labels(body, "fuzz", format, td) {
        let ids: Vec<String> = labels.entries.iter().map(|(id, _)| id.clone()).collect();
        let (aligned, extra) = labels.aligned_to(&ids);
        assert_eq!(aligned.len(), ids.len());
        assert_eq!(extra, 0);
        for (_, l) in &labels.entries {
            assert!(l.depth() <= 7);
        }
    }
    let _ = read_scored_predictions(body, "fuzz");
});
