//! Every drift statistic of one categorical feature.

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
    drift.new_category_share = Some(new_rows as f64 / cur_total as f64);
    drift
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
}
