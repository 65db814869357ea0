//! External trainers (`train-candidate --command '...'`): the user's command runs under
//! `sh -c` in its own process group, its placeholders turned into references to environment
//! variables, its output streamed to stderr, under a timeout, and stopped with its whole group
//! when refit is told to stop; then its directory is checked for model files and a
//! holdout.parquet refit can evaluate.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::{IdxCa, IdxSize, ParquetWriter};
use serde_json::Value;

use super::train::{holdout_metrics, HOLDOUT_LABEL, HOLDOUT_SCORE};
use super::Task;
use crate::data::labels::{binary_labels, finite_values};
use crate::data::object_storage::ObjectUrl;
use crate::data::read::{expand_paths, LoadedTable};
use crate::data::time::{format_ms, table_timestamps};
use crate::data::Table;
use crate::metrics::ThresholdRule;

/// Lines of the command's stderr quoted when it fails.
const STDERR_TAIL_LINES: usize = 20;

/// How long the trainer has to exit after refit passes a signal on to its process group;
/// then the group is killed. The --command help states it.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How often the trainer is checked on.
const POLL: Duration = Duration::from_millis(50);

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

/// What `sh -c` runs: the template with each placeholder replaced by references to
/// environment variables, and those variables, which hold the placeholders' values.
#[derive(Debug)]
pub struct TrainerCommand {
    /// The --command as given, for messages.
    pub template: String,
    pub script: String,
    pub variables: Vec<(String, OsString)>,
}

/// A placeholder's value: one word, or one word per item ({data}: each input file).
pub enum PlaceholderValue {
    One(OsString),
    Each(Vec<OsString>),
}

impl PlaceholderValue {
    /// The variables that carry it: REFIT_OUT for {out}; REFIT_DATA_1, REFIT_DATA_2, ... for
    /// the items of {data}.
    fn variables(&self, name: &str) -> Vec<(String, OsString)> {
        let base = format!("REFIT_{}", name.to_ascii_uppercase());
        match self {
            PlaceholderValue::One(value) => vec![(base, value.clone())],
            PlaceholderValue::Each(values) => values
                .iter()
                .enumerate()
                .map(|(i, value)| (format!("{base}_{}", i + 1), value.clone()))
                .collect(),
        }
    }
}

/// The command to run: each input file as its own word, so globs match what refit read. An
/// object URL (s3://...) is passed as written: the trainer reads object storage its own way.
pub fn external_command(template: &str, job: &ExternalJob<'_>) -> Result<TrainerCommand> {
    let mut data = Vec::new();
    for spec in job.data {
        if ObjectUrl::is_url(spec) {
            data.push(OsString::from(spec));
        } else {
            data.extend(
                expand_paths(std::slice::from_ref(spec))?
                    .into_iter()
                    .map(PathBuf::into_os_string),
            );
        }
    }
    let text = |value: String| PlaceholderValue::One(value.into());
    fill_placeholders(
        template,
        &[
            ("data", PlaceholderValue::Each(data)),
            ("out", PlaceholderValue::One(job.out.as_os_str().to_owned())),
            ("target", text(job.target.to_string())),
            ("time", text(job.time.to_string())),
            ("holdout", text(job.holdout.to_string())),
            ("cutoff", text(format_ms(job.cutoff_ms))),
        ],
    )
}

/// Where a placeholder stands in the shell's quoting: it decides how its reference is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Bare,
    Single,
    Double,
}

impl Quoting {
    /// The quoting after an unescaped `c`, as sh reads it.
    fn after(self, c: char) -> Quoting {
        match (self, c) {
            (Quoting::Bare, '\'') => Quoting::Single,
            (Quoting::Bare, '"') => Quoting::Double,
            (Quoting::Single, '\'') | (Quoting::Double, '"') => Quoting::Bare,
            (quoting, _) => quoting,
        }
    }

    /// References to `variables` that expand to exactly their values, one word each:
    /// `"${REFIT_OUT}"` bare, `${REFIT_OUT}` inside "...", `'"${REFIT_OUT}"'` inside '...'.
    fn reference(self, variables: &[(String, OsString)]) -> String {
        let words: Vec<String> = variables.iter().map(|(v, _)| format!("${{{v}}}")).collect();
        let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
        match self {
            Quoting::Bare => quoted.join(" "),
            Quoting::Double => words.join(" "),
            Quoting::Single => format!("'{}'", quoted.join(" ")),
        }
    }
}

