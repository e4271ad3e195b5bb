//! The command line as the user types it (clap only: validated, no I/O). `main.rs` turns it into the
//! library's own settings; the library never sees a clap type.

use std::path::PathBuf;

use arkiv::crawl::ScopeMode;
use arkiv::crawl::options::{CrawlOptions, Size};
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
#[command(next_help_heading = "Global options")]
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

    /// For a crawl made with --dedup-from: pack copies of the earlier crawl's records that its revisits refer to (archive/referred-<OLD>.warc.gz), so the package replays on its own, instead of naming the earlier crawl's package in datapackage.json's relation.requires [default: off]
    #[arg(long)]
    pub include_referred: bool,
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
    /// The fixture site to serve: collective-impact, edge-cases, families, members, scripted or test-server [default: collective-impact]
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

    /// Start from the options in this file: the [crawl] table of an earlier crawl's arkiv.toml, or one written by hand with the same keys (the flags' names); flags given here win [default: none]
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub config: Option<PathBuf>,

    /// Output folder for WARC files, index, reports and mirror; must not hold a crawl yet [default: none]
    #[arg(long, short, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,

    /// Continue the crawl in DIR after Ctrl-C, kill or power loss; settings come from DIR/arkiv.toml, secrets from where it says (other crawl options but --not-a-trap, --password-env and --proxy-password-env are ignored) [default: none]
    #[arg(long, value_name = "DIR", conflicts_with_all = ["seeds", "seeds_file", "out"])]
    pub resume: Option<PathBuf>,

    /// Which URLs belong to the crawl: the seeds' origin, host, domain (with subdomains) or URL prefix [default: origin]
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,

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
    #[arg(long, value_name = "N")]
    pub trap_after: Option<u32>,

    /// A URL family that is no trap, written as the crawl's trap report prints it (e.g. 'example.org/kalender?m'); with --resume, what it declined is taken (repeatable) [default: none]
    #[arg(long, value_name = "SHAPE")]
    pub not_a_trap: Vec<String>,

    /// Longest URL in bytes to take; longer ones are taken for a trap [default: 2048]
    #[arg(long, value_name = "BYTES")]
    pub max_url_length: Option<usize>,

    /// Most path segments a URL may have; deeper ones are taken for a trap [default: 32]
    #[arg(long, value_name = "N")]
    pub max_path_segments: Option<usize>,

    /// How often one path segment may occur in a URL (/a/b/a/b/…) before it is taken for a trap [default: 3]
    #[arg(long, value_name = "N")]
    pub max_segment_repeats: Option<usize>,

    /// Fetch page requisites (images, CSS, fonts) only from the crawl's own scope [default: off]
    #[arg(long)]
    pub no_offsite_requisites: bool,

    /// Fetch what robots.txt disallows (recorded in the WARC's warcinfo) [default: off]
    #[arg(long)]
    pub ignore_robots: bool,

    /// Fetches in flight per host [default: 2]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub per_host: Option<u16>,

    /// Fetches in flight in all [default: 16]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,

    /// Pause between two fetches from one host, in seconds (robots.txt Crawl-delay wins if longer) [default: 0]
    #[arg(long, value_name = "SECS")]
    pub delay: Option<f64>,

    /// Retries of a URL after a network error, a cut-short body, 429 or 503 [default: 3]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Seconds to wait for a connection, for response headers, and between body reads [default: 30]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Largest response body to archive whole; longer ones are cut (WARC-Truncated: length) [default: unlimited]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Start a new WARC file when the current one would pass this size [default: 1G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub warc_max_size: Option<u64>,

    /// WARC file name prefix: <prefix>-<timestamp>-<serial>.warc.gz [default: arkiv]
    #[arg(long, value_name = "NAME")]
    pub warc_prefix: Option<String>,

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

    /// Write payloads that this earlier crawl (its --out folder) already holds as revisit records pointing at its records, so a recrawl of an unchanged site costs almost no space; the mirror, verify and wacz read the referred records from that folder, which must stay where it is [default: none]
    #[arg(long, value_name = "OLD")]
    pub dedup_from: Option<PathBuf>,

    /// Also trust the CA certificate(s) in this PEM file, for a site behind a private CA (repeatable; verification cannot be turned off) [default: the webpki roots only]
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Send this header with every request, e.g. 'Accept-Language: da' (repeatable; saved in arkiv.toml, so no credentials: those go with --user, --header-env or --load-cookies) [default: none]
    #[arg(long, value_name = "NAME: VALUE", help_heading = "Login and proxy")]
    pub header: Vec<String>,

    /// Send header NAME with the value of environment variable VAR, to the --auth-origin origins only, masked in the WARC (repeatable; e.g. Authorization=ARKIV_TOKEN) [default: none]
    #[arg(long, value_name = "NAME=VAR", help_heading = "Login and proxy")]
    pub header_env: Vec<String>,

    /// Log in as this user where a site asks (HTTP Basic or Digest), at the --auth-origin origins only; the password comes from --password-env, else a prompt on the terminal [default: none]
    #[arg(long, value_name = "NAME", help_heading = "Login and proxy")]
    pub user: Option<String>,

    /// The environment variable that holds --user's password, never saved (with --resume: where to read it this time) [default: ask on the terminal]
    #[arg(long, value_name = "VAR", help_heading = "Login and proxy")]
    pub password_env: Option<String>,

    /// An origin (scheme://host[:port]) that may receive the credentials and the --header-env headers (repeatable); no other host ever does, whatever a redirect or a link says [default: the seeds' origins]
    #[arg(long, value_name = "ORIGIN", help_heading = "Login and proxy")]
    pub auth_origin: Vec<String>,

    /// Send the cookies of this Netscape cookies.txt file (a browser's export, curl's or wget's), by their domain, path, secure flag and expiry, masked in the WARC; the file is read again on --resume (repeatable) [default: none]
    #[arg(long, value_name = "FILE", help_heading = "Login and proxy")]
    pub load_cookies: Vec<PathBuf>,

    /// Fetch through this HTTP proxy, http://host[:port] (https through CONNECT), instead of the environment's HTTP_PROXY, HTTPS_PROXY or ALL_PROXY [default: the environment's, else none]
    #[arg(long, value_name = "URL", help_heading = "Login and proxy")]
    pub proxy: Option<String>,

    /// Hosts to reach directly, not through the proxy: comma-separated names, domains (.example.org), addresses or *, as NO_PROXY writes them [default: $NO_PROXY]
    #[arg(long, value_name = "LIST", help_heading = "Login and proxy")]
    pub no_proxy: Option<String>,

    /// The proxy's user (sent as Proxy-Authorization: Basic); the password comes from --proxy-password-env, else a prompt on the terminal [default: the user in the proxy variable's URL, if any]
    #[arg(long, value_name = "NAME", help_heading = "Login and proxy")]
    pub proxy_user: Option<String>,

    /// The environment variable that holds --proxy-user's password, never saved (with --resume: where to read it this time) [default: ask on the terminal]
    #[arg(long, value_name = "VAR", help_heading = "Login and proxy")]
    pub proxy_password_env: Option<String>,

    /// Load every in-scope HTML page in headless Chromium too, its every request made through the crawl (scope, robots.txt, politeness and the WARC as for any other); the rendered page is archived as a conversion record and is what the mirror shows [default: off]
    #[arg(long, help_heading = "Pages that scripts build")]
    pub browser: bool,

    /// The Chromium executable for --browser [default: chromium, chromium-browser, google-chrome-stable or google-chrome on PATH]
    #[arg(long, value_name = "PATH", help_heading = "Pages that scripts build")]
    pub chromium: Option<PathBuf>,

    /// Pages loaded in the browser at once [default: 2]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Pages that scripts build")]
    pub browser_tabs: Option<u16>,

    /// Seconds a page gets in the browser to load, fall quiet and scroll to its end; a page still busy then is read as it is [default: 30]
    #[arg(long, value_name = "SECS", help_heading = "Pages that scripts build")]
    pub page_timeout: Option<f64>,

    /// Archive a PNG of each rendered page as a resource record (urn:arkiv:screenshot:<url>) [default: off]
    #[arg(long, help_heading = "Pages that scripts build")]
    pub screenshots: bool,
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
    arkiv::crawl::options::parse_size(text)
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

