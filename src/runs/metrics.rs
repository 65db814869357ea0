//! The loop's Prometheus metrics, derived from the whole ledger on every run: counters that
//! survive restarts and never go backwards, a duration histogram with seed 000's buckets, the
//! last run's outcome and timestamps.

use chrono::DateTime;

use super::{RunOutcome, RunRecord};
use crate::report::prometheus::Gauges;

/// Seed 000's buckets, in seconds.
pub const DURATION_BUCKETS: [f64; 7] = [5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

fn timestamp(text: &str) -> Option<f64> {
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    Some(at.timestamp_millis() as f64 / 1000.0)
}

pub fn loop_gauges(runs: &[RunRecord], gauges: &mut Gauges) {
    for outcome in RunOutcome::ALL {
        let count = runs.iter().filter(|r| r.outcome == outcome).count();
        gauges.counter(
            "refit_loop_runs_total",
            "Retrain-loop runs recorded in the ledger, by outcome.",
            &[("outcome", outcome.as_str())],
            count as f64,
        );
    }
    let promotions = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Promoted)
        .count();
    gauges.counter(
        "refit_loop_promotions_total",
        "Challengers the retrain loop promoted.",
        &[],
        promotions as f64,
    );
    let durations: Vec<f64> = runs.iter().map(|r| r.duration_seconds).collect();
    gauges.histogram(
        "refit_loop_duration_seconds",
        "Wall time of retrain-loop runs.",
        &[],
        &DURATION_BUCKETS,
        &durations,
    );
    let Some(last) = runs.last() else { return };
    for outcome in RunOutcome::ALL {
        gauges.gauge(
            "refit_loop_last_run_outcome",
            "1 for the outcome of the last retrain-loop run, 0 for the others.",
            &[("outcome", outcome.as_str())],
            f64::from(u8::from(last.outcome == outcome)),
        );
    }
    if let Some(at) = timestamp(&last.finished_at) {
        gauges.gauge(
            "refit_loop_last_run_timestamp_seconds",
            "Unix time the last retrain-loop run finished.",
            &[],
            at,
        );
    }
    let success = runs.iter().rev().find(|r| r.outcome.is_success());
    if let Some(at) = success.and_then(|r| timestamp(&r.finished_at)) {
        gauges.gauge(
            "refit_loop_last_success_timestamp_seconds",
            "Unix time the last retrain-loop run that did its job (nothing to do, rejected or \
             promoted) finished.",
            &[],
            at,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: RunOutcome, finished_at: &str, duration: f64) -> RunRecord {
        RunRecord {
            run: finished_at.into(),
            started_at: finished_at.into(),
            finished_at: finished_at.into(),
            duration_seconds: duration,
            outcome,
            triggers: vec![],
            steps: vec![],
            version: None,
            candidate: None,
            fingerprint: None,
            error: None,
            reports: String::new(),
        }
    }

    #[test]
    fn counters_cover_every_outcome_and_the_last_success_skips_failures() {
        let runs = vec![
            run(RunOutcome::Promoted, "2026-11-01T03:00:00Z", 42.0),
            run(RunOutcome::NothingToDo, "2026-11-08T03:00:00Z", 3.0),
            run(RunOutcome::InsufficientData, "2026-11-15T03:00:00Z", 700.0),
        ];
        let mut gauges = Gauges::default();
        loop_gauges(&runs, &mut gauges);
        let text = gauges.render();
        assert!(
            text.contains("refit_loop_runs_total{outcome=\"promoted\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("refit_loop_runs_total{outcome=\"error\"} 0\n"));
        assert!(text.contains("refit_loop_promotions_total 1\n"));
        assert!(
            text.contains("refit_loop_duration_seconds_bucket{le=\"5\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("refit_loop_duration_seconds_bucket{le=\"60\"} 2\n"));
        assert!(text.contains("refit_loop_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("refit_loop_duration_seconds_count 3\n"));
        assert!(text.contains("refit_loop_last_run_outcome{outcome=\"insufficient_data\"} 1\n"));
        // 2026-11-08T03:00:00Z, the last run that did its job.
        assert!(
            text.contains("refit_loop_last_success_timestamp_seconds 1794106800\n"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_ledger_still_has_zero_counters() {
        let mut gauges = Gauges::default();
        loop_gauges(&[], &mut gauges);
        let text = gauges.render();
        assert!(text.contains("refit_loop_runs_total{outcome=\"nothing_to_do\"} 0\n"));
        assert!(!text.contains("refit_loop_last_run_timestamp_seconds"));
    }
}
