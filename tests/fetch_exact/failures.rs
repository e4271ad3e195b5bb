//! Fetches that end early: timeouts, resets, wrong lengths, refused connections, bad heads.

use std::time::Duration;

use arkiv::crawl::fetch::{FetchConfig, FetchError, Fetcher, TimeoutStage, Truncation};
use tokio::net::TcpListener;
use url::Url;

use super::raw_server::serve;
use super::{STALL, config, fetch_once, payload_bytes, response_bytes, tempdir, within};

#[tokio::test]
async fn a_silent_server_times_out_waiting_for_the_head() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\n").await?;
            tokio::time::sleep(STALL).await;
            Ok(())
        })
        .await;
        let dir = tempdir();
        let result = Fetcher::new(FetchConfig {
            header_timeout: Duration::from_millis(200),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await;
        match result {
            Err(FetchError::Timeout { stage, url }) => {
                assert_eq!(stage, TimeoutStage::Header);
                assert!(url.contains(&server.addr.to_string()));
            }
            other => panic!("expected a header timeout, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_body_that_stalls_is_truncated_by_time() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst ten.")
                .await?;
            tokio::time::sleep(STALL).await;
            Ok(())
        })
        .await;
        let dir = tempdir();
        let exchange = Fetcher::new(FetchConfig {
            body_timeout: Duration::from_millis(300),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await
        .expect("head arrived, so an exchange");
        assert_eq!(exchange.truncated, Some(Truncation::Time));
        // The ten bytes came before the stall, well inside the body timeout: all are kept.
        assert_eq!(payload_bytes(&exchange), b"first ten.");
        assert_eq!(exchange.status, 200);
    })
    .await;
}

#[tokio::test]
async fn a_reset_mid_body_is_truncated_by_disconnect() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
                .await?;
            // SO_LINGER 0 turns the close into a TCP RST.
            peer.stream.set_zero_linger()?;
            drop(peer);
            Ok(())
        })
        .await;
        let dir = tempdir();
        let exchange = fetch_once(&server.url("/"), dir.path()).await;
        match exchange {
            Ok(exchange) => {
                assert_eq!(exchange.truncated, Some(Truncation::Disconnect));
                // A reset may discard bytes still in flight, so what is kept is some prefix of
                // what was sent (possibly none): never more, never other bytes.
                assert!(b"partial".starts_with(&payload_bytes(&exchange)));
            }
            // The RST may also overtake the head: then there is no exchange, but no hang either.
            Err(FetchError::Io { .. }) => {}
            Err(other) => panic!("expected a disconnect, got {other}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_too_long_content_length_then_close_is_truncated_by_disconnect() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this")
                .await
        })
        .await;
        let dir = tempdir();
        let exchange = fetch_once(&server.url("/"), dir.path())
            .await
            .expect("fetch");
        assert_eq!(exchange.truncated, Some(Truncation::Disconnect));
        assert_eq!(payload_bytes(&exchange), b"only this");
        assert_eq!(
            response_bytes(&exchange),
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this"
        );
    })
    .await;
}

#[tokio::test]
async fn a_too_long_content_length_on_an_open_connection_is_truncated_by_time() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this")
                .await?;
            tokio::time::sleep(STALL).await;
            Ok(())
        })
        .await;
        let dir = tempdir();
        let exchange = Fetcher::new(FetchConfig {
            body_timeout: Duration::from_millis(300),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await
        .expect("fetch");
        assert_eq!(exchange.truncated, Some(Truncation::Time));
    })
    .await;
}

#[tokio::test]
async fn the_total_timeout_bounds_a_trickling_body() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                .await?;
            loop {
                peer.send(b"x").await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        let dir = tempdir();
        let exchange = Fetcher::new(FetchConfig {
            body_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_millis(500),
            ..config(dir.path())
        })
        .fetch(&server.url("/"), &[])
        .await
        .expect("fetch");
        assert_eq!(exchange.truncated, Some(Truncation::Time));
    })
    .await;
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    within(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let dir = tempdir();
        let url = Url::parse(&format!("http://{addr}/")).expect("url");
        let error = Fetcher::new(config(dir.path()))
            .fetch(&url, &[])
            .await
            .expect_err("nothing listens");
        assert!(matches!(error, FetchError::Connect { .. }), "{error}");
        assert!(error.to_string().contains(&addr.to_string()));
    })
    .await;
}

#[tokio::test]
async fn a_malformed_status_line_is_a_protocol_error_with_the_raw_bytes() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            peer.send(b"HTXP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await
        })
        .await;
        let dir = tempdir();
        let error = fetch_once(&server.url("/"), dir.path())
            .await
            .expect_err("malformed");
        match error {
            FetchError::Protocol { raw, .. } => {
                assert!(raw.starts_with(b"HTXP/1.1 200"), "{raw:?}")
            }
            other => panic!("expected a protocol error, got {other}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_close_before_any_answer_is_an_io_error() {
    within(async {
        let server = serve(|mut peer| async move {
            peer.request().await?;
            Ok(())
        })
        .await;
        let dir = tempdir();
        let error = fetch_once(&server.url("/"), dir.path())
            .await
            .expect_err("no answer");
        assert!(matches!(error, FetchError::Io { .. }), "{error}");
    })
    .await;
}

#[tokio::test]
async fn unsupported_schemes_are_rejected() {
    let dir = tempdir();
    let url = Url::parse("ftp://example.org/file").expect("url");
    let error = Fetcher::new(config(dir.path()))
        .fetch(&url, &[])
        .await
        .expect_err("ftp");
    assert!(matches!(error, FetchError::Request { .. }), "{error}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    within(async {
        // Answers in plain text before any request, as a plain server does to a ClientHello.
        let server = serve(|mut peer| async move {
            peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await
        })
        .await;
        let dir = tempdir();
        let url = Url::parse(&format!("https://{}/", server.addr)).expect("url");
        let error = Fetcher::new(config(dir.path()))
            .fetch(&url, &[])
            .await
            .expect_err("not TLS");
        assert!(matches!(error, FetchError::Tls { .. }), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_too_short_content_length_keeps_the_extra_bytes_and_retires_the_connection() {
    within(async {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world".to_vec();
        let sent = wire.clone();
        let server = serve(move |mut peer| {
            let sent = sent.clone();
            async move {
                loop {
                    peer.request().await?;
                    peer.send(&sent).await?;
                }
            }
        })
        .await;
        let dir = tempdir();
        let fetcher = Fetcher::new(config(dir.path()));
        for _ in 0..2 {
            let exchange = fetcher.fetch(&server.url("/"), &[]).await.expect("fetch");
            // The extra bytes arrived during this exchange, so its record keeps them.
            assert_eq!(response_bytes(&exchange), wire);
            assert_eq!(payload_bytes(&exchange), b"hello");
            assert_eq!(exchange.truncated, None);
        }
        // The connection with stray bytes was not reused, and no request was sent in vain.
        assert_eq!(server.connections(), 2);
        assert_eq!(server.requests().len(), 2);
    })
    .await;
}
