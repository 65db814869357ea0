//! Telling another service what happened (a serving side's reload endpoint, a chat webhook): a
//! small POST over refit's own HTTP/1.1 code, plain or inside TLS (rustls with ring; Mozilla's
//! roots from webpki-roots, or a private CA given as a PEM bundle). One timeout bounds each
//! whole attempt, attempts are retried with a doubling pause, and the answer must be 2xx:
//! redirects are not followed. A failed notify never undoes a promotion, so the URL is checked
//! when the flag is parsed and the trust store is loaded before anything changes.

use std::fmt::Write as _;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::data::file_kind::describe;

/// The longest pause between two attempts: the doubling backoff stops growing here.
const MAX_PAUSE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A webhook, `http[s]://host[:port][/path]`, as the user wrote it and as it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    scheme: Scheme,
    /// As written in the URL (an IPv6 address keeps its brackets), for the Host header.
    host: String,
    port: u16,
    path: String,
}

impl Endpoint {
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host without the brackets of an IPv6 address: what is resolved and verified.
    fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(url: &str) -> Result<Endpoint, String> {
        parse_url(url).map_err(|e| format!("{e:#}"))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url)
    }
}

fn parse_url(url: &str) -> Result<Endpoint> {
    let (scheme, rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest, 443)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest, 80)
    } else {
        bail!("`{url}`: only http:// and https:// URLs are supported");
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    // A fragment is never sent; a bare query still needs a path.
    let tail = tail.split('#').next().unwrap_or_default();
    let path = match tail {
        "" => "/".to_string(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_string(),
    };
    if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        bail!("`{url}`: the path holds spaces or control characters; percent-encode them");
    }
    let (host, port) = split_authority(url, authority, default_port)?;
    Ok(Endpoint {
        url: url.to_string(),
        scheme,
        host: host.to_string(),
        port,
        path,
    })
}

/// `host`, `host:port` or `[v6]:port`; the host is a name or an address, the port 1-65535.
fn split_authority<'a>(url: &str, authority: &'a str, default_port: u16) -> Result<(&'a str, u16)> {
    if authority.contains('@') {
        bail!("`{url}`: credentials in the URL are not supported");
    }
    let port_at = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => Some(i),
        _ => None,
    };
    let port = match port_at {
        Some(i) => {
            let text = &authority[i + 1..];
            match text.parse::<u16>() {
                Ok(p) if p > 0 && text.bytes().all(|b| b.is_ascii_digit()) => p,
                _ => bail!("`{url}`: bad port `{text}` (expected 1-65535)"),
            }
        }
        None => default_port,
    };
    let host = port_at.map_or(authority, |i| &authority[..i]);
    let name_ok = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    };
    let bracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    if !bracketed && !name_ok(host) {
        bail!("`{url}`: no valid host (expected a name, an IPv4 address or [IPv6])");
    }
    Ok((host, port))
}

/// What the POST body looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadFormat {
    /// The event's own JSON object.
    #[default]
    Json,
    /// `{"text": one human line}`, what Slack-compatible incoming webhooks take.
    Slack,
}

impl FromStr for PayloadFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<PayloadFormat, String> {
        match text {
            "json" => Ok(PayloadFormat::Json),
            "slack" => Ok(PayloadFormat::Slack),
            other => Err(format!(
                "unknown notify format `{other}`: expected json or slack"
            )),
        }
    }
}

/// One event, computed once and written as either body: its JSON object and its human line.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    json: Value,
    line: String,
}

/// A pointer that moved (promote, bootstrap, rollback), for the serving side to reload.
#[derive(Debug, Clone)]
pub struct PointerMove<'a> {
    /// `promote`, `bootstrap` or `rollback`.
    pub event: &'a str,
    /// `current` or an alias name.
    pub pointer: &'a str,
    pub from: Option<u32>,
    pub to: u32,
    /// The version's directory, as serving should load it.
    pub path: &'a Path,
    pub fingerprint: Option<&'a str>,
}

impl Payload {
    /// `{"event", "message", "fields": {...}}`; the line is `refit EVENT: MESSAGE (k=v, ...)`,
    /// with the fields in the order given.
    pub fn event(event: &str, message: &str, fields: &[(String, String)]) -> Payload {
        let object: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut line = format!("refit {event}: {message}");
        if !fields.is_empty() {
            let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(line, " ({})", pairs.join(", "));
        }
        Payload {
            json: json!({ "event": event, "message": message, "fields": object }),
            line,
        }
    }

