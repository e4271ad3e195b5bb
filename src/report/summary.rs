//! `reports/summary.json`: what the crawl did, in counts (by status, mime type and outcome).

use std::collections::BTreeMap;

use serde::Serialize;

/// Counts gathered while the crawl runs; serialized once at the end.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub software: String,
    pub seeds: Vec<String>,
    pub started: String,
    pub finished: String,
    pub duration_secs: f64,
    /// Distinct URLs taken into the crawl.
    pub urls_taken: u64,
    /// Response records written (one per fetch that got a response, retries included).
    pub responses: u64,
    /// Revisit records written for payloads already archived.
    pub revisits: u64,
    /// Bytes of HTTP responses as received.
    pub bytes: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_mime: BTreeMap<String, u64>,
    pub by_outcome: BTreeMap<String, u64>,
    /// URLs that could not be archived at all, or only cut short, after all retries.
    pub failures: Vec<Failure>,
    /// URL families the trap guards stopped, with what they declined and how to take it.
    pub traps: Vec<TrapFamily>,
    pub warc_files: Vec<String>,
    /// Whether the crawl was stopped early (Ctrl-C).
    pub interrupted: bool,
}

#[derive(Debug, Clone, Serialize)]
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

impl Summary {
    pub fn count_outcome(&mut self, outcome: &str) {
        *self.by_outcome.entry(outcome.to_string()).or_default() += 1;
    }

    pub fn count_response(&mut self, status: u16, mime: &str, bytes: u64) {
        self.responses += 1;
        self.bytes += bytes;
        *self.by_status.entry(status.to_string()).or_default() += 1;
        let mime = if mime.is_empty() { "unknown" } else { mime };
        *self.by_mime.entry(mime.to_string()).or_default() += 1;
    }
}
