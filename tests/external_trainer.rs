//! train-candidate's external trainer (issue 14, items 3 and 4): a signal to refit stops the
//! trainer's whole process group and leaves nothing behind; a placeholder's value never
//! becomes shell code, whatever quotes surround it.

mod common;

use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, refit_process, Workdir};

/// train-candidate on `data` into `out`, with the trainer `command`.
fn train_args<'a>(data: &'a str, out: &'a str, command: &'a str) -> Vec<&'a str> {
    let mut args = built_in_args(data, out);
    args.extend(["--command", command]);
    args
}

fn built_in_args<'a>(data: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "train-candidate",
        "--data",
        data,
        "--target",
        "churned",
        "--time",
        "event_time",
        "--exclude",
        "spend,customer_id,device_id",
        "--out",
        out,
    ]
}

/// A trainer that notes the signal it gets and exits; it waits on a background sleep, which
/// ignores SIGINT (as sh's background jobs do), so only the final kill of the group ends it.
/// `pids` gets the trainer's pid, then the sleep's.
const TRAINER: &str = r#"
for s in TERM INT HUP; do trap "echo $s > got-signal; exit 1" $s; done
echo $$ >> pids
sleep 300 &
echo $! >> pids
wait
"#;

/// The pids in `pids`, once the trainer has written both.
fn trainer_pids(w: &Workdir, refit: &mut Child) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pids: Vec<i32> = std::fs::read_to_string(w.path("pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.len() == 2 {
            return pids;
        }
        assert!(
            refit.try_wait().unwrap().is_none(),
            "refit ended before the trainer started"
        );
        assert!(Instant::now() < deadline, "the trainer never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...].
fn proc_stat(pid: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &text[text.rfind(')')? + 1..];
    Some(after_name.split_whitespace().map(String::from).collect())
}

/// Processes of the group `pgrp` that still run (a zombie no longer runs; nobody may be
/// there to reap it in a container).
fn running_in_group(pgrp: i32) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.chars().all(|c| c.is_ascii_digit()))
        .filter(|pid| proc_stat(pid).is_some_and(|f| f[0] != "Z" && f[2] == pgrp.to_string()))
        .collect()
}

fn running(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists && proc_stat(&pid.to_string()).is_some_and(|f| f[0] != "Z")
}

/// Waits for refit to exit, killing it if it takes more than a minute.
fn exit_of(refit: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = refit.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    refit.kill().unwrap();
    panic!("refit did not exit within a minute of the signal");
}

fn stop_mid_training(signal: i32, name: &str) {
    let w = Workdir::new();
    std::fs::write(w.path("trainer.sh"), TRAINER).unwrap();
    let churn = fixture("train/churn.parquet");
    let mut refit = refit_process()
        .current_dir(w.path(""))
        .args(train_args(&churn, "cand", "sh trainer.sh {out}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = refit.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let pids = trainer_pids(&w, &mut refit);
    let group: i32 = proc_stat(&pids[0].to_string()).expect("trainer runs")[2]
        .parse()
        .unwrap();

    let refit_pid = i32::try_from(refit.id()).unwrap();
    // SAFETY: kill(2) on the refit process this test started.
    assert_eq!(unsafe { libc::kill(refit_pid, signal) }, 0);
    let status = exit_of(&mut refit);
    let stderr = reader.join().unwrap();

    assert_eq!(
        status.code(),
        Some(128 + signal),
        "{name}: {status:?}\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("interrupted by {name}")),
        "{stderr}"
    );
    assert_eq!(
        w.read("got-signal").trim(),
        &name[3..],
        "the trainer got {name}"
    );
    let left: Vec<&i32> = pids.iter().filter(|&&p| running(p)).collect();
    assert!(left.is_empty(), "{name}: still running: {left:?}");
    assert_eq!(running_in_group(group), Vec::<String>::new(), "{name}");
    let files = w.files();
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with(".refit-tmp-") || f == "cand"),
        "{name}: left behind: {files:?}"
    );
}

#[test]
fn a_signal_stops_the_trainers_group_and_leaves_nothing_behind() {
    for (signal, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        stop_mid_training(signal, name);
    }
}

/// A file name that runs code if a shell ever reads it as text: command substitutions of
/// both kinds, both quotes, a `;` and a double space (which word splitting would lose).
const HOSTILE: &str = r#"d $(touch PWNED) `touch PWNED` 'q' "dq" ;touch PWNED; a  b"#;

/// The trainer receives the exact path wherever `{data}` stands: inside double quotes (where
/// refit used to run the name's `$(...)`), bare, and inside single quotes.
#[test]
fn placeholders_pass_hostile_file_names_exactly_and_run_nothing() {
    let w = Workdir::new();
    let data = format!("{HOSTILE}.parquet");
    std::fs::copy(fixture("train/churn.parquet"), w.path(&data)).unwrap();
    // A first candidate supplies a holdout.parquet for the "external" trainer.
    let source = [built_in_args(&data, "source"), vec!["--model", "linear"]].concat();
    w.run(&source).assert_exit(0);

    let contexts = [
        r#"echo "{data}""#,
        "printf '%s\\n' {data}",
        "printf '%s\\n' '{data}'",
    ];
    for (i, context) in contexts.iter().enumerate() {
        let out = format!("{HOSTILE} out{i}");
        let command =
            format!("{context} > {{out}}/got; cp source/holdout.parquet {{out}}/holdout.parquet");
        let run = w.run(&train_args(&data, &out, &command));
        assert!(!w.exists("PWNED"), "`{context}` ran code from a file name");
        run.assert_exit(0);
        let got = w.read(&format!("{out}/got"));
        assert_eq!(
            got,
            format!("{data}\n"),
            "`{context}`: the trainer got another path"
        );
    }
}
