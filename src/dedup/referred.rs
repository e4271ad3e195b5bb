//! Finding the record a revisit refers to in the earlier crawl: by its payload digest in the
//! earlier crawl's index, preferring the capture that `WARC-Refers-To-Target-URI` and
//! `WARC-Refers-To-Date` name, and confirmed by `WARC-Refers-To` (the record id) when the revisit
//! carries one.

use std::collections::HashMap;

use super::{DedupError, EarlierCrawl, EarlierPayload, EarlierRecord};
use crate::warc::warc_date_to_timestamp;

/// Candidates whose header is read at most for one revisit (one digest may be held many times).
const MAX_CANDIDATES: usize = 16;

/// What a revisit says about the record it refers to.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefersTo<'a> {
    /// `WARC-Refers-To`.
    pub record_id: Option<&'a str>,
    /// `WARC-Refers-To-Target-URI`.
    pub uri: Option<&'a str>,
    /// `WARC-Refers-To-Date`.
    pub date: Option<&'a str>,
    /// `WARC-Payload-Digest`.
    pub digest: &'a str,
}

/// The earlier crawl's reusable payloads by digest, in memory (for readers that resolve many
/// revisits: the mirror's catalog, `arkiv wacz`).
#[derive(Debug)]
pub struct ReferredIndex {
    crawl: EarlierCrawl,
    by_digest: HashMap<String, Vec<EarlierPayload>>,
}

impl ReferredIndex {
    /// Reads the earlier crawl's index.
    pub fn read(crawl: EarlierCrawl) -> anyhow::Result<ReferredIndex> {
        let mut by_digest: HashMap<String, Vec<EarlierPayload>> = HashMap::new();
        crawl.for_each_payload(|payload| {
            by_digest
                .entry(payload.digest.clone())
                .or_default()
                .push(payload);
            Ok(())
        })?;
        Ok(ReferredIndex { crawl, by_digest })
    }

    pub fn crawl(&self) -> &EarlierCrawl {
        &self.crawl
    }

    /// The earlier record a revisit refers to, if the earlier crawl holds it.
    pub fn find(
        &self,
        refers: &RefersTo<'_>,
    ) -> Result<Option<(EarlierPayload, EarlierRecord)>, DedupError> {
        let Some(candidates) = self.by_digest.get(refers.digest) else {
            return Ok(None);
        };
        let timestamp = refers.date.map(warc_date_to_timestamp);
        let named = |p: &EarlierPayload| {
            Some(p.url.as_str()) == refers.uri && Some(&p.timestamp) == timestamp.as_ref()
        };
        let mut ordered: Vec<&EarlierPayload> = candidates.iter().filter(|p| named(p)).collect();
        ordered.extend(candidates.iter().filter(|p| !named(p)));
        let mut last_error = None;
        for payload in ordered.into_iter().take(MAX_CANDIDATES) {
            let record = match self.crawl.record_at(&payload.file, payload.offset) {
                Ok(record) => record,
                Err(err) => {
                    last_error = Some(err);
                    continue;
                }
            };
            let matches = match refers.record_id {
                Some(id) => record.record_id == id,
                None => named(payload),
            };
            if matches && !record.truncated {
                return Ok(Some((payload.clone(), record)));
            }
        }
        match last_error {
            Some(err) => Err(err),
            None => Ok(None),
        }
    }
}
