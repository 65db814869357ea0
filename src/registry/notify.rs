//! Telling the serving side to reload: a small JSON POST over plain HTTP/1.1 (in-cluster
//! reload endpoints rarely speak TLS; a TLS client would double refit's dependency tree), with
//! a timeout and retries. A failed notify never undoes a promotion.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context, Result};

struct Endpoint {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Endpoint> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--notify {url}: only http:// URLs are supported (use a plain-HTTP reload endpoint or sidecar)");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .with_context(|| format!("--notify {url}: bad port `{p}`"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        bail!("--notify {url}: no host");
    }
    Ok(Endpoint {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

fn post_once(endpoint: &Endpoint, body: &str, timeout: Duration) -> Result<u16> {
    let address = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", endpoint.host))?
        .next()
        .with_context(|| format!("{} has no address", endpoint.host))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
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
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let n = stream
            .read(&mut head[read..])
            .context("reading the response")?;
        if n == 0 {
            break;
        }
        read += n;
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
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

/// POSTs `body` to `url`, trying `attempts` times with a doubling pause; returns the status.
pub fn notify(url: &str, body: &str, timeout: Duration, attempts: u32) -> Result<u16> {
    let endpoint = parse_url(url)?;
    let mut pause = Duration::from_millis(200);
    let mut last = None;
    for attempt in 1..=attempts.max(1) {
        match post_once(&endpoint, body, timeout) {
            Ok(status) => return Ok(status),
            Err(e) => last = Some(e.context(format!("attempt {attempt} of {attempts}"))),
        }
        if attempt < attempts {
            std::thread::sleep(pause);
            pause *= 2;
        }
    }
    Err(last.expect("at least one attempt")).with_context(|| format!("notifying {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_http_urls_only() {
        let e = parse_url("http://serving:8080/reload").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("serving", 8080, "/reload")
        );
        let e = parse_url("http://localhost").unwrap();
        assert_eq!((e.port, e.path.as_str()), (80, "/"));
        assert!(parse_url("https://serving/reload").is_err());
        assert!(parse_url("http://:80/").is_err());
    }
}
