//! The scheduler: takes tasks from the frontier, fetches them concurrently, hands every exchange to
//! the archive thread and feeds the links it found back through scope and trap checks.
//!
//! One coordinating loop owns all crawl state (frontier, robots rules, counters), so none of it
//! needs a lock; fetches run as tasks in a `JoinSet` bounded by `--concurrency`, and the archive
//! is reached through a bounded channel, so a slow disk slows the crawl instead of filling memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use url::Url;

use super::archive::{Archive, ArchiveJob, ArchiveOptions, ArchiveStopped};
use super::config::Config;
use super::discover::{self, Discovered, Discovery};
use super::fetch::{Exchange, FetchConfig, FetchError, Fetcher, Truncation};
use super::frontier::{Frontier, Hop, Task};
use super::progress::Progress;
use super::resume::Restored;
use super::robots::Robots;
use super::state::{StateError, StateOp, StateWriter};
use super::traps::{FamilyGuard, Fingerprint, Observed, Trap, UrlLimits, family_of, shape_of};
use crate::scope::Scope;

mod persist;
use crate::outcome::Decline;
use crate::report::summary::{RecordCounts, TrapFamily};
use crate::urls::dedup_key;
use persist::drive;

/// The product token arkiv answers to in robots.txt groups.
pub const ROBOTS_TOKEN: &str = "arkiv";

/// How a crawl ended: what its archive thread wrote, the trap families it stopped, and whether
/// Ctrl-C stopped it. How each URL ended is in the crawl state (`state::tally`).
#[derive(Debug)]
pub struct CrawlResult {
    pub records: RecordCounts,
    pub traps: Vec<TrapFamily>,
    pub interrupted: bool,
    /// When this run started, and how long it took.
    pub started: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
}

/// What a fetch task hands back to the coordinator.
struct Fetched {
    task: Task,
    result: Result<Exchange, FetchError>,
    links: Vec<Discovered>,
    /// What an HTML page's text consists of, for the trap guard.
    fingerprint: Option<Fingerprint>,
}

/// URLs one of the [`UrlLimits`] declined, per trap and URL shape, for the trap report.
#[derive(Debug, Default)]
struct UrlTrapTally {
    declined: u64,
    example: String,
}

