//! The crawl's entry points: starting the state and archive threads, putting a stopped crawl's
//! state back, running the coordinator to its end, and closing everything in order, reporting
//! the cause of a failure rather than its echoes.

use super::browse::Browsing;
use super::{Coordinator, CrawlResult};
use crate::crawl::archive::{Archive, ArchiveOptions, ArchiveStopped};
use crate::crawl::browse::{BrowseEvent, BrowserSide};
use crate::crawl::config::Config;
use crate::crawl::progress::Progress;
use crate::crawl::resume::Restored;
use crate::crawl::state::{StateError, StateWriter};
use crate::crawl::task::Hop;

/// Runs one crawl to its end (or until `stop` resolves) and closes its files.
pub async fn run_crawl(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<CrawlResult> {
    drive(config, started, progress, stop, None).await
}

/// Continues a stopped crawl from what [`crate::crawl::resume::plan`] restored.
pub async fn resume_crawl(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
    restored: Restored,
) -> anyhow::Result<CrawlResult> {
    drive(config, started, progress, stop, Some(restored)).await
}

async fn drive(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
    mut restored: Option<Restored>,
) -> anyhow::Result<CrawlResult> {
    // The browser first: without one, a crawl in the browser stops before anything is written.
    let browser = if config.browser {
        let (events, received) = tokio::sync::mpsc::unbounded_channel();
        let side = BrowserSide::start(&config, events.clone()).await?;
        Some((side, events, received))
    } else {
        None
    };
    let (state, state_thread) = StateWriter::start(&config.out)?;
    let mut options = ArchiveOptions::from_config(&config, started);
    options.state = Some(state.clone());
    options.resume = restored.as_mut().map(|r| std::mem::take(&mut r.seed));
    if let Some((_, events, _)) = &browser {
        let events = events.clone();
        options.settled = Some(Box::new(move |settled| {
            let _ = events.send(BrowseEvent::Settled(settled));
        }));
    }
    let archive = Archive::start(options)?;
    let mut crawl = Coordinator::new(config, archive, progress, state)?;
    if let Some((side, _, received)) = browser {
        let tabs = crawl.config.browser_tabs;
        crawl.browsing = Some(Browsing::new(side, tabs));
        crawl.browse_events = Some(received);
    }
    let run = async {
        if let Some(restored) = restored {
            crawl.restore(restored).await?;
        }
        for seed in crawl.config.seeds.clone() {
            crawl.consider(seed, None, Hop::Seed, "seed").await?;
        }
        crawl.run(stop).await
    }
    .await;
    let result = match run {
        Ok(interrupted) => crawl.finish(interrupted).await,
        // Close what can be closed; then report the cause, not its echo: when the archive
        // thread stopped (a full disk, say), its own error says why.
        Err(err) => match crawl.finish(true).await {
            Err(archive_err) if err.is::<ArchiveStopped>() => Err(archive_err),
            Err(archive_err) => {
                if !is_state_stopped(&archive_err) {
                    tracing::warn!(
                        "closing the archive failed too: {}",
                        crate::exit::error_line(&archive_err)
                    );
                }
                Err(err)
            }
            Ok(_) => Err(err),
        },
    };
    let state_result = tokio::task::spawn_blocking(move || state_thread.join()).await?;
    match (result, state_result) {
        (Ok(result), Ok(())) => Ok(result),
        // "The state writer stopped" is an echo of the state thread's own error.
        (Err(err), Err(state_err)) if is_state_stopped(&err) => Err(state_err.into()),
        (Err(err), _) => Err(err),
        (Ok(_), Err(state_err)) => Err(state_err.into()),
    }
}

fn is_state_stopped(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<StateError>(),
        Some(StateError::Stopped(_))
    )
}
