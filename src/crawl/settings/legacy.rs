//! `arkiv.toml` as arkiv wrote it before its options took the command line's names
//! (`[crawl] per_host = 2`, `delay_ms`, `[notice]`, `[resume]`): read, so that an archive made
//! then can still be resumed and verified, and turned into today's form.

use std::path::PathBuf;

use serde::Deserialize;

use super::{RunRecord, Settings};
use crate::crawl::config::ScopeMode;
use crate::crawl::options::{CrawlOptions, Size};

#[derive(Debug, Deserialize)]
pub(super) struct LegacySettings {
    crawl: LegacyCrawl,
    notice: Option<LegacyNotice>,
    resume: Option<LegacyResume>,
}

#[derive(Debug, Deserialize)]
struct LegacyCrawl {
    software: String,
    started: String,
    seeds: Vec<String>,
    scope: ScopeMode,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    max_depth: Option<u32>,
    max_pages: Option<u64>,
    offsite_requisites: bool,
    obey_robots: bool,
    per_host: usize,
    concurrency: usize,
    delay_ms: u64,
    retries: u32,
    max_size: Option<u64>,
    warc_max_size: u64,
    user_agent: String,
    description: Option<String>,
    #[serde(default)]
    ca_certs: Vec<String>,
    #[serde(default)]
    ca_cert_sha256: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LegacyNotice {
    text: String,
    link: String,
    #[serde(default)]
    exempt: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LegacyResume {
    warc_prefix: String,
    contact: Option<String>,
    max_pages_per_host: Option<u64>,
    header_timeout_ms: u64,
    mirror: bool,
    trap_after: Option<u32>,
    #[serde(default)]
    not_a_trap: Vec<String>,
}

impl From<LegacySettings> for Settings {
    fn from(old: LegacySettings) -> Settings {
        let c = old.crawl;
        let mut crawl = CrawlOptions {
            seeds: c.seeds,
            scope: Some(c.scope),
            include: c.include,
            exclude: c.exclude,
            max_depth: c.max_depth,
            max_pages: c.max_pages,
            no_offsite_requisites: Some(!c.offsite_requisites),
            ignore_robots: Some(!c.obey_robots),
            per_host: Some(u16::try_from(c.per_host).unwrap_or(u16::MAX)),
            concurrency: Some(u16::try_from(c.concurrency).unwrap_or(u16::MAX)),
            delay: Some(c.delay_ms as f64 / 1000.0),
            retries: Some(c.retries),
            max_size: c.max_size.map(Size),
            warc_max_size: Some(Size(c.warc_max_size)),
            description: c.description,
            ca_cert: c.ca_certs.into_iter().map(PathBuf::from).collect(),
            ..CrawlOptions::default()
        };
        if let Some(notice) = old.notice {
            crawl.notice_text = Some(notice.text);
            crawl.notice_link = Some(notice.link);
            crawl.notice_exempt = notice.exempt;
        }
        if let Some(resume) = old.resume {
            crawl.warc_prefix = Some(resume.warc_prefix);
            crawl.contact = resume.contact;
            crawl.max_pages_per_host = resume.max_pages_per_host;
            crawl.timeout = Some(resume.header_timeout_ms as f64 / 1000.0);
            crawl.no_mirror = Some(!resume.mirror);
            crawl.trap_after = resume.trap_after;
            crawl.not_a_trap = resume.not_a_trap;
        }
        Settings {
            crawl,
            record: Some(RunRecord {
                software: c.software,
                started: c.started,
                user_agent: c.user_agent,
                ca_cert_sha256: c.ca_cert_sha256,
                proxies: Vec::new(),
            }),
        }
    }
}
