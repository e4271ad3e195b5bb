//! The scheduler: takes tasks from the frontier, fetches them concurrently, hands every exchange to
//! the archive thread and feeds the links it found back through scope and trap checks.
//!
//! One coordinating loop owns all crawl state (frontier, robots rules, counters), so none of it
//! needs a lock; fetches run as tasks in a `JoinSet` bounded by `--concurrency`, and the archive
//! is reached through a bounded channel, so a slow disk slows the crawl instead of filling memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::archive::Archive;
use super::config::Config;
use super::discover::{self, Discovered, Discovery};
use super::fetch::{Exchange, FetchConfig, FetchError, Fetcher};
use super::frontier::{self, Frontier};
use super::keys::KeySet;
use super::progress::Progress;
use super::robots::Robots;
use super::state::{StateOp, StateWriter};
use super::task::{Hop, Task};
use super::traps::{FamilyGuard, Fingerprint, Trap, UrlLimits};
use crate::scope::Scope;

mod admit;
mod browse;
mod drive;
mod handle;
mod persist;

pub use drive::{resume_crawl, run_crawl};

use crate::outcome::Decline;
use crate::report::summary::{RecordCounts, TrapFamily};

/// The product token arkiv answers to in robots.txt groups.
pub const ROBOTS_TOKEN: &str = "arkiv";

/// How a crawl ended: what its archive thread wrote, the trap families it stopped, and whether
/// Ctrl-C stopped it. How each URL ended is in the crawl state (`state::tally`).
#[derive(Debug)]
pub struct CrawlResult {
    pub records: RecordCounts,
    /// WARC files this run created, whose index lines are in `index_lines` already.
    pub written: Vec<std::path::PathBuf>,
    pub index_lines: std::path::PathBuf,
    pub traps: Vec<TrapFamily>,
    pub interrupted: bool,
    /// When this run started, and how long it took.
    pub started: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
}

/// What a fetch task hands back to the coordinator.
struct Fetched {
    task: Task,
    /// `401`s the credentials answered before `result` (each is archived).
    challenged: Vec<Exchange>,
    result: Result<Exchange, FetchError>,
    /// Why `result` is a `401` or `407` the credentials could not answer.
    auth_failure: Option<String>,
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

/// The one loop that owns the crawl's state: frontier, scope, robots rules, trap evidence and
/// counters (see the module documentation).
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
    declined: KeySet,
    /// Keys declined for how they were found (within a stopped trap family, too deep, from an
    /// offsite page), not for what they are: considered again when found another way (from a
    /// page of another family, by a shorter path, on the site itself), and logged once.
    soft_declined: KeySet,
    pages_taken: u64,
    pages_per_origin: HashMap<String, u64>,
    state: StateWriter,
    /// State changes the frontier does not journal itself (declines, robots.txt).
    pending: Vec<StateOp>,
    /// When this run started (for the summary).
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    /// With `--browser`: the browser, and what the coordinator keeps for it.
    browsing: Option<browse::Browsing>,
    /// The browser's requests, settled URLs and finished renders (taken by [`Coordinator::run`]).
    browse_events: Option<tokio::sync::mpsc::UnboundedReceiver<crate::crawl::browse::BrowseEvent>>,
    /// Set while a browser request is considered: what it takes goes to the front of its queue.
    take_urgently: bool,
    /// Ctrl-C was pressed: no new page is rendered.
    stopping: bool,
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
            headers: config.access.headers.clone(),
            login: config.access.login_config(),
            cookies: config.access.cookies.clone(),
            proxies: config.access.proxies.clone(),
            ..FetchConfig::default()
        });
        Ok(Coordinator {
            frontier: Frontier::new(config.per_host).with_overflow(
                config.out.join("state").join("tmp"),
                frontier::DEFAULT_WINDOW,
            ),
            scope,
            limits,
            families,
            url_traps: BTreeMap::new(),
            fetcher,
            archive,
            progress,
            robots: HashMap::new(),
            declined: KeySet::new(),
            soft_declined: KeySet::new(),
            pages_taken: 0,
            pages_per_origin: HashMap::new(),
            state,
            pending: Vec::new(),
            started: chrono::Utc::now(),
            clock: Instant::now(),
            config,
            browsing: None,
            browse_events: None,
            take_urgently: false,
            stopping: false,
        })
    }

    /// The main loop; returns whether it was interrupted.
    async fn run(&mut self, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<bool> {
        let mut inflight: JoinSet<Fetched> = JoinSet::new();
        let mut stopping = false;
        let mut browse_events = self.browse_events.take();
        tokio::pin!(stop);
        loop {
            if !stopping {
                self.dispatch(&mut inflight).await?;
            }
            self.persist(false).await?;
            self.progress
                .update(self.frontier.queued() as u64, inflight.len() as u64);
            if inflight.is_empty()
                && (stopping || self.frontier.queued() == 0)
                && !self.browser_busy()
            {
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
                Some(event) = browse::next_event(&mut browse_events) => {
                    self.on_browse_event(event).await?;
                }
                _ = &mut stop, if !stopping => {
                    stopping = true;
                    self.stopping = true;
                    self.stop_rendering();
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
            if !task.requisite && task.hop != Hop::Prerequisite && self.browser_behind() {
                // The browser is far behind: this page waits (what pages being rendered ask
                // for is a requisite and goes on being fetched).
                self.frontier.put_back(task);
                break;
            }
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
                let answered = fetcher.fetch_answering(&task.url).await;
                let result = answered.last;
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
                    challenged: answered.challenged,
                    result,
                    auth_failure: answered.auth_failure,
                    links: found.links,
                    fingerprint: found.fingerprint,
                }
            });
        }
        Ok(())
    }

    async fn finish(mut self, interrupted: bool) -> anyhow::Result<CrawlResult> {
        if let Some(browsing) = self.browsing.take() {
            browsing.side.close().await;
        }
        let persisted = self.persist(true).await;
        let traps = self.trap_report();
        let self_started = (self.started, self.clock);
        let Coordinator {
            archive, progress, ..
        } = self;
        progress.finish();
        let closed = archive.finish().await?;
        persisted?;
        Ok(CrawlResult {
            records: closed.records,
            written: closed.written,
            index_lines: closed.index_lines,
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
