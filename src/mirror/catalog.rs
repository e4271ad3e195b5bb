//! What the WARC files hold, URL by URL: the one capture of each URL the mirror shows, the
//! redirects, the in-scope URLs the crawl did not archive (and why), and the crawl's warcinfo.
//!
//! Built in one streaming pass over the WARC files (headers and response heads only; bodies are
//! skipped), so the mirror is a function of the records alone.
//!
//! A revisit takes its payload from the record it refers to: in these WARC files, or, for a crawl
//! made with `--dedup-from`, in the earlier crawl's folder its warcinfo names
//! ([`crate::dedup`]). A revisit whose record cannot be found there becomes a "not archived"
//! entry that says why ([`REFERRED_MISSING`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use url::Url;

use crate::dedup::{DEDUP_FROM_FIELD, EarlierCrawl, ReferredIndex, RefersTo};
use crate::urls::dedup_key;
use crate::warc::reader::WarcReader;
use crate::warc::{OUTCOME_CONTENT_TYPE, OUTCOME_FIELD, parse_response_head};

/// What a rendered page's body is read as.
const RENDERED_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// How much of a response block is read to find its HTTP head.
const MAX_HEAD: usize = 256 * 1024;

/// One archived HTTP response (or a revisit pointing at one).
#[derive(Debug, Clone)]
pub struct Capture {
    pub url: Url,
    pub date: String,
    pub status: u16,
    /// Media type without parameters, lower case.
    pub mime: String,
    /// The full `Content-Type` value (its charset matters for HTML and CSS).
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub payload_digest: Option<String>,
    pub truncated: bool,
    /// Where the payload is: the response record itself, or for a revisit the record it refers to.
    pub payload_at: RecordRef,
    /// The record this capture was read from (the revisit itself for revisits).
    pub record: RecordRef,
    /// The page as the browser rendered it (`crawl --browser`): the `conversion` record that
    /// refers to `record`. The mirror shows it instead of the payload.
    pub rendered: Option<RecordRef>,
}

/// The reason of a "not archived" entry for a revisit whose payload, in an earlier crawl, cannot
/// be read; the detail follows after `": "`.
pub const REFERRED_MISSING: &str = "referred-payload-missing";

/// A record's place: WARC file name (in `warc/`) and gzip member offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRef {
    pub file: String,
    pub offset: u64,
    /// The `warc/` folder of the earlier crawl that holds the record, when it is not this
    /// crawl's.
    pub folder: Option<PathBuf>,
}

impl RecordRef {
    /// The record's WARC file, given this crawl's `warc/` folder.
    pub fn path(&self, warc_dir: &Path) -> PathBuf {
        self.folder.as_deref().unwrap_or(warc_dir).join(&self.file)
    }
}

/// A revisit waiting for the record it refers to.
struct PendingRevisit {
    capture: Capture,
    refers_to: String,
    refers_to_uri: Option<String>,
    refers_to_date: Option<String>,
}

/// What the mirror makes of one URL.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A response to show (any status but a redirect with a usable `Location`).
    Archived(Capture),
    /// A 3xx with a `Location` (resolved against its URL).
    Redirect { capture: Capture, target: Url },
    /// In scope, never archived; the crawl's reason.
    NotArchived { url: Url, reason: String },
}

impl Entry {
    pub fn url(&self) -> &Url {
        match self {
            Entry::Archived(c) | Entry::Redirect { capture: c, .. } => &c.url,
            Entry::NotArchived { url, .. } => url,
        }
    }

    /// The media type the mirror file will have.
    pub fn mime(&self) -> &str {
        match self {
            Entry::Archived(c) => &c.mime,
            _ => "text/html",
        }
    }
}

/// The crawl's description from the first warcinfo record.
#[derive(Debug, Clone, Default)]
pub struct CrawlInfo {
    pub fields: Vec<(String, String)>,
    pub date: String,
}

