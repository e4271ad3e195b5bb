//! What the WARC files hold, URL by URL: the one capture of each URL the mirror shows, the
//! redirects, the in-scope URLs the crawl did not archive (and why), and the crawl's warcinfo.
//!
//! Built in one streaming pass over the WARC files (headers and response heads only; bodies are
//! skipped), so the mirror is a function of the records alone. Where the crawl's CDXJ index
//! (`indexes/index.cdxj`) gives a response's member length, the pass jumps over the rest of the
//! member instead of inflating it; the index only says where to look next, and an index that
//! does not match the files (a stale one) is dropped and the files are read through.
//!
//! A revisit takes its payload from the record it refers to: in these WARC files, or, for a crawl
//! made with `--dedup-from`, in the earlier crawl's folder its warcinfo names
//! ([`crate::dedup`]). A revisit whose record cannot be found there becomes a "not archived"
//! entry that says why ([`REFERRED_MISSING`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use url::Url;

use super::text_hash::TextHash;
use crate::dedup::{DEDUP_FROM_FIELD, EarlierCrawl, ReferredIndex, RefersTo};
use crate::urls::dedup_key;
use crate::warc::digest::SHA1_LABEL;
use crate::warc::reader::WarcReader;
use crate::warc::record::WarcHeaders;
use crate::warc::{OUTCOME_CONTENT_TYPE, OUTCOME_FIELD, parse_response_head};

/// What a rendered page's body is read as.
const RENDERED_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// How much of a response block is read to find its HTTP head.
const MAX_HEAD: usize = 256 * 1024;

/// One archived HTTP response (or a revisit pointing at one). The catalogue holds one for every
/// URL of the archive, so its text is boxed (no spare capacity) and its types shared.
#[derive(Debug, Clone)]
pub struct Capture {
    pub url: Url,
    pub date: Box<str>,
    pub status: u16,
    /// Media type without parameters, lower case (one allocation per distinct type).
    pub mime: Arc<str>,
    /// The full `Content-Type` value (its charset matters for HTML and CSS), shared likewise.
    pub content_type: Option<Arc<str>>,
    pub location: Option<Box<str>>,
    pub payload_digest: Option<Digest>,
    pub truncated: bool,
    /// Where the payload is: the response record itself, or for a revisit the record it refers to.
    pub payload_at: RecordRef,
    /// The record this capture was read from (the revisit itself for revisits).
    pub record: RecordRef,
    /// The page as the browser rendered it (`crawl --browser`): the `conversion` record that
    /// refers to `record`. The mirror shows it instead of the payload.
    pub rendered: Option<Box<RecordRef>>,
}

/// The reason of a "not archived" entry for a revisit whose payload, in an earlier crawl, cannot
/// be read; the detail follows after `": "`.
pub const REFERRED_MISSING: &str = "referred-payload-missing";

/// A `WARC-Payload-Digest` value. A SHA-1 in the form arkiv writes (`sha1:` and 32 base32
/// letters) is kept as its 20 bytes, any other value as its text; `text` gives the value back
/// exactly as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Sha1([u8; 20]),
    Text(Box<str>),
}

impl Digest {
    pub fn parse(value: &str) -> Digest {
        let base32 = data_encoding::BASE32;
        if let Some(letters) = value.strip_prefix(SHA1_LABEL)
            && let Ok(bytes) = base32.decode(letters.as_bytes())
            && let Ok(bytes) = <[u8; 20]>::try_from(bytes)
            && base32.encode(&bytes) == letters
        {
            return Digest::Sha1(bytes);
        }
        Digest::Text(value.into())
    }

    pub fn text(&self) -> String {
        match self {
            Digest::Sha1(bytes) => format!("{SHA1_LABEL}{}", data_encoding::BASE32.encode(bytes)),
            Digest::Text(text) => text.to_string(),
        }
    }
}

/// A WARC file records are read from.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WarcFile {
    /// The file's name (in `warc/`).
    pub name: Box<str>,
    /// The `warc/` folder of the earlier crawl that holds the file, when it is not this
    /// crawl's.
    pub folder: Option<PathBuf>,
}

impl WarcFile {
    /// A file of this crawl's `warc/` folder.
    pub fn here(name: &str) -> Arc<WarcFile> {
        Arc::new(WarcFile {
            name: name.into(),
            folder: None,
        })
    }
}

