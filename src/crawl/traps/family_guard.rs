//! The family guard: declines a URL only on evidence that its family is a trap.
//!
//! A trap is a family of generated pages that keeps producing more of itself while adding
//! nothing: an endless calendar, "next month" pages that differ only in their month, the same
//! listing under every sort order and filter. A catalogue, a blog or a documentation set looks
//! alike from its URLs, but each of its pages carries something new. So the guard looks at what
//! the fetched pages of a family contain ([`Fingerprint`]) and where they lead:
//!
//! - a page is **barren** when none of its parts (text nodes, or the payload of a non-HTML
//!   body) is new to its family, and it links nothing new outside its family (to a family whose
//!   own pages are not barren themselves, so a calendar's new day pages do not count);
//! - a family whose last `trap_after` fetched pages in a row were barren is **stopped**: the URLs
//!   its pages link within the family are declined (`trap-no-new-content`), and those already
//!   queued are not fetched. What the rest of the site links is always taken: a listing's items,
//!   a sitemap's pages, a page's images are never declined by this guard;
//! - a stopped family's URLs are also declined when a barren page of another family links them
//!   (a calendar's empty months linking their empty day pages): nothing new leads to nothing
//!   new. A page that brings something new (a listing with new items) has its links taken;
//! - a stopped family that shows a page with something new after all (one queued before the
//!   stop, or linked from elsewhere) is released, and what it declined is taken after all.
//!
//! A chain of distinct pages (a blog's 2 000 posts, a 500-page listing) therefore runs to its
//! end, and an endless calendar stops after `trap_after` empty months. Evidence is kept only for
//! families with more than one member; its size per family is bounded ([`FEATURE_CAP`]).

use std::collections::{HashMap, HashSet};

use super::fingerprint::{Fingerprint, fnv1a};
use crate::crawl::task::Task;
use crate::outcome::Decline;
use crate::report::summary::TrapFamily;

/// Parts remembered per family; a family with more distinct parts than this is rich in content,
/// and whatever is not remembered counts as new (so the cap can only make the guard milder).
pub const FEATURE_CAP: usize = 4096;
/// A family whose last this many pages were barren is no longer "somewhere new" to link to.
const DISTRUST_AFTER: u32 = 3;
/// Fingerprints of single pages kept (the most recent), so that a family's second page can be
/// compared with its first: most families never get a second page, so they keep no evidence.
const SINGLE_PAGES_KEPT: usize = 1024;

/// The evidence gathered on one family.
#[derive(Debug)]
struct Evidence {
    shape: String,
    fetched: u32,
    streak: u32,
    stopped: bool,
    features: HashSet<u64>,
    features_changed: bool,
    /// URLs declined while stopped, taken after all if the family is released.
    declined: Vec<Task>,
}

/// One family's evidence as persisted in the crawl state (for `--resume`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyRecord {
    pub shape: String,
    pub fetched: u32,
    pub streak: u32,
    pub stopped: bool,
    /// Present when they changed since the last record.
    pub features: Option<Vec<u64>>,
}

/// What observing a page changed.
#[derive(Debug)]
pub enum Observed {
    Nothing,
    /// The family is stopped from now on.
    Stopped,
    /// A stopped family was released: these declined URLs are to be taken after all.
    Released(Vec<Task>),
}

#[derive(Debug)]
pub struct FamilyGuard {
    /// Barren pages in a row that stop a family; 0 turns the guard off.
    trap_after: u32,
    /// Shapes the user said are not traps (`--not-a-trap`).
    exempt: HashSet<String>,
    /// URLs taken per family (by hash of the shape); evidence is gathered from the second on.
    members: HashMap<u64, u32>,
    evidence: HashMap<u64, Evidence>,
    /// The recent pages of one-page families, oldest first.
    single_pages: HashMap<u64, Vec<u64>>,
    single_order: std::collections::VecDeque<u64>,
    /// Families whose evidence changed since [`FamilyGuard::take_changes`].
    dirty: HashSet<u64>,
}

