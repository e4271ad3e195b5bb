//! `arkiv diff`: compares two crawls of one site URL by URL (added, removed, changed, unchanged),
//! and for a changed page what changed in its text and links.
//!
//! Decisions, each the one a user comparing a 2026 crawl with a 2031 one would expect:
//! - **The same URL** is the crawl's own de-duplication key (`urls::dedup_key`: canonical form,
//!   session ids removed), the key under which the crawl took a URL once and the mirror shows it.
//!   Not the CDXJ's SURT key: SURT lower-cases paths and queries and drops `www.`, so it would pair
//!   `/Om` with `/om`, which a case-sensitive server serves as two pages. Scheme and port are part
//!   of the key; a site that moved (http → https, a new host, a fixture on another port) is
//!   compared with `--rebase OLD_PREFIX=NEW_PREFIX`.
//! - **What counts**: `response` and `revisit` records (a revisit's payload is the record with its
//!   digest). Requests, metadata, resource and warcinfo records are how a crawl went, not what the
//!   site served. Of several captures of one URL (retries after 429/503, a cut-short body fetched
//!   again) the final one is compared, chosen as the mirror chooses (`Capture::rank`).
//! - **The index**: captures are listed from `indexes/index.cdxj` and each read back from its WARC
//!   record's heads (which also checks the index against the files). A crawl killed before its
//!   end has no index (it is written last) or one that misses the files a resume added: those
//!   WARC files are indexed in memory, with a note, and a truncated tail keeps the whole records
//!   before it. `diff` never writes into either folder: the crawls are evidence.
//! - **Changed** is decided by what a visitor would get (`compare`); dates, record ids and
//!   headers such as `Date` differ between any two crawls and never count.

pub mod archive;
pub mod capture;
pub mod compare;
pub mod page;
pub mod payload;
pub mod rebase;
pub mod render;
pub mod report;
pub mod unified;

use std::path::PathBuf;

use regex::Regex;

pub use archive::{Archive, LoadOptions};
pub use compare::CompareOptions;
pub use rebase::Rebase;
pub use render::{Format, RenderOptions, render};
pub use report::{Aspect, Change, ChangeKind, Counts, DiffReport, Side};

/// Diff lines shown per changed page unless told otherwise.
pub const DEFAULT_MAX_DIFF_LINES: usize = 40;

/// Resolved settings for one run (the CLI builds this; the library never sees a clap type).
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub old: PathBuf,
    pub new: PathBuf,
    /// URLs matching any of these are left out of both crawls.
    pub ignore: Vec<Regex>,
    /// Read the old crawl's URLs under one prefix as under another.
    pub rebase: Vec<Rebase>,
    /// An HTML page whose title, text and links are the same counts as unchanged.
    pub ignore_markup: bool,
    /// Diff lines kept per changed page or text resource.
    pub max_diff_lines: usize,
}

impl DiffOptions {
    /// The defaults a user expects: nothing ignored, no rebasing, markup counts.
    pub fn new(old: impl Into<PathBuf>, new: impl Into<PathBuf>) -> Self {
        DiffOptions {
            old: old.into(),
            new: new.into(),
            ignore: Vec::new(),
            rebase: Vec::new(),
            ignore_markup: false,
            max_diff_lines: DEFAULT_MAX_DIFF_LINES,
        }
    }
}

/// Why a diff could not be made (exit status 2). Differences are never errors.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{0} does not exist or is not a folder")]
    NoFolder(PathBuf),
    #[error(
        "{0} is not an arkiv output folder (it holds no warc/ folder)\nhint: pass the --out folder of an `arkiv crawl`"
    )]
    NotACrawl(PathBuf),
    #[error("{0} holds no WARC files: there is nothing to compare")]
    NoWarcFiles(PathBuf),
    #[error("cannot read the index {path}: {source}")]
    Index {
        path: PathBuf,
        source: crate::warc::cdxj::CdxjError,
    },
    #[error("{path}: names the WARC file {filename:?}, which is not a file in warc/")]
    HostileIndex { path: PathBuf, filename: String },
    #[error(
        "{path}: the line for {url} points at {warc} offset {offset}, which holds {found:?}: the index does not match the WARC files"
    )]
    IndexMismatch {
        path: PathBuf,
        url: String,
        warc: PathBuf,
        offset: u64,
        found: String,
    },
    #[error("cannot read a WARC file: {0}")]
    Warc(#[from] crate::warc::reader::ReadError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Compares the crawl in `options.old` with the one in `options.new`.
pub fn diff(options: &DiffOptions) -> Result<DiffReport, DiffError> {
    let old = Archive::load(
        &options.old,
        LoadOptions {
            ignore: &options.ignore,
            rebase: &options.rebase,
        },
    )?;
    let new = Archive::load(
        &options.new,
        LoadOptions {
            ignore: &options.ignore,
            rebase: &[],
        },
    )?;
    let compare_options = CompareOptions {
        ignore_markup: options.ignore_markup,
        max_diff_lines: options.max_diff_lines,
        rebase: options.rebase.clone(),
    };
    let (changes, counts) = compare::compare(&old, &new, &compare_options);
    let hint = rebase_hint(&old, &new, &counts);
    let side = |archive: &Archive| {
        let (first, last) = archive.dates();
        Side {
            path: archive.path.clone(),
            urls: archive.captures.len(),
            first,
            last,
            index: archive.index,
        }
    };
    let mut notes = old.notes.clone();
    notes.extend(new.notes.iter().cloned());
    Ok(DiffReport {
        old: side(&old),
        new: side(&new),
        counts,
        changes,
        notes,
        hint,
    })
}

/// When no URL is in both crawls and their main origins differ, the likely cause is the same
/// site at another address: say how to compare it.
fn rebase_hint(old: &Archive, new: &Archive, counts: &Counts) -> Option<String> {
    if counts.changed + counts.unchanged > 0 || old.captures.is_empty() || new.captures.is_empty() {
        return None;
    }
    let (from, to) = (old.main_origin()?, new.main_origin()?);
    (from != to).then(|| {
        format!(
            "no URL is in both crawls: the old one is of {from}, the new one of {to}; if they are \
             the same site, compare with --rebase {from}={to}"
        )
    })
}
