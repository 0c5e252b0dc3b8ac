//! TNF of a whole FASTA stream on every core (native, `parallel` feature).
//!
//! The decompressed text is cut into blocks of whole records, each cut made
//! where needletail itself ends a record (a line break followed by `>`). Every
//! block is parsed by the same needletail-based [`ContigReader`] and counted
//! in one pass over its raw bytes ([`raw_kmer_counts`]), on rayon's pool; the
//! results are merged in file order, where duplicate ids are found and record
//! numbers made global. Errors are the ones the sequential reader gives, for
//! the same record (a test and a fuzz target compare the two on any input).
//!
//! Memory: a few blocks (a block grows only to hold one record longer than
//! it) plus the 103 floats and the id of each contig; it does not grow with the
//! sequence volume.

use super::{project, raw_kmer_counts, FeatureBuilder, N_TNF};
use crate::errors::{Error, Result};
use crate::fasta::{Contig, ContigReader};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

/// Default block size: large enough that the cut and the per-block set-up
/// cost nothing, small enough that two cores get many blocks.
pub const DEFAULT_BLOCK_BYTES: usize = 4 << 20;

/// One block of whole records, `data[..len]`. Unless `last`, `data[len - 1]`
/// is the `>` that starts the next block's first record.
struct Block {
    index: usize,
    data: Vec<u8>,
    len: usize,
    last: bool,
}

