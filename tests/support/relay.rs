//! A test [`Upstream`] for the recording proxy: relays requests for one fixture server's origin to
//! it with a plain HTTP/1.1 client (over TLS for an https origin) and declines every other URL,
//! as the crawl declines what is out of scope. It remembers every request it was asked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arkiv::recording_proxy::{Answer, ProxyRequest, ProxyResponse, ResponseBody, Upstream};
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use url::Url;

/// No relayed fetch may take longer (the slowest fixture route waits 3 s).
const FETCH_LIMIT: Duration = Duration::from_secs(30);

/// One request the proxy handed over, and what became of it.
#[derive(Clone)]
pub struct Seen {
    pub method: String,
    pub url: String,
    pub door: Option<String>,
    /// The request head exactly as the browser sent it.
    pub head: Vec<u8>,
    /// The fixture server's status, or `None` when declined.
    pub status: Option<u16>,
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seen")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("door", &self.door)
            .field("status", &self.status)
            .field("head", &String::from_utf8_lossy(&self.head))
            .finish()
    }
}

pub struct Relay {
    /// Decline what comes through the proxy's main address, as the crawl does: each page has
    /// a door of its own, so the rest is the browser's own traffic (update checks, network
    /// time, account probes, which Chromium sends whatever its flags say).
    pages_only: bool,
    origin: Url,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
    seen: Mutex<Vec<Seen>>,
}

impl Relay {
    /// Relays to the server at `origin` (`http://127.0.0.1:PORT/`, or https with `ca_der` as the
    /// only trusted root).
    pub fn new(origin: &Url, ca_der: Option<&[u8]>) -> Arc<Relay> {
        Relay::build(origin, ca_der, false)
    }

    /// Like [`Relay::new`], declining every request that did not come through a door.
    pub fn for_pages(origin: &Url, ca_der: Option<&[u8]>) -> Arc<Relay> {
        Relay::build(origin, ca_der, true)
    }

    fn build(origin: &Url, ca_der: Option<&[u8]>, pages_only: bool) -> Arc<Relay> {
        let addr = origin
            .socket_addrs(|| None)
            .expect("address")
            .into_iter()
            .next()
            .expect("one address");
        let tls = ca_der.map(|der| {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from(der.to_vec()))
                .expect("test CA");
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            tokio_rustls::TlsConnector::from(Arc::new(config))
        });
        Arc::new(Relay {
            pages_only,
            origin: origin.clone(),
            addr,
            tls,
            seen: Mutex::new(Vec::new()),
        })
    }

    /// Every request so far, in the order they were answered.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The URLs seen (sorted, deduplicated).
    pub fn urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = self.seen().into_iter().map(|s| s.url).collect();
        urls.sort();
        urls.dedup();
        urls
    }

    fn remember(&self, request: &ProxyRequest, status: Option<u16>) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Seen {
                method: request.method.clone(),
                url: request.url.to_string(),
                door: request.door.as_deref().map(str::to_owned),
                head: request.head.to_vec(),
                status,
            });
    }

    async fn fetch(&self, request: &ProxyRequest) -> Result<ProxyResponse, String> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let mut path = request.url.path().to_owned();
        if let Some(query) = request.url.query() {
            path = format!("{path}?{query}");
        }
        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(path);
        for (name, value) in &request.headers {
            let lower = name.to_ascii_lowercase();
            if !matches!(
                lower.as_str(),
                "proxy-connection" | "connection" | "keep-alive"
            ) {
                builder = builder.header(name.as_str(), value.as_slice());
            }
        }
        let outgoing = builder
            .header("connection", "close")
            .body(Full::new(request.body.clone()))
            .map_err(|e| e.to_string())?;
        let response = match &self.tls {
            Some(tls) => {
                let name = ServerName::IpAddress(self.addr.ip().into());
                let stream = tls.connect(name, tcp).await.map_err(|e| e.to_string())?;
                send(TokioIo::new(stream), outgoing).await?
            }
            None => send(TokioIo::new(tcp), outgoing).await?,
        };
        Ok(response)
    }
}

async fn send<S>(
    io: TokioIo<S>,
    request: hyper::Request<Full<bytes::Bytes>>,
) -> Result<ProxyResponse, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    // hyper removes the chunk framing and leaves the content coding: the entity body.
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(ProxyResponse {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        body: ResponseBody::Full(body),
    })
}

impl Upstream for Relay {
    fn answer(&self, request: ProxyRequest) -> BoxFuture<'_, Answer> {
        Box::pin(async move {
            if self.pages_only && request.door.is_none() {
                self.remember(&request, None);
                return Answer::Declined {
                    reason: "not asked for by a page".to_owned(),
                };
            }
            if request.url.origin() != self.origin.origin() {
                self.remember(&request, None);
                return Answer::Declined {
                    reason: "out of scope".to_owned(),
                };
            }
            match tokio::time::timeout(FETCH_LIMIT, self.fetch(&request)).await {
                Ok(Ok(response)) => {
                    self.remember(&request, Some(response.status));
                    Answer::Respond(response)
                }
                Ok(Err(reason)) => {
                    self.remember(&request, None);
                    Answer::Failed { reason }
                }
                Err(_) => {
                    self.remember(&request, None);
                    Answer::Failed {
                        reason: "the fixture server did not answer in time".to_owned(),
                    }
                }
            }
        })
    }
}
