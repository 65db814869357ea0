//! The one-sided one-sample KS survival function P(D+_n >= x), `scipy.special.smirnov(n, x)`:
//! a port of xsf's `cephes/kolmogorov.h` (`_smirnov`, van Mulbregt 2018, arXiv:1802.06966).
//! The Birnbaum-Tingey sum is accumulated in double-double with each term kept as a mantissa
//! and a binary exponent, since the binomial coefficients overflow a double.

use super::double_double::{ldexp, DoubleDouble as Dd};

/// Above this n, xsf uses the approximation exp(-(6nx + 1)^2 / 18n).
const SMIRNOV_MAX_COMPUTE_N: u64 = 1_000_000;
/// Powers are split so that no partial result drops below 2^-960.
const SM_MAX_EXPONENT: i64 = 960;
/// Upper-sum heuristics of xsf (the upper sum is used only for tiny x).
const SM_UPPER_MAX_TERMS: u64 = 3;
const SM_UPPERSUM_MIN_N: u64 = 10;
/// cephes' MINLOG, log(2^-1074) rounded: below it the survival function underflows.
const MINLOG: f64 = -7.451_332_191_019_412e2;

/// P(D+_n >= x) for n >= 1, as `scipy.special.smirnov(n, x)`.
pub fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    let nf = n as f64;
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let (alpha, nx_floor) = mod_nx(n, x);
    let mut n1mx_floor = n - nx_floor - u64::from(alpha != 0.0);
    let mut n1mx_ceil = n - nx_floor;
    // With alpha = 0 the last term belongs to neither sum.
    if alpha == 0.0 {
        n1mx_floor -= 1;
        n1mx_ceil += 1;
    }
    if nx_floor == 0 || (nx_floor == 1 && alpha == 0.0) {
        // x <= 1/n: closed form.
        let t = pow_dd(Dd::ONE + x, (n - 1) as i64).hi;
        return (1.0 - x * t).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nx_floor >= n - 1 {
        return pow_dd(Dd::ONE + -x, n as i64).hi.clamp(0.0, 1.0);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        let sf = if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
        return sf.clamp(0.0, 1.0);
    }
    let upper_terms = n - n1mx_ceil + 1;
    let use_upper_sum = (upper_terms <= 1 && x < 0.5)
        || (n >= SM_UPPERSUM_MIN_N && upper_terms <= SM_UPPER_MAX_TERMS && x <= 0.5 / nf.sqrt());
    let prob = if use_upper_sum {
        1.0 - (upper_sum(n, x, n - n1mx_ceil + 1) * x).hi
    } else {
        (lower_sum(n, x, n1mx_floor + 1) * x).hi
    };
    prob.clamp(0.0, 1.0)
}

/// floor(n x) and the fractional part of n x, exactly; a remainder that rounds to 1 carries.
fn mod_nx(n: u64, x: f64) -> (f64, u64) {
    let nx = Dd::new(x) * n as f64;
    let floor = nx.floor();
    let mut alpha = (nx + -floor).hi;
    let mut nx_floor = floor.hi as u64;
    if alpha == 1.0 {
        nx_floor += 1;
        alpha = 0.0;
    }
    (alpha, nx_floor)
}

/// Sum over v = 0, 1, ... of C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), stopping once the
/// remaining terms cannot change the sum.
fn lower_sum(n: u64, x: f64, terms: u64) -> Dd {
    let mut sum = pow_dd(Dd::ONE + -x, n as i64) / x;
    let mut binomial = Binomial::new();
    binomial.step(n, 0);
    for v in 1..terms {
        let term = term_av(n, x, v, &binomial);
        if term.hi.is_finite() && !term.is_zero() {
            sum = sum + term;
        }
        if !term.is_zero() {
            let rest = 4.0 * (terms - v) as f64 * term.hi.abs();
            if rest < f64::EPSILON * sum.hi && v != terms - 1 {
                break;
            }
        } else if v > n / 2 {
            break;
        }
        binomial.step(n, v);
    }
    sum
}

/// The same sum from v = n downwards (1 - the lower sum), for x below 1/(2 sqrt n).
fn upper_sum(n: u64, x: f64, terms: u64) -> Dd {
    let mut sum = pow_dd(Dd::ONE + x, (n - 1) as i64);
    let mut binomial = Binomial::new();
    binomial.step(n, 0);
    for j in 1..terms {
        let term = term_av(n, x, n - j, &binomial);
        if term.hi.is_finite() && !term.is_zero() {
            sum = sum + term;
        }
        if !term.is_zero() {
            let rest = 4.0 * (terms - j) as f64 * term.hi.abs();
            if rest < f64::EPSILON * sum.hi && j != terms - 1 {
                break;
            }
        } else if j > n / 2 {
            break;
        }
        binomial.step(n, j);
    }
    sum
}

