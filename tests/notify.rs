//! Notify end to end: `refit notify` against a real HTTPS server on loopback whose certificate a
//! CA made in the test signed (trusted with --notify-ca, refused without it or for another
//! host name), the Slack-compatible body, rollback --notify, and the live model's gauges that
//! promote and rollback write whatever their outcome.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{run, run_json, Workdir};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::Value;

/// Request bodies a test server received, in order.
type Bodies = Arc<Mutex<Vec<String>>>;

/// A CA made for one test, and a server certificate it signed for `names`.
struct Pki {
    ca_pem: String,
    server: Arc<ServerConfig>,
}

fn pki(names: &[&str]) -> Pki {
    let common::TestPki {
        ca_pem,
        server_cert: cert,
        server_key: key,
    } = common::test_pki(names);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    Pki {
        ca_pem,
        server: Arc::new(server),
    }
}

/// Reads one request (headers, then Content-Length bytes) and answers `status`; returns the
/// body, or None when the client went away first (a refused certificate).
fn serve_one(stream: &mut (impl Read + Write), status: u16) -> Option<String> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let body = loop {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_string();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |v| v.trim().parse().unwrap());
        if request.len() >= end + 4 + length {
            break text[end + 4..end + 4 + length].to_string();
        }
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.flush();
    Some(body)
}

/// A server on loopback answering `status`, over TLS with `tls`; returns its address
/// (127.0.0.1:PORT) and the bodies it receives.
fn server(tls: Option<Arc<ServerConfig>>, status: u16) -> (String, Bodies) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let bodies = Bodies::default();
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream: TcpStream = stream.unwrap();
            let body = match &tls {
                None => serve_one(&mut { stream }, status),
                Some(config) => {
                    let connection = ServerConnection::new(config.clone()).unwrap();
                    let mut stream = StreamOwned::new(connection, stream);
                    let body = serve_one(&mut stream, status);
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                    body
                }
            };
            seen.lock().unwrap().extend(body);
        }
    });
    (address, bodies)
}

/// A port nothing listens on.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/reload", listener.local_addr().unwrap())
}

fn body(bodies: &Bodies, at: usize) -> Value {
    serde_json::from_str(&bodies.lock().unwrap()[at]).unwrap()
}

