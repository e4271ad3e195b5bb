//! The command line as the user types it (clap only: validated, no I/O). `main.rs` turns it into the
//! library's own settings; the library never sees a clap type.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Preserve websites that have stopped changing.
#[derive(Debug, Parser)]
#[command(name = "arkiv", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More output on stderr (-v: debug, -vv: trace) [default: info]
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less output on stderr: only warnings and errors [default: off]
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// When to use colour on stderr; `NO_COLOR` in the environment means never [default: auto]
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, hide_default_value = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl a site into WARC files, a CDXJ index, reports and an offline mirror
    Crawl(CrawlArgs),
    /// Archive the bundled demo site (served on 127.0.0.1; no network): crawl, mirror, verify
    Demo(DemoArgs),
    /// Check an output folder (or with --mirror-only any folder of pages) and exit 0 only if all holds
    Verify(VerifyArgs),
    /// Rebuild the offline mirror of an output folder from its WARC files alone
    Mirror(MirrorArgs),
    /// Compare two crawls of one site URL by URL; exit 0 only if nothing was added, removed or changed
    Diff(DiffArgs),
    /// Serve a bundled fixture site on 127.0.0.1 until Ctrl-C (for trying arkiv by hand)
    ServeFixture(ServeFixtureArgs),
    /// Pack an output folder into a WACZ file (WARC files, index, page list) for replay tools
    Wacz(WaczArgs),
    /// Serve an output folder's mirror (and with --replay its archive) on 127.0.0.1 until Ctrl-C
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct WaczArgs {
    /// An output folder made by `arkiv crawl` (it holds warc/) [default: none]
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// The WACZ file to write (replaced whole if it exists) [default: DIR/<name of DIR>.wacz]
    #[arg(long, short, value_name = "FILE.wacz")]
    pub output: Option<PathBuf>,

    /// Index lines above which the index is written as ZipNum gzip blocks (index.cdx.gz + index.idx, read a block at a time) instead of one index.cdxj; 0 always [default: 10000]
    #[arg(long, value_name = "LINES", default_value_t = arkiv::wacz::DEFAULT_ZIPNUM_ABOVE, hide_default_value = true)]
    pub zipnum_above: u64,

    /// Index lines per gzip block of a ZipNum index [default: 1024]
    #[arg(long, value_name = "LINES", default_value_t = arkiv::wacz::DEFAULT_ZIPNUM_BLOCK as u32, hide_default_value = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub zipnum_block: u32,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// An output folder made by `arkiv crawl` [default: none]
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Port on 127.0.0.1 to listen on; 0 picks a free one [default: 0]
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub port: u16,

    /// Also replay the archive: /<timestamp>/<url> from the WARC files, /<timestamp>id_/<url> raw, /<name>.wacz, and ReplayWeb.page at /replay/ when installed [default: off]
    #[arg(long)]
    pub replay: bool,

    /// Folder holding ReplayWeb.page's ui.js and sw.js (npm package replaywebpage) [default: $ARKIV_REPLAYWEBPAGE, else ~/.local/share/arkiv/replaywebpage]
    #[arg(long, value_name = "DIR", env = "ARKIV_REPLAYWEBPAGE", hide_env = true)]
    pub replaywebpage: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder; an earlier demo there is replaced [default: archive/demo]
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// An output folder made by `arkiv crawl`, or with --mirror-only any folder of static pages [default: none]
    #[arg(value_name = "DIR")]
    pub target: PathBuf,

    /// Check only the link integrity of a folder of pages (a wget or HTTrack mirror, a static build) [default: off]
    #[arg(long)]
    pub mirror_only: bool,

    /// Missing #fragment targets are errors, not warnings [default: off]
    #[arg(long)]
    pub strict: bool,

    /// Text every archived page must carry [default: the notice in arkiv.toml]
    #[arg(long, value_name = "TEXT", requires = "notice_link")]
    pub notice_text: Option<String>,

    /// Link the notice must carry, exactly as written [default: the notice in arkiv.toml]
    #[arg(long, value_name = "URL", requires = "notice_text")]
    pub notice_link: Option<String>,

    /// Pages whose URL matches this regex need not carry the notice (repeatable) [default: none]
    #[arg(long, value_name = "REGEX")]
    pub notice_exempt: Vec<String>,

    /// Report format on stdout [default: human]
    #[arg(long, value_enum, default_value_t = FormatArg::Human, hide_default_value = true)]
    pub format: FormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Junit,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier crawl: an output folder made by `arkiv crawl` [default: none]
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later crawl of the same site [default: none]
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Report format on stdout (`human` is accepted for `text`, as verify calls it) [default: text]
    #[arg(long, value_enum, default_value_t = DiffFormatArg::Text, hide_default_value = true)]
    pub format: DiffFormatArg,

    /// Report only the counts: no URLs, no diffs [default: off]
    #[arg(long)]
    pub summary: bool,

    /// Leave out URLs matching this regex, in both crawls (repeatable) [default: none]
    #[arg(long, value_name = "REGEX")]
    pub ignore: Vec<String>,

    /// Read OLD's URLs under OLD_PREFIX as under NEW_PREFIX: the site moved host, port or scheme (repeatable) [default: none]
    #[arg(long, value_name = "OLD_PREFIX=NEW_PREFIX")]
    pub rebase: Vec<String>,

    /// An HTML page whose title, visible text and links are the same counts as unchanged, even if its bytes differ [default: off]
    #[arg(long)]
    pub ignore_markup: bool,

    /// Lines of text diff shown per changed page or text file; 0 shows none [default: 40]
    #[arg(long, value_name = "N", default_value_t = arkiv::diff::DEFAULT_MAX_DIFF_LINES, hide_default_value = true)]
    pub max_diff_lines: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    #[value(alias = "human")]
    Text,
    Json,
    Junit,
}