/// A record's place: its WARC file and gzip member offset. The file is shared (one allocation
/// per WARC file, not per record): a place is 16 bytes, and a capture holds two.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRef {
    pub file: Arc<WarcFile>,
    pub offset: u64,
}

impl RecordRef {
    /// The record's WARC file, given this crawl's `warc/` folder.
    pub fn path(&self, warc_dir: &Path) -> PathBuf {
        let folder = self.file.folder.as_deref().unwrap_or(warc_dir);
        folder.join(&*self.file.name)
    }
}

/// A revisit waiting for the record it refers to.
struct PendingRevisit {
    capture: Box<Capture>,
    refers_to: String,
    refers_to_uri: Option<String>,
    refers_to_date: Option<String>,
}

/// What the mirror makes of one URL (boxed parts: an entry is 32 bytes, one per URL).
#[derive(Debug, Clone)]
pub enum Entry {
    /// A response to show (any status but a redirect with a usable `Location`).
    Archived(Box<Capture>),
    /// A 3xx with a `Location` (resolved against its URL).
    Redirect {
        capture: Box<Capture>,
        target: Box<Url>,
    },
    /// In scope, never archived; the crawl's reason.
    NotArchived { url: Box<Url>, reason: Box<str> },
}

// The catalogue holds an entry and a capture for every URL of the archive: keep them from
// growing back.
const _: () = assert!(std::mem::size_of::<Entry>() <= 32);
const _: () = assert!(std::mem::size_of::<Capture>() <= 224);

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
        let index = warc_dir
            .parent()
            .map(|out| out.join("indexes").join("index.cdxj"))
            .and_then(|path| MemberEnds::read(&path));
        if let Some(index) = index {
            match Self::read_with(warc_dir, Some(&index))? {
                Ok(catalog) => return Ok(catalog),
                Err(StaleIndex) => tracing::info!("the CDXJ index does not match the WARC files"),
            }
        }
        match Self::read_with(warc_dir, None)? {
            Ok(catalog) => Ok(catalog),
            Err(StaleIndex) => unreachable!("no index, no jump"),
        }
    }

    fn read_with(
        warc_dir: &Path,
        index: Option<&MemberEnds>,
    ) -> anyhow::Result<Result<Catalog, StaleIndex>> {
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
        // Each file is read in segments that start at members the index lists, in parallel;
        // the segments' tables are then merged in file order, which gives what one reader going
        // through the files in turn would have (see `Tables::merge`).
        let segments: Vec<Segment> = files
            .iter()
            .flat_map(|path| segments_of(path, index))
            .collect();
        let ids = TextHash::new();
        let read: Vec<Result<Tables, StaleIndex>> =
            segments.par_iter().map(|s| s.read(index, &ids)).collect();
        let mut tables = Tables::default();
        // Sized once for all the parts: grown part by part, the tables were rehashed (and the
        // old allocations left behind in the heap) several times over.
        tables.reserve(read.iter().flatten());
        let mut broken: Option<&Path> = None;
        for (segment, part) in segments.iter().zip(read) {
            let Ok(part) = part else {
                return Ok(Err(StaleIndex));
            };
            if broken == Some(segment.path.as_path()) {
                continue; // a file is read no further than its first unreadable record
            }
            broken = part.broke.then_some(segment.path.as_path());
            tables.merge(part);
        }
        let Tables {
            mut captures,
            mut outcomes,
            by_id,
            revisits,
            conversions,
            info,
            problems,
            ..
        } = tables;
        let mut catalog = Catalog {
            info: info.unwrap_or_default(),
            problems,
            ..Catalog::default()
        };
        // A rendered page belongs to the very capture it was made from (the last conversion of
        // it wins, as a later render of the same record would).
        let rendered: HashMap<RecordRef, RecordRef> = conversions
            .into_iter()
            .filter_map(|(refers_to, at)| Some((by_id.get(ids.of(&refers_to))?.clone(), at)))
            .collect();
        // Revisits take their payload from the record they refer to.
        let mut elsewhere = Vec::new();
        for mut revisit in revisits {
            match by_id.get(ids.of(&revisit.refers_to)) {
                Some(target) => {
                    revisit.capture.payload_at = target.clone();
                    offer(&mut captures, revisit.capture);
                }
                None => elsewhere.push(revisit),
            }
        }
        catalog.resolve_in_earlier_crawl(elsewhere, &mut captures, &mut outcomes);
        let rendered_type: Arc<str> = RENDERED_CONTENT_TYPE.into();
        for (key, mut capture) in captures {
            if let Some(at) = rendered.get(&capture.record)
                && &*capture.mime == "text/html"
            {
                capture.rendered = Some(Box::new(at.clone()));
                // The rendered DOM is serialised as UTF-8, whatever the page was sent in.
                capture.content_type = Some(rendered_type.clone());
            }
            let target = capture
                .location
                .as_deref()
                .filter(|_| (300..400).contains(&capture.status))
                .and_then(|loc| capture.url.join(loc.trim()).ok());
            let entry = match target {
                Some(target) => Entry::Redirect {
                    capture,
                    target: Box::new(target),
                },
                None => Entry::Archived(capture),
            };
            catalog.entries.insert(key, entry);
        }
        for (key, (url, reason)) in outcomes {
            catalog
                .entries
                .entry(key)
                .or_insert_with(|| Entry::NotArchived {
                    url: Box::new(url),
                    reason: reason.into(),
                });
        }
        catalog.warc_files = files;
        Ok(Ok(catalog))
    }
}

