//! `pages/pages.jsonl`: the entry points of the package, one line per archived HTML page.
//!
//! A page is an archived response (2xx) whose media type is HTML or XHTML, in the capture the
//! mirror shows (see [`crate::mirror::catalog`]). Seeds come first (a seed that redirected
//! stands for the page it led to), then the others in URL order. Each line carries `id` (stable:
//! derived from timestamp and URL, so two packs of one crawl agree), `url`, `ts` (RFC 3339, the
//! second of the capture, as the CDXJ timestamp has it), `title` (the first `<title>`, as the
//! crawl's HTML scanner reads it), `text` (see [`super::page_text`]) and `seed` for seeds.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::extract::{HtmlOptions, scan_html, sniff::charset_from_content_type};
use crate::mirror::catalog::{Capture, Catalog, Entry};
use crate::urls::dedup_key;

/// The header line's `format`.
pub const FORMAT: &str = "json-pages-1.0";

/// HTML bodies larger than this are read only this far for title and text.
const MAX_PAGE: u64 = 64 << 20;

/// Pages whose text is extracted at once (in parallel); bounds what is held in memory.
const CHUNK: usize = 64;

/// Redirect hops followed from a seed to its page.
const MAX_HOPS: usize = 10;

/// A line of `pages.jsonl` (after the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageEntry {
    pub id: String,
    pub url: String,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seed: bool,
}

/// A page to list, before its text is read.
#[derive(Debug, Clone)]
pub struct PageCapture {
    pub capture: Capture,
    pub seed: bool,
}

/// What the package lists as pages, and its main page.
#[derive(Debug, Clone, Default)]
pub struct PageList {
    pub pages: Vec<PageCapture>,
    /// The first seed and the date of its capture (the seed itself, even when it redirected:
    /// a replay follows the archived redirect).
    pub main: Option<(String, String)>,
}

/// The pages of `catalog`, seeds first.
pub fn collect_pages(catalog: &Catalog) -> PageList {
    let mut list = PageList::default();
    let mut taken: HashSet<String> = HashSet::new();
    for seed in catalog.info.all("arkiv-seed") {
        let Ok(seed) = Url::parse(seed) else { continue };
        let Some(entry) = catalog.entries.get(&dedup_key(&seed)) else {
            continue;
        };
        if list.main.is_none()
            && let Entry::Archived(c) | Entry::Redirect { capture: c, .. } = entry
        {
            list.main = Some((seed.to_string(), c.date.to_string()));
        }
        if let Some(page) = follow_to_page(catalog, entry)
            && taken.insert(dedup_key(&page.url))
        {
            list.pages.push(PageCapture {
                capture: page.clone(),
                seed: true,
            });
        }
    }
    for (key, entry) in &catalog.entries {
        if let Entry::Archived(capture) = entry
            && is_page(capture)
            && !taken.contains(key)
        {
            list.pages.push(PageCapture {
                capture: (**capture).clone(),
                seed: false,
            });
        }
    }
    if list.main.is_none() {
        list.main = list
            .pages
            .first()
            .map(|p| (p.capture.url.to_string(), p.capture.date.to_string()));
    }
    list
}

/// The HTML page an entry shows, following archived redirects.
fn follow_to_page<'a>(catalog: &'a Catalog, mut entry: &'a Entry) -> Option<&'a Capture> {
    for _ in 0..MAX_HOPS {
        match entry {
            Entry::Archived(c) => return is_page(c).then_some(c),
            Entry::Redirect { target, .. } => entry = catalog.entries.get(&dedup_key(target))?,
            Entry::NotArchived { .. } => return None,
        }
    }
    None
}

fn is_page(capture: &Capture) -> bool {
    (200..300).contains(&capture.status)
        && matches!(
            &*capture.mime,
            "text/html" | "application/xhtml+xml" | "application/xhtml"
        )
}

