//! A tiny raw-TCP HTTP client for checking the exact bytes the fixture server sends.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// No read in these tests may block longer than this (generous: a real site may delay a route
/// for fetch-timeout tests).
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything a connection delivered until the server closed it.
#[derive(Debug)]
pub struct Exchange {
    pub bytes: Vec<u8>,
    /// The error that ended reading, if it was not a clean EOF (a reset, for instance).
    pub error: Option<ErrorKind>,
}

/// Sends `request` verbatim and reads until the server closes the connection.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Exchange {
    let mut stream = connect(addr);
    stream.write_all(request).expect("send request");
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Exchange { bytes, error: None },
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(err) => {
                assert_ne!(
                    err.kind(),
                    ErrorKind::WouldBlock,
                    "server neither answered nor closed in time"
                );
                assert_ne!(
                    err.kind(),
                    ErrorKind::TimedOut,
                    "server neither answered nor closed in time"
                );
                return Exchange {
                    bytes,
                    error: Some(err.kind()),
                };
            }
        }
    }
}

/// `GET target` with `Connection: close`, read to EOF.
pub fn get_closing(addr: SocketAddr, target: &str) -> Exchange {
    exchange(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// `GET target` with `Connection: close` and `headers` after `Host`, read to EOF.
pub fn get_with(addr: SocketAddr, target: &str, headers: &[(String, String)]) -> Exchange {
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    exchange(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to fixture server");
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("set timeout");
    stream
}

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status_line: String,
    /// The head as received, status line to blank line.
    pub head: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// Body as on the wire (chunk framing included).
    pub wire_body: Vec<u8>,
    /// Body without chunk framing (not content-decoded).
    pub body: Vec<u8>,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Splits a head from `bytes`: `(head, rest)`, or `None` when the blank line is missing.
pub fn split_head(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((&bytes[..end], &bytes[end..]))
}

fn parse_head(head: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("header without colon: {l:?}"));
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    (status_line, headers)
}

/// Parses a complete response read to EOF; the body is framed by Content-Length or chunked
/// encoding when present (the rest is ignored), else it runs to the end.
pub fn parse_response(bytes: &[u8]) -> Response {
    let (head, rest) = split_head(bytes)
        .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(bytes)));
    let (status_line, headers) = parse_head(head);
    let mut response = Response {
        status_line,
        head: head.to_vec(),
        headers,
        wire_body: Vec::new(),
        body: Vec::new(),
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let (body, used) = dechunk(rest).expect("valid chunked framing");
        response.wire_body = rest[..used].to_vec();
        response.body = body;
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().expect("numeric Content-Length");
        let end = length.min(rest.len());
        response.wire_body = rest[..end].to_vec();
        response.body = rest[..end].to_vec();
    } else {
        response.wire_body = rest.to_vec();
        response.body = rest.to_vec();
    }
    response
}

/// Decodes chunked framing strictly; returns the body, the bytes used, and each chunk's size via
/// [`chunk_sizes`].
pub fn dechunk(wire: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = wire[pos..].windows(2).position(|w| w == b"\r\n")? + pos;
        let size =
            usize::from_str_radix(std::str::from_utf8(&wire[pos..line_end]).ok()?, 16).ok()?;
        pos = line_end + 2;
        if size == 0 {
            return (wire.get(pos..pos + 2)? == b"\r\n").then_some((body, pos + 2));
        }
        body.extend_from_slice(wire.get(pos..pos + size)?);
        pos += size;
        if wire.get(pos..pos + 2)? != b"\r\n" {
            return None;
        }
        pos += 2;
    }
}

/// The sizes of the chunks in a valid chunked body.
pub fn chunk_sizes(wire: &[u8]) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut pos = 0;
    while let Some(line_end) = wire[pos..].windows(2).position(|w| w == b"\r\n") {
        let Ok(size) =
            usize::from_str_radix(&String::from_utf8_lossy(&wire[pos..pos + line_end]), 16)
        else {
            break;
        };
        sizes.push(size);
        pos += line_end + 2 + size + 2;
        if size == 0 || pos > wire.len() {
            break;
        }
    }
    sizes
}

/// A persistent connection that reads one response at a time (for keep-alive tests).
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Connection {
        Connection {
            stream: connect(addr),
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, request: &[u8]) {
        self.stream.write_all(request).expect("send request");
    }

    /// Reads exactly one response framed by Content-Length or chunked encoding.
    pub fn read_response(&mut self) -> Response {
        self.read(false)
    }

    /// Reads the response to a HEAD request: a head, no body whatever its Content-Length says.
    pub fn read_head_response(&mut self) -> Response {
        self.read(true)
    }

    fn read(&mut self, head_only: bool) -> Response {
        loop {
            if let Some((head, rest)) = split_head(&self.buf) {
                let (_, headers) = parse_head(head);
                let probe = Response {
                    status_line: String::new(),
                    head: Vec::new(),
                    headers,
                    wire_body: Vec::new(),
                    body: Vec::new(),
                };
                let needed = if head_only {
                    Some(0)
                } else if probe.header("transfer-encoding").is_some() {
                    dechunk(rest).map(|(_, used)| used)
                } else {
                    let length: usize = probe
                        .header("content-length")
                        .map_or(0, |l| l.parse().expect("length"));
                    (rest.len() >= length).then_some(length)
                };
                if let Some(needed) = needed {
                    let total = head.len() + needed;
                    let mut response = parse_response(&self.buf[..total]);
                    if head_only {
                        response.wire_body.clear();
                        response.body.clear();
                    }
                    self.buf.drain(..total);
                    return response;
                }
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).expect("read response");
            assert!(
                n > 0,
                "connection closed before a whole response: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Whether the server has closed the connection (EOF on the next read).
    pub fn is_closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0))
    }
}
