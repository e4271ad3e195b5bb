//! Opens a recorded HTTP/1.1 connection to an origin: DNS, TCP, optional TLS, then hyper's handshake.
//!
//! Through an HTTP proxy the TCP connection goes to the proxy. For https a `CONNECT` tunnel to the
//! origin is opened on it first (under the same connect deadline), and TLS runs inside the tunnel,
//! end to end with the site: the recorder sits above TLS, so the WARC holds the exchange with the
//! site and not the handshake with the proxy. For http the connection carries absolute-form
//! requests to the proxy (see `request.rs`), and the recorder holds what went to and came from the
//! proxy. Either way the peer address (`WARC-IP-Address`) is the proxy's.
//!
//! TLS uses rustls with the `ring` provider and the webpki-roots trust anchors (plus any
//! `--ca-cert` anchors, never fewer), and offers only `http/1.1` in ALPN: the recorder and the
//! WARC record assume HTTP/1.1 framing on the wire. A failed handshake carries its
//! [`crate::outcome::TlsProblem`] (see `error.rs`), whose tag ends up in crawl.log
//! (`failed:tls-unknown-issuer`), so an operator can tell an untrusted private CA from a
//! certificate for the wrong host without reading rustls' error text.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Empty;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::error::{FetchError, TimeoutStage, classify_tls};
use super::recorder::{Recorder, TapeHandle};
use super::trust::CaCert;
use crate::proxy::{TunnelError, TunnelRequest, open_tunnel};

/// The only protocol arkiv offers in ALPN.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The rustls client configuration every HTTPS fetch uses: `ring`, the webpki roots plus
/// `extra_roots` (already checked by [`CaCert::load`]), ALPN `http/1.1`.
pub fn tls_config(extra_roots: &[CaCert]) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // `CaCert` ran the same parse when it was loaded, so nothing is skipped here.
    let (_, skipped) =
        roots.add_parsable_certificates(extra_roots.iter().flat_map(|ca| ca.certs().to_vec()));
    debug_assert_eq!(skipped, 0, "CaCert::load checks every anchor");
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(config)
}

/// Where to connect: scheme, host and port of a URL, and the proxy in between if any (also the
/// key of the idle pool: a connection through a proxy is never handed to a direct fetch, nor the
/// other way round).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub https: bool,
    pub host: url::Host<String>,
    pub port: u16,
    pub proxy: Option<ProxyAddr>,
}

/// An HTTP proxy's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProxyAddr {
    pub host: url::Host<String>,
    pub port: u16,
}

impl ProxyAddr {
    /// `http://host:port/`, for messages.
    pub fn shown(&self) -> String {
        format!("http://{}:{}/", self.host, self.port)
    }
}

/// What the `CONNECT` request carries, for https through a proxy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TunnelHeaders<'a> {
    pub proxy_authorization: Option<&'a str>,
    pub user_agent: &'a str,
}

/// A plain or TLS byte stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, data),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One open HTTP/1.1 connection: hyper's request handle, the tape its bytes go to, the peer IP.
/// Dropping it aborts hyper's connection task, which closes the socket.
#[derive(Debug)]
pub(crate) struct Conn {
    pub sender: SendRequest<Empty<Bytes>>,
    pub tape: TapeHandle,
    pub ip: IpAddr,
    task: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Resolves, connects, (for https through a proxy) opens the tunnel and (for https) shakes hands,
/// all before `deadline`.
pub(crate) async fn open(
    origin: &Origin,
    tls: &TlsConnector,
    deadline: Instant,
    url: &str,
    tunnel: TunnelHeaders<'_>,
) -> Result<Conn, FetchError> {
    let timeout = |stage| FetchError::Timeout {
        url: url.to_owned(),
        stage,
    };
    let (host, port) = match &origin.proxy {
        Some(proxy) => (&proxy.host, proxy.port),
        None => (&origin.host, origin.port),
    };
    let mut tcp = tokio::time::timeout_at(deadline, connect_tcp(host, port, url))
        .await
        .map_err(|_| timeout(TimeoutStage::Connect))??;
    let ip = tcp
        .peer_addr()
        .map_err(|source| FetchError::Connect {
            url: url.to_owned(),
            source,
        })?
        .ip();
    // Small requests and heads: do not let Nagle delay them.
    let _ = tcp.set_nodelay(true);
    if let (true, Some(proxy)) = (origin.https, &origin.proxy) {
        tokio::time::timeout_at(
            deadline,
            open_tunnel_to(&mut tcp, origin, proxy, tunnel, url),
        )
        .await
        .map_err(|_| timeout(TimeoutStage::Connect))??;
    }
    let stream = if origin.https {
        let name = server_name(&origin.host).map_err(|reason| FetchError::Request {
            url: url.to_owned(),
            reason,
        })?;
        let tls_stream = tokio::time::timeout_at(deadline, tls.connect(name, tcp))
            .await
            .map_err(|_| timeout(TimeoutStage::Tls))?
            .map_err(|source| FetchError::Tls {
                url: url.to_owned(),
                problem: classify_tls(&source),
                source,
            })?;
        Stream::Tls(Box::new(tls_stream))
    } else {
        Stream::Plain(tcp)
    };
    let tape = TapeHandle::default();
    let io = TokioIo::new(Recorder::new(stream, tape.clone()));
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        // Header names as they are usually written ("User-Agent"), not lower case.
        .title_case_headers(true)
        // An archiver takes what old servers send; `head.rs` accepts the same leniencies.
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|err| FetchError::Io {
            url: url.to_owned(),
            source: io::Error::other(err),
        })?;
    let task = tokio::spawn(async move {
        // Its errors reach the fetcher through the response future or the body.
        let _ = connection.await;
    });
    Ok(Conn {
        sender,
        tape,
        ip,
        task,
    })
}

