//! Contigs from FASTA (any reader; gzip/bzip2/xz/zstd natively).
//!
//! API contract (other crates rely on these names):
//! - `pub struct Contig { pub id: String, pub seq: Vec<u8> }` — id = header up to the first whitespace,
//!   sequence upper-cased, line breaks/CR removed.
//! - `pub fn read_contigs<R: std::io::Read + Send>(reader: R, source_name: &str) -> Result<Vec<Contig>>`
//! - a streaming reader `ContigReader` (iterator of `Result<Contig>`) for the browser worker and big files.

/// One contig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contig {
    /// Header up to the first whitespace.
    pub id: String,
    /// Upper-case sequence bytes.
    pub seq: Vec<u8>,
}
