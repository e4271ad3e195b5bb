//! The `scripted` site rendered through the proxy, over HTTP and HTTPS: every script-made
//! request is seen by the upstream and the rendered DOM holds what the scripts built.

use std::sync::Arc;
use std::time::Duration;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::recording_proxy::{ProxyOptions, ProxyServer};
use arkiv::render::{Browser, RenderOptions};

use crate::support::chromium::{chromium_available, in_chromium_turn, launch_options};
use crate::support::pki::{https_fixture, loopback_pki};
use crate::support::relay::{Relay, Seen};

/// What the front page fetches, relative to the site: the page's own requisites, the list's JSON
/// and the images its entries compute, the frame and its JSON, the FontFace font, the lazy photos
/// and the second JSON page (after scrolling) with its entries' images.
const FRONT_PAGE_URLS: [&str; 18] = [
    "",
    "stil.css",
    "js/samlinger.js",
    "data/samlinger.json",
    "billeder/soelvtoej.svg",
    "billeder/glas.svg",
    "billeder/aebletraeer.svg",
    "billeder/kort.svg",
    "ramme.html",
    "js/ramme.js",
    "data/om.json",
    "fonts/samling-sans.woff2",
    "billeder/foto-1.svg",
    "billeder/foto-2.svg",
    "data/samlinger-2.json",
    "billeder/tekstiler.svg",
    "billeder/vaerktoej.svg",
    "billeder/breve.svg",
];
/// What the script-built list holds once everything has run (as serialised by the browser).
const RENDERED_LIST: [&str; 7] = [
    r#"<a href="samling/soelvtoej.html">Sølvtøj fra Østjylland</a>"#,
    r#"<a href="samling/glas.html">Glas og keramik</a>"#,
    r#"<a href="samling/aebletraeer.html">Æbletræer i haven</a>"#,
    r#"<a href="samling/kort.html">Kort over sognet</a>"#,
    r#"<a href="samling/tekstiler.html">Tekstiler og dragter</a>"#,
    r#"<a href="samling/vaerktoej.html">Værktøj fra smedjen</a>"#,
    r#"<a href="samling/breve.html">Breve fra udvandrere</a>"#,
];