impl CrawlInfo {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Every URL of the archive, keyed by its de-duplication key, in a stable order.
#[derive(Debug, Default)]
pub struct Catalog {
    pub entries: BTreeMap<String, Entry>,
    pub info: CrawlInfo,
    pub warc_files: Vec<PathBuf>,
    /// Records that could not be read (a truncated tail), reported, not fatal.
    pub problems: Vec<String>,
}

impl Catalog {
    /// Reads every `*.warc.gz` / `*.warc` in `warc_dir`, in name order.
    pub fn read(warc_dir: &Path) -> anyhow::Result<Catalog> {
        let mut files: Vec<PathBuf> = fs_err::read_dir(warc_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name.ends_with(".warc.gz") || name.ends_with(".warc")
            })
            .collect();
        files.sort();
        let mut catalog = Catalog::default();
        let mut captures: HashMap<String, Capture> = HashMap::new();
        let mut outcomes: HashMap<String, (Url, String)> = HashMap::new();
        let mut by_id: HashMap<String, RecordRef> = HashMap::new();
        let mut revisits: Vec<PendingRevisit> = Vec::new();
        let mut conversions: Vec<(String, RecordRef)> = Vec::new();
        for path in &files {
            catalog.read_file(
                path,
                &mut captures,
                &mut outcomes,
                &mut by_id,
                &mut revisits,
                &mut conversions,
            );
        }
        // A rendered page belongs to the very capture it was made from (the last conversion of
        // it wins, as a later render of the same record would).
        let rendered: HashMap<RecordRef, RecordRef> = conversions
            .into_iter()
            .filter_map(|(refers_to, at)| Some((by_id.get(&refers_to)?.clone(), at)))
            .collect();
        // Revisits take their payload from the record they refer to.
        let mut elsewhere = Vec::new();
        for mut revisit in revisits {
            match by_id.get(&revisit.refers_to) {
                Some(target) => {
                    revisit.capture.payload_at = target.clone();
                    offer(&mut captures, revisit.capture);
                }
                None => elsewhere.push(revisit),
            }
        }
        catalog.resolve_in_earlier_crawl(elsewhere, &mut captures, &mut outcomes);
        for (key, mut capture) in captures {
            if let Some(at) = rendered.get(&capture.record)
                && capture.mime == "text/html"
            {
                capture.rendered = Some(at.clone());
                // The rendered DOM is serialised as UTF-8, whatever the page was sent in.
                capture.content_type = Some(RENDERED_CONTENT_TYPE.to_owned());
            }
            let target = capture
                .location
                .as_deref()
                .filter(|_| (300..400).contains(&capture.status))
                .and_then(|loc| capture.url.join(loc.trim()).ok());
            let entry = match target {
                Some(target) => Entry::Redirect { capture, target },
                None => Entry::Archived(capture),
            };
            catalog.entries.insert(key, entry);
        }
        for (key, (url, reason)) in outcomes {
            catalog
                .entries
                .entry(key)
                .or_insert(Entry::NotArchived { url, reason });
        }
        catalog.warc_files = files;
        Ok(catalog)
    }

    fn read_file(
        &mut self,
        path: &Path,
        captures: &mut HashMap<String, Capture>,
        outcomes: &mut HashMap<String, (Url, String)>,
        by_id: &mut HashMap<String, RecordRef>,
        revisits: &mut Vec<PendingRevisit>,
        conversions: &mut Vec<(String, RecordRef)>,
    ) {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut reader = match WarcReader::open(path) {
            Ok(reader) => reader,
            Err(err) => {
                self.problems.push(err.to_string());
                return;
            }
        };
        loop {
            let head = match reader.next_record() {
                Ok(Some(head)) => head,
                Ok(None) => break,
                Err(err) => {
                    self.problems.push(err.to_string());
                    break;
                }
            };
            let h = &head.headers;
            let here = RecordRef {
                file: file.clone(),
                offset: head.offset,
                folder: None,
            };
            if let Some(id) = h.get("WARC-Record-ID") {
                by_id.insert(id.to_string(), here.clone());
            }
            let kind = h.get("WARC-Type").unwrap_or("").to_string();
            let target = h.get("WARC-Target-URI").and_then(|u| Url::parse(u).ok());
            let date = h.get("WARC-Date").unwrap_or("").to_string();
            match kind.as_str() {
                "warcinfo" if self.info.fields.is_empty() => {
                    let block = read_prefix(&mut reader, MAX_HEAD);
                    self.info = CrawlInfo {
                        fields: parse_fields(&block),
                        date,
                    };
                }
                "response" | "revisit" => {
                    let Some(url) = target else { continue };
                    let block = read_prefix(&mut reader, MAX_HEAD);
                    let Ok(http) = parse_response_head(&block) else {
                        continue;
                    };
                    let header = |name: &str| {
                        http.header(name)
                            .map(|v| String::from_utf8_lossy(v).trim().to_string())
                    };
                    let content_type = header("content-type");
                    let capture = Capture {
                        mime: content_type
                            .as_deref()
                            .map(crate::content::media_type)
                            .unwrap_or_default(),
                        content_type,
                        location: header("location"),
                        status: http.status,
                        url,
                        date,
                        payload_digest: h.get("WARC-Payload-Digest").map(str::to_string),
                        truncated: h.get("WARC-Truncated").is_some(),
                        payload_at: here.clone(),
                        record: here,
                        rendered: None,
                    };
                    if kind == "revisit" {
                        if let Some(refers_to) = h.get("WARC-Refers-To") {
                            revisits.push(PendingRevisit {
                                capture,
                                refers_to: refers_to.to_string(),
                                refers_to_uri: h
                                    .get("WARC-Refers-To-Target-URI")
                                    .map(str::to_string),
                                refers_to_date: h.get("WARC-Refers-To-Date").map(str::to_string),
                            });
                        }
                    } else {
                        offer(captures, capture);
                    }
                }
                "conversion"
                    if h.get("Content-Type")
                        .is_some_and(|t| crate::content::media_type(t) == "text/html") =>
                {
                    if let Some(refers_to) = h.get("WARC-Refers-To") {
                        conversions.push((refers_to.to_string(), here));
                    }
                }
                "metadata" if h.get("Content-Type") == Some(OUTCOME_CONTENT_TYPE) => {
                    let Some(url) = target else { continue };
                    let block = read_prefix(&mut reader, MAX_HEAD);
                    let fields = parse_fields(&block);
                    if let Some((_, reason)) = fields.iter().find(|(n, _)| n == OUTCOME_FIELD) {
                        outcomes.insert(dedup_key(&url), (url, reason.clone()));
                    }
                }
                _ => {}
            }
        }
    }
}

