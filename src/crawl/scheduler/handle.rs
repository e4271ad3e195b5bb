//! What the coordinator does with a finished fetch: decides whether it is tried again (and
//! when), learns robots.txt, takes in the page as trap evidence, follows its redirect and its
//! links, then hands the exchange to the archive (state first, then the WARC).

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::{Coordinator, Fetched, ROBOTS_TOKEN};
use crate::crawl::archive::ArchiveJob;
use crate::crawl::discover::{self, Discovered};
use crate::crawl::fetch::{Exchange, FetchError};
use crate::crawl::robots::Robots;
use crate::crawl::state::StateOp;
use crate::crawl::task::{Hop, Task};
use crate::crawl::traps::{Fingerprint, Observed, family_of};
use crate::outcome::Decline;
use crate::urls::dedup_key;

impl Coordinator {
    pub(super) async fn handle(&mut self, fetched: Fetched) -> anyhow::Result<()> {
        let Fetched {
            task,
            challenged,
            result,
            auth_failure,
            links,
            fingerprint,
        } = fetched;
        for exchange in challenged {
            // An answered challenge: archived as received, not the URL's end.
            self.progress.fetched(exchange.response.len());
            self.archive
                .send(ArchiveJob::Challenged {
                    task: task.clone(),
                    exchange: Box::new(exchange),
                })
                .await?;
        }
        match result {
            Err(error) => self.handle_failure(task, error).await,
            Ok(exchange) => {
                self.handle_exchange(task, exchange, links, fingerprint, auth_failure)
                    .await
            }
        }
    }

    /// A fetch that got no response: tried again after a back-off unless it is the last try or
    /// the failure is the same every time (a certificate problem).
    async fn handle_failure(&mut self, task: Task, error: FetchError) -> anyhow::Result<()> {
        let now = Instant::now();
        let origin = task.origin();
        self.frontier.done(&origin, now, self.pause_for(&origin));
        let retry = task.attempt < self.config.retries && !error.is_permanent();
        if retry {
            let wait = self.backoff(task.attempt);
            self.retry(&task, now + wait);
        } else {
            self.progress.failed();
            self.after_robots_failure(&task);
        }
        // State first, then the WARC (see `handle_exchange`).
        let committed = self.persist_for().await?;
        self.archive
            .send(ArchiveJob::Failed {
                task,
                error,
                last: !retry,
                committed,
            })
            .await
    }

    async fn handle_exchange(
        &mut self,
        task: Task,
        exchange: Exchange,
        links: Vec<Discovered>,
        fingerprint: Option<Fingerprint>,
        auth_failure: Option<String>,
    ) -> anyhow::Result<()> {
        let status = exchange.status;
        self.progress.fetched(exchange.response.len());
        // A refused login is refused again on every try: never retried.
        let retry = if auth_failure.is_some() {
            None
        } else {
            self.retry_of(&task, &exchange)
        };
        let origin = task.origin();
        let mut pause = self.pause_for(&origin);
        if matches!(status, 429 | 503) {
            // The server asked for a pause: the whole origin takes it (capped), retried or not.
            let wait = retry_after(&exchange).unwrap_or_else(|| self.backoff(task.attempt));
            pause = pause.max(wait.min(self.config.max_retry_after));
        }
        let now = Instant::now();
        self.frontier.done(&origin, now, pause);
        match retry {
            Some(wait) => self.retry(&task, now + wait),
            None if exchange.truncated.is_some_and(|t| t.is_failure()) => self.progress.failed(),
            None if auth_failure.is_some() => self.progress.failed(),
            None => {}
        }
        let last = retry.is_none();
        if last && auth_failure.is_none() {
            self.answer_fetched(&task, &exchange);
        }
        if last && exchange.truncated.is_none() && auth_failure.is_none() {
            let mime = crate::crawl::archive::mime_of(&exchange);
            self.render_later(&task, status, &mime);
        }
        if task.hop == Hop::Prerequisite && last {
            self.learn_robots(&task, &exchange).await?;
        }
        // What the page holds is evidence on its family, taken in before its links are
        // considered (they may be the family's next pages).
        if last && task.hop != Hop::Prerequisite && (200..300).contains(&status) {
            let fingerprint =
                fingerprint.unwrap_or_else(|| Fingerprint::of_payload(&exchange.payload_digest));
            self.observe(&task, &fingerprint, &links).await?;
        }
        if (300..400).contains(&status)
            && let Some(target) = discover::location(&exchange, &task.url)
        {
            self.follow_location(&task, target).await?;
        }
        self.follow_links(&task, status, &links).await?;
        // The page's links (and its retry) are committed to the state before its record can
        // reach the WARC: a page found archived on resume is never fetched again, so what it led
        // to must already be known. The archive thread waits for that commit, not the
        // scheduler, which goes on fetching; commits queued meanwhile share one fsync.
        let committed = self.persist_for().await?;
        self.archive
            .send(ArchiveJob::Exchange {
                task,
                exchange: Box::new(exchange),
                outlinks: links,
                last,
                auth_failure,
                committed,
            })
            .await
    }

