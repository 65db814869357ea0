//! Every drift statistic of one categorical feature. Shares are counts over the side's
//! non-null rows; a category one side never saw has share 0 there.

use serde::Serialize;

use crate::data::columns::MissingCounts;
use crate::data::CategoryCounts;
use crate::stats::chi2::{chi_square_homogeneity, Chi2Result};
use crate::stats::jensen_shannon::jensen_shannon_distance;
use crate::stats::psi::population_stability_index;

/// How many unseen categories the report lists by name.
const NEW_CATEGORIES_LISTED: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    pub category: String,
    pub baseline: u64,
    pub current: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoricalDrift {
    /// Union of both sides' categories, sorted by name.
    pub categories: Vec<CategoryRow>,
    pub psi: Option<f64>,
    pub js_distance: Option<f64>,
    pub chi2: Option<Chi2Result>,
    /// L-infinity distance: the largest change of one category's share (TFDV's, NannyML's and
    /// SageMaker Model Monitor's categorical default).
    pub linf: Option<f64>,
    /// The category whose share changed most (the first by name on a tie); null when no share
    /// changed.
    pub linf_category: Option<String>,
    /// Total variation distance: half the sum of the share changes, the share of rows that
    /// would have to change category for the two sides to match.
    pub tvd: Option<f64>,
    /// Share of current (non-null) rows whose category the baseline never saw.
    pub new_category_share: Option<f64>,
    pub new_categories: Vec<String>,
    pub new_category_count: usize,
    pub baseline_missing: MissingCounts,
    pub current_missing: MissingCounts,
    pub missing_rate_change: Option<f64>,
    pub notes: Vec<String>,
}

pub fn analyze_categorical(
    baseline: &CategoryCounts,
    current: &CategoryCounts,
) -> CategoricalDrift {
    let mut categories: Vec<CategoryRow> = baseline
        .counts
        .iter()
        .map(|(category, &n)| CategoryRow {
            category: category.clone(),
            baseline: n,
            current: current.counts.get(category).copied().unwrap_or(0),
        })
        .collect();
    let mut new_categories = Vec::new();
    let mut new_rows = 0u64;
    for (category, &n) in &current.counts {
        if !baseline.counts.contains_key(category) {
            categories.push(CategoryRow {
                category: category.clone(),
                baseline: 0,
                current: n,
            });
            new_categories.push(category.clone());
            new_rows += n;
        }
    }
    categories.sort_by(|a, b| a.category.cmp(&b.category));
    let new_category_count = new_categories.len();
    new_categories.truncate(NEW_CATEGORIES_LISTED);

    let change = current.missing.missing_rate() - baseline.missing.missing_rate();
    let mut drift = CategoricalDrift {
        categories,
        psi: None,
        js_distance: None,
        chi2: None,
        linf: None,
        linf_category: None,
        tvd: None,
        new_category_share: None,
        new_categories,
        new_category_count,
        baseline_missing: baseline.missing,
        current_missing: current.missing,
        missing_rate_change: change.is_finite().then_some(change),
        notes: Vec::new(),
    };
    let (base_total, cur_total) = (baseline.observed(), current.observed());
    if base_total == 0 {
        drift
            .notes
            .push("baseline has no non-null values".to_string());
        return drift;
    }
    if cur_total == 0 {
        drift
            .notes
            .push("current has no non-null values".to_string());
        return drift;
    }
    let base_counts: Vec<u64> = drift.categories.iter().map(|r| r.baseline).collect();
    let cur_counts: Vec<u64> = drift.categories.iter().map(|r| r.current).collect();
    drift.psi = Some(population_stability_index(&base_counts, &cur_counts));
    let as_f64 = |c: &[u64]| c.iter().map(|&v| v as f64).collect::<Vec<_>>();
    drift.js_distance = Some(jensen_shannon_distance(
        &as_f64(&base_counts),
        &as_f64(&cur_counts),
        2.0,
    ));
    drift.chi2 = chi_square_homogeneity(&base_counts, &cur_counts);
    let distances = share_distances(&base_counts, &cur_counts);
    drift.linf = Some(distances.linf);
    drift.linf_category = distances
        .linf_index
        .map(|i| drift.categories[i].category.clone());
    drift.tvd = Some(distances.tvd);
    drift.new_category_share = Some(new_rows as f64 / cur_total as f64);
    drift
}

/// The L-infinity and total variation distances between two count vectors' shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareDistances {
    /// max_i |q_i - p_i| with p_i = baseline_i / sum(baseline), q_i = current_i / sum(current).
    pub linf: f64,
    /// The first i reaching `linf`; `None` when every share is unchanged.
    pub linf_index: Option<usize>,
    /// sum_i |q_i - p_i| / 2, in [0, 1].
    pub tvd: f64,
}

/// Distances between the shares of two count vectors over the same categories, both sums > 0.
pub fn share_distances(baseline: &[u64], current: &[u64]) -> ShareDistances {
    let (base_total, cur_total) = (total(baseline), total(current));
    let mut out = ShareDistances {
        linf: 0.0,
        linf_index: None,
        tvd: 0.0,
    };
    for (i, (&b, &c)) in baseline.iter().zip(current).enumerate() {
        let change = (c as f64 / cur_total - b as f64 / base_total).abs();
        out.tvd += change;
        if change > out.linf {
            out.linf = change;
            out.linf_index = Some(i);
        }
    }
    out.tvd *= 0.5;
    out
}

