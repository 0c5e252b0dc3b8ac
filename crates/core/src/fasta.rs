//! Contigs from FASTA (any reader; gzip/bzip2/xz/zstd natively with the
//! `compression` feature).
//!
//! Parsing is needletail's; on top of it this module enforces what TaxDistill
//! needs from a contig catalogue: FASTA only (no FASTQ), ids unique, sequences
//! made of IUPAC nucleotide codes (vamb accepts the same alphabet), upper case,
//! with line breaks, `\r`, spaces and tabs removed. Every error names the source
//! and the 1-based record number.

use crate::errors::{Error, Result};
use needletail::errors::{ParseError, ParseErrorKind};
use needletail::parser::Format;
use std::collections::HashSet;

/// One contig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contig {
    /// Header up to the first whitespace.
    pub id: String,
    /// Upper-case sequence bytes.
    pub seq: Vec<u8>,
}

/// What to do with each input byte of a sequence line.
/// `SKIP`: whitespace/line break, `BAD`: not an IUPAC code, else the upper-case byte.
pub(crate) const SKIP: u8 = 0;
pub(crate) const BAD: u8 = 1;

pub(crate) const fn make_clean_table() -> [u8; 256] {
    let mut t = [BAD; 256];
    // IUPAC nucleotide codes plus U, the alphabet vamb accepts
    let allowed = b"ACGTUSWKMYRBDHVN";
    let mut i = 0;
    while i < allowed.len() {
        let c = allowed[i];
        t[c as usize] = c;
        t[(c + 32) as usize] = c; // lower case
        i += 1;
    }
    t[b'\n' as usize] = SKIP;
    t[b'\r' as usize] = SKIP;
    t[b' ' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t
}

static CLEAN: [u8; 256] = make_clean_table();

/// Upper-cases `raw` into `out`, dropping line breaks and blanks.
/// On a byte outside the IUPAC alphabet, returns it.
pub(crate) fn clean_sequence(raw: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), u8> {
    out.clear();
    out.reserve(raw.len());
    let mut bad = false;
    // one branch-light pass; the rare bad byte is located afterwards
    for &b in raw {
        let c = CLEAN[b as usize];
        bad |= c == BAD;
        if c > BAD {
            out.push(c);
        }
    }
    if bad {
        let b = raw
            .iter()
            .copied()
            .find(|&b| CLEAN[b as usize] == BAD)
            .unwrap_or(0);
        return Err(b);
    }
    Ok(())
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Turns a needletail error into one of ours; `record` is the record being read.
fn parse_error(e: ParseError, source_name: &str, record: usize) -> Error {
    match e.kind {
        ParseErrorKind::EmptyFile => Error::EmptyFile {
            source_name: source_name.to_string(),
        },
        ParseErrorKind::UnknownFormat => Error::BadRecord {
            source_name: source_name.to_string(),
            record,
            reason: format!("not FASTA: {}", e.msg),
        },
        ParseErrorKind::Io => Error::BadRecord {
            source_name: source_name.to_string(),
            record,
            reason: format!(
                "read failed (truncated or corrupt compressed stream?): {}",
                e.msg
            ),
        },
        ParseErrorKind::UnexpectedEnd => truncated_header(source_name, record),
        _ => Error::BadRecord {
            source_name: source_name.to_string(),
            record,
            reason: format!("{} ({})", e.msg.trim(), e.position),
        },
    }
}

/// A header at the end of the input without a line break after it.
pub(crate) fn truncated_header(source_name: &str, record: usize) -> Error {
    Error::BadRecord {
        source_name: source_name.to_string(),
        record,
        reason: "unexpected end of input after the header: truncated record".to_string(),
    }
}

/// Counts the bytes handed out by the wrapped reader.
struct CountingReader<R> {
    inner: R,
    consumed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Streaming FASTA reader: an iterator of `Result<Contig>` in file order.
///
/// Memory is one record plus the set of ids seen (for the duplicate check).
/// After the first error the iterator is fused and yields `None`.
///
/// # Examples
/// ```
/// use taxdistill_core::fasta::ContigReader;
/// let fasta = b">c1 some description\nacgt\nNNAC\n>c2\nGGCC\n";
/// let contigs = ContigReader::new(&fasta[..], "example.fna")?
///     .collect::<taxdistill_core::Result<Vec<_>>>()?;
/// assert_eq!(contigs[0].id, "c1");
/// assert_eq!(contigs[0].seq, b"ACGTNNAC");
/// # Ok::<(), taxdistill_core::Error>(())
/// ```
pub struct ContigReader<'a> {
    inner: Box<dyn needletail::FastxReader + 'a>,
    source_name: String,
    record: usize,
    seen: HashSet<String>,
    done: bool,
    /// Whether ids are checked for duplicates (a block reader leaves it to its caller).
    check_duplicates: bool,
    /// Whether a header without a line break at the very end is the end of the
    /// input rather than a truncated record (a block cut before a record start).
    trailing_header_ends: bool,
}

impl<'a> ContigReader<'a> {
    /// Starts reading FASTA from `reader` (compressed input is detected by
    /// its magic bytes when the `compression` feature is on).
    ///
    /// # Errors
    /// [`Error::EmptyFile`] when the input is empty, [`Error::BadRecord`] when it
    /// does not start like FASTA (FASTQ, text, an unsupported compression).
    pub fn new<R: std::io::Read + Send + 'a>(reader: R, source_name: &str) -> Result<Self> {
        let consumed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = CountingReader {
            inner: reader,
            consumed: consumed.clone(),
        };
        let inner = needletail::parse_fastx_reader(counted).map_err(|e| {
            // needletail reports any failure to decode the first bytes as an empty
            // file; an empty compressed file is < 64 bytes, so more input means a
            // truncated or corrupt stream
            let n = consumed.load(std::sync::atomic::Ordering::Relaxed);
            if e.kind == ParseErrorKind::EmptyFile && n >= 64 {
                Error::BadRecord {
                    source_name: source_name.to_string(),
                    record: 1,
                    reason: format!("no record could be decoded from {n} bytes: truncated or corrupt compressed stream"),
                }
            } else {
                parse_error(e, source_name, 1)
            }
        })?;
        Ok(Self {
            inner,
            source_name: source_name.to_string(),
            record: 0,
            seen: HashSet::new(),
            done: false,
            check_duplicates: true,
            trailing_header_ends: false,
        })
    }

    /// A reader for one block of a FASTA text that was cut just after the `>`
    /// of the next record (see `features::tnf_of_fasta`): that last `>` ends the
    /// block instead of being a truncated record, and duplicate ids are left to
    /// the caller, who sees every block.
    #[cfg(feature = "parallel")]
    pub(crate) fn for_block(
        data: &'a [u8],
        source_name: &str,
        cut_before_record: bool,
    ) -> Result<Self> {
        let mut r = Self::new(data, source_name)?;
        r.check_duplicates = false;
        r.trailing_header_ends = cut_before_record;
        Ok(r)
    }

    /// The source name used in errors.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Number of records read so far.
    pub fn records_read(&self) -> usize {
        self.record
    }

    fn bad(&self, reason: String) -> Error {
        Error::BadRecord {
            source_name: self.source_name.clone(),
            record: self.record,
            reason,
        }
    }

    /// Reads the next record and hands its raw sequence bytes (line breaks
    /// included) to `seq`, which returns the first byte outside the IUPAC
    /// alphabet as its error. The iterator's checks and errors apply.
    pub(crate) fn next_with<T>(
        &mut self,
        seq: impl FnOnce(&[u8]) -> std::result::Result<T, u8>,
    ) -> Option<Result<(String, T)>> {
        if self.done {
            return None;
        }
        let item = self.read_next(seq);
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }

    fn read_next<T>(
        &mut self,
        seq: impl FnOnce(&[u8]) -> std::result::Result<T, u8>,
    ) -> Option<Result<(String, T)>> {
        self.record += 1;
        let record = self.record;
        let rec = match self.inner.next()? {
            Ok(r) => r,
            Err(e) if self.trailing_header_ends && e.kind == ParseErrorKind::UnexpectedEnd => {
                self.record -= 1;
                return None;
            }
            Err(e) => return Some(Err(parse_error(e, &self.source_name, record))),
        };
        if rec.format() == Format::Fastq {
            return Some(Err(
                self.bad("not FASTA: this is FASTQ (reads, not contigs)".to_string())
            ));
        }
        let id = match contig_id(rec.id()) {
            Ok(s) => s.to_string(),
            Err(reason) => return Some(Err(self.bad(reason.to_string()))),
        };
        let value = match seq(rec.raw_seq()) {
            Ok(v) => v,
            Err(b) => {
                return Some(Err(self.bad(format!(
                    "contig '{id}': {} is not an IUPAC nucleotide code",
                    describe_byte(b)
                ))))
            }
        };
        if self.check_duplicates && !self.seen.insert(id.clone()) {
            return Some(Err(Error::DuplicateId {
                source_name: self.source_name.clone(),
                record,
                id,
            }));
        }
        Some(Ok((id, value)))
    }
}

/// The contig id of a header line (without its `>`): the header up to the
/// first whitespace; the reason when it is empty or not UTF-8.
pub(crate) fn contig_id(header: &[u8]) -> std::result::Result<&str, &'static str> {
    let id = header
        .split(|b| b.is_ascii_whitespace())
        .next()
        .unwrap_or(&[]);
    if id.is_empty() {
        return Err("empty contig id in header");
    }
    std::str::from_utf8(id).map_err(|_| "contig id is not valid UTF-8")
}

