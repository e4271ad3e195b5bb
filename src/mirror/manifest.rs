//! `manifest.jsonl`: one line per mirror file, tying it to the WARC record it derives from.

use serde::{Deserialize, Serialize};

use super::catalog::{Capture, Digest};
use super::path_map::MirrorPath;

/// What a mirror file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    /// An archived response's body (decoded; URLs rewritten in HTML and CSS).
    Archived,
    /// A stub page for a URL that answered with a redirect.
    Redirect,
    /// A page for an in-scope URL the crawl did not archive.
    NotArchived,
    /// The mirror's own `index.html`.
    Landing,
}

/// One line of the manifest (schema documented in the README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestLine {
    /// Relative to `mirror/`, `/`-separated.
    pub path: String,
    pub url: Option<String>,
    pub kind: ManifestKind,
    /// WARC file (in `warc/`) holding the payload.
    pub warc: Option<String>,
    /// Gzip member offset of that record.
    pub offset: Option<u64>,
    pub status: Option<u16>,
    pub mime: Option<String>,
    /// The record's `WARC-Payload-Digest`.
    pub payload_digest: Option<String>,
    /// `sha1:<base32>` of the file as written.
    pub sha1: String,
    /// False when the file equals the decoded payload byte for byte.
    pub rewritten: bool,
    /// For a page rendered in the browser (`crawl --browser`): the `conversion` record the
    /// file was made from (`warc`/`offset` still name the response it refers to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<RenderedFrom>,
}

/// Where a rendered page's `conversion` record is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedFrom {
    pub warc: String,
    pub offset: u64,
}

impl ManifestLine {
    pub fn new(path: &MirrorPath, url: Option<&str>, kind: ManifestKind) -> ManifestLine {
        ManifestLine {
            path: path.as_str().to_string(),
            url: url.map(str::to_string),
            kind,
            warc: None,
            offset: None,
            status: None,
            mime: None,
            payload_digest: None,
            sha1: String::new(),
            rewritten: false,
            rendered: None,
        }
    }

    pub fn with_record(mut self, capture: &Capture, rewritten: bool) -> ManifestLine {
        // The capture's own record (a revisit names its original through WARC-Refers-To).
        self.warc = Some(capture.record.file.name.to_string());
        self.offset = Some(capture.record.offset);
        self.status = Some(capture.status);
        self.mime = Some(capture.mime.to_string()).filter(|m| !m.is_empty());
        self.payload_digest = capture.payload_digest.as_ref().map(Digest::text);
        self.rewritten = rewritten;
        self.rendered = capture.rendered.as_ref().map(|at| RenderedFrom {
            warc: at.file.name.to_string(),
            offset: at.offset,
        });
        self
    }

    pub fn with_sha1(mut self, sha1: String) -> ManifestLine {
        self.sha1 = sha1;
        self
    }
}

/// A manifest line as it will be written (its JSON text) with its path, the sort key of the
/// manifest: two allocations per mirror file where the parsed line takes seven.
#[derive(Debug)]
pub struct WrittenLine {
    pub path: Box<str>,
    pub json: Box<str>,
    /// Of the line's fields, what the mirror's report counts.
    pub kind: ManifestKind,
    pub rewritten: bool,
}

impl From<&ManifestLine> for WrittenLine {
    fn from(line: &ManifestLine) -> WrittenLine {
        WrittenLine {
            path: line.path.as_str().into(),
            json: serde_json::to_string(line)
                .expect("a manifest line has only strings, numbers and flags")
                .into(),
            kind: line.kind,
            rewritten: line.rewritten,
        }
    }
}

/// `sha1:<base32>` of bytes, the form WARC digests take.
pub fn sha1_file_digest(bytes: &[u8]) -> String {
    crate::warc::digest::sha1_digest(bytes)
}
