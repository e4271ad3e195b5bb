//! The mirror's first pass: what the records alone cannot say, read before any file is named.
//! The real type of bodies served with a generic one, text linked as a stylesheet, and every
//! link of every page, so that in-scope links no record answers get a "not archived" entry.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use url::Url;

use super::builder::{MAX_REDIRECT_HOPS, MAX_REWRITE};
use super::catalog::{Capture, Catalog, Entry};
use super::payload;
use crate::content::kind::BodyFacts;
use crate::content::kind::linked_as_stylesheet;
use crate::content::{self, SNIFF_BYTES};
use crate::extract::sniff::{is_generic_mime, sniff_mime};
use crate::extract::{self, CssOptions, FoundUrl, HtmlOptions, LinkKind};
use crate::scope::{Scope, ScopeMode};
use crate::urls::dedup_key;

/// The crawl's scope, as its warcinfo records it.
pub(super) fn scope_of(catalog: &Catalog) -> Option<Scope> {
    let mut seeds: Vec<Url> = catalog
        .info
        .all("arkiv-seed")
        .iter()
        .filter_map(|s| Url::parse(s).ok())
        .collect();
    // A seed that redirected took the crawl's scope along to its target (see the scheduler).
    for seed in seeds.clone() {
        let mut url = seed;
        for _ in 0..MAX_REDIRECT_HOPS {
            match catalog.entries.get(&dedup_key(&url)) {
                Some(Entry::Redirect { target, .. }) => {
                    url = (**target).clone();
                    seeds.push(url.clone());
                }
                _ => break,
            }
        }
    }
    if seeds.is_empty() {
        return None;
    }
    let mode = match catalog.info.get("arkiv-scope") {
        Some("host") => ScopeMode::Host,
        Some("domain") => ScopeMode::Domain,
        Some("prefix") => ScopeMode::Prefix,
        _ => ScopeMode::Origin,
    };
    Some(Scope::new(mode, &seeds, Vec::new(), Vec::new()))
}

/// Reads what the records alone cannot say, before any file is named: the real type of bodies
/// served with a generic one, and every link of every page. Links into the crawl's scope that no
/// record answers (a form target, a link the crawl had no reason to take) get a "not archived"
/// entry, so that the mirror stays closed.
pub(super) fn survey(warc_dir: &Path, catalog: &mut Catalog) {
    correct_generic_types(warc_dir, catalog);
    let scope = scope_of(catalog);
    // A text file linked as a stylesheet becomes a document only once its linking page has been
    // read, so documents are scanned in rounds: first every document, then those that a round
    // found linked as stylesheets, until no new one turns up.
    let mut round: Vec<String> = catalog
        .entries
        .iter()
        .filter_map(|(key, e)| match e {
            Entry::Archived(c) if document_kind(c).is_some() => Some(key.clone()),
            _ => None,
        })
        .collect();
    while !round.is_empty() {
        let entries = &catalog.entries;
        // Each page's links are checked against the catalogue as they are found and only the
        // few that change it are kept, so memory does not grow with the site's links.
        let found: BTreeSet<Finding> = round
            .par_iter()
            .filter_map(|key| match entries.get(key) {
                Some(Entry::Archived(capture)) => Some(capture),
                _ => None,
            })
            .flat_map_iter(|capture| {
                let body = payload::read_body(warc_dir, capture, MAX_REWRITE).unwrap_or_default();
                findings(&scan(&body, capture), entries, scope.as_ref())
            })
            .collect();
        round = settle(catalog, found);
    }
}

/// Puts what the links showed into the catalogue: generic bodies linked as stylesheets become
/// `text/css` (their keys are returned: they are documents now, to be read in turn), in-scope
/// URLs no record answers get their "not archived" entry.
pub(super) fn settle(catalog: &mut Catalog, found: BTreeSet<Finding>) -> Vec<String> {
    let mut stylesheets = Vec::new();
    for finding in found {
        match finding {
            Finding::Stylesheet(key) => {
                if let Some(Entry::Archived(capture)) = catalog.entries.get_mut(&key)
                    && is_generic_mime(&capture.mime)
                {
                    capture.mime = "text/css".into();
                    stylesheets.push(key);
                }
            }
            Finding::NotArchived(key, text) => {
                let Ok(url) = Url::parse(&text) else { continue };
                catalog.entries.entry(key).or_insert(Entry::NotArchived {
                    url: Box::new(url),
                    reason: "not-fetched".into(),
                });
            }
        }
    }
    stylesheets
}

