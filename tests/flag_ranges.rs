//! Values that would switch a gate off are usage errors naming the flag and its range,
//! refused by the parser before any input is read.

mod common;

use common::Workdir;

/// Runs a command line that must be refused as a usage error mentioning `flag`.
fn refused(args: &[&str], flag: &str) {
    let run = Workdir::new().run(args);
    run.assert_exit(1);
    assert!(run.stderr.contains(flag), "{}: {}", run.command, run.stderr);
}

#[test]
fn drift_thresholds_and_shares_have_ranges() {
    let base = [
        "drift-check",
        "--baseline",
        "b.parquet",
        "--current",
        "c.parquet",
    ];
    refused(&[&base[..], &["--warn-psi", "NaN"]].concat(), "--warn-psi");
    refused(&[&base[..], &["--fail-psi", "-1"]].concat(), "--fail-psi");
    refused(
        &[&base[..], &["--fail-share", "0"]].concat(),
        "--fail-share",
    );
    refused(&[&base[..], &["--warn-p", "1.5"]].concat(), "--warn-p");
}

#[test]
fn score_proxy_gates_have_ranges() {
    let base = [
        "score-proxy",
        "--predictions",
        "p",
        "--outcomes",
        "o",
        "--on",
        "k",
        "--label",
        "y",
    ];
    refused(&[&base[..], &["--max-drop", "NaN"]].concat(), "--max-drop");
    refused(
        &[&base[..], &["--threshold", "1.5"]].concat(),
        "--threshold",
    );
}

#[test]
fn fleet_and_shadow_gates_have_ranges() {
    let fleet = [
        "fleet-diff",
        "--data",
        "d",
        "--entity",
        "e",
        "--time",
        "t",
        "--vocabulary",
        "v",
    ];
    refused(
        &[&fleet[..], &["--min-coverage", "1.5"]].concat(),
        "--min-coverage",
    );
    refused(
        &[&fleet[..], &["--min-coverage=-1"]].concat(),
        "--min-coverage",
    );
    let shadow = [
        "shadow-test",
        "--no-champion",
        "--challenger",
        "c",
        "--data",
        "d",
        "--label",
        "y",
    ];
    refused(
        &[&shadow[..], &["--bootstrap", "100000000"]].concat(),
        "--bootstrap",
    );
    refused(
        &[&shadow[..], &["--tolerance=-0.1"]].concat(),
        "--tolerance",
    );
    refused(
        &[&shadow[..], &["--min-metric", "pr_auc=NaN"]].concat(),
        "--min-metric",
    );
}

#[test]
fn a_bad_duration_names_its_flag() {
    let fleet = [
        "fleet-diff",
        "--data",
        "d",
        "--entity",
        "e",
        "--time",
        "t",
        "--vocabulary",
        "v",
    ];
    refused(
        &[&fleet[..], &["--offline-after", "soon"]].concat(),
        "--offline-after",
    );
}
