//! KS p-values against scipy's ks_2samp on small samples (exact method, equal and unequal
//! sizes), computed by fixtures/drift/make_fixtures.py.

mod common;

use common::{assert_close, golden};
use refit::stats::ks::{ks_two_sample_sorted, KsMethod};

#[test]
fn exact_ks_matches_scipy() {
    for (i, case) in golden()["ks_cases"].as_array().unwrap().iter().enumerate() {
        let mut a: Vec<f64> = case["a"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mut b: Vec<f64> = case["b"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        refit::stats::sort_finite(&mut a);
        refit::stats::sort_finite(&mut b);
        let r = ks_two_sample_sorted(&a, &b).unwrap();
        assert_eq!(r.method, KsMethod::Exact);
        assert_close(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            1e-12,
            &format!("case {i} D"),
        );
        assert_close(
            r.pvalue,
            case["pvalue"].as_f64().unwrap(),
            1e-9,
            &format!("case {i} p"),
        );
    }
}