/// The links of one document that change the catalogue. Each page's links are checked against
/// the catalogue as they are found and only these few are kept, so memory does not grow with
/// the site's links.
pub(super) fn findings(
    found: &[FoundUrl],
    entries: &BTreeMap<String, Entry>,
    scope: Option<&Scope>,
) -> Vec<Finding> {
    found
        .iter()
        .filter_map(|f| {
            let stylesheet = linked_as_stylesheet(f.context, f.kind == LinkKind::Requisite);
            let mut url = f.url.clone()?;
            url.set_fragment(None);
            let key = dedup_key(&url);
            match entries.get(&key) {
                Some(Entry::Archived(c)) if stylesheet && is_generic_mime(&c.mime) => {
                    Some(Finding::Stylesheet(key))
                }
                Some(_) => None,
                None if scope.is_some_and(|s| s.same_site(&url)) => {
                    Some(Finding::NotArchived(key, url.to_string()))
                }
                None => None,
            }
        })
        .collect()
}

/// A link that changes the catalogue: a body with a generic type linked as a stylesheet (by its
/// key), or an in-scope URL no record answers (by its key and its text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Finding {
    Stylesheet(String),
    NotArchived(String, String),
}

/// Bodies served as `text/plain`, `application/octet-stream` or with no type get the type their
/// first bytes show (an HTML page, a PNG), as a browser would sniff them: the file then gets the
/// right extension and, for HTML, its links rewritten.
pub(super) fn correct_generic_types(warc_dir: &Path, catalog: &mut Catalog) {
    let generic: Vec<(String, Capture)> = catalog
        .entries
        .iter()
        .filter_map(|(key, e)| match e {
            Entry::Archived(c) if is_generic_mime(&c.mime) => Some((key.clone(), (**c).clone())),
            _ => None,
        })
        .collect();
    let sniffed: Vec<(String, &'static str)> = generic
        .par_iter()
        .filter_map(|(key, capture)| {
            let mut start = Vec::new();
            payload::open_body(warc_dir, capture)
                .ok()?
                .take(SNIFF_BYTES as u64)
                .read_to_end(&mut start)
                .ok()?;
            sniff_mime(&start).map(|mime| (key.clone(), mime))
        })
        .collect();
    for (key, mime) in sniffed {
        if let Some(Entry::Archived(capture)) = catalog.entries.get_mut(&key) {
            capture.mime = mime.into();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DocKind {
    Html,
    Css,
}

/// The kind of a capture's body, by the media type the survey settled on (generic labels
/// already looked behind, stylesheets already marked): the crawl's rule, [`content::classify`].
pub(super) fn document_kind(capture: &Capture) -> Option<DocKind> {
    let facts = BodyFacts {
        media_type: &capture.mime,
        linked_as_stylesheet: false,
        start: &[],
    };
    match content::classify(facts) {
        content::BodyKind::Html => Some(DocKind::Html),
        content::BodyKind::Css => Some(DocKind::Css),
        content::BodyKind::Other => None,
    }
}

pub(super) fn scan(body: &[u8], capture: &Capture) -> Vec<FoundUrl> {
    let charset = capture
        .content_type
        .as_deref()
        .and_then(extract::sniff::charset_from_content_type);
    match document_kind(capture) {
        Some(DocKind::Html) => {
            extract::scan_html(
                body,
                &capture.url,
                HtmlOptions::default().with_charset(charset),
            )
            .urls
        }
        Some(DocKind::Css) => {
            extract::scan_css(
                body,
                &capture.url,
                &CssOptions {
                    charset,
                    fallback: None,
                },
            )
            .urls
        }
        None => Vec::new(),
    }
}
