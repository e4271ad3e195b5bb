//! `--browser` in the coordinator: what the browser asks for is decided here like any found URL
//! (the page being rendered is its parent, the hop an embed), rendered pages' links join the
//! frontier, and each page is rendered once its own record is in the WARC, so that the browser
//! is answered with exactly the bytes archived.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::Coordinator;
use super::admit::Considered;
use crate::crawl::archive::{ArchiveJob, RenderedPage, Settled};
use crate::crawl::browse::{
    BrowseEvent, BrowserAsk, BrowserSide, FetchedResponse, RenderDone, Reply, StoredAt, StoredIndex,
};
use crate::crawl::discover::{self, Discovered};
use crate::crawl::fetch::Exchange;
use crate::crawl::keys::KeySet;
use crate::crawl::task::{Hop, Task};
use crate::outcome::Decline;
use crate::urls::dedup_key;

/// Where a browser request was found, in crawl.log and outlinks.
const BROWSER_CONTEXT: &str = "browser";
/// Pages waiting for a tab before the crawl takes no new page from the frontier (requisites,
/// which rendering pages wait for, are still fetched): the crawl does not run ahead of its
/// browser without bound.
pub(super) const RENDER_BACKLOG: usize = 64;

/// The coordinator's part of a crawl in the browser.
pub(super) struct Browsing {
    pub side: Arc<BrowserSide>,
    /// Where each archived URL's record is (what the browser is answered from).
    pub stored: StoredIndex,
    /// Browser requests waiting for a URL taken but not archived yet (cleared as each settles).
    pub waiting: HashMap<String, Vec<oneshot::Sender<Reply>>>,
    /// URLs that ended without a response (their requests get a 502 at once).
    pub failed: KeySet,
    /// Pages to render once their record is written.
    pub to_render: HashMap<String, Task>,
    /// Pages rendering, by door label: the page and its response record's ID.
    pub rendering: HashMap<Arc<str>, (Task, String)>,
    /// Pages archived and waiting for a tab (a door is opened only when one is free).
    pub render_queue: VecDeque<(Task, String)>,
    /// Pages rendered at once.
    pub tabs: usize,
}

impl Browsing {
    pub fn new(side: BrowserSide, tabs: usize) -> Browsing {
        Browsing {
            render_queue: VecDeque::new(),
            tabs: tabs.max(1),
            side: Arc::new(side),
            stored: StoredIndex::default(),
            waiting: HashMap::new(),
            failed: KeySet::new(),
            to_render: HashMap::new(),
            rendering: HashMap::new(),
        }
    }

    /// Answers every request waiting for `key`.
    fn answer(&mut self, key: &str, reply: &Reply) {
        for waiter in self.waiting.remove(key).unwrap_or_default() {
            let _ = waiter.send(reply.clone());
        }
    }
}