impl DiffArgs {
    /// Resolves what the user typed into the library's settings (no I/O).
    pub fn to_options(&self) -> Result<arkiv::diff::DiffOptions, UsageError> {
        let mut options = arkiv::diff::DiffOptions::new(&self.old, &self.new);
        for pattern in &self.ignore {
            let re = regex::Regex::new(pattern)
                .map_err(|e| UsageError::new(format!("--ignore {pattern:?}: {e}"), None))?;
            options.ignore.push(re);
        }
        for text in &self.rebase {
            let rebase = arkiv::diff::Rebase::parse(text).map_err(|message| {
                UsageError::new(
                    message,
                    Some("e.g. --rebase http://127.0.0.1:36189/=https://example.org/".to_string()),
                )
            })?;
            options.rebase.push(rebase);
        }
        options.ignore_markup = self.ignore_markup;
        options.max_diff_lines = self.max_diff_lines;
        Ok(options)
    }
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// An output folder made by `arkiv crawl` (it holds warc/) [default: none]
    #[arg(value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeFixtureArgs {
    /// The fixture site to serve: collective-impact, edge-cases, families, scripted or test-server [default: collective-impact]
    #[arg(default_value = "collective-impact", hide_default_value = true)]
    pub site: String,

    /// Port on 127.0.0.1 to listen on; 0 picks a free one [default: 0]
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub port: u16,

    /// Serve HTTPS with this PEM certificate chain (leaf first; needs --tls-key) [default: plain HTTP]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert [default: none]
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Seed URLs to start from (http or https) [default: none]
    #[arg(value_name = "URL")]
    pub seeds: Vec<String>,

    /// A file with more seed URLs, one per line (`#` starts a comment) [default: none]
    #[arg(long, value_name = "FILE")]
    pub seeds_file: Option<PathBuf>,

    /// Output folder for WARC files, index, reports and mirror; must not hold a crawl yet [default: none]
    #[arg(long, short, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,

    /// Continue the crawl in DIR after Ctrl-C, kill or power loss; settings come from DIR/arkiv.toml (other crawl options but --not-a-trap are ignored) [default: none]
    #[arg(long, value_name = "DIR", conflicts_with_all = ["seeds", "seeds_file", "out"])]
    pub resume: Option<PathBuf>,

    /// Which URLs belong to the crawl: the seeds' origin, host, domain (with subdomains) or URL prefix [default: origin]
    #[arg(long, value_enum, default_value_t = ScopeArg::Origin, hide_default_value = true)]
    pub scope: ScopeArg,

    /// Only take URLs matching this regex (repeatable) [default: all]
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,

    /// Never take URLs matching this regex (repeatable) [default: none]
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,

    /// Follow navigation links at most this many hops from a seed [default: unlimited]
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Take at most this many pages (requisites not counted) [default: unlimited]
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,

    /// Take at most this many pages from one host (a trap guard) [default: unlimited]
    #[arg(long, value_name = "N")]
    pub max_pages_per_host: Option<u64>,

    /// Take a family of URLs (one shape: digits aside, the same query names) for a trap once this many of its pages in a row added nothing new: no new text, no new link or resource. Then the links its pages make to its own shape are declined; what the rest of the site links is always taken. 0: never [default: 50]
    #[arg(long, value_name = "N", default_value_t = arkiv::crawl::config::DEFAULT_TRAP_AFTER, hide_default_value = true)]
    pub trap_after: u32,

