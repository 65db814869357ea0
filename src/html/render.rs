//! One report envelope as an HTML section, by command: drift-check, score-proxy, fleet-diff,
//! shadow-test and registry list have charts; every other command gets its verdict, messages
//! and the scalar fields of its result.

use std::fmt::Write;

use serde_json::Value;

use super::svg::{
    band_gauge, history, interval_vs_zero, paired_bars, unit_lines, BASELINE_COLOR, CURRENT_COLOR,
};
use super::{escape, status_badge, table};
use crate::metrics::metric::direction_label;
use crate::metrics::Metric;

fn num(v: &Value, digits: usize) -> String {
    v.as_f64()
        .map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

fn text(v: &Value) -> String {
    escape(v.as_str().unwrap_or(""))
}

pub fn render_report(report: &Value) -> String {
    let command = report["command"].as_str().unwrap_or("report");
    let status = report["status"].as_str().unwrap_or("?");
    let mut out = format!(
        "<section class=\"report\" data-command=\"{}\"><h2>{} {}</h2>",
        escape(command),
        escape(command),
        status_badge(status)
    );
    let inputs: Vec<String> = report["inputs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| format!("{} ({} rows)", text(&i["path"]), i["rows"]))
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(
        out,
        "<p class=\"meta\">finished {} · exit code {}{}</p>",
        text(&report["finished_at"]),
        report["exit_code"],
        if inputs.is_empty() {
            String::new()
        } else {
            format!(" · inputs: {}", inputs.join(", "))
        }
    );
    for message in report["messages"].as_array().into_iter().flatten() {
        let _ = write!(out, "<p class=\"callout\">{}</p>", text(message));
    }
    let result = &report["result"];
    out.push_str(&match command {
        "drift-check" => drift(result),
        "score-proxy" => score_proxy(result),
        "fleet-diff" => fleet(result, &report["params"]),
        "shadow-test" => shadow(result),
        "registry list" => registry(result),
        "runs list" => runs(result),
        "promote" => promote(result),
        "train-candidate" => train(result),
        _ => generic(result),
    });
    out.push_str("</section>");
    out
}

fn severity(status: &str) -> u8 {
    match status {
        "ERROR" | "FAIL" => 0,
        "WARN" => 1,
        _ => 2,
    }
}

fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    counts
        .iter()
        .map(|c| if total > 0.0 { c / total } else { 0.0 })
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn drift(result: &Value) -> String {
    let mut features: Vec<&Value> = result["features"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    features.sort_by_key(|f| {
        (
            severity(f["status"].as_str().unwrap_or("")),
            f["name"].as_str().unwrap_or("").to_string(),
        )
    });
    let summary = &result["summary"];
    let mut out = format!(
        "<p>{} features: {} FAIL, {} WARN, {} OK · rule: {}</p>",
        summary["features"],
        summary["fail"],
        summary["warn"],
        summary["ok"],
        text(&summary["rule"])
    );
    let rows: Vec<Vec<String>> = features
        .iter()
        .map(|f| {
            let v = &f["verdict"];
            vec![
                text(&f["name"]),
                text(&f["kind"]),
                text(&v["statistic"]),
                num(&v["value"], 4),
                format!(
                    "{} / {}",
                    num(&v["thresholds"]["warn"], 3),
                    num(&v["thresholds"]["fail"], 3)
                ),
                status_badge(f["status"].as_str().unwrap_or("?")),
                text(&f["reason"]),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "feature",
            "kind",
            "statistic",
            "value",
            "warn / fail",
            "verdict",
            "reason",
        ],
        &rows,
    ));
    out.push_str("<h3>Baseline vs current, per feature</h3>");
    for f in features {
        let name = f["name"].as_str().unwrap_or("?");
        let _ = write!(
            out,
            "<section class=\"feature\"><h3>{} {}</h3>",
            escape(name),
            status_badge(f["status"].as_str().unwrap_or("?"))
        );
        out.push_str(&drift_feature_detail(name, f));
        out.push_str("</section>");
    }
    out
}

/// One feature's chart and notes; a feature the current data lacks or changed the type of has
/// no statistics, only its reason.
fn drift_feature_detail(name: &str, f: &Value) -> String {
    let stats = &f["statistics"];
    if stats.is_null() {
        return format!("<p class=\"callout\">{}</p>", text(&f["reason"]));
    }
    let mut out = String::new();
    let (labels, baseline, current) = drift_shares(f["kind"] == "categorical", stats);
    if !labels.is_empty() {
        out.push_str(&paired_bars(
            &format!("{name}: baseline vs current shares"),
            name,
            &labels,
            &baseline,
            &current,
        ));
    }
    let _ = write!(
        out,
        "<p class=\"meta\">missing-rate change {}</p>",
        num(&stats["missing_rate_change"], 4)
    );
    let bound = &stats["approximate"];
    if bound.is_object() {
        let _ = write!(
            out,
            "<p class=\"meta\">from quantile sketches, approximate: KS D {} ± {}, \
             Wasserstein {} ± {} (the largest possible error)</p>",
            num(&stats["ks"]["statistic"], 4),
            num(&bound["ks_statistic_max_error"], 4),
            num(&stats["wasserstein"], 4),
            num(&bound["wasserstein_max_error"], 4),
        );
    }
    if let Some(new) = stats["new_categories"].as_array().filter(|a| !a.is_empty()) {
        let names: Vec<String> = new.iter().map(text).collect();
        let _ = write!(
            out,
            "<p class=\"callout\">new categories: {} ({}% of current rows)</p>",
            names.join(", "),
            num(
                &(stats["new_category_share"].as_f64().unwrap_or(0.0) * 100.0).into(),
                2
            )
        );
    }
    out
}

/// Labels and baseline/current shares per category, or per bin of a numeric feature.
fn drift_shares(categorical: bool, stats: &Value) -> (Vec<String>, Vec<f64>, Vec<f64>) {
    if categorical {
        let cats = stats["categories"].as_array().cloned().unwrap_or_default();
        let labels: Vec<String> = cats
            .iter()
            .map(|c| c["category"].as_str().unwrap_or("").to_string())
            .collect();
        let b: Vec<f64> = cats
            .iter()
            .map(|c| c["baseline"].as_f64().unwrap_or(0.0))
            .collect();
        let c: Vec<f64> = cats
            .iter()
            .map(|c| c["current"].as_f64().unwrap_or(0.0))
            .collect();
        return (labels, shares(&b), shares(&c));
    }
    let cuts = floats(&stats["bin_cuts"]);
    let mut labels = Vec::new();
    for i in 0..=cuts.len() {
        labels.push(match (i.checked_sub(1).map(|j| cuts[j]), cuts.get(i)) {
            (None, Some(hi)) => format!("<{hi:.3}"),
            (Some(lo), Some(hi)) => format!("{lo:.3}–{hi:.3}"),
            (Some(lo), None) => format!("≥{lo:.3}"),
            (None, None) => "all".to_string(),
        });
    }
    (
        labels,
        shares(&floats(&stats["baseline_counts"])),
        shares(&floats(&stats["current_counts"])),
    )
}

/// Binary then regression metrics: one table serves reports of either task.
fn all_metrics() -> Vec<Metric> {
    [&Metric::BINARY[..], &Metric::REGRESSION[..]].concat()
}

fn metric_table(metrics: &[Metric], columns: &[(&str, &Value)]) -> String {
    let mut header = vec!["metric"];
    header.extend(columns.iter().map(|(h, _)| *h));
    let rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            let name = m.name();
            let mut row = vec![escape(&name)];
            row.extend(columns.iter().map(|(_, v)| num(&v[name.as_ref()], 4)));
            row
        })
        .collect();
    table(&header, &rows)
}

fn score_proxy(result: &Value) -> String {
    let mut out = String::new();
    for reason in result["reasons"].as_array().into_iter().flatten() {
        let _ = write!(out, "<p>{}</p>", text(reason));
    }
    let c = &result["comparison"];
    if c.is_object() {
        let higher = c["higher_is_better"].as_bool().unwrap_or(true);
        let drop = c["drop"].as_f64().unwrap_or(0.0);
        let allowed = c["limit"]["absolute"]
            .as_f64()
            .or_else(|| {
                c["limit"]["relative"]
                    .as_f64()
                    .map(|r| r * c["baseline"].as_f64().unwrap_or(0.0).abs())
            })
            .unwrap_or(0.0);
        let _ = write!(
            out,
            "<p>{}: current {} vs baseline {} ({}) · allowed drop {}</p>",
            text(&c["metric"]),
            num(&c["current"], 4),
            num(&c["baseline"], 4),
            direction_label(higher),
            num(&allowed.into(), 4)
        );
        out.push_str(&interval_vs_zero(
            "change against the baseline (positive = better), allowed drop dashed",
            -drop,
            -drop,
            -drop,
            allowed,
        ));
    }
    let metrics = &result["metrics"];
    out.push_str(&metric_table(&all_metrics(), &[("current", metrics)]));
    let curve = result["curve"].as_array().cloned().unwrap_or_default();
    if !curve.is_empty() {
        let roc: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(curve.iter().map(|p| {
                (
                    p["fpr"].as_f64().unwrap_or(0.0),
                    p["tpr"].as_f64().unwrap_or(0.0),
                )
            }))
            .collect();
        let pr: Vec<(f64, f64)> = curve
            .iter()
            .map(|p| {
                (
                    p["tpr"].as_f64().unwrap_or(0.0),
                    p["precision"].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        out.push_str("<h3>ROC and precision-recall</h3>");
        out.push_str(&unit_lines(
            "ROC curve",
            "roc",
            &[("ROC", CURRENT_COLOR, roc)],
            true,
            "false positive rate",
            "true positive rate",
        ));
        out.push_str(&unit_lines(
            "Precision-recall curve",
            "pr",
            &[("precision-recall", CURRENT_COLOR, pr)],
            false,
            "recall",
            "precision",
        ));
    }
    let calibration: Vec<(f64, f64)> = metrics["calibration"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| {
            Some((
                b["mean_predicted"].as_f64()?,
                b["fraction_positive"].as_f64()?,
            ))
        })
        .collect();
    if !calibration.is_empty() {
        out.push_str("<h3>Calibration (10 bins)</h3>");
        out.push_str(&unit_lines(
            "Calibration",
            "calibration",
            &[("observed", BASELINE_COLOR, calibration)],
            true,
            "mean predicted",
            "fraction positive",
        ));
    }
    out
}

fn fleet(result: &Value, params: &Value) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<p>priority {} · {}</p>",
        text(&result["priority"]),
        result["reasons"]
            .as_array()
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    );
    let counts = &result["counts"];
    let rows: Vec<Vec<String>> = [
        "vocabulary",
        "seen",
        "new",
        "sunset",
        "active",
        "offline",
        "sunset_candidate",
        "sunset_confirmed",
    ]
    .iter()
    .map(|k| vec![escape(k), counts[*k].to_string()])
    .collect();
    out.push_str(&table(&["entities", "count"], &rows));
    let bands = floats(&params["drift_bands"]);
    let bands = if bands.len() == 3 {
        bands
    } else {
        vec![0.10, 0.20, 0.35]
    };
    let drift = result["fleet_drift"].as_f64().unwrap_or(0.0);
    out.push_str("<h3>Fleet drift against its bands</h3>");
    out.push_str(&band_gauge(
        "fleet drift",
        drift,
        &[
            (bands[0], "OK"),
            (bands[1], "LOW"),
            (bands[2], "MEDIUM"),
            (1.0_f64.max(drift), "HIGH"),
        ],
        1.0_f64.max(drift),
    ));
    // Reports written before prediction coverage have only `coverage`.
    let vocabulary_coverage = counts["vocabulary_coverage"]
        .as_f64()
        .or_else(|| counts["coverage"].as_f64())
        .unwrap_or(1.0);
    let _ = write!(
        out,
        "<p>vocabulary coverage {:.2}% of active entities known to the model</p>",
        vocabulary_coverage * 100.0
    );
    if let Some(p) = result["prediction_coverage"].as_object() {
        let ratio = p.get("ratio").and_then(Value::as_f64).unwrap_or(1.0);
        let _ = write!(
            out,
            "<p>prediction coverage {:.2}% ({} of {} active entities with a prediction{})</p>",
            ratio * 100.0,
            p.get("predicted").unwrap_or(&Value::Null),
            p.get("active").unwrap_or(&Value::Null),
            p.get("window")
                .filter(|w| w.is_object())
                .map(|w| format!(" from {} to {}", text(&w["start"]), text(&w["end"])))
                .unwrap_or_default()
        );
    }
    if let Some(e) = result["expected"].as_object() {
        let percent = |key: &str| {
            e.get(key)
                .and_then(Value::as_f64)
                .map_or_else(|| "-".to_string(), |x| format!("{:.2}%", x * 100.0))
        };
        let _ = write!(
            out,
            "<p>expected entities: {}; vocabulary coverage {}, prediction coverage {}</p>",
            e.get("entities").unwrap_or(&Value::Null),
            percent("vocabulary_coverage"),
            percent("prediction_coverage")
        );
    }
    if let Some(unknown) = result["unknown_predictions"].as_object() {
        let rate = unknown.get("rate").and_then(Value::as_f64).unwrap_or(0.0);
        out.push_str("<h3>Unknown-prediction rate</h3>");
        out.push_str(&band_gauge(
            "unknown-prediction rate",
            rate,
            &[(0.05, "acceptable"), (0.15, "warning"), (1.0, "critical")],
            0.3_f64.max(rate),
        ));
    }
    for (list, title) in [
        (&result["new_entities"], "New entities"),
        (&result["sunset_entities"], "Sunset entities"),
        (
            &result["prediction_coverage"]["without_prediction"],
            "Active entities without a prediction",
        ),
        (
            &result["expected"]["unknown_to_model"],
            "Expected entities unknown to the model",
        ),
        (
            &result["expected"]["without_prediction"],
            "Expected entities without a prediction",
        ),
    ] {
        if let Some(list) = list.as_array().filter(|a| !a.is_empty()) {
            let names: Vec<String> = list.iter().map(text).collect();
            let _ = write!(out, "<h3>{title}</h3><p>{}</p>", names.join(", "));
        }
    }
    out
}

fn shadow(result: &Value) -> String {
    let mut out = format!(
        "<p><strong>{}</strong>: {}</p>",
        text(&result["verdict"]),
        result["reasons"]
            .as_array()
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    );
    let _ = write!(
        out,
        "<p class=\"meta\">rule: {} · {} rows</p>",
        text(&result["rule"]),
        result["rows"]
    );
    let champion = &result["champion"]["metrics"];
    let challenger = &result["challenger"]["metrics"];
    out.push_str(&metric_table(
        &all_metrics(),
        &[("champion", champion), ("challenger", challenger)],
    ));
    let c = &result["comparison"];
    let b = &result["bootstrap"];
    if let (Some(low), Some(high), Some(point)) = (
        b["improvement_low"].as_f64(),
        b["improvement_high"].as_f64(),
        c["improvement"].as_f64(),
    ) {
        let _ = write!(
            out,
            "<h3>Improvement of {} (challenger better &gt; 0), 95% paired bootstrap interval</h3>",
            text(&c["metric"])
        );
        out.push_str(&interval_vs_zero(
            "bootstrap interval of the improvement",
            low,
            point,
            high,
            c["margin"].as_f64().unwrap_or(0.0),
        ));
    } else {
        let _ = write!(
            out,
            "<p>bootstrap: {}</p>",
            escape(
                &b.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| b.to_string())
            )
        );
    }
    if let Some(d) = result["delong"].as_object() {
        let _ = write!(
            out,
            "<p>DeLong: z {}, p {}</p>",
            num(&d["z"], 3),
            num(&d["p_value"], 6)
        );
    }
    if let Some(m) = result["mcnemar"].as_object() {
        let _ = write!(
            out,
            "<p>McNemar: χ² {}, p {}</p>",
            num(&m["chi2"], 3),
            num(&m["p_value"], 6)
        );
    }
    out
}

/// The loop's runs as a timeline, newest last: when, how long, outcome, why, what came of it.
fn runs(result: &Value) -> String {
    let runs = result["runs"].as_array().cloned().unwrap_or_default();
    let badge = |outcome: &str| {
        let status = match outcome {
            "promoted" | "nothing_to_do" => "OK",
            "rejected" | "insufficient_data" => "WARN",
            _ => "FAIL",
        };
        format!("<span class=\"status {status}\">{}</span>", escape(outcome))
    };
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let triggers: Vec<&str> = r["triggers"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let detail = match (&r["version"], &r["error"]) {
                (Value::Number(v), _) => format!("promoted v{v}"),
                (_, Value::Object(e)) => format!(
                    "{} failed: {}",
                    e["step"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                ),
                _ => String::new(),
            };
            vec![
                text(&r["run"]),
                text(&r["started_at"]),
                format!("{:.1}s", r["duration_seconds"].as_f64().unwrap_or(0.0)),
                badge(r["outcome"].as_str().unwrap_or("?")),
                escape(&triggers.join("; ")),
                escape(&detail),
            ]
        })
        .collect();
    let mut out = format!("<h3>Retrain-loop runs ({})</h3>", runs.len());
    out.push_str(&table(
        &[
            "run", "started", "duration", "outcome", "triggers", "result",
        ],
        &rows,
    ));
    out
}

fn registry(result: &Value) -> String {
    let versions = result["versions"].as_array().cloned().unwrap_or_default();
    let headline = |v: &Value| {
        [Metric::RocAuc, Metric::Mae].iter().find_map(|m| {
            let value = v["holdout_metrics"][m.name().as_ref()].as_f64()?;
            Some((m.name(), value))
        })
    };
    let points: Vec<(u32, f64)> = versions
        .iter()
        .filter_map(|v| Some((v["version"].as_u64()? as u32, headline(v)?.1)))
        .collect();
    let mut out = String::new();
    if let Some(name) = versions.iter().find_map(|v| headline(v).map(|(m, _)| m)) {
        let _ = write!(out, "<h3>Holdout {name} by version</h3>");
        out.push_str(&history(&format!("holdout {name} by version"), &points));
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v["version"].to_string(),
                escape(
                    &v["pointers"]
                        .as_array()
                        .map(|p| {
                            p.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default(),
                ),
                text(&v["promotion"]["promoted_at"]),
                text(&v["promoted_by"]),
                headline(v).map_or("-".into(), |(m, x)| format!("{m} {x:.4}")),
            ]
        })
        .collect();
    out.push_str(&table(
        &["version", "pointers", "promoted at", "by", "holdout"],
        &rows,
    ));
    let audit: Vec<Vec<String>> = result["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                text(&e["at"]),
                text(&e["actor"]),
                text(&e["action"]),
                e["from"].as_u64().map_or("-".into(), |v| v.to_string()),
                e["to"].as_u64().map_or("-".into(), |v| v.to_string()),
                text(&e["reason"]),
            ]
        })
        .collect();
    if !audit.is_empty() {
        out.push_str("<h3>Audit trail</h3>");
        out.push_str(&table(
            &["at", "actor", "action", "from", "to", "reason"],
            &audit,
        ));
    }
    out
}

