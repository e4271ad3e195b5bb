//! https through the fixture proxy: the CONNECT handshake between TCP and TLS, TLS end to end with
//! the HTTPS fixture server, proxy credentials answered, settings from the environment.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use arkiv::auth::{AuthRequest, Authenticator, Credentials, Decision, Secret};
use arkiv::fixture::{FixtureProxy, FixtureServer, ProxyOptions, ServeOptions};
use arkiv::proxy::{ProxySettings, ProxySources, TunnelError, TunnelRequest, open_tunnel};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::fixture_server::wire;
use crate::support::pki::{Pki, loopback_pki};

fn https_site(site: &str, pki: &Pki) -> FixtureServer {
    FixtureServer::start(
        site,
        ServeOptions {
            tls: Some(pki.identity.clone()),
            ..ServeOptions::default()
        },
    )
    .expect("https fixture server")
}

fn guarded_proxy() -> FixtureProxy {
    FixtureProxy::start(ProxyOptions {
        credentials: Some(("proxybruger".into(), "hemmeligt".into())),
        ..ProxyOptions::default()
    })
    .expect("proxy")
}

/// CONNECTs through `proxy_addr` to `authority`, shakes hands with TLS trusting the test CA, and
/// GETs `target` over it; returns the whole response.
async fn get_via_tunnel(
    proxy_addr: std::net::SocketAddr,
    authority: &str,
    proxy_authorization: Option<&str>,
    pki: &Pki,
    target: &str,
) -> Result<Vec<u8>, TunnelError> {
    let mut tcp = TcpStream::connect(proxy_addr).await?;
    let request = TunnelRequest {
        authority,
        proxy_authorization,
        user_agent: Some(arkiv::SOFTWARE),
    };
    let tunnel = open_tunnel(&mut tcp, &request).await?;
    assert_eq!(tunnel.status, 200);
    let config = arkiv::crawl::fetch::tls_config(&[pki.ca_cert()]).expect("tls config");
    let connector = TlsConnector::from(Arc::new(config));
    let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("TLS inside the tunnel");
    let get = format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    tls.write_all(get.as_bytes()).await?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await?;
    Ok(response)
}

#[tokio::test]
async fn tls_runs_end_to_end_inside_the_tunnel() {
    let pki = loopback_pki();
    let site = https_site("members", &pki);
    let proxy = FixtureProxy::start(ProxyOptions::default()).expect("proxy");
    let authority = format!("127.0.0.1:{}", site.addr().port());
    let response = get_via_tunnel(proxy.addr(), &authority, None, &pki, "/offentlig/")
        .await
        .expect("tunnel");
    let response = wire::parse_response(&response);
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("via"), None, "the proxy cannot see inside");
    assert_eq!(
        response.body,
        arkiv::fixture::site_file("members", "root/offentlig/index.html").expect("file")
    );
    assert_eq!(proxy.tunnelled(), 1);
    assert_eq!(site.hits("/offentlig/"), 1);
}

#[tokio::test]
async fn a_407_is_answered_from_the_challenge_or_up_front() {
    let pki = loopback_pki();
    let site = https_site("members", &pki);
    let proxy = guarded_proxy();
    let authority = format!("127.0.0.1:{}", site.addr().port());
    let refused = get_via_tunnel(proxy.addr(), &authority, None, &pki, "/").await;
    let Err(TunnelError::AuthRequired { challenges, .. }) = refused else {
        panic!("expected a 407, got {refused:?}");
    };
    let mut auth = Authenticator::new(Credentials::new("proxybruger", Secret::new("hemmeligt")));
    let request = AuthRequest {
        method: "CONNECT",
        path: "/",
        target: &authority,
    };
    let Decision::Retry(value) =
        auth.challenged(request, challenges.iter().map(String::as_str), None)
    else {
        panic!("the proxy's Basic challenge is answerable");
    };
    let response = get_via_tunnel(proxy.addr(), &authority, Some(&value), &pki, "/")
        .await
        .expect("tunnel with credentials");
    assert_eq!(wire::parse_response(&response).status(), 200);

    // The same credentials in HTTPS_PROXY's URL, sent up front; NO_PROXY names another host.
    let proxy_url = format!("http://proxybruger:hemmeligt@{}", proxy.addr());
    let env = |name: &str| match name {
        "HTTPS_PROXY" => Some(proxy_url.clone()),
        "NO_PROXY" => Some("localhost, .example.org".to_owned()),
        _ => None,
    };
    let settings = ProxySettings::resolve(&ProxySources::default(), env).expect("settings");
    let url = url::Url::parse(&format!("https://{authority}/kontor/")).expect("url");
    let chosen = settings
        .proxy_for(&url)
        .expect("127.0.0.1 goes through the proxy");
    assert_eq!(chosen.authority(), proxy.addr().to_string());
    let up_front = chosen.authorization().expect("credentials from the URL");
    assert_eq!(up_front, value);
    let response = get_via_tunnel(proxy.addr(), &authority, Some(&up_front), &pki, "/kontor/")
        .await
        .expect("tunnel");
    assert_eq!(
        wire::parse_response(&response).status(),
        401,
        "the site's own gate"
    );
    assert_eq!(proxy.auth_required(), 1);
    assert_eq!(proxy.tunnelled(), 2);
    let localhost = url::Url::parse("https://localhost:1/").expect("url");
    assert!(settings.proxy_for(&localhost).is_none());
}

#[tokio::test]
async fn a_refused_or_unreachable_target_is_a_typed_error() {
    let proxy = FixtureProxy::start(ProxyOptions::default()).expect("proxy");
    let pki = loopback_pki();
    let refused = get_via_tunnel(proxy.addr(), "example.org:443", None, &pki, "/").await;
    assert!(
        matches!(refused, Err(TunnelError::Refused { status: 502, .. })),
        "{refused:?}"
    );
}

/// curl through the proxy to the HTTPS fixture, as a user would (skipped without curl).
#[test]
fn curl_reaches_the_https_fixture_through_the_proxy() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("curl not installed: skipped");
        return;
    }
    let pki = loopback_pki();
    let site = https_site("members", &pki);
    let proxy = guarded_proxy();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    fs_err::write(&ca, &pki.ca_pem).expect("write CA");
    let cookies = dir.path().join("cookies.txt");
    fs_err::write(
        &cookies,
        arkiv::fixture::site_file("members", "cookies.txt").expect("cookies.txt"),
    )
    .expect("write cookies");
    let url = format!(
        "https://127.0.0.1:{}/medlemmer/kalender.html",
        site.addr().port()
    );
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
        .arg("--cacert")
        .arg(&ca)
        .arg("-b")
        .arg(&cookies)
        .args([
            "-x",
            proxy.url().as_str(),
            "-U",
            "proxybruger:hemmeligt",
            &url,
        ])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert_eq!(proxy.tunnelled(), 1);
    assert_eq!(site.hits("/medlemmer/kalender.html"), 1);
}
