//! Scale-out: `--shard i/n`, crash-safe checkpoints and merging shards.
//!
//! - [`Shard`]: `i/n` is **1-based** (`1/4` … `4/4`). Item `k` (0-based, in
//!   input order) belongs to shard `k mod n + 1`, so contigs of all lengths are
//!   spread evenly and [`interleave`] restores the input order from the shards.
//! - [`Checkpoint`]: an append-only file of `(id, f32 row)` records. Layout
//!   (little endian): header `b"TDCKPT01"`, `u64` row width, `u64` run
//!   fingerprint; then records `u32 payload_len`, `u32 crc32(payload)`,
//!   payload = `u32 id_len`, id bytes (UTF-8), `row_width × f32`. A torn tail
//!   (e.g. after `kill -9`) fails the length or CRC check and is cut off on
//!   reopening, so a resumed run loses nothing committed and duplicates nothing.
//! - [`ShardInfo`]: `shard.json` next to each shard's output, read by `merge`.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One shard of `count` (1-based `index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Shard> {
        let bad = || {
            Error::Invalid(format!(
                "shard {s:?}: expected i/n with 1 <= i <= n (1-based), e.g. 1/4"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether item `k` (0-based input position) belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }

    /// The input positions of this shard among `n` items, ascending.
    pub fn items(&self, n: usize) -> Vec<usize> {
        (self.index - 1..n).step_by(self.count).collect()
    }
}

/// Restores input order from per-shard rows: `parts` holds each shard with
/// its rows in shard order; `total` is the number of items of the whole run.
///
/// # Errors
/// [`Error::Mismatch`] if shards disagree on the count, a shard is missing or
/// given twice, or a shard holds the wrong number of rows.
pub fn interleave<T>(parts: Vec<(Shard, Vec<T>)>, total: usize) -> Result<Vec<T>> {
    let Some(n) = parts.first().map(|p| p.0.count) else {
        return Err(Error::Mismatch("no shards to merge".into()));
    };
    let mut slots: Vec<Option<std::vec::IntoIter<T>>> = (0..n).map(|_| None).collect();
    for (shard, rows) in parts {
        if shard.count != n {
            return Err(Error::Mismatch(format!(
                "shard {shard} does not belong to a run of {n} shards"
            )));
        }
        let expected = shard.items(total).len();
        if rows.len() != expected {
            return Err(Error::Mismatch(format!(
                "shard {shard} has {} rows, expected {expected} of {total}",
                rows.len()
            )));
        }
        let slot = &mut slots[shard.index - 1];
        if slot.is_some() {
            return Err(Error::Mismatch(format!("shard {shard} is given twice")));
        }
        *slot = Some(rows.into_iter());
    }
    if let Some(i) = slots.iter().position(Option::is_none) {
        return Err(Error::Mismatch(format!("shard {}/{n} is missing", i + 1)));
    }
    let mut out = Vec::with_capacity(total);
    for k in 0..total {
        let next = slots[k % n].as_mut().and_then(Iterator::next);
        out.push(
            next.ok_or_else(|| {
                Error::Mismatch(format!("shard {}/{n} ran out of rows", k % n + 1))
            })?,
        );
    }
    Ok(out)
}

/// `shard.json`: which part of which run a shard directory holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// What the shard holds (`"embeddings"`, `"soft_labels"`).
    pub kind: String,
    /// This shard.
    pub shard: Shard,
    /// Items of the whole run (all shards).
    pub total: usize,
    /// Rows in this shard.
    pub rows: usize,
}

/// CRC-32 (IEEE, as zlib/PNG) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

/// A 64-bit FNV-1a fingerprint of a run's parameters (model, window, shard,
/// contig ids), so a checkpoint is never resumed by a different run.
pub fn fingerprint<'a, I: IntoIterator<Item = &'a [u8]>>(parts: I) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in (p.len() as u64).to_le_bytes().iter().chain(p) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

const MAGIC: &[u8; 8] = b"TDCKPT01";
const HEADER: u64 = 24;

/// Records read back from a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointContents {
    /// `(id, row)` in the order they were appended.
    pub records: Vec<(String, Vec<f32>)>,
    /// Bytes of complete, verified records (header included).
    pub valid_len: u64,
    /// Bytes after the last verified record (a torn tail), dropped on resume.
    pub dropped: u64,
}

/// Parses checkpoint bytes written with row width `dim` and `fp`.
///
/// # Errors
/// [`Error::Mismatch`] for another run's checkpoint (width or fingerprint).
pub fn parse_checkpoint(
    bytes: &[u8],
    dim: usize,
    fp: u64,
    path: &str,
) -> Result<CheckpointContents> {
    if bytes.len() < HEADER as usize || &bytes[..8] != MAGIC {
        // A header torn before it was complete: nothing was committed yet.
        if bytes.len() < HEADER as usize && MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
            return Ok(CheckpointContents {
                records: Vec::new(),
                valid_len: 0,
                dropped: bytes.len() as u64,
            });
        }
        return Err(Error::Mismatch(format!(
            "{path}: not a taxdistill checkpoint"
        )));
    }
    let w = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let f = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    if w != dim as u64 || f != fp {
        return Err(Error::Mismatch(format!(
            "{path}: checkpoint of another run (row width {w} vs {dim}, or different model/window/shard/contigs); delete it to start over"
        )));
    }
    let mut pos = HEADER as usize;
    let mut records = Vec::new();
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes"));
        let Some(payload) = bytes.get(pos + 8..pos + 8 + len) else {
            break;
        };
        if crc32(payload) != crc || payload.len() < 4 {
            break;
        }
        let id_len = u32::from_le_bytes(payload[..4].try_into().expect("4 bytes")) as usize;
        if payload.len() != 4 + id_len + 4 * dim {
            break;
        }
        let Ok(id) = std::str::from_utf8(&payload[4..4 + id_len]) else {
            break;
        };
        let row = payload[4 + id_len..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        records.push((id.to_string(), row));
        pos += 8 + len;
    }
    Ok(CheckpointContents {
        records,
        valid_len: pos as u64,
        dropped: (bytes.len() - pos) as u64,
    })
}

