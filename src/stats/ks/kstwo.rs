//! The finite-n distribution of the two-sided one-sample KS statistic, P(D_n >= x), as
//! `scipy.stats.kstwo.sf(x, n)`: a port of scipy's `_kolmogn(n, x, cdf=False)`
//! (scipy/stats/_ksstats.py), which picks among exact and approximate methods by n and n x^2
//! after Simard and L'Ecuyer, "Computing the Two-Sided Kolmogorov-Smirnov Distribution",
//! J. Stat. Softw. 39(11), 2011.

use super::double_double::ldexp;
use super::smirnov::smirnov_sf;

const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128
const E128: i64 = 128;
const MIN_LOG: f64 = -708.0;
const SQRT2PI: f64 = 2.506_628_274_631_000_7;
const LOG_2PI: f64 = 1.837_877_066_409_345_3;
const PI_SQUARED: f64 = std::f64::consts::PI * std::f64::consts::PI;
const PI_FOUR: f64 = PI_SQUARED * PI_SQUARED;
const PI_SIX: f64 = PI_FOUR * PI_SQUARED;
/// B_{2j} / (2j) / (2j - 1) for j = 8..1 (Stirling's series, highest power first).
const STIRLING_COEFFS: [f64; 8] = [
    -2.955_065_359_477_124_2e-2,
    6.410_256_410_256_41e-3,
    -1.917_526_917_526_917_5e-3,
    8.417_508_417_508_417e-4,
    -5.952_380_952_380_952e-4,
    7.936_507_936_507_937e-4,
    -2.777_777_777_777_778e-3,
    8.333_333_333_333_333e-2,
];

/// P(D_n >= x) for n >= 1 (`scipy.stats.kstwo.sf(x, n)`).
pub fn kstwo_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    let nf = n as f64;
    // rv_continuous: 1 at or below the support's lower end 1/(2n), 0 at or above 1.
    if x <= 0.5 / nf {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let t = nf * x;
    if t <= 1.0 {
        // Ruben and Gambino: P(D_n < x) = n!/n^n (2t - 1)^n for 1/(2n) < x <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n)
                .map(|i| i as f64 * (1.0 / nf) * (2.0 * t - 1.0))
                .product::<f64>()
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip(1.0 - cdf);
    }
    if t >= nf - 1.0 {
        // Ruben and Gambino: P(D_n >= x) = 2 (1 - x)^n for x >= 1 - 1/n.
        return clip(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        // Exact: the one-sided events cannot both happen.
        return clip(2.0 * smirnov_sf(n, x));
    }
    let nx_squared = t * x;
    if n <= 140 {
        if nx_squared <= 0.754693 {
            return clip(1.0 - durbin_mtw_cdf(n, x));
        }
        if nx_squared <= 4.0 {
            return clip(1.0 - pomeranz_cdf(n, x));
        }
        // Miller's approximation, twice the one-sided probability.
        return clip(2.0 * smirnov_sf(n, x));
    }
    if nx_squared >= 370.0 {
        return 0.0;
    }
    if nx_squared >= 2.2 {
        return clip(2.0 * smirnov_sf(n, x));
    }
    let cdf = if nx_squared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_mtw_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    clip(1.0 - cdf)
}

fn clip(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// log(n! / n^n) by Stirling's series, with n log n removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    let rn = 1.0 / n;
    let series = STIRLING_COEFFS
        .iter()
        .fold(0.0, |acc, c| acc * (rn / n) + c);
    n.ln() / 2.0 - n + LOG_2PI / 2.0 + rn * series
}

/// P(D_n <= d) by Durbin's matrix algorithm as Marsaglia, Tsang and Wang (2003) compute it:
/// the k-th diagonal entry of H^n, scaled by n!/n^n.
fn durbin_mtw_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut h_matrix = durbin_matrix(h, m);
    let mut power = identity(m);
    let (mut exponent, mut h_exponent) = (0i64, 0i64);
    let mut remaining = n;
    while remaining > 0 {
        if remaining % 2 == 1 {
            power = matmul(&power, &h_matrix, m);
            exponent += h_exponent;
        }
        remaining /= 2;
        if remaining == 0 {
            break; // scipy squares once more; the square is never used.
        }
        h_matrix = matmul(&h_matrix, &h_matrix, m);
        h_exponent *= 2;
        if h_matrix[(k - 1) * m + k - 1].abs() > EP128 {
            h_matrix.iter_mut().for_each(|v| *v /= EP128);
            h_exponent += E128;
        }
    }
    let mut p = power[(k - 1) * m + k - 1];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            exponent -= E128;
        }
    }
    if exponent != 0 {
        p = ldexp(p, exponent);
    }
    clip(p)
}

/// Durbin's m x m matrix for d = (k - h)/n, row-major.
fn durbin_matrix(h: f64, m: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;
    let mut matrix = vec![0.0; m * m];
    for i in 1..m {
        for (offset, row) in (i - 1..m).enumerate() {
            matrix[row * m + i] = w[offset];
        }
    }
    for row in 0..m {
        matrix[row * m] = v[row];
    }
    for col in 0..m {
        matrix[(m - 1) * m + col] = v[m - 1 - col];
    }
    matrix
}

