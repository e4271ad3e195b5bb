//! The frontier: which URLs are waiting, which were seen, and which origin may be fetched next.
//!
//! One small interface (`add`, `next`, `done`, `retry_at`). An origin's queue holds at most a
//! window of tasks in memory; the rest wait in a file ([`overflow`]) and come back in order, so a
//! site of any size costs the frontier bounded memory (the seen set keeps 16 bytes per URL, see
//! `keys`). Politeness lives here:
//! at most `per_host` fetches in flight per origin, and a pause after each (`--delay`, robots.txt
//! `Crawl-delay`, `Retry-After`). Origins are served round-robin so one big site cannot starve
//! the requisites of another.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use std::path::PathBuf;

use super::keys::KeySet;
use super::task::{Hop, Task};

mod overflow;
use overflow::Overflow;

/// Tasks of one origin kept in memory before the rest go to its overflow file.
pub const DEFAULT_WINDOW: usize = 2048;

#[derive(Debug, Default)]
struct OriginQueue {
    queue: VecDeque<Task>,
    /// What did not fit in `queue`, in order after it.
    overflow: Option<Overflow>,
    inflight: usize,
    not_before: Option<Instant>,
    /// While set, only the task at the front (robots.txt) may run; the rest wait for it.
    gated: bool,
    /// Tasks someone waits for (the browser), first in `queue` after a robots.txt, in the
    /// order they were asked for.
    urgent: usize,
}

impl OriginQueue {
    /// Where the next urgent task goes: after the prerequisites and the urgent tasks before it.
    fn urgent_slot(&self) -> usize {
        let prerequisites = self
            .queue
            .iter()
            .take_while(|t| t.hop == Hop::Prerequisite)
            .count();
        (prerequisites + self.urgent).min(self.queue.len())
    }
}

/// A retry waiting for its time.
#[derive(Debug)]
struct Delayed {
    at: Instant,
    seq: u64,
    task: Task,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Debug)]
pub struct Frontier {
    seen: KeySet,
    origins: HashMap<String, OriginQueue>,
    /// Round-robin order of origins.
    order: VecDeque<String>,
    delayed: BinaryHeap<Reverse<Delayed>>,
    seq: u64,
    queued: usize,
    per_host: usize,
    /// Changes not yet handed to the persisted state (see `state.rs`), in order.
    journal: Vec<super::state::StateOp>,
    /// Where overflow files go, and how many tasks an origin keeps in memory; `None`: all.
    spill: Option<(PathBuf, usize)>,
    spill_files: u64,
}

impl OriginQueue {
    /// Tasks waiting, in memory or in the overflow file.
    fn waiting(&self) -> usize {
        self.queue.len() + self.overflow.as_ref().map_or(0, Overflow::len)
    }

    /// Brings tasks back from the overflow file once the in-memory queue is empty.
    fn refill(&mut self, window: usize) {
        let Some(overflow) = self.overflow.as_mut() else {
            return;
        };
        if !self.queue.is_empty() || overflow.len() == 0 {
            return;
        }
        match overflow.take(window) {
            Ok(tasks) => self.queue.extend(tasks),
            // The tasks are in the crawl state all the same: a resume fetches them.
            Err(err) => tracing::error!("reading the frontier's overflow file back: {err}"),
        }
    }
}

impl Frontier {
    pub fn new(per_host: usize) -> Frontier {
        Frontier {
            seen: KeySet::new(),
            origins: HashMap::new(),
            order: VecDeque::new(),
            delayed: BinaryHeap::new(),
            seq: 0,
            queued: 0,
            per_host: per_host.max(1),
            journal: Vec::new(),
            spill: None,
            spill_files: 0,
        }
    }

    /// Keeps at most `window` tasks per origin in memory; the rest go to files in `dir`.
    pub fn with_overflow(mut self, dir: PathBuf, window: usize) -> Frontier {
        self.spill = Some((dir, window.max(1)));
        self
    }

    /// Whether this canonical key was already taken.
    pub fn seen(&self, key: &str) -> bool {
        self.seen.contains(key)
    }

    /// Takes a new URL that someone waits for (the browser): at the front of its origin's queue,
    /// behind a robots.txt still to come; false when it was seen before.
    pub fn add_urgent(&mut self, task: Task) -> bool {
        if !self.seen.insert(&task.key) {
            return false;
        }
        self.journal.push(super::state::StateOp::Add(task.clone()));
        let origin = task.origin();
        let queue = self.origins.entry(origin.clone()).or_insert_with(|| {
            self.order.push_back(origin.clone());
            OriginQueue::default()
        });
        let at = queue.urgent_slot();
        queue.queue.insert(at, task);
        queue.urgent += 1;
        self.queued += 1;
        true
    }

