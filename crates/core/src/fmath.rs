//! Elementary functions from IEEE-exact operations only (f64 `+ − × ÷`,
//! `floor`, bit manipulation), so every platform returns the same bits.
//! `f32::exp`/`f32::ln` call the platform's libm: glibc natively, a port of
//! another libm in wasm32 builds, and the two disagree in the last bit for a
//! few percent of inputs (measured for `ln`: 2.7 % of f32 values in
//! [0.001, 1e8)). The features' log-abundance and the student's softmax use
//! these, so the CLI and the browser compute the same features and scores.
//! Both are within one f32 ulp of the true value (the f64 result has a
//! relative error below 1e-14 before rounding to f32).

/// `e^x` from IEEE-exact f64 operations (+, ×, floor, bit construction), so
/// every platform returns the same bits; within one f32 ulp of the true value
/// (the f64 result has a relative error below 1e-14 before rounding).
pub fn exp_f32(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x < -104.0 {
        return 0.0; // below half the smallest subnormal f32
    }
    if x > 89.0 {
        return f32::INFINITY;
    }
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    const LN_2: f64 = std::f64::consts::LN_2;
    // 1/k!, k = 0..=12: |r| <= ln2/2 leaves a truncation error below 1e-15
    const INV_FACT: [f64; 13] = [
        1.0,
        1.0,
        0.5,
        0.166_666_666_666_666_66,
        0.041_666_666_666_666_664,
        0.008_333_333_333_333_333,
        0.001_388_888_888_888_889,
        0.000_198_412_698_412_698_4,
        0.000_024_801_587_301_587_3,
        0.000_002_755_731_922_398_589_3,
        0.000_000_275_573_192_239_858_9,
        0.000_000_025_052_108_385_441_72,
        0.000_000_002_087_675_698_786_81,
    ];
    let x = x as f64;
    let n = (x * LOG2_E + 0.5).floor();
    let r = x - n * LN_2;
    let mut p = INV_FACT[12];
    for &c in INV_FACT[..12].iter().rev() {
        p = p * r + c;
    }
    // n is in [-151, 129]: 2^n is a normal f64
    let scale = f64::from_bits(((n as i64 + 1023) as u64) << 52);
    (p * scale) as f32
}

/// Natural logarithm, as [`exp_f32`]: `ln(0) = −∞`, `ln(x < 0) = NaN`.
pub fn ln_f32(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        return f32::NAN;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m · 2^e with m in [√½, √2) (every f32, subnormals too, is a normal f64)
    let bits = (x as f64).to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh s, s = (m − 1)/(m + 1), |s| < 0.172: 11 odd terms leave < 1e-18
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 23.0;
    for k in (1..=10).rev() {
        p = p * s2 + 1.0 / (2 * k + 1) as f64;
    }
    let ln_m = 2.0 * s * (p * s2 + 1.0);
    (e as f64 * std::f64::consts::LN_2 + ln_m) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_one_ulp_of_the_f64_exponential() {
        let mut x = -103.9f32;
        while x < 88.0 {
            let want = (x as f64).exp() as f32;
            let got = exp_f32(x);
            let ulps = (got.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulps <= 1, "exp({x}) = {got}, want {want}");
            x += 0.0137;
        }
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-200.0), 0.0);
        assert_eq!(exp_f32(100.0), f32::INFINITY);
    }

    #[test]
    fn ln_is_within_one_ulp_of_the_f64_logarithm() {
        let mut x = 1e-30f32;
        while x < 1e30 {
            let want = (x as f64).ln() as f32;
            let got = ln_f32(x);
            let ulps = (got.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulps <= 1, "ln({x}) = {got}, want {want}");
            x *= 1.000_37;
        }
        assert_eq!(ln_f32(1.0), 0.0);
        assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
        assert!(ln_f32(-1.0).is_nan());
        assert_eq!(
            ln_f32(f32::from_bits(1)),
            (f32::from_bits(1) as f64).ln() as f32
        );
    }

    #[test]
    fn exp_undoes_ln() {
        for &x in &[0.001f32, 0.5, 1.0, 2.0, 1234.5, 1e6] {
            assert!((exp_f32(ln_f32(x)) - x).abs() <= x * 2e-7, "{x}");
        }
    }
}