/// C(n, j) as a double-double mantissa and a binary exponent, updated from C(n, j-1).
struct Binomial {
    mantissa: Dd,
    exponent: i64,
}

impl Binomial {
    fn new() -> Binomial {
        Binomial {
            mantissa: Dd::ONE,
            exponent: 0,
        }
    }

    /// C(n, j) -> C(n, j + 1).
    fn step(&mut self, n: u64, j: u64) {
        let ratio = Dd::new((n - j) as f64) / (j as f64 + 1.0);
        let (mantissa, exponent) = (self.mantissa * ratio).frexp();
        self.mantissa = mantissa;
        self.exponent += exponent;
    }
}

/// A_v(n, x) / x = C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v).
fn term_av(n: u64, x: f64, v: u64, binomial: &Binomial) -> Dd {
    let nf = n as f64;
    let (t2, t2_exp) = pow_scaled((Dd::new((n - v) as f64) / nf) - x, (n - v) as i64);
    let (t1, t1_exp) = pow_scaled((Dd::new(v as f64) / nf) + x, v as i64 - 1);
    (t1 * t2 * binomial.mantissa).ldexp(binomial.exponent + t1_exp + t2_exp)
}

/// a^m in double-double from `powf` on the high part and a first-order correction for the low.
fn pow_dd(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        return if m == 0 {
            Dd::ONE
        } else {
            Dd::ONE / pow_dd(a, -m)
        };
    }
    if a.is_zero() {
        return Dd::new(0.0);
    }
    let ans = a.hi.powf(m as f64);
    let r = a.lo / a.hi;
    let mf = m as f64;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            // The first two terms of (1 + r)^m's series.
            adj += (mf * r) * ((m - 1) as f64 / 2.0 * r);
        } else {
            adj = (mf * r.ln_1p()).exp_m1();
        }
    }
    Dd::new(ans) + ans * adj
}

/// a^m = mantissa * 2^exponent, split into powers that stay above 2^-960 (m >= 0).
fn pow_scaled(a: Dd, m: i64) -> (Dd, i64) {
    if m <= 0 {
        debug_assert_eq!(m, 0, "the Smirnov terms take no negative powers");
        return (Dd::ONE, 0);
    }
    let (y, y_exp) = a.frexp();
    if m == 1 {
        return (y, y_exp);
    }
    let mf = m as f64;
    let mut max_exponent = SM_MAX_EXPONENT;
    if mf * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * std::f64::consts::LN_2 {
        let lg2y = y.hi.ln() / std::f64::consts::LN_2;
        if mf * lg2y <= -(SM_MAX_EXPONENT as f64) {
            max_exponent = (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i64;
        }
    }
    if m <= max_exponent {
        let (ans, ans_exp) = pow_dd(y, m).frexp();
        return (ans, ans_exp + m * y_exp);
    }
    let (q, r) = (m / max_exponent, m % max_exponent);
    let (y2r, y2r_exp) = pow_scaled(y, r);
    let (y2m, y2m_exp) = pow_scaled(y, max_exponent);
    let (y2mq, y2mq_exp) = pow_scaled(y2m, q);
    let (ans, ans_exp) = (y2r * y2mq).frexp();
    (ans, ans_exp + y2mq_exp + y2m_exp * q + y2r_exp + m * y_exp)
}

/// xsf's `nextPowerOf2` (which rounds x up at its last bit rather than to a power of two).
fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - f64::MANTISSA_DIGITS as i64);
    let l = (q + x).abs();
    if l == 0.0 {
        return x.abs();
    }
    if l < i32::MAX as f64 && (l as i32) as f64 == l {
        return (l as i32) as f64;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs()
    }

    #[test]
    fn matches_scipy_special_smirnov() {
        // scipy.special.smirnov(n, x), scipy 1.17.1: x <= 1/n, the lower sum, x >= 1 - 1/n.
        for (n, x, want) in [
            (1, 0.25, 0.75),
            (5, 0.3, 0.34282),
            (12, 0.5, 0.001340125828028012),
            (100, 0.05, 0.5871453380805337),
            (1000, 0.1, 1.8518435484088554e-09),
            (20, 0.97, 3.486784401000062e-31),
        ] {
            let got = smirnov_sf(n, x);
            assert!(
                close(got, want, 1e-12),
                "smirnov({n}, {x}) = {got}, want {want}"
            );
        }
    }
}
