//! Abundance reader (format detection, all formats): must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::abundance::read_abundance;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = read_abundance(data, "fuzz") {
        assert_eq!(a.values.len(), a.ids.len() * a.samples.len());
        assert!(a.values.iter().all(|v| v.is_finite() && *v >= 0.0));
        let _ = a.aligned_to(&a.ids);
    }
});
