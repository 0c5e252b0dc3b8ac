//! The taxdump reader must return `Ok` or a typed error on any input, and a
//! loaded dump must answer every query without panicking or looping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::taxdump::TaxDump;

fuzz_target!(|data: &[u8]| {
    // nodes, names and merged separated by 0xff bytes (never valid UTF-8)
    let mut parts = data.split(|&b| b == 0xff);
    let nodes = parts.next().unwrap_or_default();
    let names = parts.next().unwrap_or_default();
    let merged = parts.next();
    let Ok(td) = TaxDump::from_readers(nodes, names, merged, "fuzz") else {
        return;
    };
    let mut ids: Vec<u64> = Vec::new();
    for line in String::from_utf8_lossy(nodes).lines().take(64) {
        if let Some(id) = line.split('|').next().and_then(|s| s.trim().parse().ok()) {
            ids.push(id);
        }
    }
    ids.push(0);
    ids.push(1);
    for &t in &ids {
        if let Some(l) = td.lineage(t) {
            assert!(l.depth() <= 7);
            if let Some(back) = td.taxid_of(&l) {
                assert_eq!(td.lineage(back).map(|b| b.depth()), Some(l.depth()));
            }
        }
        let _ = td.name(t);
    }
    let _ = td.lca(&ids);
    let _ = td.warnings().messages();
});
