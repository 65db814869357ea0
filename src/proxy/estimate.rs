//! score-proxy --estimate: the live model's metrics on predictions whose outcomes have not
//! arrived, estimated by CBPE ([`crate::metrics::cbpe`]) from a labelled reference (the
//! model's holdout), and judged by the same rule as realized metrics, marked "estimated".

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::compare::{compare_metric, Comparison};
use super::matched::Matched;
use super::result::ScoreProxyResult;
use super::verdict::VerdictRule;
use crate::data::labels::{binary_labels, probability_scores};
use crate::data::{InputInfo, Table};
use crate::metrics::cbpe::{Calibration, Estimated, Estimator, ESTIMATED};
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;

/// The reference's columns: what train-candidate writes to holdout.parquet.
const REFERENCE_LABEL: &str = "label";
const REFERENCE_SCORE: &str = "score";

/// Where the labelled reference comes from: --reference, else the model's holdout.
pub fn reference_path(reference: Option<&str>, model: Option<&Path>) -> Result<String> {
    match (reference, model) {
        (Some(path), _) => Ok(path.to_string()),
        (None, Some(dir)) => Ok(dir.join("holdout.parquet").display().to_string()),
        (None, None) => bail!(
            "--estimate needs a labelled reference: --model DIR (its holdout.parquet) or \
             --reference PATH with `label` and `score` columns"
        ),
    }
}

/// The reference's labels and scores; rows missing either are left out.
pub fn read_reference(path: &str) -> Result<(Vec<bool>, Vec<f64>)> {
    let table = Table::open(&[path.to_string()])?;
    let columns = [REFERENCE_LABEL.to_string(), REFERENCE_SCORE.to_string()];
    for column in &columns {
        table
            .require_column(column)
            .context("the reference is a model's holdout.parquet or has its columns")?;
    }
    let loaded = table.load(&columns)?;
    let labels = loaded.map_column(REFERENCE_LABEL, |c| binary_labels(c, &loaded.source))?;
    let scores = loaded.map_column(REFERENCE_SCORE, |c| probability_scores(c, &loaded.source))?;
    let (labels, scores): (Vec<bool>, Vec<f64>) = labels
        .into_iter()
        .zip(scores)
        .filter_map(|(l, s)| l.zip(s))
        .unzip();
    if labels.is_empty() {
        bail!("{path}: the reference has no row with both a label and a score");
    }
    Ok((labels, scores))
}

/// The estimates on one batch and the verdict on the deciding one.
#[derive(Debug, Clone, Serialize)]
pub struct EstimateReport {
    /// Predictions estimated on: those without an outcome (all of them without --outcomes).
    pub rows: usize,
    pub reference: PathBuf,
    pub reference_rows: usize,
    pub calibration: Calibration,
    /// Whether the reference scores were recalibrated (isotonic) before estimating.
    pub calibrated: bool,
    pub threshold: f64,
    pub metrics: Vec<Estimated>,
    pub comparison: Option<Comparison>,
    #[serde(skip)]
    pub status: Status,
    #[serde(skip)]
    pub reasons: Vec<String>,
}

pub struct EstimateSettings<'a> {
    pub reference: &'a str,
    pub calibration: Calibration,
    pub threshold: f64,
}

impl EstimateReport {
    /// Fits on the reference, estimates on `scores` and judges the rule's metric.
    pub fn compute(
        settings: &EstimateSettings,
        scores: &[f64],
        rule: &VerdictRule,
    ) -> Result<EstimateReport> {
        if !ESTIMATED.contains(&rule.metric.as_str()) {
            bail!(
                "--estimate estimates {}; --metric {} is not one of them",
                ESTIMATED.join(", "),
                rule.metric
            );
        }
        let (labels, reference_scores) = read_reference(settings.reference)?;
        let estimator = Estimator::fit(
            &labels,
            &reference_scores,
            settings.threshold,
            settings.calibration,
        );
        let metrics = estimator.estimate(scores);
        let value = metrics
            .iter()
            .find(|e| e.metric == rule.metric)
            .and_then(|e| e.value);
        let baseline = rule.baseline_value()?;
        let comparison = match (baseline, rule.baseline.as_ref(), value) {
            (Some(b), Some(limit), Some(v)) => {
                Some(compare_metric(&rule.metric, b, v, limit.limit))
            }
            _ => None,
        };
        let mut status = comparison.as_ref().map_or(Status::Ok, |c| c.status);
        let mut reasons = Vec::new();
        match (&comparison, value) {
            (Some(c), _) => reasons.push(format!("estimated {}", c.reason)),
            (None, Some(v)) => reasons.push(format!("estimated {} = {v:.4}", rule.metric)),
            (None, None) => {
                status = Status::Warn;
                reasons.push(format!(
                    "estimated {} undefined: no prediction to estimate on, or a reference \
                     without both classes",
                    rule.metric
                ));
            }
        }
        if scores.len() < rule.min_samples {
            status = status.max(Status::Warn);
            reasons.push(format!(
                "insufficient data: {} predictions to estimate on < --min-samples {}",
                scores.len(),
                rule.min_samples
            ));
        }
        Ok(EstimateReport {
            rows: scores.len(),
            reference: PathBuf::from(settings.reference),
            reference_rows: labels.len(),
            calibration: settings.calibration,
            calibrated: estimator.calibrated,
            threshold: settings.threshold,
            metrics,
            comparison,
            status,
            reasons,
        })
    }

