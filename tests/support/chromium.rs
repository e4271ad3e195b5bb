//! Starting Chromium in tests: whether it is there, and launch options that suit a loaded machine.

use std::path::Path;

use arkiv::render::LaunchOptions;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether Chromium can be used; without it a test is skipped, except under CI, where the
/// browser is installed and its absence is a failure.
pub fn chromium_available(what: &str) -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing and CI is set: {what} must run"
    );
    eprintln!("skipping {what}: {CHROMIUM} is missing");
    false
}

/// Launch options for the browser of one test, its proxy and pins if given.
pub fn launch_options(proxy: Option<(&str, &str)>) -> LaunchOptions {
    LaunchOptions {
        executable: Some(CHROMIUM.into()),
        proxy_server: proxy.map(|(url, _)| url.to_owned()),
        spki_pins: proxy.map(|(_, pins)| pins.to_owned()),
        ..LaunchOptions::default()
    }
}

/// Runs `test` on a runtime of its own while holding the one Chromium turn of the test process
/// (`support::chromium_turn`), so that no two browsers start at once.
pub fn in_chromium_turn<F: std::future::Future>(test: F) -> F::Output {
    let _turn = super::chromium_turn();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(test)
}
