//! The few double-double operations scipy's `smirnov` uses (xsf `cephes/dd_real.h`, after
//! Hida, Li and Bailey's QD library): a value is `hi + lo` with |lo| <= ulp(hi) / 2.

use std::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoubleDouble {
    pub hi: f64,
    pub lo: f64,
}

/// fl(a + b) and its error, assuming |a| >= |b|.
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// fl(a + b) and its error.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, (a - (s - c)) + (b - c))
}

/// fl(a * b) and its error.
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl DoubleDouble {
    pub const ONE: DoubleDouble = DoubleDouble { hi: 1.0, lo: 0.0 };

    pub fn new(hi: f64) -> DoubleDouble {
        DoubleDouble { hi, lo: 0.0 }
    }

    pub fn is_zero(self) -> bool {
        self.hi == 0.0 && self.lo == 0.0
    }

    pub fn floor(self) -> DoubleDouble {
        let hi = self.hi.floor();
        if hi != self.hi {
            return DoubleDouble::new(hi);
        }
        let (hi, lo) = quick_two_sum(hi, self.lo.floor());
        DoubleDouble { hi, lo }
    }

    /// `self * 2^exponent`.
    pub fn ldexp(self, exponent: i64) -> DoubleDouble {
        DoubleDouble {
            hi: ldexp(self.hi, exponent),
            lo: ldexp(self.lo, exponent),
        }
    }

    /// (m, e) with self = m * 2^e and 0.5 <= |m.hi| < 1 (or |m.hi| = 1 with lo of the other sign).
    pub fn frexp(self) -> (DoubleDouble, i64) {
        let (mut hi, mut exponent) = frexp(self.hi);
        let mut lo = ldexp(self.lo, -exponent);
        if hi.abs() == 0.5 && hi * lo < 0.0 {
            hi *= 2.0;
            lo *= 2.0;
            exponent -= 1;
        }
        (DoubleDouble { hi, lo }, exponent)
    }
}

impl Neg for DoubleDouble {
    type Output = DoubleDouble;
    fn neg(self) -> DoubleDouble {
        DoubleDouble {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Add for DoubleDouble {
    type Output = DoubleDouble;
    /// Briggs and Kahan's addition, with an IEEE-style error bound.
    fn add(self, rhs: DoubleDouble) -> DoubleDouble {
        let (s1, s2) = two_sum(self.hi, rhs.hi);
        let (t1, t2) = two_sum(self.lo, rhs.lo);
        let (s1, s2) = quick_two_sum(s1, s2 + t1);
        let (hi, lo) = quick_two_sum(s1, s2 + t2);
        DoubleDouble { hi, lo }
    }
}

impl Add<f64> for DoubleDouble {
    type Output = DoubleDouble;
    fn add(self, rhs: f64) -> DoubleDouble {
        let (s1, s2) = two_sum(self.hi, rhs);
        let (hi, lo) = quick_two_sum(s1, s2 + self.lo);
        DoubleDouble { hi, lo }
    }
}

impl Sub<f64> for DoubleDouble {
    type Output = DoubleDouble;
    fn sub(self, rhs: f64) -> DoubleDouble {
        self + -rhs
    }
}

impl Mul for DoubleDouble {
    type Output = DoubleDouble;
    fn mul(self, rhs: DoubleDouble) -> DoubleDouble {
        let (p1, p2) = two_prod(self.hi, rhs.hi);
        let (hi, lo) = quick_two_sum(p1, p2 + (self.hi * rhs.lo + self.lo * rhs.hi));
        DoubleDouble { hi, lo }
    }
}

impl Mul<f64> for DoubleDouble {
    type Output = DoubleDouble;
    fn mul(self, rhs: f64) -> DoubleDouble {
        let (p1, e1) = two_prod(self.hi, rhs);
        let (p2, e2) = two_prod(self.lo, rhs);
        let (hi, lo) = quick_two_sum(p1, e2 + p2 + e1);
        DoubleDouble { hi, lo }
    }
}

impl Div for DoubleDouble {
    type Output = DoubleDouble;
    /// Long division: three quotient digits.
    fn div(self, rhs: DoubleDouble) -> DoubleDouble {
        let q1 = self.hi / rhs.hi;
        let r = self + -(rhs * q1);
        let q2 = r.hi / rhs.hi;
        let r = r + -(rhs * q2);
        let q3 = r.hi / rhs.hi;
        let (hi, lo) = quick_two_sum(q1, q2);
        DoubleDouble { hi, lo } + q3
    }
}

impl Div<f64> for DoubleDouble {
    type Output = DoubleDouble;
    fn div(self, rhs: f64) -> DoubleDouble {
        self / DoubleDouble::new(rhs)
    }
}

/// C's `frexp`: (m, e) with x = m * 2^e and 0.5 <= |m| < 1; zero, infinities and NaN as given.
pub fn frexp(x: f64) -> (f64, i64) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    if biased == 0 {
        if x == 0.0 {
            return (x, 0);
        }
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
        return (m, e - 64);
    }
    if biased == 0x7ff {
        return (x, 0);
    }
    let mantissa = (bits & 0x800f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000;
    (f64::from_bits(mantissa), biased - 0x3fe)
}

/// C's `ldexp`/`scalbn` (musl's): x * 2^n rounded once, also into the subnormal range.
pub fn ldexp(x: f64, n: i64) -> f64 {
    let two_1023 = f64::from_bits(0x7fe0_0000_0000_0000);
    // 2^-1022 * 2^53: scaling down in two steps would round twice in the subnormal range.
    let two_m969 = f64::from_bits(0x0360_0000_0000_0000);
    let (mut y, mut n) = (x, n.clamp(-10_000, 10_000));
    if n > 1023 {
        y *= two_1023;
        n -= 1023;
        if n > 1023 {
            y *= two_1023;
            n -= 1023;
            n = n.min(1023);
        }
    } else if n < -1022 {
        y *= two_m969;
        n += 1022 - 53;
        if n < -1022 {
            y *= two_m969;
            n += 1022 - 53;
            n = n.max(-1022);
        }
    }
    y * f64::from_bits(((0x3ff + n) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_and_ldexp_round_trip() {
        for x in [1.0, 0.75, -3.5, 1e-310, 5e-324, 1.7e308, 123456.789] {
            let (m, e) = frexp(x);
            assert!((0.5..1.0).contains(&m.abs()), "{x}: {m}");
            assert_eq!(ldexp(m, e), x, "{x}");
        }
        assert_eq!(ldexp(1.0, -1074), 5e-324);
        assert_eq!(ldexp(1.0, -1080), 0.0);
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
    }

    #[test]
    fn division_keeps_about_32_digits() {
        // 1/3 to double-double: hi is fl(1/3), lo the next 53 bits.
        let third = DoubleDouble::ONE / 3.0;
        assert_eq!(third.hi, 1.0 / 3.0);
        assert!((third.lo - 1.850371707708594e-17).abs() < 1e-32);
        let back = third * 3.0;
        assert_eq!((back.hi, back.lo), (1.0, 0.0));
    }
}
