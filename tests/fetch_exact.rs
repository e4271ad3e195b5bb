//! Integration tests: fetch_exact — `crawl::fetch` keeps the exact wire bytes, against raw-TCP servers.

// Explicit paths: this file is both a module of `tests.rs` and, through Cargo's test
// auto-discovery, a crate root of its own; both must find the same files.
#[path = "fetch_exact/failures.rs"]
mod failures;
#[path = "fetch_exact/raw_server.rs"]
mod raw_server;

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arkiv::crawl::fetch::{Exchange, FetchConfig, Fetcher, Truncation};
use sha1::{Digest, Sha1};

use raw_server::{serve, serve_bytes};

/// Every test finishes within this, or fails instead of hanging.
const TEST_LIMIT: Duration = Duration::from_secs(20);
/// How long a test server "stalls": far beyond every client timeout used below.
const STALL: Duration = Duration::from_secs(30);

fn config(dir: &Path) -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(5),
        header_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(15),
        spool_dir: dir.to_path_buf(),
        ..FetchConfig::default()
    }
}

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, future)
        .await
        .expect("test hung")
}

fn sha1_base32(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn response_bytes(exchange: &Exchange) -> Vec<u8> {
    exchange.response.to_vec().expect("read response")
}

fn payload_bytes(exchange: &Exchange) -> Vec<u8> {
    exchange.payload.to_vec().expect("read payload")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// One GET of `url` by a fresh fetcher with the tests' configuration, spooling below `dir`.
async fn fetch_once(
    url: &url::Url,
    dir: &Path,
) -> Result<Exchange, arkiv::crawl::fetch::FetchError> {
    Fetcher::new(config(dir)).fetch(url, &[]).await
}

#[tokio::test]
async fn chunked_gzip_response_is_recorded_byte_for_byte() {
    within(async {
        let body = gzip(&b"<html><body>Frozen site, kept as sent.</body></html>\n".repeat(40));
        let mut wire = b"HTTP/1.1 200 Fine\r\nContent-Type: text/html; charset=utf-8\r\n\
            X-Mixed-CASE:  Yes \r\nSet-Cookie: a=1; Path=/\r\nset-cookie: b=2\r\n\
            Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        for (i, chunk) in body.chunks(97).enumerate() {
            // Upper-case hex and a chunk extension: framing the client must keep, not rewrite.
            let ext = if i == 1 { ";name=value" } else { "" };
            wire.extend_from_slice(format!("{:X}{ext}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        let extra = [("If-None-Match".to_owned(), "\"v1\"".to_owned())];
        let exchange = fetcher
            .fetch(&server.url("/page?q=1#frag"), &extra)
            .await
            .expect("fetch");

        assert_eq!(response_bytes(&exchange), wire);
        assert_eq!(exchange.response.digest(), sha1_base32(&wire));
        assert_eq!(payload_bytes(&exchange), body);
        assert_eq!(exchange.payload_digest, sha1_base32(&body));
        assert_eq!(exchange.truncated, None);
        assert_eq!((exchange.status, exchange.reason.as_str()), (200, "Fine"));
        let head_end = wire
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("head")
            + 4;
        assert_eq!(exchange.head_len, head_end);
        let headers: Vec<(&str, &[u8])> = exchange
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        assert_eq!(
            headers,
            [
                ("Content-Type", &b"text/html; charset=utf-8"[..]),
                ("X-Mixed-CASE", b"Yes"),
                ("Set-Cookie", b"a=1; Path=/"),
                ("set-cookie", b"b=2"),
                ("Content-Encoding", b"gzip"),
                ("Transfer-Encoding", b"chunked"),
            ]
        );

        let received = server.requests();
        assert_eq!(received, vec![exchange.request.clone()]);
        let request = String::from_utf8(exchange.request.clone()).expect("ascii request");
        let expected_start = format!("GET /page?q=1 HTTP/1.1\r\nHost: {}\r\n", server.addr);
        assert!(request.starts_with(&expected_start), "{request}");
        assert!(request.contains("\r\nAccept-Encoding: gzip, deflate, br\r\n"));
        assert!(request.contains("\r\nIf-None-Match: \"v1\"\r\n"));
        assert!(request.contains(&format!("\r\nUser-Agent: {}\r\n", arkiv::SOFTWARE)));
        assert_eq!(exchange.ip, server.addr.ip());
    })
    .await;
}

#[tokio::test]
async fn content_length_body() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_vec();
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let exchange = fetch_once(&server.url("/"), dir.path())
            .await
            .expect("fetch");
        assert_eq!(response_bytes(&exchange), wire);
        assert_eq!(payload_bytes(&exchange), b"hello");
        assert_eq!(exchange.head_len, wire.len() - 5);
        assert_eq!(exchange.truncated, None);
    })
    .await;
}

