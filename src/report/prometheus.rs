//! Prometheus text exposition format, for node_exporter's textfile collector. The figures are
//! called gauges here; `metrics` are a model's (ROC-AUC, MAE).

use std::fmt::Write;

/// Collects samples grouped by metric family, each with HELP and TYPE once.
#[derive(Debug, Default)]
pub struct Gauges {
    families: Vec<(String, String, Vec<String>)>,
}

impl Gauges {
    /// Adds a gauge sample; NaN or infinite values are skipped (absent beats misleading).
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        let rendered_labels = if labels.is_empty() {
            String::new()
        } else {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        };
        let sample = format!("{name}{rendered_labels} {value}");
        match self.families.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, samples)) => samples.push(sample),
            None => self
                .families
                .push((name.to_string(), help.to_string(), vec![sample])),
        }
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
        let mut out = String::new();
        for (name, help, samples) in &self.families {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for sample in samples {
                let _ = writeln!(out, "{sample}");
            }
        }
        out
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
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
}