impl Iterator for ContigReader<'_> {
    type Item = Result<Contig>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut seq = Vec::new();
        self.next_with(|raw| clean_sequence(raw, &mut seq))
            .map(|r| r.map(|(id, ())| Contig { id, seq }))
    }
}

/// Reads every contig of a FASTA stream, in file order.
///
/// # Errors
/// [`Error::EmptyFile`] for an input without records, [`Error::DuplicateId`]
/// for a repeated id, [`Error::BadRecord`] for non-FASTA input, a byte outside
/// the IUPAC alphabet or a truncated/corrupt (compressed) stream.
pub fn read_contigs<R: std::io::Read + Send>(reader: R, source_name: &str) -> Result<Vec<Contig>> {
    ContigReader::new(reader, source_name)?.collect()
}

/// A reader whose source is read on its own thread, one chunk ahead
/// (native only). Errors of the source surface on the next `read`.
#[cfg(feature = "parallel")]
pub struct ReadAhead {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

#[cfg(feature = "parallel")]
impl ReadAhead {
    /// Starts a thread that reads `source` in 1 MiB chunks, up to 4 chunks ahead.
    pub fn new<R: std::io::Read + Send + 'static>(mut source: R) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        std::thread::spawn(move || loop {
            let mut chunk = vec![0u8; 1 << 20];
            let mut filled = 0;
            // fill the chunk (decoders return short reads)
            let res = loop {
                match source.read(&mut chunk[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == chunk.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            chunk.truncate(filled);
            let last = filled == 0 || res.is_err();
            let msg = match res {
                Ok(()) => Ok(chunk),
                Err(e) => {
                    if filled > 0 && tx.send(Ok(chunk)).is_err() {
                        return;
                    }
                    Err(e)
                }
            };
            if tx.send(msg).is_err() || last {
                return;
            }
        });
        Self {
            rx,
            buf: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

#[cfg(feature = "parallel")]
impl std::io::Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => {
                    self.buf = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The decompressed text of a FASTA source (native only): gzip, bzip2, xz and
/// zstd are detected from their magic bytes as needletail detects them and
/// decoded as the text is read (read it on a thread of its own to overlap
/// the decoding with other work); plain input is passed through.
///
/// # Errors
/// [`Error::BadRecord`] (record 1) when the source cannot be read or a zstd
/// frame header is invalid.
#[cfg(feature = "compression")]
pub fn decompressed<R: std::io::Read + Send + 'static>(
    source: R,
    source_name: &str,
) -> Result<Box<dyn std::io::Read + Send>> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 20, source);
    let failed = |e: std::io::Error| Error::BadRecord {
        source_name: source_name.to_string(),
        record: 1,
        reason: format!("read failed: {e}"),
    };
    let head = r.fill_buf().map_err(failed)?;
    let magic = [head.first().copied(), head.get(1).copied()];
    Ok(match magic {
        [Some(0x1f), Some(0x8b)] => Box::new(flate2::read::MultiGzDecoder::new(r)),
        [Some(0x42), Some(0x5a)] => Box::new(bzip2::read::BzDecoder::new(r)),
        [Some(0xfd), Some(0x37)] => Box::new(liblzma::read::XzDecoder::new(r)),
        [Some(0x28), Some(0xb5)] => {
            Box::new(zstd::stream::read::Decoder::with_buffer(r).map_err(failed)?)
        }
        _ => Box::new(r),
    })
}

/// Opens FASTA for streaming with decompression on its own thread (native
/// only): gzip is inflated on a separate thread, so parsing does not wait for
/// it; bzip2/xz/zstd and plain input are read ahead on a thread as they are.
///
/// # Errors
/// As [`ContigReader::new`].
#[cfg(all(feature = "parallel", feature = "compression"))]
pub fn open_fasta_threaded<R: std::io::Read + Send + 'static>(
    source: R,
    source_name: &str,
) -> Result<ContigReader<'static>> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 20, source);
    let is_gzip = r
        .fill_buf()
        .map_err(|e| Error::BadRecord {
            source_name: source_name.to_string(),
            record: 1,
            reason: format!("read failed: {e}"),
        })?
        .starts_with(&[0x1f, 0x8b]);
    if is_gzip {
        ContigReader::new(
            ReadAhead::new(flate2::read::MultiGzDecoder::new(r)),
            source_name,
        )
    } else {
        ContigReader::new(ReadAhead::new(r), source_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data")
            .join(name)
    }

    fn read_file(name: &str) -> Result<Vec<Contig>> {
        let f = std::fs::File::open(data(name)).expect("fixture exists");
        read_contigs(f, name)
    }

    #[test]
    fn multiline_crlf_lowercase_iupac_are_normalised() {
        let input = b">a desc here\r\nacgtn\r\nRYKM\r\n>b\tx\nAC GT\n\n>c\nuu\n";
        let c = read_contigs(&input[..], "mem").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[0],
            Contig {
                id: "a".into(),
                seq: b"ACGTNRYKM".to_vec()
            }
        );
        assert_eq!(
            c[1],
            Contig {
                id: "b".into(),
                seq: b"ACGT".to_vec()
            }
        );
        assert_eq!(
            c[2],
            Contig {
                id: "c".into(),
                seq: b"UU".to_vec()
            }
        );
    }

