//! Through the CLI, crawls through the fixture proxy: http as absolute-form requests (the WARC
//! holds what went to and came from the proxy), https through CONNECT to the TLS fixture server
//! (the WARC holds the exchange with the site), proxy credentials from `--proxy-user` or the
//! proxy variable's URL and never in the archive, a 407 that ends `failed:auth` without a loop,
//! and `NO_PROXY` / `--no-proxy` honoured host by host.

use arkiv::fixture::{FixtureProxy, FixtureServer, ProxyOptions, ProxyOutcome, ServeOptions};

use super::members::{
    PASSWORD, PASSWORD_ENV, Run, SESSION, all_flags, basic_token, crawl, holds, members,
};
use crate::support::pki::loopback_pki;
use crate::support::warc_records;

const PROXY_USER: &str = "proxybruger";
const PROXY_PASSWORD: &str = "hemmeligt";
const PROXY_ENV: &str = "ARKIV_TEST_PROXY_PW";
/// The `Via` the fixture proxy adds to what it forwards, both ways.
const VIA_HEADER: &str = "1.1 arkiv-fixture-proxy";

fn guarded_proxy() -> FixtureProxy {
    FixtureProxy::start(ProxyOptions {
        credentials: Some((PROXY_USER.into(), PROXY_PASSWORD.into())),
        ..ProxyOptions::default()
    })
    .expect("proxy")
}

fn proxy_basic_token() -> String {
    arkiv::auth::basic_authorization(
        &arkiv::auth::Credentials::new(PROXY_USER, arkiv::auth::Secret::new(PROXY_PASSWORD)),
        true,
    )
    .expect("basic")
    .trim_start_matches("Basic ")
    .to_owned()
}

/// No output file of `run` holds a secret of the account, the session or the proxy.
fn assert_no_secret(run: &Run) {
    for (name, bytes) in run.every_output() {
        for secret in [
            PASSWORD,
            SESSION,
            PROXY_PASSWORD,
            &basic_token(),
            &proxy_basic_token(),
        ] {
            assert!(!holds(&bytes, secret), "{secret:?} is in {name}");
        }
    }
}

/// The payload of the last response record for `url`, which must end with `body`.
fn assert_exact(run: &Run, url: &str, body: &[u8]) {
    let records = warc_records(&run.warc_files());
    let response = records
        .iter()
        .rfind(|r| r.kind == "response" && r.target.as_deref() == Some(url))
        .unwrap_or_else(|| panic!("no response for {url}"));
    assert!(
        response.block.starts_with(b"HTTP/1.1 200 "),
        "{url}: {}",
        String::from_utf8_lossy(&response.block[..40.min(response.block.len())])
    );
    assert!(
        response.block.ends_with(body),
        "{url}: the payload as the site has it"
    );
}

fn site_file(path: &str) -> Vec<u8> {
    arkiv::fixture::site_file("members", path)
        .expect("fixture file")
        .to_vec()
}

