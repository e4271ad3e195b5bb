//! Turns a `VerifyReport` into text: a human summary, JSON (`arkiv-verify/1`) or JUnit XML.
//!
//! The JSON schema, stable within `arkiv-verify/1` (fields are only ever added):
//! ```text
//! { "schema": "arkiv-verify/1", "target": "<path>", "mode": "full" | "mirror-only",
//!   "ok": bool, "counts": { "mirror_files", "html_files", "css_files", "references",
//!   "external_links", "warc_files", "warc_records", "cdxj_lines", "manifest_lines",
//!   "notice_pages", "errors", "warnings" },
//!   "findings": [ { "check": "links"|"warc"|"consistency"|"notice", "severity": "error"|"warning",
//!                   "file": str|null, "line": int|null, "url": str|null, "message": str } ],
//!   "external_links": [ str ] }
//! ```

use std::fmt::Write as _;

use super::report::{Check, Finding, Severity, VerifyReport};

/// The output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Junit,
}

/// Renders `report` in `format`; the result ends with a newline.
pub fn render(report: &VerifyReport, format: Format) -> String {
    match format {
        Format::Human => render_human(report),
        Format::Json => render_json(report),
        Format::Junit => render_junit(report),
    }
}

fn location(f: &Finding) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: "),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    }
}

fn render_human(report: &VerifyReport) -> String {
    let c = &report.counts;
    let mut out = String::new();
    let mode = match report.mode {
        super::Mode::Full => "full",
        super::Mode::MirrorOnly => "mirror-only",
    };
    let _ = writeln!(out, "arkiv verify ({mode}): {}", report.target.display());
    let _ = writeln!(
        out,
        "  mirror: {} files, {} HTML, {} CSS, {} references, {} external links",
        c.mirror_files, c.html_files, c.css_files, c.references, c.external_links
    );
    if report.mode == super::Mode::Full {
        let _ = writeln!(
            out,
            "  archive: {} WARC files, {} records, {} CDXJ lines, {} manifest lines",
            c.warc_files, c.warc_records, c.cdxj_lines, c.manifest_lines
        );
    }
    if c.notice_pages > 0 {
        let _ = writeln!(out, "  notice: {} pages checked", c.notice_pages);
    }
    for check in Check::ALL {
        let findings: Vec<&Finding> = report.findings_of(check).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({} findings)", check.name(), findings.len());
        for f in findings {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = write!(out, "  {severity}: {}{}", location(f), f.message);
            if let Some(url) = &f.url {
                let _ = write!(out, " [{url}]");
            }
            out.push('\n');
        }
    }
    let verdict = if report.holds() { "OK" } else { "FAILED" };
    let _ = writeln!(
        out,
        "\n{verdict}: {} errors, {} warnings",
        c.errors, c.warnings
    );
    out
}

/// The JSON document; a struct rather than `json!` so the fields keep this order.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    target: String,
    mode: super::Mode,
    ok: bool,
    counts: &'a super::report::Counts,
    findings: &'a [Finding],
    external_links: &'a std::collections::BTreeSet<String>,
}

fn render_json(report: &VerifyReport) -> String {
    let value = JsonReport {
        schema: "arkiv-verify/1",
        target: report.target.to_string_lossy().into_owned(),
        mode: report.mode,
        ok: report.holds(),
        counts: &report.counts,
        findings: &report.findings,
        external_links: &report.external_links,
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

fn render_junit(report: &VerifyReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let errors = report.counts.errors;
    let _ = writeln!(
        out,
        "<testsuites name=\"arkiv verify\" tests=\"{}\" failures=\"{errors}\">",
        Check::ALL
            .iter()
            .map(|c| report.findings_of(*c).count().max(1))
            .sum::<usize>()
    );
    for check in Check::ALL {
        let findings: Vec<&Finding> = report.findings_of(check).collect();
        let failures = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
            check.name(),
            findings.len().max(1)
        );
        if findings.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"arkiv.verify.{0}\" name=\"{0} holds\"/>",
                check.name()
            );
        }
        for f in findings {
            let name = xml_escape(&format!("{}{}", location(f), f.message));
            let _ = write!(
                out,
                "    <testcase classname=\"arkiv.verify.{}\" name=\"{name}\"",
                check.name()
            );
            match f.severity {
                Severity::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\"/>\n    </testcase>",
                        xml_escape(&f.message)
                    );
                }
                Severity::Warning => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>warning: {}</system-out>\n    </testcase>",
                        xml_escape(&f.message)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
