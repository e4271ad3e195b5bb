//! Integration tests: fixture_server (routing, exact bytes, keep-alive, every fault, every site,
//! the login gates and the proxy).

// Explicit paths so that this file builds both inside `tests.rs` and as its own test target.
#[path = "fixture_server/gates.rs"]
mod gates;
#[path = "fixture_server/proxy.rs"]
mod proxy;
#[path = "fixture_server/walk.rs"]
mod walk;
#[path = "fixture_server/wire.rs"]
pub mod wire;

use std::time::{Duration, Instant};

use arkiv::fixture::{self, FixtureError, FixtureServer, ServeOptions};

const SITE: &str = "test-server";

fn start() -> FixtureServer {
    FixtureServer::start(SITE, ServeOptions::default()).expect("start the test site")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn root_file(relative: &str) -> &'static [u8] {
    fixture::site_file(SITE, &format!("root/{relative}")).expect("embedded file")
}

fn get(server: &FixtureServer, target: &str) -> wire::Response {
    wire::parse_response(&wire::get_closing(server.addr(), target).bytes)
}

#[test]
fn unknown_site_is_an_error_that_lists_the_known_ones() {
    let err =
        FixtureServer::start("no-such-site", ServeOptions::default()).expect_err("unknown site");
    assert!(matches!(err, FixtureError::UnknownSite { .. }));
    let message = err.to_string();
    assert!(
        message.contains("no-such-site") && message.contains("test-server"),
        "{message}"
    );
}

#[test]
fn url_names_the_bound_port_and_stop_closes_it() {
    let server = start();
    let addr = server.addr();
    assert_eq!(
        server.url().as_str(),
        format!("http://127.0.0.1:{}/", addr.port())
    );
    server.stop();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after stop"
    );
}

#[test]
fn files_folders_and_404s_are_served_like_apache() {
    let server = start();
    let home = get(&server, "/");
    assert_eq!(home.status(), 200);
    assert_eq!(home.body, root_file("index.html"));
    assert_eq!(home.header("content-type"), Some("text/html"));
    assert_eq!(
        home.header("last-modified"),
        Some("Sat, 01 Jun 2019 10:00:00 GMT")
    );
    assert!(httpdate::parse_http_date(home.header("date").expect("Date")).is_ok());
    assert_eq!(
        get(&server, "/style.css").header("content-type"),
        Some("text/css")
    );
    assert_eq!(
        get(&server, "/img/logo.png").body,
        root_file("img/logo.png")
    );

    let folder = get(&server, "/about?x=1");
    assert_eq!(folder.status_line, "HTTP/1.1 301 Moved Permanently");
    assert_eq!(folder.header("location"), Some("/about/?x=1"));
    assert_eq!(get(&server, "/about/").body, root_file("about/index.html"));

    for missing in [
        "/nope.html",
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/about/../../site.toml",
        "/img/",
    ] {
        let response = get(&server, missing);
        assert_eq!(response.status(), 404, "{missing}");
        assert_eq!(response.body, root_file("404.html"), "{missing}");
    }
}

#[test]
fn routes_match_by_query_prefix_and_decoded_path() {
    let server = start();
    let body = |target: &str| String::from_utf8(get(&server, target).body).expect("utf-8");
    assert_eq!(body("/query?side=2"), "side two");
    assert_eq!(body("/query"), "no query");
    assert_eq!(body("/query?"), "no query");
    assert_eq!(body("/query?side=3"), "another query");
    assert_eq!(body("/prefix/a/b?c"), "under the prefix");
    assert_eq!(
        get(&server, "/with%20space.html").body,
        root_file("with-space.html")
    );
    let gone = get(&server, "/gone");
    assert_eq!(
        (gone.status(), gone.header("content-type")),
        (410, Some("text/html; charset=utf-8"))
    );
}

#[test]
fn redirects_statuses_and_reasons_are_sent_as_written() {
    let server = start();
    let moved = get(&server, "/moved");
    assert_eq!(moved.status_line, "HTTP/1.1 301 Moved Permanently");
    assert_eq!(moved.header("location"), Some("/about/"));
    assert_eq!(moved.header("content-length"), Some("0"));
    let found = get(&server, "/found");
    assert_eq!(found.status_line, "HTTP/1.1 302 Found It Elsewhere");
    assert_eq!(
        found.header("location"),
        Some("http://127.0.0.1:9/elsewhere?x=1")
    );
}