fn notify_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "notify",
        "--notify",
        url,
        "--event",
        "triggered",
        "--message",
        "drift FAIL on 3 features",
        "--field",
        "reason=drift",
        "--field",
        "report=out/drift.json",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn https_with_a_private_ca_delivers_the_event() {
    let w = Workdir::new();
    let pki = pki(&["localhost", "127.0.0.1"]);
    std::fs::write(w.path("ca.pem"), &pki.ca_pem).unwrap();
    let (address, bodies) = server(Some(pki.server), 200);
    let url = format!("https://{address}/hook");
    let ca = w.path("ca.pem");
    let (code, report, stderr) = run_json(&notify_args(&url, &["--notify-ca", &ca]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["status"], "OK");
    assert_eq!(report["result"]["notify"]["status"], 200);
    assert_eq!(report["params"]["notify_ca"], ca.as_str());
    let sent = body(&bodies, 0);
    assert_eq!(sent["event"], "triggered");
    assert_eq!(sent["message"], "drift FAIL on 3 features");
    assert_eq!(sent["fields"]["reason"], "drift");
    assert_eq!(sent["fields"]["report"], "out/drift.json");
    assert_eq!(report["result"]["payload"], sent);

    // A host name (sent as SNI and verified) works like the address.
    let port = address.rsplit(':').next().unwrap();
    let by_name = format!("https://localhost:{port}/hook");
    let (code, _, stderr) = run(&notify_args(&by_name, &["--notify-ca", &ca]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(bodies.lock().unwrap().len(), 2);
}

#[test]
fn without_the_private_ca_certificate_verification_fails_with_exit_1() {
    let pki = pki(&["127.0.0.1"]);
    let (address, bodies) = server(Some(pki.server), 200);
    let url = format!("https://{address}/hook");
    let (code, stdout, stderr) = run(&notify_args(&url, &[]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("certificate verification failed") && stderr.contains("--notify-ca"),
        "{stderr}"
    );
    assert!(
        stderr.contains("attempt 1 of 3 (not retried)"),
        "a certificate that fails verification is not retried: {stderr}"
    );
    assert!(bodies.lock().unwrap().is_empty());
}

#[test]
fn a_certificate_for_another_host_name_is_refused() {
    let w = Workdir::new();
    let pki = pki(&["serving.example"]);
    std::fs::write(w.path("ca.pem"), &pki.ca_pem).unwrap();
    let (address, bodies) = server(Some(pki.server), 200);
    let port = address.rsplit(':').next().unwrap();
    for url in [
        format!("https://localhost:{port}/hook"),
        format!("https://{address}/hook"),
    ] {
        let (code, _, stderr) = run(&notify_args(&url, &["--notify-ca", &w.path("ca.pem")]));
        assert_eq!(code, 1, "{url}: {stderr}");
        assert!(
            stderr.contains("certificate verification failed")
                && stderr.contains("not valid for name"),
            "{url}: {stderr}"
        );
    }
    assert!(bodies.lock().unwrap().is_empty());
}

#[test]
fn slack_format_posts_one_text_line() {
    let w = Workdir::new();
    let pki = pki(&["127.0.0.1"]);
    std::fs::write(w.path("ca.pem"), &pki.ca_pem).unwrap();
    let (address, bodies) = server(Some(pki.server), 200);
    let url = format!("https://{address}/services/T0/B0/x");
    let extra = ["--notify-ca", &w.path("ca.pem"), "--notify-format", "slack"];
    let (code, _, stderr) = run(&notify_args(&url, &extra));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        body(&bodies, 0),
        serde_json::json!({
            "text": "refit triggered: drift FAIL on 3 features (reason=drift, report=out/drift.json)"
        })
    );
}

#[test]
fn an_endpoint_that_does_not_answer_2xx_is_exit_1_after_every_attempt() {
    let (address, bodies) = server(None, 503);
    let url = format!("http://{address}/hook");
    let (code, _, stderr) = run(&notify_args(&url, &["--notify-attempts", "2"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("attempt 2 of 2"),
        "{stderr}"
    );
    assert_eq!(bodies.lock().unwrap().len(), 2, "retried");

    let (address, bodies) = server(None, 302);
    let url = format!("http://{address}/hook");
    let (code, _, stderr) = run(&notify_args(&url, &["--notify-attempts", "1"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("redirects are not followed"), "{stderr}");
    assert_eq!(bodies.lock().unwrap().len(), 1, "not followed");
}

#[test]
fn bad_notify_input_is_exit_1_before_anything_is_sent() {
    let w = Workdir::new();
    std::fs::write(w.path("empty.pem"), "no certificate here\n").unwrap();
    let (address, bodies) = server(None, 200);
    let http = format!("http://{address}/hook");
    let https = format!("https://{address}/hook");
    for (args, expected) in [
        (
            notify_args(&https, &["--notify-ca", &w.path("empty.pem")]),
            "holds no certificate",
        ),
        (
            notify_args(&https, &["--notify-ca", &w.path("missing.pem")]),
            "missing.pem: cannot read",
        ),
        (
            notify_args(&http, &["--notify-ca", &w.path("empty.pem")]),
            "https:// URLs only",
        ),
        (
            notify_args(&http, &["--field", "reason=again"]),
            "`reason` is given twice",
        ),
        (
            notify_args(&http, &["--notify-format", "xml"]),
            "--notify-format",
        ),
        (notify_args(&http, &["--field", "no-value"]), "--field"),
        (
            notify_args("https://user:pw@hooks.example/", &[]),
            "credentials",
        ),
    ] {
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = run(&["notify", "--event", "e", "--message", "m"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--notify <URL>"), "{stderr}");
    assert!(bodies.lock().unwrap().is_empty());
}

#[test]
fn notify_help_is_snapshotted() {
    let (code, stdout, _) = run(&["notify", "--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("refit-notify", stdout);
}

/// A registry with version 1 (weak, bootstrapped) and version 2 (strong, forced) live.
struct Promoted {
    _tmp: tempfile::TempDir,
    registry: String,
    strong: String,
}

fn promoted_twice() -> Promoted {
    let tmp = tempfile::tempdir().unwrap();
    let train =
        |name: &str, features: &str| common::train_linear_churn(&tmp.path().join(name), features);
    let weak = train("weak", "tenure_months");
    let strong = train("strong", "tenure_months,monthly_usage,support_calls");
    let registry = tmp.path().join("models").display().to_string();
    let promote = |candidate: &str, extra: &[&str]| {
        let args = [
            &["promote", "--registry", &registry, "--candidate", candidate][..],
            extra,
        ];
        let (code, _, stderr) = run(&args.concat());
        assert_eq!(code, 0, "{stderr}");
    };
    promote(&weak, &[]);
    promote(&strong, &["--force", "--reason", "test"]);
    Promoted {
        _tmp: tmp,
        registry,
        strong,
    }
}

fn current_version(registry: &str) -> u64 {
    let text = std::fs::read_to_string(Path::new(registry).join("current.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["version"]
        .as_u64()
        .unwrap()
}

fn fingerprint(registry: &str, version: &str) -> Value {
    let path = Path::new(registry).join("versions").join(version);
    let text = std::fs::read_to_string(path.join("promotion.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["fingerprint"].clone()
}

#[test]
fn rollback_notifies_the_serving_side_with_from_and_to() {
    let p = promoted_twice();
    let (address, bodies) = server(None, 200);
    let url = format!("http://{address}/reload");
    let rollback = ["rollback", "--registry", &p.registry, "--notify", &url];
    let (code, report, stderr) = run_json(&[&rollback[..], &["--dry-run"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["result"]["notify"], Value::Null);
    assert!(bodies.lock().unwrap().is_empty(), "a dry run sends nothing");

    let (code, report, stderr) = run_json(&rollback);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["status"], "OK");
    assert_eq!(report["result"]["notify"]["status"], 200);
    let sent = body(&bodies, 0);
    assert_eq!(sent["event"], "rollback");
    assert_eq!(
        (sent["from"].clone(), sent["to"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(sent["version"], 1);
    assert_eq!(sent["pointer"], "current");
    assert!(sent["path"].as_str().unwrap().ends_with("versions/v000001"));
    assert_eq!(sent["fingerprint"], fingerprint(&p.registry, "v000001"));
    assert_eq!(current_version(&p.registry), 1);
}

#[test]
fn a_dead_endpoint_makes_rollback_warn_and_the_rollback_stands() {
    let p = promoted_twice();
    let dead = dead_url();
    let rollback = [
        "rollback",
        "--registry",
        &p.registry,
        "--notify",
        &dead,
        "--notify-attempts",
        "1",
    ];
    let (code, report, stderr) = run_json(&rollback);
    assert_eq!(code, 0, "WARN exits 0 unless --fail-on warn: {stderr}");
    assert_eq!(report["status"], "WARN");
    assert!(report["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("rolled back, but the serving side was not notified"));
    assert!(report["result"]["notify"]["error"].as_str().is_some());
    assert_eq!(current_version(&p.registry), 1, "the rollback stands");
    // Back to 2 (the previous of the rollback), now with --fail-on warn: 3, and it stands.
    let (code, _, stderr) = run(&[&rollback[..], &["--fail-on", "warn"]].concat());
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(current_version(&p.registry), 2);
}

#[test]
fn promote_tells_serving_the_event_and_where_it_came_from() {
    let p = promoted_twice();
    let (address, bodies) = server(None, 200);
    let url = format!("http://{address}/reload");
    let (code, report, stderr) = run_json(&[
        "promote",
        "--registry",
        &p.registry,
        "--candidate",
        &p.strong,
        "--force",
        "--reason",
        "again",
        "--notify",
        &url,
        "--notify-format",
        "slack",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["params"]["notify_format"], "slack");
    let text = body(&bodies, 0)["text"].as_str().unwrap().to_string();
    assert!(
        text.starts_with("refit promote: version 3 is live as current (current was version 2;"),
        "{text}"
    );
}

fn gauge(metrics: &str, sample: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {sample} in:\n{metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn a_rejected_promote_still_writes_the_live_models_gauges() {
    let p = promoted_twice();
    let w = Workdir::new();
    let metrics = w.path("promote.prom");
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &p.registry,
        "--candidate",
        &p.strong,
        "--metrics-file",
        &metrics,
    ]);
    assert_eq!(code, 2, "no --shadow-report: rejected. {stderr}");
    let text = w.read("promote.prom");
    assert_eq!(gauge(&text, "refit_status{command=\"promote\"}"), 2.0);
    assert_eq!(
        gauge(&text, "refit_registry_current_version{pointer=\"current\"}"),
        2.0
    );
    let now = chrono::Utc::now().timestamp() as f64;
    let promoted = gauge(
        &text,
        "refit_registry_promoted_timestamp_seconds{pointer=\"current\"}",
    );
    let trained = gauge(
        &text,
        "refit_registry_trained_timestamp_seconds{pointer=\"current\"}",
    );
    let age = gauge(&text, "refit_model_age_seconds{pointer=\"current\"}");
    assert!(trained <= promoted && promoted <= now + 1.0, "{text}");
    assert!((0.0..600.0).contains(&age), "{text}");
    assert!((now - trained - age).abs() < 60.0, "{text}");

    // Rollback writes the same gauges for the version it made live.
    let (code, _, stderr) = run(&[
        "rollback",
        "--registry",
        &p.registry,
        "--metrics-file",
        &metrics,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = w.read("promote.prom");
    assert_eq!(
        gauge(&text, "refit_registry_current_version{pointer=\"current\"}"),
        1.0
    );
    gauge(&text, "refit_model_age_seconds{pointer=\"current\"}");
}

#[test]
fn before_the_first_promotion_there_is_no_live_model_series() {
    let w = Workdir::new();
    let candidate = common::train_linear_churn(Path::new(&w.path("cand")), "tenure_months");
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &w.path("models"),
        "--candidate",
        &candidate,
        "--dry-run",
        "--metrics-file",
        &w.path("dry.prom"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = w.read("dry.prom");
    assert!(
        text.contains("refit_status{command=\"promote\"} 0"),
        "{text}"
    );
    assert!(!text.contains("refit_model_age_seconds"), "{text}");
    assert!(!text.contains("refit_registry_current_version"), "{text}");
}
