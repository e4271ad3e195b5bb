//! `arkiv crawl --browser`: every in-scope HTML page is loaded in headless Chromium after it is
//! archived, and what the browser asks for is fetched, declined or answered by the crawl itself.
//!
//! The pieces: [`BrowserSide`] starts the recording proxy (`crate::recording_proxy`) and the
//! browser (`crate::render`) pointed at it, and renders a page through a proxy door of its own,
//! labelled with the page's key, so that each request the browser makes is known to come from
//! that page. [`CrawlUpstream`] is the proxy's upstream: it hands each request to the
//! coordinator as a [`BrowseEvent::Ask`] and answers with what the coordinator decided, reading
//! the response back from the WARC ([`readback`]). The coordinator (`scheduler`) is the only one
//! that decides: a URL the crawl declines gets a plain 403; one it takes is fetched by its own
//! fetcher, politely, and archived like any other, and the browser gets that very response (from
//! memory while its records are written, or from its record when the body was spooled to disk);
//! one archived already is answered from the WARC, never fetched again.
//!
//! `render` and `recording_proxy` know nothing of the crawl: all that joins them to it is here.

mod readback;
mod upstream;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::archive::Settled;
use super::config::Config;
use super::keys::KeyMap;
use crate::recording_proxy::{ProxyOptions, ProxyServer};
use crate::render::{Browser, LaunchOptions, RenderError, RenderOptions, Rendered, find_chromium};
pub use upstream::CrawlUpstream;

/// What reaches the coordinator from the browser's side (one channel, so one `select!` arm).
pub enum BrowseEvent {
    /// The browser asks for a URL.
    Ask(BrowserAsk),
    /// The archive thread wrote a URL's final record.
    Settled(Settled),
    /// A page finished rendering (or failed to).
    Rendered(RenderDone),
}

/// One request of the browser, for the coordinator to decide.
pub struct BrowserAsk {
    pub url: Url,
    /// The proxy door it came through: the key of the page being rendered.
    pub door: Option<Arc<str>>,
    /// Only where it is archived (a revisit's original); never taken.
    pub lookup_only: bool,
    pub reply: oneshot::Sender<Reply>,
}

/// What the coordinator answers a [`BrowserAsk`].
#[derive(Debug, Clone)]
pub enum Reply {
    /// Archived: its response (or revisit) record is here.
    Archived(StoredAt),
    /// Just fetched for the browser, and on its way to the WARC: the same response, from
    /// memory (so that a page does not wait for the disk).
    Fetched(Arc<FetchedResponse>),
    /// The crawl does not take it: why.
    Declined(String),
    /// Taken but not archived (the fetch failed): why.
    Failed(String),
}

/// A response as fetched: what its response record will hold, transfer coding undone.
#[derive(Debug)]
pub struct FetchedResponse {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: bytes::Bytes,
}

/// Where a URL's response or revisit record is.
#[derive(Debug, Clone)]
pub struct StoredAt {
    pub path: Arc<PathBuf>,
    pub offset: u64,
}

/// A finished render.
pub struct RenderDone {
    pub label: Arc<str>,
    pub result: Result<Rendered, RenderError>,
}

/// Where each archived URL's response record is, by key: what the browser may be answered
/// from. Small: a 128-bit hash, a file number and an offset per URL.
#[derive(Debug, Default)]
pub struct StoredIndex {
    files: Vec<Arc<PathBuf>>,
    by_key: KeyMap<(u32, u64)>,
}

impl StoredIndex {
    pub fn insert(&mut self, key: &str, path: PathBuf, offset: u64) -> StoredAt {
        let index = match self.files.iter().position(|p| **p == path) {
            Some(i) => i,
            None => {
                self.files.push(Arc::new(path));
                self.files.len() - 1
            }
        };
        self.by_key
            .insert(key, (u32::try_from(index).unwrap_or(u32::MAX), offset));
        StoredAt {
            path: Arc::clone(&self.files[index]),
            offset,
        }
    }

    pub fn get(&self, key: &str) -> Option<StoredAt> {
        let (file, offset) = *self.by_key.get(key)?;
        Some(StoredAt {
            path: Arc::clone(self.files.get(file as usize)?),
            offset,
        })
    }
}

/// Most concurrent browser connections to the proxy.
const MAX_PROXY_CONNECTIONS: usize = 128;

/// The crawl's browser and the proxy it goes through.
pub struct BrowserSide {
    proxy: ProxyServer,
    browser: Browser,
    options: RenderOptions,
    events: mpsc::UnboundedSender<BrowseEvent>,
}

impl std::fmt::Debug for BrowserSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSide")
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl BrowserSide {
    /// Starts the proxy and Chromium (its profile under `<out>/state/tmp`).
    pub async fn start(
        config: &Config,
        events: mpsc::UnboundedSender<BrowseEvent>,
    ) -> anyhow::Result<BrowserSide> {
        let executable = find_chromium(config.chromium.as_deref())?;
        let upstream = Arc::new(CrawlUpstream::new(events.clone()));
        let proxy = ProxyServer::start(
            upstream,
            ProxyOptions {
                max_connections: MAX_PROXY_CONNECTIONS,
                ..ProxyOptions::default()
            },
        )?;
        let launch = LaunchOptions {
            executable: Some(executable),
            proxy_server: Some(proxy.proxy_url()),
            spki_pins: Some(proxy.spki_pins().to_owned()),
            temp_parent: Some(config.out.join("state").join("tmp")),
            ..LaunchOptions::default()
        };
        let browser = Browser::start(launch, config.browser_tabs).await?;
        if let Some(version) = browser.version().await {
            tracing::info!("rendering pages in {version} through the crawl's proxy");
        }
        Ok(BrowserSide {
            proxy,
            browser,
            options: RenderOptions {
                page_timeout: config.page_timeout,
                screenshot: config.screenshots,
                ..RenderOptions::default()
            },
            events,
        })
    }

    /// Renders `url` in a tab of its own, through a proxy door labelled `label`; the result
    /// comes back as [`BrowseEvent::Rendered`].
    pub fn render(self: &Arc<Self>, label: Arc<str>, url: Url) -> anyhow::Result<()> {
        let door = self.proxy.open_door(Arc::clone(&label))?;
        let options = RenderOptions {
            proxy_server: Some(door.proxy_url()),
            ..self.options.clone()
        };
        let side = Arc::clone(self);
        tokio::spawn(async move {
            let result = side.browser.render(&url, &options).await;
            // The page is done: its door closes, and with it whatever the page still asked.
            drop(door);
            let _ = side
                .events
                .send(BrowseEvent::Rendered(RenderDone { label, result }));
        });
        Ok(())
    }

    /// How many times Chromium was started (more than once when it died).
    pub fn browser_starts(&self) -> usize {
        self.browser.starts()
    }

    pub async fn close(&self) {
        self.browser.close().await;
    }
}
