//! The one door to the disk: every mirror file's name comes from a URL through this module.
//!
//! `url_to_path` names one URL (see `from_url` for the layout and the query scheme, `name` for the
//! escaping); `PathMapper` names a whole mirror without collisions, also on case-insensitive and
//! normalisation-insensitive file systems (macOS, Windows); `safe_join` turns a name into a real
//! path below the mirror root without ever following a link; `relative_href` writes the link
//! from one mirror file to another. A `MirrorPath` can only be made here, so holding one means
//! the path was checked.

mod extension;
mod from_url;
mod href;
mod join;
mod name;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hasher as _;
use std::path::PathBuf;

use url::Url;

use super::text_hash::TextHash;

pub use from_url::url_to_path;
pub use href::relative_href;
pub use join::safe_join;
pub use name::MAX_COMPONENT_BYTES;

/// A relative path inside the mirror: `/`-separated components, each non-empty, at most
/// `MAX_COMPONENT_BYTES` bytes, NFC, free of characters reserved on Windows and control
/// characters, not `.`/`..`, not ending in a dot or space, not a Windows device name. A literal
/// `%` only appears as a `%XX` escape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MirrorPath(Box<str>);

impl MirrorPath {
    /// The page at the top of the mirror that links to each seed's local copy. `PathMapper`
    /// never hands this name to a URL.
    pub fn top_index() -> Self {
        MirrorPath("index.html".into())
    }

    /// Checks a path read back from somewhere (the manifest, for the verifier).
    pub fn parse(text: &str) -> Result<Self, PathError> {
        for segment in text.split('/') {
            if let Some(reason) = name::problem(segment) {
                return Err(PathError::Invalid {
                    path: text.to_string(),
                    reason,
                });
            }
        }
        Ok(MirrorPath(text.into()))
    }

