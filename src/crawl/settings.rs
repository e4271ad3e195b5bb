//! `<out>/arkiv.toml`: the crawl's options as run (the `[crawl]` table, named as `arkiv crawl`'s
//! flags: see [`CrawlOptions`]) and a record of how it ran (`[record]`: software, start, the
//! User-Agent sent, the fingerprints of trusted CAs). People read it, `arkiv verify` takes the
//! notice from it, `--resume` continues with it, and `arkiv crawl --config` starts a new crawl
//! from it (or from a file of the same form that a person wrote; `[record]` is then ignored).

mod legacy;

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::fetch::CaCert;
use super::options::{CrawlOptions, OptionsError};

/// The file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub crawl: CrawlOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RunRecord>,
}

/// How a crawl ran: facts, not options.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RunRecord {
    pub software: String,
    /// When the crawl started (RFC 3339); a resume keeps it.
    pub started: String,
    pub user_agent: String,
    /// `sha256:HEX` of every certificate in the `ca-cert` files, so the record says which CA it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_cert_sha256: Vec<String>,
    /// The proxies that carried the crawl (from `--proxy` or the environment), without
    /// credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxies: Vec<String>,
}

/// The first lines of every `arkiv.toml`.
const HEADER: &str = "# arkiv.toml: how this crawl ran. [crawl] holds the options of `arkiv crawl`, named as its\n\
                      # flags; `arkiv crawl --config arkiv.toml --out NEW` runs the same crawl again.\n\n";

impl Settings {
    pub fn from_config(config: &Config, started: &str) -> Settings {
        Settings {
            crawl: CrawlOptions::of(config),
            record: Some(RunRecord {
                software: crate::SOFTWARE.to_string(),
                started: started.to_string(),
                user_agent: config.user_agent(),
                ca_cert_sha256: config
                    .ca_certs
                    .iter()
                    .flat_map(CaCert::fingerprints)
                    .collect(),
                proxies: config
                    .access
                    .proxies
                    .warcinfo_fields()
                    .into_iter()
                    .map(|(_, text)| text)
                    .collect(),
            }),
        }
    }

    /// When the crawl started, as recorded.
    pub fn started(&self) -> Option<&str> {
        self.record.as_ref().map(|r| r.started.as_str())
    }

    /// The crawl's [`Config`] again, for resuming it in `out`.
    pub fn to_config(&self, out: &Path) -> anyhow::Result<Config> {
        self.crawl.resolve(out).map_err(|err| {
            let hint = err.hint.clone().unwrap_or_else(|| {
                "arkiv.toml's [crawl] table holds the crawl's options; fix the line it names".into()
            });
            anyhow::anyhow!("{err}\nhint: {hint}")
        })
    }

    /// Writes the file atomically (temp file + rename) so a crash never leaves half of it.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = format!("{HEADER}{}", toml::to_string_pretty(self)?);
        let tmp = path.with_extension("toml.tmp");
        fs_err::write(&tmp, text)?;
        fs_err::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads a settings file; one written by an older arkiv is read and converted.
    pub fn read(path: &Path) -> anyhow::Result<Settings> {
        let text = fs_err::read_to_string(path)?;
        match toml::from_str::<Settings>(&text) {
            Ok(settings) => Ok(settings),
            Err(err) => match toml::from_str::<legacy::LegacySettings>(&text) {
                Ok(old) => Ok(old.into()),
                Err(_) => Err(anyhow::anyhow!("{}: {}", path.display(), err.message())),
            },
        }
    }

    /// The options of a `--config` file (its `[record]`, if any, is not an option).
    pub fn read_options(path: &Path) -> Result<CrawlOptions, OptionsError> {
        Settings::read(path)
            .map(|settings| settings.crawl)
            .map_err(|err| OptionsError {
                message: format!("--config: {err:#}"),
                hint: Some(
                    "a config file holds a [crawl] table of `arkiv crawl` options, named as its \
                     flags (per-host = 2); an arkiv.toml of an earlier crawl is one"
                        .to_string(),
                ),
            })
    }

