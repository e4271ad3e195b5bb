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
use super::html_refs::{HtmlRef, decode_html, scan_html};
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
    refs: Vec<HtmlRef>,
    /// A page's `<base href>` and its line (stylesheets have none).
    base: Option<(String, Option<u32>)>,
}

/// What a page's relative references resolve against.
enum Base {
    /// The page's own folder (no usable `<base>`).
    Page,
    /// A folder of the mirror, `/`-separated, `""` for the root.
    Folder(String),
    /// An absolute URL: relative references leave the mirror.
    Absolute(url::Url),
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
            Ok((
                PageRefs {
                    path: path.clone(),
                    refs: scan.refs,
                    base: scan.base,
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
                .map(|r| HtmlRef {
                    url: r.url,
                    line: Some(locator.line_of(r.offset)),
                    original: false,
                    embedded: true,
                })
                .collect();
            progress(ProgressEvent::Advance {
                check: Check::Links,
                by: 1,
            });
            Ok(PageRefs {
                path: path.clone(),
                refs,
                base: None,
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
    let base = match &page.base {
        Some((href, line)) => {
            let (base, finding) = resolve_base(ctx, &page.path, href, is_stub);
            findings.extend(finding.map(|f| f.in_file(display.clone()).at_line(*line)));
            base
        }
        None => Base::Page,
    };
    for HtmlRef {
        url: raw,
        line,
        original,
        embedded,
    } in &page.refs
    {
        let at = |f: Finding| f.in_file(display.clone()).at_line(*line);
        let target = match &base {
            Base::Folder(folder) if is_path_relative(raw) => {
                // `classify` resolves against the folder of the file it is given.
                let from = if folder.is_empty() {
                    "_".to_string()
                } else {
                    format!("{folder}/_")
                };
                classify(ctx, &from, raw)
            }
            Base::Absolute(url) if is_path_relative(raw) => match url.join(raw.trim()) {
                Ok(joined) => classify(ctx, &page.path, joined.as_str()),
                Err(_) => classify(ctx, &page.path, raw),
            },
            _ => classify(ctx, &page.path, raw),
        };
        match target {
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
                if *embedded && !is_stub && ctx.stubs.contains(&target) {
                    // The file exists, but it is the "not archived" page: an image or a
                    // stylesheet the page needs is missing from the archive.
                    findings.push(at(Finding::warning(
                        Check::Links,
                        format!("missing requisite: `{raw}` was not archived ({target} says why)"),
                    )));
                    continue;
                }
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

/// Where a page's `<base href>` leads, and a finding when the base itself is wrong: it still
/// names the crawled site, or it leads outside the mirror folder.
fn resolve_base(
    ctx: &LinkContext<'_>,
    page: &str,
    href: &str,
    is_stub: bool,
) -> (Base, Option<Finding>) {
    match classify(ctx, page, href) {
        Target::Ignored => (Base::Page, None),
        Target::External(url) => match url::Url::parse(&url) {
            Ok(url) => (Base::Absolute(url), None),
            Err(_) => (Base::Page, None),
        },
        Target::Crawled(url) => {
            let finding = (!is_stub).then(|| {
                Finding::error(
                    Check::Links,
                    format!(
                        "not rewritten: `<base href=\"{href}\">` still points at the crawled site"
                    ),
                )
                .for_url(url.clone())
            });
            let base = url::Url::parse(&url).map_or(Base::Page, Base::Absolute);
            (base, finding)
        }
        Target::Escapes => (
            Base::Page,
            Some(Finding::error(
                Check::Links,
                format!("broken base: `<base href=\"{href}\">` leads outside the mirror folder"),
            )),
        ),
        // `dir/` became `dir/index.html` and `page.html` stays: either way its folder is the base.
        Target::Local { path, .. } => {
            let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
            (Base::Folder(folder.to_string()), None)
        }
    }
}

/// A reference resolved against the base URL's path: not absolute, not root-relative, not
/// scheme-relative, not only a `#fragment` or `?query` (those stay on the page itself here).
fn is_path_relative(raw: &str) -> bool {
    let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    !raw.is_empty() && !raw.starts_with(['/', '\\', '#', '?']) && scheme_of(raw).is_none()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_relative_references() {
        for raw in ["a.html", " ../b/c.png", "d/", "e.html#f", "g?h"] {
            assert!(is_path_relative(raw), "{raw}");
        }
        for raw in [
            "",
            "/a",
            "//h/a",
            "#f",
            "?q",
            "http://h/",
            "mailto:x",
            "\\a",
        ] {
            assert!(!is_path_relative(raw), "{raw}");
        }
    }
}
