//! The mirror is closed: every local reference in every HTML and CSS file resolves to a file of
//! the mirror, none leads back to the crawled server, the notice link survives, and
//! `reports/mirror.json` names the redirects and the pages not archived.

use std::path::{Component, Path, PathBuf};

use percent_encoding::percent_decode_str;
use scraper::{Html, Selector};
use url::Url;

use super::css_refs::css_urls;
use super::{ManifestKind, SITES, is_css, is_html, manifest};
use crate::support::{self, NOTICE_LINK};

/// Attributes that hold one URL (SVG `xlink:href` has the local name `href`).
const URL_ATTRS: [&str; 10] = [
    "href",
    "src",
    "poster",
    "data",
    "background",
    "action",
    "formaction",
    "longdesc",
    "lowsrc",
    "manifest",
];
/// Attributes that hold a candidate list.
const SRCSET_ATTRS: [&str; 2] = ["srcset", "imagesrcset"];

/// Checks every reference of one mirror; returns one line per problem.
struct Checker<'a> {
    root: &'a Path,
    /// `host:port` of the crawled server.
    server: String,
    problems: Vec<String>,
    checked: usize,
}

impl Checker<'_> {
    /// `reference` as written in `file` (relative to the mirror root), resolved against `dir`.
    fn check(&mut self, file: &str, dir: &Path, reference: &str, context: &str) {
        self.checked += 1;
        let reference = reference.trim();
        let mut problem = |what: &str| {
            self.problems
                .push(format!("{file}: {context} {reference:?}: {what}"));
        };
        if reference.is_empty() || reference.starts_with('#') {
            return;
        }
        let lower = reference.to_ascii_lowercase();
        let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        if lower.starts_with("//")
            || matches!(scheme, Some("http" | "https" | "ws" | "wss" | "ftp"))
        {
            let absolute = if lower.starts_with("//") {
                format!("http:{reference}")
            } else {
                reference.to_string()
            };
            match Url::parse(&absolute) {
                Ok(url) => {
                    let host = format!(
                        "{}:{}",
                        url.host_str().unwrap_or(""),
                        url.port_or_known_default().unwrap_or(0)
                    );
                    if host == self.server {
                        problem("points back at the crawled server");
                    }
                }
                Err(_) => problem("unparsable absolute URL"),
            }
            return;
        }
        match scheme {
            Some("data" | "javascript" | "mailto" | "tel" | "about" | "blob") => return,
            Some("file") => return problem("file: URL"),
            // One-letter "schemes" are Windows drive letters in a relative path: check as local.
            Some(s) if s.len() > 1 => return problem("unknown scheme"),
            _ => {}
        }
        if reference.starts_with('/') || reference.starts_with('\\') {
            return problem("root-absolute: leaves the mirror on disk");
        }
        let path = reference.split(['#', '?']).next().unwrap_or("");
        if path.is_empty() {
            return; // the file itself
        }
        let Ok(decoded) = percent_decode_str(path).decode_utf8() else {
            return problem("not UTF-8 after percent-decoding");
        };
        if decoded.ends_with('/') {
            return problem("names a folder, not a file");
        }
        let Some(target) = normalize(&dir.join(decoded.as_ref())) else {
            return problem("climbs out of the mirror");
        };
        if !self.root.join(&target).is_file() {
            problem(&format!("no such file {}", target.display()));
        }
    }

    fn check_css(&mut self, file: &str, dir: &Path, css: &str, context: &str) {
        for url in css_urls(css) {
            self.check(file, dir, &url, context);
        }
    }
}

/// Lexically resolves `.` and `..`; `None` when `..` would leave the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The URLs of a `srcset` value (candidates split as the HTML parser does).
fn srcset_urls(value: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let mut url = &rest[..end];
        rest = &rest[end..];
        let trailing = url.len() - url.trim_end_matches(',').len();
        if trailing > 0 {
            url = &url[..url.len() - trailing];
        } else {
            // Skip the descriptors up to the next comma outside parentheses.
            let mut depth = 0;
            let cut = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ',' if depth <= 0 => return true,
                        _ => {}
                    }
                    false
                })
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            rest = &rest[cut..];
        }
        urls.push(url.to_string());
    }
}