/// What some records showed, before they join the catalogue.
#[derive(Default)]
struct Tables {
    /// Boxed: a capture moves from a segment's table to the merged one to the catalogue, and
    /// rehashing tables of inline captures (~360 bytes each) as they grew took a fifth of the
    /// mirror's page faults.
    captures: HashMap<String, Box<Capture>>,
    outcomes: HashMap<String, (Url, String)>,
    by_id: ById,
    revisits: Vec<PendingRevisit>,
    conversions: Vec<(String, RecordRef)>,
    /// The first warcinfo record with fields (or the last one seen while none had any).
    info: Option<CrawlInfo>,
    problems: Vec<String>,
    /// Reading stopped at a record that could not be read.
    broke: bool,
}

impl Tables {
    /// Makes room for the entries of all `parts` (an upper bound: a URL or id in several parts
    /// is counted in each).
    fn reserve<'a>(&mut self, parts: impl Iterator<Item = &'a Tables>) {
        let mut sizes = [0usize; 4];
        for part in parts {
            let lens = [
                part.captures.len(),
                part.outcomes.len(),
                part.revisits.len(),
                part.conversions.len(),
            ];
            for (size, len) in sizes.iter_mut().zip(lens) {
                *size += len;
            }
        }
        let [captures, outcomes, revisits, conversions] = sizes;
        self.captures.reserve(captures);
        self.outcomes.reserve(outcomes);
        self.revisits.reserve(revisits);
        self.conversions.reserve(conversions);
    }

    /// Adds the tables of the records that come after these: a later capture of a URL wins
    /// unless the earlier ranks higher ([`offer`]), later outcomes and record ids replace
    /// earlier ones, lists are appended, and the first warcinfo with fields stays.
    fn merge(&mut self, later: Tables) {
        for capture in later.captures.into_values() {
            offer(&mut self.captures, capture);
        }
        self.outcomes.extend(later.outcomes);
        self.by_id.0.extend(later.by_id.0);
        self.revisits.extend(later.revisits);
        self.conversions.extend(later.conversions);
        if self.info.as_ref().is_none_or(|i| i.fields.is_empty()) && later.info.is_some() {
            self.info = later.info;
        }
        self.problems.extend(later.problems);
        self.broke = later.broke;
    }
}

/// A stretch of one WARC file: from a member's offset to the next segment's (or the end).
struct Segment {
    path: PathBuf,
    file: Arc<WarcFile>,
    start: u64,
    stop: Option<u64>,
}

