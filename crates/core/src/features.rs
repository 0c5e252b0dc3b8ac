//! vamb-compatible features, exactly the input Taxometer (vamb 5) feeds its
//! classifier: `features: (n_contigs, 103 + n_samples + 1), f32`, columns
//! `tnf0..tnf102`, then (with abundances) one column per sample and
//! `log_abundance`. Without abundances the matrix has the 103 TNF columns only.
//!
//! * TNF ([`tnf`]): 4-mer counts over runs of A/C/G/T (any other code breaks the
//!   run), frequencies `f = count · (1/Σcount) − 1/256` in f32, projected with
//!   vamb's 256×103 kernel (`vamb/kernel.npz`, embedded as
//!   `features/kernel_f32le.bin`), then the lowest 12 mantissa bits cleared as
//!   vamb's `mask_lower_bits` does (`vamb/parsecontigs.py`).
//! * Normalisation (`vamb/encode.py::make_dataloader`): each sample scaled to a
//!   total depth of 10⁶, each row divided by its total (rows with zero total
//!   become `1/S`), `log_abundance = ln(max(total, 0.001))`; `log_abundance`
//!   and every TNF column are z-scored (population std, std 0 → 1).
//!
//! vamb only keeps contigs of at least `min_length` bp; here every contig keeps
//! its row (FASTA order), but the statistics — sample totals, means and standard
//! deviations — come from the contigs of at least `min_length` bp, so the rows
//! of those contigs equal vamb's. Short contigs are transformed with the same
//! statistics. See `docs/features.md` for the formulas and the golden test.
//!
//! Modules by concern: `matrix` (the matrix and its TSV form), `kmer` (4-mer
//! counting and the block reader's fast record parser), `simd` (its x86
//! vector code), `project` (the kernel projection), `build` (batches,
//! abundance normalisation, z-scores), `stream` (parallel FASTA reading).

use crate::abundance::Abundance;
use crate::errors::{Error, Result};
use crate::fasta::Contig;
use std::io::{BufRead, Write};

#[cfg(feature = "parallel")]
mod stream;
#[cfg(feature = "parallel")]
pub use stream::{
    tnf_of_fasta, tnf_of_fasta_in_blocks, tnf_of_file, tnf_of_slice, DEFAULT_BLOCK_BYTES,
};

/// Number of TNF dimensions (vamb's kernel projection).
pub const N_TNF: usize = 103;

/// Default minimum contig length for statistics and training (Taxometer's 2,000 bp).
pub const DEFAULT_MIN_LENGTH: usize = 2000;

mod build;
mod kmer;
mod matrix;
mod project;
#[cfg(target_arch = "x86_64")]
mod simd;

