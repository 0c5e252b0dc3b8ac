//! `std::io::Read` over a `web_sys::Blob` (a `File` is one) in a worker:
//! `FileReaderSync` reads one `Blob.slice` at a time, so a file is streamed in
//! fixed chunks and never held whole in memory.

use send_wrapper::SendWrapper;
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{Blob, FileReaderSync};

/// Bytes read per `Blob.slice`.
const CHUNK: f64 = 4.0 * 1024.0 * 1024.0;

/// A buffered, streaming reader over a blob (workers only: `FileReaderSync`).
///
/// It is `Send` (the core's FASTA parser asks for it) through `SendWrapper`,
/// which panics if the browser handles are touched from another thread; the
/// worker has only one.
pub struct BlobReader {
    blob: SendWrapper<Blob>,
    reader: SendWrapper<FileReaderSync>,
    pos: f64,
    buf: Vec<u8>,
    at: usize,
    /// Bytes read from the blob so far, shared with whoever reports progress.
    read: Arc<AtomicU64>,
}

impl BlobReader {
    /// # Errors
    /// `FileReaderSync` is unavailable (not in a worker).
    pub fn new(blob: Blob) -> std::io::Result<BlobReader> {
        let reader = FileReaderSync::new().map_err(|e| io_err(&e))?;
        Ok(BlobReader {
            blob: SendWrapper::new(blob),
            reader: SendWrapper::new(reader),
            pos: 0.0,
            buf: Vec::new(),
            at: 0,
            read: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A counter of the bytes read so far (still counts once the reader is
    /// moved into a parser or a decompressor).
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.read.clone()
    }

    /// Total size of the blob in bytes.
    pub fn size(&self) -> f64 {
        self.blob.size()
    }
}

fn io_err(e: &wasm_bindgen::JsValue) -> std::io::Error {
    let msg = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    std::io::Error::other(format!("reading the file failed: {msg}"))
}

impl BufRead for BlobReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at >= self.buf.len() && self.pos < self.blob.size() {
            let end = (self.pos + CHUNK).min(self.blob.size());
            let slice = self
                .blob
                .slice_with_f64_and_f64(self.pos, end)
                .map_err(|e| io_err(&e))?;
            let ab = self
                .reader
                .read_as_array_buffer(&slice)
                .map_err(|e| io_err(&e))?;
            self.buf = js_sys::Uint8Array::new(&ab).to_vec();
            self.at = 0;
            self.pos = end;
            self.read.store(end as u64, Ordering::Relaxed);
        }
        Ok(&self.buf[self.at..])
    }

    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.buf.len());
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Reads a whole (small) blob: model files, labels, abundance.
///
/// # Errors
/// As [`BlobReader::new`] and reading.
pub fn read_all(blob: Blob) -> std::io::Result<Vec<u8>> {
    let mut r = BlobReader::new(blob)?;
    let mut v = Vec::with_capacity(r.size() as usize);
    r.read_to_end(&mut v)?;
    Ok(v)
}