impl From<arkiv::crawl::options::OptionsError> for UsageError {
    fn from(err: arkiv::crawl::options::OptionsError) -> UsageError {
        UsageError {
            message: err.message,
            hint: err.hint,
        }
    }
}

impl CrawlArgs {
    /// What the user typed, as the library's options (reads only the seeds file).
    pub fn to_options(&self) -> Result<CrawlOptions, UsageError> {
        let mut seeds: Vec<String> = self.seeds.clone();
        if let Some(file) = &self.seeds_file {
            let text = fs_err::read_to_string(file).map_err(|e| UsageError {
                message: e.to_string(),
                hint: None,
            })?;
            seeds.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        let flag = |set: bool| set.then_some(true);
        Ok(CrawlOptions {
            seeds,
            scope: self.scope.map(|scope| match scope {
                ScopeArg::Origin => ScopeMode::Origin,
                ScopeArg::Host => ScopeMode::Host,
                ScopeArg::Domain => ScopeMode::Domain,
                ScopeArg::Prefix => ScopeMode::Prefix,
            }),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            max_depth: self.max_depth,
            max_pages: self.max_pages,
            max_pages_per_host: self.max_pages_per_host,
            trap_after: self.trap_after,
            not_a_trap: self.not_a_trap.clone(),
            max_url_length: self.max_url_length,
            max_path_segments: self.max_path_segments,
            max_segment_repeats: self.max_segment_repeats,
            no_offsite_requisites: flag(self.no_offsite_requisites),
            ignore_robots: flag(self.ignore_robots),
            per_host: self.per_host,
            concurrency: self.concurrency,
            delay: self.delay,
            retries: self.retries,
            timeout: self.timeout,
            max_size: self.max_size.map(Size),
            warc_max_size: self.warc_max_size.map(Size),
            warc_prefix: self.warc_prefix.clone(),
            contact: self.contact.clone(),
            description: self.description.clone(),
            notice_text: self.notice_text.clone(),
            notice_link: self.notice_link.clone(),
            notice_exempt: Vec::new(),
            no_mirror: flag(self.no_mirror),
            dedup_from: self.dedup_from.clone(),
            ca_cert: self.ca_cert.clone(),
            header: self.header.clone(),
            header_env: self.header_env.clone(),
            user: self.user.clone(),
            password_env: self.password_env.clone(),
            auth_origin: self.auth_origin.clone(),
            load_cookies: self.load_cookies.clone(),
            proxy: self.proxy.clone(),
            no_proxy: self.no_proxy.clone(),
            proxy_user: self.proxy_user.clone(),
            proxy_password_env: self.proxy_password_env.clone(),
            browser: flag(self.browser),
            chromium: self.chromium.clone(),
            browser_tabs: self.browser_tabs,
            page_timeout: self.page_timeout,
            screenshots: flag(self.screenshots),
        })
    }

    /// Resolves what the user typed, over the `--config` file if one is given, into the
    /// library's settings (no network; reads only the seeds and config files).
    pub fn to_config(&self) -> Result<arkiv::crawl::Config, UsageError> {
        let mut options = self.to_options()?;
        if let Some(file) = &self.config {
            options = options.over(arkiv::crawl::settings::Settings::read_options(file)?);
        }
        let Some(out) = self.out.clone() else {
            return Err(UsageError {
                message: "no --out folder given".to_string(),
                hint: Some("arkiv crawl https://example.org/ --out archive/example".to_string()),
            });
        };
        Ok(options.resolve(&out)?)
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

    /// `[default: …]` of `arkiv crawl --help` say what `Config::default()` holds: the library
    /// is the one source of the defaults, the help only repeats them.
    #[test]
    fn crawl_defaults_in_the_help_are_the_librarys() {
        let d = arkiv::crawl::Config::default();
        let secs = |t: std::time::Duration| format!("{}", t.as_secs_f64());
        let off = |on: bool| if on { "on" } else { "off" }.to_string();
        let unlimited = |v: Option<u64>| v.map_or("unlimited".to_string(), |n| n.to_string());
        let size = |n: u64| match n {
            n if n % (1 << 30) == 0 => format!("{}G", n >> 30),
            n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
            n => n.to_string(),
        };
        assert!(d.connect_timeout == d.header_timeout && d.header_timeout == d.body_timeout);
        let expected = [
            ("scope", "origin".to_string()),
            ("max_depth", unlimited(d.max_depth.map(u64::from))),
            ("max_pages", unlimited(d.max_pages)),
            ("max_pages_per_host", unlimited(d.max_pages_per_host)),
            ("trap_after", d.trap_after.to_string()),
            ("max_url_length", d.max_url_len.to_string()),
            ("max_path_segments", d.max_path_depth.to_string()),
            ("max_segment_repeats", d.max_segment_repeats.to_string()),
            ("no_offsite_requisites", off(!d.offsite_requisites)),
            ("ignore_robots", off(!d.obey_robots)),
            ("per_host", d.per_host.to_string()),
            ("concurrency", d.concurrency.to_string()),
            ("delay", secs(d.delay)),
            ("retries", d.retries.to_string()),
            ("timeout", secs(d.header_timeout)),
            ("max_size", unlimited(d.max_size)),
            ("warc_max_size", size(d.warc_max_size)),
            ("warc_prefix", d.warc_prefix.clone()),
            ("no_mirror", off(!d.mirror)),
            ("browser", off(d.browser)),
            ("browser_tabs", d.browser_tabs.to_string()),
            ("page_timeout", secs(d.page_timeout)),
            ("screenshots", off(d.screenshots)),
        ];
        let cli = Cli::command();
        let crawl = cli.find_subcommand("crawl").expect("crawl");
        for (id, want) in expected {
            let arg = crawl
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap_or_else(|| panic!("no --{id}"));
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let said = help
                .rsplit_once("[default: ")
                .map(|(_, d)| d.trim_end().trim_end_matches(']'))
                .unwrap_or("");
            assert_eq!(said, want, "--{id}: {help}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