/// An open, append-only checkpoint.
pub struct Checkpoint {
    out: BufWriter<File>,
    path: PathBuf,
    dim: usize,
}

impl Checkpoint {
    /// Opens `path` for appending rows of width `dim`, creating it if needed;
    /// returns the records already committed (a torn tail is cut off).
    ///
    /// # Errors
    /// I/O errors; [`Error::Mismatch`] if the file belongs to another run.
    pub fn open(path: &Path, dim: usize, fp: u64) -> Result<(Checkpoint, CheckpointContents)> {
        let name = path.display().to_string();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let contents = parse_checkpoint(&bytes, dim, fp, &name)?;
        if contents.valid_len < HEADER {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            let mut h = Vec::with_capacity(HEADER as usize);
            h.extend_from_slice(MAGIC);
            h.extend_from_slice(&(dim as u64).to_le_bytes());
            h.extend_from_slice(&fp.to_le_bytes());
            file.write_all(&h)?;
            file.sync_all()?;
        } else {
            file.set_len(contents.valid_len)?;
            file.seek(SeekFrom::Start(contents.valid_len))?;
        }
        Ok((
            Checkpoint {
                out: BufWriter::new(file),
                path: path.to_path_buf(),
                dim,
            },
            contents,
        ))
    }

    /// Appends one record (buffered until [`Checkpoint::commit`]).
    ///
    /// # Errors
    /// A row of the wrong width; I/O errors.
    pub fn append(&mut self, id: &str, row: &[f32]) -> Result<()> {
        if row.len() != self.dim {
            return Err(Error::Invalid(format!(
                "checkpoint row for {id} has {} values, expected {}",
                row.len(),
                self.dim
            )));
        }
        let mut payload = Vec::with_capacity(4 + id.len() + 4 * row.len());
        payload.extend_from_slice(&(id.len() as u32).to_le_bytes());
        payload.extend_from_slice(id.as_bytes());
        for v in row {
            payload.extend_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&(payload.len() as u32).to_le_bytes())?;
        self.out.write_all(&crc32(&payload).to_le_bytes())?;
        self.out.write_all(&payload)?;
        Ok(())
    }

    /// Makes every appended record durable (flush + fsync).
    ///
    /// # Errors
    /// I/O errors.
    pub fn commit(&mut self) -> Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()?;
        Ok(())
    }

    /// Deletes the checkpoint once the final output is in place.
    ///
    /// # Errors
    /// I/O errors.
    pub fn remove(self) -> Result<()> {
        drop(self.out);
        std::fs::remove_file(&self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_is_one_based_and_rejects_nonsense() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for s in ["0/4", "5/4", "1/0", "x/2", "3", ""] {
            assert!(s.parse::<Shard>().is_err(), "{s}");
        }
        assert_eq!(Shard { index: 2, count: 3 }.items(8), vec![1, 4, 7]);
    }

    #[test]
    fn interleave_restores_input_order_and_checks_shards() {
        let total = 7;
        let parts: Vec<_> = (1..=3)
            .map(|i| {
                let s = Shard { index: i, count: 3 };
                (s, s.items(total))
            })
            .collect();
        assert_eq!(
            interleave(parts.clone(), total).unwrap(),
            (0..7).collect::<Vec<_>>()
        );
        assert!(interleave(parts[..2].to_vec(), total).is_err());
        let mut dup = parts.clone();
        dup[2] = parts[1].clone();
        assert!(interleave(dup, total).is_err());
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn torn_tail_is_dropped_and_appending_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.ckpt");
        let (mut c, got) = Checkpoint::open(&p, 3, 7).unwrap();
        assert!(got.records.is_empty());
        c.append("a", &[1.0, 2.0, 3.0]).unwrap();
        c.append("b", &[4.0, 5.0, 6.0]).unwrap();
        c.commit().unwrap();
        drop(c);
        let full = std::fs::read(&p).unwrap();
        // cut at every possible byte inside the second record
        let first_end = full.len() - (8 + 4 + 1 + 12);
        for cut in first_end..full.len() {
            std::fs::write(&p, &full[..cut]).unwrap();
            let (mut c, got) = Checkpoint::open(&p, 3, 7).unwrap();
            assert_eq!(
                got.records,
                vec![("a".to_string(), vec![1.0, 2.0, 3.0])],
                "cut {cut}"
            );
            c.append("b", &[4.0, 5.0, 6.0]).unwrap();
            c.commit().unwrap();
            drop(c);
            assert_eq!(std::fs::read(&p).unwrap(), full);
        }
        // a flipped bit in the tail record is detected too
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 2] ^= 1;
        std::fs::write(&p, &bad).unwrap();
        let (_, got) = Checkpoint::open(&p, 3, 7).unwrap();
        assert_eq!(got.records.len(), 1);
    }

    #[test]
    fn checkpoint_of_another_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.ckpt");
        drop(Checkpoint::open(&p, 3, 7).unwrap());
        assert!(matches!(
            Checkpoint::open(&p, 3, 8),
            Err(Error::Mismatch(_))
        ));
        assert!(matches!(
            Checkpoint::open(&p, 4, 7),
            Err(Error::Mismatch(_))
        ));
    }
}
