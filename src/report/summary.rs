//! `reports/summary.json`: what the crawl did, in counts.
//!
//! Two sources, so that a resumed crawl's summary equals an uninterrupted one's: the counts of
//! response and revisit records ([`RecordCounts`], kept as records are written and recomputed
//! from the WARC files on resume), and how every URL ended ([`Tally`], read from the crawl state
//! once the crawl is over: one final outcome per URL, however many runs it took).

use std::collections::BTreeMap;

use serde::Serialize;

/// The whole summary, as written.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub software: String,
    pub seeds: Vec<String>,
    pub started: String,
    pub finished: String,
    pub duration_secs: f64,
    /// Distinct URLs that ended archived or failed (declined ones are in `by_outcome`).
    pub urls_taken: u64,
    /// Response records written (one per fetch that got a response, retries included).
    pub responses: u64,
    /// Revisit records written for payloads already archived.
    pub revisits: u64,
    /// Bytes of the HTTP messages in those records (a revisit's head only).
    pub bytes: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_mime: BTreeMap<String, u64>,
    /// Every URL the crawl met, by how it ended (`archived`, `failed:dns`, `max-depth`, …).
    pub by_outcome: BTreeMap<String, u64>,
    /// Tries that were repeated (network errors, cut-short bodies, 429/503).
    pub retries: u64,
    /// URLs that could not be archived at all, or only cut short, after all retries.
    pub failures: Vec<Failure>,
    /// URL families the trap guards stopped, with what they declined and how to take it.
    pub traps: Vec<TrapFamily>,
    pub warc_files: Vec<String>,
    /// Whether the crawl was stopped early (Ctrl-C).
    pub interrupted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub url: String,
    pub reason: String,
}

/// A family of URLs the crawl declined as a trap: what it looks like and how to take it after all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrapFamily {
    /// The URL shape (host, path with digit runs as `#`, query parameter names), as
    /// `--not-a-trap` takes it.
    pub shape: String,
    /// The crawl.log outcome of the URLs it declined.
    pub outcome: String,
    /// Distinct URLs declined.
    pub declined: u64,
    /// One of them.
    pub example: String,
    /// Pages of the family fetched (for a family stopped on its content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched: Option<u64>,
    /// How many of the last ones in a row added nothing new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barren_in_a_row: Option<u64>,
    /// The option that takes them after all.
    pub lift: String,
}

/// Counts of the response and revisit records in the WARC files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordCounts {
    pub responses: u64,
    pub revisits: u64,
    pub bytes: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_mime: BTreeMap<String, u64>,
}

impl RecordCounts {
    /// Counts one record: its HTTP status, media type and block length.
    pub fn count_response(&mut self, status: u16, mime: &str, bytes: u64) {
        self.responses += 1;
        self.bytes += bytes;
        *self.by_status.entry(status.to_string()).or_default() += 1;
        let mime = if mime.is_empty() { "unknown" } else { mime };
        *self.by_mime.entry(mime.to_string()).or_default() += 1;
    }
}

/// How the URLs of a crawl ended, one final outcome each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub urls_taken: u64,
    pub retries: u64,
    pub by_outcome: BTreeMap<String, u64>,
    pub failures: Vec<Failure>,
}

/// When and from what a crawl ran, for the summary's head.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    pub seeds: Vec<String>,
    pub started: String,
    pub finished: String,
    pub duration_secs: f64,
    pub interrupted: bool,
    pub warc_files: Vec<String>,
}

impl Summary {
    /// Puts the parts together.
    pub fn assemble(
        facts: RunFacts,
        records: RecordCounts,
        tally: Tally,
        traps: Vec<TrapFamily>,
    ) -> Summary {
        Summary {
            software: crate::SOFTWARE.to_string(),
            seeds: facts.seeds,
            started: facts.started,
            finished: facts.finished,
            duration_secs: facts.duration_secs,
            urls_taken: tally.urls_taken,
            responses: records.responses,
            revisits: records.revisits,
            bytes: records.bytes,
            by_status: records.by_status,
            by_mime: records.by_mime,
            by_outcome: tally.by_outcome,
            retries: tally.retries,
            failures: tally.failures,
            traps,
            warc_files: facts.warc_files,
            interrupted: facts.interrupted,
        }
    }
}