impl Catalog {
    /// Revisits whose record is not in these WARC files: found in the earlier crawl the
    /// warcinfo names, or else shown as not archived, with why.
    fn resolve_in_earlier_crawl(
        &mut self,
        revisits: Vec<PendingRevisit>,
        captures: &mut HashMap<String, Capture>,
        outcomes: &mut HashMap<String, (Url, String)>,
    ) {
        if revisits.is_empty() {
            return;
        }
        let Some(old) = self.info.get(DEDUP_FROM_FIELD).map(PathBuf::from) else {
            for revisit in revisits {
                self.problems.push(format!(
                    "revisit of {} refers to a missing record {}",
                    revisit.capture.url, revisit.refers_to
                ));
            }
            return;
        };
        let index = EarlierCrawl::open(&old)
            .map_err(anyhow::Error::from)
            .and_then(ReferredIndex::read);
        let index = match index {
            Ok(index) => index,
            Err(err) => {
                let why = format!(
                    "its payload is in the earlier crawl {}, which cannot be read: {err:#}",
                    old.display()
                );
                self.problems.push(format!(
                    "{} revisit records have no payload: {why}",
                    revisits.len()
                ));
                for revisit in revisits {
                    let url = revisit.capture.url;
                    outcomes.insert(dedup_key(&url), (url, format!("{REFERRED_MISSING}: {why}")));
                }
                return;
            }
        };
        let warc_dir = index.crawl().warc_dir();
        for mut revisit in revisits {
            let Some(digest) = revisit.capture.payload_digest.clone() else {
                continue;
            };
            let refers = RefersTo {
                record_id: Some(&revisit.refers_to),
                uri: revisit.refers_to_uri.as_deref(),
                date: revisit.refers_to_date.as_deref(),
                digest: &digest,
            };
            let why = match index.find(&refers) {
                Ok(Some((payload, _))) => {
                    revisit.capture.payload_at = RecordRef {
                        file: payload.file,
                        offset: payload.offset,
                        folder: Some(warc_dir.clone()),
                    };
                    offer(captures, revisit.capture);
                    continue;
                }
                Ok(None) => format!(
                    "the earlier crawl {} holds no record {}",
                    old.display(),
                    revisit.refers_to
                ),
                Err(err) => format!("the earlier crawl {}: {err}", old.display()),
            };
            let url = revisit.capture.url;
            self.problems
                .push(format!("revisit of {url} has no payload: {why}"));
            outcomes.insert(dedup_key(&url), (url, format!("{REFERRED_MISSING}: {why}")));
        }
    }
}

/// Keeps the better of two captures of one URL: a whole body beats a cut one, a real answer
/// beats a "come back later" (429, 503), and otherwise the later capture wins.
fn offer(captures: &mut HashMap<String, Capture>, capture: Capture) {
    let key = dedup_key(&capture.url);
    let rank = |c: &Capture| (!c.truncated, !matches!(c.status, 429 | 503), c.date.clone());
    match captures.get(&key) {
        Some(existing) if rank(existing) > rank(&capture) => {}
        _ => {
            captures.insert(key, capture);
        }
    }
}

fn read_prefix<R: Read>(reader: &mut WarcReader<R>, max: usize) -> Vec<u8> {
    let mut block = Vec::new();
    let _ = reader.block().take(max as u64).read_to_end(&mut block);
    block
}

/// `name: value` lines (application/warc-fields).
fn parse_fields(block: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(block)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}
