//! Opens a recorded HTTP/1.1 connection to an origin: DNS, TCP, optional TLS, then hyper's handshake.
//!
//! TLS uses rustls with the `ring` provider and the webpki-roots trust anchors (plus any
//! `--ca-cert` anchors, never fewer), and offers only `http/1.1` in ALPN: the recorder and the
//! WARC record assume HTTP/1.1 framing on the wire. A failed handshake is classified as a
//! [`TlsProblem`] whose tag ends up in crawl.log (`failed:tls-unknown-issuer`), so an operator can
//! tell an untrusted private CA from a certificate for the wrong host without reading rustls'
//! error text.

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

use super::error::{FetchError, TimeoutStage};
use super::recorder::{Recorder, TapeHandle};
use super::trust::CaCert;

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

/// Where to connect: scheme, host and port of a URL (also the key of the idle pool).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub https: bool,
    pub host: url::Host<String>,
    pub port: u16,
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

/// Resolves, connects and (for https) shakes hands, all before `deadline`.
pub(crate) async fn open(
    origin: &Origin,
    tls: &TlsConnector,
    deadline: Instant,
    url: &str,
) -> Result<Conn, FetchError> {
    let timeout = |stage| FetchError::Timeout {
        url: url.to_owned(),
        stage,
    };
    let tcp = tokio::time::timeout_at(deadline, connect_tcp(origin, url))
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
                source: describe_tls_failure(source),
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

async fn connect_tcp(origin: &Origin, url: &str) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = match &origin.host {
        url::Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), origin.port)],
        url::Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), origin.port)],
        url::Host::Domain(name) => tokio::net::lookup_host((name.as_str(), origin.port))
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

/// Why a TLS handshake failed, in the terms an operator acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    /// The chain does not lead to a trusted root (self-signed, private CA without `--ca-cert`).
    UnknownIssuer,
    /// The certificate is valid, but for other host names or addresses.
    WrongHost,
    /// Past the certificate's `notAfter`.
    Expired,
    /// Before the certificate's `notBefore` (or the local clock is wrong).
    NotYetValid,
    /// The certificate was revoked.
    Revoked,
    /// Anything else wrong with the certificate (bad signature, encoding, purpose, extensions).
    BadCertificate,
    /// The server sent a TLS alert (it refused the handshake).
    Refused,
    /// The handshake broke for another reason (protocol mismatch, connection cut mid-handshake).
    Handshake,
}

/// Every problem, for looking tags up.
const TLS_PROBLEMS: [TlsProblem; 8] = [
    TlsProblem::UnknownIssuer,
    TlsProblem::WrongHost,
    TlsProblem::Expired,
    TlsProblem::NotYetValid,
    TlsProblem::Revoked,
    TlsProblem::BadCertificate,
    TlsProblem::Refused,
    TlsProblem::Handshake,
];

/// The phrase [`FetchError::Tls`] puts before its source; it holds spaces, so no URL contains it.
const TLS_FAILED: &str = "TLS handshake failed: ";

impl TlsProblem {
    /// The crawl.log tag (`failed:<tag>`); stable, space-free and documented in the README.
    pub fn tag(self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => "tls-unknown-issuer",
            TlsProblem::WrongHost => "tls-wrong-host",
            TlsProblem::Expired => "tls-expired",
            TlsProblem::NotYetValid => "tls-not-yet-valid",
            TlsProblem::Revoked => "tls-revoked",
            TlsProblem::BadCertificate => "tls-bad-certificate",
            TlsProblem::Refused => "tls-refused",
            TlsProblem::Handshake => "tls-handshake",
        }
    }

    fn explain(self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => {
                "the certificate is not signed by a trusted CA (if the site uses a private CA, \
                 pass its certificate with --ca-cert)"
            }
            TlsProblem::WrongHost => "the certificate names other hosts",
            TlsProblem::Expired => "the certificate has expired",
            TlsProblem::NotYetValid => "the certificate is not valid yet (or the clock is wrong)",
            TlsProblem::Revoked => "the certificate is revoked",
            TlsProblem::BadCertificate => "the certificate is unusable",
            TlsProblem::Refused => "the server refused the handshake",
            TlsProblem::Handshake => "the handshake broke off",
        }
    }

    /// A problem with the certificate itself, which the same handshake meets on every try (a
    /// refused or broken handshake may be passing trouble).
    pub fn is_certificate(self) -> bool {
        !matches!(self, TlsProblem::Refused | TlsProblem::Handshake)
    }

    /// Classifies a handshake error from tokio-rustls (which wraps `rustls::Error` in `io::Error`).
    pub fn of(error: &io::Error) -> TlsProblem {
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

    /// The problem a [`FetchError::Tls`] source was classified as when the handshake failed.
    pub fn recorded_in(error: &io::Error) -> Option<TlsProblem> {
        error
            .get_ref()?
            .downcast_ref::<TlsFailure>()
            .map(|failure| failure.problem)
    }

    /// Finds the problem in a [`FetchError::Tls`] message (crawl.log gets only the message text).
    pub fn from_message(message: &str) -> Option<TlsProblem> {
        let (_, rest) = message.split_once(TLS_FAILED)?;
        let tag = rest.strip_prefix('[')?.split(']').next()?;
        TLS_PROBLEMS.into_iter().find(|p| p.tag() == tag)
    }
}

/// Puts the problem's tag and explanation before rustls' own words, keeping rustls' error as the
/// source: `[tls-wrong-host] the certificate names other hosts: certificate not valid for name …`.
fn describe_tls_failure(error: io::Error) -> io::Error {
    let problem = TlsProblem::of(&error);
    io::Error::new(
        error.kind(),
        TlsFailure {
            problem,
            source: error,
        },
    )
}

#[derive(Debug)]
struct TlsFailure {
    problem: TlsProblem,
    source: io::Error,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {}",
            self.problem.tag(),
            self.problem.explain(),
            self.source
        )
    }
}

impl std::error::Error for TlsFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.get_ref().map(|e| e as _)
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
    fn handshake_errors_are_classified_and_tagged() {
        let wrapped = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let unknown = wrapped(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert_eq!(TlsProblem::of(&unknown), TlsProblem::UnknownIssuer);
        let name = wrapped(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName,
        ));
        assert_eq!(TlsProblem::of(&name), TlsProblem::WrongHost);
        let cut = io::Error::new(io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(TlsProblem::of(&cut), TlsProblem::Handshake);

        let error = FetchError::Tls {
            url: "https://dns.example/connect".into(),
            source: describe_tls_failure(name),
        };
        let message = error.to_string();
        assert!(message.contains("[tls-wrong-host]"), "{message}");
        assert_eq!(
            TlsProblem::from_message(&message),
            Some(TlsProblem::WrongHost)
        );
        assert_eq!(TlsProblem::from_message("https://x/: connect failed"), None);
        for problem in TLS_PROBLEMS {
            assert!(!problem.tag().contains(char::is_whitespace));
        }
    }

    #[test]
    fn server_names_cover_domains_and_ips() {
        let name = server_name(&url::Host::Domain("example.org".into())).expect("domain");
        assert_eq!(name.to_str(), "example.org");
        let ip = server_name(&url::Host::Ipv4([127, 0, 0, 1].into())).expect("ip");
        assert!(matches!(ip, ServerName::IpAddress(_)));
    }
}
