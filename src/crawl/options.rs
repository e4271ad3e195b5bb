//! The options of a crawl as a person writes them: the `[crawl]` table of `arkiv.toml` and of a
//! `--config` file, named exactly as `arkiv crawl`'s flags (`per-host = 2` for `--per-host 2`).
//!
//! Every field is optional: what is left out takes [`Config::default`]'s value, so the defaults
//! live in one place. The command line builds one of these too, and [`CrawlOptions::over`] lays
//! it over a file's (flags win). [`CrawlOptions::resolve`] checks everything and makes the
//! [`Config`] the crawl runs with; [`CrawlOptions::of`] writes a config back out in full, so the
//! file a crawl writes is a valid `--config` for the next one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::access::Access;
use super::config::{Config, ScopeMode};
use super::fetch::{CA_CERT_HINT, CaCert};

/// What can be wrong with the options: a message and, where it helps, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OptionsError {
    pub message: String,
    pub hint: Option<String>,
}

impl OptionsError {
    pub(crate) fn new(message: impl Into<String>) -> OptionsError {
        OptionsError {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> OptionsError {
        self.hint = Some(hint.into());
        self
    }
}

/// A size in bytes, written as a number or as `64K`, `10M`, `1G`, `1T` (powers of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SizeText", into = "u64")]
pub struct Size(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeText {
    Bytes(u64),
    Text(String),
}

impl TryFrom<SizeText> for Size {
    type Error = String;

    fn try_from(text: SizeText) -> Result<Size, String> {
        match text {
            SizeText::Bytes(n) => Ok(Size(n)),
            SizeText::Text(t) => parse_size(&t).map(Size),
        }
    }
}

impl From<Size> for u64 {
    fn from(size: Size) -> u64 {
        size.0
    }
}

/// `1500`, `64K`, `10M`, `1G` (powers of 1024; a trailing `B` or `iB` is allowed).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown size unit {unit:?}; use K, M, G or T")),
    };
    let number: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {text:?} (e.g. 10M, 1G)"))?;
    number
        .checked_shl(shift)
        .filter(|v| v >> shift == number)
        .ok_or_else(|| format!("size too large: {text:?}"))
}

/// The options of `arkiv crawl`, by their flag names. See the README and `arkiv crawl --help`
/// for what each means; `None` and empty lists mean "the default".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CrawlOptions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeMode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages_per_host: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trap_after: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_a_trap: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_url_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_path_segments: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_segment_repeats: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_offsite_requisites: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_robots: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_host: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u16>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<Size>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warc_max_size: Option<Size>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warc_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_link: Option<String>,
    /// Pages (URL regexes) `arkiv verify` does not expect the notice on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notice_exempt: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_mirror: Option<bool>,
    /// The output folder of an earlier crawl whose payloads become revisits (absolute once
    /// resolved, so a resume from elsewhere finds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_from: Option<PathBuf>,
    /// PEM files (absolute paths once resolved, so a resume from elsewhere finds them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_cert: Vec<PathBuf>,
    // Sites behind a login or a proxy (`super::access`): names, variables and paths, never a
    // secret.
    /// `Name: value`, sent with every request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header: Vec<String>,
    /// `NAME=VAR`: header NAME with the value of environment variable VAR.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The environment variable holding `user`'s password (absent: asked on the terminal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Origins that receive the credentials (empty: the seeds').
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_origin: Vec<String>,
    /// cookies.txt files (absolute paths once resolved); their values are never written here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_cookies: Vec<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_password_env: Option<String>,
    // Pages that scripts build (`--browser`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<bool>,
    /// The browser executable, as given (a bare name is looked up on `PATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chromium: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_tabs: Option<u16>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_timeout: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshots: Option<bool>,
}

fn list_over(over: Vec<String>, under: Vec<String>) -> Vec<String> {
    if over.is_empty() { under } else { over }
}

