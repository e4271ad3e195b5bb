//! Reads the browser's requests off one connection: each head whole and bounded, then its body.
//!
//! The head is kept byte for byte (the upstream gets exactly what the browser sent) and parsed
//! with httparse. Every read has a deadline: the wait for a request to begin
//! (`idle_timeout`, the keep-alive idle time), for the rest of its head once it has (`head_timeout`)
//! and for each piece of a body (`body_timeout`).

use std::io;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

/// Header fields a request may have at most (Chromium sends about fifteen).
pub(super) const MAX_HEADERS: usize = 128;

/// A request head as read.
#[derive(Debug)]
pub(super) struct Head {
    pub method: String,
    pub target: String,
    /// HTTP/1.`minor`.
    pub minor: u8,
    pub headers: Vec<(String, Vec<u8>)>,
    /// The exact bytes: request line, header lines, blank line.
    pub raw: Bytes,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether a comma-separated header holds `token` (case-insensitive), in any of its fields.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(|b| *b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }

    /// Whether the client wants the connection kept open after this request.
    pub fn keep_alive(&self) -> bool {
        let close =
            self.has_token("connection", "close") || self.has_token("proxy-connection", "close");
        let keep = self.has_token("connection", "keep-alive")
            || self.has_token("proxy-connection", "keep-alive");
        if self.minor == 0 {
            keep && !close
        } else {
            !close
        }
    }
}

/// Why no (further) request could be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    /// The client closed the connection between requests: the normal end.
    #[error("the connection closed")]
    Closed,
    /// The client went quiet between requests for the idle time: also a normal end.
    #[error("the connection was idle too long")]
    Idle,
    #[error("the request took too long to arrive")]
    Timeout,
    #[error("the request head is larger than {0} bytes")]
    HeadTooLarge(usize),
    #[error("the request has more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("the connection ended inside the request")]
    Truncated,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The time limits and sizes a connection is read within.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadLimits {
    pub idle_timeout: Duration,
    pub head_timeout: Duration,
    pub body_timeout: Duration,
    pub max_head: usize,
}

/// A connection's reading side with what was read past the last request.
pub(super) struct RequestReader<S> {
    pub stream: S,
    buf: Vec<u8>,
    limits: ReadLimits,
}

impl<S: AsyncRead + Unpin> RequestReader<S> {
    pub fn new(stream: S, limits: ReadLimits) -> Self {
        RequestReader {
            stream,
            buf: Vec::new(),
            limits,
        }
    }

    /// Bytes already read that belong to no request yet (after a `CONNECT` there must be none:
    /// the client waits for our answer before it starts TLS).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Reads the next request head.
    pub async fn read_head(&mut self) -> Result<Head, ReadError> {
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        let blank = self
            .buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        self.buf.drain(..blank);
        let mut deadline = Instant::now()
            + if self.buf.is_empty() {
                self.limits.idle_timeout
            } else {
                self.limits.head_timeout
            };
        loop {
            if !self.buf.is_empty()
                && let Some(head) = self.parse()?
            {
                return Ok(head);
            }
            if self.buf.len() > self.limits.max_head {
                return Err(ReadError::HeadTooLarge(self.limits.max_head));
            }
            let started = self.buf.is_empty();
            let mut chunk = [0u8; 8192];
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
            let n = match read {
                Err(_) if started => return Err(ReadError::Idle),
                Err(_) => return Err(ReadError::Timeout),
                Ok(Err(err)) if started && is_disconnect(&err) => return Err(ReadError::Closed),
                Ok(Err(err)) => return Err(ReadError::Io(err)),
                Ok(Ok(0)) if started => return Err(ReadError::Closed),
                Ok(Ok(0)) => return Err(ReadError::Truncated),
                Ok(Ok(n)) => n,
            };
            let leading = if started {
                chunk[..n]
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count()
            } else {
                0
            };
            self.buf.extend_from_slice(&chunk[leading..n]);
            if started && !self.buf.is_empty() {
                deadline = Instant::now() + self.limits.head_timeout;
            }
        }
    }

    /// A complete head at the start of the buffer, taken out of it.
    fn parse(&mut self) -> Result<Option<Head>, ReadError> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut fields);
        let len = match request.parse(&self.buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(ReadError::TooManyHeaders),
            Err(err) => return Err(ReadError::Malformed(err.to_string())),
        };
        if len > self.limits.max_head {
            return Err(ReadError::HeadTooLarge(self.limits.max_head));
        }
        let head = Head {
            method: request.method.unwrap_or_default().to_owned(),
            target: request.path.unwrap_or_default().to_owned(),
            minor: request.version.unwrap_or(1),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
            raw: Bytes::copy_from_slice(&self.buf[..len]),
        };
        self.buf.drain(..len);
        Ok(Some(head))
    }

    /// Reads a body of exactly `len` bytes.
    pub async fn read_body(&mut self, len: usize) -> Result<Bytes, ReadError> {
        let mut body = Vec::with_capacity(len.min(1 << 20));
        let from_buf = len.min(self.buf.len());
        body.extend(self.buf.drain(..from_buf));
        let mut chunk = vec![0u8; 64 * 1024];
        while body.len() < len {
            let want = (len - body.len()).min(chunk.len());
            let read = tokio::time::timeout(
                self.limits.body_timeout,
                self.stream.read(&mut chunk[..want]),
            )
            .await
            .map_err(|_| ReadError::Timeout)??;
            if read == 0 {
                return Err(ReadError::Truncated);
            }
            body.extend_from_slice(&chunk[..read]);
        }
        Ok(Bytes::from(body))
    }
}

