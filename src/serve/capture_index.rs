//! The captures a replay can answer with, from the CDXJ index: found by SURT key, the one nearest
//! in time to what was asked for, and for a revisit the record that holds its payload.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use crate::urls::surt::surt;
use crate::warc::CdxjEntry;

/// Every indexed capture, sorted by SURT key and timestamp.
#[derive(Debug, Default)]
pub struct CaptureIndex {
    entries: Vec<CdxjEntry>,
    /// Payload digest → the first capture that is not a revisit.
    by_digest: HashMap<String, usize>,
}

impl CaptureIndex {
    pub fn new(mut entries: Vec<CdxjEntry>) -> CaptureIndex {
        entries.sort_by(|a, b| (&a.surt, &a.timestamp).cmp(&(&b.surt, &b.timestamp)));
        let mut by_digest = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(digest) = &entry.digest
                && !entry.is_revisit()
            {
                by_digest.entry(digest.clone()).or_insert(i);
            }
        }
        CaptureIndex { entries, by_digest }
    }

    /// Reads `DIR/indexes/index.cdxj`, or indexes the WARC files of `DIR/warc/` when it is
    /// missing (a folder copied without its index).
    pub fn load(dir: &Path) -> anyhow::Result<CaptureIndex> {
        let path = dir.join("indexes/index.cdxj");
        if path.is_file() {
            return Ok(CaptureIndex::new(crate::warc::read_index(&path)?));
        }
        let mut entries = Vec::new();
        for file in crate::wacz::list_warc_files(&dir.join("warc"))? {
            match crate::warc::index_warc(&file) {
                Ok(found) => entries.extend(found),
                // What precedes a cut-off tail still replays.
                Err(crate::warc::CdxjError::Warc { entries: found, .. }) => entries.extend(found),
                Err(err) => return Err(err.into()),
            }
        }
        Ok(CaptureIndex::new(entries))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether anything of `url` is archived.
    pub fn contains(&self, url: &Url) -> bool {
        !self.same_key(&surt(url)).is_empty()
    }

    /// The capture of `url` to answer with at `timestamp` (1 to 14 digits): among the captures
    /// of exactly that URL, else of any URL with its SURT key (where a redirect is taken only when
    /// nothing else is there, so `/a` → `/a/` cannot loop), the one nearest in time. A `401` or
    /// `407` gives way to any other answer: behind a login the crawl archives the challenge and,
    /// a moment later, the page its answer opened (which is what the mirror shows too).
    pub fn nearest(&self, url: &Url, timestamp: &str) -> Option<&CdxjEntry> {
        let candidates = self.same_key(&surt(url));
        let wanted = seconds(timestamp);
        let exact: Vec<&CdxjEntry> = candidates
            .iter()
            .filter(|e| Url::parse(&e.url).is_ok_and(|u| u == *url))
            .collect();
        let pool: Vec<&CdxjEntry> = if !exact.is_empty() {
            exact
        } else {
            let settled: Vec<&CdxjEntry> = candidates.iter().filter(|e| !e.is_redirect()).collect();
            if settled.is_empty() {
                candidates.iter().collect()
            } else {
                settled
            }
        };
        let challenge = |e: &CdxjEntry| matches!(e.status.as_deref(), Some("401" | "407"));
        let answered: Vec<&CdxjEntry> = pool.iter().copied().filter(|e| !challenge(e)).collect();
        let pool = if answered.is_empty() { pool } else { answered };
        pool.into_iter()
            .min_by_key(|e| (seconds(&e.timestamp).abs_diff(wanted), e.timestamp.clone()))
    }

    /// The capture holding the payload of a revisit: the one it names
    /// (`WARC-Refers-To-Target-URI` and `-Date`), else any with the same payload digest.
    pub fn original_of(
        &self,
        revisit: &CdxjEntry,
        refers_to: Option<(&str, &str)>,
    ) -> Option<&CdxjEntry> {
        if let Some((target, date)) = refers_to
            && let Ok(target) = Url::parse(target)
        {
            let timestamp = crate::warc::warc_date_to_timestamp(date);
            let named = self.same_key(&surt(&target)).iter().find(|e| {
                !e.is_revisit()
                    && e.timestamp == timestamp
                    && (e.digest == revisit.digest || revisit.digest.is_none())
            });
            if named.is_some() {
                return named;
            }
        }
        let digest = revisit.digest.as_ref()?;
        self.by_digest.get(digest).map(|&i| &self.entries[i])
    }

    /// The HTML pages (2xx) of the archive, one per URL (its latest capture), in key order.
    pub fn pages(&self) -> Vec<&CdxjEntry> {
        let mut pages: Vec<&CdxjEntry> = Vec::new();
        for entry in &self.entries {
            let html = matches!(
                entry.mime.as_deref(),
                Some("text/html" | "application/xhtml+xml")
            );
            let ok = entry.status.as_deref().is_some_and(|s| s.starts_with('2'));
            if !(html && ok) {
                continue;
            }
            match pages.last_mut() {
                Some(last) if last.url == entry.url => *last = entry,
                _ => pages.push(entry),
            }
        }
        pages
    }

    fn same_key(&self, key: &str) -> &[CdxjEntry] {
        let start = self.entries.partition_point(|e| e.surt.as_str() < key);
        let end = start + self.entries[start..].partition_point(|e| e.surt == key);
        &self.entries[start..end]
    }
}