#[test]
fn http_goes_through_the_proxy_and_the_warc_holds_that_exchange() {
    let server = members();
    let base = server.url();
    let proxy = guarded_proxy();
    let mut flags = all_flags();
    flags.extend([
        "--proxy".to_owned(),
        proxy.url().to_string(),
        "--proxy-user".to_owned(),
        PROXY_USER.to_owned(),
        "--proxy-password-env".to_owned(),
        PROXY_ENV.to_owned(),
    ]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let run = crawl(
        &[base.to_string()],
        &flags,
        &[(PASSWORD_ENV, PASSWORD), (PROXY_ENV, PROXY_PASSWORD)],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());

    // Every request went through the proxy, with its credentials, none refused.
    let records = warc_records(&run.warc_files());
    let requests: Vec<&[u8]> = records
        .iter()
        .filter(|r| r.kind == "request")
        .map(|r| r.block.as_slice())
        .collect();
    assert!(requests.len() > 20, "{}", requests.len());
    assert_eq!(proxy.forwarded(), requests.len(), "{:?}", proxy.requests());
    assert_eq!(proxy.auth_required(), 0);
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.proxy_authorization.is_some())
    );
    assert_eq!(server.requests().len(), requests.len());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("via") == Some(VIA_HEADER))
    );
    // The WARC holds what went to the proxy (absolute form, masked Proxy-Authorization) and
    // what came back from it (its Via).
    for request in &requests {
        let text = String::from_utf8_lossy(request);
        assert!(text.starts_with("GET http://"), "{text}");
        assert!(
            text.contains("\r\nProxy-Authorization: Basic ARKIV-REDACTED\r\n"),
            "{text}"
        );
    }
    let warc = run.warc_text();
    assert!(warc.contains(&format!("Via: {VIA_HEADER}\r\n")));
    assert!(
        warc.contains(&format!(
            "arkiv-proxy: http URLs through {} (absolute-form requests)",
            proxy.url()
        )),
        "the warcinfo names the proxy"
    );
    // The pages behind the gates, exactly as the site has them.
    for (path, file) in [
        ("kontor/referat-2019.html", "root/kontor/referat-2019.html"),
        ("arkiv-md5/kirkebog.html", "root/arkiv-md5/kirkebog.html"),
        ("medlemmer/kalender.html", "root/medlemmer/kalender.html"),
        ("img/segl.png", "root/img/segl.png"),
    ] {
        let url = base.join(path).expect("url").to_string();
        assert_exact(&run, &url, &site_file(file));
    }
    let toml = fs_err::read_to_string(run.out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(
        toml.contains(&format!("proxy = \"{}\"", proxy.url())),
        "{toml}"
    );
    assert!(
        toml.contains(&format!("proxy-user = \"{PROXY_USER}\"")),
        "{toml}"
    );
    assert!(toml.contains("proxies = ["), "{toml}");
    assert_no_secret(&run);
}

