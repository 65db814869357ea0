//! drift-check's report body, text table and metrics.

use serde::Serialize;

use super::categorical::CategoricalDrift;
use super::feature::{FeatureDetail, FeatureDrift};
use super::schema::SchemaChange;
use super::verdict::FeatureVerdict;
use crate::data::ColumnKind;
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;

#[derive(Debug, Serialize)]
pub struct FeatureResult<'a> {
    pub name: &'a str,
    pub kind: ColumnKind,
    pub status: Status,
    pub reason: &'a str,
    pub verdict: &'a FeatureVerdict,
    /// Null when the feature could not be measured: `schema_change` says why.
    pub statistics: Option<&'a FeatureDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_change: Option<&'a SchemaChange>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub features: usize,
    pub fail: usize,
    pub warn: usize,
    pub ok: usize,
    pub rule: String,
    pub method: super::Method,
    pub js_base: u32,
    pub baseline_kind: &'static str,
    pub baseline_rows: u64,
    pub current_kind: &'static str,
    pub current_rows: u64,
}

#[derive(Debug, Serialize)]
pub struct DriftResult<'a> {
    pub summary: Summary,
    pub features: Vec<FeatureResult<'a>>,
}

pub fn drift_result<'a>(
    summary: Summary,
    drifts: &'a [FeatureDrift],
    verdicts: &'a [FeatureVerdict],
) -> DriftResult<'a> {
    let features = drifts
        .iter()
        .zip(verdicts)
        .map(|(d, v)| FeatureResult {
            name: &d.name,
            kind: d.kind,
            status: v.status,
            reason: &v.reason,
            verdict: v,
            statistics: d.statistics(),
            schema_change: d.schema_change(),
        })
        .collect();
    DriftResult { summary, features }
}

fn fixed(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.4}"))
}

/// A statistic and, when it comes from quantile sketches, the largest error it can have.
fn within(v: Option<f64>, max_error: Option<f64>) -> String {
    match (v, max_error) {
        (Some(x), Some(e)) => format!("{x:.4}±{e:.4}"),
        _ => fixed(v),
    }
}

fn scientific(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.2e}"))
}

fn percent(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{:+.1}%", x * 100.0))
}

/// Categories the text table names per categorical feature; the rest are one "other" entry.
const TOP_CATEGORIES: usize = 3;
/// Category names longer than this are cut in the text table.
const CATEGORY_NAME_CHARS: usize = 24;

/// The LINF, TVD and TOP_CHANGES cells: a categorical feature's, or "-".
fn categorical_cells(detail: Option<&FeatureDetail>) -> [String; 3] {
    match detail {
        Some(FeatureDetail::Categorical(c)) => [fixed(c.linf), fixed(c.tvd), top_changes(c)],
        _ => ["-".into(), "-".into(), "-".into()],
    }
}

/// "b 30.0%->10.0%, c 0%->12.5%, other(2) 70.0%->77.5%": the most-changed categories'
/// shares and the rest as one, so the cell stays short at thousands of categories.
fn top_changes(c: &CategoricalDrift) -> String {
    let Some((top, other)) = c.top_changes(TOP_CATEGORIES) else {
        return "-".into();
    };
    if top.is_empty() {
        return "-".into();
    }
    let mut parts: Vec<String> = top
        .iter()
        .map(|s| {
            let name = category_label(&s.category);
            format!(
                "{name} {}->{}",
                share(s.baseline_share),
                share(s.current_share)
            )
        })
        .collect();
    if other.count > 0 {
        parts.push(format!(
            "other({}) {}->{}",
            other.count,
            share(other.baseline_share),
            share(other.current_share)
        ));
    }
    parts.join(", ")
}