#[tokio::test]
async fn close_delimited_body() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".to_vec();
        let sent = wire.clone();
        let server = serve(move |mut peer| {
            let sent = sent.clone();
            async move {
                peer.request().await?;
                peer.send(&sent).await
                // Dropping the peer closes the connection: that ends the body.
            }
        })
        .await;
        let dir = tempdir();
        let exchange = fetch_once(&server.url("/"), dir.path())
            .await
            .expect("fetch");
        assert_eq!(response_bytes(&exchange), wire);
        assert_eq!(payload_bytes(&exchange), b"until the end");
        assert_eq!(exchange.truncated, None);
    })
    .await;
}

#[tokio::test]
async fn keep_alive_reuses_one_connection_and_splits_bytes_per_exchange() {
    within(async {
        let first = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none".to_vec();
        let second =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
                .to_vec();
        let (a, b) = (first.clone(), second.clone());
        let server = serve(move |mut peer| {
            let (a, b) = (a.clone(), b.clone());
            async move {
                peer.request().await?;
                peer.send(&a).await?;
                peer.request().await?;
                peer.send(&b).await?;
                tokio::time::sleep(STALL).await;
                Ok(())
            }
        })
        .await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        let one = fetcher.fetch(&server.url("/1"), &[]).await.expect("first");
        let two = fetcher.fetch(&server.url("/2"), &[]).await.expect("second");
        assert_eq!(server.connections(), 1);
        assert_eq!(response_bytes(&one), first);
        assert_eq!(response_bytes(&two), second);
        assert_eq!(payload_bytes(&two), b"two");
        assert_eq!(two.status, 404);
        assert_eq!(
            server.requests(),
            vec![one.request.clone(), two.request.clone()]
        );
        assert!(two.request.starts_with(b"GET /2 HTTP/1.1\r\n"));
    })
    .await;
}

#[tokio::test]
async fn a_pooled_connection_closed_by_the_server_is_replaced() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let sent = wire.clone();
        // Answers one request per connection, then closes without saying so in a header.
        let server = serve(move |mut peer| {
            let sent = sent.clone();
            async move {
                peer.request().await?;
                peer.send(&sent).await
            }
        })
        .await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        for _ in 0..3 {
            let exchange = fetcher.fetch(&server.url("/"), &[]).await.expect("fetch");
            assert_eq!(response_bytes(&exchange), wire);
        }
        assert_eq!(server.connections(), 3);
    })
    .await;
}

#[tokio::test]
async fn a_pooled_connection_closed_before_answering_is_retried_once_on_a_fresh_one() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let sent = wire.clone();
        let accepted = Arc::new(AtomicUsize::new(0));
        // The first connection answers one request, then reads the next and closes unanswered.
        let server = serve(move |mut peer| {
            let sent = sent.clone();
            let nth = accepted.fetch_add(1, Ordering::SeqCst);
            async move {
                peer.request().await?;
                peer.send(&sent).await?;
                if nth == 0 {
                    peer.request().await?;
                    return Ok(());
                }
                tokio::time::sleep(STALL).await;
                Ok(())
            }
        })
        .await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        let first = fetcher.fetch(&server.url("/a"), &[]).await.expect("first");
        let second = fetcher
            .fetch(&server.url("/b"), &[])
            .await
            .expect("retried");
        assert_eq!(response_bytes(&first), wire);
        assert_eq!(response_bytes(&second), wire);
        assert_eq!(server.connections(), 2);
        // The server saw /b twice: once on the stale connection, once on the fresh one.
        assert_eq!(server.requests().len(), 3);
        assert_eq!(server.requests()[2], second.request);
    })
    .await;
}