    /// `{"event", "version", "from", "to", "path", "fingerprint", "pointer"}`; `version` and
    /// `to` are the version now live.
    pub fn pointer_moved(moved: &PointerMove<'_>) -> Payload {
        let PointerMove {
            event,
            pointer,
            from,
            to,
            path,
            fingerprint,
        } = moved;
        let was = match (event, from) {
            (&"rollback", Some(from)) => format!("{pointer} rolled back from version {from}"),
            (_, Some(from)) => format!("{pointer} was version {from}"),
            (_, None) => format!("{pointer} had no version"),
        };
        let short: String = fingerprint.unwrap_or("unknown").chars().take(12).collect();
        Payload {
            json: json!({
                "event": event,
                "version": to,
                "from": from,
                "to": to,
                "path": path,
                "fingerprint": fingerprint,
                "pointer": pointer,
            }),
            line: format!(
                "refit {event}: version {to} is live as {pointer} ({was}; fingerprint {short})"
            ),
        }
    }

    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The POST body in `format`.
    pub fn body(&self, format: PayloadFormat) -> String {
        match format {
            PayloadFormat::Json => self.json.to_string(),
            PayloadFormat::Slack => json!({ "text": slack_escape(&self.line) }).to_string(),
        }
    }
}

/// Slack reads `<...>` as links and mentions (`<!channel>`) and `&` as an entity; its docs ask
/// for these three escaped in text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The trust store of an https endpoint: Mozilla's roots, or only the CAs in `ca` (a PEM
/// bundle), like curl's --cacert.
fn tls_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certificates = read_ca_bundle(path)?;
            let (added, ignored) = roots.add_parsable_certificates(certificates);
            if ignored > 0 || added == 0 {
                bail!(
                    "--notify-ca {}: {ignored} of {} certificates are not usable CA certificates",
                    path.display(),
                    added + ignored
                );
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The certificates of a PEM bundle; a FIFO or directory is refused before it is opened.
fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("--notify-ca {}: cannot read", path.display()))?;
    if !meta.is_file() {
        bail!(
            "--notify-ca {}: is {}, expected a PEM file of CA certificates",
            path.display(),
            describe(meta.file_type())
        );
    }
    let pem = std::fs::read(path)
        .with_context(|| format!("--notify-ca {}: cannot read", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--notify-ca {}: not a PEM bundle", path.display()))?;
    if certificates.is_empty() {
        bail!(
            "--notify-ca {}: holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)",
            path.display()
        );
    }
    Ok(certificates)
}

/// A server certificate that did not verify: retrying cannot help, so it is not retried.
#[derive(Debug)]
struct Untrusted(String);

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Untrusted {}

/// Everything a notify needs, checked and loaded before anything changes.
#[derive(Debug, Clone)]
pub struct Notifier {
    endpoint: Endpoint,
    tls: Option<Arc<ClientConfig>>,
    timeout: Duration,
    attempts: u32,
    format: PayloadFormat,
}

/// How one notify went, for the report: the status, or the error after the last attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub url: Endpoint,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Notifier {
    /// `ca` replaces Mozilla's roots for an https endpoint; with an http one it is an error.
    pub fn new(
        endpoint: Endpoint,
        ca: Option<&Path>,
        timeout: Duration,
        attempts: u32,
        format: PayloadFormat,
    ) -> Result<Notifier> {
        let tls = match (endpoint.scheme, ca) {
            (Scheme::Http, Some(_)) => {
                bail!("--notify-ca applies to https:// URLs only; {endpoint} is plain HTTP")
            }
            (Scheme::Http, None) => None,
            (Scheme::Https, ca) => Some(tls_config(ca)?),
        };
        Ok(Notifier {
            endpoint,
            tls,
            timeout,
            attempts: attempts.max(1),
            format,
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// POSTs the payload, trying up to `attempts` times with a doubling pause (at most
    /// [`MAX_PAUSE`]); returns the 2xx status.
    pub fn send(&self, payload: &Payload) -> Result<u16> {
        let body = payload.body(self.format);
        let request = Request {
            method: "POST",
            path: &self.endpoint.path,
            content_type: "application/json",
            body: &body,
        };
        self.call(&request)
            .with_context(|| format!("notifying {}", self.endpoint))
    }

    /// PUTs `body` to the endpoint's path followed by `suffix` (a Pushgateway group:
    /// `/metrics/job/NAME/LABEL/VALUE`), with the same attempts, pauses and timeout as `send`.
    pub fn put(&self, suffix: &str, content_type: &str, body: &str) -> Result<u16> {
        let path = format!("{}{suffix}", self.endpoint.path.trim_end_matches('/'));
        let request = Request {
            method: "PUT",
            path: &path,
            content_type,
            body,
        };
        self.call(&request)
            .with_context(|| format!("pushing to {}{suffix}", self.endpoint))
    }

    fn call(&self, request: &Request<'_>) -> Result<u16> {
        let mut pause = Duration::from_millis(200);
        let mut last = anyhow!("no attempt was made");
        for attempt in 1..=self.attempts {
            match self.call_once(request) {
                Ok(status) => return Ok(status),
                Err(e) if e.downcast_ref::<Untrusted>().is_some() => {
                    last = e.context(format!(
                        "attempt {attempt} of {} (not retried)",
                        self.attempts
                    ));
                    break;
                }
                Err(e) => last = e.context(format!("attempt {attempt} of {}", self.attempts)),
            }
            if attempt < self.attempts {
                std::thread::sleep(pause);
                pause = (pause * 2).min(MAX_PAUSE);
            }
        }
        Err(last)
    }

    /// [`Notifier::send`], with its outcome as a value: a failed notify is reported, not raised.
    pub fn deliver(&self, payload: &Payload) -> Delivery {
        let (status, error) = match self.send(payload) {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        Delivery {
            url: self.endpoint.clone(),
            status,
            error,
        }
    }

    /// One request; the timeout bounds the whole call (connect, handshake, send, answer).
    fn call_once(&self, request: &Request<'_>) -> Result<u16> {
        let deadline = Instant::now() + self.timeout;
        let socket = connect(&self.endpoint, deadline, self.timeout)?;
        let mut socket = Deadlined {
            socket,
            deadline,
            timeout: self.timeout,
        };
        let request = request.render(&self.endpoint);
        let Some(config) = &self.tls else {
            return exchange(&mut socket, &request);
        };
        let name = ServerName::try_from(self.endpoint.bare_host().to_string())
            .with_context(|| format!("{} is not a host name TLS can verify", self.endpoint.host))?;
        let mut tls = ClientConnection::new(config.clone(), name).context("setting up TLS")?;
        handshake(&mut tls, &mut socket, &self.endpoint)?;
        exchange(&mut StreamOwned::new(tls, socket), &request)
    }
}

/// The first address of the host that accepts a connection before the deadline.
fn connect(endpoint: &Endpoint, deadline: Instant, timeout: Duration) -> Result<TcpStream> {
    let addresses = resolve(endpoint, deadline, timeout)?;
    let mut last = None;
    for address in &addresses {
        let left = remaining(deadline, timeout)?;
        match TcpStream::connect_timeout(address, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(anyhow!(e).context(format!("connecting to {address}"))),
        }
    }
    Err(last.unwrap_or_else(|| anyhow!("{} has no address", endpoint.host)))
}

/// The host's addresses, looked up before the deadline. The lookup (getaddrinfo) takes no
/// timeout, and a resolver that gets no answer waits out its own (musl's, in the static image,
/// ~5 s per try and search domain), so it runs on a thread the deadline does not wait for.
fn resolve(endpoint: &Endpoint, deadline: Instant, timeout: Duration) -> Result<Vec<SocketAddr>> {
    let (host, port) = (endpoint.bare_host().to_string(), endpoint.port);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let found = (host.as_str(), port)
            .to_socket_addrs()
            .map(|addresses| addresses.collect::<Vec<_>>());
        let _ = sender.send(found);
    });
    let left =
        remaining(deadline, timeout).with_context(|| format!("resolving {}", endpoint.host))?;
    match receiver.recv_timeout(left) {
        Ok(found) => found.with_context(|| format!("resolving {}", endpoint.host)),
        Err(_) => Err(anyhow!(
            "resolving {}: no answer within the {}s timeout",
            endpoint.host,
            timeout.as_secs_f64()
        )),
    }
}

/// One HTTP/1.1 request, sent whole (refit's bodies are small).
struct Request<'a> {
    method: &'a str,
    path: &'a str,
    content_type: &'a str,
    body: &'a str,
}

impl Request<'_> {
    fn render(&self, endpoint: &Endpoint) -> String {
        format!(
            "{} {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: refit/{}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.method,
            self.path,
            endpoint.host,
            endpoint.port,
            env!("CARGO_PKG_VERSION"),
            self.content_type,
            self.body.len(),
            self.body
        )
    }
}

