//! The browser's life: a missing Chromium, tabs side by side, a screenshot, a browser killed and
//! started again, a browser that quits when its owner is killed with `kill -9`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::recording_proxy::{ProxyOptions, ProxyServer};
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

/// Set for the child process of [`a_browser_dies_with_its_owner_on_kill_9`].
const OWNER_ENV: &str = "ARKIV_TEST_BROWSER_OWNER";

/// Not a test by itself: the process that `a_browser_dies_with_its_owner_on_kill_9` starts and
/// kills. It starts a browser (its profile below the folder named in [`OWNER_ENV`]), prints the
/// browser's process id and waits to be killed.
#[test]
#[ignore = "the child process of a_browser_dies_with_its_owner_on_kill_9"]
fn browser_owner() {
    let Some(temp) = std::env::var_os(OWNER_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let launch = LaunchOptions {
            temp_parent: Some(PathBuf::from(temp)),
            ..launch_options(None)
        };
        let browser = Browser::start(launch, 1).await.expect("Chromium starts");
        println!("chromium pid {}", browser.pid().await.expect("pid"));
        tokio::time::sleep(Duration::from_secs(300)).await;
    });
}

/// Whether process `pid` still runs (a zombie waiting for its parent to reap it does not).
fn running(pid: u32) -> bool {
    fs_err::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| rest.starts_with('Z'))
        })
        .is_some_and(|zombie| !zombie)
}

#[test]
fn a_browser_dies_with_its_owner_on_kill_9() {
    use std::io::BufRead as _;
    if !chromium_available("the kill -9 test") {
        return;
    }
    let _turn = crate::support::chromium_turn();
    let temp = tempfile::tempdir().expect("temp");
    let mut owner = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "render::lifecycle::browser_owner",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OWNER_ENV, temp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the owner");
    let stdout = owner.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            // libtest prints the test's name on the same line first.
            if let Some((_, pid)) = line.split_once("chromium pid ") {
                let _ = tx.send(pid.trim().parse::<u32>().expect("pid"));
                return;
            }
        }
    });
    let pid = rx.recv_timeout(Duration::from_secs(240));
    let was_running = pid.as_ref().is_ok_and(|pid| running(*pid));
    // The owner is ours: kill it as the kernel would kill arkiv, with no chance to clean up.
    let _ = owner.kill();
    let _ = owner.wait();
    let pid = pid.expect("the owner started a browser");
    assert!(
        was_running,
        "Chromium {pid} was running before its owner was killed"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while running(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let survived = running(pid);
    if survived {
        // Leave nothing behind even when the test fails (it is the browser our child started).
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert!(
        !survived,
        "Chromium {pid} outlived its owner's kill -9 by a minute"
    );
}
