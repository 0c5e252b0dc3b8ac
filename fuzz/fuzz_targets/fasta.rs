//! FASTA reader (all compressions) and TNF on whatever it yields: must never
//! panic; and the parallel block reader behind `taxdistill features` must give
//! exactly what the sequential reader gives (contigs, lengths, TNF, or the
//! same error for the same record), wherever its blocks are cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_core::fasta::ContigReader;
use taxdistill_core::features::{
    raw_kmer_counts, tnf, tnf_of_fasta_in_blocks, FeatureBuilder, FeatureOptions,
};
use taxdistill_core::Error;

fn is_compressed(data: &[u8]) -> bool {
    matches!(
        data.get(..2),
        Some([0x1f, 0x8b]) | Some([0x42, 0x5a]) | Some([0xfd, 0x37]) | Some([0x28, 0xb5])
    )
}

fuzz_target!(|input: &[u8]| {
    // the first byte picks the block size of the parallel reader
    let (block, data) = match input.split_first() {
        Some((b, rest)) => (2 + *b as usize, rest),
        None => (2, input),
    };
    let mut sequential = FeatureBuilder::new();
    let mut error: Option<Error> = None;
    match ContigReader::new(data, "fuzz") {
        Err(e) => error = Some(e),
        Ok(reader) => {
            for contig in reader {
                let contig = match contig {
                    Ok(c) => c,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                };
                assert!(contig.seq.iter().all(|b| b.is_ascii_uppercase()));
                let t = tnf(&contig.seq);
                assert!(t.iter().all(|v| v.is_finite()));
                let (_, len) = raw_kmer_counts(&contig.seq).expect("cleaned bytes are IUPAC");
                assert_eq!(len, contig.seq.len());
                sequential.push_raw(contig.id, contig.seq.len(), t);
            }
        }
    }
    let blocks = tnf_of_fasta_in_blocks(std::io::Cursor::new(data.to_vec()), "fuzz", block);
    if is_compressed(data) {
        // the block reader decodes before parsing, so a broken stream may surface
        // as another error kind; it must still not panic
        return;
    }
    match (error, blocks) {
        (None, Ok(b)) => {
            assert_eq!(b.ids(), sequential.ids());
            assert_eq!(b.bases(), sequential.bases());
            let opts = FeatureOptions { min_length: 8 };
            if let (Ok(x), Ok(y)) = (b.finish(None, &opts), sequential.finish(None, &opts)) {
                assert!(x.data.iter().all(|v| v.is_finite()));
                let bits = |m: &[f32]| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&x.data), bits(&y.data));
            }
        }
        (Some(e), Err(f)) => assert_eq!(e, f),
        (e, f) => panic!("sequential {e:?} but blocks {:?}", f.map(|b| b.len())),
    }
});