impl FamilyGuard {
    pub fn new(trap_after: u32, exempt: impl IntoIterator<Item = String>) -> FamilyGuard {
        FamilyGuard {
            trap_after,
            exempt: exempt.into_iter().collect(),
            members: HashMap::new(),
            evidence: HashMap::new(),
            single_pages: HashMap::new(),
            single_order: std::collections::VecDeque::new(),
            dirty: HashSet::new(),
        }
    }

    /// A URL of `family` was taken into the crawl.
    pub fn admitted(&mut self, family: &str) {
        *self.members.entry(fnv1a(family.as_bytes())).or_default() += 1;
    }

    /// Whether a new link into `family` counts as leading somewhere new.
    pub fn trusts(&self, family: &str) -> bool {
        self.evidence
            .get(&fnv1a(family.as_bytes()))
            .is_none_or(|e| !e.stopped && e.streak < DISTRUST_AFTER)
    }

    /// Whether a URL of `family` found as `in_family` is declined now.
    pub fn declines(&self, family: &str, in_family: bool) -> bool {
        in_family && self.is_stopped(family)
    }

    /// Whether a URL of `family` linked from a page of another family, `parent`, is declined
    /// now: its family is stopped and the linking page's family is barren too.
    pub fn declines_sibling(&self, family: &str, parent: &str) -> bool {
        self.is_stopped(family) && !self.trusts(parent)
    }

    /// Whether `family` is stopped as a trap.
    pub fn is_stopped(&self, family: &str) -> bool {
        self.evidence
            .get(&fnv1a(family.as_bytes()))
            .is_some_and(|e| e.stopped)
    }

    /// Takes in what a fetched page of `family` holds: its parts, and how many links it has to
    /// new places outside its family.
    pub fn observe(
        &mut self,
        family: &str,
        in_family: bool,
        fingerprint: &Fingerprint,
        new_links: usize,
    ) -> Observed {
        let id = fnv1a(family.as_bytes());
        let members = self.members.get(&id).copied().unwrap_or(0);
        if !self.evidence.contains_key(&id) && members < 2 && !in_family {
            // A page of its own so far: kept a while in case its family grows.
            if self.single_pages.len() >= SINGLE_PAGES_KEPT
                && let Some(oldest) = self.single_order.pop_front()
            {
                self.single_pages.remove(&oldest);
            }
            if self
                .single_pages
                .insert(id, fingerprint.features.clone())
                .is_none()
            {
                self.single_order.push_back(id);
            }
            return Observed::Nothing;
        }
        let single = self.single_pages.remove(&id);
        let evidence = self.evidence.entry(id).or_insert_with(|| Evidence {
            shape: family.to_string(),
            fetched: u32::from(single.is_some()),
            streak: 0,
            stopped: false,
            features: single.into_iter().flatten().collect(),
            features_changed: true,
            declined: Vec::new(),
        });
        self.dirty.insert(id);
        let first = evidence.fetched == 0;
        evidence.fetched = evidence.fetched.saturating_add(1);
        let mut new_parts = 0;
        for feature in &fingerprint.features {
            if !evidence.features.contains(feature) {
                new_parts += 1;
                if evidence.features.len() < FEATURE_CAP {
                    evidence.features.insert(*feature);
                    evidence.features_changed = true;
                }
            }
        }
        if first || new_parts > 0 || new_links > 0 {
            evidence.streak = 0;
            if evidence.stopped {
                evidence.stopped = false;
                return Observed::Released(std::mem::take(&mut evidence.declined));
            }
            return Observed::Nothing;
        }
        evidence.streak = evidence.streak.saturating_add(1);
        let stops = self.trap_after > 0
            && evidence.streak >= self.trap_after
            && !evidence.stopped
            && !self.exempt.contains(&evidence.shape);
        if stops {
            evidence.stopped = true;
            return Observed::Stopped;
        }
        Observed::Nothing
    }

