//! Two-sample Kolmogorov-Smirnov test, two-sided, as `scipy.stats.ks_2samp(method="auto")`:
//! the exact distribution up to 10,000 rows a side, above it the finite-n one-sample
//! distribution `kstwo.sf(D, round(n1 n2 / (n1 + n2)))` (ports in `ks/`), so p-values equal
//! scipy's to 1e-9 relative at every size (fixtures/drift/make_ks_golden.py).

use serde::Serialize;

mod double_double;
mod kstwo;
mod smirnov;

pub use kstwo::kstwo_sf;
pub use smirnov::smirnov_sf;

/// scipy's `MAX_AUTO_N`: up to this many rows per side the p-value is exact.
pub const EXACT_MAX_N: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KsMethod {
    Exact,
    Asymptotic,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KsResult {
    pub statistic: f64,
    pub pvalue: f64,
    pub method: KsMethod,
}

/// The statistic D = sup |F1 - F2| over both samples, inputs ascending and finite.
pub fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d: f64 = 0.0;
    while i < a.len() || j < b.len() {
        let at = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= at {
            i += 1;
        }
        while j < b.len() && b[j] <= at {
            j += 1;
        }
        d = d.max((i as f64 / n1 - j as f64 / n2).abs());
    }
    d
}

/// Statistic and two-sided p-value; `None` when a side is empty.
pub fn ks_two_sample_sorted(a: &[f64], b: &[f64]) -> Option<KsResult> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(ks_from_statistic(
        a.len(),
        b.len(),
        ks_statistic_sorted(a, b),
    ))
}

/// The test's result from the sizes (both > 0) and D, however D was computed: scipy's
/// `ks_2samp` after its statistic. The exact method snaps D to the lattice 1/lcm(n1, n2) and
/// reports the snapped value, also when it falls back to the asymptotic distribution.
pub fn ks_from_statistic(n1: usize, n2: usize, d: f64) -> KsResult {
    let mut d = d;
    if n1.max(n2) <= EXACT_MAX_N {
        let (snapped, pvalue) = exact_two_sided(n1, n2, d);
        if let Some(pvalue) = pvalue {
            return KsResult {
                statistic: snapped,
                pvalue,
                method: KsMethod::Exact,
            };
        }
        d = snapped;
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let effective_n = (m * n / (m + n)).round_ties_even();
    KsResult {
        statistic: d,
        pvalue: kstwo_sf(effective_n as u64, d),
        method: KsMethod::Asymptotic,
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` (two-sided): D snapped to the lattice 1/lcm(n1, n2), and
/// the exact p-value unless rounding took it out of [0, 1].
fn exact_two_sided(n1: usize, n2: usize, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) as f64 * n2 as f64;
    let h = (d * lcm).round_ties_even();
    let d = h / lcm;
    if h == 0.0 {
        return (d, Some(1.0));
    }
    let h = h as usize;
    let prob = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside_method(n1, n2, g, h)
    };
    (
        d,
        (prob.is_finite() && (0.0..=1.0).contains(&prob)).then_some(prob),
    )
}

/// Pr(D_{n,n} >= h/n) by scipy's Horner-like alternating sum.
fn prob_outside_square(n: usize, h: usize) -> f64 {
    let (nf, hf) = (n as f64, h as f64);
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let kf = k as f64;
        let mut p1 = 1.0;
        for j in 0..h {
            let jf = j as f64;
            p1 = (nf - kf * hf - jf) * p1 / (nf + kf * hf + jf + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// scipy's `_compute_outer_prob_inside_method`: lattice paths from (0,0) to (m,n) that leave
/// the band |x/m - y/n| < h/lcm, counted column by column over a sliding window.
fn outer_prob_inside_method(m: usize, n: usize, g: usize, h: usize) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (n_i, h_i) = (n as i64, h as i64);
    let ceil_div = |a: i64, b: i64| (a as f64 / b as f64).ceil() as i64;
    let floor_div = |a: i64, b: i64| (a as f64 / b as f64).floor() as i64;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h_i, mg).min(n_i + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n_i + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize) {
        *v = 0.0;
    }
    for i in 1..=m as i64 {
        let (last_minj, last_len) = (minj, curlen);
        minj = (floor_div(ng * i - h_i, mg) + 1).max(0).min(n_i);
        maxj = ceil_div(ng * i + h_i, mg).min(n_i + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let fi = i as f64;
            val = (a[(jj + minj - last_minj) as usize] * fi + val * j) / (fi + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if last_len > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (last_len - curlen) as usize).min(a.len());
            for v in &mut a[start..end] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_exact_unequal_sizes() {
        // ks_2samp([1,2,3,4,5], [3,4,5,6,7,8,9]) -> D=0.5714285714285714, p=0.23737373737373738
        let r = ks_two_sample_sorted(&[1., 2., 3., 4., 5.], &[3., 4., 5., 6., 7., 8., 9.]).unwrap();
        assert_eq!(r.method, KsMethod::Exact);
        assert!((r.statistic - 0.5714285714285714).abs() < 1e-15);
        assert!(
            (r.pvalue - 0.23737373737373738).abs() < 1e-15,
            "{}",
            r.pvalue
        );
    }

    #[test]
    fn identical_samples_have_pvalue_one() {
        let r = ks_two_sample_sorted(&[1., 2., 3.], &[1., 2., 3.]).unwrap();
        assert_eq!((r.statistic, r.pvalue), (0.0, 1.0));
    }

    #[test]
    fn large_samples_use_kstwo_with_n_rounded_half_to_even() {
        // ks_2samp on 10,001 rows a side (fixtures/drift/ks_golden.json): en = 5000.5 -> 5000.
        let d = 0.038296170382961736;
        let r = ks_from_statistic(10_001, 10_001, d);
        assert_eq!(r.method, KsMethod::Asymptotic);
        assert_eq!(r.pvalue, kstwo_sf(5000, d));
        assert!((r.pvalue - 8.294584229521664e-07).abs() < 1e-12 * 8.3e-7);
    }

    #[test]
    fn a_failed_exact_computation_falls_back_with_the_snapped_statistic() {
        // 10,000 a side, D = 9/10,000: the exact sum rounds above 1, so scipy goes asymptotic
        // (fixtures/drift/ks_golden.json, "10000x10000 near-identical").
        let r = ks_from_statistic(10_000, 10_000, 0.0009);
        assert_eq!(r.method, KsMethod::Asymptotic);
        assert_eq!((r.statistic, r.pvalue), (0.0009, 1.0));
    }

    #[test]
    fn empty_side_has_no_result() {
        assert!(ks_two_sample_sorted(&[], &[1.0]).is_none());
    }
}
