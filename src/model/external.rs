//! External trainers (`train-candidate --command '...'`): the user's command runs with its
//! placeholders filled, its output streamed to stderr, under a timeout; then its directory is
//! checked for model files and a holdout.parquet refit can evaluate.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::train::{holdout_metrics, HOLDOUT_LABEL, HOLDOUT_SCORE};
use super::Task;
use crate::data::labels::{binary_labels, finite_values};
use crate::data::read::{expand_paths, LoadedTable};
use crate::data::time::{format_ms, table_timestamps};
use crate::data::Table;
use crate::metrics::ThresholdRule;

/// Lines of the command's stderr quoted when it fails.
const STDERR_TAIL_LINES: usize = 20;

/// What the external trainer is told through its placeholders.
pub struct ExternalJob<'a> {
    /// The --data specs, expanded into files as refit itself read them.
    pub data: &'a [String],
    pub out: &'a Path,
    pub target: &'a str,
    pub time: &'a str,
    pub holdout: f64,
    /// The trainer must hold out exactly the rows at or after this time.
    pub cutoff_ms: i64,
}

/// The command to run: each input file as its own quoted word, so globs match what refit read.
pub fn external_command(template: &str, job: &ExternalJob<'_>) -> Result<String> {
    let data_paths: Vec<String> = expand_paths(job.data)?
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    fill_placeholders(
        template,
        &[
            ("data", data_paths),
            ("out", vec![job.out.display().to_string()]),
            ("target", vec![job.target.to_string()]),
            ("time", vec![job.time.to_string()]),
            ("holdout", vec![job.holdout.to_string()]),
            ("cutoff", vec![format_ms(job.cutoff_ms)]),
        ],
    )
}

/// Quotes `text` for a POSIX shell: single quotes, with embedded ones closed and escaped.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Replaces `{name}` placeholders with shell-quoted values (several values become several
/// quoted words); an unknown placeholder is an error.
pub fn fill_placeholders(template: &str, values: &[(&str, Vec<String>)]) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .with_context(|| format!("--command: unclosed `{{` in `{template}`"))?;
        let name = &after[..end];
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .with_context(|| {
                let known: Vec<String> = values.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                format!(
                    "--command: unknown placeholder {{{name}}}; known: {}",
                    known.join(", ")
                )
            })?;
        let words: Vec<String> = value.iter().map(|v| shell_quote(v)).collect();
        out.push_str(&words.join(" "));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Runs `command` with `sh -c`, echoing its stdout and stderr to our stderr (stdout is the
/// report's). A non-zero exit or the timeout is an error quoting the tail of its stderr.
pub fn run_external(command: &str, timeout: Duration, quiet: bool) -> Result<()> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        // Its own process group, so the timeout kills the trainer's children too.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting `{command}`"))?;
    let stdout = child
        .stdout
        .take()
        .context("capturing the command's stdout")?;
    let stderr = child
        .stderr
        .take()
        .context("capturing the command's stderr")?;
    let (tail_sender, tail_receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || stream_lines(stdout, quiet, 0));
    std::thread::spawn(move || {
        let _ = tail_sender.send(stream_lines(stderr, quiet, STDERR_TAIL_LINES));
    });
    let started = Instant::now();
    let group = format!("-{}", child.id());
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for the command")? {
            break Some(status);
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever the trainer left running (a background child holding the pipes open) goes with
    // it; then the output threads finish, or are abandoned after a short grace period.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let tail = tail_receiver
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    let tail_text = if tail.is_empty() {
        String::new()
    } else {
        format!(
            "\nlast lines of its stderr:\n  {}",
            tail.into_iter().collect::<Vec<_>>().join("\n  ")
        )
    };
    match status {
        None => bail!(
            "`{command}` did not finish within {}s and was killed{tail_text}",
            timeout.as_secs()
        ),
        Some(s) if !s.success() => {
            let code = s
                .code()
                .map(|c| format!("exit status {c}"))
                .unwrap_or_else(|| "killed by a signal".to_string());
            bail!("`{command}` failed ({code}){tail_text}")
        }
        Some(_) => Ok(()),
    }
}

