//! Why a fetch produced no exchange, and how an exchange can be cut short.

use std::fmt;
use std::io;

use crate::outcome::Failure;
pub use crate::outcome::TlsProblem;

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

pub use crate::outcome::Truncation;

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
    /// The TLS handshake failed (certificate, protocol), for `problem`.
    #[error("{url}: TLS handshake failed: [{}] {}: {source}", problem.tag(), problem.explain())]
    Tls {
        url: String,
        problem: TlsProblem,
        source: io::Error,
    },
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
    /// The proxy asked for credentials (`407` to `CONNECT`), or refused the ones sent. Not retried:
    /// it answers the same way every time. (A `407` to an http request is an archived response.)
    #[error("{url}: the proxy {proxy} {reason}")]
    ProxyAuth {
        url: String,
        /// The proxy as `http://host:port/`, never with credentials.
        proxy: String,
        reason: String,
    },
    /// The proxy did not open a tunnel to the site (it could not reach it, refused it, or broke
    /// the `CONNECT` handshake).
    #[error("{url}: the proxy {proxy} opened no tunnel: {message}")]
    Proxy {
        url: String,
        proxy: String,
        message: String,
    },
}

impl FetchError {
    /// What kind of failure this is, for crawl.log, the summary and the state.
    pub fn failure(&self) -> Failure {
        match self {
            FetchError::Request { .. } => Failure::Request,
            FetchError::Dns { .. } => Failure::Dns,
            FetchError::Connect { .. } => Failure::Connect,
            FetchError::Tls { problem, .. } => Failure::Tls(*problem),
            FetchError::Timeout { .. } => Failure::Timeout,
            FetchError::Protocol { .. } => Failure::Protocol,
            FetchError::Io { .. } => Failure::Io,
            FetchError::ProxyAuth { .. } => Failure::Auth,
            FetchError::Proxy { .. } => Failure::Connect,
        }
    }

    /// A failure the same request meets on every try (an unbuildable request, a certificate
    /// that is not trusted or not for this host): retrying only delays the crawl.
    pub fn is_permanent(&self) -> bool {
        match self {
            FetchError::Request { .. } | FetchError::ProxyAuth { .. } => true,
            FetchError::Tls { problem, .. } => problem.is_certificate(),
            _ => false,
        }
    }
}

/// Classifies a handshake error from tokio-rustls (which wraps `rustls::Error` in `io::Error`).
pub fn classify_tls(error: &io::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return TlsProblem::Handshake;
    };
    match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => TlsProblem::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHost,
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::Revoked => TlsProblem::Revoked,
            _ => TlsProblem::BadCertificate,
        },
        rustls::Error::NoCertificatesPresented => TlsProblem::BadCertificate,
        rustls::Error::AlertReceived(_) => TlsProblem::Refused,
        _ => TlsProblem::Handshake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_errors_are_classified_and_named_in_the_message() {
        let wrapped = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let unknown = wrapped(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert_eq!(classify_tls(&unknown), TlsProblem::UnknownIssuer);
        let name = wrapped(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName,
        ));
        assert_eq!(classify_tls(&name), TlsProblem::WrongHost);
        let cut = io::Error::new(io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(classify_tls(&cut), TlsProblem::Handshake);
        let error = FetchError::Tls {
            url: "https://dns.example/connect".into(),
            problem: classify_tls(&name),
            source: name,
        };
        assert_eq!(error.failure(), Failure::Tls(TlsProblem::WrongHost));
        assert!(error.is_permanent());
        assert!(error.to_string().contains("[tls-wrong-host]"), "{error}");
    }

    /// The kind comes from the type: words in the URL or the message do not change it.
    #[test]
    fn failures_are_named_from_their_type_not_their_text() {
        let refused = FetchError::Connect {
            url: "http://127.0.0.1:9/dnsimple/protocol.html".into(),
            source: io::Error::new(io::ErrorKind::ConnectionRefused, "timed out? no: refused"),
        };
        assert_eq!(refused.failure(), Failure::Connect);
        let timeout = FetchError::Timeout {
            url: "http://h/connect-tls".into(),
            stage: TimeoutStage::Connect,
        };
        assert_eq!(timeout.failure(), Failure::Timeout);
    }
}
