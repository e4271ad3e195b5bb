//! What a reader sees of a page: its title, its visible text as lines, and its links; and the
//! lines of a text resource. Whitespace is collapsed and blank lines dropped, so reflowed markup
//! and re-indented stylesheets compare equal: a whitespace-only change is no change of text.
//!
//! Links come from the crawler's own link table (`extract::scan_html`), so "a link was added" means
//! what the crawl would follow or fetch; the visible text comes from html5ever (`scraper`), which
//! builds the tree a browser would (implied `<p>` ends, misnested tags).

use std::collections::BTreeMap;

use scraper::{Html, Node};
use url::Url;

use super::rebase::{Rebase, rebased};
use crate::extract::sniff::charset_from_content_type;
use crate::extract::{HtmlOptions, LinkKind, scan_html};
use crate::urls::dedup_key;

/// Elements whose content a reader never sees.
const HIDDEN: &[&str] = &[
    "head", "script", "style", "template", "noscript", "iframe", "object", "canvas",
];

/// Elements that start and end a line of text (CSS `display: block` and table parts by default).
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// An HTML page as a reader meets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub title: Option<String>,
    /// Visible text, one line per block, whitespace collapsed.
    pub lines: Vec<String>,
    /// Every URL the page links to or embeds, by its key (`urls::dedup_key`, so a link that
    /// differs only in a session id or a fragment is the same link): the URL as resolved and
    /// rebased, and where it first appears.
    pub links: BTreeMap<String, (String, &'static str)>,
}

/// Reads an HTML page archived at `url`, in the charset its `Content-Type`, BOM or `<meta>`
/// names; its links are rebased with `rebase` (the old crawl's) so both sides compare.
pub fn read_page(body: &[u8], url: &Url, content_type: Option<&str>, rebase: &[Rebase]) -> Page {
    let charset = content_type.and_then(charset_from_content_type);
    let scan = scan_html(body, url, HtmlOptions::default().with_charset(charset));
    let mut links = BTreeMap::new();
    for found in &scan.urls {
        if found.kind == LinkKind::Base {
            continue;
        }
        if let Some(link) = &found.url {
            let link = rebased(link, rebase);
            links
                .entry(dedup_key(&link))
                .or_insert((link.to_string(), found.context));
        }
    }
    let (text, _, _) = scan.encoding.decode(body);
    let document = Html::parse_document(&text);
    Page {
        title: scan.title.filter(|t| !t.is_empty()),
        lines: visible_lines(&document),
        links,
    }
}

/// The lines of a text resource (CSS, JavaScript, JSON, XML, plain text), decoded by its BOM or
/// charset (else UTF-8), each with its whitespace collapsed; blank lines dropped.
pub fn text_lines(body: &[u8], content_type: Option<&str>) -> Vec<String> {
    let charset = content_type
        .and_then(charset_from_content_type)
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = charset.decode(body);
    text.lines()
        .map(collapse)
        .filter(|line| !line.is_empty())
        .collect()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A step of the walk over the tree: entering a node, or leaving an element.
enum Step<N> {
    Open(N),
    Close(N),
}

/// The document's visible text, one line per block. Walks with its own stack: a hostile page
/// can nest elements deeper than a recursive walk's stack allows.
fn visible_lines(document: &Html) -> Vec<String> {
    let mut lines = Lines::default();
    let mut hidden = 0usize;
    let mut pre = 0usize;
    let mut stack = vec![Step::Open(document.tree.root())];
    while let Some(step) = stack.pop() {
        match step {
            Step::Open(node) => {
                match node.value() {
                    Node::Text(text) if hidden == 0 => {
                        if pre > 0 {
                            for (i, part) in text.split('\n').enumerate() {
                                if i > 0 {
                                    lines.break_line();
                                }
                                lines.push_text(part);
                            }
                        } else {
                            lines.push_text(text);
                        }
                        continue;
                    }
                    Node::Element(element) => {
                        let name = element.name();
                        if name == "br" {
                            lines.break_line();
                            continue;
                        }
                        if HIDDEN.contains(&name) || element.attr("hidden").is_some() {
                            hidden += 1;
                        }
                        if BLOCKS.contains(&name) {
                            lines.break_line();
                        }
                        if name == "pre" {
                            pre += 1;
                        }
                        stack.push(Step::Close(node));
                    }
                    Node::Document | Node::Fragment => {}
                    _ => continue,
                }
                stack.extend(node.children().rev().map(Step::Open));
            }
            Step::Close(node) => {
                let Node::Element(element) = node.value() else {
                    continue;
                };
                let name = element.name();
                if HIDDEN.contains(&name) || element.attr("hidden").is_some() {
                    hidden -= 1;
                }
                if BLOCKS.contains(&name) {
                    lines.break_line();
                }
                if name == "pre" {
                    pre -= 1;
                }
            }
        }
    }
    lines.finish()
}

/// Collects text into lines, collapsing whitespace across text nodes the way inline layout does
/// (`Hel<b>lo</b> world` is `Hello world`).
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    current: String,
    space: bool,
}

