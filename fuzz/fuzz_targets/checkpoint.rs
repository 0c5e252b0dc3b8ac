//! An embedding checkpoint (`embed`'s resumable `*.ckpt`, read back on
//! resume) from any bytes: `Ok` or a typed error, never a panic. What loads
//! accounts for every byte (verified prefix + dropped tail), has rows of the
//! run's width, and its verified prefix alone parses to the same records
//! with nothing dropped.
//!
//! The first byte picks the row width (0–7) and how the rest is used: as a
//! whole file, after a valid header, or cut into records framed with a valid
//! length and CRC (so the payload checks — id length, UTF-8, row width —
//! are reached, not just the CRC).
#![no_main]

use libfuzzer_sys::fuzz_target;
use taxdistill_teacher::shard::{crc32, parse_checkpoint};

const FP: u64 = 0x5EED_F00D_CAFE_0001;

fn header(dim: usize) -> Vec<u8> {
    let mut h = b"TDCKPT01".to_vec();
    h.extend((dim as u64).to_le_bytes());
    h.extend(FP.to_le_bytes());
    h
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let dim = (first & 7) as usize;
    let bytes = match first >> 3 & 3 {
        0 => body.to_vec(),
        1 => [header(dim), body.to_vec()].concat(),
        _ => {
            // records framed with their true length and CRC; a 0xFF byte ends one
            let mut b = header(dim);
            for payload in body.split(|&x| x == 0xFF) {
                b.extend((payload.len() as u32).to_le_bytes());
                b.extend(crc32(payload).to_le_bytes());
                b.extend(payload);
            }
            b
        }
    };
    let Ok(c) = parse_checkpoint(&bytes, dim, FP, "fuzz.ckpt") else {
        return;
    };
    assert_eq!(c.valid_len + c.dropped, bytes.len() as u64);
    assert!(c.records.iter().all(|(_, row)| row.len() == dim));
    let again = parse_checkpoint(&bytes[..c.valid_len as usize], dim, FP, "fuzz.ckpt")
        .expect("a verified prefix parses");
    let bits = |r: &[(String, Vec<f32>)]| -> Vec<(String, Vec<u32>)> {
        r.iter()
            .map(|(id, row)| (id.clone(), row.iter().map(|x| x.to_bits()).collect()))
            .collect()
    };
    assert_eq!(bits(&again.records), bits(&c.records));
    assert_eq!(again.dropped, 0);
});
