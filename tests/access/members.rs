//! The members site crawled with the CLI, for the tests of this folder: its account and the
//! secrets to look for, one crawl run, and readers of what the run wrote (crawl.log, every output
//! file decompressed, WACZ entries included).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use arkiv::auth::{Credentials, Secret, basic_authorization};
use arkiv::fixture::{FixtureServer, ServeOptions};

use crate::support::{arkiv, files_below};

pub const USER: &str = "arkivar";
pub const PASSWORD: &str = "blåbær-grød 42";
/// The session cookie's value in the site's cookies.txt.
pub const SESSION: &str = "7f3c9a1e-logget-ind";
/// The variable the tests put the password in.
pub const PASSWORD_ENV: &str = "ARKIV_TEST_MEMBERS_PW";

/// `fixtures/sites/members/cookies.txt`.
pub fn cookies_txt() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites/members/cookies.txt")
}

/// The token68 of `Authorization: Basic` for the account.
pub fn basic_token() -> String {
    let value =
        basic_authorization(&Credentials::new(USER, Secret::new(PASSWORD)), true).expect("basic");
    value.trim_start_matches("Basic ").to_owned()
}

pub fn members() -> FixtureServer {
    FixtureServer::start("members", ServeOptions::default()).expect("members site")
}

/// Every page of the site and what it answers with the right flags (the redirect to another
/// host and robots.txt aside).
pub const PAGES: [(&str, u16); 18] = [
    ("/", 200),
    ("/style.css", 200),
    ("/img/segl.png", 200),
    ("/offentlig/", 200),
    ("/kontor/", 200),
    ("/kontor/referat-2019.html", 200),
    ("/kontor/billede.html", 200),
    ("/kontor/ud", 302),
    ("/arkiv/", 200),
    ("/arkiv/1998.html", 200),
    ("/arkiv/1999.html", 200),
    ("/arkiv/2000.html", 200),
    ("/arkiv/2001.html", 200),
    ("/arkiv/2002.html", 200),
    ("/arkiv-md5/", 200),
    ("/arkiv-md5/kirkebog.html", 200),
    ("/medlemmer/", 200),
    ("/medlemmer/kalender.html", 200),
];

/// One `arkiv crawl` and the folder it wrote.
pub struct Run {
    pub out: PathBuf,
    pub output: Output,
    _dir: tempfile::TempDir,
}

/// Runs `arkiv --quiet crawl SEEDS --out DIR ARGS` with `env` set.
pub fn crawl(seeds: &[String], args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = arkiv()
        .arg("--quiet")
        .arg("crawl")
        .args(seeds)
        .arg("--out")
        .arg(&out)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run arkiv crawl");
    Run {
        out,
        output,
        _dir: dir,
    }
}

/// The flags that open every area: the account (password from the environment) and the cookies.
pub fn all_flags() -> Vec<String> {
    vec![
        "--user".into(),
        USER.into(),
        "--password-env".into(),
        PASSWORD_ENV.into(),
        "--load-cookies".into(),
        cookies_txt().display().to_string(),
    ]
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// `crawl.log` lines split into fields.
    pub fn log(&self) -> Vec<Vec<String>> {
        let text = fs_err::read_to_string(self.out.join("reports/crawl.log")).expect("crawl.log");
        text.lines()
            .map(|l| l.split(' ').map(str::to_owned).collect())
            .collect()
    }

    /// Every `(status, outcome)` logged for `url`, in order.
    pub fn lines_for(&self, url: &str) -> Vec<(String, String)> {
        self.log()
            .into_iter()
            .filter(|f| f.get(4).map(String::as_str) == Some(url))
            .map(|f| (f[1].clone(), f.last().cloned().unwrap_or_default()))
            .collect()
    }

    /// The last `(status, outcome)` logged for `url`.
    pub fn last_for(&self, url: &str) -> Option<(String, String)> {
        self.lines_for(url).pop()
    }

    pub fn warc_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs_err::read_dir(self.out.join("warc"))
            .expect("warc dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
            .collect();
        files.sort();
        files
    }

    /// The WARC files decompressed, as one text.
    pub fn warc_text(&self) -> String {
        let mut text = String::new();
        for file in self.warc_files() {
            text.push_str(&String::from_utf8_lossy(&gunzip(
                &fs_err::read(&file).expect("read"),
            )));
        }
        text
    }

    /// Every file the run wrote below its folder, each as readable bytes: gzip decompressed, a
    /// ZIP (WACZ) entry by entry and decompressed too. `(name, bytes)`.
    pub fn every_output(&self) -> Vec<(String, Vec<u8>)> {
        let mut all = Vec::new();
        for rel in files_below(&self.out) {
            let bytes = fs_err::read(self.out.join(&rel)).expect("read output");
            expand(&rel, bytes, &mut all);
        }
        all
    }
}

/// `bytes` named `name`, opened up: gzip members decompressed, ZIP entries listed one by one.
fn expand(name: &str, bytes: Vec<u8>, into: &mut Vec<(String, Vec<u8>)>) {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        into.push((name.to_owned(), gunzip(&bytes)));
    } else if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).expect("entry");
            let entry_name = format!("{name}!{}", entry.name().expect("entry name"));
            let mut inner = Vec::new();
            entry.read_to_end(&mut inner).expect("entry bytes");
            expand(&entry_name, inner, into);
        }
        into.push((name.to_owned(), Vec::new()));
    } else {
        into.push((name.to_owned(), bytes));
    }
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

/// Whether `haystack` holds `needle` as bytes.
pub fn holds(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `warcio check -v` and `warcio index` accept every file, and warcio's index lists
/// `requests` request records in all (`None` when warcio is not installed outside CI).
pub fn warcio_accepts(files: &[PathBuf], requests: usize) {
    let Ok(version) = std::process::Command::new("warcio")
        .arg("--version")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "warcio must be installed in CI (.ci/run installs it)"
        );
        eprintln!("warcio not installed: skipped");
        return;
    };
    assert!(version.status.success());
    let mut indexed = 0;
    for file in files {
        let check = std::process::Command::new("warcio")
            .args(["check", "-v"])
            .arg(file)
            .output()
            .expect("warcio check");
        let report = String::from_utf8_lossy(&check.stdout).into_owned()
            + &String::from_utf8_lossy(&check.stderr);
        assert!(
            check.status.success(),
            "warcio check {}: {report}",
            file.display()
        );
        let index = std::process::Command::new("warcio")
            .args(["index", "-f", "warc-type,warc-target-uri"])
            .arg(file)
            .output()
            .expect("warcio index");
        assert!(index.status.success(), "warcio index {}", file.display());
        indexed += String::from_utf8_lossy(&index.stdout)
            .matches("\"request\"")
            .count();
    }
    assert_eq!(indexed, requests, "request records warcio reads");
}