    /// Wraps a path this module built. Building an invalid one is a bug: tests catch it through
    /// the debug assertion; a release build still stays total and safe with a hashed name.
    fn from_checked(text: String) -> Self {
        let valid = text.split('/').all(|s| name::problem(s).is_none());
        debug_assert!(valid, "url_to_path built an invalid path: {text:?}");
        if valid {
            MirrorPath(text.into_boxed_str())
        } else {
            MirrorPath(format!("@invalid/{}", name::short_hash(&text)).into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components, first (host folder) to last (file name).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for MirrorPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a mirror path cannot be used; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("invalid mirror path {path:?}: {reason}")]
    Invalid { path: String, reason: &'static str },
    #[error("refusing to write through a symbolic link: {}", path.display())]
    Symlink { path: PathBuf },
    #[error("a file is in the way of folder {}", path.display())]
    NotADirectory { path: PathBuf },
    #[error("a folder is in the way of file {}", path.display())]
    NotAFile { path: PathBuf },
    #[error("cannot prepare {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Names every URL of one mirror so that no two share a file.
///
/// Call `assign` in sorted URL order and the result is a pure function of the set of URLs (and
/// their types). Names are compared the way the strictest file system does: case-insensitively
/// (full case folding, as APFS) and after NFC. A later name that clashes gets `~2`, `~3`, … before
/// its extension (`Sag~2.html`). Folders that differ only in case are one folder (the first
/// spelling wins), so the tree is the same on every OS. A folder needed where a file already has
/// the name (`/a` saved as file `a`, then `/a/b`) gets the suffix (`a~2/b`); with a type, `/a`
/// is usually `a.html` and never clashes.
///
/// Memory is one path per URL: the URLs and the folded names are kept as 128-bit hashes, not
/// as text. A URL's hash is keyed afresh for every mapper, so a site cannot choose URLs that
/// share one; a folded name's hash is fixed, so that the names, collision suffixes included,
/// stay a pure function of the URLs (two names sharing a 128-bit hash would only cost the
/// second one a needless suffix, the same in every build of a mirror).
#[derive(Debug, Clone)]
pub struct PathMapper {
    /// Hash of the URL without fragment → its path.
    by_url: HashMap<u128, MirrorPath>,
    url_hash: UrlHash,
    /// Hash of the folded form of every path handed out, files and folders.
    taken: HashSet<u128>,
    /// Folded (assigned parent + wanted folder name) → assigned folder path.
    folders: HashMap<String, String>,
}

impl Default for PathMapper {
    fn default() -> Self {
        Self::new()
    }
}

impl PathMapper {
    /// An empty mapper; the mirror's top `index.html` is reserved.
    pub fn new() -> Self {
        let mut taken = HashSet::new();
        taken.insert(name_hash(&fold(MirrorPath::top_index().as_str())));
        PathMapper {
            by_url: HashMap::new(),
            url_hash: UrlHash::new(),
            taken,
            folders: HashMap::new(),
        }
    }

    /// The path for `url` (fragment ignored). A URL assigned before keeps its path whatever
    /// `mime` says now.
    pub fn assign(&mut self, url: &Url, mime: Option<&str>) -> MirrorPath {
        let key = self.url_hash.of(url);
        if let Some(path) = self.by_url.get(&key) {
            return path.clone();
        }
        let wanted = url_to_path(url, mime);
        let segments: Vec<&str> = wanted.segments().collect();
        let Some((file, dirs)) = segments.split_last() else {
            return wanted;
        };
        let mut parent = String::new();
        for dir in dirs {
            parent = self.folder(&parent, dir);
        }
        let mut n = 1;
        let path = loop {
            let candidate = join(&parent, &numbered(file, n, true));
            if self.taken.insert(name_hash(&fold(&candidate))) {
                break candidate;
            }
            n += 1;
        };
        let path = MirrorPath::from_checked(path);
        self.by_url.insert(key, path.clone());
        path
    }

    /// The path assigned to `url` (fragment ignored), if any.
    pub fn lookup(&self, url: &Url) -> Option<&MirrorPath> {
        self.by_url.get(&self.url_hash.of(url))
    }

    /// Makes room for `more` URLs (one table allocation instead of a doubling series).
    pub fn reserve(&mut self, more: usize) {
        self.by_url.reserve(more);
        self.taken.reserve(more);
    }

    /// The names given, for lookups only: the tables that keep new names unique are dropped.
    pub fn into_names(self) -> MirrorNames {
        MirrorNames {
            by_url: self.by_url,
            url_hash: self.url_hash,
        }
    }

    /// Number of URLs assigned.
    pub fn len(&self) -> usize {
        self.by_url.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_url.is_empty()
    }

    /// The assigned folder for `wanted` below the assigned folder `parent`.
    fn folder(&mut self, parent: &str, wanted: &str) -> String {
        let key = fold(&join(parent, wanted));
        if let Some(assigned) = self.folders.get(&key) {
            return assigned.clone();
        }
        let mut n = 1;
        let assigned = loop {
            let candidate = join(parent, &numbered(wanted, n, false));
            if self.taken.insert(name_hash(&fold(&candidate))) {
                break candidate;
            }
            n += 1;
        };
        self.folders.insert(key, assigned.clone());
        assigned
    }
}

/// The names a [`PathMapper`] gave, by URL (fragment ignored).
#[derive(Debug)]
pub struct MirrorNames {
    by_url: HashMap<u128, MirrorPath>,
    url_hash: UrlHash,
}

impl MirrorNames {
    /// The path given to `url` (fragment ignored), if any.
    pub fn lookup(&self, url: &Url) -> Option<&MirrorPath> {
        self.by_url.get(&self.url_hash.of(url))
    }

    /// Number of URLs named.
    pub fn len(&self) -> usize {
        self.by_url.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_url.is_empty()
    }
}

/// A URL's 128-bit hash: of its text without the fragment, keyed afresh for every mapper.
#[derive(Debug, Clone)]
struct UrlHash(TextHash);

impl UrlHash {
    fn new() -> UrlHash {
        UrlHash(TextHash::new())
    }

    fn of(&self, url: &Url) -> u128 {
        self.0.of(url_key(url))
    }
}

/// The URL's text without its fragment.
fn url_key(url: &Url) -> &str {
    let text = url.as_str();
    match url.fragment() {
        // `#` and the fragment are the text's last bytes.
        Some(fragment) => &text[..text.len() - fragment.len() - 1],
        None => text,
    }
}

/// A fixed 128-bit hash of a folded name: two SipHash runs with fixed keys that differ.
fn name_hash(folded: &str) -> u128 {
    let half = |seed: u8| {
        #[allow(deprecated)] // SipHasher's fixed keys are the point: the same hash every run
        let mut hasher = std::hash::SipHasher::new_with_keys(u64::from(seed), 0x0061_726b_6976);
        hasher.write(folded.as_bytes());
        hasher.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// `name` itself for `n == 1`, else `name~n`, before the extension for files (`a~2.html`).
fn numbered(name: &str, n: usize, is_file: bool) -> String {
    if n == 1 {
        return name.to_string();
    }
    match name::extension_of(name).filter(|_| is_file) {
        Some(ext) => {
            let stem = &name[..name.len() - ext.len() - 1];
            format!("{stem}~{n}.{ext}")
        }
        None => format!("{name}~{n}"),
    }
}

/// The form in which two names collide on some file system: full case folding, then NFC.
fn fold(path: &str) -> String {
    name::nfc(&path.to_uppercase().to_lowercase()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_goes_before_the_extension_of_files_only() {
        assert_eq!(numbered("a.html", 1, true), "a.html");
        assert_eq!(numbered("a.html", 2, true), "a~2.html");
        assert_eq!(numbered("a.b", 3, false), "a.b~3");
        assert_eq!(numbered(".htaccess", 2, true), ".htaccess~2");
    }

    #[test]
    fn a_url_is_its_own_key_without_the_fragment() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(url_key(&url("http://h/a?b#c")), "http://h/a?b");
        assert_eq!(url_key(&url("http://h/a#")), "http://h/a");
        assert_eq!(url_key(&url("http://h/a#x#y")), "http://h/a");
        assert_eq!(url_key(&url("http://h/a")), "http://h/a");
        assert_ne!(name_hash("a"), name_hash("b"));
        assert_eq!(name_hash("a"), name_hash("a"));
    }

    #[test]
    fn fold_matches_case_and_normalisation_twins() {
        assert_eq!(fold("Sag.html"), fold("sag.html"));
        assert_eq!(fold("STRASSE"), fold("straße"));
        assert_eq!(fold("\u{212A}"), fold("k"));
    }

    #[test]
    fn parse_rejects_what_url_to_path_never_builds() {
        for bad in [
            "", "a//b", "../a", "a/./b", "CON", "a/b.", "a\\b", "a:b", "x%zz", "x%2f",
        ] {
            assert!(MirrorPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MirrorPath::parse("host/æ/index@side=2.html").is_ok());
    }
}
