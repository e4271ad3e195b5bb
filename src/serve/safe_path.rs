//! Turns a request path into a file below the served folder, or refuses it.
//!
//! The path is split on `/` before anything is decoded, so an encoded slash (`%2F`, `%5C`) can
//! never become a separator; each segment is then percent-decoded once and refused when it is
//! `.` or `..` (in any spelling: `%2e%2e`), holds a slash, backslash, colon or NUL, or is not
//! UTF-8 (arkiv's mirror names are UTF-8). The file is found by walking the segments from the
//! root with `symlink_metadata`: any symlink on the way is refused, whatever it points at, so
//! nothing outside the root is ever opened, and a folder means its `index.html`. What is refused
//! is simply not found (404): a probe learns nothing from the answer.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// What a request path names below the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file, and its path relative to the root (`/`-separated, decoded).
    File { path: PathBuf, relative: String },
    /// A folder asked for without its trailing slash: the client should come back with one, so
    /// that relative links in its `index.html` resolve.
    AddSlash,
}

/// Resolves the raw (still percent-encoded) `request_path` below `root`.
pub fn resolve(root: &Path, request_path: &str) -> Option<Resolved> {
    let rest = request_path.strip_prefix('/')?;
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        if raw.is_empty() {
            continue; // `//` and the trailing slash name nothing of their own
        }
        segments.push(decode_segment(raw)?);
    }
    let mut path = root.to_path_buf();
    for segment in &segments {
        path.push(segment);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let mut relative = segments.join("/");
    if meta.is_dir() {
        if !segments.is_empty() && !request_path.ends_with('/') {
            return Some(Resolved::AddSlash);
        }
        path.push("index.html");
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() {
            return None;
        }
        if !relative.is_empty() {
            relative.push('/');
        }
        relative.push_str("index.html");
    } else if !meta.is_file() {
        return None; // a socket, a device, a fifo
    }
    Some(Resolved::File { path, relative })
}

/// One segment, decoded, or `None` when it could name anything but a plain child.
fn decode_segment(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let bad = decoded == "."
        || decoded == ".."
        || decoded.contains(['/', '\\', ':', '\0'])
        || decoded.chars().any(char::is_control);
    (!bad).then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mirror");
        fs_err::create_dir_all(root.join("host/a b")).unwrap();
        fs_err::write(root.join("index.html"), "top").unwrap();
        fs_err::write(root.join("host/a b/index.html"), "ab").unwrap();
        fs_err::write(root.join("host/æø.html"), "x").unwrap();
        fs_err::write(dir.path().join("secret.txt"), "secret").unwrap();
        dir
    }

    fn file(root: &Path, path: &str) -> Option<String> {
        match resolve(root, path)? {
            Resolved::File { relative, .. } => Some(relative),
            Resolved::AddSlash => Some("<add slash>".into()),
        }
    }

    #[test]
    fn plain_paths_resolve_with_folders_meaning_their_index() {
        let dir = tree();
        let root = dir.path().join("mirror");
        assert_eq!(file(&root, "/").as_deref(), Some("index.html"));
        assert_eq!(
            file(&root, "/host/a%20b/").as_deref(),
            Some("host/a b/index.html")
        );
        assert_eq!(file(&root, "/host/a%20b").as_deref(), Some("<add slash>"));
        assert_eq!(
            file(&root, "/host/%C3%A6%C3%B8.html").as_deref(),
            Some("host/æø.html")
        );
    }

    #[test]
    fn escapes_are_not_found() {
        let dir = tree();
        let root = dir.path().join("mirror");
        for hostile in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/host/..%2f..%2fsecret.txt",
            "/host%2f..%2f..%2fsecret.txt",
            "/..%5csecret.txt",
            "/./index.html",
            "/%00",
            "/host/%ff",
            "relative",
            "/C:/Windows",
            "/../../etc/passwd",
        ] {
            assert_eq!(file(&root, hostile), None, "{hostile}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_followed() {
        let dir = tree();
        let root = dir.path().join("mirror");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join("index.html"), root.join("inside.html")).unwrap();
        assert_eq!(file(&root, "/link.txt"), None);
        assert_eq!(file(&root, "/up/secret.txt"), None);
        assert_eq!(file(&root, "/inside.html"), None);
    }
}
