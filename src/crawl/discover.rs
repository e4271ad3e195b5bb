//! Finds the links in one fetched response: its headers, and its body read as HTML, CSS or a
//! sitemap (decoded first: content encoding undone with a size cap, charset honoured).

use url::Url;

use super::fetch::Exchange;
use super::task::Hop;
use super::traps::Fingerprint;
use crate::content::coding as content_coding;
use crate::content::kind::{BodyFacts, linked_as_stylesheet};
use crate::content::{self, SNIFF_BYTES};
use crate::extract::sitemap::SitemapKind;
use crate::extract::{self, CssOptions, FoundUrl, HtmlOptions, LinkKind};

/// A link found in a response.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub url: Url,
    pub hop: Hop,
    /// Where it was written (`img@srcset`, `css@url`, `header@Link`, `sitemap@loc`).
    pub context: String,
    /// Whether the crawl may fetch it (form targets are recorded but not followed).
    pub follow: bool,
}

/// What discovery found in one response.
#[derive(Debug, Default)]
pub struct Discovery {
    pub links: Vec<Discovered>,
    /// What an HTML page's visible text consists of (see `traps::fingerprint`); `None` for
    /// other bodies and for pages that could not be read.
    pub fingerprint: Option<Fingerprint>,
}

/// What kind of document a body is, for link extraction: [`content::BodyKind`], or a sitemap
/// (which only how it was found says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Html,
    Css,
    Sitemap,
    Other,
}

/// Every link in `exchange` (headers and body), and an HTML page's fingerprint. `hop` is how
/// the URL itself was found: a sitemap is read as a sitemap whatever its content type says. CPU
/// work runs off the async threads.
pub async fn links_of(
    exchange: &Exchange,
    url: &Url,
    hop: Hop,
    context: &str,
    max_decoded: u64,
) -> Discovery {
    let mut links = header_links(exchange, url);
    let kind = body_kind(exchange, hop, context);
    if kind == BodyKind::Other || exchange.payload.len() > max_decoded {
        return Discovery {
            links,
            fingerprint: None,
        };
    }
    let body = decoded_body(exchange, max_decoded).await;
    if body.is_empty() {
        return Discovery {
            links,
            fingerprint: None,
        };
    }
    let content_type = header_text(exchange, "content-type");
    let url = url.clone();
    let found =
        tokio::task::spawn_blocking(move || body_links(&body, &url, kind, content_type.as_deref()))
            .await
            .unwrap_or_default();
    links.extend(found.links);
    Discovery {
        links,
        fingerprint: found.fingerprint,
    }
}

/// The links of a page as the browser rendered it (`--browser`): its serialised DOM read with
/// the same table of URL-bearing attributes as any HTML, so the hops are the same.
pub fn rendered_links(html: &str, url: &Url) -> Vec<Discovered> {
    body_links(
        html.as_bytes(),
        url,
        BodyKind::Html,
        Some("text/html; charset=utf-8"),
    )
    .links
}

/// The payload with its content encoding undone; empty when it cannot be read or decoded (the
/// response is archived as sent either way; only link discovery is lost, and logged).
pub async fn decoded_body(exchange: &Exchange, cap: u64) -> Vec<u8> {
    let raw = match exchange.payload.to_vec() {
        Ok(raw) => raw,
        Err(err) => {
            tracing::warn!("cannot read a spooled body back: {err}");
            return Vec::new();
        }
    };
    let coding = header_text(exchange, "content-encoding");
    match content_coding::decode(coding.as_deref(), &raw, cap) {
        Ok(body) => body,
        Err(err) => {
            tracing::warn!("links not extracted: {err}");
            Vec::new()
        }
    }
}

/// The `Location` of a redirect, resolved against the request URL.
pub fn location(exchange: &Exchange, url: &Url) -> Option<Url> {
    let value = header_text(exchange, "location")?;
    url.join(value.trim()).ok()
}