/// Runs the TLS handshake to its end; a certificate that does not verify is [`Untrusted`].
fn handshake(
    tls: &mut ClientConnection,
    socket: &mut Deadlined,
    endpoint: &Endpoint,
) -> Result<()> {
    while tls.is_handshaking() {
        match tls.complete_io(socket) {
            Ok((0, 0)) => bail!(
                "TLS handshake with {}: the server sent nothing",
                endpoint.host
            ),
            Ok(_) => {}
            Err(e) => {
                let certificate = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .and_then(|tls_error| match tls_error {
                        rustls::Error::InvalidCertificate(why) => Some(why.to_string()),
                        _ => None,
                    });
                return Err(match certificate {
                    Some(why) => anyhow!(Untrusted(format!(
                        "certificate verification failed for {}: {why} (the server's certificate \
                         must name the host and chain to Mozilla's roots or to --notify-ca)",
                        endpoint.host
                    ))),
                    None => anyhow!(e).context(format!("TLS handshake with {}", endpoint.host)),
                });
            }
        }
    }
    Ok(())
}

/// Sends the request and checks the answer's status: 2xx, or an error naming it.
fn exchange(stream: &mut (impl Read + Write), request: &str) -> Result<u16> {
    stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.flush())
        .context("sending the request")?;
    let status_line = read_status_line(stream)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP response: {:?}", status_line.trim()))?;
    match status {
        200..=299 => Ok(status),
        300..=399 => bail!(
            "the endpoint answered HTTP {status}, a redirect; redirects are not followed (give the final URL)"
        ),
        _ => bail!("the endpoint answered HTTP {status}"),
    }
}

