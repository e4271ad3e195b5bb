//! The proxy spoken to byte by byte: what reaches the upstream, what comes back, what is refused.

use std::sync::Arc;
use std::time::Duration;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::recording_proxy::{ProxyOptions, ProxyServer};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::relay::Relay;

/// No read in these tests waits longer.
const READ_LIMIT: Duration = Duration::from_secs(20);

/// A response as read: head text and body bytes.
#[derive(Debug)]
struct Response {
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn status(&self) -> u16 {
        self.head[9..12].parse().expect("status")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one response framed by Content-Length (all the proxy sends).
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> Response {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(READ_LIMIT, stream.read(&mut byte))
            .await
            .expect("the proxy answers in time")
            .expect("read");
        assert_ne!(
            n,
            0,
            "the proxy closed before a whole head: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.push(byte[0]);
    }
    let head = String::from_utf8(bytes).expect("ASCII head");
    let mut response = Response {
        head,
        body: Vec::new(),
    };
    let len: usize = response
        .header("content-length")
        .map_or(0, |v| v.parse().expect("length"));
    response.body = vec![0u8; len];
    tokio::time::timeout(READ_LIMIT, stream.read_exact(&mut response.body))
        .await
        .expect("body in time")
        .expect("body");
    response
}

async fn request(stream: &mut (impl AsyncWrite + AsyncRead + Unpin), bytes: &[u8]) -> Response {
    stream.write_all(bytes).await.expect("send");
    read_response(stream).await
}

/// Reads until the proxy closes (or the limit passes, which fails).
async fn read_to_end(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(READ_LIMIT, stream.read_to_end(&mut rest))
        .await
        .expect("the proxy closes the connection");
    rest
}

fn start(relay: &Arc<Relay>, options: ProxyOptions) -> ProxyServer {
    ProxyServer::start(Arc::clone(relay) as _, options).expect("proxy")
}

#[tokio::test]
async fn plain_requests_reach_the_upstream_with_the_exact_head_and_connections_are_kept() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let origin = site.url();
    let relay = Relay::new(&origin, None);
    let proxy = start(&relay, ProxyOptions::default());
    assert!(proxy.addr().ip().is_loopback());
    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    let head = format!(
        "GET {origin}about/ HTTP/1.1\r\nHost: {host}\r\nX-Odd-CASE: Æ\r\nAccept: text/html\r\nAccept: */*\r\n\r\n",
        host = origin.authority()
    );
    let response = request(&mut stream, head.as_bytes()).await;
    assert_eq!(response.status(), 200, "{}", response.head);
    let page = fs_err::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sites/test-server/root/about/index.html"
    ))
    .expect("fixture file");
    assert_eq!(response.body, page.as_bytes());
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );

    // The same connection serves the next request; a gzip-coded, chunked body reaches the browser
    // coded (its Content-Encoding kept) and framed by the proxy's own Content-Length.
    let head = format!(
        "GET {origin}gzip.html HTTP/1.1\r\nHost: {}\r\n\r\n",
        origin.authority()
    );
    let gzipped = request(&mut stream, head.as_bytes()).await;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert!(gzipped.header("transfer-encoding").is_none());
    assert_eq!(&gzipped.body[..2], [0x1f, 0x8b], "still gzip");

    let head = format!(
        "GET {origin}chunked.html HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        origin.authority()
    );
    let chunked = request(&mut stream, head.as_bytes()).await;
    assert!(
        chunked.header("transfer-encoding").is_none(),
        "{}",
        chunked.head
    );
    assert_eq!(chunked.header("connection"), Some("close"));
    assert!(
        read_to_end(&mut stream).await.is_empty(),
        "closed after Connection: close"
    );

    let seen = relay.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].url, format!("{origin}about/"));
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].door, None);
    assert_eq!(seen[0].head, format!(
        "GET {origin}about/ HTTP/1.1\r\nHost: {host}\r\nX-Odd-CASE: Æ\r\nAccept: text/html\r\nAccept: */*\r\n\r\n",
        host = origin.authority()
    ).into_bytes(), "the head byte for byte");
}

#[tokio::test]
async fn a_declined_url_gets_a_plain_403_and_a_post_body_reaches_the_upstream() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let relay = Relay::new(&site.url(), None);
    let proxy = start(&relay, ProxyOptions::default());
    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    let response = request(
        &mut stream,
        b"GET http://elsewhere.invalid/spor.gif HTTP/1.1\r\nHost: elsewhere.invalid\r\n\r\n",
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(response.head.starts_with("HTTP/1.1 403 Forbidden\r\n"));
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        "arkiv: not archived: out of scope\n"
    );
    // A declined request does not end the connection.
    let post = format!(
        "POST {}about/ HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
        site.url()
    );
    let response = request(&mut stream, post.as_bytes()).await;
    assert_eq!(
        response.status(),
        405,
        "the fixture server's own answer to a POST, relayed"
    );
    let seen = relay.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].status, None, "declined");
    assert_eq!(seen[1].method, "POST");
    let logged = site.requests();
    assert!(
        logged
            .iter()
            .any(|r| r.method == "POST" && r.target == "/about/"),
        "the body went upstream: {logged:?}"
    );
}

