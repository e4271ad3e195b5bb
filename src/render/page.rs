//! Loads one page in its own browser context and brings out what scripts made of it.
//!
//! The behaviours, in order, all within `page_timeout`: navigate; wait for the load event; wait
//! until the network is quiet (nothing in flight for `quiet`); scroll down a screen at a time,
//! waiting for quiet after each step, until the bottom is reached and the page stopped growing
//! (at most `max_scrolls` steps), so that lazy images and "load more" fire; then read the
//! rendered DOM and, if asked, take a screenshot. A page that never settles (a long-poll, a
//! ticker) is stopped when its time is up and read as it is: what arrived is kept and
//! `timed_out` says so. Reading and the screenshot have time of their own beyond the page's.
//!
//! Each page gets a fresh browser context (no cookies, storage or cache from other pages) with
//! the cache disabled, so that every request it makes reaches the proxy, and optionally a proxy
//! of its own, a [`Door`](crate::recording_proxy::Door) that tells the crawl which page asked.
//!
//! No list of links comes back: the crawl reads them from [`Rendered::html`] with its own
//! extractor, so that rendered pages yield the same hops (`a@href`, `img@srcset`, …) from the
//! one table of URL-bearing attributes as pages read as HTML.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use super::RenderError;
use super::activity::{Activity, PageRequest};
use super::cdp::{Cdp, CdpError, EventSink};
use super::snapshot::{RenderedFrame, read_dom, screenshot};

/// Default time for loading, settling and scrolling one page.
pub const DEFAULT_PAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default quiet period that counts as "the network is done".
pub const DEFAULT_QUIET: Duration = Duration::from_millis(500);
/// Default most scroll steps per page.
pub const DEFAULT_MAX_SCROLLS: usize = 20;
/// Default viewport in CSS pixels.
pub const DEFAULT_VIEWPORT: (u32, u32) = (1280, 800);
/// Time for one DevTools command outside the page's own time (a loaded machine is slow).
pub(super) const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How to render one page.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Load, settle and scroll within this; then the page is stopped and read as it is.
    pub page_timeout: Duration,
    /// No request in flight for this long counts as settled.
    pub quiet: Duration,
    /// Scroll steps at most (a screen each).
    pub max_scrolls: usize,
    /// Viewport width and height in CSS pixels.
    pub viewport: (u32, u32),
    /// Take a PNG of the whole page (cut at 16 384 pixels high).
    pub screenshot: bool,
    /// The proxy for this page's browser context (`http://127.0.0.1:PORT`, a proxy door);
    /// `None`: the browser's own `--proxy-server`.
    pub proxy_server: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            page_timeout: DEFAULT_PAGE_TIMEOUT,
            quiet: DEFAULT_QUIET,
            max_scrolls: DEFAULT_MAX_SCROLLS,
            viewport: DEFAULT_VIEWPORT,
            screenshot: false,
            proxy_server: None,
        }
    }
}

/// A page as the browser rendered it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The URL asked for.
    pub url: Url,
    /// `location.href` at the end (after redirects, a meta refresh or `history.pushState`).
    pub final_url: String,
    /// The main frame's DOM serialised: its doctype and `document.documentElement.outerHTML`.
    pub html: String,
    /// `document.title`.
    pub title: String,
    /// Same-origin frames, depth first (cross-origin frames cannot be read from the page).
    pub frames: Vec<RenderedFrame>,
    /// Every request the page, its frames and workers made, in order.
    pub requests: Vec<PageRequest>,
    /// URLs still in flight when the page was read.
    pub pending: Vec<String>,
    /// A PNG of the page, when asked for.
    pub screenshot: Option<Vec<u8>>,
    /// The page had not settled when its time was up (it was stopped and read as it was).
    pub timed_out: bool,
    /// Scroll steps taken.
    pub scrolls: usize,
    /// Time from the start to the DOM read.
    pub elapsed: Duration,
}

/// Renders `url` in a new tab of the browser behind `cdp`.
pub(super) async fn render_page(
    cdp: &Arc<Cdp>,
    url: &Url,
    options: &RenderOptions,
) -> Result<Rendered, RenderError> {
    let started = Instant::now();
    let mut context_params = json!({"disposeOnDetach": true});
    if let Some(proxy) = &options.proxy_server {
        context_params["proxyServer"] = Value::from(proxy.as_str());
        context_params["proxyBypassList"] = Value::from("<-loopback>");
    }
    let context = call(cdp, "Target.createBrowserContext", context_params, None).await?;
    let context = field(&context, "browserContextId")?;
    let result = async {
        let target = call(
            cdp,
            "Target.createTarget",
            json!({"url": "about:blank", "browserContextId": context}),
            None,
        )
        .await?;
        let target = field(&target, "targetId")?;
        let attached = call(
            cdp,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
            None,
        )
        .await?;
        let session = field(&attached, "sessionId")?;
        let activity = Arc::new(Activity::new(&session));
        cdp.register(&session, Arc::clone(&activity) as Arc<dyn EventSink>);
        let rendered = Tab {
            cdp,
            session: &session,
            activity: &activity,
            options,
            started,
        }
        .render(url)
        .await;
        cdp.unregister(&session);
        let _ = call(cdp, "Target.closeTarget", json!({"targetId": target}), None).await;
        rendered
    }
    .await;
    let _ = call(
        cdp,
        "Target.disposeBrowserContext",
        json!({"browserContextId": context}),
        None,
    )
    .await;
    result
}

/// One page's session while it renders.
struct Tab<'a> {
    cdp: &'a Arc<Cdp>,
    session: &'a str,
    activity: &'a Activity,
    options: &'a RenderOptions,
    started: Instant,
}

