//! URLs in HTTP response headers: `Location`, `Content-Location`, `Link` (RFC 8288) and `Refresh`.

use std::ops::Range;

use url::Url;

use super::decode::decode_mapped;
use super::refresh::refresh_url;
use super::table::link_rel_kind;
use super::{FoundUrl, LinkKind, resolve};

/// A URL in one header; `found.span` is relative to that header's value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderUrl {
    /// Position of the header in the sequence passed to [`scan_headers`].
    pub index: usize,
    pub found: FoundUrl,
}

/// URLs in `headers` (name, raw value), resolved against `base` (the request URL). Values are
/// read as UTF-8, as browsers read `Location`.
pub fn scan_headers<'a, I>(headers: I, base: &Url) -> Vec<HeaderUrl>
where
    I: IntoIterator<Item = (&'a str, &'a [u8])>,
{
    let mut out = Vec::new();
    for (index, (name, value)) in headers.into_iter().enumerate() {
        let mapped = decode_mapped(value, encoding_rs::UTF_8);
        let text = mapped.text.as_str();
        let mut push = |range: Range<usize>, kind: LinkKind, context: &'static str| {
            let raw = text[range.clone()].to_string();
            let url = resolve(base, &raw, encoding_rs::UTF_8);
            let span = mapped.source_range(range);
            out.push(HeaderUrl {
                index,
                found: FoundUrl {
                    span,
                    raw,
                    url,
                    kind,
                    context,
                },
            });
        };
        if name.eq_ignore_ascii_case("location") {
            if let Some(r) = trimmed(text, 0..text.len()) {
                push(r, LinkKind::Redirect, "header@Location");
            }
        } else if name.eq_ignore_ascii_case("content-location") {
            if let Some(r) = trimmed(text, 0..text.len()) {
                push(r, LinkKind::Navigation, "header@Content-Location");
            }
        } else if name.eq_ignore_ascii_case("refresh") {
            if let Some(r) = refresh_url(text) {
                push(r, LinkKind::Refresh, "header@Refresh");
            }
        } else if name.eq_ignore_ascii_case("link") {
            for (r, rel) in link_values(text) {
                push(r, link_rel_kind(&rel), "header@Link");
            }
        }
    }
    out
}

fn trimmed(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let s = &text[range.clone()];
    let start = range.start + (s.len() - s.trim_start().len());
    let end = range.start + s.trim_end().len();
    (start < end).then_some(start..end)
}

/// RFC 8288 `Link` values: each `<target>` with its `rel` parameter (empty when absent).
/// Commas inside `<…>` and quoted strings do not split links.
pub fn link_values(text: &str) -> Vec<(Range<usize>, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // Skip to the next `<`; anything else before it is malformed and ignored.
        let Some(open) = b[i..].iter().position(|&c| c == b'<') else {
            break;
        };
        let start = i + open + 1;
        let Some(close) = b[start..].iter().position(|&c| c == b'>') else {
            break;
        };
        let target = start..start + close;
        i = target.end + 1;
        let mut rel = String::new();
        // Parameters up to the comma that ends this link.
        loop {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            if b[i] == b',' {
                i += 1;
                break;
            }
            if b[i] != b';' {
                i += 1;
                continue;
            }
            i += 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let name_start = i;
            while i < b.len() && !matches!(b[i], b'=' | b';' | b',' | b' ' | b'\t') {
                i += 1;
            }
            let name = &text[name_start..i];
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                continue;
            }
            i += 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let mut value = String::new();
            if b.get(i) == Some(&b'"') {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
                    value.push(c);
                    i += c.len_utf8();
                }
                i += 1;
            } else {
                let start = i;
                while i < b.len() && !matches!(b[i], b';' | b',' | b' ' | b'\t') {
                    i += 1;
                }
                value.push_str(&text[start..i]);
            }
            // The first `rel` wins (RFC 8288 §3.3).
            if name.eq_ignore_ascii_case("rel") && rel.is_empty() {
                rel = value;
            }
        }
        if let Some(r) = trimmed(text, target) {
            out.push((r, rel));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        let base = Url::parse("http://h/dir/page").unwrap();
        let link = br#"</s.css>; rel="preload stylesheet"; as=style, <http://o/n?a,b>;rel=next, <x.js>; title="a, b"; rel=modulepreload"#;
        let headers: Vec<(&str, &[u8])> = vec![
            ("Location", b" /moved "),
            ("content-type", b"text/html"),
            ("Link", link),
            ("Refresh", b"3; url=later"),
            ("Content-Location", b"page.en"),
        ];
        let got = scan_headers(headers.clone(), &base);
        let summary: Vec<_> = got
            .iter()
            .map(|h| {
                let value = headers[h.index].1;
                let written = std::str::from_utf8(&value[h.found.span.clone()]).unwrap();
                let url = h.found.url.as_ref().map(Url::as_str).unwrap_or("");
                (written, url.to_string(), h.found.kind)
            })
            .collect();
        let want = [
            ("/moved", "http://h/moved", LinkKind::Redirect),
            ("/s.css", "http://h/s.css", LinkKind::Requisite),
            ("http://o/n?a,b", "http://o/n?a,b", LinkKind::Navigation),
            ("x.js", "http://h/dir/x.js", LinkKind::Requisite),
            ("later", "http://h/dir/later", LinkKind::Refresh),
            ("page.en", "http://h/dir/page.en", LinkKind::Navigation),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b, c)| (*a, b.to_string(), *c))
            .collect();
        assert_eq!(summary, want);
    }
}