/// A WARC file of the archive by its index name; never a path outside `warc/`.
pub fn warc_path(warc_dir: &Path, filename: &str) -> Option<PathBuf> {
    let plain = !filename.is_empty()
        && !filename.contains(['/', '\\', '\0'])
        && filename != "."
        && filename != "..";
    plain.then(|| warc_dir.join(filename))
}

trait EntryKind {
    fn is_revisit(&self) -> bool;
    fn is_redirect(&self) -> bool;
}

impl EntryKind for CdxjEntry {
    fn is_revisit(&self) -> bool {
        self.mime.as_deref() == Some("warc/revisit")
    }

    fn is_redirect(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s.starts_with('3'))
    }
}

/// Seconds since the epoch of a 1- to 14-digit timestamp, a short one taken as the start of the
/// period it names (`2026` is 1 January 2026, 00:00:00).
pub fn seconds(timestamp: &str) -> i64 {
    const START: &str = "00000101000000";
    let digits: String = timestamp
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let padded = format!("{digits}{}", &START[digits.len()..]);
    chrono::NaiveDateTime::parse_from_str(&padded, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, ts: &str, status: &str, mime: &str, digest: &str) -> CdxjEntry {
        let parsed = Url::parse(url).unwrap();
        CdxjEntry {
            surt: surt(&parsed),
            timestamp: ts.into(),
            url: url.into(),
            mime: Some(mime.into()),
            status: Some(status.into()),
            digest: Some(digest.into()),
            length: 1,
            offset: 0,
            filename: "f.warc.gz".into(),
        }
    }

    #[test]
    fn the_nearest_capture_of_the_exact_url_wins() {
        let index = CaptureIndex::new(vec![
            entry(
                "http://h/a/",
                "20200101000000",
                "200",
                "text/html",
                "sha1:A",
            ),
            entry(
                "http://h/a/",
                "20240101000000",
                "200",
                "text/html",
                "sha1:B",
            ),
            entry("http://h/a", "20240101000000", "301", "text/html", "sha1:C"),
        ]);
        let url = |u| Url::parse(u).unwrap();
        let at = |u, ts| {
            index
                .nearest(&url(u), ts)
                .map(|e| e.digest.clone().unwrap())
        };
        assert_eq!(at("http://h/a/", "2019").as_deref(), Some("sha1:A"));
        assert_eq!(at("http://h/a/", "2023").as_deref(), Some("sha1:B"));
        assert_eq!(at("http://h/a", "2019").as_deref(), Some("sha1:C"));
        // Same SURT key, other spelling: the redirect is not taken while a page is there.
        assert_eq!(at("http://H/a/?", "2024").as_deref(), Some("sha1:B"));
        assert_eq!(at("http://h/b", "2024"), None);
    }

    #[test]
    fn a_challenge_gives_way_to_the_page_its_answer_opened() {
        let index = CaptureIndex::new(vec![
            entry(
                "http://h/k/",
                "20240101000009",
                "401",
                "text/html",
                "sha1:C",
            ),
            entry(
                "http://h/k/",
                "20240101000010",
                "200",
                "text/html",
                "sha1:P",
            ),
            entry(
                "http://h/only/",
                "20240101000009",
                "401",
                "text/html",
                "sha1:D",
            ),
        ]);
        let at = |u: &str, ts| {
            index
                .nearest(&Url::parse(u).unwrap(), ts)
                .map(|e| e.digest.clone().unwrap())
        };
        assert_eq!(
            at("http://h/k/", "20240101000009").as_deref(),
            Some("sha1:P")
        );
        assert_eq!(at("http://h/only/", "2024").as_deref(), Some("sha1:D"));
    }

    #[test]
    fn revisits_find_their_original() {
        let original = entry("http://h/x", "20240101000000", "200", "image/png", "sha1:P");
        let revisit = entry(
            "http://h/y",
            "20240102000000",
            "200",
            "warc/revisit",
            "sha1:P",
        );
        let index = CaptureIndex::new(vec![original.clone(), revisit.clone()]);
        assert_eq!(index.original_of(&revisit, None), Some(&original));
        assert_eq!(
            index.original_of(&revisit, Some(("http://h/x", "2024-01-01T00:00:00Z"))),
            Some(&original)
        );
    }

    #[test]
    fn short_timestamps_mean_the_start_of_their_period() {
        assert_eq!(seconds("2026"), seconds("20260101000000"));
        assert!(seconds("20261127044334") > seconds("2026"));
    }

    #[test]
    fn warc_paths_stay_in_the_warc_folder() {
        let dir = Path::new("/o/warc");
        assert_eq!(warc_path(dir, "a.warc.gz"), Some(dir.join("a.warc.gz")));
        assert_eq!(warc_path(dir, "../a.warc.gz"), None);
        assert_eq!(warc_path(dir, ".."), None);
    }
}
