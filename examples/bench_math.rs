//! Micro benchmark of refit's matrix math, on deterministic synthetic data:
//! - `linear`: logistic regression on 1,000,000 rows x 10 numerics, on 8 numerics and two
//!   categoricals (12 and 40 categories: 61 design columns), and on 200,000 rows with two
//!   250-category categoricals (509 design columns, mostly zeros);
//! - `delong`: DeLong's paired test on 1,000,000 rows;
//! - `bootstrap`: 1,000 paired Poisson resamples over 200,000 rows, for roc_auc and log_loss.
//!
//! `cargo run --release --example bench_math [RUNS [DUMP]]` prints, per case, the fastest and
//! median of RUNS runs (default 5) and a fingerprint of the result's bits; DUMP names a file
//! that receives every result value, so two builds can be compared value by value.
//! BENCH_MATH_ONLY=linear|delong|bootstrap runs the cases whose name starts with it.

use std::time::{Duration, Instant};

use refit::metrics::bootstrap::{paired_bootstrap, Metric, ScoredModel};
use refit::model::encode::FeatureMatrix;
use refit::model::linear::{train_linear, ColumnEncoding, Term};
use refit::model::Task;
use refit::stats::delong::delong_paired_test;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// Features (column-major), their encodings and a 0/1 target from a known logistic model.
fn linear_data(rows: usize, numerics: usize, vocabularies: &[usize]) -> LinearCase {
    let mut rng = Rng(7);
    let cols = numerics + vocabularies.len();
    let mut values = vec![0.0; rows * cols];
    let mut margins = vec![-0.5; rows];
    for j in 0..numerics {
        let weight = 0.3 * (j as f64 + 1.0) / numerics as f64;
        for i in 0..rows {
            let v = 10.0 + 3.0 * rng.normal();
            values[j * rows + i] = v;
            margins[i] += weight * (v - 10.0) / 3.0;
        }
    }
    for (k, &size) in vocabularies.iter().enumerate() {
        let j = numerics + k;
        for i in 0..rows {
            let code = (rng.next_u64() % size as u64) as usize;
            values[j * rows + i] = code as f64;
            margins[i] += 0.1 * (code % 5) as f64 - 0.2;
        }
    }
    let y = margins
        .iter()
        .map(|m| f64::from(u8::from(rng.uniform() < 1.0 / (1.0 + (-m).exp()))))
        .collect();
    let mut columns: Vec<ColumnEncoding> = (0..numerics)
        .map(|j| ColumnEncoding::Numeric {
            name: format!("x{j}"),
        })
        .collect();
    columns.extend(
        vocabularies
            .iter()
            .enumerate()
            .map(|(k, &size)| ColumnEncoding::OneHot {
                name: format!("c{k}"),
                categories: (0..size).map(|c| c.to_string()).collect(),
            }),
    );
    LinearCase {
        x: FeatureMatrix { values, rows, cols },
        y,
        columns,
    }
}

struct LinearCase {
    x: FeatureMatrix,
    y: Vec<f64>,
    columns: Vec<ColumnEncoding>,
}

/// Labels with a 30% positive rate and two correlated scores, the second slightly better.
fn scored_rows(rows: usize) -> (Vec<bool>, Vec<f64>, Vec<f64>) {
    let mut rng = Rng(11);
    let labels: Vec<bool> = (0..rows).map(|_| rng.uniform() < 0.3).collect();
    let mut champion = Vec::with_capacity(rows);
    let mut challenger = Vec::with_capacity(rows);
    for &y in &labels {
        let signal = if y { 1.0 } else { 0.0 };
        let shared = rng.normal();
        let a = 0.8 * signal + shared + 0.5 * rng.normal();
        let b = 0.9 * signal + shared + 0.5 * rng.normal();
        // Rounded to 3 decimals in probability space, so ties occur as in real scores.
        let round = |m: f64| (1000.0 / (1.0 + (-m).exp())).round() / 1000.0;
        champion.push(round(a));
        challenger.push(round(b));
    }
    (labels, champion, challenger)
}

/// Fastest and median of `runs` timings of `f`, and the last result.
fn time(runs: usize, mut f: impl FnMut() -> Vec<f64>) -> (Duration, Duration, Vec<f64>) {
    let mut times = Vec::with_capacity(runs);
    let mut result = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        result = std::hint::black_box(f());
        times.push(start.elapsed());
    }
    times.sort();
    (times[0], times[runs / 2], result)
}

/// Order-sensitive hash of the exact bits of `values`.
fn fingerprint(values: &[f64]) -> u64 {
    values.iter().fold(0xCBF2_9CE4_8422_2325, |h, v| {
        (h ^ v.to_bits()).wrapping_mul(0x0100_0000_01B3)
    })
}

/// Whether BENCH_MATH_ONLY (if set) selects `case`.
fn selected(case: &str) -> bool {
    std::env::var("BENCH_MATH_ONLY").map_or(true, |only| case.starts_with(&only))
}

fn report(dump: &mut String, case: &str, (best, median, result): (Duration, Duration, Vec<f64>)) {
    println!(
        "{case:<34} best {:>8.1} ms  median {:>8.1} ms  fingerprint {:016x}",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        fingerprint(&result)
    );
    dump.push_str(&format!("{case}\t{result:?}\n"));
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("RUNS is a count"))
        .unwrap_or(5);
    let dump_path = std::env::args().nth(2);
    let mut dump = String::new();

    for (case, rows, numerics, vocabularies) in [
        ("linear 1M x 10 num (p=11)", 1_000_000, 10, &[][..]),
        (
            "linear 1M x 8 num + 2 cat (p=61)",
            1_000_000,
            8,
            &[12, 40][..],
        ),
        (
            "linear 200k x 8 num + 2 cat (p=509)",
            200_000,
            8,
            &[250, 250][..],
        ),
    ] {
        if !selected(case) {
            continue;
        }
        let data = linear_data(rows, numerics, vocabularies);
        report(
            &mut dump,
            case,
            time(runs, || {
                let model =
                    train_linear(&data.x, &data.y, &data.columns, Task::Binary, 1.0).expect("fits");
                let coefficients = model.terms.iter().flat_map(|t| match t {
                    Term::Numeric(n) => vec![n.coefficient],
                    Term::Categorical(c) => c.coefficients.clone(),
                });
                std::iter::once(model.intercept)
                    .chain(coefficients)
                    .collect()
            }),
        );
    }

    let (labels, champion, challenger) = scored_rows(1_000_000);
    if selected("delong") {
        report(
            &mut dump,
            "delong 1M rows",
            time(runs, || {
                let r = delong_paired_test(&labels, &champion, &challenger).expect("defined");
                vec![r.auc_a, r.auc_b, r.z, r.p_value, r.variance_of_difference]
            }),
        );
    }

    let rows = 200_000;
    let targets: Vec<f64> = labels[..rows]
        .iter()
        .map(|&y| f64::from(u8::from(y)))
        .collect();
    for metric in [Metric::RocAuc, Metric::LogLoss] {
        if !selected("bootstrap") {
            break;
        }
        let a = ScoredModel::new(&champion[..rows], 0.5, metric);
        let b = ScoredModel::new(&challenger[..rows], 0.5, metric);
        report(
            &mut dump,
            &format!("bootstrap 1000 x 200k {metric:?}"),
            time(runs, || {
                let i = paired_bootstrap(metric, &targets, &a, &b, 1000, 42).expect("defined");
                vec![i.difference_low, i.difference_high, i.undefined as f64]
            }),
        );
    }
    if let Some(path) = dump_path {
        std::fs::write(path, dump).expect("writes the dump");
    }
}
