//! Command-line interface: global flags and one argument struct per subcommand. Doc comments
//! here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::drift::Method;
use crate::report::FailOn;
use crate::stats::correction::Correction;

const EXIT_CODES: &str = "\
Exit codes:
  0  OK: ran, nothing to act on (WARN too, unless --fail-on warn)
  1  error: usage, unreadable or invalid input, I/O; no verdict, no report
  2  FAIL: action needed
  3  WARN, only with --fail-on warn";

#[derive(Debug, Parser)]
#[command(
    name = "refit",
    version,
    about = "Automate model retraining for batch ML pipelines",
    long_about = "Automate model retraining for batch ML pipelines.\n\n\
        Small subcommands read and write Parquet/CSV/NDJSON and JSON artifacts and signal their \
        verdict with an exit code, so cron, Kubernetes CronJobs, CI and shell can chain them.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output on stdout: a compact table, or the JSON report envelope.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the JSON report envelope to PATH (atomically).
    #[arg(long, global = true, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Write the run's figures in Prometheus text format to PATH (atomically), for
    /// node_exporter's textfile collector.
    #[arg(long, global = true, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// Also write the report as a self-contained HTML page to PATH (atomically).
    #[arg(long, global = true, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Print nothing on stdout and no progress on stderr; errors are still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Which verdicts exit non-zero: `fail` (FAIL exits 2) or `warn` (WARN exits 3 as well).
    #[arg(long, global = true, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Is today's data distributed like the baseline? PSI, KS, Wasserstein, JS, chi-square.
    #[command(after_help = DRIFT_CHECK_EXAMPLES)]
    DriftCheck(DriftCheckArgs),
    /// Write a baseline profile (quantile bins, category frequencies, null counts) that
    /// drift-check accepts as --baseline instead of the raw data.
    #[command(after_help = PROFILE_EXAMPLES)]
    Profile(ProfileArgs),
    /// Is the live model decaying? Join past predictions with outcomes that arrived later,
    /// compute its metrics and compare them with its baseline.
    #[command(after_help = SCORE_PROXY_EXAMPLES)]
    ScoreProxy(ScoreProxyArgs),
    /// Which entities are new, offline or gone since the model learnt its vocabulary, and what
    /// share of predictions hit unknown entities?
    #[command(after_help = FLEET_DIFF_EXAMPLES)]
    FleetDiff(FleetDiffArgs),
    /// Train a challenger on fresh data with a time-based holdout and write a model directory
    /// (model.json, metadata.json, holdout.parquet, profile.json).
    #[command(after_help = TRAIN_CANDIDATE_EXAMPLES)]
    TrainCandidate(TrainCandidateArgs),
    /// Score a data set with a model directory's model, vocabularies and feature order.
    #[command(after_help = PREDICT_EXAMPLES)]
    Predict(PredictArgs),
    /// Champion vs challenger on the same recent labelled rows: PASS only if the challenger is
    /// not worse, with the rule stated and the evidence (bootstrap, DeLong, McNemar) saved.
    #[command(after_help = SHADOW_TEST_EXAMPLES)]
    ShadowTest(ShadowTestArgs),
    /// Version a challenger in the registry and swap the live pointer atomically, if its
    /// shadow test passed; audited, pruned, serving notified.
    #[command(after_help = PROMOTE_EXAMPLES)]
    Promote(PromoteArgs),
    /// Point the live pointer back to the previous (or a named) version; audited.
    #[command(after_help = ROLLBACK_EXAMPLES)]
    Rollback(RollbackArgs),
    /// Inspect the registry: list versions, show one, verify (and repair) its invariants.
    Registry(RegistryArgs),
    /// Render JSON reports (files, or run folders of them) as one self-contained HTML page.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
}

const REPORT_EXAMPLES: &str = "\
Examples:
  refit report out/drift.json --out drift.html
  refit report runs/20261123T030000Z --out run.html     # every report of a run folder
  refit drift-check --baseline train.parquet --current today.parquet --html drift.html

The page has inline CSS and inline SVG charts, no scripts and no external requests: it opens
offline and can be attached to a ticket or kept as a CI artifact.";

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// JSON reports written by --report, or directories holding them.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

const PROMOTE_EXAMPLES: &str = "\
Examples:
  # after a passing shadow test; the first promotion into an empty registry needs no report
  refit promote --registry /srv/models --candidate candidates/2026-11-23 \\
      --shadow-report out/shadow.json --keep 10 --link --notify http://serving:8080/reload

  # an override, recorded in the audit log with its reason
  refit promote --registry /srv/models --candidate cand --force --reason 'hotfix for INC-123'