    /// A URL family that is no trap, written as the crawl's trap report prints it (e.g. 'example.org/kalender?m'); with --resume, what it declined is taken (repeatable) [default: none]
    #[arg(long, value_name = "SHAPE")]
    pub not_a_trap: Vec<String>,

    /// Longest URL in bytes to take; longer ones are taken for a trap [default: 2048]
    #[arg(long, value_name = "BYTES", default_value_t = arkiv::crawl::config::DEFAULT_MAX_URL_LEN, hide_default_value = true)]
    pub max_url_length: usize,

    /// Most path segments a URL may have; deeper ones are taken for a trap [default: 32]
    #[arg(long, value_name = "N", default_value_t = arkiv::crawl::config::DEFAULT_MAX_PATH_DEPTH, hide_default_value = true)]
    pub max_path_segments: usize,

    /// How often one path segment may occur in a URL (/a/b/a/b/…) before it is taken for a trap [default: 3]
    #[arg(long, value_name = "N", default_value_t = arkiv::crawl::config::DEFAULT_MAX_SEGMENT_REPEATS, hide_default_value = true)]
    pub max_segment_repeats: usize,

    /// Fetch page requisites (images, CSS, fonts) only from the crawl's own scope [default: off]
    #[arg(long)]
    pub no_offsite_requisites: bool,

    /// Fetch what robots.txt disallows (recorded in the WARC's warcinfo) [default: off]
    #[arg(long)]
    pub ignore_robots: bool,

    /// Fetches in flight per host [default: 2]
    #[arg(long, value_name = "N", default_value_t = 2, hide_default_value = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub per_host: u16,

    /// Fetches in flight in all [default: 16]
    #[arg(long, value_name = "N", default_value_t = 16, hide_default_value = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,

    /// Pause between two fetches from one host, in seconds (robots.txt Crawl-delay wins if longer) [default: 0]
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.0,
        hide_default_value = true
    )]
    pub delay: f64,

    /// Retries of a URL after a network error, a cut-short body, 429 or 503 [default: 3]
    #[arg(long, value_name = "N", default_value_t = 3, hide_default_value = true)]
    pub retries: u32,

    /// Seconds to wait for a connection, for response headers, and between body reads [default: 30]
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30.0,
        hide_default_value = true
    )]
    pub timeout: f64,

    /// Largest response body to archive whole; longer ones are cut (WARC-Truncated: length) [default: unlimited]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Start a new WARC file when the current one would pass this size [default: 1G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G", hide_default_value = true)]
    pub warc_max_size: u64,

    /// WARC file name prefix: <prefix>-<timestamp>-<serial>.warc.gz [default: arkiv]
    #[arg(
        long,
        value_name = "NAME",
        default_value = "arkiv",
        hide_default_value = true
    )]
    pub warc_prefix: String,

    /// A URL or e-mail address for site operators, added to the User-Agent [default: none]
    #[arg(long, value_name = "CONTACT")]
    pub contact: Option<String>,

    /// What this crawl is, recorded in each WARC's warcinfo record [default: none]
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// Text every page must carry, saved in arkiv.toml for `arkiv verify` [default: none]
    #[arg(long, value_name = "TEXT")]
    pub notice_text: Option<String>,

    /// Link the notice must carry, exactly as written [default: none]
    #[arg(long, value_name = "URL")]
    pub notice_link: Option<String>,

    /// Do not build the offline mirror after the crawl [default: off]
    #[arg(long)]
    pub no_mirror: bool,

    /// Also trust the CA certificate(s) in this PEM file, for a site behind a private CA (repeatable; verification cannot be turned off) [default: the webpki roots only]
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Origin,
    Host,
    Domain,
    Prefix,
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