fn promote(result: &Value) -> String {
    let p = &result["promotion"];
    let version = |v: &Value| v.as_u64().map_or("none".to_string(), |v| format!("v{v}"));
    let mut rows = vec![
        vec!["action".to_string(), text(&p["action"])],
        vec![
            "pointer moved".to_string(),
            format!("{} → {}", version(&p["from"]), version(&p["to"])),
        ],
        vec!["reason".to_string(), text(&p["reason"])],
        vec!["candidate fingerprint".to_string(), text(&p["fingerprint"])],
        vec![
            "shadow report sha256".to_string(),
            text(&p["report_sha256"]),
        ],
    ];
    if let Some(pruned) = p["pruned"].as_array().filter(|a| !a.is_empty()) {
        rows.push(vec![
            "pruned".to_string(),
            escape(
                &pruned
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    if result["notify"].is_object() {
        rows.push(vec![
            "notify".to_string(),
            escape(&result["notify"].to_string()),
        ]);
    }
    table(&["field", "value"], &rows)
}

fn train(result: &Value) -> String {
    let rows = &result["rows"];
    let window = &result["training_window"];
    let mut out = format!(
        "<p>{} {} model · {} training rows, {} holdout rows from {} · decision threshold {}</p>",
        text(&result["model"]),
        text(&result["task"]),
        rows["train"],
        rows["holdout"],
        text(&window["holdout_start"]),
        num(&result["decision_threshold"], 4)
    );
    out.push_str(&metric_table(
        &all_metrics(),
        &[("holdout", &result["holdout_metrics"])],
    ));
    out
}

fn generic(result: &Value) -> String {
    let rows: Vec<Vec<String>> = result
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(k, v)| {
            vec![
                escape(k),
                escape(
                    &v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string()),
                ),
            ]
        })
        .collect();
    table(&["field", "value"], &rows)
}