Layout: versions/v000001/ (immutable copies), current.json (what serving reads), aliases/NAME.json,
latest -> versions/vN (with --link), audit.jsonl, .lock. A refused promotion exits 2 and is
audited as `reject`; a failed --notify is WARN (the promotion stands).";

const ROLLBACK_EXAMPLES: &str = "\
Examples:
  refit rollback --registry /srv/models
  refit rollback --registry /srv/models --to 7 --reason 'v8 doubles the false positives'";

/// Where the registry lives and how long to wait for its lock.
#[derive(Debug, Clone, Args)]
pub struct RegistryLocation {
    /// Registry directory.
    #[arg(long, env = "REFIT_REGISTRY", value_name = "DIR")]
    pub registry: PathBuf,
    /// How long to wait for another refit holding the registry's lock (30s, 2m).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub wait: String,
}

#[derive(Debug, Clone, Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub location: RegistryLocation,
    /// The model directory to promote (from train-candidate).
    #[arg(long, value_name = "DIR")]
    pub candidate: PathBuf,
    /// shadow-test's JSON report for this candidate; must be PASS with its fingerprint.
    #[arg(long, value_name = "PATH")]
    pub shadow_report: Option<PathBuf>,
    /// Promote even without a passing report (needs --reason; audited as forced).
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why, for the audit log.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who, for the audit log. Default: $USER.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Move this alias (aliases/NAME.json) instead of current.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Also swap the `latest` symlink atomically, for serving code that watches a path.
    #[arg(long)]
    pub link: bool,
    /// Keep this many versions (never the current or previous one of any pointer).
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// POST {version, path, fingerprint} to this http:// URL after the swap.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,
    /// Per-attempt timeout of --notify.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub notify_timeout: String,
    /// Attempts of --notify.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub notify_attempts: u32,
    /// Say what would happen; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub location: RegistryLocation,
    /// The version to go back to (default: the pointer's previous one).
    #[arg(long, value_name = "N")]
    pub to: Option<String>,
    /// Move this alias instead of current.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Also swap the `latest` symlink.
    #[arg(long)]
    pub link: bool,
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub action: RegistryAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RegistryAction {
    /// Every version with its metrics, who promoted it and which pointers name it.
    List(RegistryLocation),
    /// One version (default: current) with its metadata and promotion record.
    Show {
        #[command(flatten)]
        location: RegistryLocation,
        #[arg(value_name = "VERSION")]
        version: Option<String>,
    },
    /// Check every invariant and repair what a crash left behind, saying what was done.
    Verify {
        #[command(flatten)]
        location: RegistryLocation,
        /// Only report; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

const SHADOW_TEST_EXAMPLES: &str = "\
Examples:
  # the registry's live model vs a fresh candidate on the latest 200 labelled rows
  refit shadow-test --champion /srv/models --challenger candidates/2026-11-23 \\
      --data recent.parquet --label churned --time event_time --last 200 --metric pr_auc

  # seed 002: promote if MAE is worse by at most 10%, and only on solid evidence
  refit shadow-test --champion models/current --challenger cand --data week.parquet \\
      --label kwh --time ts --since 2026-11-16 --metric mae --tolerance-rel 0.10 \\
      --bootstrap 2000 --require-significant

  # scores already in the data (external models), every device must be known to the challenger
  refit shadow-test --champion models/current --challenger cand --data scored.parquet \\
      --label churned --champion-scores old_score --challenger-scores new_score \\
      --entity device_id --min-coverage 1.0

Each model classifies with its own decision threshold (metadata.json; --threshold overrides).
Ties go to the challenger. Fewer rows than --min-samples is FAIL \"insufficient evidence\".
Without a champion (--no-champion, or a registry with no current version) the challenger is
judged against --min-metric floors only; floors apply with a champion too. PASS exits 0, FAIL
exits 2.";

const TRAIN_CANDIDATE_EXAMPLES: &str = "\
Examples:
  # gradient-boosted trees, the latest 20% of rows by event time held out
  refit train-candidate --data 'features/*.parquet' --target churned --time event_time \\
      --exclude customer_id --entity customer_id --id customer_id --out candidates/2026-11-23

  # logistic regression, threshold by Youden's J, see what would happen first
  refit train-candidate --data train.parquet --target churned --time ts --model linear \\
      --threshold-rule youden --out cand --dry-run

  # your own trainer; refit validates its directory and writes metadata.json/profile.json
  refit train-candidate --data train.parquet --target y --time ts --out cand \\
      --command 'python train_tft.py --data {data} --out {out}' --timeout 2h

The holdout is the latest --holdout share of rows by --time; rows sharing the cutoff
timestamp all go to the holdout. Fewer usable rows than --min-rows is WARN \"insufficient
data\" (exit 0, or 3 with --fail-on warn) and writes nothing. The model directory appears
atomically (built in a hidden temp directory beside --out, then renamed).
The Python package `forust` loads a GBM's model.json: GradientBooster.load_booster(path).";

const PREDICT_EXAMPLES: &str = "\
Examples:
  refit predict --model models/current --data today.parquet --id customer_id --out preds.parquet
  refit predict --model cand --data today.csv --out preds.csv --format json

Scores are probabilities for a binary model (column `score`), plus `prediction` (0/1 at the
model's decision threshold); values for regression. Categories the model never saw are
counted per feature in the report; fleet-diff reads the rate.";

const FLEET_DIFF_EXAMPLES: &str = "\
Examples:
  # servers in today's telemetry vs the vocabulary the live model learnt
  refit fleet-diff --data 'telemetry/*.parquet' --entity server_id --time timestamp \\
      --model models/current --min-coverage 1.0

  # vocabulary from a file, unknown-prediction rate from the predictions log, JSON for a scheduler
  refit fleet-diff --data telemetry.parquet --entity server_id --time ts \\
      --vocabulary known_servers.json --predictions predictions.parquet --format json

Fleet drift = (new + sunset) / vocabulary size, banded OK < 10% <= LOW < 20% <= MEDIUM <= 35% < HIGH.
Sunset entities are in the vocabulary but not seen within --sunset-after (never seen, or last
seen earlier). Coverage = share of active entities that the vocabulary knows.
Verdict: FAIL (exit 2) on HIGH drift, a critical unknown-prediction rate (> 15%) or coverage
below --min-coverage; WARN on LOW/MEDIUM drift or a warning rate (>= 5%).";

const SCORE_PROXY_EXAMPLES: &str = "\
Examples:
  # churn scores made on day D, judged by activity 30 days later (nearest outcome within 2 days)
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --prediction-time predicted_at --outcome-time observed_at --horizon 30d --tolerance 2d \\
      --label churned --baseline-metrics model/metadata.json --metric pr_auc --max-drop 0.1

  # label derived from outcome columns by a SQL expression
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --label-rule 'active_days_30d = 0' --score churn_score

  # regression, plain key join, relative MAE limit
  refit score-proxy --predictions preds.csv --outcomes actuals.csv --on site,day --task regression \\
      --score predicted_kwh --label kwh --baseline-metrics last.json --metric mae --max-drop-rel 0.1

The verdict is FAIL (exit 2) when the metric is worse than its baseline by more than the allowed
drop, WARN at half of it, and WARN (never a silent OK) with fewer than --min-samples matched rows.";

const DRIFT_CHECK_EXAMPLES: &str = "\
Examples:
  # PSI on every shared column, seed bands (WARN >= 0.1, FAIL >= 0.25)
  refit drift-check --baseline train.parquet --current 'today/*.parquet'

  # KS test per numeric feature, Benjamini-Hochberg over features, JSON report for the pipeline
  refit drift-check --baseline train.parquet --current today.csv --method ks --correction bh \\
      --report out/drift.json --metrics-file /var/lib/node_exporter/refit_drift.prom

  # against a profile made once by `refit profile`, failing on WARN too
  refit drift-check --baseline profile.json --current today.parquet --fail-on warn

Numeric features are binned on the baseline's quantiles (numpy's linear interpolation), with
the outer bins open to -inf/+inf so values beyond the baseline's range are counted (a plain
np.histogram drops them). Nulls, NaN and +/-inf are counted per side and left out of every
statistic. A constant baseline gets the bins <c, =c, >c. Jensen-Shannon is a distance in base 2.

Exit codes: 0 OK (and WARN unless --fail-on warn), 1 error, 2 FAIL, 3 WARN with --fail-on warn.";

const PROFILE_EXAMPLES: &str = "\
Examples:
  refit profile --data train.parquet --out model/profile.json
  refit drift-check --baseline model/profile.json --current today.parquet";

#[derive(Debug, Clone, Args)]
pub struct DriftCheckArgs {
    /// Baseline: a data file, a glob of shards (quote it), or a profile.json from `refit
    /// profile`. Repeat for several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub baseline: Vec<String>,
    /// Current data: a file or a glob of shards (quote it). Repeat for several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub current: Vec<String>,
    /// Features to compare (comma-separated). Default: every column both sides share.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns to leave out (ids, timestamps, labels).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these columns as categorical whatever their type (e.g. integer codes).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Number of baseline quantile bins for numeric features.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub buckets: u16,
    /// The statistic that decides each feature's verdict.
    #[arg(long, value_enum, default_value_t = Method::Psi)]
    pub method: Method,
    /// PSI at or above this is WARN.
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub warn_psi: f64,
    /// PSI at or above this is FAIL.
    #[arg(long, default_value_t = 0.25, value_name = "X")]
    pub fail_psi: f64,
    /// Jensen-Shannon distance (base 2) at or above this is WARN (--method js).
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub warn_js: f64,
    /// Jensen-Shannon distance (base 2) at or above this is FAIL (--method js).
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub fail_js: f64,
    /// Corrected p-value below this is WARN (--method ks|chi2).
    #[arg(long, default_value_t = 0.05, value_name = "P")]
    pub warn_p: f64,
    /// Corrected p-value below this is FAIL (--method ks|chi2).
    #[arg(long, default_value_t = 0.01, value_name = "P")]
    pub fail_p: f64,
    /// Wasserstein distance at or above this is WARN; in the feature's units, so no default
    /// (required with --method wasserstein unless every feature has one in --config).
    #[arg(long, value_name = "X")]
    pub warn_wasserstein: Option<f64>,
    /// Wasserstein distance at or above this is FAIL (see --warn-wasserstein).
    #[arg(long, value_name = "X")]
    pub fail_wasserstein: Option<f64>,
    /// Multiple-testing correction for p-value methods.
    #[arg(long, value_enum, default_value_t = Correction::Bonferroni)]
    pub correction: Correction,
    /// The dataset FAILs when at least this share (0-1] of features FAIL. Default: any feature.
    #[arg(long, value_name = "SHARE")]
    pub fail_share: Option<f64>,
    /// TOML file with per-feature thresholds and overrides ([features.NAME] warn/fail/
    /// categorical/exclude).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// Data to profile: a file or a glob of shards (quote it). Repeat for several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Where to write the profile JSON.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Features to profile (comma-separated). Default: every comparable column.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns to leave out.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these columns as categorical whatever their type.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Number of quantile bins for numeric features.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub buckets: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Binary,
    Regression,
}

#[derive(Debug, Clone, Args)]
pub struct ScoreProxyArgs {
    /// Past predictions: key column(s), a score column and, for a horizon join, a time column.
    #[arg(long, required = true, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Outcomes that arrived later: key column(s), the label and, for a horizon join, a time.
    #[arg(long, required = true, value_name = "PATH")]
    pub outcomes: Vec<String>,
    /// Join key column(s), present on both sides (comma-separated).
    #[arg(long, required = true, value_delimiter = ',', value_name = "KEYS")]
    pub on: Vec<String>,
    /// Score column in the predictions (a probability for --task binary).
    #[arg(long, default_value = "score", value_name = "COL")]
    pub score: String,
    /// Label column in the outcomes: boolean or 0/1 (binary), numbers (regression).
    #[arg(
        long,
        value_name = "COL",
        required_unless_present = "label_rule",
        conflicts_with = "label_rule"
    )]
    pub label: Option<String>,
    /// Binary label derived from the outcome columns by a SQL expression evaluated by Polars,
    /// e.g. "active_days_30d = 0"; it must yield booleans.
    #[arg(long, value_name = "EXPR")]
    pub label_rule: Option<String>,
    /// binary (probability scores, 0/1 labels) or regression.
    #[arg(long, value_enum, default_value_t = Task::Binary)]
    pub task: Task,
    /// Time column in the predictions (needed with --horizon).
    #[arg(long, value_name = "COL")]
    pub prediction_time: Option<String>,
    /// Time column in the outcomes (needed with --horizon).
    #[arg(long, value_name = "COL")]
    pub outcome_time: Option<String>,
    /// Pair each prediction with the outcome of its key at prediction time + HORIZON (30d, 24h).
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// Accept the nearest outcome at or after prediction time + horizon, up to this much later.
    /// Default 0: the outcome time must match exactly.
    #[arg(long, default_value = "0", value_name = "DURATION")]
    pub tolerance: String,
    /// Decision threshold for accuracy/precision/recall/F1 (score >= threshold is positive).
    /// Default: the model's own from --model DIR's metadata.json, else 0.5.
    #[arg(long, value_name = "X")]
    pub threshold: Option<f64>,
    /// Model directory whose metadata.json supplies the decision threshold.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Metrics JSON to compare with: a flat object, a model's metadata.json (holdout_metrics)
    /// or an earlier score-proxy report.
    #[arg(long, value_name = "PATH")]
    pub baseline_metrics: Option<PathBuf>,
    /// Metric that decides the verdict. Default: pr_auc (binary), mae (regression).
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// Largest allowed drop of the metric, in its units (FAIL beyond, WARN beyond half).
    #[arg(long, value_name = "X", conflicts_with = "max_drop_rel")]
    pub max_drop: Option<f64>,
    /// Largest allowed drop relative to the baseline value (0.1 = 10%).
    #[arg(long, value_name = "X")]
    pub max_drop_rel: Option<f64>,
    /// Fewer matched rows than this is WARN "insufficient data".
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_samples: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Gradient-boosted trees (forust-ml).
    Gbm,
    /// Logistic (binary) or ridge (regression) regression.
    Linear,
}

