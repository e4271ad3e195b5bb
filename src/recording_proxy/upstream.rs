//! What the proxy asks of the crawl: one [`ProxyRequest`] in, one [`Answer`] out.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::io::AsyncRead;
use url::Url;

/// Answers the requests the browser makes through the proxy.
///
/// The crawl implements this with its own fetcher, scope rules and archive: it fetches (or finds
/// already archived) what it takes and declines the rest. The proxy calls it once per request,
/// concurrently for requests on different connections, and bounds each call by
/// [`ProxyOptions::upstream_timeout`](super::ProxyOptions::upstream_timeout).
///
/// The returned future may be dropped before it finishes: at that timeout, or when the door the
/// request came through closes (its page is done) or the proxy stops. Work that must finish
/// whatever the browser does, such as writing a record to the WARC, belongs in a task of its own
/// that the future only waits for.
pub trait Upstream: Send + Sync + 'static {
    /// The answer to send back to the browser for `request`.
    fn answer(&self, request: ProxyRequest) -> BoxFuture<'_, Answer>;
}

/// One request as the browser sent it to the proxy.
#[derive(Clone)]
pub struct ProxyRequest {
    /// The method as sent (`GET`, `POST`, …).
    pub method: String,
    /// The absolute URL: from the absolute-form request target, or for a request inside a
    /// `CONNECT` tunnel `https://` + the tunnel's authority + the origin-form target. Parsed by
    /// `url`, so it is normalised (host lower-cased, default port dropped); `target` is the raw form.
    pub url: Url,
    /// The request target exactly as it appeared in the request line.
    pub target: String,
    /// The exact request head the browser sent: request line, header lines and the blank line.
    pub head: Bytes,
    /// The header fields in wire order and case, values as sent (repeats kept).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The request body (`Content-Length` bytes; empty for requests without one).
    pub body: Bytes,
    /// The label of the door the request came in through ([`ProxyServer::open_door`](super::ProxyServer::open_door)),
    /// usually the page being rendered; `None` for the proxy's main address.
    pub door: Option<Arc<str>>,
}

impl ProxyRequest {
    /// The first value of header `name` (case-insensitive), as sent.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

impl fmt::Debug for ProxyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("door", &self.door)
            .field("headers", &self.headers.len())
            .field("body", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What the upstream decided about one request.
#[derive(Debug)]
pub enum Answer {
    /// Send this response to the browser.
    Respond(ProxyResponse),
    /// The crawl does not take this URL (out of scope, robots.txt, a trap, …): the browser gets a
    /// plain `403 Forbidden` whose body names `reason`.
    Declined { reason: String },
    /// The crawl took the URL but could not get it (network error, TLS failure, …): the browser
    /// gets `502 Bad Gateway` whose body names `reason`.
    Failed { reason: String },
}

/// A response for the browser, as the site sent it.
pub struct ProxyResponse {
    /// The status code, 200–999 (a 1xx is refused and becomes a 502: the proxy sends one final
    /// response per request and tunnels nothing, so `101 Switching Protocols` cannot pass).
    pub status: u16,
    /// The reason phrase as the site sent it (may be empty).
    pub reason: String,
    /// The header fields in the site's order and case. The proxy drops the hop-by-hop fields
    /// (`Connection` and what it names, `Keep-Alive`, `Transfer-Encoding`, `Content-Length`,
    /// `Proxy-*`, `TE`, `Trailer`, `Upgrade`) and frames the body itself; a field with a
    /// malformed name or a value holding CR, LF or NUL is left out.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The entity body: transfer coding removed, content coding kept (the browser decodes it,
    /// as it would have from the site, so `Content-Encoding` must stay in `headers`).
    pub body: ResponseBody,
}

impl fmt::Debug for ProxyResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyResponse")
            .field("status", &self.status)
            .field("reason", &self.reason)
            .field("headers", &self.headers)
            .field("body", &self.body.len())
            .finish()
    }
}

/// The bytes of a response body.
pub enum ResponseBody {
    /// Held in memory.
    Full(Bytes),
    /// Streamed from a reader (a spooled file, a WARC record) that yields exactly `len` bytes;
    /// a reader that ends early or fails cuts the connection, so the browser sees a broken
    /// response rather than a short one it would take for whole.
    Reader {
        len: u64,
        reader: Box<dyn AsyncRead + Send + Unpin>,
    },
}

impl ResponseBody {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            ResponseBody::Full(bytes) => bytes.len() as u64,
            ResponseBody::Reader { len, .. } => *len,
        }
    }

    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody::Full(bytes)
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        ResponseBody::Full(Bytes::from(bytes))
    }
}