/// A usage error: what is wrong, and how to fix it.
#[derive(Debug)]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
    fn new(message: impl Into<String>, hint: impl Into<Option<String>>) -> UsageError {
        UsageError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl CrawlArgs {
    /// Resolves what the user typed into the library's settings (no network, reads only the
    /// seeds file).
    pub fn to_config(&self) -> Result<arkiv::crawl::Config, UsageError> {
        let mut seeds_text: Vec<String> = self.seeds.clone();
        if let Some(file) = &self.seeds_file {
            let text =
                fs_err::read_to_string(file).map_err(|e| UsageError::new(e.to_string(), None))?;
            seeds_text.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        if seeds_text.is_empty() {
            return Err(UsageError::new(
                "no seed URL given",
                Some("arkiv crawl https://example.org/ --out archive/example".to_string()),
            ));
        }
        let mut seeds = Vec::new();
        for text in &seeds_text {
            let url = url::Url::parse(text).map_err(|e| {
                UsageError::new(
                    format!("seed {text:?} is not a URL: {e}"),
                    Some("write it in full, e.g. https://example.org/".to_string()),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(UsageError::new(
                    format!("seed {text:?} is not an http(s) URL"),
                    None,
                ));
            }
            seeds.push(url);
        }
        let regexes = |patterns: &[String], flag: &str| -> Result<Vec<regex::Regex>, UsageError> {
            patterns
                .iter()
                .map(|p| {
                    regex::Regex::new(p)
                        .map_err(|e| UsageError::new(format!("--{flag} {p:?}: {e}"), None))
                })
                .collect()
        };
        let seconds = |value: f64, flag: &str| -> Result<std::time::Duration, UsageError> {
            std::time::Duration::try_from_secs_f64(value).map_err(|_| {
                UsageError::new(format!("--{flag} {value}: not a number of seconds"), None)
            })
        };
        let Some(out) = self.out.clone() else {
            return Err(UsageError::new(
                "no --out folder given",
                Some("arkiv crawl https://example.org/ --out archive/example".to_string()),
            ));
        };
        let mut config = arkiv::crawl::Config::new(seeds, out);
        config.scope = match self.scope {
            ScopeArg::Origin => arkiv::crawl::ScopeMode::Origin,
            ScopeArg::Host => arkiv::crawl::ScopeMode::Host,
            ScopeArg::Domain => arkiv::crawl::ScopeMode::Domain,
            ScopeArg::Prefix => arkiv::crawl::ScopeMode::Prefix,
        };
        config.include = regexes(&self.include, "include")?;
        config.exclude = regexes(&self.exclude, "exclude")?;
        config.max_depth = self.max_depth;
        config.max_pages = self.max_pages;
        config.max_pages_per_host = self.max_pages_per_host;
        config.trap_after = self.trap_after;
        config.not_a_trap = self.not_a_trap.clone();
        config.max_url_len = self.max_url_length;
        config.max_path_depth = self.max_path_segments;
        config.max_segment_repeats = self.max_segment_repeats;
        config.offsite_requisites = !self.no_offsite_requisites;
        config.obey_robots = !self.ignore_robots;
        config.per_host = usize::from(self.per_host);
        config.concurrency = usize::from(self.concurrency);
        config.delay = seconds(self.delay, "delay")?;
        config.retries = self.retries;
        let timeout = seconds(self.timeout, "timeout")?;
        config.connect_timeout = timeout;
        config.header_timeout = timeout;
        config.body_timeout = timeout;
        config.max_size = self.max_size;
        config.warc_max_size = self.warc_max_size;
        let prefix_ok = !self.warc_prefix.is_empty()
            && self.warc_prefix.len() <= 64
            && self
                .warc_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !self.warc_prefix.starts_with('.');
        if !prefix_ok {
            return Err(UsageError::new(
                format!(
                    "--warc-prefix {:?}: use letters, digits, '-', '_' or '.' (at most 64)",
                    self.warc_prefix
                ),
                None,
            ));
        }
        config.warc_prefix = self.warc_prefix.clone();
        config.contact = self.contact.clone();
        config.description = self.description.clone();
        config.notice_text = self.notice_text.clone();
        config.notice_link = self.notice_link.clone();
        config.mirror = !self.no_mirror;
        for path in &self.ca_cert {
            // Absolute, so that `--resume` from another folder finds the same file.
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let ca = arkiv::crawl::fetch::CaCert::load(&path).map_err(|err| {
                UsageError::new(
                    format!("--ca-cert: {err}"),
                    Some(arkiv::crawl::fetch::CA_CERT_HINT.to_string()),
                )
            })?;
            config.ca_certs.push(ca);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every option says its default in its help, as `[default: …]` at the end (lychee's rule):
    /// a user should never have to guess what happens when they leave an option out.
    #[test]
    fn every_option_documents_its_default() {
        let mut missing = Vec::new();
        let cli = Cli::command();
        let mut commands = vec![cli.clone()];
        commands.extend(cli.get_subcommands().cloned());
        for command in &commands {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                if !(help.contains("[default: ") && help.trim_end().ends_with(']')) {
                    missing.push(format!("{} --{id}: {help:?}", command.get_name()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "options without [default: …]: {missing:#?}"
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