/// Replaces each `{name}` with references to the environment variables that hold its values
/// (see [`Quoting::reference`]), so a value is never part of the command text and no quoting
/// can run it. Quotes and backslashes are followed as sh reads them; a backslash-escaped `{`
/// is no placeholder. Every placeholder's variables are set, used or not; an unknown
/// placeholder is an error.
pub fn fill_placeholders(
    template: &str,
    values: &[(&str, PlaceholderValue)],
) -> Result<TrainerCommand> {
    let mut script = String::with_capacity(template.len() * 2);
    let mut quoting = Quoting::Bare;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            let (name, after) = placeholder_name(rest, template)?;
            script.push_str(&quoting.reference(&lookup(values, name)?.variables(name)));
            rest = after;
        } else if c == '\\' && quoting != Quoting::Single {
            let escaped: String = rest.chars().take(2).collect();
            script.push_str(&escaped);
            rest = &rest[escaped.len()..];
        } else {
            quoting = quoting.after(c);
            script.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(TrainerCommand {
        template: template.to_string(),
        script,
        variables: values
            .iter()
            .flat_map(|(name, value)| value.variables(name))
            .collect(),
    })
}

/// The name of the placeholder `rest` starts with, and the text after it.
fn placeholder_name<'t>(rest: &'t str, template: &str) -> Result<(&'t str, &'t str)> {
    let after = &rest[1..];
    let end = after
        .find('}')
        .with_context(|| format!("--command: unclosed `{{` in `{template}`"))?;
    Ok((&after[..end], &after[end + 1..]))
}

fn lookup<'v>(values: &'v [(&str, PlaceholderValue)], name: &str) -> Result<&'v PlaceholderValue> {
    values
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .with_context(|| {
            let known: Vec<String> = values.iter().map(|(n, _)| format!("{{{n}}}")).collect();
            format!(
                "--command: unknown placeholder {{{name}}}; known: {}",
                known.join(", ")
            )
        })
}

/// refit was told to stop (SIGTERM, SIGINT or SIGHUP) while the trainer ran: the trainer's
/// process group was stopped and nothing was written. The binary exits with
/// [`Interrupted::exit_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    pub signal: i32,
}

impl Interrupted {
    /// 128 + the signal's number, as a shell reports a command a signal ended (SIGTERM: 143).
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(u8::MAX)
    }

    fn signal_name(&self) -> String {
        match self.signal {
            libc::SIGTERM => "SIGTERM".into(),
            libc::SIGINT => "SIGINT".into(),
            libc::SIGHUP => "SIGHUP".into(),
            other => format!("signal {other}"),
        }
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "interrupted by {}: the external trainer was stopped and nothing was written",
            self.signal_name()
        )
    }
}

impl std::error::Error for Interrupted {}

/// How the trainer's run ended.
enum Ending {
    Exited(ExitStatus),
    TimedOut,
    /// refit received this signal and passed it on to the trainer's group.
    Interrupted(i32),
}

/// Runs the trainer with `sh -c` in its own process group, echoing its stdout and stderr to
/// our stderr (stdout is the report's). `stop` says whether refit received a signal: it is
/// passed on to the group, which has [`STOP_GRACE`] to exit. However the run ends, the group
/// is then killed. A non-zero exit or the timeout is an error quoting the tail of its stderr;
/// a signal is [`Interrupted`].
pub fn run_external(
    command: &TrainerCommand,
    timeout: Duration,
    quiet: bool,
    stop: &dyn Fn() -> Option<i32>,
) -> Result<()> {
    run_trainer(command, timeout, STOP_GRACE, quiet, stop)
}

