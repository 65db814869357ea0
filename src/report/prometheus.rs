//! Prometheus text exposition format, for node_exporter's textfile collector. The figures are
//! called gauges here; `metrics` are a model's (ROC-AUC, MAE).

use std::fmt::Write;

/// A family's TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        }
    }
}

/// One family: HELP and TYPE once, then its samples in the order they were added.
#[derive(Debug)]
struct Family {
    name: String,
    help: String,
    kind: Kind,
    samples: Vec<Sample>,
}

/// One sample line, kept in parts so that a label can be put in front at render time.
#[derive(Debug)]
struct Sample {
    /// The family's name, or with a histogram's `_bucket`, `_sum` or `_count`.
    name: String,
    /// Rendered `k="v"` pairs, `le` last.
    labels: Vec<String>,
    value: String,
}

impl Sample {
    fn new(name: String, labels: &[(&str, &str)], le: Option<&str>, value: String) -> Sample {
        let mut pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        if let Some(le) = le {
            pairs.push(format!("le=\"{le}\""));
        }
        Sample {
            name,
            labels: pairs,
            value,
        }
    }

    /// `name{first,labels...} value`, without braces when there is no label at all.
    fn write(&self, out: &mut String, first: Option<&str>) {
        let labels: Vec<&str> = first
            .into_iter()
            .chain(self.labels.iter().map(String::as_str))
            .collect();
        let _ = if labels.is_empty() {
            writeln!(out, "{} {}", self.name, self.value)
        } else {
            writeln!(out, "{}{{{}}} {}", self.name, labels.join(","), self.value)
        };
    }
}

/// Collects samples grouped by metric family, each with HELP and TYPE once.
#[derive(Debug, Default)]
pub struct Gauges {
    families: Vec<Family>,
}

