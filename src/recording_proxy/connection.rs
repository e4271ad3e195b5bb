//! One browser connection: its requests in turn, a `CONNECT` turning it into a TLS tunnel.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use url::Url;

use super::head::{Head, ReadError, ReadLimits, RequestReader};
use super::response::{Framing, plain, write_response};
use super::server::Shared;
use super::upstream::{Answer, ProxyRequest, ProxyResponse};

/// Where requests on a connection are aimed.
enum Mode {
    /// Plain proxy requests: absolute-form targets.
    Plain,
    /// Inside a `CONNECT` tunnel: origin-form targets on this `https://host:port` origin.
    Tunnel { origin: Url },
}

/// How a run of requests ended.
enum Next {
    Done,
    /// `CONNECT` was answered with 200: TLS for `host` (as a certificate names it) follows.
    Tunnel {
        origin: Url,
        host: String,
    },
}

pub(super) async fn serve_connection(shared: &Shared, stream: TcpStream, door: Option<Arc<str>>) {
    let options = &shared.options;
    let limits = ReadLimits {
        idle_timeout: options.idle_timeout,
        head_timeout: options.head_timeout,
        body_timeout: options.body_timeout,
        max_head: options.max_head,
    };
    let mut reader = RequestReader::new(stream, limits);
    let Next::Tunnel { origin, host } =
        serve_requests(shared, &mut reader, Mode::Plain, &door).await
    else {
        return;
    };
    let config = match shared.authority.server_config(&host) {
        Ok(config) => config,
        Err(err) => {
            tracing::debug!("recording proxy: no certificate for {host}: {err}");
            return;
        }
    };
    let handshake = TlsAcceptor::from(config).accept(reader.stream);
    let tls = match tokio::time::timeout(options.head_timeout, handshake).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!("recording proxy: TLS handshake for {host} failed: {err}");
            return;
        }
        Err(_) => {
            tracing::debug!("recording proxy: TLS handshake for {host} timed out");
            return;
        }
    };
    let mut reader = RequestReader::new(tls, limits);
    serve_requests(shared, &mut reader, Mode::Tunnel { origin }, &door).await;
}

async fn serve_requests<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    reader: &mut RequestReader<S>,
    mode: Mode,
    door: &Option<Arc<str>>,
) -> Next {
    let options = &shared.options;
    loop {
        let head = match reader.read_head().await {
            Ok(head) => head,
            Err(ReadError::Closed | ReadError::Idle) => return Next::Done,
            Err(err) => {
                let (status, reason) = match &err {
                    ReadError::Timeout => (408, "Request Timeout"),
                    ReadError::HeadTooLarge(_) | ReadError::TooManyHeaders => {
                        (431, "Request Header Fields Too Large")
                    }
                    _ => (400, "Bad Request"),
                };
                refuse(reader, status, reason, &err.to_string()).await;
                return Next::Done;
            }
        };
        let keep_alive = head.keep_alive();
        if head.method.eq_ignore_ascii_case("CONNECT") {
            return connect(reader, &mode, &head).await;
        }
        let url = match request_url(&mode, &head.target) {
            Ok(url) => url,
            Err(message) => {
                refuse(reader, 400, "Bad Request", &message).await;
                return Next::Done;
            }
        };
        let body = match body_length(&head, options.max_body) {
            Ok(0) => bytes::Bytes::new(),
            Ok(len) => match reader.read_body(len).await {
                Ok(body) => body,
                Err(err) => {
                    refuse(reader, 400, "Bad Request", &err.to_string()).await;
                    return Next::Done;
                }
            },
            Err((status, reason, message)) => {
                refuse(reader, status, reason, &message).await;
                return Next::Done;
            }
        };
        let head_request = head.method.eq_ignore_ascii_case("HEAD");
        let request = ProxyRequest {
            method: head.method,
            url,
            target: head.target,
            head: head.raw,
            headers: head.headers,
            body,
            door: door.clone(),
        };
        let answer =
            tokio::time::timeout(options.upstream_timeout, shared.upstream.answer(request)).await;
        let response = match answer {
            Ok(Answer::Respond(response)) if (200..=999).contains(&response.status) => response,
            Ok(Answer::Respond(response)) => plain(
                502,
                "Bad Gateway",
                &format!(
                    "arkiv: the site answered {}, which the recording proxy cannot pass on",
                    response.status
                ),
            ),
            Ok(Answer::Declined { reason }) => {
                plain(403, "Forbidden", &format!("arkiv: not archived: {reason}"))
            }
            Ok(Answer::Failed { reason }) => plain(
                502,
                "Bad Gateway",
                &format!("arkiv: could not fetch: {reason}"),
            ),
            Err(_) => plain(
                504,
                "Gateway Timeout",
                "arkiv: no answer in time from the crawl",
            ),
        };
        let framing = Framing {
            head_request,
            keep_alive,
            body_timeout: options.body_timeout,
        };
        if let Err(err) = write_response(&mut reader.stream, response, framing).await {
            tracing::debug!("recording proxy: answering the browser failed: {err}");
            return Next::Done;
        }
        if !keep_alive {
            let _ = reader.stream.shutdown().await;
            return Next::Done;
        }
    }
}

