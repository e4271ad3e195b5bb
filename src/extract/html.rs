//! A streaming HTML scanner: every URL the table names, with its byte span in the original document.
//!
//! lol_html tokenizes and tells us where each start tag and each `<style>` text run sits; our own
//! [`parse_start_tag`] then finds the attribute values inside the tag's raw bytes. URLs are
//! resolved in [`HtmlScanner::finish`], because the first `<base href>` governs the whole document
//! (HTML's "frozen base URL"), even links written before it.

use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use encoding_rs::Encoding;
use lol_html::html_content::TextType;
use lol_html::send::{HtmlRewriter, Settings};
use lol_html::{AsciiCompatibleEncoding, OutputSink, doc_text, element, text};
use url::Url;

use super::css::css_urls;
use super::decode::{Mapped, decode_entities, decode_entities_text, decode_mapped};
use super::refresh::refresh_url;
use super::sniff::{PRESCAN_BYTES, sniff_html};
use super::srcset::srcset_urls;
use super::table::{Condition, LinkKind, Namespace, ValueSyntax, link_rel_kind, rules_for};
use super::tag::parse_start_tag;
use super::{FoundUrl, resolve};

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// What the scanner knows about the document beyond its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlOptions {
    /// The charset of the HTTP `Content-Type` (see [`super::sniff::charset_from_content_type`]).
    pub charset: Option<&'static Encoding>,
    /// Also collect the visible text, node by node ([`HtmlScan::text`]).
    pub visible_text: bool,
}

impl HtmlOptions {
    pub fn with_charset(mut self, charset: Option<&'static Encoding>) -> Self {
        self.charset = charset;
        self
    }

    pub fn with_visible_text(mut self, visible_text: bool) -> Self {
        self.visible_text = visible_text;
        self
    }
}

/// Everything a scan found.
#[derive(Debug, Clone)]
pub struct HtmlScan {
    /// In document order. Includes the `<base href>` itself (kind [`LinkKind::Base`]).
    pub urls: Vec<FoundUrl>,
    /// The first `<base href>` that resolves: the span of its value and the URL it sets.
    pub base_href: Option<(Range<usize>, Url)>,
    /// The encoding the page was read in.
    pub encoding: &'static Encoding,
    /// The first `<title>`, entities decoded and whitespace collapsed.
    pub title: Option<String>,
    /// With [`HtmlOptions::visible_text`]: every text node a reader sees (the title, body text;
    /// not scripts, styles or `<noscript>`), entities decoded, white space collapsed, empty
    /// ones left out, in document order.
    pub text: Vec<String>,
    /// Why scanning stopped early, if it did (an encoding lol_html cannot read, such as UTF-16).
    pub error: Option<String>,
}

/// A URL found but not yet resolved.
#[derive(Debug)]
struct Pending {
    span: Range<usize>,
    raw: String,
    kind: LinkKind,
    context: &'static str,
    /// CSS URLs resolve with UTF-8; HTML attributes with the page's encoding.
    css: bool,
}

#[derive(Debug, Default)]
struct Shared {
    doc: Vec<u8>,
    encoding: Option<&'static Encoding>,
    pending: Vec<Pending>,
    /// `<style>` and `<noscript>` contents, scanned at the end.
    runs: Vec<(RunKind, Range<usize>)>,
    open_run: Option<(RunKind, Range<usize>)>,
    title: Option<String>,
    title_done: bool,
    /// Visible text nodes so far, and the one still open.
    text: Vec<String>,
    open_text: String,
}

impl Shared {
    /// Adds a chunk of a visible text node, closing the node on its last chunk.
    fn text_chunk(&mut self, chunk: &str, last: bool) {
        self.open_text.push_str(chunk);
        if last {
            let raw = std::mem::take(&mut self.open_text);
            let decoded = decode_entities_text(&raw).text;
            let text = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                self.text.push(text);
            }
        }
    }
}

/// Raw-text content scanned after the document: lol_html (like a browser with scripting on)
/// treats `<noscript>` as text, but its markup is what a visitor without scripts saw, and its
/// images (lazy-loading fallbacks) are worth archiving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Style,
    Noscript,
}

impl Shared {
    /// Extends the open text run with a chunk at `at`, closing it on the node's last chunk.
    fn text_run(&mut self, kind: RunKind, at: Range<usize>, last: bool) {
        let run = match self.open_run.take() {
            Some((_, run)) => run.start..at.end.max(run.end),
            None => at,
        };
        if last {
            self.runs.push((kind, run));
        } else {
            self.open_run = Some((kind, run));
        }
    }

