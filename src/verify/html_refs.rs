//! Finds every URL-bearing attribute, inline style and `<style>` URL of an HTML page with `scraper`
//! (html5ever), and the page's fragment targets. Independent of the lol_html rewriter on purpose.
//!
//! html5ever gives no source positions, so line numbers come from finding each value in the
//! source text, moving forward in document order (the DOM order is the source order of tags).

use std::collections::HashSet;

use scraper::{Html, Node};

use super::css_refs::find_css_urls;

/// Which `(element, attribute)` pairs carry one URL. `*` is any element.
const URL_ATTRS: &[(&str, &str)] = &[
    ("a", "href"),
    ("area", "href"),
    ("link", "href"),
    ("img", "src"),
    ("source", "src"),
    ("script", "src"),
    ("iframe", "src"),
    ("frame", "src"),
    ("embed", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("object", "data"),
    ("input", "src"),
    ("*", "background"),
    // Lazy loading: a script moves these into src/srcset.
    ("img", "data-src"),
    ("iframe", "data-src"),
];

/// Elements whose `srcset` (and lazy `data-srcset`) holds a list of candidates.
const SRCSET_ELEMENTS: &[&str] = &["img", "source"];

/// `rel` keywords that make a `<link href>` part of the page rather than a way elsewhere.
const REQUISITE_RELS: &[&str] = &[
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "mask-icon",
    "preload",
    "modulepreload",
    "manifest",
];

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// One reference found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlRef {
    pub url: String,
    pub line: Option<u32>,
    /// Marked `class="arkiv-original"`: an original address shown on purpose.
    pub original: bool,
    /// Something the page shows or runs (an image, a stylesheet, a script, a frame, a CSS
    /// `url()`), not a link the reader may follow.
    pub embedded: bool,
}

/// What one page offers and points to.
#[derive(Debug, Default)]
pub struct HtmlScan {
    pub refs: Vec<HtmlRef>,
    /// `id` values and `<a name>` values: what a `#fragment` may name.
    pub anchors: HashSet<String>,
    /// The `href` of the first `<base href>` (and its line): relative references resolve against
    /// it, not against the page (HTML spec, "document base URL").
    pub base: Option<(String, Option<u32>)>,
}

/// Decodes page bytes: BOM, then `<meta charset>` in the first 1024 bytes, then `hint` (the HTTP
/// charset), else UTF-8. Undecodable bytes become U+FFFD rather than failing the check.
pub fn decode_html(bytes: &[u8], hint: Option<&str>) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let from_meta = head.find("charset=").and_then(|p| {
        let label: String = head[p + 8..]
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        encoding_rs::Encoding::for_label(label.as_bytes())
    });
    let encoding = from_meta
        .or_else(|| hint.and_then(|h| encoding_rs::Encoding::for_label(h.trim().as_bytes())))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Maps byte offsets in a source to 1-based line numbers, searching forward for values.
pub struct LineLocator<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
    cursor: usize,
}

impl<'a> LineLocator<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            source,
            line_starts,
            cursor: 0,
        }
    }

    pub fn line_of(&self, offset: usize) -> u32 {
        let index = self.line_starts.partition_point(|&s| s <= offset);
        index as u32
    }

    /// The offset of `needle` at or after the cursor (else anywhere), moving the cursor past it.
    /// Tries the text as parsed and with `&` written as `&amp;`, as it usually is in markup.
    pub fn find(&mut self, needle: &str) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        let escaped = needle.replace('&', "&amp;");
        let candidates = [needle, escaped.as_str()];
        for from in [self.cursor, 0] {
            for candidate in candidates {
                if let Some(pos) = self.source.get(from..).and_then(|s| s.find(candidate)) {
                    let at = from + pos;
                    self.cursor = at + candidate.len();
                    return Some(at);
                }
            }
        }
        None
    }

    pub fn find_line(&mut self, needle: &str) -> Option<u32> {
        self.find(needle).map(|at| self.line_of(at))
    }
}

