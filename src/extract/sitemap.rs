//! URLs listed by sitemaps: XML `urlset` and `sitemapindex`, gzip-compressed ones, and plain text.

use std::io::Read;

use url::Url;

use super::decode::decode_entities_text;

/// The most a sitemap may hold once decompressed: the sitemaps.org limit (50 MB), so a gzip
/// bomb costs at most this much memory.
pub const DEFAULT_MAX_SITEMAP_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct SitemapOptions {
    /// Decompressed size above which the sitemap is rejected [default: 50 MiB].
    pub max_bytes: usize,
}

impl Default for SitemapOptions {
    fn default() -> Self {
        SitemapOptions {
            max_bytes: DEFAULT_MAX_SITEMAP_BYTES,
        }
    }
}

impl SitemapOptions {
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// What a sitemap lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    /// `<urlset>`: pages.
    UrlSet,
    /// `<sitemapindex>`: more sitemaps.
    Index,
    /// One URL per line.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitemap {
    pub kind: SitemapKind,
    /// The `http(s)` URLs listed, in order; relative ones resolved against the sitemap's URL.
    pub urls: Vec<Url>,
}

#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("sitemap is larger than {limit} bytes once decompressed")]
    TooLarge { limit: usize },
    #[error("sitemap is not valid gzip: {0}")]
    Gzip(#[from] std::io::Error),
}

/// Reads a sitemap body as served (gzip is recognised by its magic bytes, whatever the headers
/// said).
pub fn parse_sitemap(
    body: &[u8],
    sitemap_url: &Url,
    options: &SitemapOptions,
) -> Result<Sitemap, SitemapError> {
    let limit = options.max_bytes;
    let inflated;
    let bytes = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // Read one byte past the limit to tell "exactly at the limit" from "over it".
        flate2::read::MultiGzDecoder::new(body)
            .take(limit as u64 + 1)
            .read_to_end(&mut out)?;
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    if bytes.len() > limit {
        return Err(SitemapError::TooLarge { limit });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let resolve = |raw: &str| {
        let url = Url::options()
            .base_url(Some(sitemap_url))
            .parse(raw.trim())
            .ok()?;
        matches!(url.scheme(), "http" | "https").then_some(url)
    };
    if !text.trim_start().starts_with('<') {
        // The text format lists absolute URLs only; anything else is not a URL line.
        let urls = text
            .lines()
            .filter_map(|line| Url::parse(line.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .collect();
        return Ok(Sitemap {
            kind: SitemapKind::Text,
            urls,
        });
    }
    let mut kind = SitemapKind::UrlSet;
    let mut root_seen = false;
    let mut urls = Vec::new();
    let mut rest: &str = &text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |p| &after[p + 3..]);
            continue;
        }
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            rest = after.find("]]>").map_or("", |p| &after[p + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if tag.starts_with(['?', '!', '/']) || tag.ends_with('/') {
            continue;
        }
        let name = tag
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if !root_seen {
            root_seen = true;
            if local == "sitemapindex" {
                kind = SitemapKind::Index;
            }
        }
        if local != "loc" {
            continue;
        }
        let (content, after) = element_text(rest);
        rest = after;
        if let Some(url) = resolve(&content) {
            urls.push(url);
        }
    }
    Ok(Sitemap { kind, urls })
}

/// The text of an element starting at `s` (just after its start tag), CDATA and entities
/// decoded, and what follows it.
fn element_text(mut s: &str) -> (String, &str) {
    let mut out = String::new();
    loop {
        if let Some(after) = s.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            out.push_str(&after[..end]);
            s = after.get(end + 3..).unwrap_or("");
            continue;
        }
        let end = s.find('<').unwrap_or(s.len());
        out.push_str(&decode_entities_text(&s[..end]).text);
        s = &s[end..];
        if !s.starts_with("<![CDATA[") {
            return (out, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_entities_and_prefixes() {
        let base = Url::parse("http://h/sitemap.xml").unwrap();
        let xml = "<?xml version='1.0'?><!-- <loc>http://h/fake</loc> --><sm:urlset xmlns:sm='x'>\
            <sm:url><sm:loc> /a?x=1&amp;y=2 </sm:loc></sm:url>\
            <url><loc><![CDATA[http://h/b?p=<1>]]></loc><image:loc>img.png</image:loc></url>\
            <url><loc>mailto:x@h</loc></url></sm:urlset>";
        let map = parse_sitemap(xml.as_bytes(), &base, &SitemapOptions::default()).unwrap();
        assert_eq!(map.kind, SitemapKind::UrlSet);
        let urls: Vec<_> = map.urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "http://h/a?x=1&y=2",
                "http://h/b?p=%3C1%3E",
                "http://h/img.png"
            ]
        );
    }
}
