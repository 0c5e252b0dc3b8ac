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

use super::{project, FeatureBuilder, RawCounter, N_TNF};
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

/// Parses and counts one block, `data`; unless `last`, its final byte is the
/// `>` of the next block's first record.
fn read_block(index: usize, data: &[u8], last: bool, source_name: &str) -> BlockOut {
    let mut out = BlockOut {
        index,
        contigs: Vec::new(),
        error: None,
    };
    if data.len() < 2 {
        // a lone '>' ends the input (needletail cannot open a 1-byte reader)
        out.error = Some(crate::fasta::truncated_header(source_name, 1));
        return out;
    }
    let mut counter = Box::new(RawCounter::new());
    if super::records_tnf(data, !last, &mut counter, &mut out.contigs) {
        return out;
    }
    // not plain records: the FASTA reader says what is wrong
    out.contigs.clear();
    let mut reader = match ContigReader::for_block(data, source_name, !last) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    while let Some(item) = reader.next_with(|raw| counter.count(raw)) {
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

/// Block size of [`tnf_of_file`] on a plain file: a block and its thread's
/// buffer stay in the core's L2 cache, and the cores finish together.
const FILE_BLOCK_BYTES: usize = 512 << 10;

/// Bytes read past a block's end at first, to find where its last record
/// ends (doubled until found).
const LOOKAHEAD_BYTES: usize = 16 << 10;

/// [`tnf_of_fasta`] of a file: a plain (uncompressed) file is cut into blocks
/// of whole records that the cores read themselves, each with positioned
/// reads into a buffer of its thread, so every core parses from the start
/// and memory does not grow with the file; compressed input, and a file that
/// cannot be read at an offset (a pipe), are streamed as by [`tnf_of_fasta`].
/// `progress` is told each number of bytes (of the file as stored) done.
///
/// As with any reader of a file by parts, a file changed by another process
/// while it is read is not supported.
///
/// # Errors
/// As [`tnf_of_fasta`], plus [`Error::Io`] when the file cannot be opened.
pub fn tnf_of_file(
    path: &std::path::Path,
    source_name: &str,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<FeatureBuilder> {
    let io = |e: std::io::Error| Error::Io {
        source_name: source_name.to_string(),
        reason: format!("cannot read: {e}"),
        kind: e.kind(),
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = [0u8; 2];
    let mut got = 0;
    read_into(&mut file, &mut head, &mut got).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    #[cfg(unix)]
    if got == 2 && head[0] == b'>' && meta.is_file() {
        let (block, ahead) = (FILE_BLOCK_BYTES, LOOKAHEAD_BYTES);
        return blocks_at(&file, meta.len(), source_name, block, ahead, &progress);
    }
    // a pipe cannot seek back: the bytes already read go first
    struct Counted<F> {
        file: std::io::Chain<std::io::Cursor<Vec<u8>>, std::fs::File>,
        progress: F,
    }
    impl<F: Fn(u64)> Read for Counted<F> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.file.read(buf)?;
            (self.progress)(n as u64);
            Ok(n)
        }
    }
    let file = std::io::Cursor::new(head[..got].to_vec()).chain(file);
    tnf_of_fasta(Counted { file, progress }, source_name)
}

/// [`tnf_of_file`] of a plain FASTA file of `len` bytes that starts with `>`,
/// in blocks of about `block_bytes`: block i runs from the first record start
/// at or after i · `block_bytes` to the next block's start, and the task of
/// block i finds both ends itself, reading from i · `block_bytes` − 1 to
/// `ahead` bytes past its nominal end (more while its last record goes on).
#[cfg(unix)]
fn blocks_at(
    file: &std::fs::File,
    len: u64,
    source_name: &str,
    block_bytes: usize,
    ahead: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FeatureBuilder> {
    use std::os::unix::fs::FileExt;
    let too_big = || Error::Io {
        source_name: source_name.to_string(),
        reason: "file too large to address".to_string(),
        kind: std::io::ErrorKind::FileTooLarge,
    };
    let len = usize::try_from(len).map_err(|_| too_big())?;
    let (block_bytes, ahead) = (block_bytes.max(2), ahead.max(1));
    // buf[..*have] holds file[from..from + *have]: read on up to `upto`. The
    // buffer only grows (zeroed once), so a block costs no pass to clear it.
    let fill = |buf: &mut Vec<u8>, have: &mut usize, from: usize, upto: usize| {
        if buf.len() < upto - from {
            buf.resize(upto - from, 0);
        }
        let r = file.read_exact_at(&mut buf[*have..upto - from], (from + *have) as u64);
        *have = upto - from;
        r
    };
    // blocks after the first one that failed need not be read
    let first_error = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let outs = (0..len.div_ceil(block_bytes))
        .into_par_iter()
        .map_init(Vec::new, |buf: &mut Vec<u8>, i| {
            let mut out = BlockOut {
                index: i,
                contigs: Vec::new(),
                error: None,
            };
            if i > first_error.load(Ordering::Relaxed) {
                return Ok(out);
            }
            let (at, next_at) = (i * block_bytes, (i + 1) * block_bytes);
            // from at - 1, so that a '>' at `at` right after a line break is found
            let from = at.saturating_sub(1);
            let mut have = 0;
            let mut upto = next_at.saturating_add(ahead).min(len);
            fill(buf, &mut have, from, upto).map_err(|e| (i, e))?;
            let start = if i == 0 {
                0
            } else {
                match memchr::memmem::find(&buf[..have], b"\n>") {
                    Some(p) if from + p + 1 < next_at => from + p + 1,
                    // inside a record longer than a block: an earlier block reads it
                    _ => return Ok(out),
                }
            };
            // the first record start at or after next_at, or the end of the input
            let end = loop {
                if next_at >= len {
                    break len;
                }
                let look = next_at - 1 - from;
                if let Some(p) = memchr::memmem::find(&buf[look..have], b"\n>") {
                    break from + look + p + 1;
                }
                if upto == len {
                    break len;
                }
                upto = upto.saturating_add((upto - next_at).max(ahead)).min(len);
                fill(buf, &mut have, from, upto).map_err(|e| (i, e))?;
            };
            let last = end == len;
            // unless last, the block ends with the '>' of the next record
            let data = &buf[start - from..if last { len } else { end + 1 } - from];
            out = read_block(i, data, last, source_name);
            if out.error.is_some() {
                first_error.fetch_min(i, Ordering::Relaxed);
            }
            progress((end - start) as u64);
            Ok(out)
        })
        .collect();
    merge(outs, source_name, |e, _| Error::Io {
        source_name: source_name.to_string(),
        reason: format!("cannot read: {e}"),
        kind: e.kind(),
    })
}

/// [`tnf_of_fasta`] of FASTA text in memory, cut in place into blocks of about
/// `block_bytes` (at least 2), each cut just before a record (a line break
/// followed by `>`), counted on rayon's pool; `progress` gets each counted
/// block's length.
///
/// # Errors
/// As [`tnf_of_fasta`].
pub fn tnf_of_slice(
    data: &[u8],
    source_name: &str,
    block_bytes: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FeatureBuilder> {
    if data.len() < 2 || data[0] != b'>' {
        return sequential(data, source_name);
    }
    let block_bytes = block_bytes.max(2);
    let region = data.len();
    // Block i runs from the first record start at or after i · block_bytes to
    // the next block's start; each block finds both itself.
    let start_of = |i: usize| -> usize {
        let at = i.saturating_mul(block_bytes);
        if i == 0 || at >= region {
            return at.min(region);
        }
        // from at - 1, so that a '>' at `at` right after a line break is found
        memchr::memmem::find(&data[at - 1..region], b"\n>").map_or(region, |p| at + p)
    };
    // blocks after the first one that failed need not be read
    let first_error = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let outs = (0..region.div_ceil(block_bytes))
        .into_par_iter()
        .map(|i| {
            let mut out = BlockOut {
                index: i,
                contigs: Vec::new(),
                error: None,
            };
            if i > first_error.load(Ordering::Relaxed) {
                return Ok(out);
            }
            let (start, next) = (start_of(i), start_of(i + 1));
            if start >= next {
                // inside a record longer than a block: an earlier block reads it
                return Ok(out);
            }
            let last = next == region;
            // unless last, the block ends with the '>' of the next record
            let end = if last { next } else { next + 1 };
            out = read_block(i, &data[start..end], last, source_name);
            if out.error.is_some() {
                first_error.fetch_min(i, Ordering::Relaxed);
            }
            progress((next - start) as u64);
            Ok(out)
        })
        .collect();
    merge(outs, source_name, |e, _| Error::Io {
        source_name: source_name.to_string(),
        reason: e.to_string(),
        kind: e.kind(),
    })
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
    let mut head = vec![0u8; 2];
    let mut got = 0;
    read_into(text, &mut head, &mut got).map_err(|e| read_failed(e, 1))?;
    head.truncate(got);
    if head.len() < 2 || head[0] != b'>' {
        return sequential(std::io::Cursor::new(head).chain(text), source_name);
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
                    let out = read_block(
                        block.index,
                        &block.data[..block.len],
                        block.last,
                        source_name,
                    );
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
    merge(outs, source_name, read_failed)
}

/// An input that does not start like a FASTA record, through the sequential
/// reader, which knows every way of not being FASTA.
fn sequential<R: Read + Send>(text: R, source_name: &str) -> Result<FeatureBuilder> {
    let mut b = FeatureBuilder::new();
    for c in ContigReader::new(text, source_name)? {
        let Contig { id, seq } = c?;
        b.push_raw(id, seq.len(), super::tnf(&seq));
    }
    Ok(b)
}

/// The blocks' contigs in file order (`outs` sorted by index): duplicate ids
/// found and record numbers made global; the first error in file order wins.
fn merge(
    outs: Vec<std::result::Result<BlockOut, (usize, std::io::Error)>>,
    source_name: &str,
    read_failed: impl Fn(std::io::Error, usize) -> Error,
) -> Result<FeatureBuilder> {
    // the checks first, in file order, on borrowed ids: where the input fails
    enum Failed {
        Read(usize, usize),
        Duplicate(usize, String),
        Block(usize, usize),
    }
    let total = outs.iter().flatten().map(|o| o.contigs.len()).sum();
    let find_failure = || {
        let mut seen: HashSet<&str, foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(total, Default::default());
        let mut offset = 0usize;
        for (pos, out) in outs.iter().enumerate() {
            let Ok(out) = out else {
                return Some(Failed::Read(pos, offset + 1));
            };
            let block_start = offset;
            for (id, _, _) in &out.contigs {
                offset += 1;
                if !seen.insert(id) {
                    return Some(Failed::Duplicate(offset, id.clone()));
                }
            }
            if out.error.is_some() {
                return Some(Failed::Block(pos, block_start));
            }
        }
        None
    };
    // meanwhile, the TNF rows (most of the bytes) are written on the pool,
    // each block into its own part of the result
    let mut tnf: Vec<[f32; N_TNF]> = Vec::with_capacity(total);
    let copy_rows = |tnf: &mut Vec<[f32; N_TNF]>| {
        let mut parts = Vec::with_capacity(outs.len());
        let mut rest = &mut tnf.spare_capacity_mut()[..total];
        for o in outs.iter().flatten() {
            let (part, tail) = rest.split_at_mut(o.contigs.len());
            parts.push((part, &o.contigs));
            rest = tail;
        }
        parts.into_par_iter().for_each(|(part, contigs)| {
            for (row, c) in part.iter_mut().zip(contigs) {
                row.write(c.2);
            }
        });
    };
    let (failed, ()) = rayon::join(find_failure, || copy_rows(&mut tnf));
    match failed {
        Some(Failed::Read(pos, record)) => {
            let Some(Err((_, e))) = outs.into_iter().nth(pos) else {
                unreachable!("block {pos} failed to read")
            };
            return Err(read_failed(e, record));
        }
        Some(Failed::Duplicate(record, id)) => {
            return Err(Error::DuplicateId {
                source_name: source_name.to_string(),
                record,
                id,
            })
        }
        Some(Failed::Block(pos, block_start)) => {
            let Some(Ok(BlockOut { error: Some(e), .. })) = outs.into_iter().nth(pos) else {
                unreachable!("block {pos} has an error")
            };
            return Err(shift_record(e, block_start));
        }
        None => {}
    }
    // SAFETY: no block failed, so all are there: the parts cover 0..total,
    // and block i's part has exactly as many rows as it has contigs, each
    // written by copy_rows
    unsafe { tnf.set_len(total) };
    let mut builder = FeatureBuilder {
        ids: Vec::with_capacity(total),
        lengths: Vec::with_capacity(total),
        tnf,
    };
    for (id, len, _) in outs.into_iter().flatten().flat_map(|o| o.contigs) {
        builder.ids.push(id);
        builder.lengths.push(len);
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

    /// What the streaming blocks give, checked equal to what the in-place blocks give.
    fn blockwise(data: &[u8], block_bytes: usize) -> Result<Vec<(String, usize, [f32; N_TNF])>> {
        let rows = |b: FeatureBuilder| -> Vec<(String, usize, [f32; N_TNF])> {
            b.ids
                .into_iter()
                .zip(b.lengths)
                .zip(b.tnf)
                .map(|((id, len), t)| (id, len, t))
                .collect()
        };
        let mut src: &[u8] = data;
        let streamed = tnf_of_text(&mut src, "mem", block_bytes).map(rows);
        let sliced = tnf_of_slice(data, "mem", block_bytes, &|_| {}).map(rows);
        assert_eq!(
            streamed, sliced,
            "streamed and in-place blocks of {block_bytes}"
        );
        if data.len() >= 2 && data[0] == b'>' {
            // read from a file by the cores, with a look-ahead shorter than
            // some records
            let path = std::env::temp_dir().join(format!(
                "taxdistill-stream-{}-{:?}.fna",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&path, data).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let (ahead, len) = (block_bytes / 3 + 1, data.len() as u64);
            let read = blocks_at(&file, len, "mem", block_bytes, ahead, &|_| {});
            std::fs::remove_file(&path).unwrap();
            assert_eq!(
                streamed,
                read.map(rows),
                "blocks of {block_bytes} read at offsets, looking {ahead} ahead"
            );
        }
        streamed
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
        // from a path: the plain file read by the cores, the compressed ones streamed; the
        // progress adds up to the file's size either way
        let plain_big = tnf_of_fasta(open("features/contigs.fna"), "p").unwrap();
        for name in ["features/contigs.fna", "features/contigs.fna.gz"] {
            let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let d = done.clone();
            let b = tnf_of_file(&dir.join(name), name, move |n| {
                d.fetch_add(n, Ordering::Relaxed);
            })
            .unwrap();
            assert_eq!((&b.ids, &b.tnf), (&plain_big.ids, &plain_big.tnf), "{name}");
            let size = std::fs::metadata(dir.join(name)).unwrap().len();
            assert_eq!(done.load(Ordering::Relaxed), size, "{name}");
        }
        assert!(matches!(
            tnf_of_file(&dir.join("no/such.fna"), "missing", |_| {}),
            Err(Error::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            })
        ));
        for name in ["bad_fasta_duplicate.fna", "bad_fasta_duplicate.fna.gz"] {
            assert!(matches!(
                tnf_of_file(&dir.join(name), name, |_| {}),
                Err(Error::DuplicateId { record: 3, .. })
            ));
        }
        for name in ["bad_fasta_empty.fna", "bad_fasta_empty.fna.gz"] {
            assert!(matches!(
                tnf_of_file(&dir.join(name), name, |_| {}),
                Err(Error::EmptyFile { .. })
            ));
        }
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

    /// The fast reader's result with the code for each instruction set this
    /// CPU has; they must agree (then that is the result).
    fn fast_on_each_isa(data: &[u8], cut: bool) -> Option<Vec<(String, usize, [f32; N_TNF])>> {
        let mut results = super::super::Isa::available().into_iter().map(|isa| {
            let mut records = super::super::Records {
                rows: Vec::new(),
                counts: Vec::new(),
            };
            let ok = super::super::records_on(isa, data, cut, &mut RawCounter::new(), &mut records);
            let mut rows = records.rows;
            super::super::project_many(&records.counts, rows.iter_mut().map(|r| &mut r.2));
            (isa, ok.then_some(rows))
        });
        let (_, first) = results.next().unwrap();
        for (isa, got) in results {
            assert_eq!(got, first, "{isa:?} against the scalar code");
        }
        first
    }

    #[test]
    fn the_fast_reader_takes_plain_records_and_declines_the_rest() {
        let fast = |data: &[u8], cut: bool| {
            let mut out = Vec::new();
            let ok = super::super::records_tnf(data, cut, &mut RawCounter::new(), &mut out);
            let got = ok.then_some(out);
            assert_eq!(
                got,
                fast_on_each_isa(data, cut),
                "{}",
                String::from_utf8_lossy(data)
            );
            got
        };
        let plain = b">a x\nACGTACGTACGTACGTAC\nACGTACGTACGTACGTAC\nAC\n>b\r\nNNACGT\r\n";
        let got = fast(plain, false).expect("plain records take the fast path");
        let want = sequential(plain).unwrap();
        assert_eq!(got, want);
        // cut before the next block's record
        let mut cut = plain.to_vec();
        cut.push(b'>');
        assert_eq!(fast(&cut, true), Some(want));
        assert_eq!(fast(plain, true), None, "a cut block ends with '>'");
        for bad in [
            &b">a\nACGT\n>\nACGT\n"[..], // empty id
            b">a\nACGT\n>b\n>c\nACGT\n", // empty record
            b">a\nACGJ\n",               // not IUPAC
            b">a\nAC>GT\n",              // '>' inside a line
            b">a\nACGT\n>b",             // header without a line break
            b"ACGT\n",                   // no header
        ] {
            assert_eq!(fast(bad, false), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    /// Wrapped FASTA as assemblers write it (one line width, LF or CRLF, a
    /// shorter last line), with what breaks the line-length guess of the fast
    /// reader: a line of another width, IUPAC codes, blanks, bad bytes, a '>'
    /// inside a line, empty records, and lines longer than a counter's block.
    fn wrapped_fasta() -> impl Strategy<Value = Vec<u8>> {
        let edit = prop_oneof![
            6 => Just(None),
            1 => (0usize..5000, prop::sample::select(b"NnRy \t>J\x00\xff@".to_vec())).prop_map(Some),
        ];
        let record = (
            prop::sample::select(vec![0usize, 1, 15, 16, 17, 100, 999, 4200, 9000]),
            0usize..80,
            prop::collection::vec(edit, 0..3),
            any::<bool>(),
        );
        (
            prop::sample::select(vec![16usize, 17, 31, 32, 33, 60, 80, 4100, 5000]),
            any::<bool>(),
            prop::collection::vec(record, 1..6),
            any::<u64>(),
        )
            .prop_map(|(width, crlf, records, seed)| {
                let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
                let mut state = seed | 1;
                let mut out = Vec::new();
                for (i, (len, extra, edits, odd_line)) in records.into_iter().enumerate() {
                    out.extend_from_slice(format!(">r{i} len={}", len + extra).as_bytes());
                    out.extend_from_slice(eol);
                    let mut seq: Vec<u8> = (0..len + extra)
                        .map(|_| {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            b"ACGT"[(state >> 33) as usize % 4]
                        })
                        .collect();
                    for (at, byte) in edits.into_iter().flatten() {
                        if !seq.is_empty() {
                            let k = at % seq.len();
                            seq[k] = byte;
                        }
                    }
                    let mut k = 0;
                    let mut line = 0;
                    while k < seq.len() {
                        let w = if odd_line && line == 1 {
                            width / 2 + 1
                        } else {
                            width
                        };
                        let e = (k + w).min(seq.len());
                        out.extend_from_slice(&seq[k..e]);
                        out.extend_from_slice(eol);
                        (k, line) = (e, line + 1);
                    }
                }
                out
            })
    }

    proptest! {
        #[test]
        fn blocks_give_what_the_sequential_reader_gives(data in fasta_like(), block in 2usize..200) {
            prop_assert_eq!(blockwise(&data, block), sequential(&data));
        }

        #[test]
        fn wrapped_records_read_as_the_sequential_reader_reads_them(
            data in wrapped_fasta(),
            block in prop::sample::select(vec![2usize, 50, 700, 5000, 1 << 20]),
        ) {
            fast_on_each_isa(&data, false);
            prop_assert_eq!(blockwise(&data, block), sequential(&data));
        }
    }
}
