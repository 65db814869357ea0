//! KS p-values against scipy: ks_2samp(method="auto") on small samples (exact method, equal and
//! unequal sizes; fixtures/drift/make_fixtures.py) and at every size up to 200,000 rows a side,
//! plus the distributions behind the asymptotic branch, kstwo.sf and scipy.special.smirnov
//! (fixtures/drift/make_ks_golden.py).

mod common;

use common::{assert_close, fixture, golden};
use refit::stats::ks::{ks_two_sample_sorted, kstwo_sf, smirnov_sf, KsMethod};
use serde_json::Value;

/// The golden contract: 1e-9 relative, or 1e-300 absolute where scipy underflows.
const REL: f64 = 1e-9;
const ABS: f64 = 1e-300;

fn ks_golden() -> Value {
    let text = std::fs::read_to_string(fixture("drift/ks_golden.json")).expect("ks_golden.json");
    serde_json::from_str(&text).expect("ks_golden.json parses")
}

fn relative_error(got: f64, want: f64) -> f64 {
    if (got - want).abs() <= ABS {
        return 0.0;
    }
    (got - want).abs() / want.abs()
}

fn assert_pvalue(got: f64, want: f64, what: &str) {
    let err = relative_error(got, want);
    assert!(
        err <= REL,
        "{what}: got {got:e}, want {want:e} (relative error {err:e})"
    );
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().expect("unsigned integer")
}

/// splitmix64 uniforms in [0, 1), as the golden script draws them.
fn splitmix64_uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// One side of a case: uniforms scaled, shifted and optionally put on a grid (ties), sorted.
fn sample(spec: &Value) -> Vec<f64> {
    let (scale, shift) = (
        spec["scale"].as_f64().unwrap(),
        spec["shift"].as_f64().unwrap(),
    );
    let levels = spec["levels"].as_f64().unwrap();
    let mut values: Vec<f64> =
        splitmix64_uniform(u64_of(&spec["seed"]), u64_of(&spec["n"]) as usize)
            .into_iter()
            .map(|u| {
                let v = u * scale + shift;
                if levels > 0.0 {
                    (v * levels).floor() / levels
                } else {
                    v
                }
            })
            .collect();
    refit::stats::sort_finite(&mut values);
    values
}

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

#[test]
fn ks_2samp_matches_scipy_at_every_size() {
    let mut worst: Vec<(String, f64)> = Vec::new();
    for case in ks_golden()["ks_2samp"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (sample(&case["a"]), sample(&case["b"]));
        let r = ks_two_sample_sorted(&a, &b).unwrap();
        let method = match r.method {
            KsMethod::Exact => "exact",
            KsMethod::Asymptotic => "asymptotic",
        };
        assert_eq!(method, case["method"], "{name}: method");
        assert_close(
            r.statistic,
            case["statistic"].as_f64().unwrap(),
            1e-12,
            &format!("{name}: D"),
        );
        let want = case["pvalue"].as_f64().unwrap();
        assert_pvalue(r.pvalue, want, &format!("{name}: p"));
        let size = name.split(' ').next().unwrap().to_string();
        let err = relative_error(r.pvalue, want);
        match worst.iter_mut().find(|(s, _)| *s == size) {
            Some((_, e)) => *e = e.max(err),
            None => worst.push((size, err)),
        }
    }
    for (size, err) in worst {
        eprintln!("ks_2samp {size}: max relative error {err:.1e}");
    }
}

#[test]
fn kstwo_sf_matches_scipy_on_every_branch() {
    let mut max_err: f64 = 0.0;
    for case in ks_golden()["kstwo_sf"].as_array().unwrap() {
        let (n, x) = (u64_of(&case["n"]), case["x"].as_f64().unwrap());
        let want = case["sf"].as_f64().unwrap();
        let got = kstwo_sf(n, x);
        assert_pvalue(got, want, &format!("kstwo.sf({x}, {n})"));
        max_err = max_err.max(relative_error(got, want));
    }
    eprintln!("kstwo.sf: max relative error {max_err:.1e}");
}

#[test]
fn smirnov_matches_scipy() {
    for case in ks_golden()["smirnov"].as_array().unwrap() {
        let (n, x) = (u64_of(&case["n"]), case["x"].as_f64().unwrap());
        let want = case["sf"].as_f64().unwrap();
        assert_pvalue(smirnov_sf(n, x), want, &format!("smirnov({n}, {x})"));
    }
}
