//! The crawl's resolved settings: a plain struct with documented defaults. [`Config::default`]
//! is the one source of every default: the command line's `[default: …]` texts are tested
//! against it, `arkiv demo` crawls with it, and an option left out of a config file takes it.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use url::Url;

use super::access::Access;
use super::fetch::CaCert;
pub use crate::scope::ScopeMode;

pub const DEFAULT_PER_HOST: usize = 2;
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_RETRIES: u32 = 3;
/// Connect, response head and each pause in a body (one `--timeout` sets all three).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(600);
/// WARC files rotate before they would pass this size (`--warc-max-size 1G`).
pub const DEFAULT_WARC_MAX_SIZE: u64 = 1 << 30;
/// `<prefix>-<timestamp>-<serial>.warc.gz`.
pub const DEFAULT_WARC_PREFIX: &str = "arkiv";
/// Longest URL (bytes) the crawl takes; longer ones are almost always generated traps.
pub const DEFAULT_MAX_URL_LEN: usize = 2048;
/// Deepest path (segments) the crawl takes.
pub const DEFAULT_MAX_PATH_DEPTH: usize = 32;
/// How often one path segment may repeat in a URL before it is taken for a trap (`/a/b/a/b/a/b`).
pub const DEFAULT_MAX_SEGMENT_REPEATS: usize = 3;
/// Pages of one URL family in a row that add nothing new (no new text, no new link or resource)
/// before the family is taken for a trap (an endless calendar, one listing under every sort
/// order); see `traps::family_guard`. A family whose pages differ is never stopped.
pub const DEFAULT_TRAP_AFTER: u32 = 50;
/// Longest redirect chain followed from one URL (browsers stop near 20; wget at 20; we at 10).
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// Longest wait a `Retry-After` may impose before the crawl gives the URL up instead.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// First back-off after a transient failure; doubles with each retry.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);
/// Bodies above this size are spooled to a temporary file under `<out>/state/tmp`.
pub const DEFAULT_SPOOL_THRESHOLD: usize = 1 << 20;
/// Decoded size cap when a body is decompressed for link extraction (gzip bombs).
pub const DEFAULT_MAX_DECODED: u64 = 64 << 20;
/// Pages rendered at once with `--browser` (tabs of the one browser).
pub const DEFAULT_BROWSER_TABS: usize = crate::render::DEFAULT_TABS;
/// Time a page gets in the browser to load, settle and scroll before it is read as it is.
pub const DEFAULT_PAGE_TIMEOUT: Duration = crate::render::DEFAULT_PAGE_TIMEOUT;

/// Everything one crawl needs to know. Build it with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct Config {
    pub seeds: Vec<Url>,
    pub out: PathBuf,
    pub scope: ScopeMode,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub max_depth: Option<u32>,
    pub max_pages: Option<u64>,
    /// Cap on pages per host (a trap guard); `None` = no cap.
    pub max_pages_per_host: Option<u64>,
    /// Fetch page requisites (images, CSS, fonts…) from other hosts too.
    pub offsite_requisites: bool,
    pub obey_robots: bool,
    pub per_host: usize,
    pub concurrency: usize,
    pub delay: Duration,
    pub retries: u32,
    pub connect_timeout: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub total_timeout: Duration,
    pub max_size: Option<u64>,
    pub warc_max_size: u64,
    pub warc_prefix: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    pub notice_text: Option<String>,
    pub notice_link: Option<String>,
    /// URL regexes of pages `arkiv verify` does not expect the notice on.
    pub notice_exempt: Vec<String>,
    pub max_url_len: usize,
    pub max_path_depth: usize,
    pub max_segment_repeats: usize,
    /// Barren pages of one family in a row before it counts as a trap; 0: never.
    pub trap_after: u32,
    /// URL shapes never taken for a trap (`--not-a-trap`), as the trap report prints them.
    pub not_a_trap: Vec<String>,
    pub max_redirects: u32,
    pub max_retry_after: Duration,
    pub backoff: Duration,
    pub spool_threshold: usize,
    pub max_decoded: u64,
    /// Build the offline mirror when the crawl ends.
    pub mirror: bool,
    /// The folder of an earlier crawl (absolute, checked) whose payloads are written as
    /// revisits (`--dedup-from`); none by default.
    pub dedup_from: Option<PathBuf>,
    /// Extra TLS trust anchors (`--ca-cert`), added to the webpki roots for a private CA.
    pub ca_certs: Vec<CaCert>,
    /// Headers, credentials, cookies and proxies (`--header`, `--user`, `--load-cookies`,
    /// `--proxy`, …), resolved with the environment's proxies by `CrawlOptions::resolve`; the
    /// default has none and connects directly.
    pub access: Access,
    /// Render every in-scope HTML page in headless Chromium (`--browser`), its requests made
    /// through the crawl.
    pub browser: bool,
    /// The browser executable (`--chromium`); `None`: found on `PATH`.
    pub chromium: Option<PathBuf>,
    /// Pages rendered at once (`--browser-tabs`).
    pub browser_tabs: usize,
    /// Time a page gets in the browser (`--page-timeout`).
    pub page_timeout: Duration,
    /// A PNG of each rendered page, as a `resource` record (`--screenshots`).
    pub screenshots: bool,
}

impl Config {
    /// The defaults, with these seeds and output folder.
    pub fn new(seeds: Vec<Url>, out: PathBuf) -> Config {
        Config {
            seeds,
            out,
            ..Config::default()
        }
    }

    /// `arkiv/<version> (+<contact>)`, the User-Agent every request carries.
    pub fn user_agent(&self) -> String {
        match &self.contact {
            Some(contact) => format!("{} (+{contact})", crate::SOFTWARE),
            None => crate::SOFTWARE.to_string(),
        }
    }
}

impl Default for Config {
    /// Every default of a crawl; seeds and output folder are empty.
    fn default() -> Config {
        Config {
            seeds: Vec::new(),
            out: PathBuf::new(),
            scope: ScopeMode::default(),
            include: Vec::new(),
            exclude: Vec::new(),
            max_depth: None,
            max_pages: None,
            max_pages_per_host: None,
            offsite_requisites: true,
            obey_robots: true,
            per_host: DEFAULT_PER_HOST,
            concurrency: DEFAULT_CONCURRENCY,
            delay: Duration::ZERO,
            retries: DEFAULT_RETRIES,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_size: None,
            warc_max_size: DEFAULT_WARC_MAX_SIZE,
            warc_prefix: DEFAULT_WARC_PREFIX.to_string(),
            contact: None,
            description: None,
            notice_text: None,
            notice_link: None,
            notice_exempt: Vec::new(),
            max_url_len: DEFAULT_MAX_URL_LEN,
            max_path_depth: DEFAULT_MAX_PATH_DEPTH,
            max_segment_repeats: DEFAULT_MAX_SEGMENT_REPEATS,
            trap_after: DEFAULT_TRAP_AFTER,
            not_a_trap: Vec::new(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            backoff: DEFAULT_BACKOFF,
            spool_threshold: DEFAULT_SPOOL_THRESHOLD,
            max_decoded: DEFAULT_MAX_DECODED,
            mirror: true,
            dedup_from: None,
            ca_certs: Vec::new(),
            access: Access::default(),
            browser: false,
            chromium: None,
            browser_tabs: DEFAULT_BROWSER_TABS,
            page_timeout: DEFAULT_PAGE_TIMEOUT,
            screenshots: false,
        }
    }
}