async fn render_the_site(site: &FixtureServer, ca_der: Option<&[u8]>) {
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

    let front = proxy.open_door("forside").expect("door");
    let options = RenderOptions {
        page_timeout: Duration::from_secs(60),
        proxy_server: Some(front.proxy_url()),
        screenshot: true,
        ..RenderOptions::default()
    };
    let rendered = browser
        .render(&origin, &options)
        .await
        .expect("render the front page");
    let png = rendered.screenshot.as_deref().expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Kept where a developer can look at it after the run (target/ is not committed).
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/render-shots");
    fs_err::create_dir_all(&shots).expect("screenshot folder");
    fs_err::write(shots.join(format!("scripted-{}.png", origin.scheme())), png).expect("save");
    assert!(
        !rendered.timed_out,
        "settled; pending {:?}",
        rendered.pending
    );
    assert!(
        rendered.scrolls >= 2,
        "scrolled to the end: {}",
        rendered.scrolls
    );
    assert!(
        rendered.html.starts_with("<!DOCTYPE html>"),
        "{}",
        &rendered.html[..60]
    );
    for entry in RENDERED_LIST {
        assert!(
            rendered.html.contains(entry),
            "{entry} in\n{}",
            rendered.html
        );
    }
    for part in [
        "4 samlinger",
        "Alle samlinger er vist.",
        r#"src="billeder/foto-1.svg""#,
        r#"src="billeder/foto-2.svg""#,
        r#"<body class="skrift">"#,
    ] {
        assert!(rendered.html.contains(part), "{part} in\n{}", rendered.html);
    }
    assert_eq!(rendered.title, "Samlingerne");
    assert_eq!(rendered.final_url, origin.as_str());
    assert_eq!(rendered.frames.len(), 1, "{:#?}", rendered.frames);
    let frame = &rendered.frames[0];
    assert_eq!(frame.url, origin.join("ramme.html").expect("url").as_str());
    assert_eq!(frame.src.as_deref(), Some("ramme.html"));
    assert!(
        frame.html.contains("registreringen er afsluttet"),
        "{}",
        frame.html
    );

    let seen: Vec<Seen> = relay
        .seen()
        .into_iter()
        .filter(|s| s.door.is_some())
        .collect();
    let expected: Vec<String> = FRONT_PAGE_URLS
        .iter()
        .map(|path| origin.join(path).expect("url").to_string())
        .collect();
    for url in &expected {
        let hits: Vec<&Seen> = seen.iter().filter(|s| &s.url == url).collect();
        assert!(
            hits.iter()
                .any(|s| s.status == Some(200) && s.door.as_deref() == Some("forside")),
            "{url} went through the page's door and was relayed: {:#?}",
            relay.urls()
        );
    }
    let counter = format!("{}://taeller.invalid/t.gif?side=%2F", origin.scheme());
    assert!(
        seen.iter().any(|s| s.url == counter && s.status.is_none()),
        "the out-of-scope counter reached the proxy and was declined: {:#?}\nthe browser: {:#?}",
        relay.urls(),
        rendered.requests
    );
    let favicon = origin.join("favicon.ico").expect("url").to_string();
    let unexpected: Vec<&String> = seen
        .iter()
        .map(|s| &s.url)
        .filter(|u| !expected.contains(u) && **u != counter && **u != favicon)
        .collect();
    assert!(
        unexpected.is_empty(),
        "requests nobody asked for: {unexpected:?}"
    );
    // What the browser saw agrees: the counter was answered 403 by the proxy.
    let counter_seen = rendered
        .requests
        .iter()
        .find(|r| r.url == counter)
        .expect("the browser's own record of the counter");
    assert_eq!(counter_seen.status, Some(403));

    // The news page long-polls forever: cut at its timeout, it keeps what arrived.
    let news = proxy.open_door("nyheder").expect("door");
    let page_timeout = Duration::from_secs(8);
    let options = RenderOptions {
        page_timeout,
        proxy_server: Some(news.proxy_url()),
        ..RenderOptions::default()
    };
    let news_url = origin.join("nyheder/").expect("url");
    let rendered = browser
        .render(&news_url, &options)
        .await
        .expect("render the news");
    browser.close().await;
    assert!(rendered.timed_out, "a long-poll never settles");
    assert!(rendered.elapsed >= page_timeout, "{:?}", rendered.elapsed);
    assert!(
        rendered.elapsed < page_timeout + Duration::from_secs(20),
        "stopped at its timeout: {:?}",
        rendered.elapsed
    );
    assert!(
        rendered
            .html
            .contains("2024-08-30: Magasinet er flyttet til Ørum"),
        "{}",
        rendered.html
    );
    assert!(
        rendered
            .pending
            .iter()
            .any(|u| u.contains("/api/opdateringer?n=")),
        "the poll was in flight: {:?}",
        rendered.pending
    );
    let polls = relay
        .seen()
        .iter()
        .filter(|s| s.url.contains("/api/opdateringer?n=") && s.door.as_deref() == Some("nyheder"))
        .count();
    assert!(polls >= 1, "the long-poll went through the proxy");
}

#[test]
fn the_scripted_site_renders_whole_through_the_proxy_over_http() {
    if !chromium_available("rendering the scripted site over HTTP") {
        return;
    }
    let site = FixtureServer::start("scripted", ServeOptions::default()).expect("fixture");
    in_chromium_turn(render_the_site(&site, None));
}

#[test]
fn the_scripted_site_renders_whole_through_the_proxy_over_https() {
    if !chromium_available("rendering the scripted site over HTTPS") {
        return;
    }
    let pki = loopback_pki();
    let site = https_fixture("scripted", &pki);
    in_chromium_turn(render_the_site(&site, Some(&pki.ca_der)));
}
