//! The recording proxy's front: an HTTP/1.1 proxy on 127.0.0.1 through which the crawl's browser
//! makes every request, each handed to an [`Upstream`] (the crawl) that decides and answers.
//!
//! It answers absolute-form requests (`GET http://host/path HTTP/1.1`) and `CONNECT`; inside a
//! tunnel it terminates TLS with a leaf for the tunnel's host signed by a [`CertAuthority`] made
//! at start, and reads origin-form requests. It never forwards bytes anywhere by itself: what a
//! request gets is what the upstream answers, so it cannot be an open proxy, and it listens on
//! 127.0.0.1 only (there is no option for another address) and drops any peer that is not
//! loopback. Everything is bounded: head size and field count, body size, the wait for each
//! head, body piece and TLS handshake, the upstream's answer, and the number of connections.
//!
//! A [`Door`] is one more listening port whose requests carry a label, so that the crawl can
//! tell which page a request came from: each rendered page gets its own browser context whose
//! proxy is its own door.

mod authority;
mod connection;
mod head;
mod response;
mod server;
mod upstream;

use std::time::Duration;

pub use authority::CertAuthority;
pub use server::{Door, ProxyServer};
pub use upstream::{Answer, ProxyRequest, ProxyResponse, ResponseBody, Upstream};

/// Default most simultaneous browser connections (Chromium opens at most 32 to one proxy).
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;
/// Default largest request head.
pub const DEFAULT_MAX_HEAD: usize = 64 * 1024;
/// Default largest request body (form posts and beacons; a page uploads nothing larger).
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;
/// Default wait for the next request on an open connection.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default wait for the rest of a head once it has begun, and for a TLS handshake.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(20);
/// Default longest pause inside a request or response body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default longest wait for the upstream's answer (the fetcher's own total limit is 300 s).
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(330);

/// The proxy's bounds.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Port of the main address on 127.0.0.1; 0 takes a free one.
    pub port: u16,
    /// Connections open at once, over the main address and every door; more wait to be accepted.
    pub max_connections: usize,
    /// Largest request head in bytes (`431` past it).
    pub max_head: usize,
    /// Largest request body in bytes (`413` past it).
    pub max_body: usize,
    /// Wait for the next request on an idle connection, then close it.
    pub idle_timeout: Duration,
    /// Wait for the rest of a request head once it has begun, and for a TLS handshake (`408`).
    pub head_timeout: Duration,
    /// Longest pause while a request body arrives or a response body leaves.
    pub body_timeout: Duration,
    /// Longest wait for the upstream's answer (`504` past it).
    pub upstream_timeout: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            port: 0,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_head: DEFAULT_MAX_HEAD,
            max_body: DEFAULT_MAX_BODY,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
        }
    }
}

/// What can keep the proxy from starting.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the recording proxy cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the recording proxy cannot make a certificate: {0}")]
    Certificate(String),
}
