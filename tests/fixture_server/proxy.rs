//! The fixture proxy on the wire: absolute-form forwarding, CONNECT tunnels, proxy credentials,
//! loopback only, and its log of what passed.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};

use arkiv::fixture::{FixtureProxy, FixtureServer, ProxyOptions, ProxyOutcome, ServeOptions};

use super::wire;

/// `user:password` of the proxies that ask for credentials, base64: `proxybruger:hemmeligt`.
const PROXY_BASIC: &str = "Basic cHJveHlicnVnZXI6aGVtbWVsaWd0";

fn test_site() -> FixtureServer {
    FixtureServer::start("test-server", ServeOptions::default()).expect("test site")
}

fn proxy(options: ProxyOptions) -> FixtureProxy {
    FixtureProxy::start(options).expect("proxy")
}

fn guarded() -> ProxyOptions {
    ProxyOptions {
        credentials: Some(("proxybruger".into(), "hemmeligt".into())),
        ..ProxyOptions::default()
    }
}

/// The head of `bytes` without its `Date` line (which differs between two answers) and `Via`.
fn head_without_date_and_via(bytes: &[u8]) -> String {
    let (head, _) = wire::split_head(bytes).expect("head");
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|l| !l.starts_with("Date:") && !l.starts_with("Via:"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn ask_on(connection: &mut wire::Connection, request: &str) -> wire::Response {
    connection.send(request.as_bytes());
    connection.read_response()
}

#[test]
fn absolute_form_requests_are_forwarded_and_marked_with_via() {
    let site = test_site();
    let proxy = proxy(ProxyOptions::default());
    let url = format!("http://127.0.0.1:{}/about/", site.addr().port());
    let request = format!(
        "GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nProxy-Connection: keep-alive\r\n\
         User-Agent: test\r\n\r\n",
        site.addr().port()
    );
    let through = wire::exchange(proxy.addr(), request.as_bytes());
    let response = wire::parse_response(&through.bytes);
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("via"), Some("1.1 arkiv-fixture-proxy"));
    let direct = wire::get_closing(site.addr(), "/about/");
    assert_eq!(
        head_without_date_and_via(&through.bytes),
        head_without_date_and_via(&direct.bytes),
        "relayed byte for byte but for Via"
    );
    assert_eq!(response.body, wire::parse_response(&direct.bytes).body);

    // The site saw an origin-form request without the proxy's hop-by-hop headers.
    let seen = site.requests();
    let forwarded = seen
        .iter()
        .find(|r| r.header("via").is_some())
        .expect("via");
    assert_eq!(forwarded.target, "/about/");
    assert_eq!(forwarded.header("proxy-connection"), None);
    assert_eq!(forwarded.header("user-agent"), Some("test"));
    assert_eq!(forwarded.header("connection"), Some("close"));
    assert_eq!(proxy.forwarded(), 1);
    assert_eq!(proxy.tunnelled(), 0);
    assert_eq!(proxy.requests()[0].target, url);
}

#[test]
fn connect_opens_a_tunnel_that_carries_bytes_untouched() {
    let site = test_site();
    let proxy = proxy(ProxyOptions::default());
    let mut stream = wire::connect(proxy.addr());
    let port = site.addr().port();
    // The request through the tunnel rides in the same write as the CONNECT.
    let both = format!(
        "CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n\
         GET /style.css HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(both.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read");
    let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
    assert!(
        bytes.starts_with(established),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let inner = wire::parse_response(&bytes[established.len()..]);
    assert_eq!(inner.status(), 200);
    assert_eq!(inner.header("via"), None, "a tunnel adds nothing");
    assert_eq!(
        inner.body,
        arkiv::fixture::site_file("test-server", "root/style.css").expect("css")
    );
    assert_eq!(proxy.tunnelled(), 1);
    assert!(matches!(
        proxy.requests()[0].outcome,
        ProxyOutcome::Tunnelled { upstream } if upstream == site.addr()
    ));
}

#[test]
fn credentials_are_asked_for_and_the_connection_stays_open_for_them() {
    let site = test_site();
    let proxy = proxy(guarded());
    let port = site.addr().port();
    let mut connection = wire::Connection::open(proxy.addr());
    let ask = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let refused = ask_on(&mut connection, &ask);
    assert_eq!(refused.status(), 407);
    assert_eq!(
        refused.header("proxy-authenticate"),
        Some(r#"Basic realm="arkiv-fixture-proxy", charset="UTF-8""#)
    );
    let wrong = format!(
        "CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Proxy-Authorization: Basic d3Jvbmc6d3Jvbmc=\r\n\r\n"
    );
    assert_eq!(ask_on(&mut connection, &wrong).status(), 407);
    let forward = format!(
        "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Proxy-Authorization: {PROXY_BASIC}\r\n\r\n"
    );
    assert_eq!(ask_on(&mut connection, &forward).status(), 200);
    assert_eq!(proxy.auth_required(), 2);
    assert_eq!(proxy.forwarded(), 1);
    let log = proxy.requests();
    assert_eq!(log[2].proxy_authorization.as_deref(), Some(PROXY_BASIC));
    // The site never saw the proxy's credentials.
    assert!(
        site.requests()
            .iter()
            .all(|r| r.header("proxy-authorization").is_none())
    );
}

#[test]
fn only_loopback_and_the_host_map_are_reached() {
    let site = test_site();
    let proxy = proxy(ProxyOptions {
        hosts: vec![("Intranet.Example".into(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
        ..ProxyOptions::default()
    });
    let port = site.addr().port();
    let get = |url: String| {
        let request = format!("GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        wire::parse_response(&wire::exchange(proxy.addr(), request.as_bytes()).bytes)
    };
    assert_eq!(
        get(format!("http://intranet.example:{port}/")).status(),
        200
    );
    assert_eq!(get(format!("http://localhost:{port}/")).status(), 200);
    assert_eq!(get(format!("http://example.org:{port}/")).status(), 502);
    assert_eq!(get(format!("http://192.0.2.1:{port}/")).status(), 502);
    assert_eq!(get("https://127.0.0.1:1/".into()).status(), 501);
    let refused: Vec<_> = proxy
        .requests()
        .into_iter()
        .map(|r| r.outcome)
        .filter(|o| matches!(o, ProxyOutcome::Refused { .. }))
        .collect();
    assert_eq!(refused.len(), 3);
    let connect = wire::exchange(
        proxy.addr(),
        b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n",
    );
    assert_eq!(wire::parse_response(&connect.bytes).status(), 502);
    let err = FixtureProxy::start(ProxyOptions {
        hosts: vec![("far.example".into(), "192.0.2.1".parse().expect("ip"))],
        ..ProxyOptions::default()
    })
    .expect_err("the host map takes loopback addresses only");
    assert_eq!(
        err.to_string(),
        "fixture proxy: host \"far.example\" maps to 192.0.2.1, which is not a loopback address"
    );
}

#[test]
fn a_reset_upstream_resets_the_client() {
    let site = FixtureServer::start("edge-cases", ServeOptions::default()).expect("edge-cases");
    let config = arkiv::fixture::routes("edge-cases").expect("routes");
    let reset = config
        .routes
        .iter()
        .find(|r| r.fault.reset_after.is_some() && r.path.is_some() && r.raw.is_none())
        .and_then(|r| r.path.clone())
        .expect("edge-cases has a reset route");
    let proxy = proxy(ProxyOptions::default());
    let request = format!(
        "GET http://127.0.0.1:{}{reset} HTTP/1.1\r\nHost: x\r\n\r\n",
        site.addr().port()
    );
    let through = wire::exchange(proxy.addr(), request.as_bytes());
    assert_eq!(
        through.error,
        Some(std::io::ErrorKind::ConnectionReset),
        "{}",
        String::from_utf8_lossy(&through.bytes)
    );
}

/// curl, as a user would point it at the proxy (skipped where curl is not installed).
#[test]
fn curl_goes_through_the_proxy() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl not installed: skipped");
        return;
    }
    let site = test_site();
    let proxy = proxy(guarded());
    let url = format!("http://127.0.0.1:{}/about/", site.addr().port());
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "20",
            ])
            .args(args)
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let proxy_url = proxy.url().to_string();
    assert_eq!(curl(&["-x", &proxy_url, &url]), "407");
    let with_user = curl(&["-x", &proxy_url, "-U", "proxybruger:hemmeligt", &url]);
    assert_eq!(with_user, "200");
    // Tunnelled on request (-p): CONNECT, then the request inside.
    let tunnelled = curl(&["-p", "-x", &proxy_url, "-U", "proxybruger:hemmeligt", &url]);
    assert_eq!(tunnelled, "200");
    assert_eq!(proxy.forwarded(), 1);
    assert_eq!(proxy.tunnelled(), 1);
}