    /// Scans the collected runs: CSS for `<style>`, markup for `<noscript>` (unless `nested`).
    fn scan_runs(&mut self, encoding: &'static Encoding, nested: bool) {
        if let Some(run) = self.open_run.take() {
            self.runs.push(run);
        }
        for (kind, run) in std::mem::take(&mut self.runs) {
            let Some(bytes) = self.doc.get(run.clone()) else {
                continue;
            };
            match kind {
                RunKind::Style => {
                    let mapped = decode_mapped(bytes, encoding).shifted(run.start);
                    self.pending.extend(css_pending(&mapped, "style"));
                }
                RunKind::Noscript if !nested => {
                    let inner = scan_fragment(bytes, encoding);
                    self.pending.extend(inner.into_iter().map(|mut p| {
                        p.span = p.span.start + run.start..p.span.end + run.start;
                        p
                    }));
                }
                RunKind::Noscript => {}
            }
        }
    }
}

/// The URLs of markup inside `<noscript>`, spans relative to `bytes`.
fn scan_fragment(bytes: &[u8], encoding: &'static Encoding) -> Vec<Pending> {
    let Some(ascii) = AsciiCompatibleEncoding::new(encoding) else {
        return Vec::new();
    };
    let shared = Arc::new(Mutex::new(Shared {
        doc: bytes.to_vec(),
        ..Shared::default()
    }));
    let mut rewriter = HtmlRewriter::new(settings(&shared, ascii, false), Discard);
    // Errors only stop the fragment early; what was found so far stands.
    if rewriter.write(bytes).is_ok() {
        let _ = rewriter.end();
    }
    let mut inner = std::mem::take(&mut *lock(&shared));
    inner.scan_runs(encoding, true);
    inner.pending
}

struct Discard;

impl OutputSink for Discard {
    fn handle_chunk(&mut self, _: &[u8]) {}
}