    /// Moves a queued task someone now waits for (the browser) to the front of its origin's
    /// queue, behind a robots.txt still to come. A task in the overflow file stays where it is.
    pub fn promote(&mut self, origin: &str, key: &str) {
        let Some(queue) = self.origins.get_mut(origin) else {
            return;
        };
        let Some(from) = queue.queue.iter().position(|t| t.key == key) else {
            return;
        };
        let to = queue.urgent_slot();
        if from >= to
            && let Some(task) = queue.queue.remove(from)
        {
            queue.queue.insert(to, task);
            queue.urgent += 1;
        }
    }

    /// Gives back a task [`Frontier::next`] just handed out and that was not started: first in
    /// its origin's queue again.
    pub fn put_back(&mut self, task: Task) {
        if let Some(queue) = self.origins.get_mut(&task.origin()) {
            queue.inflight = queue.inflight.saturating_sub(1);
        }
        self.enqueue(task, true);
    }

    /// Takes a new URL; false when it was seen before.
    pub fn add(&mut self, task: Task) -> bool {
        if !self.seen.insert(&task.key) {
            return false;
        }
        self.journal.push(super::state::StateOp::Add(task.clone()));
        self.enqueue(task, false);
        true
    }

    /// Puts back a task from the persisted state (resume): queued, not journaled again.
    /// A prerequisite gates its origin as [`Frontier::add_prerequisite`] does.
    pub fn restore(&mut self, task: Task) {
        self.seen.insert(&task.key);
        let origin = task.origin();
        let prerequisite = task.hop == Hop::Prerequisite;
        self.enqueue(task, prerequisite);
        if prerequisite && let Some(queue) = self.origins.get_mut(&origin) {
            queue.gated = true;
        }
    }

    /// Forgets that a key was taken (it was declined before it was fetched), so that it can be
    /// taken again when found another way.
    pub fn forget(&mut self, key: &str) {
        self.seen.remove(key);
    }

    /// Marks a key as taken without queueing it (resume: already archived or declined).
    pub fn mark_seen(&mut self, key: &str) {
        self.seen.insert(key);
    }

    /// Registers an origin whose robots.txt is already known (resume), so it is not asked again.
    pub fn know_origin(&mut self, origin: &str) {
        if !self.origins.contains_key(origin) {
            self.order.push_back(origin.to_string());
            self.origins
                .insert(origin.to_string(), OriginQueue::default());
        }
    }

    /// The changes since the last call, for the persisted state.
    pub fn take_journal(&mut self) -> Vec<super::state::StateOp> {
        std::mem::take(&mut self.journal)
    }

    /// Puts a task that must run before everything else of its origin (robots.txt) at the front
    /// and holds the origin's other tasks until [`Frontier::open_gate`].
    pub fn add_prerequisite(&mut self, task: Task) {
        self.seen.insert(&task.key);
        self.journal.push(super::state::StateOp::Add(task.clone()));
        let origin = task.origin();
        self.enqueue(task, true);
        if let Some(queue) = self.origins.get_mut(&origin) {
            queue.gated = true;
        }
    }

    /// Lets an origin's tasks run after its prerequisite finished.
    pub fn open_gate(&mut self, origin: &str) {
        if let Some(queue) = self.origins.get_mut(origin) {
            queue.gated = false;
        }
    }

    /// Whether an origin has been seen at all (so its robots.txt was asked for).
    pub fn knows_origin(&self, origin: &str) -> bool {
        self.origins.contains_key(origin)
    }

    fn enqueue(&mut self, task: Task, front: bool) {
        let origin = task.origin();
        let queue = self.origins.entry(origin.clone()).or_insert_with(|| {
            self.order.push_back(origin.clone());
            OriginQueue::default()
        });
        self.queued += 1;
        if front {
            queue.queue.push_front(task);
            return;
        }
        let Some((dir, window)) = &self.spill else {
            queue.queue.push_back(task);
            return;
        };
        let overflowing = queue.overflow.as_ref().is_some_and(|o| o.len() > 0);
        if queue.queue.len() < *window && !overflowing {
            queue.queue.push_back(task);
            return;
        }
        let overflow = queue.overflow.get_or_insert_with(|| {
            self.spill_files += 1;
            Overflow::new(dir.join(format!("frontier-{}.jsonl", self.spill_files)))
        });
        if let Err(err) = overflow.push(&task) {
            tracing::warn!("the frontier keeps {} in memory: {err}", task.url);
            queue.queue.push_back(task);
        }
    }