fn identity(m: usize) -> Vec<f64> {
    let mut matrix = vec![0.0; m * m];
    for i in 0..m {
        matrix[i * m + i] = 1.0;
    }
    matrix
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        let row = &mut out[i * m..(i + 1) * m];
        for (l, &a_il) in a[i * m..(i + 1) * m].iter().enumerate() {
            if a_il == 0.0 {
                continue;
            }
            for (o, &b_lj) in row.iter_mut().zip(&b[l * m..(l + 1) * m]) {
                *o += a_il * b_lj;
            }
        }
    }
    out
}

/// The Pomeranz recursion's row bounds for row i (scipy's `_pomeranz_compute_j1j2`).
fn pomeranz_j1_j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (half, odd) = ((i + 1) / 2, (i + 1) % 2);
        if odd == 0 {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// P(D_n <= x) by Pomeranz's recursion (1974): rows of Poisson-like convolutions, two kept.
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let n = n as i64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    // (g/n)^m/m!, (2g/n)^m/m! and ((1-2g)/n)^m/m!: Poisson probabilities without e^-lambda.
    let powers = |base: f64| {
        let mut out = vec![1.0; npwrs];
        for m in 1..npwrs {
            out[m] = out[m - 1] * base / m as f64;
        }
        out
    };
    let gpower = powers(g / nf);
    let twogpower = powers(2.0 * g / nf);
    let onem2gpower = powers((1.0 - 2.0 * g) / nf);

    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut exponent = 0i64;
    let (mut j1, _) = pomeranz_j1_j2(0, n, ll, ceilf, roundf);
    for i in 1..2 * n + 2 {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (new_j1, j2) = pomeranz_j1_j2(i, n, ll, ceilf, roundf);
        j1 = new_j1;
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let start = (k1 - v0s) as usize;
            let ln2 = ln2 as usize;
            let conv = convolve(&v0[start..start + ln2], &pwrs[..ln2]);
            let conv_start = (j1 - k1) as usize;
            let conv_len = (j2 - j1 + 1) as usize;
            v1[..conv_len].copy_from_slice(&conv[conv_start..conv_start + conv_len]);
            let max = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < max && max < EM128 {
                v1.iter_mut().for_each(|v| *v *= EP128);
                exponent -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = v1[(n - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            exponent += E128;
        }
        ans *= m as f64;
    }
    if exponent != 0 {
        ans = ldexp(ans, exponent);
    }
    clip(ans)
}

/// numpy's `convolve(a, v)` in its default "full" mode.
fn convolve(a: &[f64], v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + v.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in v.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// The Pelz-Good approximation (1976) of P(D_n <= x): Li-Chien and Korolyuk's expansion
/// K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5, z = x sqrt(n), in its small-z form.
fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));
    let qlog = -PI_SQUARED / 8.0 / z2;
    if qlog < MIN_LOG {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = PI_SQUARED / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * PI_SQUARED / 4.0;
    let k2c = PI_FOUR * (1.0 - 2.0 * z2) / 16.0;
    let k3d = PI_SIX * (5.0 - 30.0 * z2) / 64.0;
    let k3c = PI_FOUR * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = PI_SQUARED * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powf(8.0);

    // Horner over the odd integers: sum_k c_k q^((2k-1)^2).
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / std::f64::consts::PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m * m * m * m, m * m * m * m * m * m);
        let qpower = q.powf((8 * kk) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (acc, c) in k.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (acc, divisor) in k.iter_mut().zip(divisors) {
        *acc = *acc * q * SQRT2PI / divisor;
    }
    // The sums over all integers k in K2 and K3.
    let q = (-PI_SQUARED / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let ksquared = (kk * kk) as f64;
        let kspi = std::f64::consts::PI * kk as f64;
        let qpower = q.powf(ksquared);
        k2extra += ksquared * qpower;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpower;
    }
    k[2] += k2extra * (PI_SQUARED * SQRT2PI / (-36.0 * z3));
    k[3] += k3extra * (PI_SQUARED * SQRT2PI / (216.0 * z6));
    k.iter()
        .enumerate()
        .map(|(i, v)| v / nf.powf(i as f64 / 2.0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_kstwo_sf_on_each_branch() {
        // scipy.stats.kstwo.sf(x, n), scipy 1.17.1 (more in tests/ks_exact.rs)
        for (n, x, want, branch) in [
            (10, 0.07, 0.9999999619492741, "Ruben-Gambino"),
            (10, 0.25, 0.4841115325000003, "Durbin/MTW"),
            (10, 0.4, 0.05898924519999926, "Pomeranz"),
            (10, 0.6, 0.0005681672000000003, "2 smirnov, exact"),
            (50, 0.35, 5.573523514803185e-06, "2 smirnov, Miller"),
            (1000, 0.012, 0.9984464668620097, "Durbin/MTW"),
            (1000, 0.02, 0.8108971656895577, "Pelz-Good"),
            (1000, 0.06, 0.001428597887952891, "2 smirnov"),
            (200000, 0.0025, 0.16380630168585164, "Pelz-Good"),
            (200000, 0.05, 0.0, "underflow"),
        ] {
            let got = kstwo_sf(n, x);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{branch}: kstwo.sf({x}, {n}) = {got:e}, want {want:e}"
            );
        }
    }

    #[test]
    fn stirling_series_matches_the_log_factorial() {
        // log(200!/200^200) from lgamma: 863.2319871924054 - 200 ln 200
        let want = 863.231_987_192_405_4 - 200.0 * 200f64.ln();
        let got = log_nfactorial_div_n_pow_n(200.0);
        assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    }
}
