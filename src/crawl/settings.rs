//! `<out>/arkiv.toml`: the crawl's settings as run, for people, for `verify` (the notice) and for
//! resuming.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::{Config, ScopeMode};
use super::fetch::{CA_CERT_HINT, CaCert};

/// The file's contents. Durations are in milliseconds, sizes in bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub crawl: CrawlSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<NoticeSettings>,
    /// What `--resume` needs beyond `[crawl]` to run the same crawl again (kept out of `[crawl]`
    /// because that table is also the warcinfo's `arkiv-settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeSettings>,
}

fn default_trap_after() -> u32 {
    super::config::DEFAULT_TRAP_AFTER
}

fn default_max_url_len() -> usize {
    super::config::DEFAULT_MAX_URL_LEN
}

fn default_max_path_depth() -> usize {
    super::config::DEFAULT_MAX_PATH_DEPTH
}

fn default_max_segment_repeats() -> usize {
    super::config::DEFAULT_MAX_SEGMENT_REPEATS
}

/// The rest of the resolved [`Config`], for `arkiv crawl --resume`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResumeSettings {
    pub warc_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages_per_host: Option<u64>,
    #[serde(default = "default_trap_after")]
    pub trap_after: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_a_trap: Vec<String>,
    #[serde(default = "default_max_url_len")]
    pub max_url_len: usize,
    #[serde(default = "default_max_path_depth")]
    pub max_path_depth: usize,
    #[serde(default = "default_max_segment_repeats")]
    pub max_segment_repeats: usize,
    pub connect_timeout_ms: u64,
    pub header_timeout_ms: u64,
    pub body_timeout_ms: u64,
    pub mirror: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrawlSettings {
    pub software: String,
    pub started: String,
    pub seeds: Vec<String>,
    pub scope: ScopeMode,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    pub offsite_requisites: bool,
    pub obey_robots: bool,
    pub per_host: usize,
    pub concurrency: usize,
    pub delay_ms: u64,
    pub retries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    pub warc_max_size: u64,
    pub user_agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `--ca-cert` files (absolute paths), read again on `--resume`. In `[crawl]` because which
    /// CAs were trusted belongs to the record of how the crawl ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certs: Vec<String>,
    /// `sha256:HEX` of every certificate in those files, so the record says which CA it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_cert_sha256: Vec<String>,
}

/// The notice every archived page must carry (checked by `arkiv verify`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeSettings {
    pub text: String,
    pub link: String,
    #[serde(default)]
    pub exempt: Vec<String>,
}

impl Settings {
    pub fn from_config(config: &Config, started: &str) -> Settings {
        let notice = match (&config.notice_text, &config.notice_link) {
            (None, None) => None,
            (text, link) => Some(NoticeSettings {
                text: text.clone().unwrap_or_default(),
                link: link.clone().unwrap_or_default(),
                exempt: Vec::new(),
            }),
        };
        Settings {
            crawl: CrawlSettings {
                software: crate::SOFTWARE.to_string(),
                started: started.to_string(),
                seeds: config.seeds.iter().map(|u| u.to_string()).collect(),
                scope: config.scope,
                include: config
                    .include
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect(),
                exclude: config
                    .exclude
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect(),
                max_depth: config.max_depth,
                max_pages: config.max_pages,
                offsite_requisites: config.offsite_requisites,
                obey_robots: config.obey_robots,
                per_host: config.per_host,
                concurrency: config.concurrency,
                delay_ms: config.delay.as_millis() as u64,
                retries: config.retries,
                max_size: config.max_size,
                warc_max_size: config.warc_max_size,
                user_agent: config.user_agent(),
                description: config.description.clone(),
                ca_certs: config
                    .ca_certs
                    .iter()
                    .map(|ca| ca.path().display().to_string())
                    .collect(),
                ca_cert_sha256: config
                    .ca_certs
                    .iter()
                    .flat_map(CaCert::fingerprints)
                    .collect(),
            },
            notice,
            resume: Some(ResumeSettings {
                warc_prefix: config.warc_prefix.clone(),
                contact: config.contact.clone(),
                max_pages_per_host: config.max_pages_per_host,
                trap_after: config.trap_after,
                not_a_trap: config.not_a_trap.clone(),
                max_url_len: config.max_url_len,
                max_path_depth: config.max_path_depth,
                max_segment_repeats: config.max_segment_repeats,
                connect_timeout_ms: config.connect_timeout.as_millis() as u64,
                header_timeout_ms: config.header_timeout.as_millis() as u64,
                body_timeout_ms: config.body_timeout.as_millis() as u64,
                mirror: config.mirror,
            }),
        }
    }

