//! Whether a body is read as HTML, as CSS or not at all: by its media type, by how it was linked,
//! and, when the label is generic, by sniffing its first decoded bytes as a browser would.

use crate::extract::sniff::{is_generic_mime, sniff_mime};

/// How many decoded bytes the sniffing looks at (WHATWG MIME sniffing reads up to 1 445; the
/// markers it looks for sit in the first few hundred).
pub const SNIFF_BYTES: usize = 1024;

/// How a body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Html,
    Css,
    /// Anything else: archived and mirrored as it is, not read for links.
    Other,
}

/// What a body's kind is decided from.
#[derive(Debug, Clone, Copy)]
pub struct BodyFacts<'a> {
    /// The media type of its `Content-Type` (see [`super::media_type`]); empty without one.
    pub media_type: &'a str,
    /// It was linked as a stylesheet (`<link rel=stylesheet>`, `@import`, a CSS `url()`).
    pub linked_as_stylesheet: bool,
    /// Its first bytes, content coding undone (up to [`SNIFF_BYTES`]).
    pub start: &'a [u8],
}

/// Whether a URL found in `context` (`link@href`, `css@import`, …) was linked as a stylesheet;
/// `requisite` says a `<link>` is one the page needs (`rel=stylesheet`, not `rel=next`).
pub fn linked_as_stylesheet(context: &str, requisite: bool) -> bool {
    (context == "link@href" && requisite) || context.ends_with("@import")
}

/// The kind of a body. A stylesheet served as `text/plain` is still a stylesheet to the page
/// that links it, and an HTML page served as `application/octet-stream` still a page: a generic
/// label is looked behind; a specific one (an image, a PDF) is believed.
pub fn classify(facts: BodyFacts<'_>) -> BodyKind {
    match facts.media_type {
        "text/html" | "application/xhtml+xml" => return BodyKind::Html,
        "text/css" => return BodyKind::Css,
        _ => {}
    }
    if !is_generic_mime(facts.media_type) {
        return BodyKind::Other;
    }
    if facts.linked_as_stylesheet {
        return BodyKind::Css;
    }
    if sniff_mime(facts.start) == Some("text/html") {
        return BodyKind::Html;
    }
    BodyKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(media_type: &str, stylesheet: bool, start: &[u8]) -> BodyKind {
        classify(BodyFacts {
            media_type,
            linked_as_stylesheet: stylesheet,
            start,
        })
    }

    #[test]
    fn labels_are_believed_unless_generic() {
        assert_eq!(kind("text/html", false, b""), BodyKind::Html);
        assert_eq!(kind("text/css", false, b""), BodyKind::Css);
        assert_eq!(kind("image/png", true, b"<html>"), BodyKind::Other);
        assert_eq!(kind("text/plain", true, b"a{}"), BodyKind::Css);
        assert_eq!(kind("", false, b"<!DOCTYPE html><p>"), BodyKind::Html);
        assert_eq!(
            kind("application/octet-stream", false, b"\x89PNG\r\n"),
            BodyKind::Other
        );
    }
}
