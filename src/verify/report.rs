//! What verify found: counts and findings, as data (a broken link is a finding, not an `Err`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Mode;
use crate::exit::Exit;

/// The four checks, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Links,
    Warc,
    Consistency,
    Notice,
}

impl Check {
    pub const ALL: [Check; 4] = [Check::Links, Check::Warc, Check::Consistency, Check::Notice];

    pub fn name(self) -> &'static str {
        match self {
            Check::Links => "links",
            Check::Warc => "warc",
            Check::Consistency => "consistency",
            Check::Notice => "notice",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing that does not hold. `file` is relative to the verified folder, `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub check: Check,
    pub severity: Severity,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub url: Option<String>,
    pub message: String,
}

impl Finding {
    pub fn error(check: Check, message: impl Into<String>) -> Self {
        Self {
            check,
            severity: Severity::Error,
            file: None,
            line: None,
            url: None,
            message: message.into(),
        }
    }

    pub fn warning(check: Check, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(check, message)
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at_line(mut self, line: Option<u32>) -> Self {
        self.line = line;
        self
    }

    pub fn for_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

/// How much was looked at; zero for what a mode does not check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub mirror_files: u64,
    pub html_files: u64,
    pub css_files: u64,
    pub references: u64,
    pub external_links: u64,
    pub warc_files: u64,
    pub warc_records: u64,
    pub cdxj_lines: u64,
    pub manifest_lines: u64,
    pub notice_pages: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// Everything one run found. Findings are sorted (check, file, line, …) so output is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub target: PathBuf,
    pub mode: Mode,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    /// Absolute links out of the archived site, listed, never fetched.
    pub external_links: BTreeSet<String>,
}

impl VerifyReport {
    pub fn new(target: &Path, mode: Mode) -> Self {
        Self {
            target: target.to_path_buf(),
            mode,
            counts: Counts::default(),
            findings: Vec::new(),
            external_links: BTreeSet::new(),
        }
    }

    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Sorts the findings and fills in the totals.
    pub fn finish(&mut self) {
        self.findings.sort();
        self.findings.dedup();
        self.counts.external_links = self.external_links.len() as u64;
        self.counts.errors = self.count(Severity::Error);
        self.counts.warnings = self.count(Severity::Warning);
    }

    fn count(&self, severity: Severity) -> u64 {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count() as u64
    }

    /// True when nothing is an error (warnings alone still pass; `--strict` makes them errors).
    pub fn holds(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The exit status: 0 when everything holds, 1 with findings.
    pub fn exit(&self) -> Exit {
        if self.holds() {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }

    pub fn findings_of(&self, check: Check) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }
}
