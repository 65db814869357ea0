//! The two-sample KS statistic and the Wasserstein-1 distance from one walk over the merged
//! order of two sorted samples: both read |F_a - F_b| at each distinct value, KS takes its
//! maximum and Wasserstein its integral (scipy's `ks_2samp` statistic and
//! `wasserstein_distance`; equal bit for bit to [`super::ks::ks_statistic_sorted`] and
//! [`super::wasserstein::wasserstein_distance_sorted`], which stay as the plain reference).
//!
//! The walk is split in two passes because a merge is bound by its load-compare-advance
//! chain: pass 1 records only which side each merged element comes from, walking
//! [`LANES`] independent stretches of the merge side by side; pass 2 replays those bits
//! sequentially (the Wasserstein sum must keep its order to stay bit-identical), with loads
//! that no longer wait on comparisons.

/// The statistics of [`two_sample_distances`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EcdfDistances {
    /// sup |F_a - F_b|.
    pub ks_statistic: f64,
    /// The area between the two ECDFs; NaN when a side is empty.
    pub wasserstein: f64,
}

/// Stretches of the merge walked at once in pass 1.
const LANES: usize = 4;
const WORD: usize = 64;

/// Both inputs ascending and finite (NaN breaks the merge order).
pub fn two_sample_distances(a: &[f64], b: &[f64]) -> EcdfDistances {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return EcdfDistances {
            ks_statistic: 0.0,
            wasserstein: f64::NAN,
        };
    }
    let (nf, mf) = (n as f64, m as f64);
    let order = merge_order(a, b);
    let (mut i, mut j) = (0usize, 0usize);
    let (mut d, mut area) = (0.0f64, 0.0f64);
    let mut value = a[0].min(b[0]);
    // Per block of 64 merged elements: counts and next values, then the vectorisable
    // arithmetic, then the two reductions in merge order.
    let mut fa = [0.0f64; WORD];
    let mut fb = [0.0f64; WORD];
    let mut next = [0.0f64; WORD];
    let mut diff = [0.0f64; WORD];
    let mut step = [0.0f64; WORD];
    // The last element has no next value and |F_a - F_b| = 0 there.
    let steps = n + m - 1;
    for (w, &bits) in order.iter().enumerate() {
        let count = WORD.min(steps - w * WORD);
        if count == 0 {
            break;
        }
        for k in 0..count {
            let take_a = ((bits >> k) & 1) as usize;
            i += take_a;
            j += 1 - take_a;
            fa[k] = i as i64 as f64;
            fb[k] = j as i64 as f64;
            let (x, y) = (head(a, i), head(b, j));
            next[k] = if x <= y { x } else { y };
        }
        for k in 0..count {
            diff[k] = (fa[k] / nf - fb[k] / mf).abs();
        }
        step[0] = next[0] - value;
        for k in 1..count {
            step[k] = next[k] - next[k - 1];
        }
        // Inside a run of ties the step is 0: no KS candidate, and a +0 term to the area.
        for k in 0..count {
            let candidate = if step[k] > 0.0 { diff[k] } else { 0.0 };
            diff[k] *= step[k];
            step[k] = candidate;
        }
        for (&term, &candidate) in diff[..count].iter().zip(&step[..count]) {
            area += term;
            d = if candidate > d { candidate } else { d };
        }
        value = next[count - 1];
    }
    EcdfDistances {
        ks_statistic: d,
        wasserstein: area,
    }
}

#[inline(always)]
fn head(s: &[f64], k: usize) -> f64 {
    s.get(k).copied().unwrap_or(f64::INFINITY)
}

/// Where the first `p` merged elements end in `a` and `b` (on ties `a` comes first).
fn merge_split(a: &[f64], b: &[f64], p: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (p.saturating_sub(b.len()), p.min(a.len()));
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        if a[i] <= b[p - i - 1] {
            lo = i + 1;
        } else {
            hi = i;
        }
    }
    (lo, p - lo)
}