/// A share as a percentage with at least two significant digits (one decimal from 1% up), so
/// the small shares of thousands of categories do not all read 0.0%.
fn share(x: f64) -> String {
    let percent = x * 100.0;
    if percent <= 0.0 {
        return "0%".into();
    }
    let decimals = (1.0 - percent.log10().floor()).clamp(1.0, 6.0) as usize;
    format!("{percent:.decimals$}%")
}

/// A category name for a table cell: control characters (newlines, tabs too) escaped, long
/// names cut, the empty name shown as "".
fn category_label(name: &str) -> String {
    if name.is_empty() {
        return "\"\"".into();
    }
    let visible: String = name
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if visible.chars().count() <= CATEGORY_NAME_CHARS {
        return visible;
    }
    let cut: String = visible.chars().take(CATEGORY_NAME_CHARS - 1).collect();
    format!("{cut}…")
}

/// Severity first (FAIL, WARN, OK), then by how far the deciding statistic is past its bar;
/// a feature without a statistic (missing, type changed, undefined) first within its status.
fn severity_order(verdicts: &[FeatureVerdict]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..verdicts.len()).collect();
    let badness = |v: &FeatureVerdict| match v.adjusted_pvalue.or(v.value) {
        None => f64::INFINITY,
        Some(p) if v.statistic.is_pvalue() => -p,
        Some(x) => x,
    };
    order.sort_by(|&a, &b| {
        verdicts[b]
            .status
            .cmp(&verdicts[a].status)
            .then(badness(&verdicts[b]).total_cmp(&badness(&verdicts[a])))
    });
    order
}