#[tokio::test]
async fn responses_without_a_body() {
    within(async {
        // 204 and 304 have no body whatever their headers say, and the connection stays usable.
        let no_content = b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n".to_vec();
        let not_modified =
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"v1\"\r\n\r\n".to_vec();
        let after = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext".to_vec();
        let script = vec![no_content.clone(), not_modified.clone(), after.clone()];
        let server = serve(move |mut peer| {
            let script = script.clone();
            async move {
                for response in script {
                    peer.request().await?;
                    peer.send(&response).await?;
                }
                tokio::time::sleep(STALL).await;
                Ok(())
            }
        })
        .await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        for (expected, status) in [(&no_content, 204), (&not_modified, 304)] {
            let exchange = fetcher.fetch(&server.url("/"), &[]).await.expect("fetch");
            assert_eq!(exchange.status, status);
            assert_eq!(&response_bytes(&exchange), expected);
            assert_eq!(exchange.head_len, expected.len());
            assert!(exchange.payload.is_empty());
            assert_eq!(exchange.payload_digest, sha1_base32(b""));
            assert_eq!(exchange.truncated, None);
        }
        let exchange = fetcher.fetch(&server.url("/"), &[]).await.expect("fetch");
        assert_eq!(response_bytes(&exchange), after);
        assert_eq!(server.connections(), 1);
    })
    .await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    within(async {
        let wire =
            b"HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere/\r\nContent-Length: 0\r\n\r\n"
                .to_vec();
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let exchange = fetch_once(&server.url("/here"), dir.path())
            .await
            .expect("fetch");
        assert_eq!(exchange.status, 301);
        assert_eq!(exchange.header("location"), Some(&b"/elsewhere/"[..]));
        assert_eq!(response_bytes(&exchange), wire);
        assert_eq!(server.requests().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_large_body_is_spooled_to_the_configured_folder() {
    within(async {
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut wire =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        wire.extend_from_slice(&body);
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let spool_dir = dir.path().join("state").join("tmp");
        let exchange = Fetcher::new(FetchConfig {
            spool_threshold: 4096,
            ..config(&spool_dir)
        })
        .fetch(&server.url("/big.bin"), &[])
        .await
        .expect("fetch");
        for spool in [&exchange.payload, &exchange.response] {
            assert!(spool.bytes().is_none(), "not held in memory");
            let path = spool.path().expect("spooled to a file");
            assert_eq!(path.parent(), Some(spool_dir.as_path()));
        }
        assert_eq!(payload_bytes(&exchange), body);
        assert_eq!(exchange.payload.len(), body.len() as u64);
        assert_eq!(exchange.payload_digest, sha1_base32(&body));
        assert_eq!(response_bytes(&exchange), wire);
    })
    .await;
}

#[tokio::test]
async fn max_size_truncates_by_length() {
    within(async {
        let body = vec![b'x'; 10_000];
        let mut wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n".to_vec();
        wire.extend_from_slice(&body);
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let exchange = Fetcher::new(FetchConfig {
            max_size: Some(1000),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await
        .expect("fetch");
        assert_eq!(exchange.truncated, Some(Truncation::Length));
        assert_eq!(payload_bytes(&exchange), &body[..1000]);
        assert_eq!(exchange.payload_digest, sha1_base32(&body[..1000]));
        // The response holds what was read, a prefix of what was sent.
        assert!(wire.starts_with(&response_bytes(&exchange)));
    })
    .await;
}

#[tokio::test]
async fn a_body_exactly_max_size_long_is_not_truncated() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfour".to_vec();
        let server = serve_bytes(wire.clone()).await;
        let dir = tempdir();
        let exchange = Fetcher::new(FetchConfig {
            max_size: Some(4),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await
        .expect("fetch");
        assert_eq!(exchange.truncated, None);
        assert_eq!(response_bytes(&exchange), wire);
    })
    .await;
}