    #[test]
    fn good_fixture_and_its_gz_twin_agree() {
        let plain = read_file("features/contigs.fna").unwrap();
        assert!(plain.len() >= 50);
        #[cfg(feature = "compression")]
        assert_eq!(read_file("features/contigs.fna.gz").unwrap(), plain);
    }

    #[test]
    fn empty_fasta_is_an_empty_file_error() {
        assert_eq!(
            read_file("bad_fasta_empty.fna"),
            Err(Error::EmptyFile {
                source_name: "bad_fasta_empty.fna".into()
            })
        );
        assert_eq!(
            read_contigs(&b""[..], "x"),
            Err(Error::EmptyFile {
                source_name: "x".into()
            })
        );
    }

    #[test]
    #[cfg(feature = "compression")]
    fn empty_gz_is_an_empty_file_error() {
        assert!(matches!(
            read_file("bad_fasta_empty.fna.gz"),
            Err(Error::EmptyFile { .. })
        ));
    }

    #[test]
    fn duplicate_ids_are_a_duplicate_id_error() {
        let e = read_file("bad_fasta_duplicate.fna").unwrap_err();
        assert_eq!(
            e,
            Error::DuplicateId {
                source_name: "bad_fasta_duplicate.fna".into(),
                record: 3,
                id: "contig_1".into()
            }
        );
    }

