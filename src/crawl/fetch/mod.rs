//! Fetches one URL over HTTP/1.1 and keeps the exact bytes that crossed the wire, for the WARC.
//!
//! reqwest cannot hand over what the server sent (it lower-cases header names, regroups repeated
//! headers, strips chunk framing and content encoding), so this uses hyper's low-level HTTP/1.1
//! client over a [`recorder`] that copies every byte written and read. hyper still does the
//! framing (chunked, Content-Length, close-delimited) and hands us the payload; the raw bytes and
//! the payload are both spooled and hashed while streaming, so memory stays flat for huge bodies.
//!
//! Redirects are never followed (a 3xx is just an [`Exchange`]). Keep-alive connections are pooled
//! per origin; if the server closed a pooled connection before answering, the fetch is retried once
//! on a fresh connection. Every wait is bounded: `connect_timeout` (DNS, TCP, TLS),
//! `header_timeout` (send and wait for the head), `body_timeout` (idle between body reads) and
//! `total_timeout` over the whole fetch. Once the head is complete nothing is an error any more:
//! a body cut short is an exchange with [`Truncation`] set, keeping what arrived.
//!
//! When a body is truncated by `max_size`, `response` holds everything read from the socket until
//! reading stopped, which may run a little past the payload cut (hyper reads in buffer-sized
//! pieces); it is still exactly what was received.
//!
//! Sites behind a login or a proxy: [`Fetcher::fetch_answering`] answers a `401` from an allowed
//! origin with the user's credentials ([`login`]) and hands back every exchange, the challenge
//! included, for the archive. Cookies loaded from files join the jar. A URL the proxy settings
//! send through a proxy is fetched through it ([`connect`]; absolute-form requests for http,
//! `CONNECT` for https), with `Proxy-Authorization: Basic` when the proxy has credentials (as curl
//! and wget send it); a `407` is not answered again.

mod connect;
mod cookies;
mod error;
mod login;
mod pool;
mod recorder;
mod request;
pub mod spool;
mod trust;

use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use url::Url;

pub use crate::warc::http_head::{HeadError, ResponseHead, parse_response_head};
pub use connect::{ALPN_HTTP11, tls_config};
pub use error::{FetchError, TimeoutStage, TlsProblem, Truncation, classify_tls};
pub use login::{LoginConfig, MAX_ANSWERS};
pub use request::ACCEPT_ENCODING;
pub use spool::{Spool, SpoolReader, SpoolWriter};
pub use trust::{CA_CERT_HINT, CaCert, CaCertError};

use connect::{Conn, Origin, ProxyAddr, TunnelHeaders};
use cookies::CookieJar;
use login::{Login, Reply};
use pool::Pool;
use request::TargetForm;

use crate::auth::{AuthRequest, FileCookie};
use crate::proxy::{Proxy, ProxySettings};

// The fetcher's defaults are the crawl's (one place for every default).
pub use crate::crawl::config::{
    DEFAULT_BODY_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_SPOOL_THRESHOLD,
    DEFAULT_TOTAL_TIMEOUT,
};
/// Default number of idle keep-alive connections kept per origin.
pub const DEFAULT_MAX_IDLE_PER_ORIGIN: usize = 4;
/// Default `Accept` header: what a browser asks for, so servers answer as they did to visitors.
pub const DEFAULT_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// How the fetcher behaves.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Sent as `Accept`.
    pub accept: String,
    /// DNS lookup, TCP connect and TLS handshake together.
    pub connect_timeout: Duration,
    /// From sending the request to a complete response head.
    pub header_timeout: Duration,
    /// Longest silence between two reads of the body; past it the body is truncated (`Time`).
    pub body_timeout: Duration,
    /// The whole fetch; past it the body is truncated (`Time`), or the fetch fails before the head.
    pub total_timeout: Duration,
    /// Payload bytes kept at most; past it reading stops (`Truncation::Length`). `None`: no limit.
    pub max_size: Option<u64>,
    /// Bodies up to this many bytes stay in memory; larger ones go to a temp file in `spool_dir`.
    pub spool_threshold: usize,
    /// Where temp files go. The crawl passes `<out>/state/tmp`; the default is the system temp dir.
    pub spool_dir: PathBuf,
    /// Idle keep-alive connections kept per origin (0 disables reuse).
    pub max_idle_per_origin: usize,
    /// Trust anchors added to the webpki roots (`--ca-cert`); verification itself is never off.
    pub ca_certs: Vec<CaCert>,
    /// Sent with every request, after the defaults (`--header`).
    pub headers: Vec<(String, String)>,
    /// The user's credentials and secret headers, and the origins they go to.
    pub login: LoginConfig,
    /// Cookies from files (`--load-cookies`), in the jar from the start.
    pub cookies: Vec<FileCookie>,
    /// Which URLs go through which proxy.
    pub proxies: ProxySettings,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: crate::SOFTWARE.to_owned(),
            accept: DEFAULT_ACCEPT.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_size: None,
            spool_threshold: DEFAULT_SPOOL_THRESHOLD,
            spool_dir: std::env::temp_dir(),
            max_idle_per_origin: DEFAULT_MAX_IDLE_PER_ORIGIN,
            ca_certs: Vec::new(),
            headers: Vec::new(),
            login: LoginConfig::default(),
            cookies: Vec::new(),
            proxies: ProxySettings::default(),
        }
    }
}

