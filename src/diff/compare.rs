//! Compares two crawls' final captures URL by URL, and says what differs about each changed one.
//!
//! What is compared, in this order: the HTTP status; the content type (media type and charset);
//! for redirects, the target (a redirect's own body is never shown to a visitor and is not
//! compared); then the payload by its digest. A payload whose digest differs is read only when a
//! closer look can tell more: when the content coding differs (the same file sent gzip-encoded
//! has another digest but is the same file, so it counts as unchanged), and for the detail of a
//! changed HTML page (title, visible text, links) or text resource (its lines). Other headers
//! (`Date`, `ETag`, `Server`, cookies) change between any two crawls and are not compared.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;
use url::Url;

use super::archive::Archive;
use super::capture::Capture;
use super::page::{read_page, text_lines};
use super::payload::{Payload, read_heads, read_payload};
use super::rebase::Rebase;
use super::report::{Aspect, Change, ChangeKind, Counts, Link};
use super::unified::diff_lines;

/// Payloads larger than this are compared by digest only.
const MAX_BODY: u64 = 64 << 20;

/// How closely to look.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    /// An HTML page whose title, text and links are the same is unchanged, whatever its bytes.
    pub ignore_markup: bool,
    /// Diff lines kept per changed page or text resource.
    pub max_diff_lines: usize,
    /// The old crawl's rebasing, applied to the links of its pages too.
    pub rebase: Vec<Rebase>,
}

/// Every URL of either crawl that differs, and the counts.
pub fn compare(old: &Archive, new: &Archive, options: &CompareOptions) -> (Vec<Change>, Counts) {
    let keys: BTreeSet<&String> = old.captures.keys().chain(new.captures.keys()).collect();
    let keys: Vec<&String> = keys.into_iter().collect();
    let verdicts: Vec<Verdict> = keys
        .par_iter()
        .map(|key| {
            let o = old.captures.get(*key);
            let n = new.captures.get(*key);
            let (kind, aspects, markup_only) = match (o, n) {
                (Some(_), None) => (Some(ChangeKind::Removed), Vec::new(), false),
                (None, Some(_)) => (Some(ChangeKind::Added), Vec::new(), false),
                (Some(o), Some(n)) => {
                    let (aspects, markup_only) = compare_pair(o, n, old, new, options);
                    let kind = (!aspects.is_empty()).then_some(ChangeKind::Changed);
                    (kind, aspects, markup_only)
                }
                (None, None) => (None, Vec::new(), false),
            };
            Verdict {
                change: kind.map(|kind| Change {
                    url: n.or(o).map(|c| c.url.to_string()).unwrap_or_default(),
                    kind,
                    old: o.cloned(),
                    new: n.cloned(),
                    aspects,
                }),
                markup_only,
            }
        })
        .collect();
    let mut counts = Counts {
        ignored: old.ignored.union(&new.ignored).count(),
        ..Counts::default()
    };
    let mut changes = Vec::new();
    for verdict in verdicts {
        counts.markup_only += usize::from(verdict.markup_only);
        match verdict.change {
            None => counts.unchanged += 1,
            Some(change) => {
                match change.kind {
                    ChangeKind::Changed => counts.changed += 1,
                    ChangeKind::Added => counts.added += 1,
                    ChangeKind::Removed => counts.removed += 1,
                }
                changes.push(change);
            }
        }
    }
    changes.sort_by(|a, b| (a.kind, &a.url).cmp(&(b.kind, &b.url)));
    (changes, counts)
}

struct Verdict {
    change: Option<Change>,
    markup_only: bool,
}