/// Parts of a file for the readers to share: without an index, the whole file; with one, cut
/// at indexed members into about four parts per thread.
fn segments_of(path: &Path, index: Option<&MemberEnds>) -> Vec<Segment> {
    let file = WarcFile::here(
        &path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let whole = || Segment {
        path: path.to_path_buf(),
        file: file.clone(),
        start: 0,
        stop: None,
    };
    let Some(ends) = index.and_then(|index| index.of(&file.name)) else {
        return vec![whole()];
    };
    let len = fs_err::metadata(path).map(|m| m.len()).unwrap_or(0);
    let parts = (rayon::current_num_threads() * 4) as u64;
    let mut starts = vec![0];
    for j in 1..parts {
        let target = len / parts * j;
        let at = ends.partition_point(|(offset, _, _)| *offset < target);
        if let Some((offset, _, _)) = ends.get(at)
            && *offset > *starts.last().unwrap_or(&0)
        {
            starts.push(*offset);
        }
    }
    let stops = starts.iter().skip(1).map(|s| Some(*s)).chain([None]);
    starts
        .iter()
        .zip(stops)
        .map(|(start, stop)| Segment {
            start: *start,
            stop,
            ..whole()
        })
        .collect()
}

impl Segment {
    /// Reads the segment's records. `Err` when the index proves not to be this file's: a
    /// segment that does not start at the record the index names there, a jump that lands
    /// where no record starts, or records that run past the next segment's start.
    fn read(&self, index: Option<&MemberEnds>, ids: &TextHash) -> Result<Tables, StaleIndex> {
        let mut tables = Tables::default();
        let mut types = Shared::default();
        let mut by_id = Vec::new();
        let mut reader = match WarcReader::open_at(&self.path, self.start) {
            Ok(reader) => reader,
            Err(err) => {
                tables.problems.push(err.to_string());
                tables.broke = true;
                return Ok(tables);
            }
        };
        let ends = index.and_then(|index| index.of(&self.file.name));
        let file_len = fs_err::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        // A segment after the first starts at a member the index lists, and must find that
        // very record there.
        let mut jumped = self.start > 0;
        let mut first = self.start > 0;
        loop {
            let head = match reader.next_record() {
                Ok(Some(head)) => head,
                Ok(None) => break,
                Err(_) if jumped => return Err(StaleIndex),
                Err(err) => {
                    tables.problems.push(err.to_string());
                    tables.broke = true;
                    break;
                }
            };
            if let Some(stop) = self.stop {
                match head.offset.cmp(&stop) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => break,
                    std::cmp::Ordering::Greater => return Err(StaleIndex),
                }
            }
            if first {
                let listed =
                    ends.is_some_and(|ends| member_end(ends, head.offset, &head.headers).is_some());
                if !listed {
                    return Err(StaleIndex);
                }
                first = false;
            }
            jumped = false;
            let h = &head.headers;
            let here = RecordRef {
                file: self.file.clone(),
                offset: head.offset,
            };
            let kind = h.get("WARC-Type").unwrap_or("").to_string();
            // Revisits and conversions refer to responses (a conversion to a revisit, too):
            // only their ids are looked up, so only theirs are kept.
            if matches!(kind.as_str(), "response" | "revisit")
                && let Some(id) = h.get("WARC-Record-ID")
            {
                by_id.push((ids.of(id), here.clone()));
            }
            let target = h.get("WARC-Target-URI").and_then(|u| Url::parse(u).ok());
            let date = h.get("WARC-Date").unwrap_or("").to_string();
            match kind.as_str() {
                "warcinfo" if tables.info.as_ref().is_none_or(|i| i.fields.is_empty()) => {
                    let block = read_prefix(&mut reader, MAX_HEAD);
                    tables.info = Some(CrawlInfo {
                        fields: parse_fields(&block),
                        date,
                    });
                }
                "response" | "revisit" => {
                    let Some(url) = target else { continue };
                    let Some(http) = read_http_head(&mut reader) else {
                        continue;
                    };
                    if let Some(end) = ends.and_then(|ends| member_end(ends, head.offset, h)) {
                        jumped = match reader.skip_member_to(end, file_len) {
                            Ok(jumped) => jumped,
                            Err(err) => {
                                tables.problems.push(err.to_string());
                                tables.broke = true;
                                break;
                            }
                        };
                    }
                    let header = |name: &str| {
                        http.header(name)
                            .map(|v| String::from_utf8_lossy(v).trim().to_string())
                    };
                    let content_type = header("content-type");
                    let capture = Box::new(Capture {
                        mime: types.of(&content_type
                            .as_deref()
                            .map(crate::content::media_type)
                            .unwrap_or_default()),
                        content_type: content_type.map(|t| types.of(&t)),
                        location: header("location").map(String::into_boxed_str),
                        status: http.status,
                        url,
                        date: date.into_boxed_str(),
                        payload_digest: h.get("WARC-Payload-Digest").map(Digest::parse),
                        truncated: h.get("WARC-Truncated").is_some(),
                        payload_at: here.clone(),
                        record: here,
                        rendered: None,
                    });
                    if kind == "revisit" {
                        if let Some(refers_to) = h.get("WARC-Refers-To") {
                            tables.revisits.push(PendingRevisit {
                                capture,
                                refers_to: refers_to.to_string(),
                                refers_to_uri: h
                                    .get("WARC-Refers-To-Target-URI")
                                    .map(str::to_string),
                                refers_to_date: h.get("WARC-Refers-To-Date").map(str::to_string),
                            });
                        }
                    } else {
                        offer(&mut tables.captures, capture);
                    }
                }
                "conversion"
                    if h.get("Content-Type")
                        .is_some_and(|t| crate::content::media_type(t) == "text/html") =>
                {
                    if let Some(refers_to) = h.get("WARC-Refers-To") {
                        tables.conversions.push((refers_to.to_string(), here));
                    }
                }
                "metadata" if h.get("Content-Type") == Some(OUTCOME_CONTENT_TYPE) => {
                    let Some(url) = target else { continue };
                    let block = read_prefix(&mut reader, MAX_HEAD);
                    let fields = parse_fields(&block);
                    if let Some((_, reason)) = fields.iter().find(|(n, _)| n == OUTCOME_FIELD) {
                        tables
                            .outcomes
                            .insert(dedup_key(&url), (url, reason.clone()));
                    }
                }
                _ => {}
            }
        }
        tables.by_id = ById::of_segment(by_id);
        Ok(tables)
    }
}