#[derive(Debug, Clone, Args)]
pub struct TrainCandidateArgs {
    /// Training data: a file or a quoted glob of shards; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Target column: boolean or 0/1 (binary), numbers (regression).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// Inferred from the target when unambiguous (boolean or only 0/1 values: binary).
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Time column that orders rows for the holdout (date, datetime or ISO 8601 text).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Feature columns (comma-separated). Default: every column but the target, the time,
    /// --id and --exclude columns.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns that are not features (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these numeric columns as categories (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Row id columns copied into holdout.parquet (comma-separated); not features.
    #[arg(long = "id", value_delimiter = ',', value_name = "COLS")]
    pub ids: Vec<String>,
    /// Entity column (server, device, user) whose vocabulary metadata.json records for
    /// fleet-diff, whether or not it is a feature.
    #[arg(long, value_name = "COL")]
    pub entity: Option<String>,
    /// Share of the latest rows held out for evaluation.
    #[arg(long, default_value_t = 0.2, value_name = "FRACTION")]
    pub holdout: f64,
    /// The model directory to create.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace --out if it exists (the old directory is removed only after the new one is in).
    #[arg(long)]
    pub force: bool,
    /// Fewer usable rows than this: WARN "insufficient data", nothing written.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub min_rows: usize,
    #[arg(long, value_enum, default_value_t = ModelKind::Gbm)]
    pub model: ModelKind,
    /// Seed for every random choice of the trainer.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// GBM: boosting rounds.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub iterations: usize,
    /// GBM: step size (LightGBM's default; forust's own is 0.3).
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub learning_rate: f64,
    /// GBM: maximum tree depth (XGBoost's default; measured best for time and ROC-AUC, see README).
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub max_depth: usize,
    /// Linear: L2 penalty on the standardised coefficients (scikit-learn's 1/C or alpha).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub l2: f64,
    /// Binary: how the decision threshold is chosen on the holdout: f1, youden or fixed:X.
    #[arg(long, default_value = "f1", value_name = "RULE")]
    pub threshold_rule: String,
    /// Drop rows whose target is null instead of failing.
    #[arg(long)]
    pub drop_null_target: bool,
    /// Train with your own command instead; {data} (each input file), {out}, {target}, {time},
    /// {holdout} and {cutoff} are replaced (shell-quoted). It must leave model files and
    /// holdout.parquet (the time column, label, score) in {out}, holding out exactly the rows
    /// at or after {cutoff}.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Kill the external command after this long (30m, 2h).
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub timeout: String,
    /// Check the inputs and print what would be trained; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// Model directory written by train-candidate.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Data to score: a file or a quoted glob of shards; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Predictions file to write (.parquet or .csv), atomically.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Columns copied from the data into the output (comma-separated).
    #[arg(long = "id", value_delimiter = ',', value_name = "COLS")]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ShadowTestArgs {
    /// The live model: a model directory, or a registry whose current version is used.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "no_champion",
        conflicts_with = "no_champion"
    )]
    pub champion: Option<PathBuf>,
    /// There is no live model yet: judge the challenger against --min-metric floors only.
    #[arg(long)]
    pub no_champion: bool,
    /// The candidate's model directory (from train-candidate).
    #[arg(long, value_name = "DIR")]
    pub challenger: PathBuf,
    /// Recent labelled data: a file or a quoted glob of shards; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Label column: boolean or 0/1 (binary), numbers (regression).
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Time column for --last and --since.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Use only the N most recent rows by --time.
    #[arg(long, value_name = "N", requires = "time")]
    pub last: Option<usize>,
    /// Use only rows at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", requires = "time")]
    pub since: Option<String>,
    /// Column holding the champion's scores, instead of scoring with refit (external models).
    #[arg(long, value_name = "COL")]
    pub champion_scores: Option<String>,
    /// Column holding the challenger's scores, instead of scoring with refit.
    #[arg(long, value_name = "COL")]
    pub challenger_scores: Option<String>,
    /// Decision threshold for both models, instead of each model's own.
    #[arg(long, value_name = "X")]
    pub threshold: Option<f64>,
    /// The deciding metric: pr_auc, roc_auc, log_loss, brier, f1, accuracy, precision, recall
    /// (binary); mae, rmse, r2 (regression). Default: pr_auc or mae.
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// How much worse than the champion the challenger may be, in the metric's units.
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    pub tolerance: f64,
    /// ... or as a share of the champion's value (0.10 = 10%).
    #[arg(long, value_name = "X")]
    pub tolerance_rel: Option<f64>,
    /// Paired bootstrap resamples for the 95% interval of the difference (0 = none).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// PASS also needs the bootstrap interval of the improvement above minus the margin.
    #[arg(long)]
    pub require_significant: bool,
    /// Fewer rows than this is FAIL "insufficient evidence".
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_samples: usize,
    /// Entity column whose values must be in the challenger's vocabulary (see --min-coverage).
    #[arg(long, value_name = "COL")]
    pub entity: Option<String>,
    /// Least share of the data's entities the challenger must know (1.0 = all).
    #[arg(long, value_name = "SHARE", requires = "entity")]
    pub min_coverage: Option<f64>,
    /// Floors the challenger must meet, with or without a champion, e.g. pr_auc=0.4
    /// (repeatable; "at least as good as" in the metric's direction).
    #[arg(long, value_name = "NAME=VALUE")]
    pub min_metric: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct FleetDiffArgs {
    /// Current activity data (a file or a quoted glob of shards; repeat for several).
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Entity id column (server, device, store, user).
    #[arg(long, value_name = "COL")]
    pub entity: String,
    /// Timestamp column of the activity data.
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Model directory whose metadata.json holds `vocabularies.<entity>`.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "vocabulary",
        conflicts_with = "vocabulary"
    )]
    pub model: Option<PathBuf>,
    /// Vocabulary file: a JSON list, or a CSV/Parquet with the entity column (or one column).
    #[arg(long, value_name = "PATH")]
    pub vocabulary: Option<String>,
    /// Reference time (RFC 3339). Default: the latest timestamp in the data, so reruns agree.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// An entity silent for longer than this is offline.
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub offline_after: String,
    /// An entity silent for longer than this is a sunset candidate.
    #[arg(long, default_value = "7d", value_name = "DURATION")]
    pub sunset_candidate_after: String,
    /// An entity silent for longer than this is sunset (confirmed).
    #[arg(long, default_value = "30d", value_name = "DURATION")]
    pub sunset_after: String,
    /// Lower bounds of the LOW, MEDIUM and HIGH fleet-drift bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.10, 0.20, 0.35], value_name = "L,M,H")]
    pub drift_bands: Vec<f64>,
    /// Predictions log with the entity column: measures the unknown-prediction rate.
    #[arg(long, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Entity column in the predictions log (default: --entity).
    #[arg(long, value_name = "COL")]
    pub predictions_entity: Option<String>,
    /// Lower bounds of the warning and critical unknown-prediction bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.15], value_name = "W,C")]
    pub unknown_bands: Vec<f64>,
    /// FAIL when the share of active entities in the vocabulary is below this (e.g. 1.0).
    #[arg(long, value_name = "SHARE")]
    pub min_coverage: Option<f64>,
    /// How many entities the text table lists (the JSON report lists all).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}
