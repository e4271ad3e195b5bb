//! The frontier: which URLs are waiting, which were seen, and which origin may be fetched next.
//!
//! One small interface (`add`, `next`, `done`, `retry_at`) over plain in-memory state, so that a
//! persisted implementation can replace it without touching the scheduler. Politeness lives here:
//! at most `per_host` fetches in flight per origin, and a pause after each (`--delay`, robots.txt
//! `Crawl-delay`, `Retry-After`). Origins are served round-robin so one big site cannot starve
//! the requisites of another.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::task::{Hop, Task};

#[derive(Debug, Default)]
struct OriginQueue {
    queue: VecDeque<Task>,
    inflight: usize,
    not_before: Option<Instant>,
    /// While set, only the task at the front (robots.txt) may run; the rest wait for it.
    gated: bool,
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
    seen: HashSet<String>,
    origins: HashMap<String, OriginQueue>,
    /// Round-robin order of origins.
    order: VecDeque<String>,
    delayed: BinaryHeap<Reverse<Delayed>>,
    seq: u64,
    queued: usize,
    per_host: usize,
    /// Changes not yet handed to the persisted state (see `state.rs`), in order.
    journal: Vec<super::state::StateOp>,
}

impl Frontier {
    pub fn new(per_host: usize) -> Frontier {
        Frontier {
            seen: HashSet::new(),
            origins: HashMap::new(),
            order: VecDeque::new(),
            delayed: BinaryHeap::new(),
            seq: 0,
            queued: 0,
            per_host: per_host.max(1),
            journal: Vec::new(),
        }
    }

    /// Whether this canonical key was already taken.
    pub fn seen(&self, key: &str) -> bool {
        self.seen.contains(key)
    }

    /// Takes a new URL; false when it was seen before.
    pub fn add(&mut self, task: Task) -> bool {
        if !self.seen.insert(task.key.clone()) {
            return false;
        }
        self.journal.push(super::state::StateOp::Add(task.clone()));
        self.enqueue(task, false);
        true
    }

    /// Puts back a task from the persisted state (resume): queued, not journaled again.
    /// A prerequisite gates its origin as [`Frontier::add_prerequisite`] does.
    pub fn restore(&mut self, task: Task) {
        self.seen.insert(task.key.clone());
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
        self.seen.insert(key.to_string());
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
        self.seen.insert(task.key.clone());
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
        if front {
            queue.queue.push_front(task);
        } else {
            queue.queue.push_back(task);
        }
        self.queued += 1;
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
            let Some(queue) = self.origins.get_mut(&origin) else {
                continue;
            };
            let limit = if queue.gated { 1 } else { per_host };
            if queue.queue.is_empty() || queue.inflight >= limit {
                continue;
            }
            if queue.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let task = queue.queue.pop_front()?;
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
            .filter(|q| !q.queue.is_empty())
            .filter_map(|q| q.not_before);
        delayed.into_iter().chain(paused).min()
    }

    /// URLs waiting (queued or delayed for a retry), not counting those in flight.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Drains everything still waiting (when the crawl stops early), for the log.
    pub fn drain(&mut self) -> Vec<Task> {
        let mut all: Vec<Task> = self
            .origins
            .values_mut()
            .flat_map(|q| q.queue.drain(..))
            .collect();
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
}
