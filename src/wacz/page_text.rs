//! The visible text of an HTML page, for the full-text search of `pages.jsonl`: what a reader
//! sees in the body, one line per block, whitespace collapsed.
//!
//! html5ever (through scraper) builds the tree a browser would; scripts, styles, templates,
//! `<noscript>` fallbacks (a browser with scripts shows none of them), SVG and MathML internals
//! and `hidden` elements are left out. Nothing is guessed about boilerplate: a frozen site's
//! navigation and its notice are part of what was archived, and search should find them.

use scraper::node::Node;
use scraper::{ElementRef, Html};

/// Longest text kept for one page (a full-text index needs no more, and a monster page must not
/// make a monster line).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Elements whose content is not text a reader sees.
const HIDDEN: &[&str] = &[
    "script", "style", "template", "noscript", "svg", "math", "head", "iframe", "object", "canvas",
    "select", "datalist",
];

/// Elements that start a new line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
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
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// The page's visible text: blocks on lines of their own, runs of whitespace as one space,
/// empty lines dropped, at most [`MAX_TEXT_BYTES`].
pub fn page_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let mut raw = String::new();
    collect(document.root_element(), &mut raw);
    let mut text = String::new();
    for line in raw.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&words.join(" "));
        if text.len() >= MAX_TEXT_BYTES {
            break;
        }
    }
    truncate_at_char(&mut text, MAX_TEXT_BYTES);
    text
}

fn collect(element: ElementRef<'_>, out: &mut String) {
    for child in element.children() {
        match child.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(e) => {
                let name = e.name();
                if HIDDEN.contains(&name) || e.attr("hidden").is_some() {
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    out.push('\n');
                }
                if let Some(child) = ElementRef::wrap(child) {
                    collect(child, out);
                }
                if block {
                    out.push('\n');
                } else if matches!(name, "img" | "input") {
                    // Keep words on either side apart.
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

fn truncate_at_char(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_by_block_without_scripts_or_head() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
                    <nav><a href=/>Forside</a> <a href=/om>Om</a></nav>\
                    <p>Hjemmesiden her   opdateres <b>ikke</b> længere.</p>\
                    <script>var x = 1;</script><noscript>slå JavaScript til</noscript>\
                    <div hidden>skjult</div><ul><li>én</li><li>to</li></ul></body></html>";
        assert_eq!(
            page_text(html),
            "Forside Om\nHjemmesiden her opdateres ikke længere.\nén\nto"
        );
    }

    #[test]
    fn entities_are_decoded_and_the_cap_holds() {
        assert_eq!(page_text("<p>Tom &amp; Jerry&nbsp;!</p>"), "Tom & Jerry !");
        let long = format!("<p>{}</p>", "æ".repeat(MAX_TEXT_BYTES));
        let text = page_text(&long);
        assert!(text.len() <= MAX_TEXT_BYTES && text.len() > MAX_TEXT_BYTES - 4);
    }
}