/// A jump the index asked for did not land on a record: the index is not this WARC's.
struct StaleIndex;

/// Where each response and revisit is, by its record id's hash (a [`TextHash`] keyed for one
/// reading: a third of the ids' size as text): one list per segment, sorted by hash, the segments in reading order. Lists rather than one table: merging
/// the segments' tables copies nothing, and nothing is rounded up to a power of two (most
/// crawls never look an id up: only revisits and conversions refer to records).
#[derive(Default)]
struct ById(Vec<Vec<(u128, RecordRef)>>);

impl ById {
    /// One segment's records, in the order read.
    fn of_segment(mut places: Vec<(u128, RecordRef)>) -> ById {
        // Stable: of two records with one id, the later stays the later.
        places.sort_by_key(|(id, _)| *id);
        places.shrink_to_fit();
        ById(vec![places])
    }

    /// The place of the last record read with this id.
    fn get(&self, id: u128) -> Option<&RecordRef> {
        self.0.iter().rev().find_map(|places| {
            let end = places.partition_point(|(at, _)| *at <= id);
            places[..end]
                .last()
                .filter(|(at, _)| *at == id)
                .map(|(_, place)| place)
        })
    }
}

/// One shared copy of each distinct text: media types, a handful per site and one per capture.
#[derive(Default)]
struct Shared(HashSet<Arc<str>>);

impl Shared {
    fn of(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        self.0.insert(shared.clone());
        shared
    }
}

/// Where each indexed record's gzip member ends, by file and member offset, from the CDXJ index.
/// An entry is used only for a record whose URI and payload digest are the entry's.
struct MemberEnds {
    /// File name → (offset, length, fingerprint of URI and digest), sorted by offset.
    files: HashMap<String, Vec<(u64, u64, u64)>>,
}

impl MemberEnds {
    /// `None` when there is no index or it cannot be read whole (the files are then read
    /// through; the index is an aid, never a source).
    fn read(path: &Path) -> Option<MemberEnds> {
        use std::io::BufRead as _;
        let file = std::fs::File::open(path).ok()?;
        let mut files: HashMap<String, Vec<(u64, u64, u64)>> = HashMap::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.ok()?;
            if line.trim().is_empty() || line.starts_with('!') {
                continue;
            }
            let entry = crate::warc::cdxj::CdxjEntry::parse(&line, i + 1).ok()?;
            let print = fingerprint(&entry.url, entry.digest.as_deref());
            files
                .entry(entry.filename)
                .or_default()
                .push((entry.offset, entry.length, print));
        }
        for places in files.values_mut() {
            places.sort_unstable();
            places.dedup_by_key(|(offset, _, _)| *offset);
            places.shrink_to_fit();
        }
        Some(MemberEnds { files })
    }

    fn of(&self, file: &str) -> Option<&[(u64, u64, u64)]> {
        self.files.get(file).map(Vec::as_slice)
    }
}

