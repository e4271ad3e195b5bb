//! The small pages the mirror writes itself: the landing page, redirect stubs and "not archived"
//! pages. Everything taken from the archive is HTML-escaped: a hostile URL or title injects nothing.

use std::fmt::Write as _;

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A URL written into an `href` that points out of the mirror: only http(s) URLs become links
/// (a `javascript:` URL from a hostile server must never become clickable).
fn external_link(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        format!(
            r#"<a class="arkiv-original" href="{0}">{0}</a>"#,
            escape(url)
        )
    } else {
        format!("<code>{}</code>", escape(url))
    }
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1d1d1b}\
code,.url{word-break:break-all}table{border-collapse:collapse}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}\
.arkiv-box{border-left:4px solid #b5121b;padding:.5rem 1rem;background:#f6f6f4}";

fn page(title: &str, head_extra: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"{software}\">\n<title>{title}</title>\n{head_extra}\
         <style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        software = escape(crate::SOFTWARE),
        title = escape(title),
    )
}

/// The page at a URL that answered with a redirect: it forwards to the local copy of the target.
/// `forward` is false when the redirects loop: the stub then only links on, for an automatic
/// refresh would bounce the browser between stubs forever.
pub fn redirect_stub(original_url: &str, status: u16, target_href: &str, forward: bool) -> String {
    let href = escape(target_href);
    let (head, what, link) = if forward {
        (
            format!("<meta http-equiv=\"refresh\" content=\"0; url={href}\">\n"),
            "",
            "the archived page",
        )
    } else {
        (
            String::new(),
            " Its redirects ran in a loop and never reached a page.",
            "the address it redirected to",
        )
    };
    let body = format!(
        "<div class=\"arkiv-box\">\n<p>This address redirected (HTTP {status}) when it was archived.{what}</p>\n\
         <p>Go on to <a href=\"{href}\">{link}</a>.</p>\n\
         <p>Original address: <span class=\"url\">{}</span></p>\n</div>\n",
        escape(original_url)
    );
    page("Redirect", &head, &body)
}

/// The page at a URL that redirected somewhere no browser should be sent (not http or https):
/// the target is shown as text, never as a link or a refresh.
pub fn redirect_stub_unlinked(original_url: &str, status: u16, target: &str) -> String {
    let body = format!(
        "<div class=\"arkiv-box\">\n<p>This address redirected (HTTP {status}) when it was archived, to an \
         address that is not a web page: <code>{}</code></p>\n\
         <p>Original address: <span class=\"url\">{}</span></p>\n</div>\n",
        escape(target),
        escape(original_url)
    );
    page("Redirect", "", &body)
}

/// The page for an address in the crawl's scope that was never archived, saying why.
pub fn not_archived_page(original_url: &str, reason: &str) -> String {
    let body = format!(
        "<div class=\"arkiv-box\">\n<h1>Not archived</h1>\n\
         <p>This page belongs to the archived site but is not in the archive: {}.</p>\n\
         <p>Original address: {}</p>\n\
         <p>The link above leads to the live web, where the page may have changed or be gone.</p>\n</div>\n",
        escape(&describe_reason(reason)),
        external_link(original_url),
    );
    page("Not archived", "", &body)
}

/// Turns the crawl's outcome (as its outcome record names it) into words a researcher
/// understands; text no outcome reads as (an older arkiv's) is shown as it is.
pub fn describe_reason(reason: &str) -> String {
    use crate::outcome::{Decline, Outcome};
    if let Some(detail) = reason
        .strip_prefix(super::catalog::REFERRED_MISSING)
        .and_then(|rest| rest.strip_prefix(": "))
    {
        return format!(
            "the crawl found it unchanged since an earlier crawl and archived it as a revisit, \
             but {detail}"
        );
    }
    let Ok(outcome) = reason.parse::<Outcome>() else {
        return format!("the crawl did not fetch it ({reason})");
    };
    let words = match outcome {
        Outcome::Declined(decline) => match decline {
            Decline::ExcludedByRobots => "the site's robots.txt asked crawlers not to fetch it",
            Decline::RobotsUnreachable => {
                "the site's robots.txt could not be fetched, and a polite crawler then fetches \
                 nothing from the site"
            }
            Decline::MaxDepth => "it lay deeper than the crawl's depth limit",
            Decline::MaxPages | Decline::MaxPagesPerHost => "the crawl reached its page limit",
            Decline::CrawlStopped => "the crawl was stopped before it got there",
            Decline::TooManyRedirects => "it redirected too many times",
            Decline::TrapNoNewContent => {
                "it belongs to a series of generated pages that kept repeating each other \
                 without adding anything new (a crawler trap)"
            }
            Decline::TrapUrlTooLong | Decline::TrapPathTooDeep | Decline::TrapRepeatingSegments => {
                "its address looked generated without end (a crawler trap)"
            }
            Decline::ExcludedByPattern | Decline::NotIncludedByPattern => {
                "the crawl's include and exclude patterns left it out"
            }
            Decline::OutOfScope
            | Decline::UnsupportedScheme
            | Decline::OffsiteRequisiteSkipped
            | Decline::NotFollowedFromOffsite
            | Decline::RobotsRedirectNotFollowed => {
                return format!("the crawl did not fetch it ({reason})");
            }
        },
        Outcome::Failed(crate::outcome::Failure::Auth) => {
            "it needs a login (or a proxy's) that the crawl did not have or that was refused"
        }
        Outcome::Failed(_) | Outcome::Retry => {
            "it could not be fetched (a network or server error)"
        }
        Outcome::Archived
        | Outcome::Revisit
        | Outcome::Truncated(_)
        | Outcome::RetryTruncated
        | Outcome::Challenged => {
            return format!("the crawl did not fetch it ({reason})");
        }
    };
    words.to_string()
}