/// What differs between two captures of one URL (nothing: unchanged), and whether it is an HTML
/// page whose bytes alone differ.
fn compare_pair(
    o: &Capture,
    n: &Capture,
    old: &Archive,
    new: &Archive,
    options: &CompareOptions,
) -> (Vec<Aspect>, bool) {
    let mut aspects = Vec::new();
    if o.status != n.status {
        aspects.push(Aspect::Status {
            old: o.status,
            new: n.status,
        });
    }
    let (old_type, new_type) = (o.content_type_label(), n.content_type_label());
    if old_type != new_type {
        aspects.push(Aspect::ContentType {
            old: old_type,
            new: new_type,
        });
    }
    if o.redirect != n.redirect {
        aspects.push(Aspect::Redirect {
            old: o.redirect.as_ref().map(Url::to_string),
            new: n.redirect.as_ref().map(Url::to_string),
        });
    }
    if o.redirect.is_some() && n.redirect.is_some() {
        return (aspects, false);
    }
    if o.digest.is_some() && o.digest == n.digest {
        return (aspects, false);
    }
    let mut old_body = Body::new(o, old, new);
    let mut new_body = Body::new(n, new, old);
    let recoded =
        o.content_encoding != n.content_encoding || o.digest.is_none() || n.digest.is_none();
    if recoded
        && let (Ok(a), Ok(b)) = (old_body.get(), new_body.get())
        && a.body == b.body
    {
        return (aspects, false);
    }
    if o.truncated != n.truncated {
        aspects.push(Aspect::Truncated {
            old: o.truncated.clone(),
            new: n.truncated.clone(),
        });
    }
    aspects.push(Aspect::Payload {
        old_digest: o.digest.clone(),
        new_digest: n.digest.clone(),
        old_size: old_body.size(),
        new_size: new_body.size(),
    });
    let mut markup_only = false;
    if o.is_html() && n.is_html() {
        match (old_body.get(), new_body.get()) {
            (Ok(a), Ok(b)) => {
                let before = aspects.len();
                page_aspects(o, a, n, b, options, &mut aspects);
                if aspects.len() == before {
                    markup_only = true;
                    if options.ignore_markup && aspects.len() == 1 {
                        return (Vec::new(), true);
                    }
                    aspects.push(Aspect::Markup);
                }
            }
            (Err(detail), _) | (_, Err(detail)) => aspects.push(Aspect::Unavailable {
                detail: detail.to_owned(),
            }),
        }
    } else if o.is_text() && n.is_text() {
        match (old_body.get(), new_body.get()) {
            (Ok(a), Ok(b)) => {
                let before = text_lines(&a.body, a.content_type().as_deref());
                let after = text_lines(&b.body, b.content_type().as_deref());
                if let Some(text) = diff_lines(&before, &after, options.max_diff_lines) {
                    aspects.push(Aspect::Text(text));
                }
            }
            (Err(detail), _) | (_, Err(detail)) => aspects.push(Aspect::Unavailable {
                detail: detail.to_owned(),
            }),
        }
    }
    (aspects, markup_only)
}

/// Title, text and link changes of an HTML page.
fn page_aspects(
    o: &Capture,
    a: &Payload,
    n: &Capture,
    b: &Payload,
    options: &CompareOptions,
    aspects: &mut Vec<Aspect>,
) {
    let base = |c: &Capture| Url::parse(&c.archived_url).unwrap_or_else(|_| c.url.clone());
    let before = read_page(
        &a.body,
        &base(o),
        a.content_type().as_deref(),
        &options.rebase,
    );
    let after = read_page(&b.body, &base(n), b.content_type().as_deref(), &[]);
    if before.title != after.title {
        aspects.push(Aspect::Title {
            old: before.title.clone(),
            new: after.title.clone(),
        });
    }
    if let Some(text) = diff_lines(&before.lines, &after.lines, options.max_diff_lines) {
        aspects.push(Aspect::Text(text));
    }
    let only_in = |x: &super::page::Page, y: &super::page::Page| -> Vec<Link> {
        x.links
            .iter()
            .filter(|(key, _)| !y.links.contains_key(*key))
            .map(|(_, (url, context))| Link {
                url: url.clone(),
                context,
            })
            .collect()
    };
    let added = only_in(&after, &before);
    let removed = only_in(&before, &after);
    if !added.is_empty() || !removed.is_empty() {
        aspects.push(Aspect::Links { added, removed });
    }
}

/// A capture's payload, read once when first needed: from the record that holds it in its own
/// crawl, or (a revisit whose original is elsewhere) from a record with the same digest in the
/// other crawl, since the same digest is the same bytes.
struct Body<'a> {
    capture: &'a Capture,
    own: &'a Archive,
    other: &'a Archive,
    loaded: Option<Result<Payload, String>>,
}

impl<'a> Body<'a> {
    fn new(capture: &'a Capture, own: &'a Archive, other: &'a Archive) -> Self {
        Body {
            capture,
            own,
            other,
            loaded: None,
        }
    }

    fn location(&self) -> Option<(PathBuf, u64)> {
        if let Some(record) = &self.capture.payload_at {
            return Some((self.own.record_path(record), record.offset));
        }
        let digest = self.capture.digest.as_ref()?;
        let record = self.other.payloads.get(digest)?;
        Some((self.other.record_path(record), record.offset))
    }

    fn get(&mut self) -> Result<&Payload, &str> {
        if self.loaded.is_none() {
            let loaded = match self.location() {
                Some((path, offset)) => {
                    read_payload(&path, offset, MAX_BODY).map_err(|e| e.to_string())
                }
                None => Err(format!(
                    "the payload is not in either crawl (a revisit of {} in another archive)",
                    self.capture.refers_to_url.as_deref().unwrap_or("a record")
                )),
            };
            self.loaded = Some(loaded);
        }
        match &self.loaded {
            Some(Ok(payload)) => Ok(payload),
            Some(Err(detail)) => Err(detail),
            None => Err("not read"),
        }
    }

    /// The entity body's length as archived: from the heads when they tell it, else by reading.
    fn size(&mut self) -> Option<u64> {
        if let Some(Ok(payload)) = &self.loaded {
            return Some(payload.entity_len);
        }
        let (path, offset) = self.location()?;
        if let Some(len) = read_heads(&path, offset).ok()?.entity_len() {
            return Some(len);
        }
        self.get().ok().map(|payload| payload.entity_len)
    }
}
