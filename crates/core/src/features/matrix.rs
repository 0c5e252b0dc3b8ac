//! The feature matrix and its TSV form.

use super::*;

/// Row-major feature matrix, one row per contig in FASTA order.
/// Columns: `tnf0..tnf102`, then (with abundances) one column per sample and `log_abundance`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub ids: Vec<String>,
    /// Contig lengths in bp (0 when read back from a TSV, which does not store them).
    pub lengths: Vec<usize>,
    /// Number of abundance samples (0 when built without abundances).
    pub n_samples: usize,
    /// Column names (`tnf0`… then sample names, `log_abundance`).
    pub columns: Vec<String>,
    /// n_rows × columns.len() values.
    pub data: Vec<f32>,
}

impl FeatureMatrix {
    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }
    /// Number of rows (contigs).
    pub fn n_rows(&self) -> usize {
        self.ids.len()
    }
    /// One row.
    pub fn row(&self, i: usize) -> &[f32] {
        let c = self.n_cols();
        &self.data[i * c..(i + 1) * c]
    }

    /// Writes the matrix as TSV: header `contigs`, then the column names; one
    /// line per contig. Numbers use the shortest text that reads back to the
    /// same f32.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_tsv<W: Write>(&self, mut w: W) -> Result<()> {
        let io = |e: std::io::Error| Error::Io {
            source_name: "features TSV".into(),
            reason: e.to_string(),
            kind: e.kind(),
        };
        let mut line = String::with_capacity(16 * (self.n_cols() + 1));
        line.push_str("contigs");
        for c in &self.columns {
            line.push('\t');
            line.push_str(c);
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
        for i in 0..self.n_rows() {
            line.clear();
            line.push_str(&self.ids[i]);
            for v in self.row(i) {
                use std::fmt::Write as _;
                let _ = write!(line, "\t{v}");
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(())
    }

    /// Reads a TSV written by [`FeatureMatrix::write_tsv`] (lengths become 0).
    ///
    /// # Errors
    /// [`Error::BadLine`] for a wrong header, a wrong number of fields or a
    /// value that is not a finite number; [`Error::Io`] when reading fails.
    pub fn read_tsv<R: BufRead>(reader: R, source_name: &str) -> Result<FeatureMatrix> {
        let bad = |line: usize, reason: String| Error::BadLine {
            source_name: source_name.to_string(),
            line,
            reason,
        };
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(h) => h.map_err(|e| Error::Io {
                source_name: source_name.to_string(),
                reason: e.to_string(),
                kind: e.kind(),
            })?,
            None => return Err(bad(1, "empty file: no header".into())),
        };
        let header = header.trim_end_matches('\r');
        let mut cols = header.split('\t');
        if cols.next() != Some("contigs") {
            return Err(bad(1, "header must start with 'contigs'".into()));
        }
        let columns: Vec<String> = cols.map(str::to_string).collect();
        if columns.len() < N_TNF
            || columns
                .iter()
                .take(N_TNF)
                .enumerate()
                .any(|(i, c)| *c != format!("tnf{i}"))
        {
            return Err(bad(
                1,
                "expected columns tnf0..tnf102 after 'contigs'".into(),
            ));
        }
        let n_samples = match columns.len() - N_TNF {
            0 => 0,
            k if columns.last().map(String::as_str) == Some("log_abundance") && k >= 2 => k - 1,
            _ => {
                return Err(bad(
                    1,
                    "sample columns must be followed by 'log_abundance'".into(),
                ))
            }
        };
        let mut m = FeatureMatrix {
            ids: Vec::new(),
            lengths: Vec::new(),
            n_samples,
            columns,
            data: Vec::new(),
        };
        for (i, line) in lines.enumerate() {
            let lineno = i + 2;
            let line = line.map_err(|e| Error::Io {
                source_name: source_name.to_string(),
                reason: e.to_string(),
                kind: e.kind(),
            })?;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let id = fields.next().unwrap_or_default();
            let before = m.data.len();
            for f in fields {
                let v: f32 = f
                    .parse()
                    .map_err(|_| bad(lineno, format!("'{f}' is not a number")))?;
                if !v.is_finite() {
                    return Err(bad(lineno, format!("'{f}' is not finite")));
                }
                m.data.push(v);
            }
            let got = m.data.len() - before;
            if got != m.n_cols() {
                return Err(bad(
                    lineno,
                    format!("expected {} values, found {got}", m.n_cols()),
                ));
            }
            m.ids.push(id.to_string());
            m.lengths.push(0);
        }
        Ok(m)
    }
}