    /// The settings as `key: value` lines for the warcinfo record.
    pub fn warcinfo_lines(&self) -> Vec<(String, String)> {
        let c = &self.crawl;
        let record = self.record.clone().unwrap_or_else(|| RunRecord {
            software: crate::SOFTWARE.to_string(),
            started: String::new(),
            user_agent: crate::SOFTWARE.to_string(),
            ca_cert_sha256: Vec::new(),
            proxies: Vec::new(),
        });
        let mut lines =
            vec![
            ("software".to_string(), record.software.clone()),
            ("format".to_string(), "WARC File Format 1.1".to_string()),
            (
                "conformsTo".to_string(),
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
                    .to_string(),
            ),
            (
                "robots".to_string(),
                if c.ignore_robots == Some(true) {
                    "ignore"
                } else {
                    "obey"
                }
                .to_string(),
            ),
            ("http-header-user-agent".to_string(), record.user_agent.clone()),
        ];
        if let Some(description) = &c.description {
            lines.push(("description".to_string(), description.clone()));
        }
        // Extra trust anchors change which servers were accepted as authentic: say so.
        for path in &c.ca_cert {
            lines.push(("arkiv-ca-cert".to_string(), path.display().to_string()));
        }
        for fingerprint in &record.ca_cert_sha256 {
            lines.push(("arkiv-ca-cert-sha256".to_string(), fingerprint.clone()));
        }
        if let Some(old) = &c.dedup_from {
            lines.push((
                crate::dedup::DEDUP_FROM_FIELD.to_string(),
                old.display().to_string(),
            ));
        }
        for seed in &c.seeds {
            lines.push(("arkiv-seed".to_string(), seed.clone()));
        }
        let scope = c
            .scope
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(String::from));
        lines.push(("arkiv-scope".to_string(), scope.unwrap_or_default()));
        if let (Some(text), Some(link)) = (&c.notice_text, &c.notice_link) {
            lines.push(("arkiv-notice-text".to_string(), text.clone()));
            lines.push(("arkiv-notice-link".to_string(), link.clone()));
        }
        let settings = serde_json::to_string(c).unwrap_or_default();
        lines.push(("arkiv-settings".to_string(), settings));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_arkiv_toml_still_reads() {
        let text = "[crawl]\nsoftware = \"arkiv/0.1.0\"\nstarted = \"2026-11-27T04:43:34Z\"\n\
                    seeds = [\"http://127.0.0.1:36189/\"]\nscope = \"origin\"\ninclude = []\n\
                    exclude = []\noffsite_requisites = true\nobey_robots = true\nper_host = 2\n\
                    concurrency = 16\ndelay_ms = 250\nretries = 3\nwarc_max_size = 1000000000\n\
                    user_agent = \"arkiv/0.1.0\"\n\n[notice]\ntext = \"Gammel\"\n\
                    link = \"https://x/\"\nexempt = []\n";
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("arkiv.toml");
        fs_err::write(&path, text).expect("write");
        let settings = Settings::read(&path).expect("reads");
        assert_eq!(settings.started(), Some("2026-11-27T04:43:34Z"));
        let config = settings.to_config(dir.path()).expect("config");
        assert_eq!(config.delay, std::time::Duration::from_millis(250));
        assert_eq!(config.notice_text.as_deref(), Some("Gammel"));
        assert_eq!(config.warc_max_size, 1_000_000_000);
    }

    #[test]
    fn the_file_a_crawl_writes_is_a_config() {
        let mut config = Config::new(vec![url::Url::parse("http://h/").unwrap()], "out".into());
        config.retries = 9;
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("arkiv.toml");
        Settings::from_config(&config, "2026-12-02T00:00:00Z")
            .write(&path)
            .expect("write");
        let options = Settings::read_options(&path).expect("a config");
        assert_eq!(options.retries, Some(9));
        let text = fs_err::read_to_string(&path).expect("read");
        assert!(text.contains("per-host = 2"), "{text}");
        assert!(text.starts_with("# arkiv.toml"), "{text}");
    }

    #[test]
    fn an_unknown_key_names_itself() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("c.toml");
        fs_err::write(&path, "[crawl]\nseeds = [\"http://h/\"]\nper-hots = 3\n").expect("write");
        let err = Settings::read_options(&path).unwrap_err();
        assert!(err.message.contains("per-hots"), "{}", err.message);
    }
}
