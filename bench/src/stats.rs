//! Statistics of `taxdistill-bench`: mean ± sd over seeds, the paired t-test
//! over seeds and the exact McNemar test over contigs; calibration
//! (reliability bins, expected calibration error) lives in
//! `taxdistill_core::metrics`, shared with the teacher's report.
//!
//! Reference values of the tests below come from SciPy
//! (`scripts/bench_stats_reference.py`, `scipy.stats.ttest_rel` and
//! `scipy.stats.binomtest`), so they can disagree with this code.

use serde::{Deserialize, Serialize};

/// Mean and sample standard deviation (n − 1); sd is `None` below two values.
pub fn mean_sd(xs: &[f64]) -> (f64, Option<f64>) {
    if xs.is_empty() {
        return (f64::NAN, None);
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (m, None);
    }
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, Some(v.sqrt()))
}

/// Result of a paired t-test of `a − b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedT {
    /// Number of pairs.
    pub n: usize,
    /// Mean difference a − b.
    pub mean_diff: f64,
    /// t statistic (`None` when undefined: fewer than 2 pairs or all differences equal).
    pub t: Option<f64>,
    /// Two-sided p-value with n − 1 degrees of freedom (`None` when `t` is).
    pub p: Option<f64>,
}

/// Paired two-sided t-test of `a[i] − b[i]` (as `scipy.stats.ttest_rel`).
///
/// With fewer than two pairs, or when every difference is the same (sd 0),
/// the statistic is undefined and `t`/`p` are `None`.
pub fn paired_t(a: &[f64], b: &[f64]) -> PairedT {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (m, sd) = mean_sd(&d);
    let n = d.len();
    let mean_diff = if n == 0 { 0.0 } else { m };
    match sd {
        Some(s) if s > 1e-15 * (1.0 + m.abs()) => {
            let t = m / (s / (n as f64).sqrt());
            let df = (n - 1) as f64;
            PairedT {
                n,
                mean_diff,
                t: Some(t),
                p: Some(student_t_two_sided(t, df)),
            }
        }
        _ => PairedT {
            n,
            mean_diff,
            t: None,
            p: None,
        },
    }
}

/// Two-sided p-value of Student's t with `df` degrees of freedom:
/// `I_{df/(df+t²)}(df/2, 1/2)`.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    let x = df / (df + t * t);
    reg_inc_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// Exact two-sided McNemar test: `b` = pairs where only the first is right,
/// `c` = where only the second is; p = min(1, 2 · P(X ≤ min(b, c))) with
/// X ~ Binomial(b + c, ½) (as `scipy.stats.binomtest(b, b + c)`).
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    let nf = n as f64;
    let ln_half_n = -nf * std::f64::consts::LN_2;
    // log-sum-exp of ln C(n, i) + n ln ½ for i = 0..=k
    let terms: Vec<f64> = (0..=k).map(|i| ln_choose(n, i) + ln_half_n).collect();
    let mx = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = terms.iter().map(|t| (t - mx).exp()).sum();
    (2.0 * (mx + s.ln()).exp()).min(1.0)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error < 1e-13).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta function I_x(a, b) (continued fraction,
/// modified Lentz; Numerical Recipes §6.4).
pub fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

pub use taxdistill_core::metrics::{ece, pool_bins, reliability, ReliabilityBin};

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn mean_and_sample_sd_match_the_textbook_values() {
        let (m, sd) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!(close(m, 5.0, 1e-12));
        // sample variance 32 / 7
        assert!(close(sd.unwrap(), (32.0f64 / 7.0).sqrt(), 1e-12));
        assert_eq!(mean_sd(&[3.0]), (3.0, None));
    }

    #[test]
    fn ln_gamma_matches_factorials_and_half_integers() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-13));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
        assert!(close(ln_gamma(101.0), 363.739_375_555_563_47, 1e-12));
    }

    #[test]
    fn paired_t_test_matches_scipy_ttest_rel() {
        // scripts/bench_stats_reference.py: ttest_rel(a, b)
        let a = [0.81, 0.84, 0.79];
        let b = [0.78, 0.80, 0.78];
        let r = paired_t(&a, &b);
        assert_eq!(r.n, 3);
        assert!(close(r.mean_diff, 0.026_666_666_666_666_7, 1e-9));
        assert!(close(r.t.unwrap(), 3.023_715_784_073_824, 1e-9), "{r:?}");
        assert!(close(r.p.unwrap(), 0.094_178_372_684_323_08, 1e-9), "{r:?}");
        let a = [0.5, 0.61, 0.55, 0.72, 0.6];
        let b = [0.52, 0.58, 0.5, 0.7, 0.49];
        let r = paired_t(&a, &b);
        assert!(close(r.t.unwrap(), 1.783_428_366_962_942_3, 1e-9), "{r:?}");
        assert!(close(r.p.unwrap(), 0.149_087_493_596_800_2, 1e-9), "{r:?}");
    }

    #[test]
    fn paired_t_test_is_undefined_for_constant_differences_or_one_pair() {
        let r = paired_t(&[0.5, 0.6, 0.7], &[0.4, 0.5, 0.6]);
        assert!(close(r.mean_diff, 0.1, 1e-12));
        assert_eq!((r.t, r.p), (None, None));
        assert_eq!(paired_t(&[0.5], &[0.4]).p, None);
    }

    #[test]
    fn student_t_p_values_match_scipy() {
        // 2 * scipy.stats.t.sf(|t|, df)
        assert!(close(
            student_t_two_sided(2.0, 2.0),
            0.183_503_419_072_273_97,
            1e-10
        ));
        assert!(close(
            student_t_two_sided(-1.0, 10.0),
            0.340_893_132_302_06,
            1e-10
        ));
        assert!(close(student_t_two_sided(0.0, 4.0), 1.0, 1e-12));
        assert!(close(
            student_t_two_sided(12.0, 30.0),
            5.580_185_415_199_261e-13,
            1e-6
        ));
    }

    #[test]
    fn exact_mcnemar_matches_scipy_binomtest() {
        // binomtest(b, b + c, 0.5).pvalue
        assert!(close(mcnemar_exact(5, 15), 0.041_389_465_332_031_25, 1e-10));
        assert!(close(mcnemar_exact(15, 5), 0.041_389_465_332_031_25, 1e-10));
        assert!(close(mcnemar_exact(0, 6), 0.031_25, 1e-10));
        assert!(close(
            mcnemar_exact(480, 560),
            0.014_259_079_095_385_853,
            1e-7
        ));
        assert_eq!(mcnemar_exact(7, 7), 1.0);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
    }
}