    pub fn render_text(&self) -> String {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.4}"));
        let rows: Vec<Vec<String>> = self
            .metrics
            .iter()
            .map(|e| {
                vec![
                    e.metric.to_string(),
                    fmt(e.value),
                    format!("[{}, {}]", fmt(e.lower), fmt(e.upper)),
                ]
            })
            .collect();
        format!(
            "estimated on {} predictions without outcomes (CBPE; reference {} rows{}, threshold \
             {}):\n{}",
            self.rows,
            self.reference_rows,
            if self.calibrated { ", calibrated" } else { "" },
            self.threshold,
            render_table(&["METRIC", "ESTIMATED", "BAND (3 SE)"], &rows)
        )
    }

    pub fn add_gauges(&self, gauges: &mut Gauges) {
        for e in &self.metrics {
            if let Some(value) = e.value {
                gauges.gauge(
                    "refit_score_proxy_estimated_metric",
                    "Live model metric estimated (CBPE) on predictions without outcomes.",
                    &[("metric", e.metric)],
                    value,
                );
            }
            if let Some(error) = e.sampling_error {
                gauges.gauge(
                    "refit_score_proxy_estimated_sampling_error",
                    "Sampling error of the estimated metric (its band is 3 of them).",
                    &[("metric", e.metric)],
                    error,
                );
            }
        }
        gauges.gauge(
            "refit_score_proxy_estimated_rows",
            "Predictions without outcomes the metrics were estimated on.",
            &[],
            self.rows as f64,
        );
    }
}

/// What an --estimate run hands the report writer.
pub struct EstimatedRun {
    pub status: Status,
    pub result: serde_json::Value,
    pub text: String,
    pub gauges: Gauges,
    pub inputs: Vec<InputInfo>,
}

/// No outcomes yet: every prediction with a score is estimated on.
pub fn estimate_only(
    settings: &EstimateSettings,
    predictions: &Table,
    score: &str,
    rule: &VerdictRule,
) -> Result<EstimatedRun> {
    let loaded = predictions.load(&[score.to_string()])?;
    let scores: Vec<f64> = loaded
        .map_column(score, |c| probability_scores(c, &loaded.source))?
        .into_iter()
        .flatten()
        .collect();
    let estimate = EstimateReport::compute(settings, &scores, rule)?;
    let mut gauges = Gauges::default();
    estimate.add_gauges(&mut gauges);
    Ok(EstimatedRun {
        status: estimate.status,
        text: format!(
            "score-proxy {}: {}\n{}",
            estimate.status.as_str(),
            estimate.reasons.join("; "),
            estimate.render_text()
        ),
        result: serde_json::json!({ "estimated": &estimate, "reasons": &estimate.reasons }),
        gauges,
        inputs: loaded.inputs()?,
    })
}

/// Some outcomes arrived: realized metrics on the matched predictions, estimates on the ones
/// still waiting, and the worse of the two verdicts.
pub fn estimate_beside(
    settings: &EstimateSettings,
    matched: &Matched,
    realized: &ScoreProxyResult,
    rule: &VerdictRule,
) -> Result<EstimatedRun> {
    let mut met = vec![false; matched.scores.len()];
    for &(p, _) in &matched.joined.pairs {
        met[p] = true;
    }
    let waiting: Vec<f64> = matched
        .scores
        .iter()
        .zip(&met)
        .filter_map(|(score, &met)| score.filter(|_| !met))
        .collect();
    let estimate = EstimateReport::compute(settings, &waiting, rule)?;
    let status = realized.status.max(estimate.status);
    let mut reasons: Vec<String> = realized
        .reasons
        .iter()
        .map(|r| format!("realized {r}"))
        .collect();
    reasons.extend(estimate.reasons.iter().cloned());
    let mut result = serde_json::to_value(realized)?;
    result["estimated"] = serde_json::to_value(&estimate)?;
    result["reasons"] = serde_json::to_value(&reasons)?;
    let mut gauges = realized.gauges();
    estimate.add_gauges(&mut gauges);
    // The realized block without its own verdict line: the combined one comes first.
    let realized_text = realized.render_text();
    let realized_body = realized_text.split_once('\n').map_or("", |(_, body)| body);
    Ok(EstimatedRun {
        status,
        text: format!(
            "score-proxy {}: {}\n{realized_body}\n{}",
            status.as_str(),
            reasons.join("; "),
            estimate.render_text()
        ),
        result,
        gauges,
        inputs: matched.inputs()?,
    })
}