/// The URL of a `<meta http-equiv=refresh>` content value, if it names one.
fn refresh_url(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("url")?;
    let rest = content[at + 3..].trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    Some(rest.trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// Checks one HTML file; returns its parsed document for more checks.
/// `original`: on a "not archived" page, its own original address, which the page shows as a
/// link marked `class="arkiv-original"` on purpose (the one link allowed to leave the mirror).
fn check_html(checker: &mut Checker<'_>, rel: &str, bytes: &[u8], original: Option<&str>) -> Html {
    // The bytes may be any charset; URLs that matter are ASCII after rewriting.
    let text = String::from_utf8_lossy(bytes);
    let doc = Html::parse_document(&text);
    let file_dir = Path::new(rel)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    // A `<base href>` moves every relative reference; the builder points it at the file itself.
    let base_selector = Selector::parse("base[href]").expect("selector");
    let dir = match doc
        .select(&base_selector)
        .next()
        .and_then(|b| b.value().attr("href"))
    {
        Some(base) if !base.contains(':') && !base.starts_with('/') => {
            let base = percent_decode_str(base.split(['#', '?']).next().unwrap_or(""))
                .decode_utf8_lossy()
                .into_owned();
            let joined = file_dir.join(&base);
            let dir = if base.ends_with('/') || base.is_empty() {
                joined
            } else {
                joined.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            normalize(&dir).unwrap_or(file_dir.clone())
        }
        _ => file_dir.clone(),
    };
    let all = Selector::parse("*").expect("selector");
    for element in doc.select(&all) {
        let name = element.value().name().to_ascii_lowercase();
        let marked = element.value().classes().any(|c| c == "arkiv-original");
        if marked && original.is_some() && element.value().attr("href") == original {
            continue;
        }
        for (attr, value) in element.value().attrs() {
            let attr = attr.to_ascii_lowercase();
            let context = format!("{name}@{attr}");
            // The base element is resolved against the file itself, not against itself.
            let from = if name == "base" { &file_dir } else { &dir };
            if URL_ATTRS.contains(&attr.as_str()) {
                checker.check(rel, from, value, &context);
            } else if SRCSET_ATTRS.contains(&attr.as_str()) {
                for url in srcset_urls(value) {
                    checker.check(rel, from, &url, &context);
                }
            } else if attr == "style" {
                checker.check_css(rel, from, value, &context);
            }
        }
        if name == "style" {
            let css: String = element.text().collect();
            checker.check_css(rel, &dir, &css, "style element");
        }
        if name == "meta"
            && element
                .value()
                .attr("http-equiv")
                .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
            && let Some(url) = element.value().attr("content").and_then(refresh_url)
        {
            checker.check(rel, &dir, &url, "meta refresh");
        }
    }
    doc
}

/// Walks every HTML and CSS file of a crawled site's mirror.
fn check_site(site: &'static str) {
    let crawled = support::crawled(site);
    // Exit 1 means findings (the edge cases fail on purpose), not a failed run.
    let code = crawled.output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}: {}",
        crawled.stderr()
    );
    let root = crawled.out.join("mirror");
    let server = format!(
        "{}:{}",
        crawled.url.host_str().expect("host"),
        crawled.url.port_or_known_default().expect("port")
    );
    let mut checker = Checker {
        root: &root,
        server,
        problems: Vec::new(),
        checked: 0,
    };
    let notice = Selector::parse("a[href]").expect("selector");
    let lines = manifest(&crawled.out);
    let mut pages = 0;
    let mut sheets = 0;
    for line in &lines {
        let bytes = fs_err::read(root.join(&line.path)).expect("mirror file");
        // The fixtures never name the server's port, so in an archived page or stylesheet it
        // could only come from a URL made absolute on the way (generated pages show it as text).
        if line.kind == ManifestKind::Archived && (is_html(line) || is_css(line)) {
            let server = checker.server.as_bytes();
            let leaked = bytes.windows(server.len()).any(|w| w == server);
            assert!(!leaked, "{site}: {} names {}", line.path, checker.server);
        }
        if is_html(line) {
            pages += 1;
            let original = line
                .url
                .as_deref()
                .filter(|_| line.kind == ManifestKind::NotArchived);
            let doc = check_html(&mut checker, &line.path, &bytes, original);
            if site == "collective-impact" && line.kind == ManifestKind::Archived {
                let found = doc
                    .select(&notice)
                    .any(|a| a.value().attr("href") == Some(NOTICE_LINK));
                assert!(
                    found,
                    "{}: the notice link {NOTICE_LINK} is gone",
                    line.path
                );
            }
        } else if is_css(line) {
            sheets += 1;
            let dir = Path::new(&line.path).parent().unwrap_or(Path::new(""));
            let css = String::from_utf8_lossy(&bytes);
            checker.check_css(&line.path, dir, &css, "css");
        }
    }
    assert!(
        pages > 5 && sheets > 0,
        "{site}: {pages} pages, {sheets} stylesheets"
    );
    assert!(
        checker.checked > 50,
        "{site}: only {} references",
        checker.checked
    );
    assert!(
        checker.problems.is_empty(),
        "{site}: {} broken references:\n{}",
        checker.problems.len(),
        checker.problems.join("\n")
    );
}

#[test]
fn collective_impact_mirror_is_closed() {
    check_site("collective-impact");
}

#[test]
fn edge_cases_mirror_is_closed() {
    check_site("edge-cases");
}

#[test]
fn the_report_lists_redirects_and_pages_not_archived() {
    for site in SITES {
        let crawled = support::crawled(site);
        let report: serde_json::Value = serde_json::from_slice(
            &fs_err::read(crawled.out.join("reports/mirror.json")).expect("mirror.json"),
        )
        .expect("json");
        let urls = |field: &str| -> Vec<String> {
            report[field]
                .as_array()
                .unwrap_or_else(|| panic!("{site}: {field} missing"))
                .iter()
                .map(|r| r["url"].as_str().expect("url").to_string())
                .collect()
        };
        let redirects = urls("redirects");
        let not_archived = urls("not_archived");
        let url = |path: &str| crawled.url.join(path).expect("url").to_string();
        // Every redirect and not-archived file of the manifest is in the report, and back.
        let lines = manifest(&crawled.out);
        for (kind, listed) in [
            (ManifestKind::Redirect, &redirects),
            (ManifestKind::NotArchived, &not_archived),
        ] {
            let mut in_manifest: Vec<String> = lines
                .iter()
                .filter(|l| l.kind == kind)
                .filter_map(|l| l.url.clone())
                .collect();
            in_manifest.sort();
            let mut listed = listed.clone();
            listed.sort();
            assert_eq!(in_manifest, listed, "{site}: {kind:?}");
        }
        match site {
            "collective-impact" => {
                for path in ["/om.aspx", "/principper"] {
                    assert!(redirects.contains(&url(path)), "{path}: {redirects:?}");
                }
                assert!(not_archived.contains(&url("/intern/")), "{not_archived:?}");
                let intern = report["not_archived"]
                    .as_array()
                    .and_then(|a| a.iter().find(|r| r["url"] == url("/intern/").as_str()))
                    .expect("intern");
                assert_eq!(intern["reason"], "excluded-by-robots");
            }
            _ => {
                for path in ["/kort/1", "/chain/1"] {
                    assert!(redirects.contains(&url(path)), "{path}: {redirects:?}");
                }
                assert!(
                    not_archived.iter().any(|u| u.starts_with(&url("/privat/"))),
                    "{not_archived:?}"
                );
            }
        }
    }
}

/// A link to an in-scope URL that no record answers gets a "not archived" page, and so does a
/// redirect to it: the redirect's stub and a link that goes through the redirect both point at
/// that page, as they would had the URL been known before any file was written.
#[test]
fn a_redirect_to_an_unanswered_url_leads_to_its_not_archived_page() {
    use arkiv::warc::writer::{Block, HttpRecordMeta, WarcWriter, WarcinfoFields, WriterOptions};
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let warc = out.join("warc");
    fs_err::create_dir_all(&warc).expect("warc dir");
    let seed = "http://example.test/";
    let info = WarcinfoFields::new()
        .with("arkiv-seed", seed)
        .with("arkiv-scope", "origin");
    let mut writer = WarcWriter::new(WriterOptions::new(&warc, "unanswered"), info.clone());
    writer.write_warcinfo(info).expect("warcinfo");
    let page = "<!DOCTYPE html><title>s</title><a href=\"/form-target\">f</a> \
                <a href=\"/old\">o</a>";
    let records = [
        (
            seed.to_string(),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
                page.len()
            ),
        ),
        (
            format!("{seed}old"),
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /form-target\r\nContent-Length: 0\r\n\r\n"
                .to_string(),
        ),
    ];
    for (url, message) in &records {
        let meta = HttpRecordMeta {
            target_uri: url,
            date: chrono::Utc::now(),
            ip_address: None,
            concurrent_to: None,
            payload_digest: None,
            truncated: None,
        };
        writer
            .write_response(&meta, Block::Bytes(message.as_bytes()))
            .expect("response");
    }
    writer.close().expect("close");
    arkiv::mirror::build_mirror(&out).expect("mirror");

    let lines = manifest(&out);
    let path_of = |url: &str, kind: ManifestKind| {
        lines
            .iter()
            .find(|l| l.url.as_deref() == Some(url) && l.kind == kind)
            .unwrap_or_else(|| panic!("{url} as {kind:?} in {lines:#?}"))
            .path
            .clone()
    };
    let target = path_of("http://example.test/form-target", ManifestKind::NotArchived);
    let stub = path_of("http://example.test/old", ManifestKind::Redirect);
    let home = path_of(seed, ManifestKind::Archived);
    let read = |rel: &str| fs_err::read_to_string(out.join("mirror").join(rel)).expect("file");
    let name = target.rsplit('/').next().expect("file name");
    let stub_html = read(&stub);
    assert!(
        stub_html.contains(&format!("href=\"{name}\"")),
        "the stub leads to the not-archived page {target}: {stub_html}"
    );
    let home_html = read(&home);
    assert_eq!(
        home_html.matches(&format!("href=\"{name}\"")).count(),
        2,
        "both links, the one through the redirect too, lead to {target}: {home_html}"
    );
}
