//! `url_to_path`: the file name one URL gets in the mirror, on its own (collisions: `PathMapper`).
//!
//! Layout: `host[+port]/dir/…/name`. The scheme is dropped for http and https (one site served over
//! both shares one folder); other schemes live under `@scheme/` (a host never contains `@`).
//! Hosts keep the `url` crate's form: lower case, international names as punycode (`xn--…`),
//! which is how they are written in links and is plain ASCII on every file system.
//!
//! Queries: `name@query.ext`. `@` is escaped (`%40`) everywhere else in a name, so the first `@`
//! always starts the query and a URL with a query can never get the name of one without; the
//! query reads as it was typed (`index@side=2.html`), and a long one keeps a readable prefix plus
//! a hash of the whole (`index@q=aaaa…~3f2a9c01de.html`). With a query the type's extension (or
//! the name's own one, when the type is unknown) is always appended, so the file opens right.

use url::Url;

use super::MirrorPath;
use super::extension::{self, HTML_PAGE, TypeExtension};
use super::name::{self, MAX_NAME_BYTES};

/// Queries longer than this (escaped) are shortened to a prefix and a hash.
const MAX_QUERY_BYTES: usize = 64;

/// Readable part kept of a long query.
const LONG_QUERY_PREFIX_BYTES: usize = 40;

/// Relative paths longer than this get their deepest folders folded into one hashed folder, so
/// that the mirror still opens from a folder a few levels deep on systems with short path limits.
const MAX_PATH_BYTES: usize = 480;

/// Name of an empty path segment (`/a//b`): `@` alone never comes out of escaping.
const EMPTY_SEGMENT: &str = "@";

/// Maps a URL to its relative path in the mirror. Pure and total: every URL gets a valid path.
///
/// `mime` is the response's Content-Type, which decides the extension: `/om` served as
/// `text/html` becomes `om.html`, `/index.php` becomes `index.php.html`, `/a/` becomes
/// `a/index.html`. The fragment is ignored.
pub fn url_to_path(url: &Url, mime: Option<&str>) -> MirrorPath {
    let mut segments: Vec<String> = Vec::new();
    let web = matches!(url.scheme(), "http" | "https");
    if !web {
        segments.push(name::finish(format!("@{}", name::escape(url.scheme()))));
    }
    match url.host_str().filter(|h| !h.is_empty()) {
        Some(host) => {
            let mut folder = name::escape(host);
            if let Some(port) = url.port() {
                folder.push('+');
                folder.push_str(&port.to_string());
            }
            segments.push(name::finish(folder));
        }
        // Special schemes always have a host; keep the layout uniform anyway.
        None if web => segments.push(EMPTY_SEGMENT.to_string()),
        None => {}
    }

    let path = url.path();
    let (dirs, last): (Vec<&str>, &str) = if url.cannot_be_a_base() {
        (Vec::new(), path)
    } else {
        let mut parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let last = parts.pop().unwrap_or("");
        (parts, last)
    };
    for dir in dirs {
        segments.push(if dir.is_empty() {
            EMPTY_SEGMENT.to_string()
        } else {
            name::finish(name::escape(dir))
        });
    }
    segments.push(file_name(last, url.query(), mime));
    fold_deep_folders(&mut segments);
    MirrorPath::from_checked(segments.join("/"))
}

/// The last component: the segment (or `index` for a folder URL), the query, the extension.
fn file_name(raw_last: &str, query: Option<&str>, mime: Option<&str>) -> String {
    let folder_url = raw_last.is_empty();
    let segment = if folder_url {
        "index".to_string()
    } else {
        name::escape(raw_last)
    };
    let own_ext = name::extension_of(&segment).map(str::to_string);
    // A folder URL is a page unless its type says otherwise.
    let rule: Option<TypeExtension> =
        extension::for_mime(mime).or(if folder_url { Some(HTML_PAGE) } else { None });
    let accepted = match (&rule, &own_ext) {
        (Some(rule), Some(ext)) => rule.accepts(ext),
        _ => false,
    };
    let append: Option<String> = match (rule, query) {
        (Some(_), None) if accepted => None,
        (Some(rule), None) => Some(rule.preferred.to_string()),
        (Some(_), Some(_)) if accepted => own_ext,
        (Some(rule), Some(_)) => Some(rule.preferred.to_string()),
        (None, None) => None,
        (None, Some(_)) => own_ext,
    };
    let mut name = segment;
    if let Some(query) = query {
        name.push('@');
        name.push_str(&query_part(query));
    }
    if let Some(ext) = append {
        name.push('.');
        name.push_str(&ext);
    }
    name::finish(name)
}

/// The query as it appears in a name: readable when short, prefix and hash when long.
fn query_part(raw: &str) -> String {
    let readable = name::escape(raw);
    if readable.len() <= MAX_QUERY_BYTES {
        return readable;
    }
    let prefix = name::safe_prefix(&readable, LONG_QUERY_PREFIX_BYTES);
    format!("{prefix}~{}", name::short_hash(raw))
}

/// Keeps the whole path under `MAX_PATH_BYTES`: the host, the file and as many leading folders as
/// fit stay; the remaining folders become one folder named `~` and a hash of their names.
fn fold_deep_folders(segments: &mut Vec<String>) {
    let total = |s: &[String]| s.iter().map(|x| x.len() + 1).sum::<usize>();
    if total(segments) <= MAX_PATH_BYTES || segments.len() < 3 {
        return;
    }
    let Some(file) = segments.pop() else { return };
    let hash_len = 1 + 10 + 1;
    let mut budget = MAX_PATH_BYTES.saturating_sub(file.len() + 1 + hash_len);
    let mut kept = 0;
    for segment in segments.iter() {
        if segment.len() + 1 > budget {
            break;
        }
        budget -= segment.len() + 1;
        kept += 1;
    }
    // The first segment (host or `@scheme`) is always kept, the fold never empty.
    let kept = kept.clamp(1, segments.len().saturating_sub(1).max(1));
    let folded = segments.split_off(kept);
    if !folded.is_empty() {
        segments.push(format!("~{}", name::short_hash(&folded.join("/"))));
    }
    segments.push(file);
    debug_assert!(segments.iter().all(|s| s.len() <= MAX_NAME_BYTES));
}
