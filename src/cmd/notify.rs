//! `refit notify`: send one event of the retrain loop (a retrain triggered, a challenger
//! rejected, a version promoted, a step that failed) to a webhook, as its JSON object or as one
//! Slack-compatible line, over HTTP or HTTPS. Delivered is exit 0; not delivered is an I/O
//! error, exit 1.

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::args::NotifyOptions;
use crate::registry::notify::Payload;
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  # what the retrain loop sends when a retrain is triggered
  refit notify --notify https://hooks.example.com/refit --event triggered \\
      --message 'drift FAIL on 3 features' --field reason=drift --field report=out/drift.json

  # a Slack incoming webhook
  refit notify --notify https://hooks.slack.com/services/T0/B0/XXXX --notify-format slack \\
      --event rejected --message 'the challenger is worse than version 7'

  # an endpoint whose certificate a private CA signed
  refit notify --notify https://alerts.internal:8443/hook --notify-ca /etc/ssl/internal-ca.pem \\
      --event error --message 'train-candidate failed' --field step=train-candidate

Body: {\"event\": NAME, \"message\": TEXT, \"fields\": {KEY: VALUE}}, or with --notify-format
slack {\"text\": \"refit NAME: TEXT (KEY=VALUE, ...)\"}. Exit 0 when the webhook answered 2xx;
exit 1 when it could not be delivered in --notify-attempts tries (redirects are not followed).";

#[derive(Debug, Clone, Args, Serialize)]
#[command(mut_arg("notify", |arg| arg.required(true)))]
pub struct NotifyArgs {
    /// What happened, as a short name (triggered, rejected, promoted, error): 1-64 of
    /// a-z, A-Z, 0-9, -, _ and `.`.
    #[arg(long, value_name = "NAME", value_parser = event_name)]
    pub event: String,
    /// One line for people: what happened and why.
    #[arg(long, value_name = "TEXT", value_parser = message)]
    pub message: String,
    /// A detail as KEY=VALUE, repeatable (a reason, a report path, a version); KEY is 1-64 of
    /// a-z, A-Z, 0-9, -, _ and `.`, each at most once.
    #[arg(long = "field", value_name = "KEY=VALUE", value_parser = field)]
    pub fields: Vec<String>,
    #[command(flatten)]
    #[serde(flatten)]
    pub notify: NotifyOptions,
}

impl NotifyArgs {
    /// The fields as (key, value), in the order given; a key given twice is an error.
    fn fields(&self) -> Result<Vec<(String, String)>> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for text in &self.fields {
            let Some((key, value)) = text.split_once('=') else {
                bail!("--field `{text}`: expected KEY=VALUE");
            };
            if fields.iter().any(|(k, _)| k == key) {
                bail!("--field `{key}` is given twice; give each key once");
            }
            fields.push((key.to_string(), value.to_string()));
        }
        Ok(fields)
    }
}

fn short_name(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// --event: a short name a receiver can route on.
fn event_name(text: &str) -> Result<String, String> {
    if short_name(text) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not an event name (1-64 of a-z, A-Z, 0-9, -, _ and .)"
        ))
    }
}

/// --message: some text.
fn message(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("the message is empty".to_string())
    } else {
        Ok(text.to_string())
    }
}

/// --field: KEY=VALUE with a short key, kept as written for the report.
fn field(text: &str) -> Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if short_name(key) => Ok(text.to_string()),
        Some((key, _)) => Err(format!(
            "`{key}` is not a field name (1-64 of a-z, A-Z, 0-9, -, _ and .)"
        )),
        None => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

pub fn run(args: &NotifyArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let fields = args.fields()?;
    let notifier = args
        .notify
        .notifier()?
        .context("--notify URL is required: where to send the event")?;
    let payload = Payload::event(&args.event, &args.message, &fields);
    let status = notifier.send(&payload)?;
    let text = format!(
        "notify OK: {} delivered to {} (HTTP {status})\n",
        args.event,
        notifier.endpoint()
    );
    let result = json!({
        "notify": { "url": notifier.endpoint(), "status": status },
        "format": args.notify.notify_format,
        "payload": payload.json(),
    });
    Ok(CommandReport::new(
        "notify",
        started_at,
        Status::Ok,
        result,
        text,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fields_are_checked_where_they_are_parsed() {
        assert!(event_name("triggered").is_ok());
        assert!(event_name("retrain.error_2").is_ok());
        for bad in ["", "two words", "a\nb", &"x".repeat(65)] {
            assert!(event_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(field("report=a=b.json"), Ok("report=a=b.json".into()));
        assert!(field("no-equals").is_err());
        assert!(field("=value").is_err());
        assert!(field("bad key=v").is_err());
        assert!(message(" ").is_err());
    }

    #[test]
    fn fields_keep_their_order_and_a_key_is_given_once() {
        let args = |fields: &[&str]| NotifyArgs {
            notify: NotifyOptions {
                notify: None,
                notify_ca: None,
                notify_format: Default::default(),
                notify_timeout: super::super::args::duration("5s").unwrap(),
                notify_attempts: 1,
            },
            event: "e".into(),
            message: "m".into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        };
        let fields = args(&["z=1", "a=x=y"]).fields().unwrap();
        assert_eq!(
            fields,
            vec![("z".into(), "1".into()), ("a".into(), "x=y".into())]
        );
        let err = args(&["k=1", "k=2"]).fields().unwrap_err().to_string();
        assert!(err.contains("`k` is given twice"), "{err}");
    }
}