    /// Schedules another try of a task at `at` (its `attempt` already counted up by the caller).
    pub fn retry_at(&mut self, task: Task, at: Instant) {
        self.journal.push(super::state::StateOp::Retry {
            key: task.key.clone(),
            attempt: task.attempt,
        });
        self.seq += 1;
        self.queued += 1;
        self.delayed.push(Reverse(Delayed {
            at,
            seq: self.seq,
            task,
        }));
    }

    /// The next task that may start now, honouring per-origin limits; `None` when none may.
    pub fn next(&mut self, now: Instant) -> Option<Task> {
        while let Some(Reverse(first)) = self.delayed.peek() {
            if first.at > now {
                break;
            }
            let Some(Reverse(delayed)) = self.delayed.pop() else {
                break;
            };
            self.queued -= 1;
            // A retried robots.txt goes back to the front: its origin is still waiting for it.
            let front = delayed.task.hop == Hop::Prerequisite;
            self.enqueue(delayed.task, front);
        }
        for _ in 0..self.order.len() {
            let origin = self.order.pop_front()?;
            self.order.push_back(origin.clone());
            let per_host = self.per_host;
            let window = self.spill.as_ref().map_or(usize::MAX, |(_, w)| *w);
            let Some(queue) = self.origins.get_mut(&origin) else {
                continue;
            };
            queue.refill(window);
            let limit = if queue.gated { 1 } else { per_host };
            if queue.queue.is_empty() || queue.inflight >= limit {
                continue;
            }
            if queue.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let task = queue.queue.pop_front()?;
            if task.hop != Hop::Prerequisite {
                queue.urgent = queue.urgent.saturating_sub(1);
            }
            queue.inflight += 1;
            self.queued -= 1;
            return Some(task);
        }
        None
    }

    /// A task of `origin` finished; the origin rests for `pause` before its next fetch.
    pub fn done(&mut self, origin: &str, now: Instant, pause: Duration) {
        if let Some(queue) = self.origins.get_mut(origin) {
            queue.inflight = queue.inflight.saturating_sub(1);
            if !pause.is_zero() {
                let until = now + pause;
                queue.not_before = Some(queue.not_before.map_or(until, |t| t.max(until)));
            }
        }
    }

