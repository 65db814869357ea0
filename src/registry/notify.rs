//! Telling the serving side to reload: a small JSON POST over plain HTTP/1.1 (in-cluster
//! reload endpoints rarely speak TLS; a TLS client would double refit's dependency tree), with
//! a timeout and retries. A failed notify never undoes a promotion, so the URL is checked when
//! the flag is parsed, before anything changes.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Serialize, Serializer};

/// The longest pause between two attempts: the doubling backoff stops growing here.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// A reload endpoint, `http://host[:port][/path]`, as the user wrote it and as it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    /// As written in the URL (an IPv6 address keeps its brackets), for the Host header.
    host: String,
    port: u16,
    path: String,
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
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("`{url}`: only http:// URLs are supported (use a plain-HTTP reload endpoint or sidecar)");
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
    let (host, port) = split_authority(url, authority)?;
    Ok(Endpoint {
        url: url.to_string(),
        host: host.to_string(),
        port,
        path,
    })
}

/// `host`, `host:port` or `[v6]:port`; the host is a name or an address, the port 1-65535.
fn split_authority<'a>(url: &str, authority: &'a str) -> Result<(&'a str, u16)> {
    if authority.contains('@') {
        bail!("`{url}`: credentials in the URL are not supported");
    }
    let port_at = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => Some(i),
        _ => None,
    };
    let (host, port) = match port_at {
        Some(i) => (&authority[..i], &authority[i + 1..]),
        None => (authority, "80"),
    };
    let port = match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
        _ => bail!("`{url}`: bad port `{port}` (expected 1-65535)"),
    };
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

/// Time left before `deadline`, or the error that says the call took too long.
fn remaining(deadline: Instant, timeout: Duration) -> Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        bail!("timed out: no complete answer within {timeout:?} (--notify-timeout)");
    }
    Ok(left)
}

/// One POST; `timeout` bounds the whole call (connect, send, answer), not each read.
fn post_once(endpoint: &Endpoint, body: &str, timeout: Duration) -> Result<u16> {
    let deadline = Instant::now() + timeout;
    let bare_host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    let address = (bare_host, endpoint.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", endpoint.host))?
        .next()
        .with_context(|| format!("{} has no address", endpoint.host))?;
    let mut stream = TcpStream::connect_timeout(&address, remaining(deadline, timeout)?)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_write_timeout(Some(remaining(deadline, timeout)?))?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: refit/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        endpoint.path,
        endpoint.host,
        endpoint.port,
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .context("sending the request")?;
    let status_line = read_status_line(&mut stream, deadline, timeout)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP response: {:?}", status_line.trim()))?;
    if !(200..300).contains(&status) {
        bail!("the endpoint answered HTTP {status}");
    }
    Ok(status)
}

/// The first bytes of the answer (`HTTP/1.1 200`), read before `deadline`.
fn read_status_line(
    stream: &mut TcpStream,
    deadline: Instant,
    timeout: Duration,
) -> Result<String> {
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        stream.set_read_timeout(Some(remaining(deadline, timeout)?))?;
        let n = match stream.read(&mut head[read..]) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                remaining(deadline, timeout)?;
                continue;
            }
            Err(e) => return Err(e).context("reading the response"),
        };
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(String::from_utf8_lossy(&head[..read]).into_owned())
}

/// POSTs `body` to `endpoint`, trying `attempts` times with a doubling pause (at most
/// [`MAX_PAUSE`]); returns the status.
pub fn notify(endpoint: &Endpoint, body: &str, timeout: Duration, attempts: u32) -> Result<u16> {
    let mut pause = Duration::from_millis(200);
    let mut last = None;
    for attempt in 1..=attempts.max(1) {
        match post_once(endpoint, body, timeout) {
            Ok(status) => return Ok(status),
            Err(e) => last = Some(e.context(format!("attempt {attempt} of {attempts}"))),
        }
        if attempt < attempts {
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
    Err(last.expect("at least one attempt")).with_context(|| format!("notifying {endpoint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, u16, String) {
        let e: Endpoint = url.parse().unwrap();
        (e.host, e.port, e.path)
    }

    #[test]
    fn parses_plain_http_urls() {
        assert_eq!(
            parts("http://serving:8080/reload"),
            ("serving".into(), 8080, "/reload".into())
        );
        assert_eq!(
            parts("http://localhost"),
            ("localhost".into(), 80, "/".into())
        );
        assert_eq!(
            parts("http://10.0.0.7:81?x=1#top"),
            ("10.0.0.7".into(), 81, "/?x=1".into())
        );
        assert_eq!(
            parts("http://[::1]:9000/r"),
            ("[::1]".into(), 9000, "/r".into())
        );
        assert_eq!(parts("http://[::1]").1, 80);
    }

    #[test]
    fn refuses_what_it_cannot_call() {
        for bad in [
            "https://serving/reload",
            "ftp://serving/",
            "serving:8080",
            "http://:80/",
            "http://",
            "http://serving:0/",
            "http://serving:99999/",
            "http://serving:80x/",
            "http://serving:/",
            "http://user:pw@serving/",
            "http://ser ving/",
            "http://serving\r\nX: y/",
            "http://serving/a b",
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
}