enum Phase {
    /// Collecting the first bytes for the encoding prescan.
    Sniffing,
    Parsing(Box<HtmlRewriter<'static, Discard>>),
    Stopped,
}

/// Feeds a document in chunks of any size; the result does not depend on the chunking.
pub struct HtmlScanner {
    base: Url,
    options: HtmlOptions,
    shared: Arc<Mutex<Shared>>,
    phase: Phase,
    error: Option<String>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A handler never panics while holding the lock; recover the data if one somehow did.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl HtmlScanner {
    /// A scanner for the document at `base` (its URL, after redirects).
    pub fn new(base: &Url, options: HtmlOptions) -> Self {
        HtmlScanner {
            base: base.clone(),
            options,
            shared: Arc::new(Mutex::new(Shared::default())),
            phase: Phase::Sniffing,
            error: None,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        match &mut self.phase {
            Phase::Sniffing => {
                let len = {
                    let mut shared = lock(&self.shared);
                    shared.doc.extend_from_slice(chunk);
                    shared.doc.len()
                };
                if len >= PRESCAN_BYTES {
                    self.start();
                }
            }
            Phase::Parsing(rewriter) => {
                lock(&self.shared).doc.extend_from_slice(chunk);
                if let Err(e) = rewriter.write(chunk) {
                    self.error = Some(e.to_string());
                    self.phase = Phase::Stopped;
                }
            }
            Phase::Stopped => lock(&self.shared).doc.extend_from_slice(chunk),
        }
    }

    /// Decides the encoding from the bytes so far and hands them to lol_html.
    fn start(&mut self) {
        let head = {
            let mut shared = lock(&self.shared);
            let (encoding, _) = sniff_html(&shared.doc, self.options.charset);
            shared.encoding = Some(encoding);
            shared.doc.clone()
        };
        let encoding = lock(&self.shared).encoding.unwrap_or(encoding_rs::UTF_8);
        let Some(ascii) = AsciiCompatibleEncoding::new(encoding) else {
            self.error = Some(format!("cannot scan a page in {}", encoding.name()));
            self.phase = Phase::Stopped;
            return;
        };
        let mut rewriter = Box::new(HtmlRewriter::new(
            settings(&self.shared, ascii, self.options.visible_text),
            Discard,
        ));
        self.phase = match rewriter.write(&head) {
            Ok(()) => Phase::Parsing(rewriter),
            Err(e) => {
                self.error = Some(e.to_string());
                Phase::Stopped
            }
        };
    }

    /// Ends the document and resolves every URL found.
    pub fn finish(mut self) -> HtmlScan {
        if matches!(self.phase, Phase::Sniffing) {
            self.start();
        }
        if let Phase::Parsing(rewriter) = std::mem::replace(&mut self.phase, Phase::Stopped)
            && let Err(e) = rewriter.end()
        {
            self.error = Some(e.to_string());
        }
        let mut shared = std::mem::take(&mut *lock(&self.shared));
        if !shared.open_text.is_empty() {
            shared.text_chunk("", true);
        }
        let encoding = shared.encoding.unwrap_or(encoding_rs::UTF_8);
        shared.scan_runs(encoding, false);
        shared.pending.sort_by_key(|p| p.span.start);
        // The frozen base URL: the first `<base href>`, unless it fails or is data:/javascript:.
        let base_href = shared
            .pending
            .iter()
            .find(|p| p.kind == LinkKind::Base)
            .and_then(|p| Some((p.span.clone(), resolve(&self.base, &p.raw, encoding)?)));
        let base = base_href.as_ref().map_or(&self.base, |(_, url)| url);
        let urls = shared
            .pending
            .into_iter()
            .map(|p| {
                let against = if p.kind == LinkKind::Base {
                    &self.base
                } else {
                    base
                };
                let charset = if p.css { encoding_rs::UTF_8 } else { encoding };
                FoundUrl {
                    url: resolve(against, &p.raw, charset),
                    span: p.span,
                    raw: p.raw,
                    kind: p.kind,
                    context: p.context,
                }
            })
            .collect();
        let title = shared.title.map(|t| {
            let text = decode_entities_text(&t).text;
            text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
        });
        HtmlScan {
            urls,
            base_href,
            encoding,
            title,
            text: shared.text,
            error: self.error,
        }
    }
}

fn settings(
    shared: &Arc<Mutex<Shared>>,
    encoding: AsciiCompatibleEncoding,
    visible_text: bool,
) -> Settings<'static, 'static> {
    let on_text = Arc::clone(shared);
    let document_content_handlers = if visible_text {
        vec![doc_text!(move |chunk| {
            // Data is body text, RCData the title (and textarea); scripts, styles and
            // `<noscript>` (raw text to a parser with scripting on) are not what a reader sees.
            if matches!(chunk.text_type(), TextType::Data | TextType::RCData) {
                lock(&on_text).text_chunk(chunk.as_str(), chunk.last_in_text_node());
            }
            Ok(())
        })]
    } else {
        Vec::new()
    };
    let on_element = Arc::clone(shared);
    let on_style = Arc::clone(shared);
    let on_title = Arc::clone(shared);
    let on_noscript = Arc::clone(shared);
    let page_encoding: &'static Encoding = encoding.into();
    Settings {
        element_content_handlers: vec![
            element!("*", move |el| {
                let namespace = match el.namespace_uri() {
                    HTML_NAMESPACE => Namespace::Html,
                    SVG_NAMESPACE => Namespace::Svg,
                    _ => return Ok(()),
                };
                let name = el.tag_name();
                let mut shared = lock(&on_element);
                let at = el.source_location().bytes();
                let found = scan_tag(&shared.doc, at, namespace, &name, page_encoding);
                shared.pending.extend(found);
                Ok(())
            }),
            text!("style", move |chunk| {
                let at = chunk.source_location().bytes();
                lock(&on_style).text_run(RunKind::Style, at, chunk.last_in_text_node());
                Ok(())
            }),
            text!("noscript", move |chunk| {
                let at = chunk.source_location().bytes();
                lock(&on_noscript).text_run(RunKind::Noscript, at, chunk.last_in_text_node());
                Ok(())
            }),
            text!("title", move |chunk| {
                let mut shared = lock(&on_title);
                if !shared.title_done {
                    shared
                        .title
                        .get_or_insert_with(String::new)
                        .push_str(chunk.as_str());
                    shared.title_done = chunk.last_in_text_node();
                }
                Ok(())
            }),
        ],
        document_content_handlers,
        encoding,
        strict: false,
        ..Settings::new_send()
    }
}

/// Scans a whole document at once.
pub fn scan_html(bytes: &[u8], base: &Url, options: HtmlOptions) -> HtmlScan {
    let mut scanner = HtmlScanner::new(base, options);
    scanner.feed(bytes);
    scanner.finish()
}

fn css_pending(mapped: &Mapped, context: &'static str) -> impl Iterator<Item = Pending> {
    css_urls(&mapped.text).into_iter().map(move |hit| Pending {
        span: mapped.source_range(hit.span),
        raw: hit.raw,
        kind: LinkKind::Requisite,
        context: if context == "style" {
            match hit.context {
                "css@import" => "style@import",
                "css@image-set" => "style@image-set",
                _ => "style@url",
            }
        } else {
            context
        },
        css: true,
    })
}

fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// The URLs in one start tag at `at` in `doc`.
fn scan_tag(
    doc: &[u8],
    at: Range<usize>,
    namespace: Namespace,
    name: &str,
    encoding: &'static Encoding,
) -> Vec<Pending> {
    let Some(bytes) = doc.get(at.clone()) else {
        return Vec::new();
    };
    let tag = parse_start_tag(bytes);
    let value_text = |attr: &str| -> Option<String> {
        let raw = tag.value(bytes, attr)?;
        Some(decode_entities(&decode_mapped(raw, encoding).text).text)
    };
    let mut found = Vec::new();
    for rule in rules_for(namespace, name) {
        let Some(attr) = tag.attr(bytes, rule.attribute) else {
            continue;
        };
        let mut kind = rule.kind;
        match rule.condition {
            Condition::Always => {}
            Condition::LinkRel => kind = link_rel_kind(&value_text("rel").unwrap_or_default()),
            Condition::InputTypeImage => {
                let image =
                    value_text("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("image"));
                if !image {
                    continue;
                }
            }
            Condition::HttpEquivRefresh => {
                let refresh = value_text("http-equiv")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("refresh"));
                if !refresh {
                    continue;
                }
            }
        }
        let value_start = at.start + attr.value.start;
        let charset = decode_mapped(&bytes[attr.value.clone()], encoding);
        let mapped = decode_entities(&charset.text)
            .through(&charset)
            .shifted(value_start);
        let text = mapped.text.as_str();
        let ranges: Vec<Range<usize>> = match rule.syntax {
            ValueSyntax::Url => {
                let start = text.len() - text.trim_start_matches(is_space).len();
                let end = text.trim_end_matches(is_space).len();
                (start < end).then_some(start..end).into_iter().collect()
            }
            ValueSyntax::Srcset => srcset_urls(text),
            ValueSyntax::MetaRefresh => refresh_url(text).into_iter().collect(),
            ValueSyntax::Css => {
                found.extend(css_pending(&mapped, rule.context));
                continue;
            }
        };
        found.extend(ranges.into_iter().map(|r| Pending {
            span: mapped.source_range(r.clone()),
            raw: text[r].to_string(),
            kind,
            context: rule.context,
            css: false,
        }));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://h/p").unwrap()
    }

    #[test]
    fn scanner_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<HtmlScanner>();
    }

    #[test]
    fn unterminated_style_and_first_title() {
        let doc = b"<title>One</title><title>Two</title><style>a{b:url(x.png)}";
        let scan = scan_html(doc, &page(), HtmlOptions::default());
        assert_eq!(scan.title.as_deref(), Some("One"));
        assert_eq!(scan.urls.len(), 1);
        assert_eq!(&doc[scan.urls[0].span.clone()], b"x.png");
    }

    #[test]
    fn visible_text_is_collected_node_by_node() {
        let doc = "<title>Forside &amp; mere</title><style>p{}</style><script>var x=1</script>\
                   <p>Hjemmesiden  her\n opdateres <b>ikke</b> længere.</p><!-- skjult -->\
                   <noscript><img src=x.png></noscript>   ";
        let scan = scan_html(
            doc.as_bytes(),
            &page(),
            HtmlOptions::default().with_visible_text(true),
        );
        assert_eq!(
            scan.text,
            [
                "Forside & mere",
                "Hjemmesiden her opdateres",
                "ikke",
                "længere."
            ]
        );
        let plain = scan_html(doc.as_bytes(), &page(), HtmlOptions::default());
        assert!(plain.text.is_empty());
    }

    #[test]
    fn utf16_pages_are_reported_not_misread() {
        let doc = b"\xFF\xFE<\0a\0";
        let scan = scan_html(doc, &page(), HtmlOptions::default());
        assert_eq!(scan.encoding, encoding_rs::UTF_16LE);
        assert!(scan.urls.is_empty());
        assert!(scan.error.is_some());
    }

    #[test]
    fn duplicate_attributes_and_unresolvable_base() {
        let doc = b"<base href=\"http://[bad/\"><a HREF=first.html href=second.html>";
        let scan = scan_html(doc, &page(), HtmlOptions::default());
        assert_eq!(scan.base_href, None);
        let a = scan.urls.iter().find(|f| f.context == "a@href").unwrap();
        assert_eq!(a.url.as_ref().map(Url::as_str), Some("http://h/first.html"));
    }
}
