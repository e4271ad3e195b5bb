//! The browser's life: a missing Chromium, tabs side by side, a screenshot, a browser killed and
//! started again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::proxy::{ProxyOptions, ProxyServer};
use arkiv::render::{Browser, BrowserError, LaunchOptions, RenderOptions};

use crate::support::chromium::{chromium_available, in_chromium_turn, launch_options};
use crate::support::relay::Relay;

#[tokio::test]
async fn a_missing_chromium_is_a_typed_error_with_an_install_hint() {
    let launch = LaunchOptions {
        executable: Some(PathBuf::from("/nonexistent/chromium")),
        ..LaunchOptions::default()
    };
    let err = Browser::start(launch, 2)
        .await
        .expect_err("no browser there");
    assert!(matches!(err, BrowserError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/nonexistent/chromium"), "{text}");
    assert!(text.contains("hint: install Chromium"), "{text}");
}

#[test]
fn tabs_render_side_by_side_and_a_killed_browser_is_started_again() {
    if chromium_available("the browser lifecycle test") {
        in_chromium_turn(tabs_and_a_restart());
    }
}

async fn tabs_and_a_restart() {
    let site = FixtureServer::start("scripted", ServeOptions::default()).expect("fixture");
    let origin = site.url();
    let relay = Relay::new(&origin, None);
    let proxy =
        ProxyServer::start(Arc::clone(&relay) as _, ProxyOptions::default()).expect("proxy");
    let browser = Browser::start(
        launch_options(Some((&proxy.proxy_url(), proxy.spki_pins()))),
        2,
    )
    .await
    .expect("Chromium starts");
    let options = RenderOptions {
        page_timeout: Duration::from_secs(60),
        ..RenderOptions::default()
    };

    // Three pages at once through two tabs: each gets its own DOM, none another's.
    let pages = [
        "samling/glas.html",
        "samling/kort.html",
        "samling/breve.html",
    ];
    let urls: Vec<url::Url> = pages.iter().map(|p| origin.join(p).expect("url")).collect();
    let rendered =
        futures_util::future::join_all(urls.iter().map(|u| browser.render(u, &options))).await;
    for (url, result) in urls.iter().zip(rendered) {
        let page = result.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(page.final_url, url.as_str());
        let slug = url
            .path()
            .rsplit('/')
            .next()
            .expect("name")
            .trim_end_matches(".html");
        assert!(
            page.html.contains(&format!("billeder/{slug}.svg")),
            "{url}: {}",
            page.html
        );
        let others = pages.iter().filter(|p| !p.contains(slug));
        for other in others {
            let other_slug = other
                .rsplit('/')
                .next()
                .expect("name")
                .trim_end_matches(".html");
            assert!(
                !page.html.contains(&format!("billeder/{other_slug}.svg")),
                "{url} holds {other}"
            );
        }
    }

    // A screenshot is a PNG as wide as the viewport.
    let shot_options = RenderOptions {
        screenshot: true,
        ..options.clone()
    };
    let page = browser
        .render(&urls[0], &shot_options)
        .await
        .expect("render with a screenshot");
    let png = page.screenshot.expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("IHDR width"));
    assert_eq!(width, 1280);

    // Kill the browser (a process this test started): the next page starts a new one.
    let pid = browser.pid().await.expect("a running browser");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let page = browser
        .render(&urls[1], &options)
        .await
        .expect("render after the kill");
    assert!(page.html.contains("Kort over sognet"));
    assert_eq!(browser.starts(), 2, "started once more");
    assert_ne!(browser.pid().await, Some(pid));
    browser.close().await;
}