fn header_text(exchange: &Exchange, name: &str) -> Option<String> {
    exchange
        .header(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Decides how to read a body: a sitemap by how it was found, anything else as
/// [`content::classify`] says (the rule the mirror uses too).
pub fn body_kind(exchange: &Exchange, hop: Hop, context: &str) -> BodyKind {
    if hop == Hop::Sitemap {
        return BodyKind::Sitemap;
    }
    let media_type = super::archive::mime_of(exchange);
    let start = if crate::extract::sniff::is_generic_mime(&media_type) {
        sniff_start(exchange)
    } else {
        Vec::new()
    };
    let facts = BodyFacts {
        media_type: &media_type,
        linked_as_stylesheet: linked_as_stylesheet(context, hop == Hop::Embed),
        start: &start,
    };
    match content::classify(facts) {
        content::BodyKind::Html => BodyKind::Html,
        content::BodyKind::Css => BodyKind::Css,
        content::BodyKind::Other => BodyKind::Other,
    }
}

/// The first [`SNIFF_BYTES`] of the payload with its content coding undone.
fn sniff_start(exchange: &Exchange) -> Vec<u8> {
    use std::io::Read as _;
    let mut raw = Vec::new();
    if let Ok(reader) = exchange.payload.reader() {
        // Enough compressed bytes for the decoded start (a compressed page's head is small).
        let _ = reader.take(64 * 1024).read_to_end(&mut raw);
    }
    let coding = header_text(exchange, "content-encoding");
    content_coding::decoded_prefix(coding.as_deref(), &raw, SNIFF_BYTES)
}

fn body_links(body: &[u8], url: &Url, kind: BodyKind, content_type: Option<&str>) -> Discovery {
    let charset = content_type.and_then(extract::sniff::charset_from_content_type);
    let links = match kind {
        BodyKind::Html => {
            let options = HtmlOptions::default()
                .with_charset(charset)
                .with_visible_text(true);
            let scan = extract::scan_html(body, url, options);
            let links: Vec<Discovered> = scan.urls.into_iter().filter_map(from_found).collect();
            // A page the scanner could not read has no text to judge it by.
            let fingerprint = scan
                .error
                .is_none()
                .then(|| Fingerprint::of_text(&scan.text, url, links.iter().map(|l| &l.url)));
            return Discovery { links, fingerprint };
        }
        BodyKind::Css => {
            let scan = extract::scan_css(
                body,
                url,
                &CssOptions {
                    charset,
                    fallback: None,
                },
            );
            scan.urls.into_iter().filter_map(from_found).collect()
        }
        BodyKind::Sitemap => {
            match extract::sitemap::parse_sitemap(body, url, &Default::default()) {
                Ok(sitemap) => {
                    // A sitemap index lists more sitemaps; any other sitemap lists pages.
                    let hop = if sitemap.kind == SitemapKind::Index {
                        Hop::Sitemap
                    } else {
                        Hop::Link
                    };
                    sitemap
                        .urls
                        .into_iter()
                        .map(|mut url| {
                            url.set_fragment(None);
                            Discovered {
                                url,
                                hop,
                                context: "sitemap@loc".to_string(),
                                follow: true,
                            }
                        })
                        .collect()
                }
                Err(err) => {
                    tracing::warn!("{url}: sitemap not read: {err}");
                    Vec::new()
                }
            }
        }
        BodyKind::Other => Vec::new(),
    };
    Discovery {
        links,
        fingerprint: None,
    }
}

fn header_links(exchange: &Exchange, url: &Url) -> Vec<Discovered> {
    let headers = exchange
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_slice()));
    extract::headers::scan_headers(headers, url)
        .into_iter()
        .map(|header| header.found)
        // `Location` is followed as a redirect by the scheduler, not as a link.
        .filter(|found| found.kind != LinkKind::Redirect)
        .filter_map(from_found)
        .collect()
}

/// A found URL as a link to follow; its fragment is dropped (it names a place in a page, never
/// another resource: the mirror's rewritten links keep it, the crawl has no use for it).
fn from_found(found: FoundUrl) -> Option<Discovered> {
    let mut url = found.url?;
    url.set_fragment(None);
    let (hop, follow) = match found.kind {
        LinkKind::Navigation => (Hop::Link, true),
        LinkKind::Requisite | LinkKind::Embedded => (Hop::Embed, true),
        LinkKind::Refresh => (Hop::Redirect, true),
        LinkKind::Form => (Hop::Link, false),
        LinkKind::Base | LinkKind::Redirect => return None,
    };
    Some(Discovered {
        url,
        hop,
        context: found.context.to_string(),
        follow,
    })
}
