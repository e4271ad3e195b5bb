//! Byte-preserving rewriting: replace the bytes of given spans, keep every other byte as it was.

use std::ops::Range;

use url::Url;

use super::path_map::{MirrorPath, relative_href};
use crate::extract::{FoundUrl, LinkKind};

/// The replacement for every URL `found` in the document that will be the mirror file `from`
/// and that `local_target` maps to a mirror file: a relative, [`safe_href`]-encoded link to it
/// (keeping the fragment). `<base href>` is pointed at the file itself, so that it moves no link;
/// same-document fragments and URLs with no local file stay as written. Feed the result to
/// [`splice`].
pub fn link_edits<'a>(
    found: Vec<FoundUrl>,
    from: &MirrorPath,
    local_target: impl Fn(&Url) -> Option<&'a MirrorPath>,
) -> Vec<(Range<usize>, String)> {
    let mut edits = Vec::new();
    for found in found {
        if found.kind == LinkKind::Base {
            // Links are rewritten relative to the file itself, so the base must not move
            // them: point it at the file's own name.
            edits.push((found.span, safe_href(&relative_href(from, from, None))));
            continue;
        }
        if found.raw.starts_with('#') {
            continue; // same-document fragment: already works from disk
        }
        let Some(url) = &found.url else { continue };
        if let Some(local) = local_target(url) {
            edits.push((
                found.span,
                safe_href(&relative_href(from, local, url.fragment())),
            ));
        }
    }
    edits
}

/// Replaces each span of `source` with its text. Spans must lie inside `source`; overlapping or
/// repeated spans after the first are ignored (a span is rewritten once). Returns the new bytes
/// and how many spans were replaced.
pub fn splice(source: &[u8], mut edits: Vec<(Range<usize>, String)>) -> (Vec<u8>, usize) {
    edits.sort_by_key(|(span, _)| (span.start, span.end));
    let mut out = Vec::with_capacity(source.len() + edits.len() * 8);
    let mut pos = 0;
    let mut applied = 0;
    for (span, text) in edits {
        if span.start < pos || span.end > source.len() || span.start > span.end {
            continue;
        }
        out.extend_from_slice(&source[pos..span.start]);
        out.extend_from_slice(text.as_bytes());
        pos = span.end;
        applied += 1;
    }
    out.extend_from_slice(&source[pos..]);
    (out, applied)
}

/// Makes a relative href safe in every place a span can sit (quoted or unquoted HTML attribute,
/// `srcset`, CSS `url()` or string): characters with a meaning there are percent-encoded, which a
/// browser decodes back to the same file name.
pub fn safe_href(href: &str) -> String {
    let mut out = String::with_capacity(href.len());
    for c in href.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '&' => out.push_str("%26"),
            '\'' => out.push_str("%27"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            ',' => out.push_str("%2C"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            '`' => out.push_str("%60"),
            c if c.is_control() || c.is_whitespace() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_spans_change() {
        let src = b"<a href=\"x\">x</a> <img src='y'>";
        let (out, n) = splice(
            src,
            vec![(28..29, "b/y.png".into()), (9..10, "a.html".into())],
        );
        assert_eq!(n, 2);
        assert_eq!(out, b"<a href=\"a.html\">x</a> <img src='b/y.png'>");
    }

    #[test]
    fn overlaps_and_out_of_range_spans_are_skipped() {
        let (out, n) = splice(
            b"abcdef",
            vec![(1..3, "X".into()), (2..4, "Y".into()), (5..9, "Z".into())],
        );
        assert_eq!((out.as_slice(), n), (&b"aXdef"[..], 1));
    }

    #[test]
    fn safe_href_encodes_what_srcset_and_css_would_misread() {
        assert_eq!(
            safe_href("a b,(c)&'d\".html#x"),
            "a%20b%2C%28c%29%26%27d%22.html#x"
        );
    }
}