#[test]
fn extra_headers_are_sent_byte_for_byte_in_order() {
    let server = start();
    let response = get(&server, "/headers");
    let head = String::from_utf8(response.head.clone()).expect("ascii head");
    let expected = "X-Mixed-CASE: One\r\nx-mixed-case: two\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n\
                    Link: </style.css>; rel=preload\r\n";
    assert!(head.contains(expected), "{head}");
    assert_eq!(response.header_all("set-cookie").len(), 2);
    assert_eq!(
        get(&server, "/wrong-type.css").header("content-type"),
        Some("text/html")
    );
    let two = get(&server, "/two-types.html");
    assert_eq!(
        two.header_all("content-type"),
        ["text/html; charset=windows-1252", "text/plain"]
    );
    let old = get(&server, "/old-modified");
    assert_eq!(
        old.header("last-modified"),
        Some("Tue, 15 Nov 1994 08:12:31 GMT")
    );
    assert_eq!(old.body, root_file("about/index.html"));
}

#[tokio::test]
async fn gzip_decodes_to_the_file_and_chunked_framing_is_valid() {
    let server = start();
    let long = root_file("long.html");
    let response = client()
        .get(server.url().join("gzip.html").expect("url"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.expect("body").as_ref(), long);

    let raw = get(&server, "/gzip.html");
    assert_eq!(raw.header("content-encoding"), Some("gzip"));
    assert_ne!(raw.body, long, "sent compressed");

    let chunked = get(&server, "/chunked.html");
    assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
    assert!(chunked.header("content-length").is_none());
    assert_eq!(chunked.body, long);
    let sizes = wire::chunk_sizes(&chunked.wire_body);
    assert!(
        sizes.len() > 2 && sizes[..sizes.len() - 2].iter().all(|s| *s == 100),
        "{sizes:?}"
    );

    let both = client()
        .get(server.url().join("gzip-chunked.html").expect("url"))
        .send()
        .await
        .expect("get");
    assert_eq!(both.bytes().await.expect("body").as_ref(), long);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection_until_close() {
    let server = start();
    let mut conn = wire::Connection::open(server.addr());
    // Two pipelined requests, then a third after reading them.
    conn.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /chunked.html HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(conn.read_response().body, root_file("index.html"));
    assert_eq!(conn.read_response().body, root_file("long.html"));
    // Bodiless statuses must not leave stray bytes that would desynchronise the next response.
    conn.send(
        b"GET /not-modified HTTP/1.1\r\nHost: t\r\n\r\nGET /no-content HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert_eq!(conn.read_head_response().status(), 304);
    let no_content = conn.read_head_response();
    assert_eq!(
        (no_content.status(), no_content.header("transfer-encoding")),
        (204, None)
    );
    conn.send(b"HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = conn.read_head_response();
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(root_file("style.css").len().to_string().as_str())
    );
    conn.send(b"GET /about/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let last = conn.read_response();
    assert_eq!(
        (last.status(), last.header("connection")),
        (200, Some("close"))
    );
    assert!(conn.is_closed_by_server());

    let old = wire::exchange(server.addr(), b"GET /style.css HTTP/1.0\r\n\r\n");
    assert_eq!(
        wire::parse_response(&old.bytes).body,
        root_file("style.css"),
        "HTTP/1.0 closes after one response"
    );
}

#[test]
fn bad_requests_get_400_and_a_close() {
    let server = start();
    let mut huge = b"GET / HTTP/1.1\r\nHost: t\r\n".to_vec();
    huge.extend(
        std::iter::repeat_n(b"X-Pad: 0123456789012345678901234567890123456789\r\n", 500).flatten(),
    );
    huge.extend_from_slice(b"\r\n");
    for request in [
        &b"NONSENSE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost t\r\n\r\n",
        &huge,
    ] {
        let exchange = wire::exchange(server.addr(), request);
        let response = wire::parse_response(&exchange.bytes);
        assert_eq!(
            response.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(&request[..20.min(request.len())])
        );
        assert_eq!(response.header("connection"), Some("close"));
    }
}

#[test]
fn requests_and_hits_are_logged_as_received() {
    let server = start();
    wire::exchange(
        server.addr(),
        b"GET /query?side=2 HTTP/1.1\r\nHost: t\r\nX-Odd-Case: Yes\r\nConnection: close\r\n\r\n",
    );
    get(&server, "/query?side=2");
    get(&server, "/");
    assert_eq!(server.hits("/query?side=2"), 2);
    assert_eq!(server.hits("/query"), 0);
    let first = &server.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.target.as_str()),
        ("GET", "/query?side=2")
    );
    let names: Vec<&str> = first.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Host", "X-Odd-Case", "Connection"]);
}

#[tokio::test]
async fn retry_after_and_fail_times_then_success() {
    let server = start();
    let client = client();
    let url = server.url().join("busy").expect("url");
    for _ in 0..2 {
        let response = client.get(url.clone()).send().await.expect("get");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    }
    let response = client.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        root_file("busy.html")
    );
    let slow = get(&server, "/slow-down");
    assert_eq!(
        (slow.status(), slow.header("retry-after")),
        (429, Some("Wed, 21 Oct 2015 07:28:00 GMT"))
    );
}

#[test]
fn delays_hold_the_response_back() {
    // Lower bounds only: the server sleeps at least this long, however loaded the machine is.
    let server = start();
    let started = Instant::now();
    assert_eq!(get(&server, "/fault/delay").body, root_file("index.html"));
    assert!(started.elapsed() >= Duration::from_millis(200));
    let started = Instant::now();
    let exchange = wire::get_closing(server.addr(), "/fault/header-delay");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(exchange.bytes.starts_with(b"HTTP/1.1 200 OK\r\nDate: "));
    let started = Instant::now();
    let trickled = get(&server, "/fault/trickle");
    assert_eq!(trickled.body, root_file("long.html"));
    let pieces = root_file("long.html").len().div_ceil(400) as u32;
    assert!(started.elapsed() >= Duration::from_millis(20) * (pieces - 1));
    assert_eq!(
        get(&server, "/fault/trickle-chunked").body,
        root_file("long.html")
    );

    let slow = FixtureServer::start(
        SITE,
        ServeOptions {
            port: 0,
            latency: Some(Duration::from_millis(100)),
            ..ServeOptions::default()
        },
    )
    .expect("start");
    let started = Instant::now();
    assert_eq!(get(&slow, "/").status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn reset_breaks_the_body_mid_way() {
    let server = start();
    let response = client()
        .get(server.url().join("fault/reset").expect("url"))
        .send()
        .await;
    let body = match response {
        Ok(response) => response.bytes().await,
        Err(err) => Err(err),
    };
    assert!(body.is_err(), "the client sees an error, not a short body");
    let exchange = wire::get_closing(server.addr(), "/fault/reset");
    let (_, rest) = wire::split_head(&exchange.bytes).expect("head arrives before the reset");
    assert!(rest.len() <= 1000);
    assert!(
        rest.len() == 1000 || exchange.error.is_some(),
        "{:?}",
        exchange.error
    );
}

#[tokio::test]
async fn lying_content_length_and_early_close_fail_the_client() {
    let server = start();
    let client = client();
    let fetch = |path: &'static str| {
        let client = client.clone();
        let url = server.url().join(path).expect("url");
        async move { client.get(url).send().await?.bytes().await }
    };
    assert!(
        fetch("fault/too-long").await.is_err(),
        "body ends before the promised 100 bytes"
    );
    assert_eq!(
        fetch("fault/too-short").await.expect("short body").as_ref(),
        b"this"
    );
    assert!(fetch("fault/close-after-headers").await.is_err());
    assert!(
        fetch("fault/status-line").await.is_err(),
        "malformed status line"
    );

    let too_long = wire::get_closing(server.addr(), "/fault/too-long");
    assert!(
        too_long
            .bytes
            .ends_with(b"Content-Length: 100\r\nConnection: close\r\n\r\nshort body")
    );
    let closed = wire::get_closing(server.addr(), "/fault/close-after-headers");
    assert!(
        closed.bytes.ends_with(b"\r\n\r\n"),
        "nothing after the headers"
    );
    let status = wire::get_closing(server.addr(), "/fault/status-line");
    assert!(
        status
            .bytes
            .starts_with(b"HTTP/1.1 OK 200 the wrong way round\r\nDate: ")
    );
}

#[test]
fn raw_responses_are_sent_byte_for_byte_then_closed() {
    let server = start();
    for (path, file) in [
        ("/raw/bad-status", "raw/bad-status.http"),
        ("/raw/http10", "raw/http10.http"),
    ] {
        let exchange = wire::get_closing(server.addr(), path);
        assert_eq!(
            exchange.bytes,
            fixture::site_file(SITE, file).expect("raw file"),
            "{path}"
        );
        assert!(exchange.error.is_none());
    }
    // Raw closes even when the client asked to keep the connection.
    let kept = wire::exchange(
        server.addr(),
        b"GET /raw/http10 HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert!(kept.bytes.ends_with(b"bare LF line ends\n"));
}

#[test]
fn generators_make_calendars_sessions_and_bytes() {
    let server = start();
    let mut target = "/calendar?m=2023-11".to_owned();
    for expected in ["2023-12", "2024-01", "2024-02"] {
        let page = String::from_utf8(get(&server, &target).body).expect("utf-8");
        target = format!("/calendar?m={expected}");
        assert!(page.contains(&format!("href=\"{target}\"")), "{page}");
    }
    let first = String::from_utf8(get(&server, "/members/area").body).expect("utf-8");
    let second = String::from_utf8(get(&server, "/members/area").body).expect("utf-8");
    assert!(
        first.contains("/members/area;jsessionid=") && first.contains("/members/area?sid="),
        "{first}"
    );
    assert_ne!(first, second, "a fresh session id each time");

    let big = get(&server, "/big.bin");
    assert_eq!(big.header("content-type"), Some("application/octet-stream"));
    assert_eq!(big.body, fixture::pseudo_random_bytes(0, 300_000));
}

#[test]
fn routing_files_are_checked_with_clear_errors() {
    let exists = |_: &str| true;
    let parse = |text: &str| {
        fixture::SiteConfig::parse("t", text, exists)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let site = "[site]\ntitle = \"t\"\n";
    assert!(parse(site).is_ok());
    let unknown =
        parse(&format!("{site}[[route]]\npath = \"/a\"\nstatsu = 404\n")).expect_err("typo");
    assert!(unknown.contains("statsu"), "{unknown}");
    let both = parse(&format!(
        "{site}[[route]]\npath = \"/a\"\nfile = \"a\"\nbody = \"b\"\n"
    ))
    .expect_err("two bodies");
    assert!(both.contains("route #1 (path \"/a\")"), "{both}");
    assert!(
        parse(&format!(
            "{site}[[route]]\npath = \"/a\"\ngenerator = \"bytes\"\n"
        ))
        .is_err()
    );
    assert!(
        parse(&format!(
            "{site}[[route]]\nprefix = \"/a\"\nfault = {{ delay = 1 }}\n"
        ))
        .is_err()
    );
    assert!(parse(&format!("{site}[[route]]\npath = \"/a?b=1\"\n")).is_err());
    let missing = fixture::SiteConfig::parse(
        "t",
        &format!("{site}[[route]]\npath = \"/a\"\nfile = \"x\"\n"),
        |_| false,
    );
    assert!(
        missing
            .expect_err("missing file")
            .to_string()
            .contains("root/x")
    );
}

/// The collective-impact site, served as `arkiv serve-fixture` serves it, opens in headless
/// Chromium with every image, stylesheet, font and script loading, and nothing else requested.
#[test]
fn the_served_demo_site_loads_whole_in_chromium() {
    use std::path::Path;
    const CHROMIUM: &str = "/usr/bin/chromium";
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} is missing and CI is set"
        );
        eprintln!("skipping: {CHROMIUM} is missing");
        return;
    }
    let server = arkiv::fixture::FixtureServer::start("collective-impact", Default::default())
        .expect("server");
    let pages: Vec<String> = [
        "",
        "om-collective-impact/",
        "problemfelter/",
        "principper/",
        "eksempler/",
        "eksempler/?side=2",
    ]
    .iter()
    .map(|p| server.url().join(p).expect("url").to_string())
    .collect();
    let host = format!("127.0.0.1:{}", server.addr().port());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_pages.py");
    let _turn = crate::support::chromium_turn();
    let output = std::process::Command::new("python3")
        .arg(script)
        .args([
            "--allow-host",
            &host,
            "--timeout",
            "30",
            "--idle-ms",
            "300",
            "--jobs",
            "3",
        ])
        .args(&pages)
        .output()
        .expect("run check_pages.py");
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&report).expect("json");
    for page in json["pages"].as_array().expect("pages") {
        assert_eq!(page["ok"], true, "{page}");
        assert!(
            page["requests"].as_array().is_some_and(|r| r.len() > 5),
            "{page}"
        );
    }
}
