//! Link discovery: which HTML attributes and CSS constructs carry URLs (one table, shared with the mirror rewriter), and finding them with their byte positions.
//!
//! Every scanner here reports [`FoundUrl`]s whose `span` is a byte range of the *original* input,
//! so the crawler can follow `url` and the mirror can splice a replacement into `span` without
//! touching any other byte. Replacements should be percent-encoded so that they contain no quote,
//! whitespace, `&`, `(`, `)` or backslash: then they are valid in every place a span can sit
//! (quoted or unquoted HTML attribute, CSS `url()` or string, header value).

use std::ops::Range;

use url::Url;

pub mod css;
pub mod decode;
pub mod headers;
pub mod html;
pub mod refresh;
pub mod sitemap;
pub mod sniff;
pub mod srcset;
pub mod table;
pub mod tag;

pub use css::{CssOptions, CssScan, scan_css};
pub use headers::{HeaderUrl, scan_headers};
pub use html::{HtmlOptions, HtmlScan, HtmlScanner, scan_html};
pub use sitemap::{Sitemap, SitemapError, SitemapKind, SitemapOptions, parse_sitemap};
pub use table::LinkKind;

/// One URL found in a document, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUrl {
    /// Bytes of the URL text in the original input, as written (entities, escapes and all),
    /// without surrounding quotes or whitespace.
    pub span: Range<usize>,
    /// The URL text after decoding the charset, entities and CSS escapes, trimmed.
    pub raw: String,
    /// `raw` resolved against the base URL; `None` for `data:` and `javascript:` URLs and for
    /// text that does not parse as a URL.
    pub url: Option<Url>,
    /// What the link is for (follow it, fetch it as part of the page, …).
    pub kind: LinkKind,
    /// Where it was found, as `element@attribute` (`"img@srcset"`) or `css@url`, `header@Link`, ….
    pub context: &'static str,
}

/// Resolves `raw` as a browser would; `None` for schemes that are not fetched (`data:`,
/// `javascript:`) and for text that is no URL. `encoding` is the document's encoding, used for
/// the query string of special URLs (HTML's "encoding-parse a URL"); CSS and headers pass UTF-8.
pub(crate) fn resolve(
    base: &Url,
    raw: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Option<Url> {
    let output = encoding.output_encoding();
    let encode: &dyn Fn(&str) -> std::borrow::Cow<'_, [u8]> = &move |s| output.encode(s).0;
    let parsed = if output == encoding_rs::UTF_8 {
        Url::options().base_url(Some(base)).parse(raw)
    } else {
        Url::options()
            .base_url(Some(base))
            .encoding_override(Some(encode))
            .parse(raw)
    };
    let url = parsed.ok()?;
    match url.scheme() {
        "data" | "javascript" => None,
        _ => Some(url),
    }
}