    /// When a response is tried again: 429 and 503 after their `Retry-After` (if it is not
    /// longer than the crawl waits) or a back-off; a body cut by a timeout or a dropped
    /// connection after a back-off (it may come whole next time); `None` for everything else,
    /// a body cut at `--max-size` included (the operator asked for that), and on the last try.
    fn retry_of(&self, task: &Task, exchange: &Exchange) -> Option<Duration> {
        if task.attempt >= self.config.retries {
            return None;
        }
        if matches!(exchange.status, 429 | 503) {
            let wait = match retry_after(exchange) {
                Some(wait) if wait <= self.config.max_retry_after => wait,
                _ => self.backoff(task.attempt),
            };
            return Some(wait);
        }
        exchange
            .truncated
            .filter(|t| t.is_failure())
            .map(|_| self.backoff(task.attempt))
    }

    /// Queues the next try of `task` for `at`.
    fn retry(&mut self, task: &Task, at: Instant) {
        self.frontier.retry_at(
            Task {
                attempt: task.attempt + 1,
                ..task.clone()
            },
            at,
        );
    }

    /// Follows a redirect's `Location`; a robots.txt sent elsewhere is only logged.
    async fn follow_location(&mut self, task: &Task, target: Url) -> anyhow::Result<()> {
        if task.hop == Hop::Prerequisite && !is_robots_url(&target) {
            // A robots.txt sent elsewhere (an old domain pointing every path at its new home
            // page) names no resource: logged, not followed. What it points at is reached the
            // ordinary way if the crawl needs it; following it here would take a seed's target
            // as an offsite requisite before the seed's own redirect could bring its site into
            // scope.
            let skipped = Task {
                key: dedup_key(&target),
                url: target,
                hop: Hop::Redirect,
                via: Some(task.url.clone()),
                context: "location".to_string(),
                ..task.clone()
            };
            return self
                .log_decline(&skipped, Decline::RobotsRedirectNotFollowed, false)
                .await;
        }
        self.consider(target, Some(task), Hop::Redirect, "location")
            .await?;
        Ok(())
    }

    /// Considers the links a response makes. An error page's links are the site's furniture,
    /// served at every missing path: relative ones would resolve anew below each, without end.
    /// What the page needs to show is taken; where it leads is reached from the real pages.
    pub(super) async fn follow_links(
        &mut self,
        task: &Task,
        status: u16,
        links: &[Discovered],
    ) -> anyhow::Result<()> {
        let error_page = status >= 400;
        for link in links
            .iter()
            .filter(|l| l.follow && (!error_page || l.hop == Hop::Embed))
        {
            self.consider(link.url.clone(), Some(task), link.hop, &link.context)
                .await?;
        }
        Ok(())
    }