/// One request and its response, as they crossed the wire.
#[derive(Debug)]
pub struct Exchange {
    /// Exact bytes sent: request line and headers (GET, so no body).
    pub request: Vec<u8>,
    /// Exact bytes received: status line, headers as sent, chunk framing, content encoding.
    pub response: Spool,
    /// Length of the (final) status line + headers + blank line at the start of `response`.
    pub head_len: usize,
    /// The entity body: transfer encoding removed, content encoding kept.
    pub payload: Spool,
    /// `sha1:BASE32` of `payload`.
    pub payload_digest: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase as sent.
    pub reason: String,
    /// Response headers in wire order and case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The peer's address, from the connected socket (for `WARC-IP-Address`).
    pub ip: IpAddr,
    /// When the fetch started.
    pub started: DateTime<Utc>,
    /// How long the fetch took, from start to the last byte.
    pub elapsed: Duration,
    /// Why the body stopped early, if it did.
    pub truncated: Option<Truncation>,
}

impl Exchange {
    /// The value of header `name` as sent (the last, when repeated: see `content::header`).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        crate::content::header_value(&self.headers, name)
    }

    /// Every value of header `name`, in order, as text.
    fn header_texts<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// What fetching one URL came to, with its login: the challenges answered on the way, then the
/// last try.
#[derive(Debug)]
pub struct Answered {
    /// `401`s that the credentials answered, in order; each is archived as received.
    pub challenged: Vec<Exchange>,
    /// The last exchange, or why there was none.
    pub last: Result<Exchange, FetchError>,
    /// Set when `last` is a `401` (or a proxy's `407`) the credentials cannot answer: why.
    pub auth_failure: Option<String>,
}

/// Fetches URLs; cheap to clone and share across tasks (clones share the connection pool).
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    config: FetchConfig,
    tls: TlsConnector,
    pool: Pool,
    cookies: std::sync::Mutex<CookieJar>,
    login: Login,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `TlsConnector` has no `Debug`; the pool and config say what matters.
        f.debug_struct("Inner")
            .field("config", &self.config)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// A failed attempt, and whether it failed because a pooled connection had gone stale.
struct Failure {
    error: FetchError,
    stale: bool,
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Self {
        Failure {
            error,
            stale: false,
        }
    }
}