/// Answers a `CONNECT`: 200 and the tunnel's origin, or a refusal.
async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut RequestReader<S>,
    mode: &Mode,
    head: &Head,
) -> Next {
    if matches!(mode, Mode::Tunnel { .. }) {
        refuse(reader, 400, "Bad Request", "CONNECT inside a tunnel").await;
        return Next::Done;
    }
    let Some((origin, host)) = tunnel_origin(&head.target) else {
        let message = format!("CONNECT needs host:port, not {:?}", head.target);
        refuse(reader, 400, "Bad Request", &message).await;
        return Next::Done;
    };
    if reader.buffered() > 0 {
        // The client must wait for our 200 before it speaks TLS.
        refuse(
            reader,
            400,
            "Bad Request",
            "data sent before the tunnel was open",
        )
        .await;
        return Next::Done;
    }
    let established = b"HTTP/1.1 200 Connection Established\r\n\r\n";
    if reader.stream.write_all(established).await.is_err() || reader.stream.flush().await.is_err() {
        return Next::Done;
    }
    Next::Tunnel { origin, host }
}

/// `https://host:port` and the bare host (IPv6 without brackets) of a `CONNECT` target.
fn tunnel_origin(target: &str) -> Option<(Url, String)> {
    let (_, port) = target.rsplit_once(':')?;
    if port.is_empty()
        || !port.bytes().all(|b| b.is_ascii_digit())
        || target.contains(['/', '@', '?', '#'])
    {
        return None;
    }
    let origin = Url::parse(&format!("https://{target}/")).ok()?;
    let host = match origin.host()? {
        url::Host::Domain(name) => name.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    Some((origin, host))
}

/// The absolute URL a request target names on a connection in `mode`.
fn request_url(mode: &Mode, target: &str) -> Result<Url, String> {
    match mode {
        Mode::Plain => {
            let url = Url::parse(target)
                .map_err(|err| format!("a proxy request needs an absolute http URL ({err})"))?;
            if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
                return Err(format!("not an http(s) URL: {target:?}"));
            }
            Ok(url)
        }
        Mode::Tunnel { origin } => {
            if !target.starts_with('/') {
                return Err(format!(
                    "inside a tunnel the target must start with '/': {target:?}"
                ));
            }
            let url = Url::parse(&format!(
                "{}{}",
                origin.origin().ascii_serialization(),
                target
            ))
            .map_err(|err| format!("bad request target {target:?}: {err}"))?;
            Ok(url)
        }
    }
}

/// The body's length from `Content-Length`, or the response that refuses the request.
fn body_length(head: &Head, max_body: usize) -> Result<usize, (u16, &'static str, String)> {
    if head.header("transfer-encoding").is_some() {
        return Err((
            501,
            "Not Implemented",
            "chunked request bodies are not supported".to_owned(),
        ));
    }
    let mut length = None;
    for (name, value) in &head.headers {
        if !name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        let parsed = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or((400, "Bad Request", "malformed Content-Length".to_owned()))?;
        if length.is_some_and(|l| l != parsed) {
            return Err((400, "Bad Request", "conflicting Content-Length".to_owned()));
        }
        length = Some(parsed);
    }
    let length = length.unwrap_or(0);
    if length > max_body as u64 {
        return Err((
            413,
            "Content Too Large",
            format!("request bodies are limited to {max_body} bytes"),
        ));
    }
    Ok(length as usize)
}

/// Sends a refusal made by the proxy itself and ends the connection (what follows a request
/// it could not read cannot be trusted to start a new one).
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut RequestReader<S>,
    status: u16,
    reason: &str,
    message: &str,
) {
    let response: ProxyResponse =
        plain(status, reason, &format!("arkiv recording proxy: {message}"));
    let framing = Framing {
        head_request: false,
        keep_alive: false,
        body_timeout: std::time::Duration::from_secs(5),
    };
    let _ = write_response(&mut reader.stream, response, framing).await;
    let _ = reader.stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_targets_name_a_host_and_a_port() {
        let (origin, host) = tunnel_origin("Eksempel.DK:443").expect("name");
        assert_eq!(
            (origin.as_str(), host.as_str()),
            ("https://eksempel.dk/", "eksempel.dk")
        );
        let (origin, host) = tunnel_origin("127.0.0.1:8443").expect("v4");
        assert_eq!(
            (origin.as_str(), host.as_str()),
            ("https://127.0.0.1:8443/", "127.0.0.1")
        );
        let (_, host) = tunnel_origin("[::1]:443").expect("v6");
        assert_eq!(host, "::1");
        for bad in [
            "eksempel.dk",
            "eksempel.dk:",
            "a@b:443",
            "x/y:443",
            "bad host:443",
            ":443",
        ] {
            assert!(tunnel_origin(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn targets_are_absolute_outside_a_tunnel_and_origin_form_inside() {
        let url = request_url(&Mode::Plain, "http://127.0.0.1:8080/a?b=c").expect("plain");
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/a?b=c");
        assert!(request_url(&Mode::Plain, "/a").is_err());
        assert!(request_url(&Mode::Plain, "ftp://x/").is_err());
        let origin = Url::parse("https://eksempel.dk:8443/").expect("origin");
        let tunnel = Mode::Tunnel { origin };
        let url = request_url(&tunnel, "/s%C3%B8g?q=1").expect("tunnel");
        assert_eq!(url.as_str(), "https://eksempel.dk:8443/s%C3%B8g?q=1");
        assert!(request_url(&tunnel, "http://elsewhere/").is_err());
        // `//elsewhere/x` would parse as another host if joined carelessly.
        let url = request_url(&tunnel, "//elsewhere/x").expect("path");
        assert_eq!(url.host_str(), Some("eksempel.dk"));
    }
}