    /// Reads robots.txt once its final answer is in (RFC 9309: 4xx allows all, 5xx disallows
    /// all) and lets its origin's other tasks run.
    async fn learn_robots(&mut self, task: &Task, exchange: &Exchange) -> anyhow::Result<()> {
        let origin = task.origin();
        let mut robots_body = Vec::new();
        let robots = match exchange.status {
            // RFC 9309 asks to follow up to five redirects; a robots.txt that moves is rare
            // enough that we archive the redirect and treat the origin as unrestricted.
            300..=399 => Robots::allow_all(),
            status => {
                let body = discover::decoded_body(exchange, 512 * 1024).await;
                let robots = Robots::from_status(status, &body, ROBOTS_TOKEN, &task.url);
                robots_body = body;
                robots
            }
        };
        for sitemap in robots.sitemaps().to_vec() {
            self.consider(sitemap, Some(task), Hop::Sitemap, "robots@sitemap")
                .await?;
        }
        self.robots.insert(origin.clone(), Arc::new(robots));
        self.frontier.open_gate(&origin);
        self.pending.push(StateOp::Robots {
            origin,
            url: task.url.to_string(),
            status: exchange.status,
            body: robots_body,
        });
        Ok(())
    }

    /// robots.txt that could not be fetched at all counts as unreachable: disallow all (RFC 9309
    /// §2.3.1.4), said plainly in the log so the operator can rerun with `--ignore-robots`.
    fn after_robots_failure(&mut self, task: &Task) {
        if task.hop == Hop::Prerequisite {
            let origin = task.origin();
            tracing::warn!("robots.txt of {origin} unreachable: nothing more is fetched from it");
            self.robots
                .insert(origin.clone(), Arc::new(Robots::disallow_all()));
            self.frontier.open_gate(&origin);
            self.pending.push(StateOp::Robots {
                origin,
                url: task.url.to_string(),
                status: 0,
                body: Vec::new(),
            });
        }
    }

    /// The pause after each fetch from an origin: `--delay` or the site's `Crawl-delay`
    /// (capped at 30 s), whichever is longer.
    pub(super) fn pause_for(&self, origin: &str) -> Duration {
        let crawl_delay = self
            .robots
            .get(origin)
            .filter(|_| self.config.obey_robots)
            .and_then(|r| r.crawl_delay())
            .map(|d| d.min(Duration::from_secs(30)))
            .unwrap_or_default();
        self.config.delay.max(crawl_delay)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.config
            .backoff
            .saturating_mul(1 << attempt.min(10))
            .min(self.config.max_retry_after)
    }

    /// Takes in what a fetched page holds as evidence on its family; a family released by it
    /// has what it declined taken after all.
    pub(super) async fn observe(
        &mut self,
        page: &Task,
        fingerprint: &Fingerprint,
        links: &[Discovered],
    ) -> anyhow::Result<()> {
        let new_links = links
            .iter()
            .filter(|link| link.follow && self.leads_somewhere_new(page, link))
            .count();
        match self
            .families
            .observe(&page.family, page.in_family, fingerprint, new_links)
        {
            Observed::Nothing => {}
            Observed::Stopped => tracing::info!(
                "{}: {} pages in a row added nothing new; its pages found on its own pages are \
                 not followed (lift with --not-a-trap '{}')",
                page.family,
                self.config.trap_after,
                page.family
            ),
            Observed::Released(declined) => {
                tracing::info!(
                    "{}: a page with new content after all; {} declined URLs are taken",
                    page.family,
                    declined.len()
                );
                for task in declined {
                    self.soft_declined.remove(&task.key);
                    if !self.frontier.seen(&task.key) && !self.declined.contains(&task.key) {
                        self.take(task).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `link` on `page` leads somewhere the crawl has not been: a URL not taken yet,
    /// outside the page's own family, into a family whose pages are not barren themselves.
    fn leads_somewhere_new(&self, page: &Task, link: &Discovered) -> bool {
        let key = dedup_key(&link.url);
        if self.frontier.seen(&key)
            || self.declined.contains(&key)
            || self.soft_declined.contains(&key)
        {
            return false;
        }
        let in_scope = self.scope.check(&link.url).is_ok()
            || (link.hop == Hop::Embed && self.config.offsite_requisites);
        if !in_scope {
            return false;
        }
        let family = family_of(&link.url, Some((&page.url, &page.family)));
        family != page.family && self.families.trusts(&family)
    }
}

pub(super) fn is_robots_url(url: &Url) -> bool {
    url.path() == "/robots.txt" && url.query().is_none()
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(exchange: &Exchange) -> Option<Duration> {
    let value = exchange
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .map(|(_, value)| String::from_utf8_lossy(value).trim().to_string())?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(&value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}
