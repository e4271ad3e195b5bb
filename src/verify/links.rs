//! Mirror link integrity: every local reference in HTML and CSS resolves to a file, `#fragments`
//! exist, nothing still points at a crawled origin; absolute external links are listed.
//!
//! Two parallel passes over the files: the first parses each page once (references and anchors),
//! the second resolves every reference against the file set indexed up front, so the work stays
//! linear in the size of the mirror.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use percent_encoding::percent_decode_str;
use rayon::prelude::*;

use super::ProgressEvent;
use super::files::FileSet;
use super::html_refs::{decode_html, scan_html};
use super::report::{Check, Finding, VerifyReport};
use crate::verify::css_refs::find_css_urls;

/// Schemes that never name a file or a page to check.
const IGNORED_SCHEMES: &[&str] = &[
    "data",
    "javascript",
    "mailto",
    "tel",
    "about",
    "blob",
    "sms",
];

/// What the link check needs to know.
pub struct LinkContext<'a> {
    /// The folder the references live in (`<out>/mirror`, or the mirror-only target).
    pub root: &'a Path,
    /// Prepended to file paths in findings (`mirror/` in full mode).
    pub display_prefix: String,
    pub files: &'a FileSet,
    /// Origins of the crawl's seeds: a reference to one of these was not rewritten.
    pub origins: &'a [url::Origin],
    /// The notice's link leaves the site on purpose and is never a "not rewritten" error.
    pub notice_link: Option<&'a str>,
    pub strict: bool,
    pub html_files: Vec<String>,
    pub css_files: Vec<String>,
    /// The landing page and "not archived" stubs, which show original addresses on purpose.
    pub stubs: HashSet<String>,
}

struct PageRefs {
    path: String,
    refs: Vec<(String, Option<u32>, bool)>,
}

/// Where a reference leads.
enum Target {
    Ignored,
    External(String),
    Crawled(String),
    Local {
        path: String,
        fragment: Option<String>,
    },
    Escapes,
}

