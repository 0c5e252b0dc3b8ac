//! Shared helpers of the CLI: logging, progress bars, input opening, atomic output.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Sets up `tracing` (warnings by default) and remembers `--quiet`.
pub fn init_logging(verbose: u8, quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A progress bar over `len` items (hidden with `--quiet` or when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:>12} [{bar:30}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A spinner for work of unknown length.
pub fn spinner(what: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} ({per_sec})")
            .expect("valid template"),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// Opens a file for reading, transparently decompressing gzip (by magic bytes).
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let magic = r
        .fill_buf()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::new(flate2_reader(r))))
    } else {
        Ok(Box::new(r))
    }
}

fn flate2_reader<R: Read + Send + 'static>(r: R) -> Box<dyn Read + Send> {
    Box::new(flate2::read::MultiGzDecoder::new(r))
}

/// Display name of a path for error messages.
pub fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Writes a file atomically: the closure writes into a temporary file in the
/// same directory, which is renamed over `path` only if the closure succeeds.
pub fn write_atomic<F>(path: &Path, f: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let mut file = AtomicFile::create(path)?;
    f(file.writer())?;
    file.commit()
}

/// A file written through a temporary file in the same directory, renamed
/// over its path by [`AtomicFile::commit`]; dropped uncommitted (an error on
/// the way), the temporary file is deleted and the path left as it was.
/// Several of them let one pass write several outputs.
pub struct AtomicFile {
    path: PathBuf,
    w: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Creates the temporary file (and the directory).
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create directory", dir.display()))?;
        let tmp = tempfile::NamedTempFile::new_in(&dir)
            .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            w: std::io::BufWriter::new(tmp),
        })
    }

    /// The (buffered) writer into the temporary file.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.w
    }

    /// Flushes, syncs and renames the temporary file over the path.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let tmp = self
            .w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("{}: write failed", path.display()))?;
        tmp.as_file().sync_all().ok();
        // NamedTempFile is created 0600; outputs are ordinary files (0644 before umask)
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).ok();
        }
        tmp.persist(&path).with_context(|| {
            format!(
                "{}: cannot rename the temporary file into place",
                path.display()
            )
        })?;
        Ok(())
    }
}

/// Writes a whole directory atomically: `f` fills a temporary sibling
/// directory, which then replaces `dir`.
pub fn write_dir_atomic<F>(dir: &Path, f: F) -> Result<()>
where
    F: FnOnce(&Path) -> Result<()>,
{
    let parent = match dir.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create directory", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".taxdistill-tmp")
        .tempdir_in(&parent)?;
    f(tmp.path())?;
    if dir.exists() {
        let old = parent.join(format!(".taxdistill-old-{}", std::process::id()));
        std::fs::rename(dir, &old)
            .with_context(|| format!("{}: cannot move the old directory aside", dir.display()))?;
        std::fs::rename(tmp.keep(), dir).with_context(|| {
            format!(
                "{}: cannot move the new directory into place",
                dir.display()
            )
        })?;
        std::fs::remove_dir_all(&old).ok();
    } else {
        std::fs::rename(tmp.keep(), dir).with_context(|| {
            format!(
                "{}: cannot move the new directory into place",
                dir.display()
            )
        })?;
    }
    Ok(())
}

/// Loads an NCBI taxdump directory: `DIR/nodes.dmp`, `DIR/names.dmp` and, if
/// present, `DIR/merged.dmp`, logging the quirks it met.
pub fn load_taxdump(dir: &Path) -> Result<taxdistill_core::taxdump::TaxDump> {
    let sp = spinner("taxdump");
    let nodes = open_text(&dir.join("nodes.dmp"))?;
    let names = open_text(&dir.join("names.dmp"))?;
    let merged_path = dir.join("merged.dmp");
    let merged = if merged_path.exists() {
        Some(open_text(&merged_path)?)
    } else {
        None
    };
    let td = taxdistill_core::taxdump::TaxDump::from_readers(nodes, names, merged, &name(dir))?;
    sp.finish_and_clear();
    for m in td.warnings().messages() {
        tracing::warn!("{}: {m}", dir.display());
    }
    Ok(td)
}

/// The pipeline's progress as indicatif bars (hidden with `--quiet`): a
/// spinner for stages of unknown length, a bar for the others. Also the
/// pipeline's clock, for the timings in a model's provenance.
pub struct Bars {
    bar: std::sync::Mutex<Option<ProgressBar>>,
    t0: std::time::Instant,
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            bar: std::sync::Mutex::new(None),
            t0: std::time::Instant::now(),
        }
    }
}

impl taxdistill_pipeline::Progress for Bars {
    fn start(&self, stage: taxdistill_pipeline::Stage, len: Option<u64>) {
        let pb = match len {
            Some(n) => progress(n, stage.label()),
            None => spinner(stage.label()),
        };
        if let Some(old) = self.bar.lock().expect("bar lock").replace(pb) {
            old.finish_and_clear();
        }
    }

    fn update(&self, _stage: taxdistill_pipeline::Stage, pos: u64, len: u64) {
        if let Some(pb) = self.bar.lock().expect("bar lock").as_ref() {
            pb.set_length(len);
            pb.set_position(pos);
        }
    }

    fn finish(&self, _stage: taxdistill_pipeline::Stage) {
        if let Some(pb) = self.bar.lock().expect("bar lock").take() {
            pb.finish_and_clear();
        }
    }

    fn now(&self) -> Option<f64> {
        Some(self.t0.elapsed().as_secs_f64())
    }
}
