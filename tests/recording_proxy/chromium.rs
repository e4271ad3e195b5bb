//! Chromium browsing a fixture site through the proxy: every request it makes reaches the
//! upstream (loopback too: nothing goes past the proxy), over HTTP and over TLS in CONNECT
//! tunnels with the proxy's own leaves, which Chromium accepts by their pinned key.

use std::sync::Arc;
use std::time::Duration;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::recording_proxy::{ProxyOptions, ProxyServer};
use arkiv::render::{Browser, RenderOptions};

use crate::support::chromium::{chromium_available, in_chromium_turn, launch_options};
use crate::support::pki::{https_fixture, loopback_pki};
use crate::support::relay::Relay;

/// What the collective-impact front page loads besides itself (a sample that covers CSS, an
/// @import, a preloaded font, a script and images).
const REQUISITES: [&str; 5] = [
    "assets/css/main.css",
    "assets/fonts/dejavu-sans-latin.woff2",
    "assets/js/main.js",
    "assets/img/logo.svg",
    "assets/img/hero-landskab-1600.jpg",
];

async fn browse_through_the_proxy(site: &FixtureServer, ca_der: Option<&[u8]>) {
    let origin = site.url();
    let relay = Relay::for_pages(&origin, ca_der);
    let proxy =
        ProxyServer::start(Arc::clone(&relay) as _, ProxyOptions::default()).expect("proxy");
    let browser = Browser::start(
        launch_options(Some((&proxy.proxy_url(), proxy.spki_pins()))),
        2,
    )
    .await
    .expect("Chromium starts");
    let door = proxy.open_door("forside").expect("door");
    let options = RenderOptions {
        page_timeout: Duration::from_secs(60),
        proxy_server: Some(door.proxy_url()),
        ..RenderOptions::default()
    };
    let rendered = browser.render(&origin, &options).await.expect("render");
    browser.close().await;
    assert!(!rendered.timed_out, "pending: {:?}", rendered.pending);
    assert!(
        rendered.html.contains("Collective Impact"),
        "{}",
        rendered.html
    );
    assert!(
        rendered
            .html
            .contains("Hjemmesiden her opdateres ikke længere"),
        "the notice, æ and all"
    );

    let seen = relay.seen();
    let page = seen
        .iter()
        .find(|s| s.url == origin.as_str())
        .expect("the page itself went through the proxy");
    assert_eq!(page.door.as_deref(), Some("forside"));
    assert_eq!(page.status, Some(200));
    let head = String::from_utf8_lossy(&page.head);
    assert!(head.starts_with("GET "), "{head}");
    assert!(
        head.contains("User-Agent: "),
        "the browser's own head: {head}"
    );
    for requisite in REQUISITES {
        let url = origin.join(requisite).expect("url").to_string();
        assert!(
            seen.iter().any(|s| s.url == url && s.status == Some(200)),
            "{url} went through the proxy: {:#?}",
            relay.urls()
        );
    }
    let favicon = origin.join("favicon.ico").expect("url").to_string();
    for page_request in seen.iter().filter(|s| s.door.is_some()) {
        assert_eq!(page_request.door.as_deref(), Some("forside"));
        assert!(
            page_request.url.starts_with(origin.as_str()) || page_request.url == favicon,
            "the page asked only for its own site: {page_request:?}"
        );
    }
    // The browser's own traffic came through the main address and was declined there.
    assert!(
        seen.iter()
            .filter(|s| s.door.is_none())
            .all(|s| s.status.is_none()),
        "{seen:#?}"
    );
    // Nothing went past the proxy: the fixture server saw exactly what the relay fetched.
    let relayed = seen.iter().filter(|s| s.status.is_some()).count();
    assert_eq!(site.requests().len(), relayed, "{:#?}", site.requests());
}

#[test]
fn chromium_browses_over_http_through_the_proxy_and_nothing_goes_past_it() {
    if !chromium_available("the proxy's HTTP browser test") {
        return;
    }
    let site = FixtureServer::start("collective-impact", ServeOptions::default()).expect("fixture");
    in_chromium_turn(browse_through_the_proxy(&site, None));
}

#[test]
fn chromium_browses_over_https_through_connect_tunnels_with_pinned_leaves() {
    if !chromium_available("the proxy's HTTPS browser test") {
        return;
    }
    let pki = loopback_pki();
    let site = https_fixture("collective-impact", &pki);
    in_chromium_turn(browse_through_the_proxy(&site, Some(&pki.ca_der)));
}
