//! `relative_href`: the link written into one mirror file to reach another.
//!
//! Hrefs are pure ASCII: every byte outside a small safe set is percent-encoded as UTF-8. Chromium
//! and Firefox both percent-decode `file://` paths as UTF-8 on Linux, macOS and Windows, so `æ`
//! written as `%C3%A6` opens `æ.html` everywhere, and an ASCII href means the same in a page kept
//! in windows-1252 or Shift_JIS (the rewriter does not re-encode pages) and in CSS. `%` becomes
//! `%25` (names contain literal `%XX` escapes), and `#`, `?`, space, `:`, quotes, `&`, `<`, `>`,
//! parentheses and back-slashes are encoded so the href survives HTML attributes, unquoted CSS
//! `url()` and never reads as a scheme, query or fragment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::MirrorPath;

/// Everything but ALPHA / DIGIT and `-._~!$+,;=@` is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// Characters the fragment may keep besides its existing `%XX` escapes (`?` and `/` are fine in
/// a fragment).
const FRAGMENT: &AsciiSet = &SEGMENT.remove(b'/').remove(b'?');

/// The href that leads from the file at `from` to the file at `to`, with `#fragment` if given
/// (as the `url` crate gives it: already percent-encoded; existing `%XX` escapes are kept).
///
/// `relative_href(a/b/c.html, a/d/e.html, Some("x"))` is `../d/e.html#x`.
pub fn relative_href(from: &MirrorPath, to: &MirrorPath, fragment: Option<&str>) -> String {
    let from_segments: Vec<&str> = from.segments().collect();
    let to_segments: Vec<&str> = to.segments().collect();
    let from_dirs = &from_segments[..from_segments.len().saturating_sub(1)];
    let to_dirs = &to_segments[..to_segments.len().saturating_sub(1)];
    let common = from_dirs
        .iter()
        .zip(to_dirs)
        .take_while(|(a, b)| a == b)
        .count();

    let mut href = "../".repeat(from_dirs.len() - common);
    let rest: Vec<String> = to_segments[common..]
        .iter()
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect();
    href.push_str(&rest.join("/"));
    if let Some(fragment) = fragment {
        href.push('#');
        href.push_str(&encode_fragment(fragment));
    }
    href
}

/// Encodes a fragment for an href, keeping valid `%XX` escapes as they are.
fn encode_fragment(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = String::with_capacity(fragment.len());
    let mut start = 0;
    for (i, c) in fragment.char_indices() {
        if c != '%' {
            continue;
        }
        out.extend(utf8_percent_encode(&fragment[start..i], FRAGMENT));
        let escape = bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        out.push_str(if escape { "%" } else { "%25" });
        start = i + 1;
    }
    out.extend(utf8_percent_encode(&fragment[start..], FRAGMENT));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_keep_escapes_and_encode_the_rest() {
        assert_eq!(encode_fragment("a%20b"), "a%20b");
        assert_eq!(encode_fragment("100%"), "100%25");
        assert_eq!(encode_fragment("x'y\"z"), "x%27y%22z");
        assert_eq!(encode_fragment("ø"), "%C3%B8");
    }
}