/// What [`write_pages_jsonl`] wrote.
#[derive(Debug, Clone, Default)]
pub struct PagesWritten {
    pub count: usize,
    /// The title of the first page (the first seed's).
    pub first_title: Option<String>,
}

/// Writes the header and one line per page to `out`.
pub fn write_pages_jsonl(
    warc_dir: &Path,
    pages: &[PageCapture],
    out: &mut impl Write,
) -> io::Result<PagesWritten> {
    let header = serde_json::json!({
        "format": FORMAT,
        "id": "pages",
        "title": "All Pages",
        "hasText": true,
    });
    writeln!(out, "{header}")?;
    let mut written = PagesWritten::default();
    for chunk in pages.chunks(CHUNK) {
        let entries: Vec<PageEntry> = chunk
            .par_iter()
            .map(|page| page_entry(warc_dir, page))
            .collect();
        for entry in entries {
            if written.count == 0 {
                written.first_title = entry.title.clone();
            }
            serde_json::to_writer(&mut *out, &entry).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
            written.count += 1;
        }
    }
    Ok(written)
}

/// The line of one page. A body that cannot be read still lists the page (its URL and time are
/// known from the record), without title or text.
pub fn page_entry(warc_dir: &Path, page: &PageCapture) -> PageEntry {
    let capture = &page.capture;
    let ts = rfc3339_seconds(&capture.date);
    let url = capture.url.to_string();
    let mut entry = PageEntry {
        id: page_id(&ts, &url),
        url,
        ts,
        title: None,
        text: None,
        seed: page.seed,
    };
    let body = match crate::mirror::payload::open_body(warc_dir, capture) {
        Ok(reader) => {
            let mut body = Vec::new();
            match io::Read::read_to_end(&mut io::Read::take(reader, MAX_PAGE), &mut body) {
                Ok(_) => body,
                Err(err) => {
                    tracing::warn!("{}: cannot read the page body: {err}", capture.url);
                    return entry;
                }
            }
        }
        Err(err) => {
            tracing::warn!("{}: cannot read the page body: {err}", capture.url);
            return entry;
        }
    };
    let charset = capture
        .content_type
        .as_deref()
        .and_then(charset_from_content_type);
    let scan = scan_html(
        &body,
        &capture.url,
        HtmlOptions::default().with_charset(charset),
    );
    entry.title = scan.title.filter(|t| !t.is_empty());
    let (html, _, _) = scan.encoding.decode(&body);
    let text = super::page_text::page_text(&html);
    entry.text = Some(text).filter(|t| !t.is_empty());
    entry
}

/// A stable id: the first 16 hex digits of sha256(`ts` + " " + `url`).
fn page_id(ts: &str, url: &str) -> String {
    let digest = Sha256::digest(format!("{ts} {url}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `2026-11-27T04:43:34.046934Z` → `2026-11-27T04:43:34Z` (a WARC date not in RFC 3339 is made
/// one from its digits, as the CDXJ timestamp is).
pub fn rfc3339_seconds(warc_date: &str) -> String {
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(warc_date) {
        return date
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
    }
    let d = crate::warc::warc_date_to_timestamp(warc_date);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_to_the_second() {
        assert_eq!(
            rfc3339_seconds("2026-11-27T04:43:34.046934Z"),
            "2026-11-27T04:43:34Z"
        );
        assert_eq!(
            rfc3339_seconds("2026-11-27T04:43:34Z"),
            "2026-11-27T04:43:34Z"
        );
        assert_eq!(rfc3339_seconds("2026-11-27"), "2026-11-27T00:00:00Z");
    }

    #[test]
    fn ids_are_stable_and_short() {
        let a = page_id("2026-11-27T04:43:34Z", "http://example.org/");
        assert_eq!(a, page_id("2026-11-27T04:43:34Z", "http://example.org/"));
        assert_ne!(a, page_id("2026-11-27T04:43:35Z", "http://example.org/"));
        assert_eq!(a.len(), 16);
    }
}