fn total(counts: &[u64]) -> f64 {
    counts.iter().sum::<u64>() as f64
}

/// One category's share on each side.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareChange {
    pub category: String,
    pub baseline_share: f64,
    pub current_share: f64,
}

/// The categories left out of a top list, as one: how many, and their combined shares.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherCategories {
    pub count: usize,
    pub baseline_share: f64,
    pub current_share: f64,
}

impl CategoricalDrift {
    /// The `limit` categories whose share changed most (largest change first, then by name;
    /// unchanged categories never), and the remaining categories together; `None` when a
    /// side has no non-null rows. Keeps a report readable at thousands of categories.
    pub fn top_changes(&self, limit: usize) -> Option<(Vec<ShareChange>, OtherCategories)> {
        let base_total = self.categories.iter().map(|r| r.baseline).sum::<u64>() as f64;
        let cur_total = self.categories.iter().map(|r| r.current).sum::<u64>() as f64;
        if base_total == 0.0 || cur_total == 0.0 {
            return None;
        }
        let share = |r: &CategoryRow| ShareChange {
            category: r.category.clone(),
            baseline_share: r.baseline as f64 / base_total,
            current_share: r.current as f64 / cur_total,
        };
        let change = |r: &CategoryRow| {
            let s = share(r);
            (s.current_share - s.baseline_share).abs()
        };
        let mut order: Vec<(usize, f64)> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, r)| (i, change(r)))
            .filter(|(_, c)| *c > 0.0)
            .collect();
        // Stable: equal changes keep the name order of `categories`.
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        order.truncate(limit);
        let listed = |side: fn(&CategoryRow) -> u64| {
            order
                .iter()
                .map(|&(i, _)| side(&self.categories[i]))
                .sum::<u64>() as f64
        };
        let other = OtherCategories {
            count: self.categories.len() - order.len(),
            baseline_share: (base_total - listed(|r| r.baseline)) / base_total,
            current_share: (cur_total - listed(|r| r.current)) / cur_total,
        };
        let top = order
            .iter()
            .map(|&(i, _)| share(&self.categories[i]))
            .collect();
        Some((top, other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> CategoryCounts {
        let mut c = CategoryCounts::default();
        for (k, v) in pairs {
            c.counts.insert(k.to_string(), *v);
            c.missing.rows += v;
        }
        c
    }

    #[test]
    fn unseen_categories_are_counted_and_binned() {
        let d = analyze_categorical(
            &counts(&[("a", 50), ("b", 50)]),
            &counts(&[("a", 40), ("c", 10)]),
        );
        assert_eq!(d.new_categories, vec!["c".to_string()]);
        assert!((d.new_category_share.unwrap() - 0.2).abs() < 1e-15);
        let names: Vec<&str> = d.categories.iter().map(|r| r.category.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(d.chi2.unwrap().dof, 2);
    }

    #[test]
    fn linf_names_the_most_changed_category_and_tvd_halves_l1() {
        // Shares a 0.5 -> 0.8, b 0.5 -> 0, c 0 -> 0.2 (numpy: max |q - p|, sum |q - p| / 2).
        let d = analyze_categorical(
            &counts(&[("a", 50), ("b", 50)]),
            &counts(&[("a", 40), ("c", 10)]),
        );
        assert_eq!(d.linf, Some(0.5));
        assert_eq!(d.linf_category.as_deref(), Some("b"));
        assert!((d.tvd.unwrap() - 0.5).abs() < 1e-15);
    }

    #[test]
    fn a_tie_names_the_first_category_and_no_change_names_none() {
        let tie = share_distances(&[50, 50], &[40, 60]);
        assert_eq!(tie.linf_index, Some(0));
        let same = share_distances(&[100, 300], &[10, 30]);
        assert_eq!((same.linf, same.linf_index, same.tvd), (0.0, None, 0.0));
    }

    #[test]
    fn top_changes_list_the_largest_moves_and_fold_the_rest_into_other() {
        let d = analyze_categorical(
            &counts(&[("a", 40), ("b", 30), ("c", 20), ("d", 10)]),
            &counts(&[("a", 10), ("b", 30), ("c", 20), ("d", 30), ("e", 10)]),
        );
        let (top, other) = d.top_changes(2).unwrap();
        let names: Vec<&str> = top.iter().map(|s| s.category.as_str()).collect();
        assert_eq!(names, ["a", "d"]);
        assert_eq!((top[0].baseline_share, top[0].current_share), (0.4, 0.1));
        assert_eq!(other.count, 3);
        assert!((other.baseline_share - 0.5).abs() < 1e-15);
        assert!((other.current_share - 0.6).abs() < 1e-15);
        // Unchanged categories are never listed.
        let (top, other) = d.top_changes(10).unwrap();
        assert_eq!(top.len(), 3);
        assert_eq!(other.count, 2);
    }
}
