//! FASTA reader (all compressions) and TNF on whatever it yields: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::fasta::ContigReader;
use taxdistill_core::features::{tnf, FeatureBuilder, FeatureOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = ContigReader::new(data, "fuzz") else {
        return;
    };
    let mut builder = FeatureBuilder::new();
    for contig in reader {
        let Ok(contig) = contig else { break };
        assert!(contig.seq.iter().all(|b| b.is_ascii_uppercase()));
        let t = tnf(&contig.seq);
        assert!(t.iter().all(|v| v.is_finite()));
        builder.push_batch(std::slice::from_ref(&contig));
    }
    if let Ok(m) = builder.finish(None, &FeatureOptions { min_length: 8 }) {
        assert!(m.data.iter().all(|v| v.is_finite()));
    }
});