/// Scans one page's source.
pub fn scan_html(source: &str) -> HtmlScan {
    let document = Html::parse_document(source);
    let mut locator = LineLocator::new(source);
    let mut scan = HtmlScan::default();
    for node in document.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        let name = element.name();
        if let Some(id) = element.attr("id") {
            scan.anchors.insert(id.to_string());
        }
        if name == "a"
            && let Some(anchor) = element.attr("name")
        {
            scan.anchors.insert(anchor.to_string());
        }
        let original = element.has_class(
            "arkiv-original",
            scraper::CaseSensitivity::AsciiCaseInsensitive,
        );
        let navigation = matches!(name, "a" | "area")
            || (name == "link"
                && !element.attr("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|w| REQUISITE_RELS.iter().any(|r| r.eq_ignore_ascii_case(w)))
                }));
        let mut push = |url: &str, line: Option<u32>, embedded: bool| {
            scan.refs.push(HtmlRef {
                url: url.to_string(),
                line,
                original,
                embedded,
            });
        };
        if name == "base"
            && scan.base.is_none()
            && let Some(href) = element.attr("href")
        {
            let line = locator.find_line(href);
            scan.base = Some((href.to_string(), line));
        }
        let svg = &*element.name.ns == SVG_NS;
        for (attr, value) in element.attrs() {
            let single = URL_ATTRS
                .iter()
                .any(|(e, a)| *a == attr && (*e == "*" || *e == name))
                || (svg && attr == "href");
            if single {
                let line = locator.find_line(value);
                push(value, line, !(navigation && attr == "href"));
            } else if matches!(attr, "srcset" | "data-srcset") && SRCSET_ELEMENTS.contains(&name) {
                for candidate in srcset_urls(value) {
                    let line = locator.find_line(candidate);
                    push(candidate, line, true);
                }
            } else if attr == "style" {
                let base = locator.find(value);
                for css in find_css_urls(value) {
                    let line = base.map(|b| locator.line_of(b + css.offset));
                    push(&css.url, line, true);
                }
            } else if attr == "content"
                && name == "meta"
                && element
                    .attr("http-equiv")
                    .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
                && let Some(url) = refresh_url(value)
            {
                let line = locator.find_line(url);
                push(url, line, false);
            }
        }
        if name == "style" {
            let text: String = node
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            let base = locator.find(&text);
            for css in find_css_urls(&text) {
                let line = base.map(|b| locator.line_of(b + css.offset));
                scan.refs.push(HtmlRef {
                    url: css.url,
                    line,
                    original: false,
                    embedded: true,
                });
            }
        }
    }
    scan
}

/// The URLs of a `srcset` value (candidates split at commas, descriptors dropped).
pub fn srcset_urls(srcset: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let bytes = srcset.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let url = srcset[start..i].trim_end_matches(',');
        let ended_with_comma = srcset[start..i].ends_with(',');
        if !url.is_empty() {
            urls.push(url);
        }
        if !ended_with_comma {
            // Skip the descriptors up to the next comma that is not inside parentheses.
            let mut depth = 0usize;
            while i < bytes.len() {
                match bytes[i] {
                    b'(' => depth += 1,
                    b')' => depth = depth.saturating_sub(1),
                    b',' if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
        }
    }
    urls
}

/// The URL of a meta refresh `content` (`5; url=page.html`), if it names one.
pub fn refresh_url(content: &str) -> Option<&str> {
    let (_, rest) = content.split_once([';', ','])?;
    let rest = rest.trim_start();
    let rest = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("url") {
        rest[3..].trim_start().strip_prefix('=')?.trim_start()
    } else {
        rest
    };
    let rest = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
        _ => rest.trim_end(),
    };
    (!rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcset_candidates() {
        assert_eq!(
            srcset_urls("a.png 1x, b.png 2x,c.png"),
            ["a.png", "b.png", "c.png"]
        );
        assert_eq!(srcset_urls("a,b.png 100w, c.png"), ["a,b.png", "c.png"]);
        assert!(srcset_urls(" , ").is_empty());
    }

    #[test]
    fn refresh_forms() {
        assert_eq!(refresh_url("0; url=a.html"), Some("a.html"));
        assert_eq!(refresh_url("0;URL='b c.html'"), Some("b c.html"));
        assert_eq!(refresh_url("5"), None);
    }

    #[test]
    fn finds_refs_with_lines() {
        let html = "<p>\n<a href=\"x.html#y\">x</a>\n<img srcset=\"a.png 1x, b.png 2x\">\n\
                    <div id=\"top\" style=\"background:url(c.png)\"></div>\n\
                    <svg><use xlink:href=\"s.svg#i\"/></svg><style>\nb{background:url(d.png)}</style>";
        let scan = scan_html(html);
        let found: Vec<(&str, Option<u32>)> =
            scan.refs.iter().map(|r| (r.url.as_str(), r.line)).collect();
        assert_eq!(
            found,
            [
                ("x.html#y", Some(2)),
                ("a.png", Some(3)),
                ("b.png", Some(3)),
                ("c.png", Some(4)),
                ("s.svg#i", Some(5)),
                ("d.png", Some(6)),
            ]
        );
        assert!(scan.anchors.contains("top"));
        assert_eq!(scan.base, None);
    }

    #[test]
    fn first_base_href_counts() {
        let html = "<head>\n<base target=\"_top\"><base href=\"/b/\">\n<base href=\"/c/\"></head>";
        let scan = scan_html(html);
        assert_eq!(scan.base, Some(("/b/".to_string(), Some(2))));
        assert!(scan.refs.is_empty());
    }
}