/// Copies lines to stderr as they come and returns the last `keep` of them. Bytes that are
/// not UTF-8 are replaced, never a reason to stop draining the pipe.
fn stream_lines(source: impl Read, quiet: bool, keep: usize) -> VecDeque<String> {
    let mut tail = VecDeque::with_capacity(keep);
    let mut reader = BufReader::new(source);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buffer)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        if !quiet {
            eprintln!("{line}");
        }
        if keep > 0 {
            if tail.len() == keep {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
    tail
}

/// The trainer's directory must hold holdout.parquet and at least one other (model) file;
/// metadata.json and profile.json are refit's to write.
pub fn check_external_output(dir: &Path, holdout_file: &str) -> Result<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    if !files.iter().any(|f| f == holdout_file) {
        bail!(
            "the command left no {holdout_file} in {{out}}; found: [{}]",
            files.join(", ")
        );
    }
    let model_files: Vec<String> = files
        .into_iter()
        .filter(|f| f != holdout_file && f != "metadata.json" && f != "profile.json")
        .collect();
    if model_files.is_empty() {
        bail!("the command left no model files in {{out}}, only {holdout_file}");
    }
    Ok(model_files)
}

/// Holdout metrics from an external trainer's holdout.parquet (`label`, `score`).
/// The time column must be there and every row at or after refit's cutoff: a trainer that
/// split differently would report metrics on rows it trained on.
pub fn external_holdout_metrics(
    path: &Path,
    task: Task,
    rule: ThresholdRule,
    time: &str,
    cutoff_ms: i64,
) -> Result<(Value, Option<f64>)> {
    let spec = vec![path.display().to_string()];
    let table = Table::open(&spec)?;
    for column in [HOLDOUT_LABEL, HOLDOUT_SCORE, time] {
        table.require_column(column)?;
    }
    let data = table.load(&[
        HOLDOUT_LABEL.to_string(),
        HOLDOUT_SCORE.to_string(),
        time.to_string(),
    ])?;
    let file = path.display().to_string();
    check_holdout_after_cutoff(&data, &file, time, cutoff_ms)?;
    let (labels, scores) = holdout_labels_and_scores(&data, &file, task)?;
    holdout_metrics(task, &labels, &scores, rule)
}

/// Rows before the cutoff (or without a time) mean the trainer held out other rows than refit.
fn check_holdout_after_cutoff(
    data: &LoadedTable,
    file: &str,
    time: &str,
    cutoff_ms: i64,
) -> Result<()> {
    let early = table_timestamps(data, time)?
        .iter()
        .filter(|t| t.is_none_or(|t| t < cutoff_ms))
        .count();
    if early > 0 {
        bail!(
            "{file}: {early} holdout rows are before refit's cutoff {} (or have no time); the trainer must hold out exactly the rows at or after {{cutoff}}",
            format_ms(cutoff_ms)
        );
    }
    Ok(())
}

/// Labels (0/1 for binary) and scores, refusing nulls and binary scores outside [0, 1].
fn holdout_labels_and_scores(
    data: &LoadedTable,
    file: &str,
    task: Task,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let labels: Vec<Option<f64>> = match task {
        Task::Binary => data
            .map_column(HOLDOUT_LABEL, |c| binary_labels(c, file))?
            .into_iter()
            .map(|v| v.map(|b| f64::from(u8::from(b))))
            .collect(),
        Task::Regression => data.map_column(HOLDOUT_LABEL, |c| finite_values(c, file, "label"))?,
    };
    let scores = data.map_column(HOLDOUT_SCORE, |c| finite_values(c, file, "score"))?;
    let missing = labels
        .iter()
        .zip(&scores)
        .filter(|(l, s)| l.is_none() || s.is_none())
        .count();
    if missing > 0 {
        bail!("{file}: {missing} rows have a null label or score");
    }
    let labels: Vec<f64> = labels.into_iter().flatten().collect();
    let scores: Vec<f64> = scores.into_iter().flatten().collect();
    if task == Task::Binary && scores.iter().any(|s| !(0.0..=1.0).contains(s)) {
        bail!("{file}: scores must be probabilities within [0, 1] for a binary task");
    }
    Ok((labels, scores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_quoted() {
        let cmd = fill_placeholders(
            "train --data {data} --out {out}",
            &[
                ("data", vec!["a b.parquet".into(), "c.parquet".into()]),
                ("out", vec!["it's".into()]),
            ],
        )
        .unwrap();
        assert_eq!(
            cmd,
            r"train --data 'a b.parquet' 'c.parquet' --out 'it'\''s'"
        );
        assert!(fill_placeholders("x {nope}", &[("data", vec!["d".into()])]).is_err());
        assert!(fill_placeholders("x {data", &[("data", vec!["d".into()])]).is_err());
    }

    #[test]
    fn failure_quotes_the_stderr_tail() {
        let err = run_external("echo boom >&2; exit 3", Duration::from_secs(10), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("exit status 3") && err.contains("boom"),
            "{err}"
        );
    }

    #[test]
    fn timeout_kills_the_command() {
        let err = run_external("sleep 5", Duration::from_millis(200), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did not finish"), "{err}");
    }
}
