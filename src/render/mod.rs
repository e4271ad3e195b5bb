//! Renders pages in headless Chromium, for pages that scripts build: one shared browser, a few
//! tabs at once, each page loaded, let settle, scrolled to its end and read back as a DOM.
//!
//! Chromium is driven over `--remote-debugging-pipe` by a small DevTools client of our own
//! ([`cdp`]); `README.md` ("Why our own DevTools client") says why no DevTools crate. Where the
//! browser's requests go is the caller's choice: the crawl points it at its recording proxy
//! ([`crate::recording_proxy`]), one proxy door per page.
//!
//! Architecture invariant: this module knows nothing of the crawl, the WARC or the proxy's
//! upstream. It only loads URLs and reports what the browser did and showed.

mod activity;
mod browser;
pub mod cdp;
mod chromium;
mod page;
mod snapshot;

use std::path::PathBuf;

pub use activity::PageRequest;
pub use browser::{Browser, DEFAULT_TABS};
pub use chromium::{
    CHROMIUM_NAMES, CHROMIUM_PROFILE_PREFIX, Chromium, DEFAULT_STARTUP_ATTEMPTS,
    DEFAULT_STARTUP_TIMEOUT, INSTALL_HINT, LaunchOptions, chromium_args, find_chromium,
};
pub use page::{
    DEFAULT_MAX_SCROLLS, DEFAULT_PAGE_TIMEOUT, DEFAULT_QUIET, DEFAULT_VIEWPORT, RenderOptions,
    Rendered,
};
pub use snapshot::{MAX_FRAME_DEPTH, MAX_FRAMES, RenderedFrame};

/// Chromium could not be found or started.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("no Chromium found (tried {tried})\nhint: {INSTALL_HINT}")]
    NotFound { tried: String },
    #[error("Chromium ({}) did not start: {detail}", executable.display())]
    Start { executable: PathBuf, detail: String },
    #[error("cannot make Chromium's temporary profile{}", parent.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    TempDir {
        parent: Option<PathBuf>,
        #[source]
        source: std::io::Error,
    },
}

/// One page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error("the browser could not load {url}: {error}")]
    Navigation { url: String, error: String },
    #[error("the page crashed the browser's renderer: {url}")]
    Crashed { url: String },
    #[error("Chromium exited or stopped answering twice while rendering {url}")]
    BrowserGone { url: String },
    #[error("DevTools: {0}")]
    Cdp(#[from] cdp::CdpError),
}