pub use build::{
    build_features, build_features_with, statistics_rows, FeatureBuilder, FeatureOptions,
    RowNormaliser, TnfMoments,
};
pub use kmer::{kmer_counts, raw_kmer_counts};
pub use matrix::FeatureMatrix;
pub use project::{project, project_many, tnf, tnf_many};
// the crate-internal parts, for `stream` and the tests
#[allow(unused_imports)]
use {build::*, kmer::*, project::*};

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_counts(seq: &[u8]) -> [u32; 256] {
        let mut c = [0u32; 256];
        for w in seq.windows(4) {
            let mut k = 0usize;
            let mut ok = true;
            for &b in w {
                let v = CODE[b as usize];
                ok &= v < 4;
                k = (k << 2) | (v as usize & 3);
            }
            if ok {
                c[k] += 1;
            }
        }
        c
    }

    #[test]
    fn kmer_counts_skip_every_window_with_a_non_acgt_byte() {
        let seq = b"ACGTNACGTTTTTAAAAXYacgtAC";
        assert_eq!(kmer_counts(seq), naive_counts(seq));
        assert_eq!(kmer_counts(b"AAAA")[0], 1);
        assert_eq!(kmer_counts(b"AAA").iter().sum::<u32>(), 0);
        assert_eq!(
            kmer_counts(b"ACGU"),
            kmer_counts(b"ACGT"),
            "U counts as T, as in vambcore"
        );
        assert_eq!(
            kmer_counts(b"ACGUACGTacgtNACGT").iter().sum::<u32>(),
            10,
            "vambcore's count for this sequence"
        );
    }

    #[test]
    fn kernel_is_vambs() {
        // spot values of vamb/kernel.npz (row-major, 256 × 103)
        assert_eq!(KERNEL.len(), 256);
        let colsum: f64 = (0..256).map(|i| KERNEL[i][0] as f64).sum();
        assert!(colsum.abs() < 1e-5);
    }

    #[test]
    fn the_fast_projection_equals_the_emulated_fma_on_the_fixture() {
        for c in fixture_contigs() {
            let counts = kmer_counts(&c.seq);
            let want = project_emulated(&counts);
            assert_eq!(project(&counts), want, "{}", c.id);
            // batched: each of the four slots and the remainder
            for k in 1..=5 {
                let mut batch = vec![counts; k];
                batch[k - 1] = kmer_counts(&c.seq[c.seq.len() / 2..]);
                let mut got = vec![[0f32; N_TNF]; k];
                project_many(&batch, got.iter_mut());
                for (g, b) in got.iter().zip(&batch) {
                    assert_eq!(*g, project_emulated(b), "{} in a batch of {k}", c.id);
                }
            }
            // each vector width this CPU has, not only the one `project` picks
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("avx2")
                {
                    // SAFETY: the CPU has the features.
                    assert_eq!(unsafe { project_fma_avx2(&counts) }, want, "{}", c.id);
                }
            }
        }
    }

    #[test]
    fn masking_clears_twelve_bits() {
        assert_eq!(
            mask_lower_bits(f32::from_bits(0x3f80_0fff), 12).to_bits(),
            0x3f80_0000
        );
    }

    #[test]
    fn sequence_without_kmers_projects_to_almost_zero() {
        // −1/256 times the kernel's column sums, which vanish up to f32 rounding
        let t = tnf(b"NNNN");
        assert!(t.iter().all(|v| v.abs() < 1e-8), "{t:?}");
        assert_eq!(t, tnf(b""));
    }

    #[test]
    fn tsv_round_trip_of_a_small_matrix() {
        let contigs = vec![
            Contig {
                id: "a".into(),
                seq: b"ACGTACGGGTCA".repeat(300),
            },
            Contig {
                id: "b".into(),
                seq: b"TTTGACAG".repeat(400),
            },
            Contig {
                id: "c".into(),
                seq: b"ACG".to_vec(),
            },
        ];
        let ab = Abundance {
            samples: vec!["s1".into(), "s2".into()],
            ids: vec!["c".into(), "b".into(), "a".into()],
            values: vec![0.0, 0.0, 1.0, 2.5, 3.0, 0.5],
        };
        let m = build_features(&contigs, Some(&ab)).unwrap();
        assert_eq!(m.n_cols(), N_TNF + 3);
        assert_eq!(m.ids, ["a", "b", "c"]);
        let mut buf = Vec::new();
        m.write_tsv(&mut buf).unwrap();
        let back = FeatureMatrix::read_tsv(&buf[..], "mem").unwrap();
        assert_eq!(back.data, m.data);
        assert_eq!(back.columns, m.columns);
        assert_eq!(back.n_samples, 2);
        // the short contig has zero depth: uniform 1/S
        assert_eq!(&m.row(2)[N_TNF..N_TNF + 2], &[0.5, 0.5]);
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/features")
            .join(name)
    }

    fn fixture_contigs() -> Vec<Contig> {
        let f = std::fs::File::open(fixture("contigs.fna")).unwrap();
        crate::fasta::read_contigs(f, "contigs.fna").unwrap()
    }

    fn golden(name: &str) -> FeatureMatrix {
        let f = std::io::BufReader::new(std::fs::File::open(fixture(name)).unwrap());
        FeatureMatrix::read_tsv(f, name).unwrap()
    }

    /// Largest |ours − vamb| over the golden rows (matched by id) and columns.
    fn max_abs_diff(ours: &FeatureMatrix, gold: &FeatureMatrix) -> f32 {
        assert_eq!(ours.columns, gold.columns);
        let mut worst = 0f32;
        for (g, id) in gold.ids.iter().enumerate() {
            let i = ours
                .ids
                .iter()
                .position(|x| x == id)
                .unwrap_or_else(|| panic!("{id} missing"));
            for (a, b) in ours.row(i).iter().zip(gold.row(g)) {
                worst = worst.max((a - b).abs());
            }
        }
        worst
    }

    #[test]
    fn raw_tnf_equals_vamb_bit_for_bit() {
        let contigs = fixture_contigs();
        let gold = golden("golden_tnf.tsv");
        let fma = |counts: &[u32; 256]| -> [f32; N_TNF] {
            let total: u64 = counts.iter().map(|&c| c as u64).sum();
            let s = if total == 0 { 1.0 } else { total as f32 };
            let inv = 1.0f32 / s;
            let mut acc = [0f64; N_TNF];
            for (i, &c) in counts.iter().enumerate() {
                let f = (c as f32 * inv + (-1.0f32 / 256.0)) as f64;
                for (a, &k) in acc.iter_mut().zip(KERNEL[i].iter()) {
                    *a += f * k as f64;
                }
            }
            acc.map(|a| mask_lower_bits(a as f32, 12))
        };
        let (mut ours, mut fmas, mut total) = (0, 0, 0);
        for (g, c) in contigs.iter().enumerate() {
            let counts = kmer_counts(&c.seq);
            let a = project(&counts);
            let b = fma(&counts);
            for j in 0..N_TNF {
                total += 1;
                ours += (a[j] != gold.row(g)[j]) as usize;
                fmas += (b[j] != gold.row(g)[j]) as usize;
            }
        }
        eprintln!("exact mismatches: ours (f32 fma order) {ours}, f64 sum {fmas} of {total}");
        assert_eq!(ours, 0);
    }

    #[test]
    fn raw_tnf_matches_vamb() {
        let contigs = fixture_contigs();
        let gold = golden("golden_tnf.tsv");
        assert_eq!(gold.n_rows(), contigs.len());
        let mut worst = 0f32;
        for (c, g) in contigs.iter().zip(0..) {
            assert_eq!(c.id, gold.ids[g]);
            for (a, b) in tnf(&c.seq).iter().zip(gold.row(g)) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst <= 1e-5, "max abs diff {worst}");
    }

    #[test]
    fn normalised_features_match_vambs_taxometer_input() {
        let contigs = fixture_contigs();
        for (ab_file, gold_file) in [
            ("abundance.tsv", "golden.tsv"),
            ("abundance_s1.tsv", "golden_s1.tsv"),
        ] {
            let f = std::io::BufReader::new(std::fs::File::open(fixture(ab_file)).unwrap());
            let ab = crate::abundance::read_abundance(f, ab_file).unwrap();
            let ours = build_features(&contigs, Some(&ab)).unwrap();
            assert_eq!(
                ours.n_rows(),
                contigs.len(),
                "short contigs keep their rows"
            );
            let gold = golden(gold_file);
            assert!(gold.n_rows() >= 50 && gold.n_rows() < contigs.len());
            let worst = max_abs_diff(&ours, &gold);
            assert!(worst <= 1e-5, "{gold_file}: max abs diff {worst}");
        }
    }

    #[test]
    fn features_without_abundance_are_the_tnf_columns() {
        let contigs = fixture_contigs();
        let m = build_features(&contigs, None).unwrap();
        assert_eq!(m.n_cols(), N_TNF);
        let gold = golden("golden.tsv");
        let mut worst = 0f32;
        for (g, id) in gold.ids.iter().enumerate() {
            let i = m.ids.iter().position(|x| x == id).unwrap();
            for (a, b) in m.row(i).iter().zip(&gold.row(g)[..N_TNF]) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst <= 1e-5, "max abs diff {worst}");
    }

    fn revcomp(seq: &[u8]) -> Vec<u8> {
        seq.iter()
            .rev()
            .map(|&b| match b {
                b'A' => b'T',
                b'C' => b'G',
                b'G' => b'C',
                b'T' => b'A',
                x => x,
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn kmer_counts_equal_a_naive_count(seq in proptest::collection::vec(proptest::sample::select(b"ACGTNacgtuRY".to_vec()), 0..9000)) {
            proptest::prop_assert_eq!(kmer_counts(&seq).to_vec(), naive_counts(&seq).to_vec());
        }

        #[test]
        fn raw_counts_equal_cleaning_then_counting(raw in proptest::collection::vec(proptest::sample::select(b"ACGTNacgtuRYsw \t\r\n>J\x00\xff".to_vec()), 0..9000)) {
            let mut clean = Vec::new();
            let want = crate::fasta::clean_sequence(&raw, &mut clean).map(|()| (kmer_counts(&clean), clean.len()));
            proptest::prop_assert_eq!(raw_kmer_counts(&raw).map(|(c, n)| (c.to_vec(), n)), want.map(|(c, n)| (c.to_vec(), n)));
        }

        #[test]
        fn raw_counts_of_long_clean_lines_equal_cleaning_then_counting(
            parts in proptest::collection::vec(("[ACGTUacgtu]{0,120}", proptest::sample::select(vec!["\n", "\r\n", "", "N", " ", "\t", "J", "r"])), 0..80)
        ) {
            let raw: Vec<u8> = parts.iter().flat_map(|(a, b)| a.bytes().chain(b.bytes())).collect();
            let mut clean = Vec::new();
            let want = crate::fasta::clean_sequence(&raw, &mut clean).map(|()| (kmer_counts(&clean), clean.len()));
            let want = want.map(|(c, n)| (c.to_vec(), n));
            proptest::prop_assert_eq!(raw_kmer_counts(&raw).map(|(c, n)| (c.to_vec(), n)), want.clone());
            proptest::prop_assert_eq!(raw_kmer_counts_scalar(&raw).map(|(c, n)| (c.to_vec(), n)), want.clone());
            // a reused counter forgets the previous sequence (here a poly-N-ended one)
            let mut counter = RawCounter::new();
            let _ = counter.count(b"ACGTACGGTTACGN\nACG");
            proptest::prop_assert_eq!(counter.count(&raw).map(|(c, n)| (c.to_vec(), n)), want);
        }

        #[test]
        fn row_wise_z_scores_equal_column_wise_ones(
            values in proptest::collection::vec(-5f32..5.0, N_TNF..N_TNF * 40),
            keep_bits in proptest::collection::vec(proptest::bool::ANY, 40),
        ) {
            let mut rows: Vec<[f32; N_TNF]> = values.chunks_exact(N_TNF).map(|c| c.try_into().unwrap()).collect();
            let keep = &keep_bits[..rows.len()];
            let mut want = rows.clone();
            for j in 0..N_TNF {
                let (mean, std) = mean_std(want.iter().zip(keep).filter(|(_, &k)| k).map(|(r, _)| r[j]));
                for r in want.iter_mut() {
                    r[j] = (r[j] - mean) / std;
                }
            }
            zscore_columns(&mut rows, keep);
            let bits = |m: &[[f32; N_TNF]]| m.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&rows), bits(&want));
        }

        #[test]
        fn tnf_is_reverse_complement_invariant(seq in proptest::collection::vec(proptest::sample::select(b"ACGTN".to_vec()), 0..3000)) {
            let a = tnf(&seq);
            let b = tnf(&revcomp(&seq));
            for (x, y) in a.iter().zip(&b) {
                // the kernel averages a 4-mer with its reverse complement; only f32
                // rounding (and vamb's 12-bit masking of it) can differ
                let step = x.abs().max(y.abs()) * (2f32).powi(-11);
                proptest::prop_assert!((x - y).abs() <= step + 5e-7, "{x} vs {y}");
            }
        }

        #[test]
        fn features_tsv_reads_back_the_same_numbers(
            seqs in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ACGTNacgt".to_vec()), 0..500), 1..12),
            depth in proptest::collection::vec(0f32..100.0, 24),
        ) {
            let contigs: Vec<Contig> = seqs.iter().enumerate().map(|(i, s)| Contig { id: format!("c{i}"), seq: s.to_ascii_uppercase() }).collect();
            let ids: Vec<String> = contigs.iter().map(|c| c.id.clone()).collect();
            let mut values: Vec<f32> = depth[..2 * ids.len()].to_vec();
            values[0] += 1.0;
            values[1] += 1.0;
            let ab = Abundance { samples: vec!["a".into(), "b".into()], ids, values };
            let m = build_features_with(&contigs, Some(&ab), &FeatureOptions { min_length: 100 }).unwrap();
            let mut buf = Vec::new();
            m.write_tsv(&mut buf).unwrap();
            let back = FeatureMatrix::read_tsv(&buf[..], "mem").unwrap();
            proptest::prop_assert_eq!(&back.ids, &m.ids);
            proptest::prop_assert_eq!(&back.columns, &m.columns);
            proptest::prop_assert_eq!(back.data, m.data);
        }
    }

    #[test]
    fn missing_contig_in_abundance_is_a_mismatch() {
        let contigs = vec![Contig {
            id: "a".into(),
            seq: b"ACGTACGT".to_vec(),
        }];
        let ab = Abundance {
            samples: vec!["s".into()],
            ids: vec!["z".into()],
            values: vec![1.0],
        };
        assert!(matches!(
            build_features(&contigs, Some(&ab)),
            Err(Error::Mismatch(_))
        ));
    }

    #[test]
    fn zero_depth_sample_is_a_mismatch() {
        let contigs = vec![Contig {
            id: "a".into(),
            seq: b"ACGTACGT".to_vec(),
        }];
        let ab = Abundance {
            samples: vec!["s".into(), "t".into()],
            ids: vec!["a".into()],
            values: vec![1.0, 0.0],
        };
        assert!(
            matches!(build_features(&contigs, Some(&ab)), Err(Error::Mismatch(m)) if m.contains("'t'"))
        );
    }
}
