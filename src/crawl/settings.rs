//! `<out>/arkiv.toml`: the crawl's settings as run, for people, for `verify` (the notice) and for
//! resuming.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::{Config, ScopeMode};

/// The file's contents. Durations are in milliseconds, sizes in bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub crawl: CrawlSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<NoticeSettings>,
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
            },
            notice,
        }
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
