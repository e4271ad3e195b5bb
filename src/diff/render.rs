//! Turns a `DiffReport` into text for people, JSON (`arkiv-diff/1`) or JUnit XML for CI.
//!
//! The JSON schema, stable within `arkiv-diff/1` (fields are only ever added):
//! ```text
//! { "schema": "arkiv-diff/1", "identical": bool,
//!   "old": Side, "new": Side,
//!   "counts": { "unchanged", "changed", "added", "removed", "ignored", "markup_only" },
//!   "changes": [ { "url": str, "change": "changed"|"added"|"removed",
//!                  "old": Capture|null, "new": Capture|null, "aspects": [Aspect] } ],
//!   "notes": [str] }
//! Side    = { "path", "urls", "first", "last" (YYYYMMDDhhmmss|null), "index": "cdxj"|"warc" }
//! Capture = { "url" (as archived), "timestamp", "status", "content_type", "digest", "redirect",
//!             "revisit", "truncated", "warc", "offset" }
//! Aspect  = { "aspect": "status", "old", "new" } | { "aspect": "content-type", "old", "new" }
//!         | { "aspect": "redirect", "old", "new" } (null: no redirect)
//!         | { "aspect": "payload", "old_digest", "new_digest", "old_size", "new_size" }
//!         | { "aspect": "truncated", "old", "new" } | { "aspect": "title", "old", "new" }
//!         | { "aspect": "text", "added", "removed", "diff": [str], "omitted" }
//!         | { "aspect": "links", "added": [{ "url", "context" }], "removed": [...] }
//!         | { "aspect": "markup" } | { "aspect": "unavailable", "detail" }
//! ```
//! With `--summary`, `changes` is empty: only the counts are reported.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::capture::Capture;
use super::report::{Aspect, Change, ChangeKind, Counts, DiffReport, Side};

/// The output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Junit,
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub format: Format,
    /// Only the counts: no URLs, no diffs.
    pub summary: bool,
}

/// Renders `report`; the result ends with a newline.
pub fn render(report: &DiffReport, options: RenderOptions) -> String {
    match options.format {
        Format::Text => render_text(report, options.summary),
        Format::Json => render_json(report, options.summary),
        Format::Junit => render_junit(report, options.summary),
    }
}

