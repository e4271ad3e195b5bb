//! Builds `<out>/mirror/` from the WARC files alone: names every URL's file, writes bodies
//! decoded, rewrites the URLs in HTML and CSS to relative local paths, and writes redirect stubs,
//! "not archived" pages, the landing page, `manifest.jsonl` and `reports/mirror.json`.
//!
//! Deterministic: the output is a function of the records (no clock, no map iteration order),
//! so a rebuild is byte-identical. The mirror is first built in `mirror.new/` and swapped in
//! whole, so a failed build never leaves half a mirror in place of a good one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;
use url::Url;

use super::catalog::{Capture, Catalog, Entry};
use super::files::{replace_file, write_manifest};
use super::manifest::{ManifestKind, ManifestLine, WrittenLine, sha1_file_digest};
use super::pages::{self, LandingInfo};
use super::path_map::{MirrorNames, MirrorPath, PathMapper, relative_href, safe_join};
use super::payload;
use super::rewrite::{link_edits, safe_href, splice};
use super::snapshot::inert_script_edits;
use super::spill::{Merged, Spill};
use super::survey::{
    Finding, correct_generic_types, document_kind, findings, scan, scope_of, settle, survey,
};
use crate::scope::Scope;
use crate::urls::dedup_key;

/// HTML and CSS bodies above this size are copied as archived, not rewritten.
pub const MAX_REWRITE: u64 = 64 << 20;
/// Longest redirect chain followed when pointing a link straight at its final target.
pub(super) const MAX_REDIRECT_HOPS: usize = 20;

thread_local! {
    /// The buffer bodies are copied through, one per worker thread (not one per file).
    static COPY_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 64 * 1024]);
}