fn run_trainer(
    command: &TrainerCommand,
    timeout: Duration,
    grace: Duration,
    quiet: bool,
    stop: &dyn Fn() -> Option<i32>,
) -> Result<()> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&command.script)
        .envs(command.variables.iter().map(|(name, value)| (name, value)))
        // Its own process group, so a signal or the timeout reaches the trainer's children.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting `{}`", command.template))?;
    let tail = stream_output(&mut child, quiet);
    let ending = supervise(&mut child, timeout, grace, stop);
    // Whatever the trainer left running (a background child holding the pipes open) goes with
    // it; then the output threads finish, or are abandoned after a short grace period.
    signal_group(child.id(), libc::SIGKILL);
    let _ = child.wait();
    match ending? {
        Ending::Exited(status) if status.success() => {
            // The trainer's last lines are printed before refit's own.
            stderr_tail(&tail);
            Ok(())
        }
        Ending::Interrupted(signal) => Err(Interrupted { signal }.into()),
        ending => Err(failure(command, ending, timeout, &stderr_tail(&tail))),
    }
}

/// Waits for the trainer to exit, for the timeout, or for a signal refit received, which is
/// passed on to the trainer's group; the group then has `grace` to exit.
fn supervise(
    child: &mut Child,
    timeout: Duration,
    grace: Duration,
    stop: &dyn Fn() -> Option<i32>,
) -> Result<Ending> {
    let started = Instant::now();
    loop {
        if let Some(signal) = stop() {
            signal_group(child.id(), signal);
            // The whole group gets the grace period, not just `sh -c`: the trainer it started
            // may still be running its own cleanup when the shell has gone.
            let deadline = Instant::now() + grace;
            let mut leader_gone = false;
            while Instant::now() < deadline {
                leader_gone = leader_gone || child.try_wait()?.is_some();
                if leader_gone && !group_alive(child.id()) {
                    break;
                }
                std::thread::sleep(POLL);
            }
            return Ok(Ending::Interrupted(signal));
        }
        if let Some(status) = child.try_wait().context("waiting for the command")? {
            return Ok(Ending::Exited(status));
        }
        if started.elapsed() >= timeout {
            return Ok(Ending::TimedOut);
        }
        std::thread::sleep(POLL);
    }
}

/// Whether any process is left in the group `leader` led.
fn group_alive(leader: u32) -> bool {
    match libc::pid_t::try_from(leader) {
        // SAFETY: kill(2) with signal 0 only checks that the group exists; it touches no memory.
        Ok(group) => unsafe { libc::kill(-group, 0) == 0 },
        Err(_) => false,
    }
}

/// Sends `signal` to the process group `leader` leads (the trainer runs in its own group).
fn signal_group(leader: u32, signal: i32) {
    if let Ok(group) = libc::pid_t::try_from(leader) {
        // SAFETY: kill(2) with a negative pid signals a process group and touches no memory.
        unsafe { libc::kill(-group, signal) };
    }
}

/// The error for a run that timed out or failed.
fn failure(
    command: &TrainerCommand,
    ending: Ending,
    timeout: Duration,
    tail: &str,
) -> anyhow::Error {
    let template = &command.template;
    match ending {
        Ending::TimedOut => anyhow!(
            "`{template}` did not finish within {}s and was killed{tail}",
            timeout.as_secs()
        ),
        Ending::Exited(status) => {
            let code = status
                .code()
                .map(|c| format!("exit status {c}"))
                .unwrap_or_else(|| "killed by a signal".to_string());
            anyhow!("`{template}` failed ({code}){tail}")
        }
        Ending::Interrupted(signal) => Interrupted { signal }.into(),
    }
}

/// Threads copying the trainer's stdout and stderr to our stderr; the receiver gets the last
/// lines of its stderr once it closes.
fn stream_output(child: &mut Child, quiet: bool) -> Receiver<VecDeque<String>> {
    let (tail_sender, tail_receiver) = std::sync::mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || stream_lines(stdout, quiet, 0));
    }
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = tail_sender.send(stream_lines(stderr, quiet, STDERR_TAIL_LINES));
        });
    }
    tail_receiver
}

/// The last lines of the trainer's stderr, as a message's ending ("" if there were none).
fn stderr_tail(receiver: &Receiver<VecDeque<String>>) -> String {
    let tail = receiver
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    if tail.is_empty() {
        return String::new();
    }
    format!(
        "\nlast lines of its stderr:\n  {}",
        tail.into_iter().collect::<Vec<_>>().join("\n  ")
    )
}

