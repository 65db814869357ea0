//! A bounded mutation fuzz of the readers refit owns: profile.json, metadata.json, the
//! registry's current.json and audit.jsonl, --config TOML, and the parsers of durations,
//! timestamps, versions, thresholds and floors. Seeded, so a failure reproduces; each input
//! may be refused with an error, none may panic. `REFIT_FUZZ_ITERATIONS=100000 cargo test
//! --test fuzz_readers --release` runs a longer campaign.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use common::{fixture, run, train_linear_churn};
use refit::cmd::args;
use refit::data::time::{parse_duration, parse_timestamp};
use refit::drift::config::DriftConfig;
use refit::drift::profile::Profile;
use refit::metrics::ThresholdRule;
use refit::model::directory::ModelDir;
use refit::registry::audit::read_audit;
use refit::registry::layout::parse_version_arg;
use refit::registry::store::Registry;
use refit::shadow::Floor;

fn iterations() -> usize {
    std::env::var("REFIT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// xorshift64*: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that tend to break parsers: delimiters, signs, huge numbers, deep nesting.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"-",
    b"1e999",
    b"NaN",
    b"-0",
    b"null",
    b"18446744073709551616",
    b"4294967295",
    b"\\u0000",
    b"\xff\xfe",
    b"[[[[[[[[[[[[[[[[",
    b"99999999999999w",
    b"=",
    b"fixed:",
    b"\n",
    b"true",
];

/// One random edit: flip, insert, delete, duplicate, truncate or splice a token.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let last = bytes.len() - 1;
                bytes[at.min(last)] ^= 1 << rng.below(8);
            }
            1 => bytes.insert(at, rng.next() as u8),
            2 if at < bytes.len() => {
                let end = (at + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 if at < bytes.len() => {
                let end = (at + rng.below(32)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            4 => bytes.truncate(at),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
    bytes
}

/// Runs `target` on `iterations()` mutants of `seed`; collects the inputs that panicked.
fn fuzz(name: &str, seed: &[u8], salt: u64, mut target: impl FnMut(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ salt);
    let mut panics = Vec::new();
    for i in 0..iterations() {
        let input = mutate(seed, &mut rng);
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            panics.push(format!("#{i}: {:?}", String::from_utf8_lossy(&input)));
        }
    }
    assert!(
        panics.is_empty(),
        "{name} panicked on:\n{}",
        panics.join("\n")
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn flag_parsers_never_panic() {
    let seeds: &[(&str, &[u8])] = &[
        ("duration", b"30d"),
        ("timestamp", b"2026-11-23T08:00:00Z"),
        ("version", b"v000007"),
        ("threshold rule", b"fixed:0.35"),
        ("floor", b"pr_auc=0.4"),
        ("share", b"0.25"),
    ];
    for (salt, (name, seed)) in seeds.iter().enumerate() {
        fuzz(name, seed, salt as u64, |input| {
            let s = text(input);
            let _ = parse_duration(&s);
            let _ = parse_timestamp(&s);
            let _ = parse_version_arg(&s);
            let _ = s.parse::<ThresholdRule>();
            let _ = s.parse::<Floor>();
            let _ = args::duration(&s);
            let _ = args::share(&s);
            let _ = args::non_negative(&s);
            let _ = args::resamples(&s);
        });
    }
}

#[test]
fn config_toml_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drift.toml");
    let seed = b"[features.age]\nwarn = 0.2\nfail = 0.4\n[features.plan]\ncategorical = true\n";
    fuzz("--config", seed, 11, |input| {
        std::fs::write(&path, input).unwrap();
        let _ = DriftConfig::load(&path);
    });
}

#[test]
fn profile_json_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    let out = path.display().to_string();
    let (code, _, stderr) = run(&[
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        &out,
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let seed = std::fs::read(&path).unwrap();
    fuzz("profile.json", &seed, 12, |input| {
        std::fs::write(&path, input).unwrap();
        let _ = Profile::load(&path);
    });
}

#[test]
fn metadata_json_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train_linear_churn(&model, "tenure_months,region");
    let path = model.join("metadata.json");
    let seed = std::fs::read(&path).unwrap();
    fuzz("metadata.json", &seed, 13, |input| {
        std::fs::write(&path, input).unwrap();
        let _ = ModelDir::load(&model);
    });
}

fn registry_with_one_version(dir: &Path) -> std::path::PathBuf {
    let candidate = train_linear_churn(&dir.join("cand"), "tenure_months");
    let registry = dir.join("reg");
    let reg = registry.display().to_string();
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &reg,
        "--candidate",
        &candidate,
        "--force",
        "--reason",
        "fuzz",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    registry
}

#[test]
fn registry_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry_with_one_version(dir.path());
    for (salt, name) in ["current.json", "audit.jsonl"].into_iter().enumerate() {
        let path = registry.join(name);
        let seed = std::fs::read(&path).unwrap();
        fuzz(name, &seed, 20 + salt as u64, |input| {
            std::fs::write(&path, input).unwrap();
            if let Ok(reg) = Registry::open(&registry, false) {
                let _ = reg.pointer(None);
            }
            let _ = read_audit(&registry);
        });
        std::fs::write(&path, &seed).unwrap();
    }
}