impl Lines {
    fn push_text(&mut self, text: &str) {
        if text.starts_with(char::is_whitespace) {
            self.space = true;
        }
        for (i, word) in text.split_whitespace().enumerate() {
            if (i > 0 || self.space) && !self.current.is_empty() {
                self.current.push(' ');
            }
            self.current.push_str(word);
            self.space = false;
        }
        if text.ends_with(char::is_whitespace) {
            self.space = true;
        }
    }

    fn break_line(&mut self) {
        if !self.current.is_empty() {
            self.lines.push(std::mem::take(&mut self.current));
        }
        self.space = false;
    }

    fn finish(mut self) -> Vec<String> {
        self.break_line();
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(html: &str) -> Vec<String> {
        visible_lines(&Html::parse_document(html))
    }

    #[test]
    fn text_is_one_line_per_block_with_whitespace_collapsed() {
        assert_eq!(
            lines(
                "<title>T</title><style>p{}</style><h1>Om  os</h1>\n<p>Hel<b>lo</b>\n   world<br>ny linje</p>\
                 <script>var x;</script><ul><li>a</li><li> b </li></ul><div hidden>skjult</div>æøå"
            ),
            ["Om os", "Hello world", "ny linje", "a", "b", "æøå"]
        );
    }

    #[test]
    fn reflowed_markup_is_the_same_text() {
        let a = "<p>Collective Impact er en metode</p>";
        let b = "<div>\n  <p>\n    Collective   Impact\n    er en metode\n  </p>\n</div>";
        assert_eq!(lines(a), lines(b));
    }

    #[test]
    fn a_deeply_nested_page_does_not_overflow_the_stack() {
        let html = format!(
            "{}dybt{}",
            "<span>".repeat(100_000),
            "</span>".repeat(100_000)
        );
        assert_eq!(lines(&html), ["dybt"]);
    }

    #[test]
    fn links_are_resolved_rebased_and_named_by_context() {
        let url = Url::parse("http://127.0.0.1:4000/om/").expect("url");
        let rebase = Rebase::parse("http://127.0.0.1:4000=http://127.0.0.1:5000").expect("rebase");
        let page = read_page(
            b"<title> Om  os </title><a href=\"../kontakt\">k</a><img src=\"logo.png\">",
            &url,
            Some("text/html; charset=utf-8"),
            &[rebase],
        );
        assert_eq!(page.title.as_deref(), Some("Om os"));
        assert_eq!(
            page.links.into_values().collect::<Vec<_>>(),
            [
                ("http://127.0.0.1:5000/kontakt".to_string(), "a@href"),
                ("http://127.0.0.1:5000/om/logo.png".to_string(), "img@src"),
            ]
        );
    }

    #[test]
    fn a_session_id_or_a_fragment_does_not_make_another_link() {
        let url = Url::parse("http://h/").expect("url");
        let links = |html: &str| read_page(html.as_bytes(), &url, None, &[]).links;
        let a = links("<a href=\"/s/;jsessionid=1A4B774F4BAFF805\">x</a><a href=\"/p#a\">y</a>");
        let b = links("<a href=\"/s/;jsessionid=6C72ACAAFD79EDF8\">x</a><a href=\"/p#b\">y</a>");
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    }

    #[test]
    fn text_resources_ignore_whitespace_only_changes() {
        assert_eq!(
            text_lines(b"a {\n  color: red;\n}\n\n", Some("text/css")),
            text_lines(b"a {\n\tcolor:  red;\n}", None)
        );
    }
}