    #[test]
    #[cfg(feature = "compression")]
    fn duplicate_ids_in_gz_are_a_duplicate_id_error() {
        assert!(matches!(
            read_file("bad_fasta_duplicate.fna.gz"),
            Err(Error::DuplicateId { record: 3, .. })
        ));
    }

    #[test]
    fn fastq_is_a_bad_record_error() {
        let e = read_file("bad_fasta_fastq.fq").unwrap_err();
        assert!(
            matches!(&e, Error::BadRecord { record: 1, reason, .. } if reason.contains("FASTQ")),
            "{e}"
        );
    }

    #[test]
    fn plain_text_is_a_bad_record_error() {
        let e = read_file("bad_fasta_text.txt").unwrap_err();
        assert!(
            matches!(&e, Error::BadRecord { record: 1, reason, .. } if reason.contains("not FASTA")),
            "{e}"
        );
    }

    #[test]
    #[cfg(feature = "compression")]
    fn gz_of_text_is_a_bad_record_error() {
        assert!(matches!(
            read_file("bad_fasta_text.txt.gz"),
            Err(Error::BadRecord { record: 1, .. })
        ));
    }

    #[test]
    fn non_iupac_byte_is_a_bad_record_error_naming_the_record() {
        let e = read_file("bad_fasta_alphabet.fna").unwrap_err();
        assert!(
            matches!(&e, Error::BadRecord { record: 2, reason, .. } if reason.contains("'J'")),
            "{e}"
        );
    }