/// The next event, or never when the crawl has no browser.
pub(super) async fn next_event(
    events: &mut Option<mpsc::UnboundedReceiver<BrowseEvent>>,
) -> Option<BrowseEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl Coordinator {
    /// Whether the browser still has pages to render (the crawl is not over until they are).
    pub(super) fn browser_busy(&self) -> bool {
        self.browsing.as_ref().is_some_and(|b| {
            !b.to_render.is_empty() || !b.rendering.is_empty() || !b.render_queue.is_empty()
        })
    }

    /// Whether the browser is so far behind that no new page should be fetched now.
    pub(super) fn browser_behind(&self) -> bool {
        self.browsing
            .as_ref()
            .is_some_and(|b| b.render_queue.len() >= RENDER_BACKLOG)
    }

    /// Ctrl-C: pages not rendered yet stay so (a resume renders them).
    pub(super) fn stop_rendering(&mut self) {
        if let Some(browsing) = self.browsing.as_mut() {
            browsing.render_queue.clear();
        }
    }

    /// Notes a fetched page to render once its record is written: a whole 2xx HTML page in
    /// scope.
    pub(super) fn render_later(&mut self, task: &Task, status: u16, mime: &str) {
        let renders = (200..300).contains(&status)
            && mime == "text/html"
            && task.hop != Hop::Prerequisite
            && self.scope.check(&task.url).is_ok();
        if let Some(browsing) = self.browsing.as_mut()
            && renders
        {
            browsing.to_render.insert(task.key.clone(), task.clone());
        }
    }

    /// A URL fetched for the last time: requests waiting for it are answered with the response
    /// now, from memory, while its records go to the WARC (a body spooled to disk waits for
    /// its record instead).
    pub(super) fn answer_fetched(&mut self, task: &Task, exchange: &Exchange) {
        let Some(browsing) = self.browsing.as_mut() else {
            return;
        };
        if !browsing.waiting.contains_key(&task.key) {
            return;
        }
        let Some(body) = exchange.payload.bytes() else {
            return;
        };
        let fetched = FetchedResponse {
            status: exchange.status,
            reason: exchange.reason.clone(),
            headers: exchange.headers.clone(),
            body: bytes::Bytes::copy_from_slice(body),
        };
        browsing.answer(&task.key, &Reply::Fetched(Arc::new(fetched)));
    }

    /// A declined URL: requests waiting for it get a 403.
    pub(super) fn browser_declined(&mut self, key: &str, decline: Decline) {
        if let Some(browsing) = self.browsing.as_mut()
            && browsing.waiting.contains_key(key)
        {
            browsing.answer(
                key,
                &Reply::Declined(format!("declined by the crawl: {decline}")),
            );
        }
    }

    pub(super) async fn on_browse_event(&mut self, event: BrowseEvent) -> anyhow::Result<()> {
        match event {
            BrowseEvent::Ask(ask) => self.on_ask(ask).await,
            BrowseEvent::Settled(settled) => {
                self.on_settled(settled);
                Ok(())
            }
            BrowseEvent::Rendered(done) => self.on_rendered(done).await,
        }
    }

    async fn on_ask(&mut self, ask: BrowserAsk) -> anyhow::Result<()> {
        let BrowserAsk {
            mut url,
            door,
            lookup_only,
            reply,
        } = ask;
        let Some(browsing) = self.browsing.as_mut() else {
            return Ok(());
        };
        // Chromium's own requests (update checks and the like) come through the main address.
        let page = door
            .as_ref()
            .and_then(|label| browsing.rendering.get(label))
            .map(|(task, _)| task.clone());
        let Some(page) = page else {
            let _ = reply.send(Reply::Declined("not a request of a page".to_owned()));
            return Ok(());
        };
        url.set_fragment(None);
        let key = dedup_key(&url);
        if let Some(at) = browsing.stored.get(&key) {
            let _ = reply.send(Reply::Archived(at));
            return Ok(());
        }
        if lookup_only {
            let _ = reply.send(Reply::Failed("not in the archive".to_owned()));
            return Ok(());
        }
        if browsing.failed.contains(&key) {
            let _ = reply.send(Reply::Failed("the crawl could not fetch it".to_owned()));
            return Ok(());
        }
        if self.declined.contains(&key) {
            let _ = reply.send(Reply::Declined("declined by the crawl".to_owned()));
            return Ok(());
        }
        if self.frontier.seen(&key) {
            // Queued or in flight: answered when its record is written.
            let origin = crate::crawl::task::origin_key(&url);
            self.frontier.promote(&origin, &key);
            browsing.waiting.entry(key).or_default().push(reply);
            return Ok(());
        }
        // Waiting first, so that a decline on the way answers it.
        browsing.waiting.entry(key.clone()).or_default().push(reply);
        self.take_urgently = true;
        let considered = self
            .consider(url, Some(&page), Hop::Embed, BROWSER_CONTEXT)
            .await;
        self.take_urgently = false;
        let reply = match considered? {
            Considered::Taken => return Ok(()),
            Considered::Declined(decline) => {
                Reply::Declined(format!("declined by the crawl: {decline}"))
            }
            Considered::NotFetchable | Considered::Known => {
                Reply::Declined("not a URL the crawl fetches".to_owned())
            }
        };
        if let Some(browsing) = self.browsing.as_mut() {
            browsing.answer(&key, &reply);
        }
        Ok(())
    }

    /// A URL's final record was written: requests waiting for it are answered, and a page
    /// waiting for its record is rendered.
    fn on_settled(&mut self, settled: Settled) {
        let stopping = self.stopping;
        let Some(browsing) = self.browsing.as_mut() else {
            return;
        };
        let Settled { key, response } = settled;
        let Some((location, record_id)) = response else {
            browsing.failed.insert(&key);
            browsing.to_render.remove(&key);
            browsing.answer(
                &key,
                &Reply::Failed("the crawl could not fetch it".to_owned()),
            );
            return;
        };
        let at: StoredAt = browsing.stored.insert(&key, location.path, location.offset);
        browsing.answer(&key, &Reply::Archived(at));
        let Some(page) = browsing.to_render.remove(&key) else {
            return;
        };
        if stopping {
            return;
        }
        let label: Arc<str> = Arc::from(page.key.as_str());
        match browsing.side.render(Arc::clone(&label), page.url.clone()) {
            Ok(()) => {
                browsing.rendering.insert(label, (page, record_id));
            }
            Err(err) => tracing::warn!("{}: not rendered: {err}", page.url),
        }
    }

    /// Resume: the browser is answered from what earlier runs archived, and the pages they
    /// archived but did not get to render are rendered now.
    pub(super) fn restore_browsing(
        &mut self,
        archived: Vec<(String, String, u64)>,
        unrendered: Vec<(Task, String)>,
    ) {
        let warc_dir = self.config.out.join("warc");
        let Some(browsing) = self.browsing.as_mut() else {
            return;
        };
        for (key, file, offset) in archived {
            browsing.stored.insert(&key, warc_dir.join(file), offset);
        }
        for (page, record_id) in unrendered {
            let renders = page.hop != Hop::Prerequisite && self.scope.check(&page.url).is_ok();
            if renders {
                self.start_render(page, record_id);
            }
        }
    }

    /// Renders `page`, whose response record `record_id` is in the WARC, when a tab is free.
    fn start_render(&mut self, page: Task, record_id: String) {
        if let Some(browsing) = self.browsing.as_mut() {
            browsing.render_queue.push_back((page, record_id));
        }
        self.pump_renders();
    }

    /// Starts queued renders while tabs are free.
    fn pump_renders(&mut self) {
        let Some(browsing) = self.browsing.as_mut() else {
            return;
        };
        while browsing.rendering.len() < browsing.tabs {
            let Some((page, record_id)) = browsing.render_queue.pop_front() else {
                break;
            };
            let label: Arc<str> = Arc::from(page.key.as_str());
            match browsing.side.render(Arc::clone(&label), page.url.clone()) {
                Ok(()) => {
                    browsing.rendering.insert(label, (page, record_id));
                }
                Err(err) => tracing::warn!("{}: not rendered: {err}", page.url),
            }
        }
    }

    /// A page rendered: its links join the frontier (state first), then its conversion record
    /// is written.
    async fn on_rendered(&mut self, done: RenderDone) -> anyhow::Result<()> {
        let Some(browsing) = self.browsing.as_mut() else {
            return Ok(());
        };
        let Some((task, refers_to)) = browsing.rendering.remove(&done.label) else {
            return Ok(());
        };
        if !self.stopping {
            self.pump_renders();
        }
        let rendered = match done.result {
            Ok(rendered) => rendered,
            Err(err) => {
                tracing::warn!("{}: not rendered: {err}", task.url);
                return Ok(());
            }
        };
        for request in &rendered.requests {
            let refused = request.status.is_some_and(|s| s >= 400) || request.error.is_some();
            if refused {
                tracing::debug!(
                    "{}: the browser's request for {} got {}",
                    task.url,
                    request.url,
                    request.status.map_or_else(
                        || request.error.clone().unwrap_or_default(),
                        |s| s.to_string()
                    )
                );
            }
        }
        if rendered.timed_out {
            tracing::info!(
                "{}: still busy after --page-timeout ({} requests in flight); read as it was",
                task.url,
                rendered.pending.len()
            );
        }
        let mut links: Vec<Discovered> = discover::rendered_links(&rendered.html, &task.url);
        for frame in &rendered.frames {
            if let Ok(base) = Url::parse(&frame.url)
                && matches!(base.scheme(), "http" | "https")
            {
                links.extend(discover::rendered_links(&frame.html, &base));
            }
        }
        self.follow_links(&task, 200, &links).await?;
        let committed = self.persist_for().await?;
        self.archive
            .send(ArchiveJob::Rendered {
                task,
                page: Box::new(RenderedPage {
                    refers_to,
                    html: rendered.html,
                    final_url: rendered.final_url,
                    timed_out: rendered.timed_out,
                    screenshot: rendered.screenshot,
                }),
                committed,
            })
            .await
    }
}