impl CrawlOptions {
    /// These options laid over `under`: what is given here wins, the rest comes from `under`.
    pub fn over(self, under: CrawlOptions) -> CrawlOptions {
        CrawlOptions {
            seeds: list_over(self.seeds, under.seeds),
            scope: self.scope.or(under.scope),
            include: list_over(self.include, under.include),
            exclude: list_over(self.exclude, under.exclude),
            max_depth: self.max_depth.or(under.max_depth),
            max_pages: self.max_pages.or(under.max_pages),
            max_pages_per_host: self.max_pages_per_host.or(under.max_pages_per_host),
            trap_after: self.trap_after.or(under.trap_after),
            not_a_trap: list_over(self.not_a_trap, under.not_a_trap),
            max_url_length: self.max_url_length.or(under.max_url_length),
            max_path_segments: self.max_path_segments.or(under.max_path_segments),
            max_segment_repeats: self.max_segment_repeats.or(under.max_segment_repeats),
            no_offsite_requisites: self.no_offsite_requisites.or(under.no_offsite_requisites),
            ignore_robots: self.ignore_robots.or(under.ignore_robots),
            per_host: self.per_host.or(under.per_host),
            concurrency: self.concurrency.or(under.concurrency),
            delay: self.delay.or(under.delay),
            retries: self.retries.or(under.retries),
            timeout: self.timeout.or(under.timeout),
            max_size: self.max_size.or(under.max_size),
            warc_max_size: self.warc_max_size.or(under.warc_max_size),
            warc_prefix: self.warc_prefix.or(under.warc_prefix),
            contact: self.contact.or(under.contact),
            description: self.description.or(under.description),
            notice_text: self.notice_text.or(under.notice_text),
            notice_link: self.notice_link.or(under.notice_link),
            notice_exempt: list_over(self.notice_exempt, under.notice_exempt),
            no_mirror: self.no_mirror.or(under.no_mirror),
            dedup_from: self.dedup_from.or(under.dedup_from),
            ca_cert: if self.ca_cert.is_empty() {
                under.ca_cert
            } else {
                self.ca_cert
            },
            header: list_over(self.header, under.header),
            header_env: list_over(self.header_env, under.header_env),
            user: self.user.or(under.user),
            password_env: self.password_env.or(under.password_env),
            auth_origin: list_over(self.auth_origin, under.auth_origin),
            load_cookies: if self.load_cookies.is_empty() {
                under.load_cookies
            } else {
                self.load_cookies
            },
            proxy: self.proxy.or(under.proxy),
            no_proxy: self.no_proxy.or(under.no_proxy),
            proxy_user: self.proxy_user.or(under.proxy_user),
            proxy_password_env: self.proxy_password_env.or(under.proxy_password_env),
            browser: self.browser.or(under.browser),
            chromium: self.chromium.or(under.chromium),
            browser_tabs: self.browser_tabs.or(under.browser_tabs),
            page_timeout: self.page_timeout.or(under.page_timeout),
            screenshots: self.screenshots.or(under.screenshots),
        }
    }