/// Reads into `buf[*filled..]` until it is full or the input ends; returns whether it ended.
fn read_into(
    src: &mut (dyn Read + Send),
    buf: &mut [u8],
    filled: &mut usize,
) -> std::io::Result<bool> {
    while *filled < buf.len() {
        match src.read(&mut buf[*filled..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// A block or the read error that ended the input, with the block's index.
type Produced = std::result::Result<Block, (usize, std::io::Error)>;

/// Cuts the text into [`Block`]s at record starts and sends them in order
/// (on its own thread, so decompression and reading overlap the counting).
/// Buffers come back through `recycle` and are reused without being cleared.
struct Producer<'a> {
    src: &'a mut (dyn Read + Send),
    carry: Vec<u8>,
    block_bytes: usize,
    tx: std::sync::mpsc::SyncSender<Produced>,
    recycle: std::sync::mpsc::Receiver<Vec<u8>>,
    stop: &'a AtomicBool,
}

impl Producer<'_> {
    fn run(mut self) {
        for index in 0.. {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            match self.next_block(index) {
                Ok(Some(block)) => {
                    let last = block.last;
                    if self.tx.send(Ok(block)).is_err() || last {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = self.tx.send(Err((index, e)));
                    return;
                }
            }
        }
    }

    fn next_block(&mut self, index: usize) -> std::io::Result<Option<Block>> {
        let mut buf = self.recycle.try_recv().unwrap_or_default();
        let mut want = self.block_bytes.max(self.carry.len() + 1);
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        // where the search for a cut resumes when the block has to grow
        let mut searched = 0usize;
        loop {
            if read_into(self.src, &mut buf[..want], &mut filled)? {
                return Ok((filled > 0).then_some(Block {
                    index,
                    data: buf,
                    len: filled,
                    last: true,
                }));
            }
            // the last record start in the block (never the block's own first one)
            if let Some(p) = memchr::memmem::rfind(&buf[searched..filled], b"\n>") {
                let cut = searched + p + 1;
                self.carry.clear();
                self.carry.extend_from_slice(&buf[cut..filled]);
                return Ok(Some(Block {
                    index,
                    data: buf,
                    len: cut + 1,
                    last: false,
                }));
            }
            // one record longer than the block: read on
            searched = filled - 1;
            want *= 2;
            if buf.len() < want {
                buf.resize(want, 0);
            }
        }
    }
}

/// What one block gave: its contigs in order, then possibly the error that
/// stopped it (with the record number counted from the block's start).
struct BlockOut {
    index: usize,
    contigs: Vec<(String, usize, [f32; N_TNF])>,
    error: Option<Error>,
}

fn read_block(block: &Block, source_name: &str) -> BlockOut {
    let mut out = BlockOut {
        index: block.index,
        contigs: Vec::new(),
        error: None,
    };
    let data = &block.data[..block.len];
    if data.len() < 2 {
        // a lone '>' ends the input (needletail cannot open a 1-byte reader)
        out.error = Some(crate::fasta::truncated_header(source_name, 1));
        return out;
    }
    let mut reader = match ContigReader::for_block(data, source_name, !block.last) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    while let Some(item) = reader.next_with(raw_kmer_counts) {
        match item {
            Ok((id, (counts, len))) => out.contigs.push((id, len, project(&counts))),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// The error of a block with its record number made global.
fn shift_record(e: Error, offset: usize) -> Error {
    match e {
        Error::BadRecord {
            source_name,
            record,
            reason,
        } => Error::BadRecord {
            source_name,
            record: record + offset,
            reason,
        },
        Error::DuplicateId {
            source_name,
            record,
            id,
        } => Error::DuplicateId {
            source_name,
            record: record + offset,
            id,
        },
        other => other,
    }
}

/// Raw TNF (before z-scoring) of every contig of a FASTA stream, in file
/// order, counted on rayon's pool; compressed input (gzip, bzip2, xz, zstd) is
/// decoded on a thread of its own with the `compression` feature.
///
/// # Errors
/// The errors of [`crate::fasta::read_contigs`] for the same input and record:
/// [`Error::EmptyFile`], [`Error::DuplicateId`], [`Error::BadRecord`] (not
/// FASTA, a byte outside the IUPAC alphabet, a truncated or corrupt stream).
pub fn tnf_of_fasta<R: Read + Send + 'static>(
    source: R,
    source_name: &str,
) -> Result<FeatureBuilder> {
    tnf_of_fasta_in_blocks(source, source_name, DEFAULT_BLOCK_BYTES)
}

/// [`tnf_of_fasta`] with blocks of about `block_bytes` (at least 2) instead of
/// [`DEFAULT_BLOCK_BYTES`]; the result does not depend on it (tests and the
/// fuzz target use tiny blocks to put cuts everywhere).
///
/// # Errors
/// As [`tnf_of_fasta`].
pub fn tnf_of_fasta_in_blocks<R: Read + Send + 'static>(
    source: R,
    source_name: &str,
    block_bytes: usize,
) -> Result<FeatureBuilder> {
    // decoded on the block producer's thread, as it reads
    #[cfg(feature = "compression")]
    let mut text = crate::fasta::decompressed(source, source_name)?;
    #[cfg(not(feature = "compression"))]
    let mut text: Box<dyn Read + Send> = Box::new(source);
    tnf_of_text(&mut *text, source_name, block_bytes)
}

/// [`tnf_of_fasta`] on decompressed text, cut into blocks of about `block_bytes`.
pub(crate) fn tnf_of_text(
    text: &mut (dyn Read + Send),
    source_name: &str,
    block_bytes: usize,
) -> Result<FeatureBuilder> {
    let read_failed = |e: std::io::Error, record: usize| Error::BadRecord {
        source_name: source_name.to_string(),
        record,
        reason: format!("read failed (truncated or corrupt compressed stream?): {e}"),
    };
    // An input that does not start like a FASTA record goes through the
    // sequential reader, which knows every way of not being FASTA.
    let mut head = vec![0u8; 2];
    let mut got = 0;
    read_into(text, &mut head, &mut got).map_err(|e| read_failed(e, 1))?;
    head.truncate(got);
    if head.len() < 2 || head[0] != b'>' {
        let rest = std::io::Cursor::new(head).chain(text);
        let mut b = FeatureBuilder::new();
        for c in ContigReader::new(rest, source_name)? {
            let Contig { id, seq } = c?;
            b.push_raw(id, seq.len(), super::tnf(&seq));
        }
        return Ok(b);
    }

    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Produced>(2);
    let (give_back, recycle) = std::sync::mpsc::channel::<Vec<u8>>();
    let mut outs: Vec<std::result::Result<BlockOut, (usize, std::io::Error)>> =
        std::thread::scope(|scope| {
            let producer = Producer {
                src: text,
                carry: head,
                block_bytes: block_bytes.max(2),
                tx,
                recycle,
                stop: &stop,
            };
            scope.spawn(move || producer.run());
            rx.into_iter()
                .par_bridge()
                .map(|block| {
                    let block = block?;
                    let out = read_block(&block, source_name);
                    if out.error.is_some() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    let _ = give_back.send(block.data);
                    Ok(out)
                })
                .collect()
        });
    outs.sort_by_key(|o| match o {
        Ok(o) => o.index,
        Err((i, _)) => *i,
    });

    let mut builder = FeatureBuilder::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0usize;
    for out in outs {
        let out = match out {
            Ok(o) => o,
            Err((_, e)) => return Err(read_failed(e, offset + 1)),
        };
        let block_start = offset;
        for (id, len, tnf) in out.contigs {
            offset += 1;
            if !seen.insert(id.clone()) {
                return Err(Error::DuplicateId {
                    source_name: source_name.to_string(),
                    record: offset,
                    id,
                });
            }
            builder.push_raw(id, len, tnf);
        }
        if let Some(e) = out.error {
            return Err(shift_record(e, block_start));
        }
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fasta::read_contigs;
    use proptest::prelude::*;

    /// What the sequential reader gives: (id, length, tnf) per contig, or its error.
    fn sequential(data: &[u8]) -> Result<Vec<(String, usize, [f32; N_TNF])>> {
        let contigs = read_contigs(data, "mem")?;
        Ok(contigs
            .into_iter()
            .map(|c| {
                let t = super::super::tnf(&c.seq);
                (c.id, c.seq.len(), t)
            })
            .collect())
    }

    fn blockwise(data: &[u8], block_bytes: usize) -> Result<Vec<(String, usize, [f32; N_TNF])>> {
        let mut src: &[u8] = data;
        let b = tnf_of_text(&mut src, "mem", block_bytes)?;
        Ok(b.ids
            .into_iter()
            .zip(b.lengths)
            .zip(b.tnf)
            .map(|((id, len), t)| (id, len, t))
            .collect())
    }

    #[test]
    fn blocks_agree_with_the_sequential_reader_on_the_fixture() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/features/contigs.fna");
        let data = std::fs::read(path).unwrap();
        let want = sequential(&data).unwrap();
        for block in [2, 100, 4096, 1 << 20] {
            assert_eq!(blockwise(&data, block).unwrap(), want, "block {block}");
        }
    }

    #[test]
    fn errors_name_the_same_record_as_the_sequential_reader() {
        for data in [
            &b">a\nAC\n>b\nGG\n>a\nTT\n"[..],
            b">a\nAC\n>b\nGJG\n>c\nTT\n",
            b">a\nAC\n> x\nGG\n",
            b"@r\nACGT\n+\nIIII\n",
            b"",
            b">",
            b">a",
            b"hello\n",
            b">a\n>b\nAC\n>c",
            b">a\nAC\n>",
            b">a\nAC\n>\n",
        ] {
            for block in [2, 3, 7, 64] {
                assert_eq!(
                    blockwise(data, block).map(|_| ()),
                    sequential(data).map(|_| ()),
                    "{:?} in blocks of {block}",
                    String::from_utf8_lossy(data)
                );
            }
        }
    }

    #[test]
    #[cfg(feature = "compression")]
    fn compressed_fixtures_read_like_plain_and_truncation_is_an_error() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
        let open = |name: &str| std::fs::File::open(dir.join(name)).unwrap();
        let plain = tnf_of_fasta(open("features/small.fna"), "small").unwrap();
        for name in [
            "features/small.fna.bz2",
            "features/small.fna.xz",
            "features/small.fna.zst",
        ] {
            let b = tnf_of_fasta(open(name), name).unwrap();
            assert_eq!((&b.ids, &b.tnf), (&plain.ids, &plain.tnf), "{name}");
        }
        let gz = tnf_of_fasta(open("features/contigs.fna.gz"), "gz").unwrap();
        assert_eq!(gz.len(), 60);
        for name in [
            "bad_fasta_truncated.fna.gz",
            "bad_fasta_truncated.fna.bz2",
            "bad_fasta_truncated.fna.xz",
            "bad_fasta_truncated.fna.zst",
        ] {
            let e = tnf_of_fasta(open(name), name).unwrap_err();
            assert!(matches!(e, Error::BadRecord { .. }), "{name}: {e}");
        }
        assert!(matches!(
            tnf_of_fasta(open("bad_fasta_empty.fna.gz"), "e"),
            Err(Error::EmptyFile { .. })
        ));
        assert!(matches!(
            tnf_of_fasta(open("bad_fasta_duplicate.fna.gz"), "d"),
            Err(Error::DuplicateId { record: 3, .. })
        ));
    }

    fn fasta_like() -> impl Strategy<Value = Vec<u8>> {
        // record-ish pieces, so that cuts, empty records, CRLF, blanks and bad bytes all occur
        let piece = prop_oneof![
            4 => "[ACGTNacgtRY]{0,40}".prop_map(String::into_bytes),
            2 => Just(b"\n".to_vec()),
            1 => Just(b"\r\n".to_vec()),
            2 => "\n>[a-d]{0,2}( [xy]{0,3})?\n".prop_map(String::into_bytes),
            1 => Just(b" ".to_vec()),
            1 => prop::collection::vec(any::<u8>(), 1..3),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|parts| {
            let mut v = b">s\n".to_vec();
            for p in parts {
                v.extend(p);
            }
            v
        })
    }

    proptest! {
        #[test]
        fn blocks_give_what_the_sequential_reader_gives(data in fasta_like(), block in 2usize..200) {
            prop_assert_eq!(blockwise(&data, block), sequential(&data));
        }
    }
}