impl Fetcher {
    /// A fetcher with its own connection pool.
    pub fn new(config: FetchConfig) -> Self {
        // Only fails if the ring provider lacks every default protocol version, which it does not.
        let tls =
            tls_config(&config.ca_certs).expect("ring supports rustls' default protocol versions");
        let mut jar = CookieJar::default();
        jar.load(&config.cookies);
        Fetcher {
            inner: Arc::new(Inner {
                pool: Pool::new(config.max_idle_per_origin),
                cookies: std::sync::Mutex::new(jar),
                login: Login::new(&config.login),
                config,
                tls: TlsConnector::from(Arc::new(tls)),
            }),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.inner.config
    }

    /// The crawl's session cookies (a panic elsewhere leaves them usable).
    fn jar(&self) -> std::sync::MutexGuard<'_, CookieJar> {
        self.inner
            .cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// GETs `url` as [`Fetcher::fetch`] does, and answers a `401` from an allowed origin with the
    /// user's credentials (at most [`MAX_ANSWERS`] times, as the authenticator allows): up front
    /// where an earlier challenge covers the URL, else after the challenge. The secret headers go
    /// with every request to an allowed origin, to no other.
    pub async fn fetch_answering(&self, url: &Url) -> Answered {
        let login = &self.inner.login;
        let target = request::origin_form(url);
        let auth_request = AuthRequest {
            method: "GET",
            path: url.path(),
            // Digest's `uri` is the request-target the server sees: origin form, also when a
            // proxy forwards the request (it rewrites the absolute form).
            target,
        };
        let secret_headers = login.headers_for(url);
        // A Digest answer holds its origin's turn until its exchange is over (see `login`).
        let (mut sent, mut turn) = login.preemptive(url, auth_request).await;
        let mut challenged = Vec::new();
        loop {
            let mut headers = secret_headers.clone();
            if let Some(value) = &sent {
                headers.push(("Authorization".to_owned(), value.clone()));
            }
            let fetched = self.fetch(url, &headers).await;
            drop(turn.take());
            let exchange = match fetched {
                Ok(exchange) => exchange,
                Err(error) => {
                    return Answered {
                        challenged,
                        last: Err(error),
                        auth_failure: None,
                    };
                }
            };
            let auth_failure = match exchange.status {
                401 => {
                    let values: Vec<String> = exchange.header_texts("www-authenticate").collect();
                    let (reply, next_turn) = login
                        .challenged(
                            url,
                            auth_request,
                            values.iter().map(String::as_str),
                            sent.as_deref(),
                        )
                        .await;
                    match reply {
                        Reply::Retry(value) if challenged.len() < MAX_ANSWERS => {
                            tracing::debug!(url = url.as_str(), "401: answering the challenge");
                            challenged.push(exchange);
                            sent = Some(value);
                            turn = next_turn;
                            continue;
                        }
                        Reply::Retry(_) => Some(format!(
                            "still asked for credentials after {MAX_ANSWERS} answers (the 401 is \
                             archived as sent)"
                        )),
                        Reply::Refused(why) => Some(why),
                        Reply::NotOurs => None,
                    }
                }
                407 => self.proxy_for(url).map(|proxy| {
                    let what = if proxy.credentials.is_some() {
                        "refused the proxy credentials"
                    } else {
                        "asks for credentials; give them with --proxy-user and \
                         --proxy-password-env"
                    };
                    format!(
                        "the proxy {} {what} (the 407 is archived as sent)",
                        proxy.shown()
                    )
                }),
                _ => None,
            };
            return Answered {
                challenged,
                last: Ok(exchange),
                auth_failure,
            };
        }
    }

    /// The proxy `url` goes through, if any.
    fn proxy_for(&self, url: &Url) -> Option<&Proxy> {
        self.inner.config.proxies.proxy_for(url)
    }

    /// GETs `url` (redirects are not followed), sending `extra_headers` after the defaults and
    /// `--header`s, through the proxy the settings name for it.
    pub async fn fetch(
        &self,
        url: &Url,
        extra_headers: &[(String, String)],
    ) -> Result<Exchange, FetchError> {
        let url_text = url.as_str();
        let mut origin = origin_of(url)?;
        origin.proxy = self.proxy_for(url).map(|proxy| ProxyAddr {
            host: proxy.host.clone(),
            port: proxy.port,
        });
        let started = Utc::now();
        let clock = Instant::now();
        let deadline = clock + self.inner.config.total_timeout;
        let mut fresh_only = false;
        loop {
            let attempt = self
                .attempt(url, &origin, extra_headers, deadline, fresh_only)
                .await;
            match attempt {
                Ok(mut exchange) => {
                    exchange.started = started;
                    exchange.elapsed = clock.elapsed();
                    return Ok(exchange);
                }
                Err(Failure { stale: true, .. }) if !fresh_only => fresh_only = true,
                Err(Failure { error, .. }) => {
                    return Err(match error {
                        FetchError::Timeout { url, .. } if Instant::now() >= deadline => {
                            FetchError::Timeout {
                                url,
                                stage: TimeoutStage::Total,
                            }
                        }
                        error => error,
                    });
                }
            }
            tracing::debug!(
                url = url_text,
                "pooled connection was closed; retrying fresh"
            );
        }
    }

    /// A ready connection: a pooled one when allowed and alive, else a new one.
    async fn connection(
        &self,
        origin: &Origin,
        deadline: Instant,
        fresh_only: bool,
        url: &str,
    ) -> Result<(Conn, bool), FetchError> {
        let config = &self.inner.config;
        if !fresh_only {
            while let Some(mut conn) = self.inner.pool.checkout(origin) {
                let wait = deadline.min(Instant::now() + config.connect_timeout);
                if let Ok(Ok(())) = tokio::time::timeout_at(wait, conn.sender.ready()).await {
                    return Ok((conn, true));
                }
            }
        }
        let connect_deadline = deadline.min(Instant::now() + config.connect_timeout);
        // Only https is tunnelled, and only through the https proxy.
        let proxy_authorization = match (&origin.proxy, &config.proxies.https) {
            (Some(_), Some(proxy)) if origin.https => proxy.authorization(),
            _ => None,
        };
        let tunnel = TunnelHeaders {
            proxy_authorization: proxy_authorization.as_deref(),
            user_agent: &config.user_agent,
        };
        let mut conn =
            connect::open(origin, &self.inner.tls, connect_deadline, url, tunnel).await?;
        tokio::time::timeout_at(connect_deadline, conn.sender.ready())
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.to_owned(),
                stage: TimeoutStage::Connect,
            })?
            .map_err(|err| io_error(url, err))?;
        Ok((conn, false))
    }

    /// One try of a fetch: request, connection, head, body, recording.
    async fn attempt(
        &self,
        url: &Url,
        origin: &Origin,
        extra_headers: &[(String, String)],
        deadline: Instant,
        fresh_only: bool,
    ) -> Result<Exchange, Failure> {
        let config = &self.inner.config;
        let url_text = url.as_str();
        let request = self.request_for(url, extra_headers)?;
        let (mut conn, reused) = self
            .connection(origin, deadline, fresh_only, url_text)
            .await?;
        conn.tape.arm(SpoolWriter::new(
            config.spool_threshold,
            config.spool_dir.clone(),
        ));
        let response = self
            .send(&mut conn, request, reused, deadline, url_text)
            .await?;
        let head = self.take_head(&mut conn, url)?;
        let (payload, truncated) =
            read_payload(response.into_body(), config, deadline, url_text).await?;
        let ip = conn.ip;
        let recording = self.finish_connection(conn, origin, &head, &payload, truncated);
        if let Some(source) = recording.error {
            return Err(io_failure(url_text, source).into());
        }
        let response = recording
            .received
            .map(SpoolWriter::finish)
            .transpose()
            .map_err(|source| io_failure(url_text, source))?
            .unwrap_or_else(|| Spool::from_bytes(Vec::new()));
        let payload = payload
            .finish()
            .map_err(|source| io_failure(url_text, source))?;
        Ok(Exchange {
            request: recording.sent,
            response,
            head_len: head.len,
            payload_digest: payload.digest().to_owned(),
            payload,
            status: head.status,
            reason: head.reason,
            headers: head.headers,
            ip,
            started: Utc::now(),
            elapsed: Duration::ZERO,
            truncated,
        })
    }

    /// The GET request for `url`: the `--header`s, `extra_headers`, the crawl's cookies for it
    /// and, to an http proxy, the absolute form and `Proxy-Authorization`.
    fn request_for(
        &self,
        url: &Url,
        extra_headers: &[(String, String)],
    ) -> Result<hyper::Request<http_body_util::Empty<bytes::Bytes>>, FetchError> {
        let config = &self.inner.config;
        let mut headers = config.headers.clone();
        headers.extend_from_slice(extra_headers);
        if let Some(cookie) = self.jar().header_for(url) {
            headers.push(("Cookie".to_owned(), cookie));
        }
        // https through a proxy is tunnelled: the request inside is the one for the site.
        let form = match self.proxy_for(url) {
            Some(proxy) if url.scheme() == "http" => {
                if let Some(value) = proxy.authorization() {
                    headers.push(("Proxy-Authorization".to_owned(), value));
                }
                TargetForm::Absolute
            }
            _ => TargetForm::Origin,
        };
        request::build_request(url, config, &headers, form).map_err(|reason| FetchError::Request {
            url: url.as_str().to_owned(),
            reason,
        })
    }

    /// Sends the request and waits for the response head (`header_timeout`). A pooled
    /// connection that the server had closed before answering is `stale`: tried again fresh.
    async fn send(
        &self,
        conn: &mut Conn,
        request: hyper::Request<http_body_util::Empty<bytes::Bytes>>,
        reused: bool,
        deadline: Instant,
        url: &str,
    ) -> Result<hyper::Response<hyper::body::Incoming>, Failure> {
        let head_deadline = deadline.min(Instant::now() + self.inner.config.header_timeout);
        let sent = tokio::time::timeout_at(head_deadline, conn.sender.send_request(request)).await;
        match sent {
            Err(_) => Err(FetchError::Timeout {
                url: url.to_owned(),
                stage: TimeoutStage::Header,
            }
            .into()),
            Ok(Err(err)) => {
                let stale = reused && conn.tape.received_len() == 0 && !err.is_user();
                Err(Failure {
                    error: send_error(url, err, conn.tape.take_head()),
                    stale,
                })
            }
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// The response head exactly as received, parsed; the site's cookies are kept.
    fn take_head(&self, conn: &mut Conn, url: &Url) -> Result<ResponseHead, FetchError> {
        let raw_head = conn.tape.take_head();
        let head = parse_response_head(&raw_head).map_err(|err| FetchError::Protocol {
            url: url.as_str().to_owned(),
            message: match err {
                HeadError::Incomplete => "hyper accepted a head we cannot find".to_owned(),
                HeadError::Malformed(message) => message,
            },
            raw: raw_head,
        })?;
        let set_cookie = head
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.as_slice());
        self.jar().store(url, set_cookie);
        Ok(head)
    }

    /// Returns a whole, clean connection to the pool and closes any other, and hands back what
    /// was recorded on it.
    fn finish_connection(
        &self,
        conn: Conn,
        origin: &Origin,
        head: &ResponseHead,
        payload: &SpoolWriter,
        truncated: Option<Truncation>,
    ) -> recorder::Recording {
        // Bytes past a Content-Length (or close-delimited) body are stray: hyper would reject
        // the connection on its next use, after the server got a request in vain. Retire it now.
        // (Chunked framing adds bytes of its own, so the check only covers unchunked bodies.)
        let chunked = head
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"));
        let stray = !chunked && conn.tape.received_len() > head.len as u64 + payload.len();
        if truncated.is_none() && !stray {
            let recording = conn.tape.take();
            self.inner.pool.checkin(origin.clone(), conn);
            recording
        } else {
            // Mid-response or holding stray bytes: close it so nothing else reads from it.
            let tape = conn.tape.clone();
            drop(conn);
            tape.take()
        }
    }
}