fn render_text(report: &DiffReport, summary: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "arkiv diff: {} → {}",
        report.old.path.display(),
        report.new.path.display()
    );
    let _ = writeln!(out, "  old: {}", side_line(&report.old));
    let _ = writeln!(out, "  new: {}", side_line(&report.new));
    if !summary {
        let mut seen = Seen::default();
        for kind in ChangeKind::ALL {
            let changes: Vec<&Change> = report.changes.iter().filter(|c| c.kind == kind).collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{} ({})", kind.name(), changes.len());
            for change in changes {
                let _ = writeln!(out, "  {}{}", change.url, capture_brief(change));
                for line in aspect_lines(change, Some(&mut seen)) {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    let _ = writeln!(out, "\n{}", verdict(report));
    // Header values and text come from archived responses: none may drive the terminal.
    out.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

fn side_line(side: &Side) -> String {
    let mut line = format!("{} URLs", side.urls);
    match (&side.first, &side.last) {
        (Some(first), Some(last)) if first != last => {
            let _ = write!(line, ", captured {} to {}", date(first), date(last));
        }
        (Some(first), _) => {
            let _ = write!(line, ", captured {}", date(first));
        }
        _ => {}
    }
    if side.index == "warc" {
        line.push_str(" (listed from the WARC files)");
    }
    line
}

/// `20261127044334` → `2026-11-27 04:43:34`.
fn date(timestamp: &str) -> String {
    let d = |range: std::ops::Range<usize>| timestamp.get(range).unwrap_or("??");
    format!(
        "{}-{}-{} {}:{}:{}",
        d(0..4),
        d(4..6),
        d(6..8),
        d(8..10),
        d(10..12),
        d(12..14)
    )
}

fn verdict(report: &DiffReport) -> String {
    let c = &report.counts;
    let mut line = if report.identical() {
        format!(
            "UNCHANGED: {} URLs in both crawls, none added, removed or changed",
            c.unchanged
        )
    } else {
        format!(
            "CHANGED: {} changed, {} added, {} removed; {} unchanged",
            c.changed, c.added, c.removed, c.unchanged
        )
    };
    if c.ignored > 0 {
        let _ = write!(line, " ({} ignored)", c.ignored);
    }
    line
}

/// What the capture is, after the URL: ` (200 text/html)` or ` (301 → target)`.
fn capture_brief(change: &Change) -> String {
    let Some(capture) = change.new.as_ref().or(change.old.as_ref()) else {
        return String::new();
    };
    match &capture.redirect {
        Some(target) => format!(" ({} → {target})", capture.status),
        None if capture.mime().is_empty() => format!(" ({})", capture.status),
        None => format!(" ({} {})", capture.status, capture.mime()),
    }
}

/// Text and link changes already shown, by what was added and removed: a change to the site's
/// template (a footer's year, a menu entry) is the same on every page and is shown once.
#[derive(Default)]
struct Seen {
    text: HashMap<Vec<String>, String>,
    links: HashMap<(Vec<String>, Vec<String>), String>,
}

/// The lines that say what changed, for the text report (`seen`: refer to an identical text or
/// link change shown before) and a JUnit failure (each complete on its own).
fn aspect_lines(change: &Change, mut seen: Option<&mut Seen>) -> Vec<String> {
    let mut lines = Vec::new();
    for aspect in &change.aspects {
        match aspect {
            Aspect::Status { old, new } => lines.push(format!("status: {old} → {new}")),
            Aspect::ContentType { old, new } => {
                lines.push(format!("content type: {} → {}", or_none(old), or_none(new)));
            }
            Aspect::Redirect { old, new } => lines.push(match (old, new) {
                (Some(old), Some(new)) => format!("redirect target: {old} → {new}"),
                (None, Some(new)) => format!("now redirects to {new}"),
                (Some(old), None) => format!("no longer redirects (it went to {old})"),
                (None, None) => "redirect".to_owned(),
            }),
            Aspect::Truncated { old, new } => {
                let state = |t: &Option<String>| match t {
                    Some(reason) => format!("cut short ({reason})"),
                    None => "whole".to_owned(),
                };
                lines.push(format!(
                    "truncated: old record {}, new record {}",
                    state(old),
                    state(new)
                ));
            }
            Aspect::Payload {
                old_digest,
                new_digest,
                old_size,
                new_size,
            } => {
                let size = |s: &Option<u64>| s.map_or("?".to_owned(), |s| s.to_string());
                let digest = |d: &Option<String>| d.clone().unwrap_or_else(|| "no digest".into());
                lines.push(format!(
                    "payload: {} → {} bytes ({} → {})",
                    size(old_size),
                    size(new_size),
                    digest(old_digest),
                    digest(new_digest)
                ));
            }
            Aspect::Title { old, new } => lines.push(format!(
                "title: {} → {}",
                quoted(old.as_deref()),
                quoted(new.as_deref())
            )),
            Aspect::Text(text) => {
                let counts = format!(
                    "text: {} {} added, {} removed",
                    text.added,
                    if text.added == 1 { "line" } else { "lines" },
                    text.removed
                );
                // Only the added and removed lines: the same edit sits at other line numbers
                // and between other context on each page.
                let edit: Vec<String> = text
                    .diff
                    .iter()
                    .filter(|l| l.starts_with(['+', '-']))
                    .cloned()
                    .collect();
                if let Some(seen) = seen.as_deref_mut()
                    && text.omitted == 0
                    && !edit.is_empty()
                {
                    if let Some(first) = seen.text.get(&edit) {
                        lines.push(format!("{counts}, the same change as {first}"));
                        continue;
                    }
                    seen.text.insert(edit, change.url.clone());
                }
                lines.push(counts);
                lines.extend(text.diff.iter().map(|line| format!("  {line}")));
                if text.omitted > 0 {
                    lines.push(format!(
                        "  … {} more diff lines (raise --max-diff-lines to see them)",
                        text.omitted
                    ));
                }
            }
            Aspect::Links { added, removed } => {
                let counts = format!("links: {} added, {} removed", added.len(), removed.len());
                if let Some(seen) = seen.as_deref_mut() {
                    let urls = |links: &[super::report::Link]| -> Vec<String> {
                        links.iter().map(|l| l.url.clone()).collect()
                    };
                    let edit = (urls(added), urls(removed));
                    if let Some(first) = seen.links.get(&edit) {
                        lines.push(format!("{counts}, the same change as {first}"));
                        continue;
                    }
                    seen.links.insert(edit, change.url.clone());
                }
                lines.push(counts);
                for link in added {
                    lines.push(format!("  + {} ({})", link.url, link.context));
                }
                for link in removed {
                    lines.push(format!("  - {} ({})", link.url, link.context));
                }
            }
            Aspect::Markup => lines.push(
                "markup only: the title, visible text and links (session ids aside) are the same \
                 (--ignore-markup counts such a page as unchanged)"
                    .to_owned(),
            ),
            Aspect::Unavailable { detail } => lines.push(format!("not compared closer: {detail}")),
        }
    }
    lines
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

fn quoted(text: Option<&str>) -> String {
    text.map_or("none".to_owned(), |t| format!("{t:?}"))
}

/// The JSON document; structs rather than `json!` so the fields keep this order.
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    identical: bool,
    old: &'a Side,
    new: &'a Side,
    counts: &'a Counts,
    changes: Vec<JsonChange<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonChange<'a> {
    url: &'a str,
    change: ChangeKind,
    old: Option<JsonCapture<'a>>,
    new: Option<JsonCapture<'a>>,
    aspects: &'a [Aspect],
}

#[derive(Serialize)]
struct JsonCapture<'a> {
    url: &'a str,
    timestamp: &'a str,
    status: u16,
    content_type: Option<&'a str>,
    digest: Option<&'a str>,
    redirect: Option<&'a str>,
    revisit: bool,
    truncated: Option<&'a str>,
    warc: &'a str,
    offset: u64,
}

impl<'a> JsonCapture<'a> {
    fn of(capture: &'a Capture) -> Self {
        JsonCapture {
            url: &capture.archived_url,
            timestamp: &capture.timestamp,
            status: capture.status,
            content_type: capture.content_type.as_deref(),
            digest: capture.digest.as_deref(),
            redirect: capture.redirect.as_ref().map(url::Url::as_str),
            revisit: capture.revisit,
            truncated: capture.truncated.as_deref(),
            warc: &capture.record.file,
            offset: capture.record.offset,
        }
    }
}

fn render_json(report: &DiffReport, summary: bool) -> String {
    let changes = if summary {
        Vec::new()
    } else {
        report
            .changes
            .iter()
            .map(|change| JsonChange {
                url: &change.url,
                change: change.kind,
                old: change.old.as_ref().map(JsonCapture::of),
                new: change.new.as_ref().map(JsonCapture::of),
                aspects: &change.aspects,
            })
            .collect()
    };
    let value = JsonReport {
        schema: "arkiv-diff/1",
        identical: report.identical(),
        old: &report.old,
        new: &report.new,
        counts: &report.counts,
        changes,
        notes: &report.notes,
    };
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// One test suite per kind of change (changed, added, removed), one failing test case per URL in
/// it, and a passing one where a suite is empty; with `--summary`, one test case per kind. A last
/// suite holds one passing test case that counts the unchanged URLs.
fn render_junit(report: &DiffReport, summary: bool) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let c = &report.counts;
    let cases = |kind: ChangeKind| if summary { 1 } else { c.of(kind).max(1) };
    // The unchanged URLs are one passing test case, so a dashboard shows how many held.
    let tests: usize = ChangeKind::ALL.iter().map(|k| cases(*k)).sum::<usize>() + 1;
    let failures: usize = ChangeKind::ALL
        .iter()
        .map(|k| match (summary, c.of(*k)) {
            (_, 0) => 0,
            (true, _) => 1,
            (false, n) => n,
        })
        .sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"arkiv diff\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    for kind in ChangeKind::ALL {
        let name = kind.name();
        let count = c.of(kind);
        let suite_failures = if summary {
            usize::from(count > 0)
        } else {
            count
        };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{suite_failures}\">",
            cases(kind)
        );
        if count == 0 {
            let _ = writeln!(
                out,
                "    <testcase classname=\"arkiv.diff.{name}\" name=\"no URL {name}\"/>"
            );
        } else if summary {
            let _ = writeln!(
                out,
                "    <testcase classname=\"arkiv.diff.{name}\" name=\"{count} URLs {name}\">\n      \
                 <failure message=\"{count} URLs {name}\"/>\n    </testcase>"
            );
        } else {
            for change in report.changes.iter().filter(|ch| ch.kind == kind) {
                let message = match kind {
                    ChangeKind::Changed => {
                        let names: Vec<&str> = change.aspects.iter().map(aspect_name).collect();
                        format!("changed: {}", names.join(", "))
                    }
                    ChangeKind::Added => "added: only in the new crawl".to_owned(),
                    ChangeKind::Removed => "removed: only in the old crawl".to_owned(),
                };
                let body = aspect_lines(change, None).join("\n");
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"arkiv.diff.{name}\" name=\"{}\">\n      \
                     <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml_escape(&change.url),
                    xml_escape(&message),
                    xml_escape(&body)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"unchanged\" tests=\"1\" failures=\"0\">\n    \
         <testcase classname=\"arkiv.diff.unchanged\" name=\"{} URLs unchanged\"/>\n  </testsuite>",
        c.unchanged
    );
    out.push_str("</testsuites>\n");
    out
}

fn aspect_name(aspect: &Aspect) -> &'static str {
    match aspect {
        Aspect::Status { .. } => "status",
        Aspect::ContentType { .. } => "content type",
        Aspect::Redirect { .. } => "redirect",
        Aspect::Payload { .. } => "payload",
        Aspect::Truncated { .. } => "truncated",
        Aspect::Title { .. } => "title",
        Aspect::Text(_) => "text",
        Aspect::Links { .. } => "links",
        Aspect::Markup => "markup",
        Aspect::Unavailable { .. } => "unavailable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_dates() {
        assert_eq!(date("20261127044334"), "2026-11-27 04:43:34");
        assert_eq!(date("2026"), "2026-??-?? ??:??:??");
    }

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape("<a href=\"x\">&\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;?"
        );
    }
}
