//! Writes an upstream's answer back to the browser, framed by the proxy itself.
//!
//! The site's status line, header order and case and its content coding pass through; the
//! framing does not (the upstream hands over the entity body, and the browser's connection is
//! not the site's), so hop-by-hop fields are dropped and `Content-Length` is ours.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::upstream::{ProxyResponse, ResponseBody};

/// Header fields that describe one connection, not the resource (RFC 9110 §7.6.1), plus the
/// framing the proxy does itself.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// A short plain-text response made by the proxy itself (`403` for a declined request, errors).
pub(super) fn plain(status: u16, reason: &str, text: &str) -> ProxyResponse {
    ProxyResponse {
        status,
        reason: reason.to_owned(),
        headers: vec![
            (
                "Content-Type".to_owned(),
                b"text/plain; charset=utf-8".to_vec(),
            ),
            ("Cache-Control".to_owned(), b"no-store".to_vec()),
        ],
        body: ResponseBody::Full(Bytes::from(format!("{text}\n"))),
    }
}

/// How one response is to be sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Framing {
    /// The request was `HEAD`: no body follows whatever the headers say.
    pub head_request: bool,
    /// The connection stays open afterwards.
    pub keep_alive: bool,
    /// Longest wait for a piece of a streamed body (and for the browser to take it).
    pub body_timeout: Duration,
}

/// Sends `response`; an error means the connection is no longer usable.
pub(super) async fn write_response<W: AsyncWrite + Unpin>(
    writer: &mut W,
    response: ProxyResponse,
    framing: Framing,
) -> io::Result<()> {
    let ProxyResponse {
        status,
        reason,
        headers,
        body,
    } = response;
    let no_body =
        framing.head_request || (100..200).contains(&status) || status == 204 || status == 304;
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(format!("HTTP/1.1 {status:03}").as_bytes());
    // A reason phrase with a control character would break the status line; it is only a phrase.
    if !reason.is_empty() && !reason.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        head.push(b' ');
        head.extend_from_slice(reason.as_bytes());
    } else {
        head.push(b' ');
    }
    head.extend_from_slice(b"\r\n");
    let connection_named: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(|b| *b == b','))
        .map(|t| String::from_utf8_lossy(t.trim_ascii()).to_ascii_lowercase())
        .collect();
    let mut length_sent = None;
    for (name, value) in &headers {
        let lower = name.to_ascii_lowercase();
        if lower == "content-length" && no_body && status != 204 {
            // For HEAD and 304 the length describes the resource, which the browser may use.
            length_sent = Some(value.clone());
        }
        if HOP_BY_HOP.contains(&lower.as_str())
            || connection_named.contains(&lower)
            || !valid_field(name, value)
        {
            continue;
        }
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if !no_body {
        head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    } else if let Some(value) =
        length_sent.filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
    {
        head.extend_from_slice(b"Content-Length: ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    if !framing.keep_alive {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    head.extend_from_slice(b"\r\n");
    timed(framing.body_timeout, writer.write_all(&head)).await?;
    if !no_body {
        match body {
            ResponseBody::Full(bytes) => {
                timed(framing.body_timeout, writer.write_all(&bytes)).await?
            }
            ResponseBody::Reader { len, mut reader } => {
                let mut left = len;
                let mut chunk = vec![0u8; 64 * 1024];
                while left > 0 {
                    let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = timed(framing.body_timeout, reader.read(&mut chunk[..want])).await?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("the response body ended {left} bytes early"),
                        ));
                    }
                    timed(framing.body_timeout, writer.write_all(&chunk[..n])).await?;
                    left -= n as u64;
                }
            }
        }
    }
    timed(framing.body_timeout, writer.flush()).await
}

async fn timed<T>(
    limit: Duration,
    io: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    tokio::time::timeout(limit, io)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the browser stopped reading"))?
}

/// A field name that is an HTTP token and a value without CR, LF or NUL.
fn valid_field(name: &str, value: &[u8]) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && !value.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn written(response: ProxyResponse, framing: Framing) -> String {
        let mut out = Vec::new();
        write_response(&mut out, response, framing)
            .await
            .expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    const FRAMING: Framing = Framing {
        head_request: false,
        keep_alive: true,
        body_timeout: Duration::from_secs(5),
    };

    fn site_response(status: u16) -> ProxyResponse {
        ProxyResponse {
            status,
            reason: "Helt OK".to_owned(),
            headers: vec![
                ("content-TYPE".to_owned(), b"text/html".to_vec()),
                ("Transfer-Encoding".to_owned(), b"chunked".to_vec()),
                ("Connection".to_owned(), b"close, X-Private".to_vec()),
                ("X-Private".to_owned(), b"1".to_vec()),
                ("Content-Encoding".to_owned(), b"gzip".to_vec()),
                ("Content-Length".to_owned(), b"999".to_vec()),
                ("Set-Cookie".to_owned(), b"a=1".to_vec()),
                ("Set-Cookie".to_owned(), b"b=2".to_vec()),
                ("Bad\r\nName".to_owned(), b"x".to_vec()),
                ("X-Split".to_owned(), b"a\r\nInjected: yes".to_vec()),
            ],
            body: ResponseBody::Full(Bytes::from_static(b"abc")),
        }
    }

    #[tokio::test]
    async fn the_sites_fields_pass_in_order_and_case_and_the_framing_is_ours() {
        let text = written(site_response(200), FRAMING).await;
        assert_eq!(
            text,
            "HTTP/1.1 200 Helt OK\r\ncontent-TYPE: text/html\r\nContent-Encoding: gzip\r\n\
             Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\n\r\nabc"
        );
    }

    #[tokio::test]
    async fn head_and_304_keep_the_resources_length_and_send_no_body() {
        let framing = Framing {
            head_request: true,
            keep_alive: false,
            ..FRAMING
        };
        let text = written(site_response(200), framing).await;
        assert!(
            text.ends_with("Content-Length: 999\r\nConnection: close\r\n\r\n"),
            "{text}"
        );
        let text = written(site_response(304), FRAMING).await;
        assert!(text.ends_with("Content-Length: 999\r\n\r\n"), "{text}");
        let text = written(site_response(204), FRAMING).await;
        assert!(!text.contains("Content-Length"), "{text}");
    }

    #[tokio::test]
    async fn a_streamed_body_that_ends_early_is_an_error() {
        let response = ProxyResponse {
            body: ResponseBody::Reader {
                len: 10,
                reader: Box::new(std::io::Cursor::new(b"short".to_vec())),
            },
            ..site_response(200)
        };
        let mut out = Vec::new();
        let err = write_response(&mut out, response, FRAMING)
            .await
            .expect_err("short body");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(String::from_utf8_lossy(&out).contains("Content-Length: 10\r\n"));
    }
}