/// What the landing page shows.
#[derive(Debug, Default)]
pub struct LandingInfo {
    pub software: String,
    pub crawl_started: String,
    pub description: Option<String>,
    /// (seed URL, href to its local copy if archived)
    pub seeds: Vec<(String, Option<String>)>,
    /// (label, value) lines of the crawl's settings.
    pub settings: Vec<(String, String)>,
    /// (label, count)
    pub counts: Vec<(String, u64)>,
    /// Names of the WARC files (in `warc/`, next to `mirror/`).
    pub warc_files: Vec<String>,
    /// The earlier crawl's folder whose records the revisits refer to (`--dedup-from`).
    pub dedup_from: Option<String>,
    pub notice: Option<(String, String)>,
}

/// `mirror/index.html`: what this archive is and where to start reading it.
pub fn landing_page(info: &LandingInfo) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>Web archive</h1>");
    if let Some(description) = &info.description {
        let _ = writeln!(body, "<p>{}</p>", escape(description));
    }
    let _ = writeln!(
        body,
        "<p>Archived {} with {}. This is an offline copy: its links lead to other archived pages; \
         links to other sites lead to the live web.</p>",
        escape(&info.crawl_started),
        escape(&info.software)
    );
    let _ = writeln!(body, "<h2>Start here</h2>\n<ul>");
    for (seed, local) in &info.seeds {
        match local {
            Some(href) => {
                let _ = writeln!(
                    body,
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(href),
                    escape(seed)
                );
            }
            None => {
                let _ = writeln!(
                    body,
                    "<li><span class=\"url\">{}</span> (not archived)</li>",
                    escape(seed)
                );
            }
        }
    }
    let _ = writeln!(body, "</ul>");
    if let Some((text, link)) = &info.notice {
        let _ = writeln!(
            body,
            "<h2>The site's notice</h2>\n<p>Every page carries: “{}” ({}).</p>",
            escape(text),
            external_link(link)
        );
    }
    let _ = writeln!(body, "<h2>Contents</h2>\n<table>");
    for (label, count) in &info.counts {
        let _ = writeln!(body, "<tr><th>{}</th><td>{count}</td></tr>", escape(label));
    }
    // Named, not linked: the mirror stays closed even when it is copied on its own.
    let _ = writeln!(
        body,
        "</table>\n<h2>The preservation master</h2>\n<p>This copy was built from these WARC files, \
         in the folder <code>warc/</code> next to this mirror's folder:</p>\n<ul>"
    );
    for name in &info.warc_files {
        let _ = writeln!(body, "<li><code>{}</code></li>", escape(name));
    }
    let _ = writeln!(body, "</ul>");
    if let Some(old) = &info.dedup_from {
        let _ = writeln!(
            body,
            "<p>What had not changed since an earlier crawl is archived as references to that \
             crawl's records, in the folder <code>{}</code>: the two belong together.</p>",
            escape(old)
        );
    }
    let _ = writeln!(body, "<h2>Settings</h2>\n<table>");
    for (label, value) in &info.settings {
        let _ = writeln!(
            body,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(label),
            escape(value)
        );
    }
    let _ = writeln!(body, "</table>");
    page("Web archive", "", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_urls_inject_no_markup() {
        let evil = "http://x/\"><script>alert(1)</script>";
        let stub = redirect_stub(evil, 301, "a\"b.html", true);
        assert!(!stub.contains("<script>"));
        assert!(stub.contains("a&quot;b.html"));
        let page = not_archived_page("javascript:alert(1)", "excluded-by-robots");
        assert!(!page.contains("href=\"javascript:"));
        let landing = landing_page(&LandingInfo {
            seeds: vec![(evil.to_string(), Some("x\"/index.html".to_string()))],
            description: Some("<b>".to_string()),
            ..Default::default()
        });
        assert!(!landing.contains("<script>") && !landing.contains("<b>"));
    }

    #[test]
    fn a_looping_redirect_stub_does_not_refresh() {
        assert!(
            redirect_stub("http://x/a", 302, "b.html", true).contains("http-equiv=\"refresh\"")
        );
        let stub = redirect_stub("http://x/a", 302, "b.html", false);
        assert!(!stub.contains("refresh") && stub.contains("href=\"b.html\""));
    }

    #[test]
    fn not_archived_pages_say_why_and_link_the_original() {
        let page = not_archived_page("http://example.org/intern/", "excluded-by-robots");
        assert!(page.contains("robots.txt"));
        assert!(page.contains(r#"<a class="arkiv-original" href="http://example.org/intern/">"#));
    }
}