/// Bit `p` is set when the `p`-th element of the merged order comes from `a`.
fn merge_order(a: &[f64], b: &[f64]) -> Vec<u64> {
    let total = a.len() + b.len();
    let mut words = vec![0u64; total.div_ceil(WORD)];
    let lane_words = total / WORD / LANES;
    let mut lanes = [(0usize, 0usize); LANES];
    for (k, lane) in lanes.iter_mut().enumerate() {
        *lane = merge_split(a, b, k * lane_words * WORD);
    }
    for w in 0..lane_words {
        let mut acc = [0u64; LANES];
        for bit in 0..WORD {
            for (lane, acc) in lanes.iter_mut().zip(&mut acc) {
                let take_a = (head(a, lane.0) <= head(b, lane.1)) as usize;
                *acc |= (take_a as u64) << bit;
                lane.0 += take_a;
                lane.1 += 1 - take_a;
            }
        }
        for (k, acc) in acc.iter().enumerate() {
            words[k * lane_words + w] = *acc;
        }
    }
    let (mut i, mut j) = lanes[LANES - 1];
    for p in LANES * lane_words * WORD..total {
        let take_a = (head(a, i) <= head(b, j)) as usize;
        words[p / WORD] |= (take_a as u64) << (p % WORD);
        i += take_a;
        j += 1 - take_a;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ks::ks_statistic_sorted;
    use crate::stats::wasserstein::wasserstein_distance_sorted;

    /// splitmix64, for reproducible samples.
    fn samples(seed: u64, len: usize, levels: u64, shift: f64) -> Vec<f64> {
        let mut state = seed;
        let mut out: Vec<f64> = (0..len)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((z ^ (z >> 31)) % levels) as f64 / 7.0 - 3.0 + shift
            })
            .collect();
        out.sort_unstable_by(f64::total_cmp);
        out
    }

    fn assert_same_as_reference(a: &[f64], b: &[f64]) {
        let got = two_sample_distances(a, b);
        let ks = ks_statistic_sorted(a, b);
        let w = wasserstein_distance_sorted(a, b);
        assert_eq!(got.ks_statistic.to_bits(), ks.to_bits(), "KS {a:?} {b:?}");
        assert_eq!(got.wasserstein.to_bits(), w.to_bits(), "W {a:?} {b:?}");
    }

    #[test]
    fn matches_the_reference_walks_bit_for_bit() {
        // Sizes around the lane and word boundaries, with and without ties, overlapping,
        // shifted and disjoint.
        for (n, m) in [
            (1, 1),
            (1, 5),
            (3, 700),
            (255, 257),
            (1000, 999),
            (4096, 3000),
        ] {
            for (levels, shift) in [(u64::MAX, 0.0), (u64::MAX, 0.3), (40, 0.0), (3, 1.0)] {
                let a = samples(n as u64, n, levels, 0.0);
                let b = samples(m as u64 + 99, m, levels, shift);
                assert_same_as_reference(&a, &b);
                assert_same_as_reference(&b, &a);
            }
            let a = samples(1, n, u64::MAX, 0.0);
            let b = samples(2, m, u64::MAX, 1e6);
            assert_same_as_reference(&a, &b);
            assert_same_as_reference(&b, &a);
        }
    }

    #[test]
    fn signed_zeros_are_one_value() {
        assert_same_as_reference(&[-1.0, -0.0, 0.0, 2.0], &[-0.0, 0.0, 0.0, 3.0]);
        assert_same_as_reference(&[0.0, 0.0], &[-0.0]);
    }

    #[test]
    fn matches_scipy_reference() {
        // scipy.stats.wasserstein_distance([0, 1], [0, 1, 2, 2]) == 0.75; ks_2samp D = 0.5
        let got = two_sample_distances(&[0.0, 1.0], &[0.0, 1.0, 2.0, 2.0]);
        assert_eq!(got.ks_statistic, 0.5);
        assert!((got.wasserstein - 0.75).abs() < 1e-15);
    }

    #[test]
    fn an_empty_side_has_no_distance() {
        assert!(two_sample_distances(&[], &[1.0]).wasserstein.is_nan());
    }
}