    /// The earliest moment something waiting could become ready (for the scheduler to sleep).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let delayed = self.delayed.peek().map(|Reverse(d)| d.at);
        let paused = self
            .origins
            .values()
            .filter(|q| q.waiting() > 0)
            .filter_map(|q| q.not_before);
        delayed.into_iter().chain(paused).min()
    }

    /// URLs waiting (queued or delayed for a retry), not counting those in flight.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Drains everything still waiting (when the crawl stops early), for the log.
    pub fn drain(&mut self) -> Vec<Task> {
        let mut all = Vec::new();
        for queue in self.origins.values_mut() {
            all.extend(queue.queue.drain(..));
            queue.urgent = 0;
            if let Some(overflow) = queue.overflow.as_mut() {
                match overflow.take(usize::MAX) {
                    Ok(tasks) => all.extend(tasks),
                    Err(err) => tracing::error!("reading the frontier's overflow file back: {err}"),
                }
            }
        }
        all.extend(self.delayed.drain().map(|Reverse(d)| d.task));
        self.queued = 0;
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn task(url: &str) -> Task {
        let url = Url::parse(url).unwrap();
        Task {
            key: url.to_string(),
            url,
            depth: 0,
            hop: Hop::Seed,
            via: None,
            context: String::new(),
            requisite: false,
            redirects: 0,
            attempt: 0,
            family: String::new(),
            in_family: false,
        }
    }

    #[test]
    fn seen_urls_are_taken_once() {
        let mut f = Frontier::new(2);
        assert!(f.add(task("http://a/1")));
        assert!(!f.add(task("http://a/1")));
        assert_eq!(f.queued(), 1);
    }

    #[test]
    fn per_origin_limit_and_round_robin() {
        let now = Instant::now();
        let mut f = Frontier::new(1);
        f.add(task("http://a/1"));
        f.add(task("http://a/2"));
        f.add(task("http://b/1"));
        assert_eq!(f.next(now).unwrap().url.as_str(), "http://a/1");
        assert_eq!(f.next(now).unwrap().url.as_str(), "http://b/1");
        assert!(f.next(now).is_none(), "a is at its limit");
        f.done("http://a:80", now, Duration::ZERO);
        assert_eq!(f.next(now).unwrap().url.as_str(), "http://a/2");
    }

    #[test]
    fn urgent_tasks_go_first_in_the_order_asked_behind_robots_txt() {
        let now = Instant::now();
        let mut f = Frontier::new(1);
        f.add(task("http://a/page"));
        f.add(task("http://a/later"));
        f.add_prerequisite(Task {
            hop: Hop::Prerequisite,
            ..task("http://a/robots.txt")
        });
        assert!(f.add_urgent(task("http://a/first.json")));
        assert!(f.add_urgent(task("http://a/second.json")));
        assert!(!f.add_urgent(task("http://a/page")), "seen already");
        f.promote("http://a:80", "http://a/later");
        let mut order = Vec::new();
        while let Some(t) = f.next(now) {
            order.push(t.url.path().to_owned());
            f.done("http://a:80", now, Duration::ZERO);
            f.open_gate("http://a:80");
        }
        assert_eq!(
            order,
            [
                "/robots.txt",
                "/first.json",
                "/second.json",
                "/later",
                "/page"
            ]
        );
    }

    #[test]
    fn a_task_put_back_comes_next_again() {
        let now = Instant::now();
        let mut f = Frontier::new(1);
        f.add(task("http://a/1"));
        f.add(task("http://a/2"));
        let first = f.next(now).expect("a task");
        f.put_back(first);
        assert_eq!(f.queued(), 2);
        assert_eq!(f.next(now).expect("again").url.as_str(), "http://a/1");
        assert!(
            f.next(now).is_none(),
            "the put-back task freed its slot, the next took it"
        );
    }

    #[test]
    fn prerequisite_gates_its_origin() {
        let now = Instant::now();
        let mut f = Frontier::new(4);
        f.add(task("http://a/page"));
        f.add_prerequisite(task("http://a/robots.txt"));
        assert_eq!(f.next(now).unwrap().url.as_str(), "http://a/robots.txt");
        assert!(f.next(now).is_none(), "held until robots.txt is done");
        f.done("http://a:80", now, Duration::ZERO);
        f.open_gate("http://a:80");
        assert_eq!(f.next(now).unwrap().url.as_str(), "http://a/page");
    }

    #[test]
    fn pauses_and_retries_wait_for_their_time() {
        let now = Instant::now();
        let mut f = Frontier::new(2);
        f.add(task("http://a/1"));
        let t = f.next(now).unwrap();
        f.done("http://a:80", now, Duration::from_secs(5));
        f.retry_at(Task { attempt: 1, ..t }, now + Duration::from_secs(1));
        assert!(f.next(now).is_none());
        assert_eq!(f.next_wakeup(), Some(now + Duration::from_secs(1)));
        assert!(
            f.next(now + Duration::from_secs(2)).is_none(),
            "origin still resting"
        );
        assert_eq!(f.next(now + Duration::from_secs(6)).unwrap().attempt, 1);
    }

    #[test]
    fn an_origins_queue_beyond_its_window_waits_in_a_file_and_keeps_its_order() {
        let dir = tempfile::tempdir().unwrap();
        let now = Instant::now();
        let mut f = Frontier::new(1).with_overflow(dir.path().to_path_buf(), 3);
        for n in 0..10 {
            f.add(task(&format!("http://a/{n}")));
        }
        assert_eq!(f.queued(), 10);
        let files = || std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files(), 1, "seven tasks went to the overflow file");
        let mut order = Vec::new();
        while let Some(t) = f.next(now) {
            order.push(t.url.path().to_string());
            f.done("http://a:80", now, Duration::ZERO);
            if order.len() == 5 {
                f.add(task("http://a/late"));
            }
        }
        let want: Vec<String> = (0..10)
            .map(|n| format!("/{n}"))
            .chain(["/late".to_string()])
            .collect();
        assert_eq!(order, want);
        assert_eq!(f.queued(), 0);
        assert_eq!(files(), 0, "the file goes once it is read back");
    }
}
