//! Why a fetch produced no exchange, and how an exchange can be cut short.

use std::fmt;
use std::io;

/// The wait that ran out of time before the response head was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutStage {
    /// DNS lookup and TCP connect (`connect_timeout`).
    Connect,
    /// TLS handshake (also bounded by `connect_timeout`).
    Tls,
    /// Sending the request and waiting for the whole response head (`header_timeout`).
    Header,
    /// The whole fetch ran past `total_timeout` before the head was complete.
    Total,
}

impl fmt::Display for TimeoutStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutStage::Connect => "connect",
            TimeoutStage::Tls => "TLS handshake",
            TimeoutStage::Header => "waiting for the response head",
            TimeoutStage::Total => "the fetch (total timeout)",
        })
    }
}

/// Why a body stopped before its natural end. The exchange keeps what arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// `max_size` was reached and reading stopped.
    Length,
    /// The body went idle past `body_timeout`, or the fetch ran past `total_timeout`.
    Time,
    /// The connection was closed or reset mid-body, or the body's framing broke.
    Disconnect,
}

impl Truncation {
    /// The value for a WARC `WARC-Truncated` header.
    pub fn warc_reason(self) -> &'static str {
        match self {
            Truncation::Length => "length",
            Truncation::Time => "time",
            Truncation::Disconnect => "disconnect",
        }
    }
}

/// A fetch that produced no response head. Every variant names the URL in its message.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL or an extra header cannot be sent (not http(s), no host, bytes HTTP forbids).
    #[error("{url}: cannot build the request: {reason}")]
    Request { url: String, reason: String },
    /// The host name did not resolve.
    #[error("{url}: DNS lookup failed: {source}")]
    Dns { url: String, source: io::Error },
    /// No TCP connection could be made (refused, unreachable).
    #[error("{url}: connect failed: {source}")]
    Connect { url: String, source: io::Error },
    /// The TLS handshake failed (certificate, protocol).
    #[error("{url}: TLS handshake failed: {source}")]
    Tls { url: String, source: io::Error },
    /// A wait ran out of time before the response head was complete.
    #[error("{url}: timed out during {stage}")]
    Timeout { url: String, stage: TimeoutStage },
    /// The server's answer is not HTTP/1.x (e.g. a malformed status line). `raw` holds the bytes
    /// received, so the crawl can log what the server really sent.
    #[error("{url}: protocol error: {message}")]
    Protocol {
        url: String,
        message: String,
        raw: Vec<u8>,
    },
    /// Reading, writing or spooling failed before the head was complete (including a connection
    /// closed before any answer).
    #[error("{url}: I/O error: {source}")]
    Io { url: String, source: io::Error },
}

impl FetchError {
    /// A failure the same request meets on every try (an unbuildable request, a certificate
    /// that is not trusted or not for this host): retrying only delays the crawl.
    pub fn is_permanent(&self) -> bool {
        match self {
            FetchError::Request { .. } => true,
            FetchError::Tls { source, .. } => super::connect::TlsProblem::recorded_in(source)
                .is_some_and(super::connect::TlsProblem::is_certificate),
            _ => false,
        }
    }
}
