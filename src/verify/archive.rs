//! Reads the parts of an arkiv output folder that describe it: `arkiv.toml` and `manifest.jsonl`.
//!
//! Scope: `scope = "origin"` (the default, also for values we do not know: the narrowest reading)
//! means the seeds' origins; `"host"` any scheme and port of a seed's host; `"domain"` a seed's
//! host and its subdomains.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::report::{Check, Finding, VerifyReport};
use super::{NoticeSpec, VerifyError, VerifyOptions};

/// The landing page's path in the mirror: not archived, exempt from the manifest-line rule.
pub const LANDING: &str = "index.html";

/// What verify reads of `arkiv.toml` (on its own, not through the crawl's code): the seeds, the
/// scope and the notice. Today's file names them as the crawl's flags in `[crawl]`
/// (`notice-text`, `notice-link`, `notice-exempt`); an older arkiv wrote `[notice]` with `text`,
/// `link` and `exempt`. Both are read.
#[derive(Debug, Deserialize, Default)]
struct Config {
    #[serde(default)]
    crawl: CrawlSection,
    notice: Option<NoticeSection>,
}

#[derive(Debug, Deserialize, Default)]
struct CrawlSection {
    #[serde(default)]
    seeds: Vec<String>,
    scope: Option<String>,
    #[serde(rename = "notice-text")]
    notice_text: Option<String>,
    #[serde(rename = "notice-link")]
    notice_link: Option<String>,
    #[serde(rename = "notice-exempt", default)]
    notice_exempt: Vec<String>,
    /// The earlier crawl this one deduplicates against (`--dedup-from`).
    #[serde(rename = "dedup-from")]
    dedup_from: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct NoticeSection {
    text: String,
    link: String,
    #[serde(default)]
    exempt: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Origin,
    Host,
    Domain,
}

/// An arkiv output folder, opened.
#[derive(Debug)]
pub struct Archive {
    pub out: PathBuf,
    pub seeds: Vec<url::Url>,
    pub origins: Vec<url::Origin>,
    pub scope: Scope,
    notice: Option<NoticeSpec>,
    pub notice_exempt: Vec<Regex>,
    /// WARC file names below `warc/`, sorted.
    pub warc_files: Vec<String>,
    /// The folder of the earlier crawl whose records this crawl's revisits may refer to.
    pub dedup_from: Option<PathBuf>,
}

impl Archive {
    pub fn open(out: &Path) -> Result<Self, VerifyError> {
        let config_path = out.join("arkiv.toml");
        if !config_path.is_file() || !out.join("mirror").is_dir() {
            return Err(VerifyError::NotAnArchive(out.to_path_buf()));
        }
        let bad = |message: String| VerifyError::BadConfig {
            path: config_path.clone(),
            message,
        };
        let text = fs_err::read_to_string(&config_path)?;
        let config: Config = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let mut seeds = Vec::new();
        for seed in &config.crawl.seeds {
            seeds.push(url::Url::parse(seed).map_err(|e| bad(format!("seed {seed}: {e}")))?);
        }
        let origins = seeds.iter().map(url::Url::origin).collect();
        let scope = match config.crawl.scope.as_deref() {
            Some("host") => Scope::Host,
            Some("domain") => Scope::Domain,
            _ => Scope::Origin,
        };
        let (notice, exempt) = match (config.notice, config.crawl.notice_text) {
            (Some(n), _) => (
                Some(NoticeSpec {
                    text: n.text,
                    link: n.link,
                }),
                n.exempt,
            ),
            (None, Some(text)) => (
                Some(NoticeSpec {
                    text,
                    link: config.crawl.notice_link.unwrap_or_default(),
                }),
                config.crawl.notice_exempt,
            ),
            (None, None) => (None, Vec::new()),
        };
        let notice_exempt = exempt
            .iter()
            .map(|re| Regex::new(re).map_err(|e| bad(format!("notice exempt: {e}"))))
            .collect::<Result<_, _>>()?;
        let mut warc_files = Vec::new();
        let warc_dir = out.join("warc");
        if warc_dir.is_dir() {
            for entry in fs_err::read_dir(&warc_dir)? {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if name.ends_with(".warc.gz") {
                    warc_files.push(name);
                }
            }
        }
        warc_files.sort();
        let dedup_from = config.crawl.dedup_from.clone();
        Ok(Self {
            out: out.to_path_buf(),
            seeds,
            origins,
            scope,
            notice,
            notice_exempt,
            warc_files,
            dedup_from,
        })
    }

    /// The notice to check: the command line's, else `arkiv.toml`'s.
    pub fn notice(&self, options: &VerifyOptions) -> Option<NoticeSpec> {
        options.notice.clone().or_else(|| self.notice.clone())
    }

    pub fn warc_path(&self, name: &str) -> PathBuf {
        self.out.join("warc").join(name)
    }

    /// The WARC file of a record: this crawl's, or the earlier crawl's.
    pub fn record_path(&self, file: &str, earlier: bool) -> PathBuf {
        match (&self.dedup_from, earlier) {
            (Some(old), true) => old.join("warc").join(file),
            _ => self.warc_path(file),
        }
    }

    /// WARC file names below the earlier crawl's `warc/`, sorted; `None` when that folder is
    /// gone.
    pub fn earlier_warc_files(&self) -> Option<Vec<String>> {
        let dir = self.dedup_from.as_ref()?.join("warc");
        let mut files: Vec<String> = fs_err::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".warc.gz"))
            .collect();
        files.sort();
        Some(files)
    }

    /// Whether the crawl's scope covers `url`.
    pub fn in_scope(&self, url: &str) -> bool {
        let Ok(url) = url::Url::parse(url) else {
            return false;
        };
        match self.scope {
            Scope::Origin => self.origins.contains(&url.origin()),
            Scope::Host => self.seeds.iter().any(|s| s.host_str() == url.host_str()),
            Scope::Domain => {
                let Some(host) = url.host_str() else {
                    return false;
                };
                self.seeds.iter().filter_map(|s| s.host_str()).any(|seed| {
                    host == seed
                        || host
                            .strip_suffix(seed)
                            .is_some_and(|head| head.ends_with('.'))
                })
            }
        }
    }
}

/// One line of `manifest.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestLine {
    pub path: String,
    pub url: Option<String>,
    pub kind: String,
    pub warc: Option<String>,
    pub offset: Option<u64>,
    pub status: Option<u16>,
    pub mime: Option<String>,
    pub payload_digest: Option<String>,
    pub sha1: String,
    #[serde(default)]
    pub rewritten: bool,
    /// 1-based line in the manifest, for findings.
    #[serde(skip)]
    pub line: u32,
}

/// Reads the manifest; unparsable lines are findings, a missing manifest is one finding.
pub fn read_manifest(
    out: &Path,
    report: &mut VerifyReport,
) -> Result<Vec<ManifestLine>, VerifyError> {
    let path = out.join("manifest.jsonl");
    if !path.is_file() {
        report.push(
            Finding::error(Check::Consistency, "manifest.jsonl is missing")
                .in_file("manifest.jsonl"),
        );
        return Ok(Vec::new());
    }
    let text = fs_err::read_to_string(&path)?;
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let number = index as u32 + 1;
        match serde_json::from_str::<ManifestLine>(raw) {
            Ok(mut line) => {
                line.line = number;
                lines.push(line);
            }
            Err(e) => report.push(
                Finding::error(Check::Consistency, format!("unreadable manifest line: {e}"))
                    .in_file("manifest.jsonl")
                    .at_line(Some(number)),
            ),
        }
    }
    Ok(lines)
}