pub fn render_text(
    result: &DriftResult<'_>,
    status: Status,
    baseline_label: &str,
    current_label: &str,
    drifts: &[FeatureDrift],
) -> String {
    let s = &result.summary;
    let mut out = format!(
        "drift-check {}: {} of {} features FAIL, {} WARN ({}; method {})\n\
         baseline {} ({} rows, {}), current {} ({} rows{})\n\n",
        status.as_str(),
        s.fail,
        s.features,
        s.warn,
        s.rule,
        s.method.name(),
        baseline_label,
        s.baseline_rows,
        s.baseline_kind,
        current_label,
        s.current_rows,
        if s.current_kind == "profile" {
            ", profile"
        } else {
            ""
        },
    );
    let verdicts: Vec<FeatureVerdict> = result.features.iter().map(|f| f.verdict.clone()).collect();
    let rows: Vec<Vec<String>> = severity_order(&verdicts)
        .into_iter()
        .map(|i| {
            let f = &result.features[i];
            let d = &drifts[i];
            let (ks_d, ks_p, wasserstein, new_share) = match d.statistics() {
                Some(FeatureDetail::Numeric(n)) => {
                    let bound = n.approximate.as_ref();
                    (
                        within(
                            n.ks.map(|k| k.statistic),
                            bound.map(|b| b.ks_statistic_max_error),
                        ),
                        scientific(n.ks.map(|k| k.pvalue)),
                        within(n.wasserstein, bound.map(|b| b.wasserstein_max_error)),
                        "-".to_string(),
                    )
                }
                Some(FeatureDetail::Categorical(c)) => (
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    c.new_category_share
                        .map_or("-".into(), |x| format!("{:.1}%", x * 100.0)),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let chi2_p = scientific(d.statistic(super::Statistic::Chi2Pvalue));
            let [linf, tvd, top] = categorical_cells(d.statistics());
            let mut reason = f.reason.to_string();
            if !d.notes().is_empty() {
                reason = format!("{reason}; {}", d.notes().join("; "));
            }
            vec![
                f.name.to_string(),
                match f.kind {
                    ColumnKind::Numeric => "num".into(),
                    ColumnKind::Categorical => "cat".into(),
                },
                f.status.as_str().into(),
                fixed(d.statistic(super::Statistic::Psi)),
                fixed(d.statistic(super::Statistic::JsDistance)),
                ks_d,
                ks_p,
                wasserstein,
                chi2_p,
                linf,
                tvd,
                new_share,
                percent(d.missing_rate_change()),
                top,
                reason,
            ]
        })
        .collect();
    out.push_str(&render_table(
        &[
            "FEATURE",
            "KIND",
            "STATUS",
            "PSI",
            "JS",
            "KS_D",
            "KS_P",
            "WASSERSTEIN",
            "CHI2_P",
            "LINF",
            "TVD",
            "NEW_CAT",
            "MISSING_CHG",
            "TOP_CHANGES",
            "REASON",
        ],
        &rows,
    ));
    out
}

/// Per-feature and summary gauges; the verdict and timestamp are added once, by
/// `CommandReport::with_gauges`.
pub fn gauges(drifts: &[FeatureDrift], verdicts: &[FeatureVerdict]) -> Gauges {
    use super::Statistic as S;
    let mut m = Gauges::default();
    let series: [(&str, &str, S); 5] = [
        (
            "refit_drift_psi",
            "Population Stability Index per feature.",
            S::Psi,
        ),
        (
            "refit_drift_js_distance",
            "Jensen-Shannon distance (base 2) per feature.",
            S::JsDistance,
        ),
        (
            "refit_drift_ks_pvalue",
            "Two-sample KS p-value per numeric feature (uncorrected).",
            S::KsPvalue,
        ),
        (
            "refit_drift_wasserstein",
            "Wasserstein-1 distance per numeric feature.",
            S::Wasserstein,
        ),
        (
            "refit_drift_chi2_pvalue",
            "Chi-square homogeneity p-value per feature (uncorrected).",
            S::Chi2Pvalue,
        ),
    ];
    for (name, help, statistic) in series {
        for d in drifts {
            if let Some(v) = d.statistic(statistic) {
                m.gauge(name, help, &[("feature", &d.name)], v);
            }
        }
    }
    for d in drifts {
        let Some(FeatureDetail::Categorical(c)) = d.statistics() else {
            continue;
        };
        let labels = [("feature", d.name.as_str())];
        if let Some(v) = c.linf {
            m.gauge(
                "refit_drift_linf",
                "L-infinity distance (largest change of one category's share) per categorical feature.",
                &labels,
                v,
            );
        }
        if let Some(v) = c.tvd {
            m.gauge(
                "refit_drift_tvd",
                "Total variation distance of category shares per categorical feature.",
                &labels,
                v,
            );
        }
    }
    for d in drifts {
        if let Some(v) = d.missing_rate_change() {
            m.gauge(
                "refit_drift_missing_rate_change",
                "Current minus baseline share of null/NaN rows.",
                &[("feature", &d.name)],
                v,
            );
        }
    }
    for (d, v) in drifts.iter().zip(verdicts) {
        m.gauge(
            "refit_drift_feature_status",
            "Feature verdict: 0 OK, 1 WARN, 2 FAIL.",
            &[("feature", &d.name)],
            v.status.severity() as f64,
        );
    }
    let failed = verdicts.iter().filter(|v| v.status == Status::Fail).count();
    m.gauge(
        "refit_drift_features_failed",
        "Features whose verdict is FAIL.",
        &[],
        failed as f64,
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_keep_two_significant_digits() {
        let shown: Vec<String> = [0.473, 0.029, 0.0047, 0.00047, 0.0, 1.0]
            .into_iter()
            .map(share)
            .collect();
        assert_eq!(shown, ["47.3%", "2.9%", "0.47%", "0.047%", "0%", "100.0%"]);
    }

    #[test]
    fn category_labels_are_escaped_and_cut() {
        assert_eq!(category_label("basic"), "basic");
        assert_eq!(category_label(""), "\"\"");
        assert_eq!(category_label("a\nb\tc"), "a\\u{a}b\\u{9}c");
        let long = category_label(&"x".repeat(40));
        assert_eq!(long.chars().count(), CATEGORY_NAME_CHARS);
        assert!(long.ends_with('…'));
    }
}
