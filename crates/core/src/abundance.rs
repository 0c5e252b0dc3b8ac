//! Per-sample abundances (mean depth per contig and sample): vamb
//! `abundance.tsv`, strobealign `--aemb`, MetaBAT `jgi_summarize_bam_contig_depths`
//! (also written by `coverm contig --methods metabat`) and CoverM's own
//! `coverm contig` table. The format is detected from the first line.
//!
//! `values: (n_contigs, n_samples), f32`, row-major, rows in file order.

use crate::errors::{Error, Result};
use std::collections::HashMap;
use std::io::BufRead;

/// Raw abundance table (mean depth per contig and sample).
#[derive(Debug, Clone, PartialEq)]
pub struct Abundance {
    pub samples: Vec<String>,
    pub ids: Vec<String>,
    /// ids.len() × samples.len(), row-major.
    pub values: Vec<f32>,
}

/// The abundance formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbundanceFormat {
    /// vamb: header `contigname` + one column per sample.
    Vamb,
    /// `strobealign --aemb`: no header, `contig<TAB>depth` (further columns ignored), one sample per file.
    Aemb,
    /// `jgi_summarize_bam_contig_depths`: `contigName contigLen totalAvgDepth` then `<sample>` and `<sample>-var` pairs.
    Jgi,
    /// `coverm contig`: header `Contig` + one column per sample (`<sample> Mean`).
    CoverM,
}

impl AbundanceFormat {
    /// Detects the format from the first line of a file.
    ///
    /// # Errors
    /// [`Error::BadLine`] (line 1) when no format matches.
    pub fn detect(first_line: &str, source_name: &str) -> Result<Self> {
        let fields: Vec<&str> = first_line
            .trim_end_matches(['\r', '\n'])
            .split('\t')
            .collect();
        match fields[0] {
            "contigname" => Ok(Self::Vamb),
            "contigName" if fields.get(1) == Some(&"contigLen") && fields.get(2) == Some(&"totalAvgDepth") => Ok(Self::Jgi),
            "Contig" if fields.len() >= 2 => Ok(Self::CoverM),
            _ if fields.len() >= 2 && fields[1].trim().parse::<f64>().is_ok() => Ok(Self::Aemb),
            _ => Err(Error::BadLine {
                source_name: source_name.to_string(),
                line: 1,
                reason: "cannot detect the abundance format: expected a vamb header 'contigname', a jgi depth header \
                         'contigName contigLen totalAvgDepth', a CoverM header 'Contig', or strobealign --aemb lines 'contig<TAB>depth'"
                    .to_string(),
            }),
        }
    }
}

impl Abundance {
    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.samples.len()
    }

    /// The rows of `ids`, in that order: `ids.len() × n_samples` values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming the first contig missing from the table and
    /// how many are missing.
    pub fn aligned_to(&self, ids: &[String]) -> Result<Vec<f32>> {
        let s = self.samples.len();
        let index: HashMap<&str, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut out = Vec::with_capacity(ids.len() * s);
        let mut missing = 0usize;
        let mut first_missing: Option<&str> = None;
        for id in ids {
            match index.get(id.as_str()) {
                Some(&r) => out.extend_from_slice(&self.values[r * s..(r + 1) * s]),
                None => {
                    missing += 1;
                    first_missing.get_or_insert(id);
                }
            }
        }
        if let Some(first) = first_missing {
            return Err(Error::Mismatch(format!(
                "abundance: {missing} of {} contigs have no abundance row, the first is '{first}'",
                ids.len()
            )));
        }
        Ok(out)
    }

    /// Joins single- or multi-sample tables over the same contigs (e.g. one
    /// strobealign `--aemb` file per sample) into one table, samples in order.
    /// Rows follow the first table.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the tables do not hold the same contigs.
    pub fn concat_samples(parts: &[Abundance]) -> Result<Abundance> {
        let Some(first) = parts.first() else {
            return Err(Error::Invalid("no abundance table to join".into()));
        };
        let mut samples = Vec::new();
        let mut columns = Vec::new();
        for (k, p) in parts.iter().enumerate() {
            if p.ids.len() != first.ids.len() {
                return Err(Error::Mismatch(format!(
                    "abundance table {} has {} contigs, the first has {}",
                    k + 1,
                    p.ids.len(),
                    first.ids.len()
                )));
            }
            columns.push(p.aligned_to(&first.ids)?);
            samples.extend(p.samples.iter().cloned());
        }
        let mut values = Vec::with_capacity(first.ids.len() * samples.len());
        for r in 0..first.ids.len() {
            for (p, col) in parts.iter().zip(&columns) {
                let s = p.samples.len();
                values.extend_from_slice(&col[r * s..(r + 1) * s]);
            }
        }
        Ok(Abundance {
            samples,
            ids: first.ids.clone(),
            values,
        })
    }
}