/// The first bytes of the answer (`HTTP/1.1 200`).
fn read_status_line(stream: &mut impl Read) -> Result<String> {
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let n = match stream.read(&mut head[read..]) {
            Ok(n) => n,
            // A TLS server that closes without close_notify: what arrived is the answer.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e).context("reading the response"),
        };
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(String::from_utf8_lossy(&head[..read]).into_owned())
}

/// Time left before `deadline`, or the error that says the call took too long.
fn remaining(deadline: Instant, timeout: Duration) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            ErrorKind::TimedOut,
            format!("timed out: no complete answer within {timeout:?} (--notify-timeout)"),
        ));
    }
    Ok(left)
}

/// A socket whose every read and write ends before one deadline, so the timeout bounds the
/// whole attempt (a server trickling one byte a second cannot stretch it), TLS included.
struct Deadlined {
    socket: TcpStream,
    deadline: Instant,
    timeout: Duration,
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let left = remaining(self.deadline, self.timeout)?;
            self.socket.set_read_timeout(Some(left))?;
            match self.socket.read(buf) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                done => return done,
            }
        }
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let left = remaining(self.deadline, self.timeout)?;
            self.socket.set_write_timeout(Some(left))?;
            match self.socket.write(buf) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                done => return done,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (Scheme, String, u16, String) {
        let e: Endpoint = url.parse().unwrap();
        (e.scheme, e.host, e.port, e.path)
    }

    #[test]
    fn parses_http_and_https_urls() {
        assert_eq!(
            parts("http://serving:8080/reload"),
            (Scheme::Http, "serving".into(), 8080, "/reload".into())
        );
        assert_eq!(
            parts("http://localhost"),
            (Scheme::Http, "localhost".into(), 80, "/".into())
        );
        assert_eq!(
            parts("http://10.0.0.7:81?x=1#top"),
            (Scheme::Http, "10.0.0.7".into(), 81, "/?x=1".into())
        );
        assert_eq!(
            parts("http://[::1]:9000/r"),
            (Scheme::Http, "[::1]".into(), 9000, "/r".into())
        );
        assert_eq!(parts("http://[::1]").2, 80);
        assert_eq!(
            parts("https://hooks.slack.com/services/T0/B0/x"),
            (
                Scheme::Https,
                "hooks.slack.com".into(),
                443,
                "/services/T0/B0/x".into()
            )
        );
        assert_eq!(parts("https://127.0.0.1:8443/h").2, 8443);
        assert_eq!(parts("https://[::1]").2, 443);
    }

    #[test]
    fn refuses_what_it_cannot_call() {
        for bad in [
            "ftp://serving/",
            "serving:8080",
            "HTTP://serving/",
            "http://:80/",
            "http://",
            "https://",
            "http://serving:0/",
            "http://serving:99999/",
            "http://serving:80x/",
            "http://serving:/",
            "http://user:pw@serving/",
            "https://user:pw@serving/",
            "https://token@hooks.example/",
            "http://ser ving/",
            "http://serving\r\nX: y/",
            "http://serving/a b",
            "https://serving/a\tb",
            "http://[nonsense]:80/",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serializes_as_written() {
        let e: Endpoint = "http://serving:8080/reload".parse().unwrap();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            "http://serving:8080/reload"
        );
        assert_eq!(e.to_string(), "http://serving:8080/reload");
    }

    #[test]
    fn an_event_is_a_json_object_or_one_slack_line() {
        let fields = vec![
            ("reason".to_string(), "drift".to_string()),
            ("report".to_string(), "out/a.json".to_string()),
        ];
        let payload = Payload::event("triggered", "retraining <now> & then", &fields);
        let json: Value = serde_json::from_str(&payload.body(PayloadFormat::Json)).unwrap();
        assert_eq!(json["event"], "triggered");
        assert_eq!(json["fields"]["report"], "out/a.json");
        let slack: Value = serde_json::from_str(&payload.body(PayloadFormat::Slack)).unwrap();
        assert_eq!(
            slack,
            json!({"text": "refit triggered: retraining &lt;now&gt; &amp; then (reason=drift, report=out/a.json)"})
        );
        let bare = Payload::event("error", "train-candidate failed", &[]);
        assert_eq!(
            bare.body(PayloadFormat::Slack),
            r#"{"text":"refit error: train-candidate failed"}"#
        );
    }

    #[test]
    fn a_pointer_move_names_from_and_to() {
        let moved = PointerMove {
            event: "rollback",
            pointer: "current",
            from: Some(3),
            to: 2,
            path: Path::new("/srv/models/versions/v000002"),
            fingerprint: Some("0123456789abcdef0123"),
        };
        let payload = Payload::pointer_moved(&moved);
        assert_eq!(
            payload.json(),
            &json!({
                "event": "rollback", "version": 2, "from": 3, "to": 2,
                "path": "/srv/models/versions/v000002",
                "fingerprint": "0123456789abcdef0123", "pointer": "current",
            })
        );
        assert_eq!(
            payload.line,
            "refit rollback: version 2 is live as current (current rolled back from version 3; fingerprint 0123456789ab)"
        );
        let first = Payload::pointer_moved(&PointerMove {
            event: "bootstrap",
            from: None,
            to: 1,
            ..moved
        });
        assert_eq!(first.json()["from"], Value::Null);
        assert!(
            first.line.contains("current had no version"),
            "{}",
            first.line
        );
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("slack".parse(), Ok(PayloadFormat::Slack));
        assert_eq!("json".parse(), Ok(PayloadFormat::Json));
        assert!("xml".parse::<PayloadFormat>().is_err());
        assert_eq!(serde_json::to_value(PayloadFormat::Slack).unwrap(), "slack");
    }

    #[test]
    fn a_private_ca_must_hold_certificates_and_fit_the_scheme() {
        let dir = tempfile::tempdir().unwrap();
        let https: Endpoint = "https://127.0.0.1:8443/h".parse().unwrap();
        let http: Endpoint = "http://127.0.0.1:8080/h".parse().unwrap();
        let new = |endpoint: &Endpoint, ca: &Path| {
            Notifier::new(
                endpoint.clone(),
                Some(ca),
                Duration::from_secs(1),
                1,
                PayloadFormat::Json,
            )
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
        };
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = new(&https, &empty).unwrap_err();
        assert!(err.contains("holds no certificate"), "{err}");
        let err = new(&https, dir.path()).unwrap_err();
        assert!(err.contains("is a directory"), "{err}");
        let err = new(&https, &dir.path().join("missing.pem")).unwrap_err();
        assert!(err.contains("missing.pem: cannot read"), "{err}");
        let err = new(&http, &empty).unwrap_err();
        assert!(err.contains("https:// URLs only"), "{err}");
        assert!(Notifier::new(https, None, Duration::from_secs(1), 1, PayloadFormat::Json).is_ok());
    }

    #[test]
    fn a_refused_connection_is_an_error_after_every_attempt() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/reload", listener.local_addr().unwrap());
        drop(listener);
        let notifier = Notifier::new(
            url.parse().unwrap(),
            None,
            Duration::from_secs(1),
            2,
            PayloadFormat::Json,
        )
        .unwrap();
        let delivery = notifier.deliver(&Payload::event("x", "y", &[]));
        assert_eq!(delivery.status, None);
        let error = delivery.error.unwrap();
        assert!(error.contains("attempt 2 of 2"), "{error}");
        assert!(error.contains(&url), "{error}");
    }
}