#[test]
fn proxy_credentials_from_the_variables_url_and_a_407_without_them() {
    let server = members();
    let base = server.url();
    let proxy = guarded_proxy();
    let with_url = format!(
        "http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{}",
        proxy.addr().port()
    );
    let run = crawl(&[base.to_string()], &[], &[("HTTP_PROXY", &with_url)]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(proxy.forwarded() > 3);
    assert_eq!(proxy.auth_required(), 0);
    let warc = run.warc_text();
    assert!(warc.contains(&format!(
        "arkiv-proxy: http URLs through http://127.0.0.1:{}/",
        proxy.addr().port()
    )));
    assert!(warc.contains("arkiv-redacts: Proxy-Authorization"));
    assert_no_secret(&run);

    // Without credentials: robots.txt and the seed each meet one 407, archived as sent, and
    // nothing is asked again.
    let bare = guarded_proxy();
    let run = crawl(&[base.to_string()], &["--proxy", bare.url().as_str()], &[]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.last_for(base.as_str()),
        Some(("407".into(), "failed:auth".into()))
    );
    assert_eq!(bare.requests().len(), 2, "{:?}", bare.requests());
    assert!(
        bare.requests()
            .iter()
            .all(|r| r.outcome == ProxyOutcome::AuthRequired)
    );
    assert!(run.stderr().contains("--proxy-user"), "{}", run.stderr());
}

#[test]
fn https_goes_through_a_connect_tunnel_with_tls_to_the_site() {
    let pki = loopback_pki();
    let server = FixtureServer::start(
        "members",
        ServeOptions {
            tls: Some(pki.identity.clone()),
            ..ServeOptions::default()
        },
    )
    .expect("https members site");
    let base = server.url();
    assert_eq!(base.scheme(), "https");
    let ca = tempfile::NamedTempFile::new().expect("temp");
    fs_err::write(ca.path(), &pki.ca_pem).expect("write CA");
    let proxy = guarded_proxy();
    let mut flags = all_flags();
    flags.extend([
        "--ca-cert".to_owned(),
        ca.path().display().to_string(),
        "--proxy-user".to_owned(),
        PROXY_USER.to_owned(),
        "--proxy-password-env".to_owned(),
        PROXY_ENV.to_owned(),
        // The site's image from "another host" is an http:// URL to this https server.
        "--exclude".to_owned(),
        "^http://localhost".to_owned(),
    ]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let https_proxy = proxy.url().to_string();
    let run = crawl(
        &[base.to_string()],
        &flags,
        &[
            (PASSWORD_ENV, PASSWORD),
            (PROXY_ENV, PROXY_PASSWORD),
            ("HTTPS_PROXY", &https_proxy),
        ],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(proxy.tunnelled() >= 1);
    assert_eq!(
        proxy.forwarded(),
        0,
        "https is never sent to the proxy in the clear"
    );
    assert_eq!(proxy.auth_required(), 0);
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.method == "CONNECT" && r.proxy_authorization.is_some())
    );
    // Inside the tunnel the exchange is with the site: origin form, no proxy headers.
    let records = warc_records(&run.warc_files());
    let requests: Vec<String> = records
        .iter()
        .filter(|r| r.kind == "request")
        .map(|r| String::from_utf8_lossy(&r.block).into_owned())
        .collect();
    assert_eq!(server.requests().len(), requests.len());
    for text in &requests {
        assert!(text.starts_with("GET /"), "{text}");
        assert!(!text.contains("Proxy-Authorization"), "{text}");
    }
    assert!(server.requests().iter().all(|r| r.header("via").is_none()));
    for (path, file) in [
        ("kontor/", "root/kontor/index.html"),
        ("arkiv/2001.html", "root/arkiv/2001.html"),
        ("medlemmer/adresser.html", "root/medlemmer/adresser.html"),
        ("style.css", "root/style.css"),
    ] {
        let url = base.join(path).expect("url").to_string();
        assert_exact(&run, &url, &site_file(file));
    }
    assert!(run.warc_text().contains(&format!(
        "arkiv-proxy: https URLs through {} (CONNECT tunnels)",
        proxy.url()
    )));
    assert_no_secret(&run);

    // Without proxy credentials the tunnel is refused: robots.txt ends failed:auth (with no
    // response to archive) and is not asked again; unreachable, it stops the site (RFC 9309).
    let bare = guarded_proxy();
    let ca_path = ca.path().display().to_string();
    let run = crawl(
        &[base.to_string()],
        &["--ca-cert", &ca_path, "--proxy", bare.url().as_str()],
        &[],
    );
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let robots = base.join("robots.txt").expect("url").to_string();
    assert_eq!(
        run.last_for(&robots),
        Some(("-".into(), "failed:auth".into()))
    );
    assert_eq!(
        run.last_for(base.as_str()),
        Some(("-".into(), "robots-unreachable".into()))
    );
    assert_eq!(bare.auth_required(), 1, "asked once, never again");
    assert_eq!(bare.tunnelled(), 0);
    let summary = fs_err::read_to_string(run.out.join("reports/summary.json")).expect("summary");
    assert!(summary.contains("--proxy-user"), "{summary}");
}

#[test]
fn no_proxy_sends_the_hosts_it_names_directly() {
    let server = members();
    let base = server.url();
    let port = base.port().expect("port");
    let proxy = FixtureProxy::start(ProxyOptions::default()).expect("proxy");
    let via = proxy.url().to_string();

    // Every host named: nothing goes through the proxy.
    let run = crawl(
        &[base.to_string()],
        &[],
        &[("HTTP_PROXY", &via), ("NO_PROXY", "127.0.0.1,localhost")],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert!(server.requests().iter().all(|r| r.header("via").is_none()));

    // `localhost` named: the off-site image from there goes directly, the site through the proxy.
    let kontor_billede = base.join("kontor/billede.html").expect("url").to_string();
    let env = [
        (PASSWORD_ENV, PASSWORD),
        ("HTTP_PROXY", via.as_str()),
        ("no_proxy", "localhost"),
    ];
    let run = crawl(
        &[base.to_string(), kontor_billede],
        &all_flags().iter().map(String::as_str).collect::<Vec<_>>(),
        &env,
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let requests = server.requests();
    let local: Vec<_> = requests
        .iter()
        .filter(|r| r.header("host") == Some(format!("localhost:{port}").as_str()))
        .collect();
    assert!(!local.is_empty());
    assert!(local.iter().all(|r| r.header("via").is_none()));
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.target.starts_with(&format!("http://127.0.0.1:{port}/")))
    );
    assert!(proxy.forwarded() > 10);

    // `--no-proxy` replaces the variable: an empty list sends everything through the proxy.
    let before = proxy.forwarded();
    let run = crawl(
        &[base.to_string()],
        &["--no-proxy", ""],
        &[("HTTP_PROXY", &via), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(proxy.forwarded() > before);
}