    /// The crawl's [`Config`] again, for resuming it in `out`.
    pub fn to_config(&self, out: &Path) -> anyhow::Result<Config> {
        let c = &self.crawl;
        let mut seeds = Vec::new();
        for seed in &c.seeds {
            seeds.push(url::Url::parse(seed).map_err(|e| anyhow::anyhow!("seed {seed:?}: {e}"))?);
        }
        let regexes = |patterns: &[String]| -> anyhow::Result<Vec<regex::Regex>> {
            Ok(patterns
                .iter()
                .map(|p| regex::Regex::new(p))
                .collect::<Result<_, _>>()?)
        };
        let mut config = Config::new(seeds, out.to_path_buf());
        config.scope = c.scope;
        config.include = regexes(&c.include)?;
        config.exclude = regexes(&c.exclude)?;
        config.max_depth = c.max_depth;
        config.max_pages = c.max_pages;
        config.offsite_requisites = c.offsite_requisites;
        config.obey_robots = c.obey_robots;
        config.per_host = c.per_host;
        config.concurrency = c.concurrency;
        config.delay = Duration::from_millis(c.delay_ms);
        config.retries = c.retries;
        config.max_size = c.max_size;
        config.warc_max_size = c.warc_max_size;
        config.description = c.description.clone();
        for path in &c.ca_certs {
            // Never resume with less trust configuration than the crawl ran with: a missing file
            // stops the resume instead of silently failing every https fetch.
            let ca = CaCert::load(Path::new(path)).map_err(|err| {
                anyhow::anyhow!(
                    "{err}\nhint: arkiv.toml's [crawl] ca_certs names this file; put the CA \
                     certificate back there (or edit that line); {CA_CERT_HINT}"
                )
            })?;
            config.ca_certs.push(ca);
        }
        if let Some(notice) = &self.notice {
            config.notice_text = Some(notice.text.clone()).filter(|t| !t.is_empty());
            config.notice_link = Some(notice.link.clone()).filter(|t| !t.is_empty());
        }
        if let Some(r) = &self.resume {
            config.warc_prefix = r.warc_prefix.clone();
            config.contact = r.contact.clone();
            config.max_pages_per_host = r.max_pages_per_host;
            config.trap_after = r.trap_after;
            config.not_a_trap = r.not_a_trap.clone();
            config.max_url_len = r.max_url_len;
            config.max_path_depth = r.max_path_depth;
            config.max_segment_repeats = r.max_segment_repeats;
            config.connect_timeout = Duration::from_millis(r.connect_timeout_ms);
            config.header_timeout = Duration::from_millis(r.header_timeout_ms);
            config.body_timeout = Duration::from_millis(r.body_timeout_ms);
            config.mirror = r.mirror;
        }
        Ok(config)
    }

    /// Writes the file atomically (temp file + rename) so a crash never leaves half of it.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self)?;
        let tmp = path.with_extension("toml.tmp");
        fs_err::write(&tmp, text)?;
        fs_err::rename(&tmp, path)?;
        Ok(())
    }

    pub fn read(path: &Path) -> anyhow::Result<Settings> {
        let text = fs_err::read_to_string(path)?;
        Ok(toml::from_str(&text)?)
    }

    /// The settings as `key: value` lines for the warcinfo record.
    pub fn warcinfo_lines(&self) -> Vec<(String, String)> {
        let c = &self.crawl;
        let mut lines = vec![
            ("software".to_string(), c.software.clone()),
            ("format".to_string(), "WARC File Format 1.1".to_string()),
            (
                "conformsTo".to_string(),
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
                    .to_string(),
            ),
            (
                "robots".to_string(),
                if c.obey_robots { "obey" } else { "ignore" }.to_string(),
            ),
            ("http-header-user-agent".to_string(), c.user_agent.clone()),
        ];
        if let Some(description) = &c.description {
            lines.push(("description".to_string(), description.clone()));
        }
        // Extra trust anchors change which servers were accepted as authentic: say so.
        for path in &c.ca_certs {
            lines.push(("arkiv-ca-cert".to_string(), path.clone()));
        }
        for fingerprint in &c.ca_cert_sha256 {
            lines.push(("arkiv-ca-cert-sha256".to_string(), fingerprint.clone()));
        }
        for seed in &c.seeds {
            lines.push(("arkiv-seed".to_string(), seed.clone()));
        }
        let scope = serde_json::to_value(c.scope)
            .ok()
            .and_then(|v| v.as_str().map(String::from));
        lines.push(("arkiv-scope".to_string(), scope.unwrap_or_default()));
        if let Some(notice) = &self.notice {
            lines.push(("arkiv-notice-text".to_string(), notice.text.clone()));
            lines.push(("arkiv-notice-link".to_string(), notice.link.clone()));
        }
        let settings = serde_json::to_string(c).unwrap_or_default();
        lines.push(("arkiv-settings".to_string(), settings));
        lines
    }
}