#[tokio::test]
async fn connect_opens_a_tls_tunnel_with_a_leaf_for_the_host_signed_by_the_proxys_ca() {
    let pki = crate::support::pki::loopback_pki();
    let site = crate::support::pki::https_fixture("test-server", &pki);
    let origin = site.url();
    let relay = Relay::new(&origin, Some(&pki.ca_der));
    let proxy = start(&relay, ProxyOptions::default());
    let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
    let authority = origin.authority().to_owned();
    stream
        .write_all(format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes())
        .await
        .expect("connect");
    let mut established = vec![0u8; "HTTP/1.1 200 Connection Established\r\n\r\n".len()];
    stream.read_exact(&mut established).await.expect("200");
    assert_eq!(established, b"HTTP/1.1 200 Connection Established\r\n\r\n");

    // The browser's side: trusts only the proxy's CA, checks the leaf names 127.0.0.1.
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(proxy.ca_certificate_der().to_vec()))
        .expect("proxy CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]).into());
    let mut tls = connector
        .connect(name, stream)
        .await
        .expect("TLS through the tunnel");
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"http/1.1"[..]),
        "HTTP/1.1 only"
    );
    let response = request(
        &mut tls,
        format!("GET /about/ HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", response.head);
    let response = request(
        &mut tls,
        b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(
        response.status(),
        400,
        "inside a tunnel only origin-form targets"
    );
    let seen = relay.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url, format!("{origin}about/"));
    assert!(seen[0].url.starts_with("https://127.0.0.1:"));
    assert_eq!(seen[0].status, Some(200));
}

#[tokio::test]
async fn malformed_oversized_and_unsupported_requests_are_refused_and_the_connection_closed() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let relay = Relay::new(&site.url(), None);
    let proxy = start(
        &relay,
        ProxyOptions {
            max_head: 2048,
            max_body: 100,
            ..ProxyOptions::default()
        },
    );
    let huge = format!("GET http://x/ HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(4000));
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (
            b"GET /origin-form HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        (b"GET ftp://x/ HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"NOT A REQUEST\r\n\r\n".to_vec(), 400),
        (huge.into_bytes(), 431),
        (
            b"POST http://x/ HTTP/1.1\r\nContent-Length: 101\r\n\r\n".to_vec(),
            413,
        ),
        (
            b"POST http://x/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            501,
        ),
        (
            b"POST http://x/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (b"CONNECT nohost HTTP/1.1\r\n\r\n".to_vec(), 400),
    ];
    for (bytes, status) in cases {
        let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
        let response = request(&mut stream, &bytes).await;
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned();
        assert_eq!(response.status(), status, "{shown}: {}", response.head);
        assert_eq!(response.header("connection"), Some("close"), "{shown}");
        assert!(read_to_end(&mut stream).await.is_empty(), "{shown}: closed");
    }
    assert!(
        relay.seen().is_empty(),
        "nothing refused reached the upstream"
    );
}

#[tokio::test]
async fn a_client_that_stalls_inside_a_head_is_cut_off_and_idle_connections_closed() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let relay = Relay::new(&site.url(), None);
    let proxy = start(
        &relay,
        ProxyOptions {
            head_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_millis(300),
            ..ProxyOptions::default()
        },
    );
    let mut stalled = TcpStream::connect(proxy.addr()).await.expect("connect");
    stalled
        .write_all(b"GET http://x/ HTTP/1.1\r\nHost:")
        .await
        .expect("part");
    let response = read_response(&mut stalled).await;
    assert_eq!(response.status(), 408);
    let mut idle = TcpStream::connect(proxy.addr()).await.expect("connect");
    assert!(
        read_to_end(&mut idle).await.is_empty(),
        "an idle connection is closed quietly"
    );
}

#[tokio::test]
async fn doors_label_their_requests_and_close_when_dropped() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let origin = site.url();
    let relay = Relay::new(&origin, None);
    let proxy = start(&relay, ProxyOptions::default());
    let door = proxy.open_door("side-1").expect("door");
    assert!(door.addr().ip().is_loopback());
    assert_ne!(door.addr(), proxy.addr());
    let head = format!("GET {origin}about/ HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut through_door = TcpStream::connect(door.addr()).await.expect("door");
    assert_eq!(
        request(&mut through_door, head.as_bytes()).await.status(),
        200
    );
    let mut through_main = TcpStream::connect(proxy.addr()).await.expect("main");
    assert_eq!(
        request(&mut through_main, head.as_bytes()).await.status(),
        200
    );
    let doors: Vec<Option<String>> = relay.seen().into_iter().map(|s| s.door).collect();
    assert_eq!(doors, [Some("side-1".to_owned()), None]);
    let addr = door.addr();
    drop(door);
    // The open connection ends and the port takes no new ones.
    assert!(read_to_end(&mut through_door).await.is_empty());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the door is closed"
    );
}

#[tokio::test]
async fn connections_over_the_limit_wait_their_turn() {
    let site = FixtureServer::start("test-server", ServeOptions::default()).expect("fixture");
    let origin = site.url();
    let relay = Relay::new(&origin, None);
    let proxy = start(
        &relay,
        ProxyOptions {
            max_connections: 1,
            ..ProxyOptions::default()
        },
    );
    let head = format!("GET {origin}about/ HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut first = TcpStream::connect(proxy.addr()).await.expect("first");
    assert_eq!(request(&mut first, head.as_bytes()).await.status(), 200);
    let mut second = TcpStream::connect(proxy.addr())
        .await
        .expect("second (queued by the kernel)");
    second.write_all(head.as_bytes()).await.expect("send");
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), second.read(&mut byte))
            .await
            .is_err(),
        "no answer while the first connection holds the only place"
    );
    drop(first);
    assert_eq!(read_response(&mut second).await.status(), 200);
}