fn is_disconnect(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ReadLimits = ReadLimits {
        idle_timeout: Duration::from_secs(5),
        head_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(5),
        max_head: 1024,
    };

    async fn heads(input: &[u8], pieces: usize) -> Vec<Result<Head, String>> {
        let (mut client, server) = tokio::io::duplex(64);
        let input = input.to_vec();
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let step = input.len().div_ceil(pieces.max(1)).max(1);
            for piece in input.chunks(step) {
                // The reader stops at the first bad head and drops its end: then writes fail.
                if client.write_all(piece).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        });
        let mut reader = RequestReader::new(server, LIMITS);
        let mut out = Vec::new();
        loop {
            match reader.read_head().await {
                Ok(head) => out.push(Ok(head)),
                Err(ReadError::Closed) => break,
                Err(err) => {
                    out.push(Err(err.to_string()));
                    break;
                }
            }
        }
        drop(reader);
        writer.await.expect("writer");
        out
    }

    #[tokio::test]
    async fn heads_are_kept_byte_for_byte_whatever_the_pieces() {
        let input = b"GET http://eksempel.dk/s%C3%B8g?q=1 HTTP/1.1\r\nHost: eksempel.dk\r\nX-Odd-CASE:  v\r\nAccept: a\r\nAccept: b\r\n\r\n\r\nGET http://eksempel.dk/ HTTP/1.1\r\nHost: eksempel.dk\r\n\r\n";
        for pieces in [1, 3, 17, input.len()] {
            let got = heads(input, pieces).await;
            assert_eq!(got.len(), 2, "{pieces} pieces: {got:?}");
            let first = got[0].as_ref().expect("first");
            assert_eq!(first.method, "GET");
            assert_eq!(first.target, "http://eksempel.dk/s%C3%B8g?q=1");
            assert_eq!(
                first.headers,
                vec![
                    ("Host".to_string(), b"eksempel.dk".to_vec()),
                    ("X-Odd-CASE".to_string(), b"v".to_vec()),
                    ("Accept".to_string(), b"a".to_vec()),
                    ("Accept".to_string(), b"b".to_vec()),
                ]
            );
            let end = input
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("end")
                + 4;
            assert_eq!(&first.raw[..], &input[..end]);
            let second = got[1].as_ref().expect("second");
            assert_eq!(second.target, "http://eksempel.dk/");
        }
    }

    #[tokio::test]
    async fn an_oversized_or_malformed_head_is_refused() {
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(2000));
        let got = heads(long.as_bytes(), 4).await;
        assert!(
            matches!(&got[..], [Err(e)] if e.contains("larger than 1024")),
            "{got:?}"
        );
        let got = heads(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 1).await;
        assert!(
            matches!(&got[..], [Err(e)] if e.contains("malformed")),
            "{got:?}"
        );
        let many: String = (0..200).map(|i| format!("H{i}: v\r\n")).collect();
        let input = format!("GET / HTTP/1.1\r\n{many}\r\n");
        let mut reader = RequestReader::new(
            std::io::Cursor::new(input.into_bytes()),
            ReadLimits {
                max_head: 1 << 20,
                ..LIMITS
            },
        );
        assert!(matches!(
            reader.read_head().await,
            Err(ReadError::TooManyHeaders)
        ));
    }

    #[tokio::test]
    async fn a_connection_cut_inside_a_head_is_truncated_not_closed() {
        let got = heads(b"GET / HTTP/1.1\r\nHost: x\r\n", 2).await;
        assert!(
            matches!(&got[..], [Err(e)] if e.contains("ended inside")),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn keep_alive_follows_the_version_and_the_connection_header() {
        let input = b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\nGET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
        let got = heads(input, 1).await;
        let alive: Vec<bool> = got
            .iter()
            .map(|h| h.as_ref().expect("head").keep_alive())
            .collect();
        assert_eq!(alive, [true, false, false, true]);
    }

    #[tokio::test]
    async fn a_body_is_read_to_its_length_across_the_buffer() {
        let input = b"POST http://x/ HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world";
        let mut reader = RequestReader::new(std::io::Cursor::new(input.to_vec()), LIMITS);
        let head = reader.read_head().await.expect("head");
        assert_eq!(head.header("content-length"), Some(&b"11"[..]));
        assert_eq!(
            &reader.read_body(11).await.expect("body")[..],
            b"hello world"
        );
        let mut short = RequestReader::new(std::io::Cursor::new(input.to_vec()), LIMITS);
        short.read_head().await.expect("head");
        assert!(matches!(
            short.read_body(12).await,
            Err(ReadError::Truncated)
        ));
    }
}
