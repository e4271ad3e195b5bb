//! One Chromium for the whole crawl, a few pages at a time, started again when it dies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, Semaphore};
use url::Url;

use super::cdp::CdpError;
use super::chromium::{Chromium, LaunchOptions};
use super::page::{RenderOptions, Rendered, render_page};
use super::{BrowserError, RenderError};

/// Default pages rendered at once.
pub const DEFAULT_TABS: usize = 2;

/// A shared headless browser: [`Browser::render`] may be called from many tasks; at most `tabs`
/// pages load at once and the rest wait their turn.
#[derive(Debug)]
pub struct Browser {
    launch: LaunchOptions,
    current: Mutex<Option<Arc<Chromium>>>,
    tabs: Semaphore,
    starts: AtomicUsize,
}

impl Browser {
    /// Starts Chromium now, so that a missing or broken browser is reported before the crawl
    /// begins.
    pub async fn start(launch: LaunchOptions, tabs: usize) -> Result<Browser, BrowserError> {
        let chromium = Chromium::launch(&launch).await?;
        Ok(Browser {
            launch,
            current: Mutex::new(Some(Arc::new(chromium))),
            tabs: Semaphore::new(tabs.max(1)),
            starts: AtomicUsize::new(1),
        })
    }

    /// Renders `url`. If Chromium dies meanwhile, or stops answering, it is started again and
    /// the page tried once more; a page that loses the browser twice is
    /// [`RenderError::BrowserGone`].
    pub async fn render(
        &self,
        url: &Url,
        options: &RenderOptions,
    ) -> Result<Rendered, RenderError> {
        let _tab = self
            .tabs
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut tries = 0;
        loop {
            tries += 1;
            let chromium = self.chromium().await?;
            let result = render_page(chromium.cdp(), url, options).await;
            let lost = match &result {
                Err(RenderError::Cdp(CdpError::Closed)) => true,
                // A command that got no answer: the page may be busy, or the whole browser
                // wedged; only the second is cause to replace it.
                Err(RenderError::Cdp(CdpError::Timeout { .. })) => !answers(&chromium).await,
                _ => false,
            };
            if !lost {
                return result;
            }
            self.replace(&chromium).await;
            if tries >= 2 {
                return Err(RenderError::BrowserGone {
                    url: url.to_string(),
                });
            }
            tracing::warn!("Chromium was lost while rendering {url}; starting it again");
        }
    }

    /// Closes `chromium` (killing it if it does not quit) if it is still the current browser,
    /// so that the next page starts a new one.
    async fn replace(&self, chromium: &Arc<Chromium>) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, chromium)) {
            current.take();
            drop(current);
            chromium.close().await;
        }
    }

    /// The running browser, started afresh if the last one died.
    async fn chromium(&self) -> Result<Arc<Chromium>, BrowserError> {
        let mut current = self.current.lock().await;
        if let Some(chromium) = current.as_ref().filter(|c| c.is_alive()) {
            return Ok(Arc::clone(chromium));
        }
        if let Some(dead) = current.take() {
            dead.close().await;
        }
        let chromium = Arc::new(Chromium::launch(&self.launch).await?);
        self.starts.fetch_add(1, Ordering::Relaxed);
        *current = Some(Arc::clone(&chromium));
        Ok(chromium)
    }

    /// How many times Chromium was started (1 unless it died).
    pub fn starts(&self) -> usize {
        self.starts.load(Ordering::Relaxed)
    }

    /// `Chrome/<version>` of the running browser, if one runs.
    pub async fn version(&self) -> Option<String> {
        self.current
            .lock()
            .await
            .as_ref()
            .map(|c| c.version().to_owned())
    }

    /// The running browser's process id (tests kill it to see it come back).
    pub async fn pid(&self) -> Option<u32> {
        let current = self.current.lock().await.clone();
        match current {
            Some(chromium) => chromium.pid().await,
            None => None,
        }
    }

    /// Closes the browser (pages still rendering fail); dropping it kills it instead.
    pub async fn close(&self) {
        if let Some(chromium) = self.current.lock().await.take() {
            chromium.close().await;
        }
    }
}

/// Time a browser gets to show it still answers after a command went unanswered.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the browser still answers at all.
async fn answers(chromium: &Chromium) -> bool {
    chromium
        .cdp()
        .call(
            "Browser.getVersion",
            serde_json::json!({}),
            None,
            PROBE_TIMEOUT,
        )
        .await
        .is_ok()
}