    /// Remembers a URL declined because its family is stopped.
    pub fn note_declined(&mut self, task: Task) {
        if let Some(evidence) = self.evidence.get_mut(&fnv1a(task.family.as_bytes())) {
            evidence.declined.push(task);
        }
    }

    /// Whether the user said `shape` is no trap.
    pub fn is_exempt(&self, shape: &str) -> bool {
        self.exempt.contains(shape)
    }

    /// The evidence that changed since the last call, for the crawl state.
    pub fn take_changes(&mut self) -> Vec<FamilyRecord> {
        let mut records = Vec::with_capacity(self.dirty.len());
        for id in self.dirty.drain() {
            let Some(e) = self.evidence.get_mut(&id) else {
                continue;
            };
            let features = e.features_changed.then(|| {
                let mut all: Vec<u64> = e.features.iter().copied().collect();
                all.sort_unstable();
                all
            });
            e.features_changed = false;
            records.push(FamilyRecord {
                shape: e.shape.clone(),
                fetched: e.fetched,
                streak: e.streak,
                stopped: e.stopped,
                features,
            });
        }
        records
    }

    /// Puts back persisted evidence and member counts (resume). A family the user has since
    /// exempted is not stopped any more.
    pub fn restore(
        &mut self,
        records: Vec<FamilyRecord>,
        members: impl IntoIterator<Item = String>,
    ) {
        for family in members {
            self.admitted(&family);
        }
        for record in records {
            let stopped = record.stopped && !self.exempt.contains(&record.shape);
            self.evidence.insert(
                fnv1a(record.shape.as_bytes()),
                Evidence {
                    fetched: record.fetched,
                    streak: record.streak,
                    stopped,
                    features: record.features.unwrap_or_default().into_iter().collect(),
                    features_changed: false,
                    declined: Vec::new(),
                    shape: record.shape,
                },
            );
        }
    }