/// What a build produced (also written to `reports/mirror.json`).
#[derive(Debug, Default, Serialize)]
pub struct MirrorReport {
    pub files: usize,
    pub archived: usize,
    pub rewritten: usize,
    pub redirects: Vec<RedirectLine>,
    pub not_archived: Vec<NotArchivedLine>,
    /// Files written as archived because they could not be rewritten (too large, unreadable).
    pub not_rewritten: Vec<ProblemLine>,
    /// Records that could not be read (e.g. a truncated WARC tail).
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RedirectLine {
    pub url: String,
    pub status: u16,
    pub target: String,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct NotArchivedLine {
    pub url: String,
    pub reason: String,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct ProblemLine {
    pub path: String,
    pub reason: String,
}

/// Everything the workers share, read-only.
struct Plan {
    warc_dir: PathBuf,
    root: PathBuf,
    catalog: Catalog,
    /// Every entry's file, by the entry's URL.
    paths: MirrorNames,
    /// The crawl's scope: in-scope links no record answers get a "not archived" page.
    scope: Option<Scope>,
}

/// Rebuilds `<out>/mirror/`, `<out>/manifest.jsonl` and `<out>/reports/mirror.json`.
pub fn build_mirror(out: &Path) -> anyhow::Result<MirrorReport> {
    // Links planted at `mirror/` or `mirror.new/` are replaced, never followed; a `reports/` link
    // would lead the report out of `out`, so it is refused.
    let reports = out.join("reports");
    if reports
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        anyhow::bail!(
            "{} is a symbolic link; arkiv writes only into real folders",
            reports.display()
        );
    }
    let warc_dir = out.join("warc");
    let mut catalog =
        Catalog::read(&warc_dir).with_context(|| format!("reading {}", warc_dir.display()))?;
    correct_generic_types(&warc_dir, &mut catalog);
    // The catalogue's readers freed their tables on their own threads: hand that memory back
    // before the writing pass takes its own (see `crate::memory`).
    crate::memory::release_freed();
    let staging = out.join("mirror.new");
    let mut plan = Plan {
        paths: assign_paths(&catalog),
        scope: scope_of(&catalog),
        warc_dir,
        root: staging.clone(),
        catalog,
    };
    plan.clear_staging()?;
    // One pass writes every file and reads each document once. The links it finds that change
    // the catalogue (an in-scope URL no record answers, a generic body linked as a stylesheet)
    // are settled after it, and only what they change is written again; see `settle_findings`.
    let spill = out.join(SPILL_FILE);
    let results = plan.write_all(&spill)?;
    let results = plan.settle_findings(results, &spill)?;
    let landing = plan.write_landing()?;
    let mut report = MirrorReport {
        problems: std::mem::take(&mut plan.catalog.problems),
        ..MirrorReport::default()
    };
    // Every file is written: the catalogue and the names go before the manifest is gathered.
    drop(plan);
    crate::memory::release_freed();
    let Results {
        spill,
        mut again,
        notes,
        ..
    } = results;
    for note in notes.into_values() {
        match note {
            Note::None => {}
            Note::Redirect(redirect) => report.redirects.push(*redirect),
            Note::NotArchived(not_archived) => report.not_archived.push(*not_archived),
            Note::NotRewritten(problem) => report.not_rewritten.push(*problem),
        }
    }
    let landing = WrittenLine::from(&landing);
    again.insert(landing.path.clone(), landing);
    report.redirects.sort_by(|a, b| a.url.cmp(&b.url));
    report.not_archived.sort_by(|a, b| a.url.cmp(&b.url));
    report.not_rewritten.sort_by(|a, b| a.path.cmp(&b.path));

    let mirror = out.join("mirror");
    if mirror.symlink_metadata().is_ok() {
        fs_err::remove_dir_all(&mirror)?;
    }
    fs_err::rename(&staging, &mirror)?;
    let lines = Merged::new(spill.read_back()?, again)?.inspect(|line| {
        if let Ok(line) = line {
            report.files += 1;
            if line.kind == ManifestKind::Archived {
                report.archived += 1;
                report.rewritten += usize::from(line.rewritten);
            }
        }
    });
    write_manifest(&out.join("manifest.jsonl"), lines)?;
    fs_err::create_dir_all(out.join("reports"))?;
    replace_file(
        &out.join("reports").join("mirror.json"),
        &serde_json::to_vec_pretty(&report)?,
    )?;
    Ok(report)
}

/// What a file adds to the mirror's report besides its manifest line (boxed: most files add
/// nothing, and every file's result is kept until the manifest is written).
enum Note {
    None,
    Redirect(Box<RedirectLine>),
    NotArchived(Box<NotArchivedLine>),
    NotRewritten(Box<ProblemLine>),
}

/// Files written in parallel before their results are collected.
const WRITE_CHUNK: usize = 256;

/// What writing one file gave.
struct Written {
    line: ManifestLine,
    note: Note,
    findings: Vec<Finding>,
}

/// Where the manifest lines wait, beside `manifest.jsonl`, while the mirror is written.
const SPILL_FILE: &str = "manifest.jsonl.part";

/// What the writing pass keeps of the files it wrote: their manifest lines on disk, in path
/// order ([`Spill`]), and in memory only what few files have: a note for the report, the
/// findings of a document. Nothing of it grows by a line per file.
struct Results {
    spill: Spill,
    /// Lines of files written again after the spill (settling findings), by path; each
    /// replaces the spilled line of its path.
    again: BTreeMap<Box<str>, WrittenLine>,
    notes: BTreeMap<String, Note>,
    findings: BTreeMap<String, Vec<Finding>>,
}

impl Results {
    fn new(spill: Spill) -> Results {
        Results {
            spill,
            again: BTreeMap::new(),
            notes: BTreeMap::new(),
            findings: BTreeMap::new(),
        }
    }

    /// Keeps what writing `key`'s file gave. The line is made here, on the thread that
    /// collects the results, not by the worker: made between a worker's per-file reading
    /// buffers, what outlived them kept the freed space around it from being returned.
    fn keep(&mut self, key: &str, written: Written, again: bool) -> anyhow::Result<()> {
        let Written {
            line,
            note,
            findings,
        } = written;
        let line = WrittenLine::from(&line);
        match note {
            Note::None if again => {
                self.notes.remove(key);
            }
            Note::None => {}
            note => {
                self.notes.insert(key.to_owned(), note);
            }
        }
        if !findings.is_empty() {
            self.findings.insert(key.to_owned(), findings);
        } else if again {
            self.findings.remove(key);
        }
        if again {
            self.again.insert(line.path.clone(), line);
        } else {
            self.spill.push(&line)?;
        }
        Ok(())
    }
}

/// Names every entry's file. Sorted by URL so that names (and collision suffixes) depend only
/// on the set of URLs.
fn assign_paths(catalog: &Catalog) -> MirrorNames {
    let mut mapper = PathMapper::new();
    mapper.reserve(catalog.entries.len());
    let mut order: Vec<(&String, &Entry)> = catalog.entries.iter().collect();
    order.sort_by(|a, b| {
        a.1.url()
            .as_str()
            .cmp(b.1.url().as_str())
            .then(a.0.cmp(b.0))
    });
    for (_, entry) in order {
        mapper.assign(entry.url(), Some(entry.mime()));
    }
    mapper.into_names()
}

impl Plan {
    /// An empty `mirror.new/` (a planted link there is removed, never followed).
    fn clear_staging(&self) -> anyhow::Result<()> {
        if self.root.symlink_metadata().is_ok() {
            fs_err::remove_dir_all(&self.root)?;
        }
        fs_err::create_dir_all(&self.root)?;
        Ok(())
    }

    /// Writes every entry's file, in parallel and in path order (the manifest's), its lines
    /// spilled to `spill`.
    fn write_all(&self, spill: &Path) -> anyhow::Result<Results> {
        let mut order: Vec<(&str, &String)> = Vec::with_capacity(self.catalog.entries.len());
        for (key, entry) in &self.catalog.entries {
            order.push((self.path_of(entry)?.as_str(), key));
        }
        order.sort_unstable();
        let keys: Vec<&String> = order.into_iter().map(|(_, key)| key).collect();
        let mut results = Results::new(Spill::create(spill)?);
        self.write_some(&keys, |key, written| results.keep(key, written, false))?;
        Ok(results)
    }

    /// Writes the files of `keys`, in parallel, a chunk at a time; `keep` takes each file's
    /// result, in the order of `keys`.
    fn write_some(
        &self,
        keys: &[&String],
        mut keep: impl FnMut(&str, Written) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        for chunk in keys.chunks(WRITE_CHUNK) {
            let written: Vec<anyhow::Result<Written>> = chunk
                .par_iter()
                .map(|key| {
                    let entry = self
                        .catalog
                        .entries
                        .get(*key)
                        .with_context(|| format!("no entry for {key}"))?;
                    self.write_entry(entry)
                })
                .collect();
            for (key, written) in chunk.iter().zip(written) {
                keep(key, written?)?;
            }
        }
        Ok(())
    }

    /// Settles what the written documents' links showed, as the survey would have before any
    /// file was named, so that the mirror is the same as if it had. Usually nothing: every link
    /// is answered or out of scope. Otherwise the new "not archived" entries join the catalogue
    /// and get names; when no earlier name moved, only their pages and the documents that link
    /// them are written (again). When a name moved (a collision suffix), a redirect leads to a
    /// new entry (its stub and the links through it change) or a generic body turned out to be
    /// a stylesheet (its type, name and rewriting change), every file is written again, after
    /// the survey's rounds in the last case.
    fn settle_findings(&mut self, mut results: Results, spill: &Path) -> anyhow::Result<Results> {
        let found: BTreeSet<Finding> = results.findings.values().flatten().cloned().collect();
        if found.is_empty() {
            return Ok(results);
        }
        let stylesheet = found.iter().any(|f| matches!(f, Finding::Stylesheet(_)));
        if !stylesheet {
            let linking: Vec<String> = results.findings.keys().cloned().collect();
            // In key order (the catalogue's), so that a key is looked up by bisection.
            let before: Vec<String> = self.catalog.entries.keys().cloned().collect();
            settle(&mut self.catalog, found);
            let paths = assign_paths(&self.catalog);
            let moved = before.iter().any(|key| {
                self.catalog
                    .entries
                    .get(key)
                    .is_none_or(|entry| paths.lookup(entry.url()) != self.paths.lookup(entry.url()))
            });
            self.paths = paths;
            let new: Vec<&String> = self
                .catalog
                .entries
                .keys()
                .filter(|key| before.binary_search(key).is_err())
                .collect();
            let is_new = |key: &String| new.binary_search(&key).is_ok();
            // A redirect to a new entry changes its stub, and every link that follows it (in
            // documents with no finding of their own): those are found only by writing all.
            let redirected = self.catalog.entries.values().any(|entry| {
                matches!(entry, Entry::Redirect { target, .. } if is_new(&dedup_key(target)))
            });
            if !moved && !redirected {
                let keys: Vec<&String> = linking.iter().chain(new.iter().copied()).collect();
                self.write_some(&keys, |key, written| results.keep(key, written, true))?;
                return Ok(results);
            }
        } else {
            survey(&self.warc_dir, &mut self.catalog);
            self.paths = assign_paths(&self.catalog);
        }
        // Everything is written again: the spill of the first pass goes first (its file is
        // where the new one will be).
        drop(results);
        self.clear_staging()?;
        self.write_all(spill)
    }

    fn path_of(&self, entry: &Entry) -> anyhow::Result<&MirrorPath> {
        self.paths
            .lookup(entry.url())
            .with_context(|| format!("no mirror path for {}", entry.url()))
    }

    /// The local file a link to `url` should point at: through redirects to their final target
    /// when it is in the mirror, else the URL's own file (a redirect stub or "not archived" page).
    fn local_target(&self, url: &Url) -> Option<&MirrorPath> {
        let first = dedup_key(url);
        let mut key = first.clone();
        for _ in 0..MAX_REDIRECT_HOPS {
            match self.catalog.entries.get(&key) {
                Some(Entry::Redirect { target, .. }) => {
                    let next = dedup_key(target);
                    if next == key || !self.catalog.entries.contains_key(&next) {
                        break;
                    }
                    key = next;
                }
                Some(entry) => return self.paths.lookup(entry.url()),
                None => return None,
            }
        }
        self.paths.lookup(self.catalog.entries.get(&first)?.url())
    }

    /// Whether following redirects from `url` ends somewhere other than a redirect (a page, a
    /// "not archived" page, an address outside the archive), rather than running in a loop.
    fn leads_somewhere(&self, url: &Url) -> bool {
        let mut key = dedup_key(url);
        let mut seen = HashSet::new();
        while seen.insert(key.clone()) {
            match self.catalog.entries.get(&key) {
                Some(Entry::Redirect { target, .. }) => key = dedup_key(target),
                _ => return true,
            }
        }
        false
    }

    fn write_entry(&self, entry: &Entry) -> anyhow::Result<Written> {
        let path = self.path_of(entry)?.clone();
        let file = safe_join(&self.root, &path)?;
        match entry {
            Entry::Archived(capture) => self.write_archived(capture, path, &file),
            Entry::Redirect { capture, target } => {
                let href = match self.local_target(target) {
                    Some(local) => Some(safe_href(&relative_href(&path, local, target.fragment()))),
                    // Out of the archive: a link to the live web, but only ever to http(s); a
                    // `javascript:`, `data:` or `file:` Location a server sent stays text.
                    None if matches!(target.scheme(), "http" | "https") => Some(target.to_string()),
                    None => None,
                };
                let page = match href {
                    Some(href) => {
                        let forward = self.leads_somewhere(target);
                        pages::redirect_stub(capture.url.as_str(), capture.status, &href, forward)
                    }
                    None => pages::redirect_stub_unlinked(
                        capture.url.as_str(),
                        capture.status,
                        target.as_str(),
                    ),
                };
                let sha1 = write_bytes(&file, page.as_bytes())?;
                let line =
                    ManifestLine::new(&path, Some(capture.url.as_str()), ManifestKind::Redirect)
                        .with_record(capture, true)
                        .with_sha1(sha1);
                let note = Note::Redirect(Box::new(RedirectLine {
                    url: capture.url.to_string(),
                    status: capture.status,
                    target: target.to_string(),
                    path: path.to_string(),
                }));
                Ok(Written {
                    line,
                    note,
                    findings: Vec::new(),
                })
            }
            Entry::NotArchived { url, reason } => {
                let page = pages::not_archived_page(url.as_str(), reason);
                let sha1 = write_bytes(&file, page.as_bytes())?;
                let mut line =
                    ManifestLine::new(&path, Some(url.as_str()), ManifestKind::NotArchived)
                        .with_sha1(sha1);
                line.mime = Some("text/html".to_string());
                line.rewritten = true;
                let note = Note::NotArchived(Box::new(NotArchivedLine {
                    url: url.to_string(),
                    reason: reason.to_string(),
                    path: path.to_string(),
                }));
                Ok(Written {
                    line,
                    note,
                    findings: Vec::new(),
                })
            }
        }
    }

    fn write_archived(
        &self,
        capture: &Capture,
        path: MirrorPath,
        file: &Path,
    ) -> anyhow::Result<Written> {
        let mut note = Note::None;
        let mut rewritten = false;
        let mut found = Vec::new();
        let sha1 = match document_kind(capture) {
            Some(_) => match payload::read_body(&self.warc_dir, capture, MAX_REWRITE) {
                Ok(body) => {
                    let links = scan(&body, capture);
                    found = findings(&links, &self.catalog.entries, self.scope.as_ref());
                    let mut edits = link_edits(links, &path, |url| self.local_target(url));
                    if capture.rendered.is_some() {
                        edits.extend(inert_script_edits(&body));
                    }
                    let (bytes, applied) = splice(&body, edits);
                    rewritten = applied > 0 && bytes != body;
                    write_bytes(file, &bytes)?
                }
                Err(err) => {
                    note = Note::NotRewritten(Box::new(ProblemLine {
                        path: path.to_string(),
                        reason: err.to_string(),
                    }));
                    self.copy_body(capture, file)?
                }
            },
            None => self.copy_body(capture, file)?,
        };
        let line = ManifestLine::new(&path, Some(capture.url.as_str()), ManifestKind::Archived)
            .with_record(capture, rewritten)
            .with_sha1(sha1);
        Ok(Written {
            line,
            note,
            findings: found,
        })
    }

    /// Streams the decoded body into `file`, hashing on the way.
    fn copy_body(&self, capture: &Capture, file: &Path) -> anyhow::Result<String> {
        let mut body = payload::open_body(&self.warc_dir, capture)
            .with_context(|| format!("reading the body of {} from the WARC", capture.url))?;
        let mut out = std::io::BufWriter::new(fs_err::File::create(file)?);
        let mut hasher = crate::warc::digest::BlockDigester::new();
        COPY_BUFFER.with_borrow_mut(|buf| -> anyhow::Result<()> {
            loop {
                let n = match body.read(buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    // A cut-short or corrupt body: keep what could be decoded (the WARC keeps
                    // all).
                    Err(err) => {
                        tracing::warn!("{}: body ends early: {err}", capture.url);
                        break;
                    }
                };
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
            }
            Ok(())
        })?;
        out.flush()?;
        Ok(hasher.finish())
    }

    /// `mirror/index.html`, built from the warcinfo record and the catalog.
    fn write_landing(&self) -> anyhow::Result<ManifestLine> {
        let info = &self.catalog.info;
        let top = MirrorPath::top_index();
        let seeds = info
            .all("arkiv-seed")
            .iter()
            .map(|seed| {
                let local = Url::parse(seed).ok().and_then(|u| {
                    self.local_target(&u)
                        .map(|p| safe_href(&relative_href(&top, p, None)))
                });
                (seed.to_string(), local)
            })
            .collect();
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for entry in self.catalog.entries.values() {
            let label = match entry {
                Entry::Archived(c) if &*c.mime == "text/html" => "Archived pages",
                Entry::Archived(_) => "Archived files (images, styles, scripts, documents)",
                Entry::Redirect { .. } => "Redirects",
                Entry::NotArchived { .. } => "Addresses not archived",
            };
            *counts.entry(label).or_default() += 1;
        }
        let warc_files = self
            .catalog
            .warc_files
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let mut settings = Vec::new();
        for name in ["robots", "http-header-user-agent"] {
            if let Some(value) = info.get(name) {
                settings.push((name.to_string(), value.to_string()));
            }
        }
        // The crawl's own settings, one row each (the warcinfo holds them as one JSON object).
        let recorded = info
            .get("arkiv-settings")
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
        if let Some(serde_json::Value::Object(map)) = recorded {
            for (name, value) in map {
                if matches!(
                    name.as_str(),
                    "software" | "started" | "seeds" | "user_agent"
                ) {
                    continue;
                }
                let value = match value {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                };
                settings.push((name.replace('_', " "), value));
            }
        }
        let notice = info
            .get("arkiv-notice-text")
            .zip(info.get("arkiv-notice-link"))
            .map(|(t, l)| (t.to_string(), l.to_string()));
        let landing = LandingInfo {
            software: info.get("software").unwrap_or("arkiv").to_string(),
            crawl_started: info.date.clone(),
            description: info.get("description").map(str::to_string),
            seeds,
            settings,
            counts: counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            warc_files,
            dedup_from: info.get(crate::dedup::DEDUP_FROM_FIELD).map(str::to_string),
            notice,
        };
        let html = pages::landing_page(&landing);
        let file = safe_join(&self.root, &top)?;
        let sha1 = write_bytes(&file, html.as_bytes())?;
        let mut line = ManifestLine::new(&top, None, ManifestKind::Landing).with_sha1(sha1);
        line.mime = Some("text/html".to_string());
        line.rewritten = true;
        Ok(line)
    }
}

fn write_bytes(file: &Path, bytes: &[u8]) -> anyhow::Result<String> {
    fs_err::write(file, bytes)?;
    Ok(sha1_file_digest(bytes))
}
