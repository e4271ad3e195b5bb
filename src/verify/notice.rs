//! The notice: every archived HTML page carries its text and an `<a>` with exactly its link, both
//! in the WARC payload (decoded) and in the mirror file.
//!
//! Text is compared after html5ever decodes entities, with whitespace collapsed, so markup inside
//! the notice (`<b>`, line breaks) does not matter. Scripts, styles and templates are not text.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use regex::Regex;
use scraper::{Html, Node};

use super::ProgressEvent;
use super::archive::{Archive, ManifestLine};
use super::html_refs::decode_html;
use super::report::{Check, Finding, VerifyReport};
use super::warc::RecordIndex;
use super::warc_reader::open_payload;
use super::{NoticeSpec, consistency::normalise_url};

/// HTML payloads bigger than this are read only this far (a notice sits near the top or bottom of
/// a page, and real pages are far smaller).
const MAX_PAGE: u64 = 64 << 20;

/// One mirror page to check.
#[derive(Debug, Clone)]
pub struct MirrorPage {
    /// Relative to the checked folder.
    pub path: String,
    pub url: Option<String>,
    /// The HTTP charset, when known, for decoding.
    pub mime_charset: Option<String>,
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a page lacks: (`text missing`, `link missing`).
pub fn missing_parts(html: &str, notice: &NoticeSpec) -> (bool, bool) {
    let document = Html::parse_document(html);
    let mut text = String::new();
    let mut has_link = false;
    for node in document.tree.nodes() {
        match node.value() {
            Node::Text(t) => {
                let hidden = node.parent().is_some_and(|p| {
                    p.value().as_element().is_some_and(|e| {
                        matches!(e.name(), "script" | "style" | "template" | "noscript")
                    })
                });
                if !hidden {
                    text.push_str(t);
                    // Keep words of adjacent blocks apart; collapsing removes the extra spaces.
                    text.push(' ');
                }
            }
            Node::Element(e) if e.name() == "a" => {
                has_link |= e.attr("href") == Some(notice.link.as_str());
            }
            _ => {}
        }
    }
    let wanted = collapse(&notice.text);
    let page = collapse(&text);
    // Text split over inline elements (`Frozen <b>site</b>.`) gains a space at the seam, so
    // compare also without spaces.
    let has_text =
        page.contains(&wanted) || page.replace(' ', "").contains(&wanted.replace(' ', ""));
    (!has_text, !has_link)
}

fn finding_for(missing: (bool, bool), notice: &NoticeSpec, place: &str) -> Option<String> {
    match missing {
        (false, false) => None,
        (true, true) => Some(format!("{place} lacks the notice (text and link)")),
        (true, false) => Some(format!("{place} lacks the notice text")),
        (false, true) => Some(format!(
            "{place} has no <a href=\"{}\"> (the notice link)",
            notice.link
        )),
    }
}

/// Checks mirror files for the notice.
pub fn check_mirror_pages(
    root: &Path,
    display_prefix: &str,
    pages: &[MirrorPage],
    notice: &NoticeSpec,
    report: &mut VerifyReport,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) {
    progress(ProgressEvent::Start {
        check: Check::Notice,
        total: pages.len() as u64,
    });
    let findings: Vec<Option<Finding>> = pages
        .par_iter()
        .map(|page| {
            progress(ProgressEvent::Advance {
                check: Check::Notice,
                by: 1,
            });
            let display = format!("{display_prefix}{}", page.path);
            let message = match fs_err::read(root.join(&page.path)) {
                Ok(bytes) => {
                    let html = decode_html(&bytes, page.mime_charset.as_deref());
                    finding_for(missing_parts(&html, notice), notice, "the mirror page")?
                }
                Err(e) => format!("cannot read the page: {e}"),
            };
            let mut f = Finding::error(Check::Notice, message).in_file(display);
            if let Some(url) = &page.url {
                f = f.for_url(url.clone());
            }
            Some(f)
        })
        .collect();
    report.counts.notice_pages += pages.len() as u64;
    report.findings.extend(findings.into_iter().flatten());
    progress(ProgressEvent::Finish {
        check: Check::Notice,
    });
}

/// Full mode: the WARC payload of every archived in-scope HTML 200 response, and its mirror file.
pub fn check_archive(
    archive: &Archive,
    manifest: &[ManifestLine],
    index: &RecordIndex,
    notice: &NoticeSpec,
    exempt: &[&Regex],
    report: &mut VerifyReport,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) {
    let is_exempt = |url: &str| exempt.iter().any(|re| re.is_match(url));
    let records: Vec<_> = index
        .records
        .iter()
        .filter(|r| {
            // A page rendered in the browser (`crawl --browser`) is a `conversion` record of
            // its response: what the mirror shows, so it must carry the notice as well.
            let page = (r.warc_type == "response"
                && r.http_status == Some(200)
                && r.http_mime.as_deref() == Some("text/html"))
                || r.warc_type == "conversion";
            page && r
                .target_uri
                .as_deref()
                .is_some_and(|u| archive.in_scope(u) && !is_exempt(u))
        })
        .collect();
    let findings: Vec<Option<Finding>> = records
        .par_iter()
        .map(|record| {
            let uri = record.target_uri.clone().unwrap_or_default();
            let message = match read_payload(archive, record.file.as_str(), record.offset) {
                Ok(bytes) => {
                    let (charset, what) = if record.warc_type == "conversion" {
                        // Serialised from the DOM by arkiv: always UTF-8.
                        (Some("utf-8"), "the rendered page")
                    } else {
                        (record.http_charset.as_deref(), "the WARC payload")
                    };
                    let html = decode_html(&bytes, charset);
                    finding_for(missing_parts(&html, notice), notice, what)?
                }
                Err(e) => format!("cannot read the WARC payload: {e}"),
            };
            Some(
                Finding::error(
                    Check::Notice,
                    format!("{message} (record at offset {})", record.offset),
                )
                .in_file(format!("warc/{}", record.file))
                .for_url(uri),
            )
        })
        .collect();
    report.counts.notice_pages += records.len() as u64;
    report.findings.extend(findings.into_iter().flatten());

    // Indexed once: a lookup per page must not scan every record.
    let charsets: HashMap<String, String> = index
        .records
        .iter()
        .filter_map(|r| {
            Some((
                normalise_url(r.target_uri.as_deref()?),
                r.http_charset.clone()?,
            ))
        })
        .collect();
    let charset_of = |url: &str| charsets.get(&normalise_url(url)).cloned();
    let pages: Vec<MirrorPage> = manifest
        .iter()
        .filter(|l| {
            l.kind == "archived"
                && l.status == Some(200)
                && l.mime
                    .as_deref()
                    .is_some_and(|m| m.to_ascii_lowercase().starts_with("text/html"))
                && l.url.as_deref().is_some_and(|u| !is_exempt(u))
        })
        .map(|l| MirrorPage {
            path: l.path.clone(),
            url: l.url.clone(),
            mime_charset: l
                .mime
                .as_deref()
                .and_then(|m| {
                    let m = m.to_ascii_lowercase();
                    let (_, c) = m.split_once("charset=")?;
                    Some(c.trim_matches(['"', ' ']).to_string())
                })
                .or_else(|| l.url.as_deref().and_then(charset_of)),
        })
        .collect();
    let mirror = archive.out.join("mirror");
    check_mirror_pages(&mirror, "mirror/", &pages, notice, report, progress);
}

fn read_payload(archive: &Archive, file: &str, offset: u64) -> std::io::Result<Vec<u8>> {
    let opened = open_payload(&archive.warc_path(file), offset)?;
    let mut bytes = Vec::new();
    opened.body.take(MAX_PAGE).read_to_end(&mut bytes)?;
    Ok(bytes)
}
