//! Which found URLs the crawl takes: each policy a function of its own, applied in order by
//! [`Coordinator::consider`] (scope, the URL limits, redirects, depth, the trap families, the
//! page caps), and the ways a URL is declined: for what it is (remembered, never taken) or for
//! how it was found (soft: taken when found another way).

use url::Url;

use super::Coordinator;
use crate::crawl::archive::ArchiveJob;
use crate::crawl::state::StateOp;
use crate::crawl::task::{Hop, Task};
use crate::crawl::traps::{family_of, shape_of};
use crate::outcome::Decline;
use crate::urls::dedup_key;

/// What [`Coordinator::consider`] decided.
enum Verdict {
    Take,
    Decline(Decline),
    /// For how the URL was found; it gives way when the URL is found another way.
    SoftDecline(Decline),
}

/// What became of a URL [`Coordinator::consider`] was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Considered {
    /// Not a resource to fetch (`data:`, `mailto:`, …).
    NotFetchable,
    /// Taken or declined before.
    Known,
    /// Taken into the frontier now.
    Taken,
    /// Declined now, for this reason.
    Declined(Decline),
}

impl Coordinator {
    /// Decides whether a found URL is taken, and queues or logs it.
    pub(super) async fn consider(
        &mut self,
        mut url: Url,
        parent: Option<&Task>,
        hop: Hop,
        context: &str,
    ) -> anyhow::Result<Considered> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Ok(Considered::NotFetchable); // data:, mailto:, javascript: … are not resources to fetch
        }
        // A fragment is never sent: it names a place in the page, not another resource, and
        // has no place in the WARC, the index or the manifest.
        url.set_fragment(None);
        self.widen_scope_for_seed_redirect(&url, parent, hop);
        let key = dedup_key(&url);
        if self.frontier.seen(&key) || self.declined.contains(&key) {
            return Ok(Considered::Known);
        }
        let task = new_task(url, key, parent, hop, context);
        let verdict = self.scope_verdict(&task, parent);
        let verdict = match verdict {
            Verdict::Take => self.limit_verdict(&task, parent),
            other => other,
        };
        let key = task.key.clone();
        match verdict {
            Verdict::Take => {
                self.take(task).await?;
                if self.frontier.seen(&key) {
                    Ok(Considered::Taken)
                } else {
                    Ok(Considered::Declined(Decline::MaxPages))
                }
            }
            Verdict::Decline(decline) => {
                let in_scope = !is_scope_decline(decline);
                self.decline_task(&task, decline, in_scope).await?;
                Ok(Considered::Declined(decline))
            }
            Verdict::SoftDecline(Decline::TrapNoNewContent) => {
                self.decline_in_family(task).await?;
                Ok(Considered::Declined(Decline::TrapNoNewContent))
            }
            Verdict::SoftDecline(decline) => {
                let in_scope = !is_scope_decline(decline);
                self.soft_decline(&task, decline, in_scope).await?;
                Ok(Considered::Declined(decline))
            }
        }
    }

    /// A seed that redirects (http → https, example.org → www.example.org) names the site the
    /// operator meant: its target becomes a seed of the scope too, as Heritrix does (even when
    /// the target was already found another way).
    fn widen_scope_for_seed_redirect(&mut self, url: &Url, parent: Option<&Task>, hop: Hop) {
        let seed_redirect = hop == Hop::Redirect
            && parent.is_some_and(|p| {
                p.depth == 0 && !p.requisite && matches!(p.hop, Hop::Seed | Hop::Redirect)
            });
        if seed_redirect && !self.scope.same_site(url) && self.scope.check_patterns(url).is_ok() {
            tracing::info!("seed redirected to {url}: its site is in scope too");
            self.scope.add_seed(url);
            self.pending
                .push(StateOp::ScopeSeed(url.as_str().to_string()));
        }
    }

    /// Scope: requisites may come from other sites (unless `--no-offsite-requisites`), pages
    /// only from the seeds' sites, and a page's navigation links only if the page is on them.
    fn scope_verdict(&self, task: &Task, parent: Option<&Task>) -> Verdict {
        let parent_offsite = parent.is_some_and(|p| !self.scope.same_site(&p.url));
        let result = if task.requisite && !self.scope.same_site(&task.url) {
            if !self.config.offsite_requisites {
                Err(Decline::OffsiteRequisiteSkipped)
            } else {
                self.scope.check_patterns(&task.url)
            }
        } else if !task.requisite && parent_offsite {
            // How it was found, not what it is: an in-site page reached from an offsite one is
            // still taken when the site's own pages link it.
            Err(Decline::NotFollowedFromOffsite)
        } else {
            self.scope.check(&task.url)
        };
        match result {
            Ok(()) => Verdict::Take,
            Err(decline) if decline.is_soft() => Verdict::SoftDecline(decline),
            Err(decline) => Verdict::Decline(decline),
        }
    }

    /// The limits on a URL in scope: its own shape (length, depth, repeating segments), its
    /// redirect chain, its depth, and whether its trap family is stopped.
    fn limit_verdict(&mut self, task: &Task, parent: Option<&Task>) -> Verdict {
        if let Err(trap) = self.limits.check(&task.url) {
            let tally = self
                .url_traps
                .entry((trap, shape_of(&task.url)))
                .or_default();
            tally.declined += 1;
            if tally.example.is_empty() {
                tally.example = task.url.to_string();
            }
            return Verdict::Decline(trap.decline());
        }
        if task.redirects > self.config.max_redirects {
            return Verdict::Decline(Decline::TooManyRedirects);
        }
        if self.config.max_depth.is_some_and(|max| task.depth > max) {
            return Verdict::SoftDecline(Decline::MaxDepth);
        }
        let barren_sibling = task.hop == Hop::Link
            && !task.in_family
            && parent.is_some_and(|p| self.families.declines_sibling(&task.family, &p.family));
        if self.families.declines(&task.family, task.in_family) || barren_sibling {
            return Verdict::SoftDecline(Decline::TrapNoNewContent);
        }
        Verdict::Take
    }

    /// Takes a URL into the frontier, within the page caps (requisites are not counted), with
    /// its origin's robots.txt first.
    pub(super) async fn take(&mut self, task: Task) -> anyhow::Result<()> {
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
            && !super::handle::is_robots_url(&task.url)
        {
            self.add_robots_task(&task);
        }
        self.families.admitted(&task.family);
        if self.take_urgently {
            // The browser waits for it: before what the origin queued, after its robots.txt.
            self.frontier.add_urgent(task);
        } else {
            self.frontier.add(task);
        }
        Ok(())
    }

    /// Gives back a taken page's place in the page caps (it was not fetched after all).
    pub(super) fn uncount_page(&mut self, task: &Task) {
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
    pub(super) async fn decline_in_family(&mut self, task: Task) -> anyhow::Result<()> {
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
    pub(super) async fn soft_decline(
        &mut self,
        task: &Task,
        decline: Decline,
        in_scope: bool,
    ) -> anyhow::Result<()> {
        self.browser_declined(&task.key, decline);
        if !self.soft_declined.insert(&task.key) {
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
    pub(super) async fn decline_task(
        &mut self,
        task: &Task,
        decline: Decline,
        in_scope: bool,
    ) -> anyhow::Result<()> {
        self.declined.insert(&task.key);
        self.browser_declined(&task.key, decline);
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
    pub(super) async fn log_decline(
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
}

/// A decline for a URL outside the crawl's scope (no "not archived" page for it in the mirror).
fn is_scope_decline(decline: Decline) -> bool {
    matches!(
        decline,
        Decline::OutOfScope
            | Decline::UnsupportedScheme
            | Decline::ExcludedByPattern
            | Decline::NotIncludedByPattern
            | Decline::OffsiteRequisiteSkipped
            | Decline::NotFollowedFromOffsite
    )
}

/// The task for a URL found on `parent` by `hop`: its depth, whether it is a requisite, its
/// redirect count and its trap family follow from how it was found.
fn new_task(url: Url, key: String, parent: Option<&Task>, hop: Hop, context: &str) -> Task {
    // A redirect keeps the nature of what redirected; a sitemap entry is a page.
    let requisite = match hop {
        Hop::Embed => true,
        Hop::Redirect => parent.is_some_and(|p| p.requisite),
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
    // Only a navigation link found on a page of the same family is what a trap makes more of:
    // a listing's items, a sitemap's pages, a page's images, a redirect's target are never
    // declined for their family.
    let in_family = hop == Hop::Link && parent.is_some_and(|p| p.family == family);
    Task {
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
    }
}
