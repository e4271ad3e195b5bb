//! Shared test support: crawling a fixture site once per test run with the real CLI, and reading
//! the outputs back.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use arkiv::fixture::{FixtureServer, ServeOptions};
use url::Url;

pub mod chromium;
pub mod pki;
pub mod records;
pub mod relay;
pub mod tiny_site;

pub use records::{WarcRec, warc_records};

/// The notice the collective-impact site carries on every page.
pub const NOTICE_TEXT: &str = arkiv::demo::NOTICE_TEXT;
pub const NOTICE_LINK: &str = arkiv::demo::NOTICE_LINK;

/// The edge-cases fault routes and the crawl.log outcome each must end with (ROUTES.md), over
/// plain HTTP and over TLS alike.
pub const FAULT_OUTCOMES: [(&str, &str); 10] = [
    ("fejl/langsom", "archived"),
    ("fejl/header-pause", "archived"),
    ("fejl/drypvis", "archived"),
    ("fejl/for-mange", "archived"),
    ("fejl/utilgaengelig", "archived"),
    ("fejl/serverfejl", "archived"),
    ("fejl/afbrudt", "archived-truncated-disconnect"),
    ("fejl/statuslinje", "failed:protocol"),
    ("fejl/lukket", "archived-truncated-disconnect"),
    ("fejl/raa", "archived"),
];

/// The proxy variables arkiv reads: a test that wants a proxy sets them itself.
pub const PROXY_VARIABLES: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// The `arkiv` binary built for these tests, without the machine's proxy settings (every test
/// server is on 127.0.0.1; a proxy set for the machine would stand between).
pub fn arkiv() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arkiv"));
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// A finished crawl of a fixture site: its output folder and the server that was crawled.
pub struct Crawled {
    pub site: &'static str,
    pub url: Url,
    pub out: PathBuf,
    pub output: Output,
    pub server: FixtureServer,
    /// The folder `out` was made in: nothing else may appear in it.
    pub parent: PathBuf,
    _dir: tempfile::TempDir,
}

impl Crawled {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// `crawl.log` lines, split into fields.
    pub fn log(&self) -> Vec<Vec<String>> {
        let text = fs_err::read_to_string(self.out.join("reports/crawl.log")).expect("crawl.log");
        text.lines()
            .map(|l| l.split(' ').map(str::to_string).collect())
            .collect()
    }

    /// The outcome logged last for a URL path (and query) of the crawled site.
    pub fn outcome(&self, path_and_query: &str) -> Option<String> {
        let url = self.url.join(path_and_query).expect("url").to_string();
        self.log()
            .into_iter()
            .rev()
            .find(|f| f.get(4) == Some(&url))
            .and_then(|f| f.last().cloned())
    }

    pub fn warc_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs_err::read_dir(self.out.join("warc"))
            .expect("warc dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
    }
}

/// Extra `arkiv crawl` options per fixture site: the edge cases hold slow and broken routes,
/// so timeouts are short there.
fn crawl_args(site: &str) -> Vec<&'static str> {
    match site {
        "edge-cases" => vec!["--timeout", "2", "--retries", "2"],
        _ => vec![],
    }
}

/// Crawls `site` with the CLI once per test process (tests share the result; it is read-only).
pub fn crawled(site: &'static str) -> &'static Crawled {
    static CRAWLS: OnceLock<Mutex<HashMap<&'static str, &'static Crawled>>> = OnceLock::new();
    let crawls = CRAWLS.get_or_init(Default::default);
    // One crawl at a time: two would compete for two cores and slow each other's timeouts.
    let mut map = crawls.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(done) = map.get(site) {
        return done;
    }
    let crawl = Box::leak(Box::new(crawl(site, &crawl_args(site))));
    map.insert(site, crawl);
    crawl
}

/// Runs `arkiv crawl` on a fresh fixture server into a fresh temp folder.
pub fn crawl(site: &'static str, extra: &[&str]) -> Crawled {
    let server = FixtureServer::start(site, ServeOptions::default()).expect("fixture server");
    let url = server.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let parent = dir.path().join("runs");
    fs_err::create_dir_all(&parent).expect("parent");
    let out = parent.join("out");
    let mut cmd = arkiv();
    cmd.arg("--quiet")
        .arg("crawl")
        .arg(url.as_str())
        .arg("--out")
        .arg(&out);
    if site == "collective-impact" {
        cmd.args(["--notice-text", NOTICE_TEXT, "--notice-link", NOTICE_LINK]);
    }
    cmd.args(extra);
    let output = cmd.output().expect("run arkiv crawl");
    Crawled {
        site,
        url,
        out,
        output,
        server,
        parent,
        _dir: dir,
    }
}

/// Every file below `dir`, relative, `/`-separated, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs_err::read_dir(&folder).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("below")
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    for rel in files_below(from) {
        let target = to.join(&rel);
        fs_err::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs_err::copy(from.join(&rel), &target).expect("copy");
    }
}

/// Taken by every test that starts Chromium, so that one browser runs at a time: three starting
/// together beside the rest of the suite on a 2-core CI machine were seen to miss their start-up
/// deadline. A test that panicked while holding it leaves nothing behind to protect, so a poisoned
/// lock is taken all the same.
pub fn chromium_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