impl Tab<'_> {
    async fn render(&self, url: &Url) -> Result<Rendered, RenderError> {
        let deadline = self.started + self.options.page_timeout;
        let (width, height) = self.options.viewport;
        for (method, params) in [
            ("Network.enable", json!({})),
            // Without this a repeated resource could come from the memory cache, unseen.
            ("Network.setCacheDisabled", json!({"cacheDisabled": true})),
            ("Page.enable", json!({})),
            ("Inspector.enable", json!({})),
            (
                "Target.setAutoAttach",
                json!({"autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true}),
            ),
            (
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            ),
        ] {
            self.call(method, params).await?;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let navigated = self
            .cdp
            .call(
                "Page.navigate",
                json!({"url": url.as_str()}),
                Some(self.session),
                remaining.max(Duration::from_secs(1)),
            )
            .await;
        let frame_id = match navigated {
            Ok(reply) => {
                if let Some(error) = reply.get("errorText").and_then(Value::as_str)
                    && !error.is_empty()
                {
                    return Err(RenderError::Navigation {
                        url: url.to_string(),
                        error: error.to_owned(),
                    });
                }
                reply
                    .get("frameId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            }
            Err(CdpError::Timeout { .. }) => {
                return Err(RenderError::Navigation {
                    url: url.to_string(),
                    error: format!(
                        "no response within the page timeout ({:?})",
                        self.options.page_timeout
                    ),
                });
            }
            Err(err) => return Err(err.into()),
        };
        let mut settled = self.activity.wait_loaded(deadline).await
            && self.activity.wait_quiet(self.options.quiet, deadline).await;
        let mut scrolls = 0;
        if settled {
            (scrolls, settled) = self.scroll_to_the_end(deadline).await?;
        }
        if self.activity.crashed() {
            return Err(RenderError::Crashed {
                url: url.to_string(),
            });
        }
        let pending = self.activity.pending();
        if !settled {
            // Stop what is still loading so that the DOM holds still while it is read.
            let _ = self.call("Page.stopLoading", json!({})).await;
        }
        let dom = read_dom(self.cdp, self.session, &frame_id).await?;
        let elapsed = self.started.elapsed();
        let shot = if self.options.screenshot {
            Some(screenshot(self.cdp, self.session, width).await?)
        } else {
            None
        };
        Ok(Rendered {
            url: url.clone(),
            final_url: dom.url,
            html: dom.html,
            title: dom.title,
            frames: dom.frames,
            requests: self.activity.requests(),
            pending,
            screenshot: shot,
            timed_out: !settled,
            scrolls,
            elapsed,
        })
    }

    /// Scrolls a screen at a time until the bottom is reached and the page stopped growing;
    /// returns the steps taken and whether the page settled within `deadline` (a page too busy
    /// to answer a scroll has not). Ends at the top again, where a reader and the screenshot
    /// start.
    async fn scroll_to_the_end(&self, deadline: Instant) -> Result<(usize, bool), RenderError> {
        let mut steps = 0;
        let mut last_height = None;
        let mut settled = true;
        while steps < self.options.max_scrolls {
            let Some(before) = self.evaluate_by(SCROLL_JS, deadline).await? else {
                settled = false;
                break;
            };
            steps += 1;
            self.activity.touch();
            if !self.activity.wait_quiet(self.options.quiet, deadline).await {
                settled = false;
                break;
            }
            let Some(after) = self.evaluate_by(MEASURE_JS, deadline).await? else {
                settled = false;
                break;
            };
            let height = after.get("height").and_then(Value::as_f64).unwrap_or(0.0);
            let bottom = after.get("bottom").and_then(Value::as_f64).unwrap_or(0.0);
            let grew = last_height.is_none_or(|h| height > h)
                || before.get("height").and_then(Value::as_f64) < Some(height);
            last_height = Some(height);
            if bottom + 1.0 >= height && !grew {
                break;
            }
        }
        let _ = self
            .evaluate_by("window.scrollTo(0, 0), true", deadline)
            .await;
        Ok((steps, settled))
    }

    /// Evaluates `expression` in the page's main world (for scrolling, which reads no page
    /// state a script could fake in a way that matters), waiting until `deadline` at most
    /// (but a second at least); `None` when the page did not answer in time.
    async fn evaluate_by(
        &self,
        expression: &str,
        deadline: Instant,
    ) -> Result<Option<Value>, RenderError> {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        let reply = self
            .cdp
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
                Some(self.session),
                wait,
            )
            .await;
        match reply {
            Ok(reply) => Ok(Some(
                reply
                    .pointer("/result/value")
                    .cloned()
                    .unwrap_or(Value::Null),
            )),
            Err(CdpError::Timeout { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, RenderError> {
        call(self.cdp, method, params, Some(self.session)).await
    }
}

/// Scrolls one screen down; returns the page height before.
const SCROLL_JS: &str = "(() => { const e = document.scrollingElement || document.documentElement; \
     const height = e ? e.scrollHeight : 0; window.scrollBy(0, window.innerHeight); \
     return {height}; })()";
/// The page height and how far down the bottom of the viewport is.
const MEASURE_JS: &str = "(() => { const e = document.scrollingElement || document.documentElement; \
     return {height: e ? e.scrollHeight : 0, bottom: window.scrollY + window.innerHeight}; })()";

pub(super) async fn call(
    cdp: &Cdp,
    method: &str,
    params: Value,
    session: Option<&str>,
) -> Result<Value, RenderError> {
    Ok(cdp.call(method, params, session, COMMAND_TIMEOUT).await?)
}

fn field(reply: &Value, name: &str) -> Result<String, RenderError> {
    reply
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            RenderError::Cdp(CdpError::Protocol {
                method: String::new(),
                message: format!("the reply has no {name}: {reply}"),
            })
        })
}