/// `CONNECT host:port` on `tcp` to the proxy; on success `tcp` is the tunnel to `origin`.
async fn open_tunnel_to(
    tcp: &mut TcpStream,
    origin: &Origin,
    proxy: &ProxyAddr,
    headers: TunnelHeaders<'_>,
    url: &str,
) -> Result<(), FetchError> {
    let authority = format!("{}:{}", origin.host, origin.port);
    let request = TunnelRequest {
        authority: &authority,
        proxy_authorization: headers.proxy_authorization,
        user_agent: Some(headers.user_agent),
    };
    let fail = |message: String| FetchError::Proxy {
        url: url.to_owned(),
        proxy: proxy.shown(),
        message,
    };
    match open_tunnel(tcp, &request).await {
        Ok(_) => Ok(()),
        Err(TunnelError::AuthRequired { reason, .. }) => Err(FetchError::ProxyAuth {
            url: url.to_owned(),
            proxy: proxy.shown(),
            reason: if headers.proxy_authorization.is_some() {
                format!("refused the proxy credentials (407 {reason} to CONNECT {authority})")
            } else {
                format!(
                    "asks for credentials (407 {reason} to CONNECT {authority}); give them with \
                     --proxy-user and --proxy-password-env"
                )
            },
        }),
        Err(TunnelError::Io(source)) => Err(FetchError::Connect {
            url: url.to_owned(),
            source: io::Error::new(
                source.kind(),
                format!("talking to the proxy {}: {source}", proxy.shown()),
            ),
        }),
        Err(other) => Err(fail(other.to_string())),
    }
}

async fn connect_tcp(
    host: &url::Host<String>,
    port: u16,
    url: &str,
) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = match host {
        url::Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        url::Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        url::Host::Domain(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .map_err(|source| FetchError::Dns {
                url: url.to_owned(),
                source,
            })?
            .collect(),
    };
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the name has no addresses");
    if addrs.is_empty() {
        return Err(FetchError::Dns {
            url: url.to_owned(),
            source: last_error,
        });
    }
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => return Ok(tcp),
            Err(err) => last_error = err,
        }
    }
    Err(FetchError::Connect {
        url: url.to_owned(),
        source: last_error,
    })
}

fn server_name(host: &url::Host<String>) -> Result<ServerName<'static>, String> {
    match host {
        url::Host::Domain(name) => {
            ServerName::try_from(name.clone()).map_err(|err| format!("bad TLS server name: {err}"))
        }
        url::Host::Ipv4(ip) => Ok(ServerName::IpAddress(IpAddr::V4(*ip).into())),
        url::Host::Ipv6(ip) => Ok(ServerName::IpAddress(IpAddr::V6(*ip).into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_config_offers_exactly_http11() {
        let config = tls_config(&[]).expect("config builds");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn server_names_cover_domains_and_ips() {
        let name = server_name(&url::Host::Domain("example.org".into())).expect("domain");
        assert_eq!(name.to_str(), "example.org");
        let ip = server_name(&url::Host::Ipv4([127, 0, 0, 1].into())).expect("ip");
        assert!(matches!(ip, ServerName::IpAddress(_)));
    }
}