/// Reads an abundance table, detecting its format from the first line.
///
/// For strobealign `--aemb` files, which have no header, the sample is named
/// after the last path component of `source_name`.
///
/// # Errors
/// [`Error::BadLine`] for an empty or undetectable file, a line with the wrong
/// number of fields, a value that is not a finite non-negative number, or a
/// repeated contig; [`Error::Io`] when reading fails.
pub fn read_abundance<R: BufRead>(reader: R, source_name: &str) -> Result<Abundance> {
    read_abundance_as(reader, source_name, None)
}

/// Reads an abundance table in a given format (`None`: detect).
///
/// # Errors
/// As [`read_abundance`].
pub fn read_abundance_as<R: BufRead>(
    reader: R,
    source_name: &str,
    format: Option<AbundanceFormat>,
) -> Result<Abundance> {
    let bad = |line: usize, reason: String| Error::BadLine {
        source_name: source_name.to_string(),
        line,
        reason,
    };
    let io = |e: std::io::Error| Error::Io {
        source_name: source_name.to_string(),
        reason: e.to_string(),
        kind: e.kind(),
    };
    let mut lines = reader.lines();
    let first = match lines.next() {
        Some(l) => l.map_err(io)?,
        None => return Err(bad(1, "empty file: no abundance rows".into())),
    };
    let first = first.trim_end_matches('\r').to_string();
    let format = match format {
        Some(f) => f,
        None => AbundanceFormat::detect(&first, source_name)?,
    };

    // value columns (0-based field indices) and sample names
    let header: Vec<&str> = first.split('\t').collect();
    let (samples, value_cols, n_fields, data_start): (
        Vec<String>,
        Vec<usize>,
        Option<usize>,
        bool,
    ) = match format {
        AbundanceFormat::Vamb | AbundanceFormat::CoverM => {
            if header.len() < 2 {
                return Err(bad(1, "header names no sample column".into()));
            }
            let samples = header[1..].iter().map(|s| s.to_string()).collect();
            (
                samples,
                (1..header.len()).collect(),
                Some(header.len()),
                false,
            )
        }
        AbundanceFormat::Jgi => {
            let rest = &header[3..];
            if rest.is_empty() || !rest.len().is_multiple_of(2) {
                return Err(bad(1, format!("expected pairs of '<sample>' and '<sample>-var' columns after totalAvgDepth, found {} columns", rest.len())));
            }
            let mut samples = Vec::new();
            let mut cols = Vec::new();
            for (k, pair) in rest.chunks(2).enumerate() {
                if pair[1] != format!("{}-var", pair[0]) {
                    return Err(bad(
                        1,
                        format!("column '{}' should be '{}-var'", pair[1], pair[0]),
                    ));
                }
                samples.push(pair[0].to_string());
                cols.push(3 + 2 * k);
            }
            (samples, cols, Some(header.len()), false)
        }
        AbundanceFormat::Aemb => {
            let name = source_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(source_name)
                .to_string();
            (vec![name], vec![1], None, true)
        }
    };

    let mut ab = Abundance {
        samples,
        ids: Vec::new(),
        values: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut parse_line = |lineno: usize, line: &str, ab: &mut Abundance| -> Result<()> {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match n_fields {
            Some(n) if fields.len() != n => {
                return Err(bad(
                    lineno,
                    format!(
                        "expected {n} tab-separated fields as in the header, found {}",
                        fields.len()
                    ),
                ))
            }
            None if fields.len() < 2 => {
                return Err(bad(lineno, "expected 'contig<TAB>depth'".into()))
            }
            _ => {}
        }
        let id = fields[0];
        if id.is_empty() {
            return Err(bad(lineno, "empty contig name".into()));
        }
        if let Some(prev) = seen.insert(id.to_string(), lineno) {
            return Err(bad(
                lineno,
                format!("contig '{id}' already listed on line {prev}"),
            ));
        }
        for &c in &value_cols {
            let f = fields[c].trim();
            let v: f32 = f
                .parse()
                .map_err(|_| bad(lineno, format!("contig '{id}': '{f}' is not a number")))?;
            // NaN, infinities and values beyond f32 are rejected alike
            if !v.is_finite() || v < 0.0 {
                return Err(bad(
                    lineno,
                    format!("contig '{id}': abundance {f} is not a finite non-negative number"),
                ));
            }
            ab.values.push(v);
        }
        ab.ids.push(id.to_string());
        Ok(())
    };
    if data_start {
        parse_line(1, &first, &mut ab)?;
    }
    for (i, line) in lines.enumerate() {
        let line = line.map_err(io)?;
        parse_line(i + 2, &line, &mut ab)?;
    }
    if ab.ids.is_empty() {
        return Err(bad(1, "no abundance rows".into()));
    }
    Ok(ab)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> std::io::BufReader<std::fs::File> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data")
            .join(name);
        std::io::BufReader::new(std::fs::File::open(p).expect("fixture exists"))
    }

    #[test]
    fn vamb_tsv_is_detected_and_read() {
        let a = read_abundance(
            &b"contigname\ts1\ts2\nc1\t1.5\t0\nc2\t2\t3e1\n"[..],
            "ab.tsv",
        )
        .unwrap();
        assert_eq!(a.samples, ["s1", "s2"]);
        assert_eq!(a.ids, ["c1", "c2"]);
        assert_eq!(a.values, [1.5, 0.0, 2.0, 30.0]);
    }

    #[test]
    fn aemb_is_detected_and_named_after_the_file() {
        let a = read_abundance(&b"c1\t5.98\nc2\t25.0\textra\n"[..], "dir/S1.aemb.tsv").unwrap();
        assert_eq!(a.samples, ["S1.aemb.tsv"]);
        assert_eq!(a.values, [5.98, 25.0]);
    }

    #[test]
    fn jgi_depths_keep_the_mean_columns_only() {
        let text = b"contigName\tcontigLen\ttotalAvgDepth\ta.bam\ta.bam-var\tb.bam\tb.bam-var\nc1\t2500\t3\t1\t0.5\t2\t0.7\n";
        let a = read_abundance(&text[..], "depth.txt").unwrap();
        assert_eq!(a.samples, ["a.bam", "b.bam"]);
        assert_eq!(a.values, [1.0, 2.0]);
    }

    #[test]
    fn coverm_table_is_read() {
        let a = read_abundance(&b"Contig\tr1 Mean\tr2 Mean\nc1\t1\t2\n"[..], "coverm.tsv").unwrap();
        assert_eq!(a.samples, ["r1 Mean", "r2 Mean"]);
        assert_eq!(a.values, [1.0, 2.0]);
    }

    #[test]
    fn fixture_files_of_every_format_agree() {
        let vamb = read_abundance(data("features/abundance.tsv"), "abundance.tsv").unwrap();
        let jgi = read_abundance(data("features/abundance_jgi.txt"), "abundance_jgi.txt").unwrap();
        assert_eq!(jgi.ids, vamb.ids);
        assert_eq!(jgi.values, vamb.values);
        let aemb: Vec<Abundance> = (0..vamb.n_samples())
            .map(|j| {
                read_abundance(data(&format!("features/aemb/{j}.tsv")), &format!("{j}.tsv"))
                    .unwrap()
            })
            .collect();
        let joined = Abundance::concat_samples(&aemb).unwrap();
        assert_eq!(joined.aligned_to(&vamb.ids).unwrap(), vamb.values);
    }

    #[test]
    fn nan_is_a_bad_line_error() {
        let e = read_abundance(data("bad_abundance_nan.tsv"), "bad_abundance_nan.tsv").unwrap_err();
        assert!(matches!(&e, Error::BadLine { line: 3, .. }), "{e}");
    }

    #[test]
    fn negative_is_a_bad_line_error() {
        let e = read_abundance(
            data("bad_abundance_negative.tsv"),
            "bad_abundance_negative.tsv",
        )
        .unwrap_err();
        assert!(matches!(&e, Error::BadLine { line: 2, .. }), "{e}");
    }

    #[test]
    fn wrong_column_count_is_a_bad_line_error() {
        let e = read_abundance(
            data("bad_abundance_columns.tsv"),
            "bad_abundance_columns.tsv",
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::BadLine { line: 3, reason, .. } if reason.contains("expected 3")),
            "{e}"
        );
    }

    #[test]
    fn jgi_header_without_var_pairs_is_a_bad_line_error() {
        let e = read_abundance(
            data("bad_abundance_jgi_header.txt"),
            "bad_abundance_jgi_header.txt",
        )
        .unwrap_err();
        assert!(matches!(&e, Error::BadLine { line: 1, .. }), "{e}");
    }

    #[test]
    fn undetectable_format_is_a_bad_line_error() {
        let e = read_abundance(data("bad_abundance_format.txt"), "bad_abundance_format.txt")
            .unwrap_err();
        assert!(matches!(&e, Error::BadLine { line: 1, .. }), "{e}");
        assert!(matches!(
            read_abundance(&b""[..], "e"),
            Err(Error::BadLine { line: 1, .. })
        ));
    }

    #[test]
    fn duplicate_contig_is_a_bad_line_error() {
        let e = read_abundance(&b"contigname\ts\nc\t1\nc\t2\n"[..], "d").unwrap_err();
        assert!(matches!(e, Error::BadLine { line: 3, .. }));
    }

    #[test]
    fn missing_contig_names_the_first_and_the_count() {
        let a = read_abundance(&b"contigname\ts\nc1\t1\n"[..], "a").unwrap();
        let e = a
            .aligned_to(&["c1".into(), "x".into(), "y".into()])
            .unwrap_err();
        assert_eq!(
            e,
            Error::Mismatch(
                "abundance: 2 of 3 contigs have no abundance row, the first is 'x'".into()
            )
        );
    }

    #[test]
    fn a_contig_missing_from_the_abundance_file_is_a_mismatch_naming_it() {
        let fasta = std::fs::File::open(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/data/features/small.fna"),
        )
        .unwrap();
        let contigs = crate::fasta::read_contigs(fasta, "small.fna").unwrap();
        let a = read_abundance(
            data("bad_abundance_missing_contig.tsv"),
            "bad_abundance_missing_contig.tsv",
        )
        .unwrap();
        let e = crate::features::build_features(&contigs, Some(&a)).unwrap_err();
        assert!(
            matches!(&e, Error::Mismatch(m) if m.contains("1 of 8") && m.contains("'S2C4'")),
            "{e}"
        );
    }

    #[test]
    fn sample_tables_over_different_contigs_do_not_join() {
        let a = read_abundance(&b"c1\t1\nc2\t1\n"[..], "a").unwrap();
        let b = read_abundance(&b"c1\t1\nc3\t1\n"[..], "b").unwrap();
        assert!(matches!(
            Abundance::concat_samples(&[a, b]),
            Err(Error::Mismatch(_))
        ));
    }
}