    /// Checks every option and makes the crawl's [`Config`] for the output folder `out`.
    pub fn resolve(&self, out: &Path) -> Result<Config, OptionsError> {
        if self.seeds.is_empty() {
            return Err(OptionsError::new("no seed URL given")
                .with_hint("arkiv crawl https://example.org/ --out archive/example"));
        }
        let mut seeds = Vec::new();
        for text in &self.seeds {
            let url = Url::parse(text).map_err(|e| {
                OptionsError::new(format!("seed {text:?} is not a URL: {e}"))
                    .with_hint("write it in full, e.g. https://example.org/")
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(OptionsError::new(format!(
                    "seed {text:?} is not an http(s) URL"
                )));
            }
            seeds.push(url);
        }
        let regexes =
            |patterns: &[String], flag: &str| -> Result<Vec<regex::Regex>, OptionsError> {
                patterns
                    .iter()
                    .map(|p| {
                        regex::Regex::new(p)
                            .map_err(|e| OptionsError::new(format!("--{flag} {p:?}: {e}")))
                    })
                    .collect()
            };
        let seconds = |value: f64, flag: &str| -> Result<Duration, OptionsError> {
            Duration::try_from_secs_f64(value).map_err(|_| {
                OptionsError::new(format!("--{flag} {value}: not a number of seconds"))
            })
        };
        let mut config = Config {
            seeds,
            out: out.to_path_buf(),
            ..Config::default()
        };
        if let Some(scope) = self.scope {
            config.scope = scope;
        }
        config.include = regexes(&self.include, "include")?;
        config.exclude = regexes(&self.exclude, "exclude")?;
        regexes(&self.notice_exempt, "notice-exempt")?;
        config.notice_exempt = self.notice_exempt.clone();
        config.max_depth = self.max_depth;
        config.max_pages = self.max_pages;
        config.max_pages_per_host = self.max_pages_per_host;
        if let Some(n) = self.trap_after {
            config.trap_after = n;
        }
        config.not_a_trap = self.not_a_trap.clone();
        if let Some(n) = self.max_url_length {
            config.max_url_len = n;
        }
        if let Some(n) = self.max_path_segments {
            config.max_path_depth = n;
        }
        if let Some(n) = self.max_segment_repeats {
            config.max_segment_repeats = n;
        }
        if let Some(no) = self.no_offsite_requisites {
            config.offsite_requisites = !no;
        }
        if let Some(ignore) = self.ignore_robots {
            config.obey_robots = !ignore;
        }
        for (value, flag) in [
            (self.per_host, "per-host"),
            (self.concurrency, "concurrency"),
            (self.browser_tabs, "browser-tabs"),
        ] {
            if value == Some(0) {
                return Err(OptionsError::new(format!("--{flag} 0: must be at least 1")));
            }
        }
        if let Some(n) = self.per_host {
            config.per_host = usize::from(n);
        }
        if let Some(n) = self.concurrency {
            config.concurrency = usize::from(n);
        }
        if let Some(delay) = self.delay {
            config.delay = seconds(delay, "delay")?;
        }
        if let Some(n) = self.retries {
            config.retries = n;
        }
        if let Some(timeout) = self.timeout {
            let timeout = seconds(timeout, "timeout")?;
            config.connect_timeout = timeout;
            config.header_timeout = timeout;
            config.body_timeout = timeout;
        }
        config.max_size = self.max_size.map(|s| s.0);
        if let Some(size) = self.warc_max_size {
            config.warc_max_size = size.0;
        }
        if let Some(prefix) = &self.warc_prefix {
            let ok = !prefix.is_empty()
                && prefix.len() <= 64
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !prefix.starts_with('.');
            if !ok {
                return Err(OptionsError::new(format!(
                    "--warc-prefix {prefix:?}: use letters, digits, '-', '_' or '.' (at most 64)"
                )));
            }
            config.warc_prefix = prefix.clone();
        }
        config.contact = self.contact.clone();
        config.description = self.description.clone();
        config.notice_text = self.notice_text.clone().filter(|t| !t.is_empty());
        config.notice_link = self.notice_link.clone().filter(|t| !t.is_empty());
        if let Some(no) = self.no_mirror {
            config.mirror = !no;
        }
        if let Some(old) = &self.dedup_from {
            let earlier = crate::dedup::EarlierCrawl::open_for(old, out).map_err(|err| {
                OptionsError::new(format!("--dedup-from: {err}")).with_hint(
                    "pass the --out folder of a finished `arkiv crawl` of the same site, \
                     other than this crawl's --out",
                )
            })?;
            config.dedup_from = Some(earlier.dir().to_path_buf());
        }
        for path in &self.ca_cert {
            // Absolute, so that `--resume` from another folder finds the same file.
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let ca = CaCert::load(&path).map_err(|err| {
                OptionsError::new(format!("--ca-cert: {err}")).with_hint(CA_CERT_HINT)
            })?;
            config.ca_certs.push(ca);
        }
        config.browser = self.browser.unwrap_or(false);
        config.chromium = self.chromium.as_ref().map(|path| {
            // A path (not a bare name) is made absolute, so that `--resume` from another folder
            // finds the same browser.
            if path.components().count() > 1 {
                std::path::absolute(path).unwrap_or_else(|_| path.clone())
            } else {
                path.clone()
            }
        });
        if let Some(n) = self.browser_tabs {
            config.browser_tabs = usize::from(n);
        }
        if let Some(timeout) = self.page_timeout {
            let timeout = seconds(timeout, "page-timeout")?;
            if timeout.is_zero() {
                return Err(OptionsError::new("--page-timeout 0: must be more than 0"));
            }
            config.page_timeout = timeout;
        }
        config.screenshots = self.screenshots.unwrap_or(false);
        if !config.browser && (config.screenshots || self.chromium.is_some()) {
            return Err(OptionsError::new(
                "--screenshots and --chromium belong to a crawl in the browser",
            )
            .with_hint("add --browser"));
        }
        // Last: it may ask for a password on the terminal, which should not come before an
        // error in the other options.
        config.access = Access::resolve(self, &config.seeds)?;
        Ok(config)
    }

    /// Every option of `config`, written out (defaults included), so that the file records how
    /// the crawl ran and makes the same crawl again.
    pub fn of(config: &Config) -> CrawlOptions {
        let secs = |d: Duration| d.as_secs_f64();
        let mut options = CrawlOptions {
            seeds: config.seeds.iter().map(Url::to_string).collect(),
            scope: Some(config.scope),
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
            max_pages_per_host: config.max_pages_per_host,
            trap_after: Some(config.trap_after),
            not_a_trap: config.not_a_trap.clone(),
            max_url_length: Some(config.max_url_len),
            max_path_segments: Some(config.max_path_depth),
            max_segment_repeats: Some(config.max_segment_repeats),
            no_offsite_requisites: Some(!config.offsite_requisites),
            ignore_robots: Some(!config.obey_robots),
            per_host: Some(u16::try_from(config.per_host).unwrap_or(u16::MAX)),
            concurrency: Some(u16::try_from(config.concurrency).unwrap_or(u16::MAX)),
            delay: Some(secs(config.delay)),
            retries: Some(config.retries),
            timeout: Some(secs(config.header_timeout)),
            max_size: config.max_size.map(Size),
            warc_max_size: Some(Size(config.warc_max_size)),
            warc_prefix: Some(config.warc_prefix.clone()),
            contact: config.contact.clone(),
            description: config.description.clone(),
            notice_text: config.notice_text.clone(),
            notice_link: config.notice_link.clone(),
            notice_exempt: config.notice_exempt.clone(),
            no_mirror: Some(!config.mirror),
            dedup_from: config.dedup_from.clone(),
            ca_cert: config
                .ca_certs
                .iter()
                .map(|c| c.path().to_path_buf())
                .collect(),
            browser: Some(config.browser),
            chromium: config.chromium.clone(),
            browser_tabs: Some(u16::try_from(config.browser_tabs).unwrap_or(u16::MAX)),
            page_timeout: Some(secs(config.page_timeout)),
            screenshots: Some(config.screenshots),
            ..CrawlOptions::default()
        };
        config.access.write_options(&mut options);
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn what_is_left_out_takes_the_default() {
        let options: CrawlOptions =
            toml::from_str("seeds = [\"http://h/\"]\nper-host = 1\n").expect("parses");
        let config = options.resolve(Path::new("out")).expect("resolves");
        let default = Config::default();
        assert_eq!(config.per_host, 1);
        assert_eq!(config.concurrency, default.concurrency);
        assert_eq!(config.trap_after, default.trap_after);
        assert_eq!(config.warc_max_size, default.warc_max_size);
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let error = toml::from_str::<CrawlOptions>("seeds = []\nper_host = 2\n").unwrap_err();
        assert!(error.to_string().contains("per_host"), "{error}");
    }

    #[test]
    fn the_options_a_config_writes_make_the_same_config() {
        let mut options: CrawlOptions = toml::from_str(
            "seeds = [\"http://h/\"]\nmax-depth = 4\ntimeout = 2.5\nwarc-max-size = \"10M\"\n\
             exclude = [\"/x/\"]\nno-mirror = true\n",
        )
        .expect("parses");
        options.notice_text = Some("Gammel side".into());
        let first = options.resolve(Path::new("out")).expect("resolves");
        let written = toml::to_string(&CrawlOptions::of(&first)).expect("serializes");
        let again: CrawlOptions = toml::from_str(&written).expect("reads back");
        let second = again.resolve(Path::new("out")).expect("resolves");
        assert_eq!(CrawlOptions::of(&first), CrawlOptions::of(&second));
        assert_eq!(second.max_depth, Some(4));
        assert_eq!(second.header_timeout, Duration::from_millis(2500));
        assert_eq!(second.warc_max_size, 10 << 20);
        assert!(!second.mirror);
    }

    #[test]
    fn the_browser_options_survive_the_file_a_crawl_writes() {
        let options: CrawlOptions = toml::from_str(
            "seeds = [\"http://h/\"]\nbrowser = true\nchromium = \"chromium\"\n\
             browser-tabs = 3\npage-timeout = 7.5\nscreenshots = true\n",
        )
        .expect("parses");
        let first = options.resolve(Path::new("out")).expect("resolves");
        assert!(first.browser && first.screenshots);
        assert_eq!(first.chromium.as_deref(), Some(Path::new("chromium")));
        assert_eq!(first.browser_tabs, 3);
        assert_eq!(first.page_timeout, Duration::from_millis(7500));
        let written = toml::to_string(&CrawlOptions::of(&first)).expect("serializes");
        let again: CrawlOptions = toml::from_str(&written).expect("reads back");
        let second = again.resolve(Path::new("out")).expect("resolves");
        assert_eq!(CrawlOptions::of(&first), CrawlOptions::of(&second));
        // A plain crawl writes `browser = false` and stays plain.
        let plain = CrawlOptions {
            seeds: vec!["http://h/".into()],
            ..CrawlOptions::default()
        }
        .resolve(Path::new("out"))
        .expect("resolves");
        assert!(!plain.browser);
        assert_eq!(CrawlOptions::of(&plain).browser, Some(false));
    }

    #[test]
    fn browser_options_without_browser_and_a_zero_page_timeout_are_refused() {
        let seeds = vec!["http://h/".to_owned()];
        let shots = CrawlOptions {
            seeds: seeds.clone(),
            screenshots: Some(true),
            ..CrawlOptions::default()
        };
        let error = shots.resolve(Path::new("out")).expect_err("refused");
        assert_eq!(error.hint.as_deref(), Some("add --browser"));
        let zero = CrawlOptions {
            seeds,
            browser: Some(true),
            page_timeout: Some(0.0),
            ..CrawlOptions::default()
        };
        assert!(zero.resolve(Path::new("out")).is_err());
    }

    #[test]
    fn flags_win_over_a_file() {
        let file = CrawlOptions {
            seeds: vec!["http://file/".into()],
            per_host: Some(1),
            retries: Some(7),
            ..CrawlOptions::default()
        };
        let flags = CrawlOptions {
            per_host: Some(4),
            ..CrawlOptions::default()
        };
        let both = flags.over(file);
        assert_eq!(both.per_host, Some(4));
        assert_eq!(both.retries, Some(7));
        assert_eq!(both.seeds, ["http://file/"]);
    }
}
