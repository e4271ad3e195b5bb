//! A page rendered in the browser (`crawl --browser`) is a snapshot: the DOM its scripts built.
//! Run again from `file://`, those scripts would build it a second time (a list shown twice) or
//! tear it down (a script that empties the list before it fetches, then finds no JSON offline),
//! and they would ask for what the snapshot already holds. So every `<script>` of a snapshot is
//! made inert: an attribute `type="text/x-arkiv-inert"` is put first in its start tag, which wins
//! over a `type` the page had (the HTML parser keeps the first of two), so the browser neither
//! runs nor fetches it. The script's bytes and its other attributes stay as they were (its `src`
//! is rewritten like any link, so the file is still there to read). Inline event handler
//! attributes are left alone: they fire only on what a reader does, not on load.

use std::ops::Range;

/// The attribute that makes a script inert, with its leading space.
pub const INERT_TYPE: &str = " type=\"text/x-arkiv-inert\"";

/// Insertions (empty spans) that make every `<script>` start tag of `html` inert. The contents of
/// a script, and of comments, are skipped.
pub fn inert_script_edits(html: &[u8]) -> Vec<(Range<usize>, String)> {
    let mut edits = Vec::new();
    let mut at = 0;
    while let Some(found) = find(html, at, b"<") {
        let rest = &html[found..];
        if rest.starts_with(b"<!--") {
            at = find(html, found + 4, b"-->").map_or(html.len(), |end| end + 3);
            continue;
        }
        if starts_tag(rest, b"<script") {
            let name_end = found + b"<script".len();
            edits.push((name_end..name_end, INERT_TYPE.to_owned()));
            // Script text is raw: nothing in it is a tag until `</script`.
            at = find_ignore_case(html, name_end, b"</script").unwrap_or(html.len());
            if at < html.len() {
                at += b"</script".len();
            }
            continue;
        }
        at = found + 1;
    }
    edits
}

/// Whether `rest` starts with the tag name `tag` (case-insensitive) followed by what ends a tag
/// name.
fn starts_tag(rest: &[u8], tag: &[u8]) -> bool {
    rest.len() > tag.len()
        && rest[..tag.len()].eq_ignore_ascii_case(tag)
        && matches!(
            rest[tag.len()],
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'
        )
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn find_ignore_case(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirror::rewrite::splice;

    fn inert(html: &str) -> String {
        let (bytes, _) = splice(html.as_bytes(), inert_script_edits(html.as_bytes()));
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn every_script_start_tag_gets_the_inert_type_first() {
        assert_eq!(
            inert(r#"<head><script src="a.js" defer></script><SCRIPT type="module">x()</SCRIPT>"#),
            r#"<head><script type="text/x-arkiv-inert" src="a.js" defer></script><SCRIPT type="text/x-arkiv-inert" type="module">x()</SCRIPT>"#
        );
    }

    #[test]
    fn script_text_comments_and_lookalikes_are_left_alone() {
        let html = r#"<script>document.write("<script>")</script><!-- <script> --><scripts><p>"#;
        assert_eq!(
            inert(html),
            r#"<script type="text/x-arkiv-inert">document.write("<script>")</script><!-- <script> --><scripts><p>"#
        );
    }

    #[test]
    fn an_unclosed_script_ends_the_scan() {
        assert_eq!(
            inert("<script>let a = 1 <script"),
            r#"<script type="text/x-arkiv-inert">let a = 1 <script"#
        );
    }
}