/// The signal refit received while a [`SignalGuard`] was installed; 0 for none.
static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signals that stop a run: Kubernetes' SIGTERM, a terminal's Ctrl-C, a closed terminal.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

extern "C" fn note_signal(signal: libc::c_int) {
    PENDING_SIGNAL.store(signal, Ordering::SeqCst);
}

/// While it lives, SIGTERM, SIGINT and SIGHUP are noted instead of ending refit, so the
/// trainer can be stopped and the staging directory removed first. A signal that is ignored
/// (nohup) stays ignored. One guard at a time: the noted signal is process-wide.
pub struct SignalGuard {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    pub fn install() -> Result<SignalGuard> {
        PENDING_SIGNAL.store(0, Ordering::SeqCst);
        let mut guard = SignalGuard {
            previous: Vec::new(),
        };
        for signal in STOP_SIGNALS {
            let previous = sigaction(signal, None)?;
            if previous.sa_sigaction != libc::SIG_IGN {
                sigaction(signal, Some(&noting_action()))?;
                guard.previous.push((signal, previous));
            }
        }
        Ok(guard)
    }

    /// The signal received since the last look, if any.
    pub fn take(&self) -> Option<i32> {
        match PENDING_SIGNAL.swap(0, Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }

    /// [`Interrupted`] if a signal came since the last look.
    pub fn check(&self) -> Result<()> {
        match self.take() {
            Some(signal) => Err(Interrupted { signal }.into()),
            None => Ok(()),
        }
    }
}

impl Drop for SignalGuard {
    /// Puts the previous actions back; a signal nobody looked at is raised again, to have the
    /// effect it would have had.
    fn drop(&mut self) {
        for (signal, previous) in &self.previous {
            let _ = sigaction(*signal, Some(previous));
        }
        if let Some(signal) = self.take() {
            // SAFETY: raise(3) only sends a signal to this thread.
            unsafe { libc::raise(signal) };
        }
    }
}

/// The action that notes a signal in [`PENDING_SIGNAL`]; interrupted system calls restart.
fn noting_action() -> libc::sigaction {
    // SAFETY: sigaction is plain data; all zeroes is a valid empty value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = note_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: sa_mask is a valid sigset_t owned by `action`.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    action
}

/// sigaction(2): sets `signal`'s action if one is given; returns the action it had.
fn sigaction(signal: libc::c_int, action: Option<&libc::sigaction>) -> Result<libc::sigaction> {
    // SAFETY: sigaction is plain data; all zeroes is a valid out-parameter.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    let new = action.map_or(std::ptr::null(), |a| a as *const libc::sigaction);
    // SAFETY: both pointers are valid for the call; the handler only stores to an atomic.
    if unsafe { libc::sigaction(signal, new, &mut previous) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("setting the action of signal {signal}"));
    }
    Ok(previous)
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

/// Where an external trainer finds the rows a window or entity rules chose: one Parquet file
/// in a hidden temp directory beside `--out`, removed when this is dropped.
pub struct SelectedRowsFile {
    dir: tempfile::TempDir,
}

impl SelectedRowsFile {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(SELECTED_ROWS_FILE)
    }
}

/// The file name an external trainer's {data} names when rows were selected.
pub const SELECTED_ROWS_FILE: &str = "selected.parquet";

