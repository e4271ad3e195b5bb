//! Points the links of a replayed page or style sheet at the replay, pywb-style: every URL the
//! crawl's scanners find (the same table of attributes and CSS constructs the mirror rewrites)
//! becomes `/<timestamp>/<url>`, so the page's images, styles and frames come from the archive,
//! and its links lead on through it. Only the bytes of those URLs change.
//!
//! What the page needs (images, CSS, scripts, frames, the base URL, a refresh) always points at
//! the replay, archived or not, so a replay never loads anything from the live web; a link a
//! reader may follow keeps its original address when the archive holds nothing of it (a
//! notice's link to the successor site, say), as in the mirror.

use url::Url;

use super::capture_index::CaptureIndex;
use crate::extract::{CssOptions, FoundUrl, HtmlOptions, LinkKind, scan_css, scan_html};

/// The replay URL of `url` at `timestamp`: `/<timestamp>/<url>`, with the characters that could
/// end an attribute or a CSS token percent-encoded (the replay finds a URL by its SURT key,
/// which reads `%28` and `(` alike).
pub fn replay_path(timestamp: &str, url: &Url) -> String {
    let mut out = format!("/{timestamp}/");
    for c in url.as_str().chars() {
        match c {
            '"' | '\'' | '(' | ')' | '&' | '\\' | '<' | '>' | '`' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_whitespace() || c.is_control() => {
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

/// An HTML page with its URLs pointed at the replay.
pub fn rewrite_html(
    body: &[u8],
    page: &Url,
    charset: Option<&'static encoding_rs::Encoding>,
    timestamp: &str,
    index: &CaptureIndex,
) -> Vec<u8> {
    let scan = scan_html(body, page, HtmlOptions::default().with_charset(charset));
    splice(body, scan.urls, timestamp, index)
}

/// A style sheet with its URLs pointed at the replay.
pub fn rewrite_css(
    body: &[u8],
    sheet: &Url,
    charset: Option<&'static encoding_rs::Encoding>,
    timestamp: &str,
    index: &CaptureIndex,
) -> Vec<u8> {
    let options = CssOptions {
        charset,
        ..CssOptions::default()
    };
    let scan = scan_css(body, sheet, &options);
    splice(body, scan.urls, timestamp, index)
}

fn splice(body: &[u8], mut found: Vec<FoundUrl>, timestamp: &str, index: &CaptureIndex) -> Vec<u8> {
    found.sort_by_key(|f| (f.span.start, f.span.end));
    let mut out = Vec::with_capacity(body.len() + found.len() * 24);
    let mut at = 0;
    for link in found {
        let Some(url) = &link.url else { continue };
        if !matches!(url.scheme(), "http" | "https")
            || link.span.start < at
            || link.span.end > body.len()
            || link.raw.starts_with('#')
        {
            continue;
        }
        let follow = matches!(link.kind, LinkKind::Navigation | LinkKind::Form);
        if follow && !index.contains(url) {
            continue;
        }
        out.extend_from_slice(&body[at..link.span.start]);
        out.extend_from_slice(replay_path(timestamp, url).as_bytes());
        at = link.span.end;
    }
    out.extend_from_slice(&body[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warc::CdxjEntry;

    fn index_of(urls: &[&str]) -> CaptureIndex {
        CaptureIndex::new(
            urls.iter()
                .map(|u| {
                    let url = Url::parse(u).unwrap();
                    CdxjEntry {
                        surt: crate::urls::surt::surt(&url),
                        timestamp: "20260101000000".into(),
                        url: u.to_string(),
                        mime: Some("text/html".into()),
                        status: Some("200".into()),
                        digest: None,
                        length: 1,
                        offset: 0,
                        filename: "f".into(),
                    }
                })
                .collect(),
        )
    }

    #[test]
    fn requisites_always_and_links_when_archived_point_at_the_replay() {
        let index = index_of(&["http://h/om/"]);
        let page = Url::parse("http://h/").unwrap();
        let html = b"<link rel=stylesheet href='/a.css'><a href=\"om/\">Om</a> \
                     <a href=\"https://successor.example/\">ny</a> <a href=\"#top\">top</a> \
                     <img srcset=\"x.png 1x, y.png 2x\"><p style=\"background:url(b.png)\">";
        let out = String::from_utf8(rewrite_html(html, &page, None, "2026", &index)).unwrap();
        assert!(out.contains("href='/2026/http://h/a.css'"), "{out}");
        assert!(out.contains("href=\"/2026/http://h/om/\""), "{out}");
        assert!(out.contains("href=\"https://successor.example/\""), "{out}");
        assert!(out.contains("href=\"#top\""), "{out}");
        assert!(
            out.contains("srcset=\"/2026/http://h/x.png 1x, /2026/http://h/y.png 2x\""),
            "{out}"
        );
        assert!(out.contains("url(/2026/http://h/b.png)"), "{out}");
    }

    #[test]
    fn style_sheets_point_at_the_replay() {
        let index = index_of(&[]);
        let sheet = Url::parse("http://h/css/main.css").unwrap();
        let css = b"@import \"fonts.css\"; body { background: url('../img/a b.png') }";
        let out = String::from_utf8(rewrite_css(css, &sheet, None, "2026", &index)).unwrap();
        assert!(
            out.contains("@import \"/2026/http://h/css/fonts.css\""),
            "{out}"
        );
        assert!(out.contains("url('/2026/http://h/img/a%20b.png')"), "{out}");
    }

    #[test]
    fn replay_paths_cannot_break_out_of_an_attribute() {
        let url = Url::parse("http://h/p?a='1'&b=(2)").unwrap();
        let path = replay_path("2026", &url);
        assert!(!path.contains(['\'', '"', '(', ')', '&', ' ']), "{path}");
    }
}