    /// Every family stopped now that declined something, for the summary.
    pub fn report(&self) -> Vec<TrapFamily> {
        let mut families: Vec<TrapFamily> = self
            .evidence
            .values()
            .filter(|e| e.stopped && !e.declined.is_empty())
            .map(|e| TrapFamily {
                shape: e.shape.clone(),
                outcome: Decline::TrapNoNewContent.to_string(),
                declined: e.declined.len() as u64,
                example: e.declined[0].url.to_string(),
                fetched: Some(u64::from(e.fetched)),
                barren_in_a_row: Some(u64::from(e.streak)),
                lift: format!("--not-a-trap '{}'", e.shape),
            })
            .collect();
        families.sort_by(|a, b| a.shape.cmp(&b.shape));
        families
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(words: &[&str]) -> Fingerprint {
        let mut features: Vec<u64> = words.iter().map(|w| fnv1a(w.as_bytes())).collect();
        features.sort_unstable();
        features.dedup();
        Fingerprint { features }
    }

    fn task(family: &str) -> Task {
        let url = url::Url::parse("http://h/kalender?m=9").unwrap();
        Task {
            key: url.to_string(),
            url,
            depth: 1,
            hop: crate::crawl::task::Hop::Link,
            via: None,
            context: "a@href".to_string(),
            requisite: false,
            redirects: 0,
            attempt: 0,
            family: family.to_string(),
            in_family: true,
        }
    }

    #[test]
    fn a_family_that_adds_nothing_stops_and_says_so() {
        let mut guard = FamilyGuard::new(3, []);
        let empty_month = page(&["events in #", "no events this month"]);
        let mut seen = Vec::new();
        for _ in 0..5 {
            guard.admitted("cal");
            seen.push(guard.observe("cal", true, &empty_month, 0));
        }
        // The first page is new; three barren ones in a row stop the family.
        let stopped: Vec<bool> = seen
            .iter()
            .map(|o| matches!(o, Observed::Stopped))
            .collect();
        assert_eq!(stopped, [false, false, false, true, false]);
        assert!(guard.declines("cal", true));
        assert!(!guard.declines("cal", false), "found elsewhere: taken");
        assert!(
            !guard.declines_sibling("cal", "home"),
            "linked from a page that is not barren: taken"
        );
        for _ in 0..=DISTRUST_AFTER {
            guard.admitted("year");
            guard.observe("year", true, &page(&["a year of nothing"]), 0);
        }
        assert!(
            guard.declines_sibling("cal", "year"),
            "linked from a barren family: declined"
        );
        guard.note_declined(task("cal"));
        let report = guard.report();
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].lift, "--not-a-trap 'cal'");
    }

    #[test]
    fn distinct_pages_never_stop_their_chain() {
        let mut guard = FamilyGuard::new(3, []);
        for n in 0..1000 {
            guard.admitted("blog");
            let post = format!("post text {n}");
            let observed = guard.observe("blog", true, &page(&["menu", "footer", &post]), 0);
            assert!(matches!(observed, Observed::Nothing));
        }
        assert!(!guard.declines("blog", true));
    }

    #[test]
    fn new_links_outside_the_family_keep_it_going() {
        let mut guard = FamilyGuard::new(2, []);
        for _ in 0..10 {
            guard.admitted("liste");
            guard.observe("liste", true, &page(&["side #"]), 4);
        }
        assert!(!guard.declines("liste", true));
    }

    #[test]
    fn a_stopped_family_is_released_by_a_page_with_something_new() {
        let mut guard = FamilyGuard::new(2, []);
        for _ in 0..4 {
            guard.admitted("f");
            guard.observe("f", true, &page(&["same"]), 0);
        }
        assert!(guard.declines("f", true));
        guard.note_declined(task("f"));
        match guard.observe("f", false, &page(&["something else"]), 0) {
            Observed::Released(tasks) => assert_eq!(tasks.len(), 1),
            other => panic!("not released: {other:?}"),
        }
        assert!(!guard.declines("f", true));
    }

    #[test]
    fn exempt_families_and_a_zero_limit_never_stop() {
        for mut guard in [
            FamilyGuard::new(2, ["f".to_string()]),
            FamilyGuard::new(0, []),
        ] {
            for _ in 0..10 {
                guard.admitted("f");
                guard.observe("f", true, &page(&["same"]), 0);
            }
            assert!(!guard.declines("f", true));
        }
    }

    #[test]
    fn a_single_page_family_keeps_no_evidence() {
        let mut guard = FamilyGuard::new(2, []);
        guard.admitted("om");
        guard.observe("om", false, &page(&["about us"]), 0);
        assert!(guard.take_changes().is_empty());
    }

    #[test]
    fn a_familys_second_page_is_compared_with_its_first() {
        let mut guard = FamilyGuard::new(1, []);
        guard.admitted("cal");
        guard.observe("cal", false, &page(&["no events"]), 0);
        guard.admitted("cal");
        assert!(matches!(
            guard.observe("cal", true, &page(&["no events"]), 0),
            Observed::Stopped
        ));
    }

    #[test]
    fn evidence_survives_a_restore() {
        let mut guard = FamilyGuard::new(2, []);
        for _ in 0..3 {
            guard.admitted("f");
            guard.observe("f", true, &page(&["same"]), 0);
        }
        let records = guard.take_changes();
        assert!(records[0].stopped && records[0].features.is_some());
        let mut again = FamilyGuard::new(2, []);
        again.restore(records.clone(), ["f".to_string()]);
        assert!(again.declines("f", true));
        let mut lifted = FamilyGuard::new(2, ["f".to_string()]);
        lifted.restore(records, []);
        assert!(!lifted.declines("f", true));
    }
}