/// The trainer reads {data} itself, so with a selection it is given exactly the selected rows
/// (`rows`: indices into the input, in input order) with every column of the input, rather
/// than files it would have to filter the same way.
pub fn selected_rows_file(
    specs: &[String],
    rows: &[usize],
    out: &Path,
) -> Result<SelectedRowsFile> {
    let table = Table::open(specs)?;
    let columns: Vec<String> = table
        .column_names()
        .into_iter()
        .filter(|c| table.require_column(c).is_ok())
        .collect();
    let loaded = table.load(&columns)?;
    let mut frames = loaded.frames.iter();
    let mut whole = frames.next().context("no input files")?.clone();
    for frame in frames {
        whole
            .vstack_mut(frame)
            .with_context(|| format!("combining the shards of {}", loaded.source))?;
    }
    let indices = IdxCa::from_vec("row".into(), rows.iter().map(|&i| i as IdxSize).collect());
    let mut selected = whole.take(&indices)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = tempfile::Builder::new()
        .prefix(".refit-tmp-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary directory in {}", parent.display()))?;
    let file = SelectedRowsFile { dir };
    let path = file.path();
    let writer = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(writer)
        .finish(&mut selected)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(file)
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

    fn one(value: &str) -> PlaceholderValue {
        PlaceholderValue::One(value.into())
    }

    fn script(template: &str) -> String {
        let data = PlaceholderValue::Each(vec!["a b".into(), "c".into()]);
        fill_placeholders(template, &[("data", data), ("out", one("it's"))])
            .unwrap()
            .script
    }

    #[test]
    fn placeholders_become_variable_references_for_their_quoting() {
        assert_eq!(
            script("train --data {data} --out {out}/m"),
            r#"train --data "${REFIT_DATA_1}" "${REFIT_DATA_2}" --out "${REFIT_OUT}"/m"#
        );
        assert_eq!(
            script(r#"echo "x{out}y" '{out}'"#),
            r#"echo "x${REFIT_OUT}y" ''"${REFIT_OUT}"''"#
        );
        // Escaped quotes do not change the quoting; an escaped brace is no placeholder.
        assert_eq!(
            script(r#"echo \" {out} "\"{out}" \{out}"#),
            r#"echo \" "${REFIT_OUT}" "\"${REFIT_OUT}" \{out}"#
        );
    }

    #[test]
    fn every_placeholder_is_set_as_a_variable() {
        let data = PlaceholderValue::Each(vec!["a b".into(), "c".into()]);
        let command = fill_placeholders("true", &[("data", data), ("out", one("o"))]).unwrap();
        let names: Vec<&str> = command.variables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["REFIT_DATA_1", "REFIT_DATA_2", "REFIT_OUT"]);
        assert!(fill_placeholders("x {nope}", &[("data", one("d"))]).is_err());
        assert!(fill_placeholders("x {data", &[("data", one("d"))]).is_err());
    }

    fn command(template: &str) -> TrainerCommand {
        fill_placeholders(template, &[]).unwrap()
    }

    #[test]
    fn failure_quotes_the_stderr_tail() {
        let err = run_external(
            &command("echo boom >&2; exit 3"),
            Duration::from_secs(10),
            true,
            &|| None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("exit status 3") && err.contains("boom"),
            "{err}"
        );
    }

    #[test]
    fn timeout_kills_the_command() {
        let err = run_external(
            &command("sleep 5"),
            Duration::from_millis(200),
            true,
            &|| None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("did not finish"), "{err}");
    }

    /// A trainer that ignores the signal is killed once the grace period is over.
    #[test]
    fn a_stop_signal_is_passed_on_then_the_group_is_killed() {
        let started = Instant::now();
        let err = run_trainer(
            &command("trap '' TERM; sleep 30"),
            Duration::from_secs(60),
            Duration::from_millis(300),
            true,
            &|| Some(libc::SIGTERM),
        )
        .unwrap_err();
        let interrupted = err.downcast_ref::<Interrupted>().expect("Interrupted");
        assert_eq!(interrupted.exit_code(), 143);
        assert!(started.elapsed() < Duration::from_secs(10), "{started:?}");
    }

    #[test]
    fn the_guard_notes_signals_and_leaves_ignored_ones_ignored() {
        let guard = SignalGuard::install().unwrap();
        // SAFETY: the guard has replaced SIGHUP's default action.
        unsafe { libc::raise(libc::SIGHUP) };
        assert_eq!(guard.take(), Some(libc::SIGHUP));
        assert_eq!(guard.take(), None);
        drop(guard);

        let default = sigaction(libc::SIGHUP, None).unwrap();
        let mut ignore = default;
        ignore.sa_sigaction = libc::SIG_IGN;
        sigaction(libc::SIGHUP, Some(&ignore)).unwrap();
        let guard = SignalGuard::install().unwrap();
        // SAFETY: SIGHUP is ignored.
        unsafe { libc::raise(libc::SIGHUP) };
        assert_eq!(guard.take(), None);
        drop(guard);
        sigaction(libc::SIGHUP, Some(&default)).unwrap();
    }
}