/// Runs the link check and adds its findings, counts and external links to `report`.
pub fn check_links(
    ctx: &LinkContext<'_>,
    report: &mut VerifyReport,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> std::io::Result<()> {
    let total = (ctx.html_files.len() + ctx.css_files.len()) as u64;
    progress(ProgressEvent::Start {
        check: Check::Links,
        total,
    });
    report.counts.html_files = ctx.html_files.len() as u64;
    report.counts.css_files = ctx.css_files.len() as u64;

    let scanned: Vec<std::io::Result<(PageRefs, HashSet<String>)>> = ctx
        .html_files
        .par_iter()
        .map(|path| {
            let bytes = fs_err::read(ctx.root.join(path))?;
            let scan = scan_html(&decode_html(&bytes, None));
            progress(ProgressEvent::Advance {
                check: Check::Links,
                by: 1,
            });
            let refs = scan
                .refs
                .into_iter()
                .map(|r| (r.url, r.line, r.original))
                .collect();
            Ok((
                PageRefs {
                    path: path.clone(),
                    refs,
                },
                scan.anchors,
            ))
        })
        .collect();
    let mut pages = Vec::with_capacity(scanned.len());
    let mut anchors: HashMap<String, HashSet<String>> = HashMap::new();
    for item in scanned {
        let (page, page_anchors) = item?;
        anchors.insert(page.path.clone(), page_anchors);
        pages.push(page);
    }
    let css_pages: Vec<std::io::Result<PageRefs>> = ctx
        .css_files
        .par_iter()
        .map(|path| {
            let bytes = fs_err::read(ctx.root.join(path))?;
            let text = String::from_utf8_lossy(&bytes);
            let locator = super::html_refs::LineLocator::new(&text);
            let refs = find_css_urls(&text)
                .into_iter()
                .map(|r| (r.url, Some(locator.line_of(r.offset)), false))
                .collect();
            progress(ProgressEvent::Advance {
                check: Check::Links,
                by: 1,
            });
            Ok(PageRefs {
                path: path.clone(),
                refs,
            })
        })
        .collect();
    for page in css_pages {
        pages.push(page?);
    }

    let results: Vec<(Vec<Finding>, Vec<String>, u64)> = pages
        .par_iter()
        .map(|page| check_page(ctx, page, &anchors))
        .collect();
    for link in ctx.files.symlinks() {
        report.push(
            Finding::error(
                Check::Links,
                "symbolic link in the mirror (not followed; the mirror must be plain files)",
            )
            .in_file(format!("{}{link}", ctx.display_prefix)),
        );
    }
    for (findings, external, count) in results {
        report.findings.extend(findings);
        report.external_links.extend(external);
        report.counts.references += count;
    }
    progress(ProgressEvent::Finish {
        check: Check::Links,
    });
    Ok(())
}

fn check_page(
    ctx: &LinkContext<'_>,
    page: &PageRefs,
    anchors: &HashMap<String, HashSet<String>>,
) -> (Vec<Finding>, Vec<String>, u64) {
    let mut findings = Vec::new();
    let mut external = BTreeSet::new();
    let display = format!("{}{}", ctx.display_prefix, page.path);
    let is_stub = ctx.stubs.contains(&page.path);
    for (raw, line, original) in &page.refs {
        let at = |f: Finding| f.in_file(display.clone()).at_line(*line);
        match classify(ctx, &page.path, raw) {
            Target::Ignored => {}
            Target::External(url) => {
                external.insert(url);
            }
            Target::Crawled(url) => {
                if *original || is_stub || ctx.notice_link == Some(raw.trim()) {
                    continue;
                }
                findings.push(
                    at(Finding::error(
                        Check::Links,
                        format!("not rewritten: `{raw}` still points at the crawled site"),
                    ))
                    .for_url(url),
                );
            }
            Target::Escapes => findings.push(at(Finding::error(
                Check::Links,
                format!("broken link: `{raw}` leads outside the mirror folder"),
            ))),
            Target::Local { path, fragment } => {
                let resolved = if ctx.files.contains(&path) {
                    Some(path.clone())
                } else if ctx.files.is_dir(path.trim_end_matches('/')) {
                    let index = join_index(&path);
                    ctx.files.contains(&index).then_some(index)
                } else {
                    None
                };
                let Some(target) = resolved else {
                    findings.push(at(Finding::error(
                        Check::Links,
                        format!("broken link: `{raw}` (no file {path})"),
                    )));
                    continue;
                };
                let Some(fragment) = fragment else { continue };
                // Only pages have anchors; `#top` scrolls to the top without one (HTML spec).
                let Some(targets) = anchors.get(&target) else {
                    continue;
                };
                if targets.contains(&fragment) || fragment.eq_ignore_ascii_case("top") {
                    continue;
                }
                let message = format!("missing fragment: `#{fragment}` is not in {target}");
                findings.push(at(if ctx.strict {
                    Finding::error(Check::Links, message)
                } else {
                    Finding::warning(Check::Links, message)
                }));
            }
        }
    }
    (
        findings,
        external.into_iter().collect(),
        page.refs.len() as u64,
    )
}

fn join_index(dir: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        "index.html".to_string()
    } else {
        format!("{dir}/index.html")
    }
}

/// The scheme of an absolute reference, lowercased.
fn scheme_of(raw: &str) -> Option<String> {
    let (scheme, _) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

fn classify(ctx: &LinkContext<'_>, from: &str, raw: &str) -> Target {
    // Browsers strip leading/trailing ASCII whitespace and ignore tabs and newlines in URLs.
    let raw: String = raw
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if raw.is_empty() {
        return Target::Ignored;
    }
    let absolute = if raw.starts_with("//") {
        Some(format!("http:{raw}"))
    } else {
        match scheme_of(&raw) {
            Some(s) if IGNORED_SCHEMES.contains(&s.as_str()) => return Target::Ignored,
            Some(_) => Some(raw.clone()),
            None => None,
        }
    };
    if let Some(absolute) = absolute {
        return match url::Url::parse(&absolute) {
            Ok(url) if ctx.origins.contains(&url.origin()) => Target::Crawled(url.to_string()),
            Ok(url) => Target::External(url.to_string()),
            Err(_) => Target::External(absolute),
        };
    }
    let (rest, fragment) = match raw.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (raw.as_str(), None),
    };
    let fragment = fragment
        .filter(|f| !f.is_empty())
        .map(|f| percent_decode_str(f).decode_utf8_lossy().into_owned());
    let path_part = rest.split('?').next().unwrap_or("");
    if path_part.is_empty() {
        // `#x` or `?q`: the page itself.
        return Target::Local {
            path: from.to_string(),
            fragment,
        };
    }
    let decoded = percent_decode_str(path_part).decode_utf8_lossy();
    let mut segments: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let mut dir: Vec<&str> = from.split('/').collect();
        dir.pop();
        dir
    };
    let trailing_slash = decoded.ends_with('/');
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Target::Escapes;
                }
            }
            s => segments.push(s),
        }
    }
    let mut path = segments.join("/");
    if trailing_slash || path.is_empty() {
        path = join_index(&path);
    }
    Target::Local { path, fragment }
}
