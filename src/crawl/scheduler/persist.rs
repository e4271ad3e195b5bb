//! The coordinator's side of the persisted state: putting a stopped crawl's state back in
//! place, and handing changes to the state thread.

use super::Coordinator;
use crate::crawl::archive::ArchiveJob;
use crate::crawl::resume::Restored;
use crate::crawl::state::{Committed, StateOp};
use crate::crawl::traps::{Trap, shape_of};
use crate::outcome::Decline;

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
            self.soft_declined.insert(&task.key);
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
        self.restore_browsing(restored.archived, restored.unrendered);
        Ok(())
    }

    /// Hands state changes to the state thread; with `wait`, returns once they are committed.
    pub(super) async fn persist(&mut self, wait: bool) -> anyhow::Result<()> {
        let ops = self.take_changes();
        if wait {
            self.state.commit(ops).await?;
        } else {
            self.state.send(ops).await?;
        }
        Ok(())
    }

    /// Hands state changes to the state thread and returns what resolves once they are
    /// committed, for the archive job that must not be written before them.
    pub(super) async fn persist_for(&mut self) -> anyhow::Result<Committed> {
        let ops = self.take_changes();
        Ok(self.state.commit_later(ops).await?)
    }

    fn take_changes(&mut self) -> Vec<StateOp> {
        let mut ops = self.frontier.take_journal();
        ops.append(&mut self.pending);
        ops.extend(
            self.families
                .take_changes()
                .into_iter()
                .map(StateOp::Family),
        );
        ops
    }
}