impl Gauges {
    /// Adds a gauge sample; NaN or infinite values are skipped (absent beats misleading).
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        let sample = Sample::new(name.to_string(), labels, None, value.to_string());
        self.push(name, help, Kind::Gauge, vec![sample]);
    }

    /// Adds a counter sample: a count that never goes backwards, so its name ends in `_total`.
    /// NaN or infinite values are skipped, as for gauges.
    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        debug_assert!(
            name.ends_with("_total"),
            "counter {name} must end in _total"
        );
        debug_assert!(
            value >= 0.0 || value.is_nan(),
            "counter {name} is negative: {value}"
        );
        if !value.is_finite() {
            return;
        }
        let sample = Sample::new(name.to_string(), labels, None, value.to_string());
        self.push(name, help, Kind::Counter, vec![sample]);
    }

    /// Adds one histogram series: cumulative `name_bucket` counts for each upper bound in
    /// `bounds` (increasing) and `+Inf`, then `name_sum` and `name_count`. Observations that
    /// are NaN or infinite are left out, as gauges are.
    pub fn histogram(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        observations: &[f64],
    ) {
        debug_assert!(
            bounds.iter().all(|b| b.is_finite()) && bounds.windows(2).all(|w| w[0] < w[1]),
            "histogram {name}: bounds must be finite and increasing: {bounds:?}"
        );
        let finite: Vec<f64> = observations
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let bucket = format!("{name}_bucket");
        let mut samples = Vec::with_capacity(bounds.len() + 3);
        for bound in bounds {
            let count = finite.iter().filter(|v| *v <= bound).count();
            let le = bound.to_string();
            samples.push(Sample::new(
                bucket.clone(),
                labels,
                Some(&le),
                count.to_string(),
            ));
        }
        let total = finite.len().to_string();
        samples.push(Sample::new(bucket, labels, Some("+Inf"), total.clone()));
        // Folded from +0: an empty float `sum()` is -0, which would render as "-0".
        let sum = finite.iter().fold(0.0, |total, v| total + v);
        samples.push(Sample::new(
            format!("{name}_sum"),
            labels,
            None,
            sum.to_string(),
        ));
        samples.push(Sample::new(format!("{name}_count"), labels, None, total));
        self.push(name, help, Kind::Histogram, samples);
    }

    /// The two gauges every command writes: its verdict and when it ran.
    pub fn run_summary(&mut self, command: &str, status: super::Status) {
        self.gauge(
            "refit_status",
            "Verdict of the last run: 0 OK, 1 WARN, 2 FAIL.",
            &[("command", command)],
            f64::from(status.severity()),
        );
        self.gauge(
            "refit_last_run_timestamp_seconds",
            "Unix time the last run finished.",
            &[("command", command)],
            chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
        );
    }

    pub fn render(&self) -> String {
        self.render_for_job(None)
    }

    /// [`Gauges::render`] with `refit_job="JOB"` first on every sample: two jobs that run the
    /// same command (the daily drift check and the retrain loop's) then write distinct series,
    /// which node_exporter can serve side by side.
    pub fn render_for_job(&self, job: Option<&str>) -> String {
        let job_label = job.map(|j| format!("refit_job=\"{}\"", escape_label(j)));
        let mut out = String::new();
        for family in &self.families {
            let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(&family.help));
            let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
            for sample in &family.samples {
                sample.write(&mut out, job_label.as_deref());
            }
        }
        out
    }

    fn push(&mut self, name: &str, help: &str, kind: Kind, samples: Vec<Sample>) {
        match self.families.iter_mut().find(|f| f.name == name) {
            Some(family) => {
                debug_assert_eq!(family.kind, kind, "{name} was added as two types");
                family.samples.extend(samples);
            }
            None => self.families.push(Family {
                name: name.to_string(),
                help: help.to_string(),
                kind,
                samples,
            }),
        }
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// HELP text escapes only backslash and newline (the exposition format's rule).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_job_label_goes_first_on_every_sample() {
        let mut g = Gauges::default();
        g.gauge("refit_a", "A.", &[], 1.0);
        g.gauge("refit_b", "B.", &[("feature", "x y{")], 2.0);
        let text = g.render_for_job(Some("drift_daily"));
        assert!(
            text.contains("\nrefit_a{refit_job=\"drift_daily\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("\nrefit_b{refit_job=\"drift_daily\",feature=\"x y{\"} 2\n"),
            "{text}"
        );
        assert_eq!(g.render_for_job(None), g.render());
    }

    use super::*;

    #[test]
    fn renders_families_with_escaped_labels() {
        let mut m = Gauges::default();
        m.gauge(
            "refit_drift_psi",
            "PSI per feature.",
            &[("feature", "a\"b")],
            0.5,
        );
        m.gauge(
            "refit_drift_psi",
            "PSI per feature.",
            &[("feature", "c")],
            f64::NAN,
        );
        m.gauge(
            "refit_drift_psi",
            "PSI per feature.",
            &[("feature", "d")],
            1.0,
        );
        let text = m.render();
        assert_eq!(
            text,
            "# HELP refit_drift_psi PSI per feature.\n# TYPE refit_drift_psi gauge\n\
             refit_drift_psi{feature=\"a\\\"b\"} 0.5\nrefit_drift_psi{feature=\"d\"} 1\n"
        );
    }

    #[test]
    fn a_counter_is_typed_counter() {
        let mut m = Gauges::default();
        m.counter("refit_runs_total", "Runs.", &[("outcome", "promoted")], 3.0);
        m.counter("refit_runs_total", "Runs.", &[("outcome", "error")], 0.0);
        m.counter("refit_runs_total", "Runs.", &[("outcome", "x")], f64::NAN);
        assert_eq!(
            m.render(),
            "# HELP refit_runs_total Runs.\n# TYPE refit_runs_total counter\n\
             refit_runs_total{outcome=\"promoted\"} 3\nrefit_runs_total{outcome=\"error\"} 0\n"
        );
    }

    #[test]
    #[should_panic(expected = "must end in _total")]
    #[cfg(debug_assertions)]
    fn a_counter_without_total_is_a_bug() {
        Gauges::default().counter("refit_runs", "Runs.", &[], 1.0);
    }

    /// Seed 000's duration buckets; 2, 7, 7, 45 and 900 seconds (NaN left out) fall
    /// cumulatively 1, 3, 3, 4, 4, 4, 4 and 5 under +Inf.
    #[test]
    fn a_histogram_has_cumulative_buckets_then_sum_and_count() {
        let mut m = Gauges::default();
        let bounds = [5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];
        let seconds = [7.0, 2.0, 45.0, 7.0, 900.0, f64::NAN];
        m.histogram("refit_d_seconds", "Wall time.", &[], &bounds, &seconds);
        let expected = "# HELP refit_d_seconds Wall time.\n# TYPE refit_d_seconds histogram\n\
            refit_d_seconds_bucket{le=\"5\"} 1\nrefit_d_seconds_bucket{le=\"10\"} 3\n\
            refit_d_seconds_bucket{le=\"30\"} 3\nrefit_d_seconds_bucket{le=\"60\"} 4\n\
            refit_d_seconds_bucket{le=\"120\"} 4\nrefit_d_seconds_bucket{le=\"300\"} 4\n\
            refit_d_seconds_bucket{le=\"600\"} 4\nrefit_d_seconds_bucket{le=\"+Inf\"} 5\n\
            refit_d_seconds_sum 961\nrefit_d_seconds_count 5\n";
        assert_eq!(m.render(), expected);
    }

    #[test]
    fn histogram_series_keep_their_labels_with_le_last() {
        let mut m = Gauges::default();
        m.histogram("h_seconds", "H.", &[("step", "a")], &[0.5], &[0.5, 1.0]);
        m.histogram("h_seconds", "H.", &[("step", "b")], &[0.5], &[]);
        assert_eq!(
            m.render(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n\
             h_seconds_bucket{step=\"a\",le=\"0.5\"} 1\nh_seconds_bucket{step=\"a\",le=\"+Inf\"} 2\n\
             h_seconds_sum{step=\"a\"} 1.5\nh_seconds_count{step=\"a\"} 2\n\
             h_seconds_bucket{step=\"b\",le=\"0.5\"} 0\nh_seconds_bucket{step=\"b\",le=\"+Inf\"} 0\n\
             h_seconds_sum{step=\"b\"} 0\nh_seconds_count{step=\"b\"} 0\n"
        );
    }

    #[test]
    fn help_text_escapes_backslash_and_newline() {
        let mut m = Gauges::default();
        m.gauge("g", "a\\b\nc", &[], 1.0);
        assert!(
            m.render().starts_with("# HELP g a\\\\b\\nc\n"),
            "{}",
            m.render()
        );
    }
}