/// Runs one crawl to its end (or until `stop` resolves) and closes its files.
pub async fn run_crawl(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<CrawlResult> {
    drive(config, started, progress, stop, None).await
}

/// Continues a stopped crawl from what [`super::resume::plan`] restored.
pub async fn resume_crawl(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
    restored: Restored,
) -> anyhow::Result<CrawlResult> {
    drive(config, started, progress, stop, Some(restored)).await
}

struct Coordinator {
    config: Config,
    scope: Scope,
    limits: UrlLimits,
    families: FamilyGuard,
    url_traps: BTreeMap<(Trap, String), UrlTrapTally>,
    frontier: Frontier,
    fetcher: Fetcher,
    archive: Archive,
    progress: Progress,
    robots: HashMap<String, Arc<Robots>>,
    /// Keys of URLs declined once already (each is logged once).
    declined: HashSet<String>,
    /// Keys declined for how they were found (within a stopped trap family, too deep, from an
    /// offsite page), not for what they are: considered again when found another way (from a
    /// page of another family, by a shorter path, on the site itself), and logged once.
    soft_declined: HashSet<String>,
    pages_taken: u64,
    pages_per_origin: HashMap<String, u64>,
    state: StateWriter,
    /// State changes the frontier does not journal itself (declines, robots.txt).
    pending: Vec<StateOp>,
    /// When this run started (for the summary).
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
}

impl Coordinator {
    fn new(
        config: Config,
        archive: Archive,
        progress: Progress,
        state: StateWriter,
    ) -> anyhow::Result<Coordinator> {
        let scope = Scope::new(
            config.scope,
            &config.seeds,
            config.include.clone(),
            config.exclude.clone(),
        );
        let limits = UrlLimits {
            max_url_len: config.max_url_len,
            max_path_depth: config.max_path_depth,
            max_segment_repeats: config.max_segment_repeats,
        };
        let families = FamilyGuard::new(config.trap_after, config.not_a_trap.iter().cloned());
        let fetcher = Fetcher::new(FetchConfig {
            user_agent: config.user_agent(),
            connect_timeout: config.connect_timeout,
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            total_timeout: config.total_timeout,
            max_size: config.max_size,
            spool_threshold: config.spool_threshold,
            spool_dir: config.out.join("state").join("tmp"),
            ca_certs: config.ca_certs.clone(),
            ..FetchConfig::default()
        });
        Ok(Coordinator {
            frontier: Frontier::new(config.per_host),
            scope,
            limits,
            families,
            url_traps: BTreeMap::new(),
            fetcher,
            archive,
            progress,
            robots: HashMap::new(),
            declined: HashSet::new(),
            soft_declined: HashSet::new(),
            pages_taken: 0,
            pages_per_origin: HashMap::new(),
            state,
            pending: Vec::new(),
            started: chrono::Utc::now(),
            clock: Instant::now(),
            config,
        })
    }

    /// The main loop; returns whether it was interrupted.
    async fn run(&mut self, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<bool> {
        let mut inflight: JoinSet<Fetched> = JoinSet::new();
        let mut stopping = false;
        tokio::pin!(stop);
        loop {
            if !stopping {
                self.dispatch(&mut inflight).await?;
            }
            self.persist(false).await?;
            self.progress
                .update(self.frontier.queued() as u64, inflight.len() as u64);
            if inflight.is_empty() && (stopping || self.frontier.queued() == 0) {
                break;
            }
            let wake = self
                .frontier
                .next_wakeup()
                .unwrap_or_else(|| Instant::now() + Duration::from_millis(250));
            tokio::select! {
                joined = inflight.join_next(), if !inflight.is_empty() => {
                    match joined {
                        Some(Ok(fetched)) => self.handle(fetched).await?,
                        Some(Err(err)) if err.is_panic() => {
                            anyhow::bail!("a fetch task panicked: {err}");
                        }
                        _ => {}
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = &mut stop, if !stopping => {
                    stopping = true;
                    self.progress.println("stopping: finishing fetches in flight (Ctrl-C again to abort)");
                }
            }
        }
        if stopping {
            for task in self.frontier.drain() {
                self.decline_task(&task, Decline::CrawlStopped, true)
                    .await?;
            }
        }
        Ok(stopping)
    }

    /// Starts fetches while the frontier has ready tasks and the concurrency limit allows.
    async fn dispatch(&mut self, inflight: &mut JoinSet<Fetched>) -> anyhow::Result<()> {
        while inflight.len() < self.config.concurrency {
            let now = Instant::now();
            let Some(task) = self.frontier.next(now) else {
                break;
            };
            if task.hop != Hop::Prerequisite {
                let origin = task.origin();
                if let Some(robots) = self.robots.get(&origin)
                    && self.config.obey_robots
                    && !robots.allowed(&task.url)
                {
                    self.frontier.done(&origin, now, Duration::ZERO);
                    let reason = if robots.is_unreachable() {
                        Decline::RobotsUnreachable
                    } else {
                        Decline::ExcludedByRobots
                    };
                    self.decline_task(&task, reason, true).await?;
                    continue;
                }
            }
            // Queued before its family was stopped: not fetched now, taken again if the family
            // is released or the URL is found another way.
            if self.families.declines(&task.family, task.in_family) {
                self.frontier.done(&task.origin(), now, Duration::ZERO);
                self.frontier.forget(&task.key);
                self.uncount_page(&task);
                self.decline_in_family(task).await?;
                continue;
            }
            let fetcher = self.fetcher.clone();
            let max_decoded = self.config.max_decoded;
            inflight.spawn(async move {
                let result = fetcher.fetch(&task.url, &[]).await;
                let found = match &result {
                    Ok(exchange) => {
                        discover::links_of(
                            exchange,
                            &task.url,
                            task.hop,
                            &task.context,
                            max_decoded,
                        )
                        .await
                    }
                    Err(_) => Discovery::default(),
                };
                Fetched {
                    task,
                    result,
                    links: found.links,
                    fingerprint: found.fingerprint,
                }
            });
        }
        Ok(())
    }

    async fn handle(&mut self, fetched: Fetched) -> anyhow::Result<()> {
        let Fetched {
            task,
            result,
            links,
            fingerprint,
        } = fetched;
        let origin = task.origin();
        let now = Instant::now();
        let pause = self.pause_for(&origin);
        match result {
            Err(error) => {
                self.frontier.done(&origin, now, pause);
                let retry = task.attempt < self.config.retries && !error.is_permanent();
                if retry {
                    let wait = self.backoff(task.attempt);
                    self.frontier.retry_at(
                        Task {
                            attempt: task.attempt + 1,
                            ..task.clone()
                        },
                        now + wait,
                    );
                } else {
                    self.progress.failed();
                    self.after_robots_failure(&task);
                }
                // State first, then the WARC (see the success branch below).
                self.persist(true).await?;
                self.archive
                    .send(ArchiveJob::Failed {
                        task,
                        error,
                        last: !retry,
                    })
                    .await?;
            }
            Ok(exchange) => {
                let status = exchange.status;
                // A body cut by `--max-size` is what the operator asked for: archived, not retried.
                // One cut by a timeout or a dropped connection may come whole next time.
                let truncated = exchange.truncated.is_some_and(|t| t != Truncation::Length);
                let retry_after = retry_after(&exchange);
                self.progress.fetched(exchange.response.len());
                let transient = matches!(status, 429 | 503) || truncated;
                let retry = transient && task.attempt < self.config.retries;
                let mut pause = pause;
                if matches!(status, 429 | 503) {
                    let wait = retry_after.unwrap_or_else(|| self.backoff(task.attempt));
                    pause = pause.max(wait.min(self.config.max_retry_after));
                }
                self.frontier.done(&origin, now, pause);
                if task.hop == Hop::Prerequisite && !retry {
                    self.learn_robots(&task, &exchange).await?;
                }
                // What the page holds is evidence on its family, taken in before its links are
                // considered (they may be the family's next pages).
                if !retry && task.hop != Hop::Prerequisite && (200..300).contains(&status) {
                    let fingerprint = fingerprint
                        .unwrap_or_else(|| Fingerprint::of_payload(&exchange.payload_digest));
                    self.observe(&task, &fingerprint, &links).await?;
                }
                let location = (300..400)
                    .contains(&status)
                    .then(|| discover::location(&exchange, &task.url))
                    .flatten();
                let job = ArchiveJob::Exchange {
                    task: task.clone(),
                    exchange: Box::new(exchange),
                    outlinks: links.clone(),
                    last: !retry,
                };
                if retry {
                    let wait = match retry_after {
                        Some(wait) if wait <= self.config.max_retry_after => wait,
                        _ => self.backoff(task.attempt),
                    };
                    self.frontier.retry_at(
                        Task {
                            attempt: task.attempt + 1,
                            ..task.clone()
                        },
                        now + wait,
                    );
                } else if truncated {
                    self.progress.failed();
                }
                if let Some(target) = location {
                    if task.hop == Hop::Prerequisite && !is_robots_url(&target) {
                        // A robots.txt sent elsewhere (an old domain pointing every path at its
                        // new home page) names no resource: logged, not followed. What it points
                        // at is reached the ordinary way if the crawl needs it; following it here
                        // would take a seed's target as an offsite requisite before the seed's
                        // own redirect could bring its site into scope.
                        let skipped = Task {
                            key: dedup_key(&target),
                            url: target,
                            hop: Hop::Redirect,
                            via: Some(task.url.clone()),
                            context: "location".to_string(),
                            ..task.clone()
                        };
                        self.log_decline(&skipped, Decline::RobotsRedirectNotFollowed, false)
                            .await?;
                    } else {
                        self.consider(target, Some(&task), Hop::Redirect, "location")
                            .await?;
                    }
                }
                // An error page's links are the site's furniture, served at every missing path:
                // relative ones would resolve anew below each, without end. What the page needs
                // to show is taken; where it leads is reached from the site's real pages.
                let error_page = status >= 400;
                for link in links
                    .into_iter()
                    .filter(|l| l.follow && (!error_page || l.hop == Hop::Embed))
                {
                    self.consider(link.url, Some(&task), link.hop, &link.context)
                        .await?;
                }
                // The page's links (and its retry) are committed to the state before its
                // record can reach the WARC: a page found archived on resume is never fetched
                // again, so what it led to must already be known.
                self.persist(true).await?;
                self.archive.send(job).await?;
            }
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
    fn pause_for(&self, origin: &str) -> Duration {
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
    async fn observe(
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

    /// Decides whether a found URL is taken, and queues or logs it.
    async fn consider(
        &mut self,
        mut url: Url,
        parent: Option<&Task>,
        hop: Hop,
        context: &str,
    ) -> anyhow::Result<()> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Ok(()); // data:, mailto:, javascript: … are not resources to fetch
        }
        // A fragment is never sent: it names a place in the page, not another resource, and
        // has no place in the WARC, the index or the manifest.
        url.set_fragment(None);
        // A seed that redirects (http → https, example.org → www.example.org) names the site the
        // operator meant: its target becomes a seed of the scope too, as Heritrix does (even when
        // the target was already found another way).
        let seed_redirect = hop == Hop::Redirect
            && parent.is_some_and(|p| {
                p.depth == 0 && !p.requisite && matches!(p.hop, Hop::Seed | Hop::Redirect)
            });
        if seed_redirect && !self.scope.same_site(&url) && self.scope.check_patterns(&url).is_ok() {
            tracing::info!("seed redirected to {url}: its site is in scope too");
            self.scope.add_seed(&url);
            self.pending
                .push(StateOp::ScopeSeed(url.as_str().to_string()));
        }
        let key = dedup_key(&url);
        if self.frontier.seen(&key) || self.declined.contains(&key) {
            return Ok(());
        }
        let parent_requisite = parent.is_some_and(|p| p.requisite);
        let parent_offsite = parent.is_some_and(|p| !self.scope.same_site(&p.url));
        // A redirect keeps the nature of what redirected; a sitemap entry is a page.
        let requisite = match hop {
            Hop::Embed => true,
            Hop::Redirect => parent_requisite,
            _ => false,
        };
        let depth = match (hop, parent) {
            (Hop::Link | Hop::Sitemap, Some(p)) => p.depth + 1,
            (_, Some(p)) => p.depth,
            (_, None) => 0,
        };
        let redirects = match (hop, parent) {
            (Hop::Redirect, Some(p)) => p.redirects + 1,
            _ => 0,
        };
        let family = family_of(&url, parent.map(|p| (&p.url, p.family.as_str())));
        // Only a navigation link found on a page of the same family is what a trap makes more
        // of: a listing's items, a sitemap's pages, a page's images, a redirect's target are
        // never declined for their family.
        let in_family = hop == Hop::Link && parent.is_some_and(|p| p.family == family);
        let task = Task {
            url,
            key,
            depth,
            hop,
            via: parent.map(|p| p.url.clone()),
            context: context.to_string(),
            requisite,
            redirects,
            attempt: 0,
            family,
            in_family,
        };
        let same_site = self.scope.same_site(&task.url);
        let verdict = if requisite && !same_site {
            if !self.config.offsite_requisites {
                Err(Decline::OffsiteRequisiteSkipped)
            } else {
                self.scope.check_patterns(&task.url)
            }
        } else if !requisite && parent_offsite && parent.is_some() {
            // How it was found, not what it is: an in-site page reached from an offsite one is
            // still taken when the site's own pages link it.
            Err(Decline::NotFollowedFromOffsite)
        } else {
            self.scope.check(&task.url)
        };
        if let Err(decline) = verdict {
            return if decline.is_soft() {
                self.soft_decline(&task, decline, false).await
            } else {
                self.decline_task(&task, decline, false).await
            };
        }
        if let Err(trap) = self.limits.check(&task.url) {
            let tally = self
                .url_traps
                .entry((trap, shape_of(&task.url)))
                .or_default();
            tally.declined += 1;
            if tally.example.is_empty() {
                tally.example = task.url.to_string();
            }
            return self.decline_task(&task, trap.decline(), true).await;
        }
        if redirects > self.config.max_redirects {
            return self
                .decline_task(&task, Decline::TooManyRedirects, true)
                .await;
        }
        if self.config.max_depth.is_some_and(|max| depth > max) {
            return self.soft_decline(&task, Decline::MaxDepth, true).await;
        }
        let barren_sibling = hop == Hop::Link
            && !task.in_family
            && parent.is_some_and(|p| self.families.declines_sibling(&task.family, &p.family));
        if self.families.declines(&task.family, task.in_family) || barren_sibling {
            return self.decline_in_family(task).await;
        }
        self.take(task).await
    }

    /// Takes a URL into the frontier, within the page caps (requisites are not counted), with
    /// its origin's robots.txt first.
    async fn take(&mut self, task: Task) -> anyhow::Result<()> {
        let origin = task.origin();
        if !task.requisite {
            if self
                .config
                .max_pages
                .is_some_and(|max| self.pages_taken >= max)
            {
                return self.decline_task(&task, Decline::MaxPages, true).await;
            }
            let per_origin = self.pages_per_origin.entry(origin.clone()).or_default();
            if self
                .config
                .max_pages_per_host
                .is_some_and(|max| *per_origin >= max)
            {
                return self
                    .decline_task(&task, Decline::MaxPagesPerHost, true)
                    .await;
            }
            *per_origin += 1;
            self.pages_taken += 1;
        }
        if self.config.obey_robots
            && !self.frontier.knows_origin(&origin)
            && !is_robots_url(&task.url)
        {
            self.add_robots_task(&task);
        }
        self.families.admitted(&task.family);
        self.frontier.add(task);
        Ok(())
    }

    /// Gives back a taken page's place in the page caps (it was not fetched after all).
    fn uncount_page(&mut self, task: &Task) {
        if !task.requisite {
            self.pages_taken = self.pages_taken.saturating_sub(1);
            if let Some(count) = self.pages_per_origin.get_mut(&task.origin()) {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Declines a URL of a stopped trap family (found on a page of that family, or on a barren
    /// page of another): softly, and remembered by the guard, which takes it after all if the
    /// family is released.
    async fn decline_in_family(&mut self, task: Task) -> anyhow::Result<()> {
        if self.soft_declined.contains(&task.key) {
            return Ok(());
        }
        self.soft_decline(&task, Decline::TrapNoNewContent, true)
            .await?;
        self.families.note_declined(task);
        Ok(())
    }

    fn add_robots_task(&mut self, first: &Task) {
        let mut url = first.url.clone();
        url.set_path("/robots.txt");
        url.set_query(None);
        url.set_fragment(None);
        let key = dedup_key(&url);
        self.frontier.add_prerequisite(Task {
            url,
            key,
            depth: first.depth,
            hop: Hop::Prerequisite,
            via: Some(first.url.clone()),
            context: "robots".to_string(),
            requisite: true,
            redirects: 0,
            attempt: 0,
            family: shape_of(&first.url),
            in_family: false,
        });
    }

    /// Declines a URL for how it was found: logged and persisted the first time (with an
    /// outcome record when in scope), but not remembered as declined, so it is taken when found
    /// again another way (its response then supersedes the outcome record, as in the mirror's
    /// catalog).
    async fn soft_decline(
        &mut self,
        task: &Task,
        decline: Decline,
        in_scope: bool,
    ) -> anyhow::Result<()> {
        if !self.soft_declined.insert(task.key.clone()) {
            return Ok(());
        }
        self.pending.push(StateOp::Declined {
            task: task.clone(),
            decline,
            in_scope,
            soft: true,
        });
        self.log_decline(task, decline, in_scope).await
    }

    /// Logs a URL the crawl does not fetch. `in_scope` ones are also recorded in the WARC (as
    /// metadata) so that the mirror can show a "not archived" page for them.
    async fn decline_task(
        &mut self,
        task: &Task,
        decline: Decline,
        in_scope: bool,
    ) -> anyhow::Result<()> {
        self.declined.insert(task.key.clone());
        // URLs left waiting by Ctrl-C stay queued in the state: a resume fetches them.
        if decline != Decline::CrawlStopped {
            self.pending.push(StateOp::Declined {
                task: task.clone(),
                decline,
                in_scope,
                soft: false,
            });
        }
        self.log_decline(task, decline, in_scope).await
    }

    /// Hands a decline to the archive thread: a crawl.log line, and for `in_scope` ones an
    /// outcome record in the WARC.
    async fn log_decline(
        &self,
        task: &Task,
        decline: Decline,
        in_scope: bool,
    ) -> anyhow::Result<()> {
        self.archive
            .send(ArchiveJob::Declined {
                task: task.clone(),
                decline,
                in_scope,
            })
            .await
    }

    async fn finish(mut self, interrupted: bool) -> anyhow::Result<CrawlResult> {
        let persisted = self.persist(true).await;
        let traps = self.trap_report();
        let self_started = (self.started, self.clock);
        let Coordinator {
            archive, progress, ..
        } = self;
        progress.finish();
        let records = archive.finish().await?;
        persisted?;
        Ok(CrawlResult {
            records,
            traps,
            interrupted,
            started: self_started.0,
            duration: self_started.1.elapsed(),
        })
    }
}

impl Coordinator {
    /// Every family of URLs declined as a trap: the families stopped on their content, then the
    /// URLs over a limit, by limit and shape.
    fn trap_report(&self) -> Vec<TrapFamily> {
        let mut report = self.families.report();
        for ((trap, shape), tally) in &self.url_traps {
            let now = match trap {
                Trap::UrlTooLong => self.config.max_url_len,
                Trap::PathTooDeep => self.config.max_path_depth,
                Trap::RepeatingSegments => self.config.max_segment_repeats,
            };
            report.push(TrapFamily {
                shape: shape.clone(),
                outcome: trap.decline().to_string(),
                declined: tally.declined,
                example: tally.example.clone(),
                fetched: None,
                barren_in_a_row: None,
                lift: format!("{} N (now {now})", trap.flag()),
            });
        }
        report
    }
}

fn is_robots_url(url: &Url) -> bool {
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