/// Reads the body into a spool: until its end, `max_size`, a silence past `body_timeout` or the
/// whole fetch's deadline. Once the head is complete nothing is an error: a body cut short is
/// kept with its [`Truncation`] (only a failing spool is an error).
async fn read_payload(
    mut body: hyper::body::Incoming,
    config: &FetchConfig,
    deadline: Instant,
    url: &str,
) -> Result<(SpoolWriter, Option<Truncation>), FetchError> {
    let mut payload = SpoolWriter::new(config.spool_threshold, config.spool_dir.clone());
    let truncated = loop {
        let idle_deadline = deadline.min(Instant::now() + config.body_timeout);
        let frame = match tokio::time::timeout_at(idle_deadline, body.frame()).await {
            Err(_) => break Some(Truncation::Time),
            Ok(None) => break None,
            // A reset, an early close or broken chunk framing: keep what arrived.
            Ok(Some(Err(_))) => break Some(Truncation::Disconnect),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers are not payload; they are in `response` with the rest of the wire bytes.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let room = config
            .max_size
            .map_or(u64::MAX, |max| max.saturating_sub(payload.len()));
        let take = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
        payload
            .write_all(&data[..take])
            .map_err(|source| io_failure(url, source))?;
        if take < data.len() {
            break Some(Truncation::Length);
        }
    };
    Ok((payload, truncated))
}

/// The pool key of an http(s) URL.
fn origin_of(url: &Url) -> Result<Origin, FetchError> {
    let fail = |reason: &str| FetchError::Request {
        url: url.as_str().to_owned(),
        reason: reason.to_owned(),
    };
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        _ => return Err(fail("only http and https URLs can be fetched")),
    };
    let host = url.host().ok_or_else(|| fail("the URL has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| fail("the URL has no port"))?;
    Ok(Origin {
        https,
        host: host.to_owned(),
        port,
        proxy: None,
    })
}

fn io_failure(url: &str, source: io::Error) -> FetchError {
    FetchError::Io {
        url: url.to_owned(),
        source,
    }
}

/// A hyper error as an I/O error, keeping the underlying `io::Error` (and its kind) when there is one.
fn io_error(url: &str, err: hyper::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(inner) = source {
        if let Some(io_err) = inner.downcast_ref::<io::Error>() {
            return io_failure(
                url,
                io::Error::new(io_err.kind(), format!("{err}: {io_err}")),
            );
        }
        source = inner.source();
    }
    io_failure(url, io::Error::other(err))
}

/// Classifies a failure before the response head was complete.
fn send_error(url: &str, err: hyper::Error, raw: Vec<u8>) -> FetchError {
    if err.is_parse() || (err.is_incomplete_message() && !raw.is_empty()) {
        let message = match std::error::Error::source(&err) {
            Some(cause) => format!("{err}: {cause}"),
            None => err.to_string(),
        };
        return FetchError::Protocol {
            url: url.to_owned(),
            message,
            raw,
        };
    }
    if err.is_incomplete_message() {
        return io_failure(
            url,
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before any response",
            ),
        );
    }
    io_error(url, err)
}
