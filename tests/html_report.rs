//! HTML reports: every charted command renders fixture reports into well-formed,
//! self-contained pages with one chart per drifted feature and the verdict; a headless
//! Chromium screenshot of the drift page is not blank (skipped with a note without Chromium).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, run};
use serde_json::Value;

/// Well-formed as XML: every tag closed in order, no stray `<` or `&` in text.
fn assert_well_formed(html: &str) {
    let body = html
        .strip_prefix("<!DOCTYPE html>\n")
        .expect("doctype first");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
                "stray & in text: {entity:?}"
            );
        }
        let close = rest[open..].find('>').expect("tag closes") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a `<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "closing {name}");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_string();
            stack.push(name);
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

fn assert_self_contained(html: &str) {
    for forbidden in ["http://", "https://", "<script", "src=", "@import", "url("] {
        assert!(!html.contains(forbidden), "page contains {forbidden}");
    }
}

struct Rendered {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn render_all() -> Rendered {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let out = |name: &str| dir.join(name).display().to_string();
    let steps: Vec<Vec<String>> = vec![
        vec![
            "drift-check",
            "--baseline",
            &fixture("drift/baseline.parquet"),
            "--current",
            &fixture("drift/current.parquet"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "score-proxy",
            "--predictions",
            &fixture("score_proxy/predictions.parquet"),
            "--outcomes",
            &fixture("score_proxy/outcomes.parquet"),
            "--on",
            "customer_id",
            "--score",
            "churn_score",
            "--label-rule",
            "active_days_30d = 0",
            "--prediction-time",
            "predicted_at",
            "--outcome-time",
            "observed_at",
            "--horizon",
            "30d",
            "--tolerance",
            "2d",
            "--baseline-metrics",
            &fixture("score_proxy/model/metadata.json"),
            "--max-drop",
            "0.1",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "fleet-diff",
            "--data",
            &fixture("fleet/seed_telemetry.csv"),
            "--entity",
            "server_id",
            "--time",
            "timestamp",
            "--model",
            &fixture("fleet/model"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "shadow-test",
            "--champion",
            &fixture("shadow/champion"),
            "--challenger",
            &fixture("shadow/challenger"),
            "--data",
            &fixture("shadow/scored.parquet"),
            "--label",
            "churned",
            "--time",
            "ts",
            "--last",
            "1500",
            "--champion-scores",
            "champion_score",
            "--challenger-scores",
            "challenger_score",
            "--bootstrap",
            "100",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    ];
    for step in steps {
        let name = step[0].clone();
        let mut args: Vec<&str> = step.iter().map(String::as_str).collect();
        let report = out(&format!("{name}.json"));
        let html = out(&format!("{name}.html"));
        args.extend(["--report", &report, "--html", &html]);
        let (code, _, stderr) = run(&args);
        assert!(code == 0 || code == 2, "{name}: {stderr}");
    }
    Rendered { _tmp: tmp, dir }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn each_command_renders_a_self_contained_page() {
    let r = render_all();
    for name in ["drift-check", "score-proxy", "fleet-diff", "shadow-test"] {
        let html = read(&r.dir.join(format!("{name}.html")));
        assert_well_formed(&html);
        assert_self_contained(&html);
        let report: Value =
            serde_json::from_str(&read(&r.dir.join(format!("{name}.json")))).unwrap();
        let status = report["status"].as_str().unwrap();
        assert!(
            html.contains(&format!("<span class=\"status {status}\">{status}</span>")),
            "{name}: verdict shown"
        );
        assert!(html.contains("<svg"), "{name}: has a chart");
    }
    let drift = read(&r.dir.join("drift-check.html"));
    let report: Value = serde_json::from_str(&read(&r.dir.join("drift-check.json"))).unwrap();
    let features = report["result"]["features"].as_array().unwrap();
    assert_eq!(
        drift.matches("class=\"chart feature-chart\"").count(),
        features.len()
    );
    let drifted: Vec<&str> = features
        .iter()
        .filter(|f| f["status"] != "OK")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!drifted.is_empty());
    for name in drifted {
        assert!(
            drift.contains(&format!("data-feature=\"{name}\"")),
            "chart for drifted {name}"
        );
    }
    let proxy = read(&r.dir.join("score-proxy.html"));
    for class in ["roc", "pr", "calibration"] {
        assert!(
            proxy.contains(&format!("class=\"chart {class}\"")),
            "score-proxy {class} chart"
        );
    }
    assert!(read(&r.dir.join("shadow-test.html")).contains("class=\"chart interval\""));
    assert!(read(&r.dir.join("fleet-diff.html")).contains("class=\"chart gauge\""));

    // `refit report` over the folder: one page, every report, the same guarantees.
    let page = r.dir.join("run.html");
    let (code, stdout, stderr) = run(&[
        "report",
        &r.dir.display().to_string(),
        "--out",
        &page.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("4 report(s)"), "{stdout}");
    let html = read(&page);
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert_eq!(html.matches("<section class=\"report\"").count(), 4);
    // A file that is not a report is an error.
    let (code, _, stderr) = run(&[
        "report",
        &fixture("metrics/golden.json"),
        "--out",
        &page.display().to_string(),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a refit report"), "{stderr}");
}

#[test]
fn registry_list_renders_history_and_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models").display().to_string();
    for (i, features) in ["tenure_months", "tenure_months,monthly_usage,region"]
        .iter()
        .enumerate()
    {
        let out = common::train_linear_churn(&tmp.path().join(format!("m{i}")), features);
        let (code, _, stderr) = run(&[
            "promote",
            "--registry",
            &registry,
            "--candidate",
            &out,
            "--force",
            "--reason",
            "html test",
        ]);
        assert_eq!(code, 0, "{stderr}");
    }
    let page = tmp.path().join("registry.html");
    let (code, _, stderr) = run(&[
        "registry",
        "list",
        "--registry",
        &registry,
        "--html",
        &page.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let html = read(&page);
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert!(html.contains("class=\"chart history\""));
    assert!(html.contains("Audit trail") && html.contains("html test"));
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string()))
        })
}

#[test]
fn headless_chromium_screenshot_is_not_blank() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no Chromium (scripts/test-setup.sh installs Debian's chromium)");
        return;
    };
    let r = render_all();
    let page = r.dir.join("drift-check.html");
    let png = r.dir.join("drift.png");
    let profile = r.dir.join("chromium-profile");
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        png.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let bytes = &pixels[..info.buffer_size()];
    let channels = info.color_type.samples();
    let mut colors = std::collections::HashSet::new();
    for px in bytes.chunks(channels) {
        colors.insert(px.to_vec());
        if colors.len() > 50 {
            break;
        }
    }
    assert!(
        colors.len() > 50,
        "the screenshot looks blank ({} colors)",
        colors.len()
    );
}
