//! What a diff found: one [`Change`] per URL that differs, the counts, and notes for the user.

use std::path::PathBuf;

use serde::Serialize;

use super::capture::Capture;
use crate::exit::Exit;

/// How one URL differs between the two crawls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// In both crawls, and something that matters differs.
    Changed,
    /// Only in the new crawl.
    Added,
    /// Only in the old crawl.
    Removed,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Changed, ChangeKind::Added, ChangeKind::Removed];

    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// A link (or embedded resource) of a page, as a changed link set names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Link {
    /// Resolved against the page (the old crawl's after `--rebase`).
    pub url: String,
    /// Where the page names it, as the link table spells it (`a@href`, `img@srcset`, `css@url`).
    pub context: &'static str,
}

/// A unified diff of two texts' lines, cut at the line cap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TextChange {
    /// Lines only in the new text.
    pub added: usize,
    /// Lines only in the old text.
    pub removed: usize,
    /// The diff's lines (`@@` hunk headers, then ` `, `-` or `+` and the line), up to the cap.
    pub diff: Vec<String>,
    /// Diff lines left out by the cap.
    pub omitted: usize,
}

/// One thing that differs about a URL. A changed URL has at least one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "aspect", rename_all = "kebab-case")]
pub enum Aspect {
    /// The HTTP status differs.
    Status { old: u16, new: u16 },
    /// The media type (or the charset it names) differs.
    ContentType { old: String, new: String },
    /// A redirect's target differs, or the URL started or stopped redirecting (`None`: no redirect).
    Redirect {
        old: Option<String>,
        new: Option<String>,
    },
    /// The payload's bytes differ: digests and sizes (the entity body as archived).
    Payload {
        old_digest: Option<String>,
        new_digest: Option<String>,
        old_size: Option<u64>,
        new_size: Option<u64>,
    },
    /// One side's record is cut short (`WARC-Truncated`), so its payload is incomplete.
    Truncated {
        old: Option<String>,
        new: Option<String>,
    },
    /// An HTML page's `<title>`.
    Title {
        old: Option<String>,
        new: Option<String>,
    },
    /// The extracted text (visible text of a page; lines of a text resource).
    Text(TextChange),
    /// An HTML page's links and embedded resources.
    Links {
        added: Vec<Link>,
        removed: Vec<Link>,
    },
    /// The bytes of an HTML page differ, but not its title, visible text or links: markup,
    /// attributes, comments, scripts, styles or whitespace.
    Markup,
    /// What could not be compared beyond the digests, and why.
    Unavailable { detail: String },
}

/// One URL that differs.
#[derive(Debug, Clone)]
pub struct Change {
    /// The URL compared: the new crawl's, or the old crawl's after `--rebase`.
    pub url: String,
    pub kind: ChangeKind,
    pub old: Option<Capture>,
    pub new: Option<Capture>,
    /// Empty for added and removed URLs.
    pub aspects: Vec<Aspect>,
}

/// How many URLs fell in each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub unchanged: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    /// Captures left out by `--ignore` (both crawls together).
    pub ignored: usize,
    /// HTML pages whose bytes differ but not their title, text or links (counted as changed,
    /// or with `--ignore-markup` as unchanged).
    pub markup_only: usize,
}

impl Counts {
    pub fn of(&self, kind: ChangeKind) -> usize {
        match kind {
            ChangeKind::Changed => self.changed,
            ChangeKind::Added => self.added,
            ChangeKind::Removed => self.removed,
        }
    }
}

/// One of the two crawls, as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// URLs compared (after `--ignore`).
    pub urls: usize,
    /// The earliest and latest capture, `YYYYMMDDhhmmss`.
    pub first: Option<String>,
    pub last: Option<String>,
    /// Where the captures were listed from: `cdxj` (the crawl's index) or `warc` (rebuilt in
    /// memory from the WARC files, the folder has no usable index).
    pub index: &'static str,
}

/// A path in JSON even when it is not UTF-8 (serde refuses such a path, and the whole report with it).
fn lossy_path<S: serde::Serializer>(
    path: &std::path::Path,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

/// Everything one `arkiv diff` found.
#[derive(Debug, Clone)]
pub struct DiffReport {
    pub old: Side,
    pub new: Side,
    pub counts: Counts,
    /// Changed, added and removed URLs, each group in URL order.
    pub changes: Vec<Change>,
    /// What the user should know about how the comparison was made (an index rebuilt from the
    /// WARC files, a truncated WARC tail); printed on stderr.
    pub notes: Vec<String>,
    /// How to get a meaningful comparison when the one made looks wrong (no URL in common).
    pub hint: Option<String>,
}

impl DiffReport {
    /// True when no URL was added, removed or changed.
    pub fn identical(&self) -> bool {
        self.changes.is_empty()
    }

    /// 0 when nothing changed, 1 when something did.
    pub fn exit(&self) -> Exit {
        if self.identical() {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }
}
