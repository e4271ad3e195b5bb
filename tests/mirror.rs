//! Integration tests: the offline mirror built from the WARC records is closed, byte-preserving,
//! reproducible, loads in a real browser without the network, and survives hostile URLs.
//!
//! The HTML and CSS checks read the mirror with parsers of their own (`scraper`, and the small CSS
//! tokenizer in `mirror/css_refs.rs`), never with `src/extract`, so a scanner bug cannot hide
//! itself.

#[path = "mirror/browser.rs"]
mod browser;
#[path = "mirror/bytes.rs"]
mod bytes;
#[path = "mirror/closed.rs"]
mod closed;
#[path = "mirror/css_refs.rs"]
mod css_refs;
#[path = "mirror/hostile.rs"]
mod hostile;

use std::path::Path;

use arkiv::mirror::manifest::{ManifestKind, ManifestLine};

/// Both fixture sites the mirror is checked on.
pub const SITES: [&str; 2] = ["collective-impact", "edge-cases"];

/// `manifest.jsonl` of an output folder, line by line.
pub fn manifest(out: &Path) -> Vec<ManifestLine> {
    let text = fs_err::read_to_string(out.join("manifest.jsonl")).expect("manifest.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("manifest line {l}: {e}")))
        .collect()
}

/// Whether a manifest line's file is HTML or CSS (by the type the mirror gave it).
pub fn is_html(line: &ManifestLine) -> bool {
    line.kind != ManifestKind::Archived
        || matches!(
            line.mime.as_deref(),
            Some("text/html" | "application/xhtml+xml")
        )
}

pub fn is_css(line: &ManifestLine) -> bool {
    line.kind == ManifestKind::Archived && line.mime.as_deref() == Some("text/css")
}