    #[test]
    #[cfg(feature = "compression")]
    fn truncated_compressed_streams_are_bad_record_errors() {
        for name in [
            "bad_fasta_truncated.fna.gz",
            "bad_fasta_truncated.fna.bz2",
            "bad_fasta_truncated.fna.xz",
            "bad_fasta_truncated.fna.zst",
        ] {
            let e = read_file(name).unwrap_err();
            assert!(matches!(&e, Error::BadRecord { .. }), "{name}: {e}");
            assert!(e.to_string().starts_with(name), "{e}");
        }
    }

    #[test]
    #[cfg(feature = "compression")]
    fn all_compressions_read_like_plain() {
        let plain = read_file("features/small.fna").unwrap();
        assert_eq!(plain.len(), 8);
        for name in [
            "features/small.fna.bz2",
            "features/small.fna.xz",
            "features/small.fna.zst",
        ] {
            assert_eq!(read_file(name).unwrap(), plain, "{name}");
        }
    }

    #[test]
    #[cfg(all(feature = "parallel", feature = "compression"))]
    fn threaded_reading_agrees_and_reports_truncation() {
        let open = |name: &str| {
            open_fasta_threaded(std::fs::File::open(data(name)).unwrap(), name).unwrap()
        };
        let plain = read_file("features/contigs.fna").unwrap();
        let threaded: Vec<Contig> = open("features/contigs.fna.gz")
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(threaded, plain);
        let small: Vec<Contig> = open("features/small.fna.zst")
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(small.len(), 8);
        let e = open("bad_fasta_truncated.fna.gz")
            .collect::<Result<Vec<_>>>()
            .unwrap_err();
        assert!(matches!(e, Error::BadRecord { .. }), "{e}");
        let e = open_fasta_threaded(
            std::fs::File::open(data("bad_fasta_empty.fna.gz")).unwrap(),
            "e",
        )
        .err()
        .unwrap();
        assert!(matches!(e, Error::EmptyFile { .. }), "{e}");
    }

    #[test]
    fn header_without_id_is_a_bad_record_error() {
        let e = read_contigs(&b">a\nAC\n> x\nAC\n"[..], "m").unwrap_err();
        assert!(matches!(e, Error::BadRecord { record: 2, .. }), "{e}");
    }

    #[test]
    fn iterator_stops_after_the_first_error() {
        let mut r = ContigReader::new(&b">a\nAC\n>a\nAC\n>b\nAC\n"[..], "m").unwrap();
        assert!(r.next().unwrap().is_ok());
        assert!(r.next().unwrap().is_err());
        assert!(r.next().is_none());
    }
}