/// Where the member at `offset` ends, if the index has a line for this very record.
fn member_end(ends: &[(u64, u64, u64)], offset: u64, headers: &WarcHeaders) -> Option<u64> {
    let at = ends.binary_search_by_key(&offset, |(o, _, _)| *o).ok()?;
    let (offset, length, print) = ends[at];
    let uri = headers.get("WARC-Target-URI")?;
    (print == fingerprint(uri, headers.get("WARC-Payload-Digest")))
        .then(|| offset.checked_add(length))
        .flatten()
}

fn fingerprint(uri: &str, digest: Option<&str>) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    uri.hash(&mut hasher);
    digest.hash(&mut hasher);
    hasher.finish()
}

/// The HTTP head at the start of the current block (1xx interim heads passed over), read a
/// little at a time so that a body is not read to find it; `None` when there is none.
fn read_http_head<R: Read>(reader: &mut WarcReader<R>) -> Option<crate::warc::ResponseHead> {
    let mut block = Vec::new();
    let mut step = 2048;
    loop {
        let before = block.len();
        let _ = reader.block().take(step as u64).read_to_end(&mut block);
        match parse_response_head(&block) {
            Ok(head) => return Some(head),
            Err(crate::warc::HeadError::Incomplete)
                if block.len() > before && block.len() < MAX_HEAD =>
            {
                step = (step * 2).min(MAX_HEAD - block.len());
            }
            Err(_) => return None,
        }
    }
}

impl Catalog {
    /// Revisits whose record is not in these WARC files: found in the earlier crawl the
    /// warcinfo names, or else shown as not archived, with why.
    fn resolve_in_earlier_crawl(
        &mut self,
        revisits: Vec<PendingRevisit>,
        captures: &mut HashMap<String, Box<Capture>>,
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
        // The earlier crawl's files, each once.
        let mut files: HashMap<String, Arc<WarcFile>> = HashMap::new();
        for mut revisit in revisits {
            let Some(digest) = revisit.capture.payload_digest.as_ref().map(Digest::text) else {
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
                    let file = files.entry(payload.file).or_insert_with_key(|name| {
                        Arc::new(WarcFile {
                            name: name.as_str().into(),
                            folder: Some(warc_dir.to_path_buf()),
                        })
                    });
                    revisit.capture.payload_at = RecordRef {
                        file: file.clone(),
                        offset: payload.offset,
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
fn offer(captures: &mut HashMap<String, Box<Capture>>, capture: Box<Capture>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: u64) -> RecordRef {
        RecordRef {
            file: WarcFile::here("a.warc.gz"),
            offset,
        }
    }

    #[test]
    fn a_digest_comes_back_as_it_was_read() {
        let sha1 = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ";
        assert!(matches!(Digest::parse(sha1), Digest::Sha1(_)));
        for value in [
            sha1,
            "sha1:3i42h3s6nnfq2msvx7xzkyayscx5qbyj",
            "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBY",
            "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJAAAAAAAA",
            "sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c",
            "sha1:",
            "",
        ] {
            assert_eq!(Digest::parse(value).text(), value);
        }
    }

    #[test]
    fn the_last_record_read_with_an_id_is_the_one_found() {
        let ids = TextHash::new();
        let [a, b, c] = ["<urn:uuid:a>", "<urn:uuid:b>", "<urn:uuid:c>"].map(|id| ids.of(id));
        let mut by_id = ById::of_segment(vec![(b, at(1)), (a, at(2)), (b, at(3))]);
        by_id.0.extend(ById::of_segment(vec![(a, at(4))]).0);
        by_id.0.extend(ById::of_segment(Vec::new()).0);
        assert_eq!(
            by_id.get(a).map(|r| r.offset),
            Some(4),
            "a later segment wins"
        );
        assert_eq!(
            by_id.get(b).map(|r| r.offset),
            Some(3),
            "so does a later record"
        );
        assert_eq!(by_id.get(c), None);
        assert_eq!(ById::default().get(a), None);
    }
}
