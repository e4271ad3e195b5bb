//! The coordinator's side of the persisted state: starting a crawl with its state thread,
//! putting a stopped crawl's state back in place, and handing changes to the state thread.

use super::*;

pub(super) async fn drive(
    config: Config,
    started: &str,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
    mut restored: Option<Restored>,
) -> anyhow::Result<CrawlResult> {
    let (state, state_thread) = StateWriter::start(&config.out)?;
    let mut options = ArchiveOptions::from_config(&config, started);
    options.state = Some(state.clone());
    options.resume = restored.as_mut().map(|r| std::mem::take(&mut r.seed));
    let archive = Archive::start(options)?;
    let mut crawl = Coordinator::new(config, archive, progress, state)?;
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

impl Coordinator {
    /// Puts the state of a stopped crawl back in place.
    pub(super) async fn restore(&mut self, restored: Restored) -> anyhow::Result<()> {
        for seed in &restored.scope_seeds {
            self.scope.add_seed(seed);
        }
        for key in restored.settled {
            self.frontier.mark_seen(&key);
        }
        self.declined.extend(restored.declined);
        for task in restored.queue {
            self.frontier.restore(task);
        }
        for (origin, robots) in restored.robots {
            self.frontier.know_origin(&origin);
            self.frontier.open_gate(&origin);
            self.robots.insert(origin, robots);
        }
        self.pages_taken = restored.pages_taken;
        self.pages_per_origin = restored.pages_per_origin;
        self.families.restore(restored.families, restored.members);
        self.pending.extend(restored.fixes);
        for (task, decline) in restored.url_traps {
            if let Some(trap) = Trap::of(decline) {
                let tally = self
                    .url_traps
                    .entry((trap, shape_of(&task.url)))
                    .or_default();
                tally.declined += 1;
                if tally.example.is_empty() {
                    tally.example = task.url.to_string();
                }
            }
        }
        // What a stopped family declined stays declined, unless the family was released (a
        // `--not-a-trap` given to this resume): then it is taken now.
        let mut released = Vec::new();
        for (task, decline) in restored.soft_declined {
            self.soft_declined.insert(task.key.clone());
            if decline == Decline::TrapNoNewContent {
                if self.families.is_stopped(&task.family) {
                    self.families.note_declined(task);
                } else {
                    released.push(task);
                }
            }
        }
        for (task, decline) in restored.redeclare {
            self.archive
                .send(ArchiveJob::Declined {
                    task,
                    decline,
                    in_scope: true,
                })
                .await?;
        }
        for task in released {
            self.soft_declined.remove(&task.key);
            if !self.frontier.seen(&task.key) && !self.declined.contains(&task.key) {
                self.take(task).await?;
            }
        }
        Ok(())
    }

    /// Hands state changes to the state thread; with `wait`, returns once they are committed.
    pub(super) async fn persist(&mut self, wait: bool) -> anyhow::Result<()> {
        let mut ops = self.frontier.take_journal();
        ops.append(&mut self.pending);
        ops.extend(
            self.families
                .take_changes()
                .into_iter()
                .map(StateOp::Family),
        );
        if wait {
            self.state.commit(ops).await?;
        } else {
            self.state.send(ops).await?;
        }
        Ok(())
    }
}
