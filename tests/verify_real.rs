//! Integration tests: `arkiv verify` on real crawls of the fixture sites, on corrupted copies of
//! them, and on a wget mirror of the same site.
//!
//! The crawls come from `support::crawled` and are shared by the whole test run, so every test
//! works on its own copy (verify writes `reports/` into the folder it checks).

mod mirror_only;
mod warc;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::support::{self, NOTICE_LINK};

const CI: &str = "collective-impact";
const EDGE: &str = "edge-cases";
/// A page of collective-impact that carries the notice, relative to the output folder.
const NOTICE_PAGE_TAIL: &str = "om-collective-impact/index.html";

/// A private copy of a crawl's output folder, removed when dropped.
struct Copy {
    _dir: tempfile::TempDir,
    out: PathBuf,
    /// `mirror/<host dir>/`, e.g. `mirror/127.0.0.1+40123/`.
    host_prefix: String,
    url: url::Url,
}

impl Copy {
    fn of(site: &'static str) -> Copy {
        let crawled = support::crawled(site);
        assert!(
            crawled.out.join("mirror").is_dir(),
            "crawl of {site} made no mirror: {}",
            crawled.stderr()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        copy_dir(&crawled.out, &out);
        let host = crawled.url.host_str().expect("host");
        let port = crawled.url.port().expect("port");
        Copy {
            _dir: dir,
            out,
            host_prefix: format!("mirror/{host}+{port}/"),
            url: crawled.url.clone(),
        }
    }

    /// A mirror file of the crawled host, relative to the output folder.
    fn page(&self, tail: &str) -> String {
        format!("{}{tail}", self.host_prefix)
    }

    /// Rewrites a text file of the copy; the edit must change something.
    fn edit(&self, rel: &str, change: impl FnOnce(&str) -> String) {
        let path = self.out.join(rel);
        let before = fs_err::read_to_string(&path).expect("read file to edit");
        let after = change(&before);
        assert_ne!(before, after, "the edit of {rel} changed nothing");
        fs_err::write(&path, after).expect("write edited file");
    }

    /// The one WARC file of the crawl (name, path).
    fn warc(&self) -> (String, PathBuf) {
        let mut files: Vec<PathBuf> = fs_err::read_dir(self.out.join("warc"))
            .expect("warc dir")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 1, "expected one WARC file: {files:?}");
        let path = files.remove(0);
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        (name, path)
    }

    /// The manifest line for a mirror path (relative to `mirror/`).
    fn manifest_line(&self, mirror_path: &str) -> Value {
        let text = fs_err::read_to_string(self.out.join("manifest.jsonl")).expect("manifest");
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("manifest line is JSON"))
            .find(|v| v["path"] == mirror_path)
            .unwrap_or_else(|| panic!("no manifest line for {mirror_path}"))
    }

    fn verify(&self, extra: &[&str]) -> Run {
        let mut cmd = support::arkiv();
        cmd.arg("verify").arg(&self.out).args(["--format", "json"]);
        cmd.args(extra);
        Run::of(cmd)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).expect("create copy");
    for entry in fs_err::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs_err::copy(&path, &target).expect("copy file");
        }
    }
}

/// One `arkiv verify --format json` run: its exit status and parsed report.
struct Run {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

impl Run {
    fn of(mut cmd: Command) -> Run {
        let output = cmd.output().expect("run arkiv verify");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let json: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {stdout}\n{stderr}"));
        assert_eq!(json["schema"], "arkiv-verify/1");
        Run {
            code: output.status.code(),
            json,
            stderr,
        }
    }

    fn findings(&self) -> &[Value] {
        self.json["findings"].as_array().expect("findings array")
    }

    fn count(&self, name: &str) -> u64 {
        self.json["counts"][name].as_u64().expect("count")
    }

    /// Findings of `check` and `severity` in `file` whose message contains `needle`.
    fn matching(&self, check: &str, severity: &str, file: &str, needle: &str) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| {
                f["check"] == check
                    && f["severity"] == severity
                    && f["file"] == file
                    && f["message"].as_str().is_some_and(|m| m.contains(needle))
            })
            .collect()
    }

    /// Asserts exit 1 and at least one such error.
    fn expect_error(&self, check: &str, file: &str, needle: &str) -> &Value {
        assert_eq!(self.code, Some(1), "{}", self.dump());
        let found = self.matching(check, "error", file, needle);
        assert!(
            !found.is_empty(),
            "no {check} error in {file} containing {needle:?}: {}",
            self.dump()
        );
        found[0]
    }

    fn dump(&self) -> String {
        format!(
            "{}\n{}",
            serde_json::to_string_pretty(&self.json).unwrap_or_default(),
            self.stderr
        )
    }
}

fn assert_pristine(site: &'static str, extra: &[&str]) -> (Copy, Run) {
    let copy = Copy::of(site);
    let run = copy.verify(extra);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(run.json["ok"], true);
    assert_eq!(run.json["mode"], "full");
    assert_eq!(run.count("errors"), 0, "{}", run.dump());
    assert!(run.count("warc_records") > 0 && run.count("html_files") > 0);
    let written =
        fs_err::read_to_string(copy.out.join("reports/verify.json")).expect("verify.json");
    let written: Value = serde_json::from_str(&written).expect("verify.json is JSON");
    assert_eq!(written["schema"], "arkiv-verify/1");
    assert_eq!(written["counts"], run.json["counts"]);
    let junit = fs_err::read_to_string(copy.out.join("reports/junit.xml")).expect("junit.xml");
    assert!(junit.contains("<testsuite"), "{junit}");
    (copy, run)
}

#[test]
fn pristine_collective_impact_passes_with_the_notice_from_arkiv_toml() {
    let (_copy, run) = assert_pristine(CI, &[]);
    assert_eq!(run.count("warnings"), 0, "{}", run.dump());
    assert!(run.count("notice_pages") > 10, "{}", run.dump());
}

#[test]
fn pristine_edge_cases_passes_without_a_notice() {
    let (_copy, run) = assert_pristine(EDGE, &[]);
    assert_eq!(run.count("notice_pages"), 0, "{}", run.dump());
}

#[test]
fn strict_turns_a_missing_fragment_into_an_error() {
    // The edge-cases site links to fragments that do not exist on purpose.
    let (copy, lax) = assert_pristine(EDGE, &[]);
    let warned: Vec<&Value> = lax
        .findings()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .collect();
    assert!(!warned.is_empty(), "{}", lax.dump());
    assert!(warned.iter().all(|f| {
        f["check"] == "links"
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("missing fragment"))
    }));
    let strict = copy.verify(&["--strict"]);
    for warning in warned {
        let file = warning["file"].as_str().expect("file");
        strict.expect_error("links", file, "missing fragment");
    }
    assert_eq!(strict.count("warnings"), 0, "{}", strict.dump());
}

#[test]
fn a_deleted_mirror_file_is_a_broken_link() {
    let copy = Copy::of(CI);
    fs_err::remove_file(copy.out.join(copy.page("assets/img/logo.svg"))).expect("delete");
    let run = copy.verify(&[]);
    let finding = run.expect_error("links", &copy.page("index.html"), "broken link");
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or("")
            .contains("logo.svg")
    );
    // Every page shows the logo: every one of them reports it.
    assert!(run.count("errors") > 10, "{}", run.dump());
}

fn remove_notice(html: &str) -> String {
    let start = html.find("<p>Hjemmesiden").expect("notice paragraph");
    let end = start + html[start..].find("</p>").expect("end of notice") + "</p>".len();
    format!("{}{}", &html[..start], &html[end..])
}

#[test]
fn a_removed_notice_is_reported() {
    let copy = Copy::of(CI);
    let page = copy.page(NOTICE_PAGE_TAIL);
    copy.edit(&page, remove_notice);
    let run = copy.verify(&[]);
    run.expect_error("notice", &page, "lacks the notice");
}

#[test]
fn a_changed_notice_href_is_reported() {
    let copy = Copy::of(CI);
    let page = copy.page(NOTICE_PAGE_TAIL);
    copy.edit(&page, |s| {
        s.replace(
            &format!("href=\"{NOTICE_LINK}\""),
            "href=\"https://realdania.dk/\"",
        )
    });
    let run = copy.verify(&[]);
    run.expect_error("notice", &page, NOTICE_LINK);
}

#[test]
fn a_notice_exempt_page_may_lack_the_notice() {
    let copy = Copy::of(CI);
    let tail = NOTICE_PAGE_TAIL;
    let page = copy.page(tail);
    copy.edit(&page, remove_notice);
    // The page was changed on purpose: give the manifest its new digest, so only the notice
    // check has something to say.
    let rel = page.trim_start_matches("mirror/");
    let old = copy.manifest_line(rel)["sha1"]
        .as_str()
        .expect("sha1")
        .to_string();
    let bytes = fs_err::read(copy.out.join(&page)).expect("page");
    let new = format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(&bytes))
    );
    copy.edit("manifest.jsonl", |s| {
        s.replace(
            &format!("\"sha1\":\"{old}\""),
            &format!("\"sha1\":\"{new}\""),
        )
    });

    let without = copy.verify(&[]);
    without.expect_error("notice", &page, "lacks the notice");
    assert_eq!(without.count("errors"), 1, "{}", without.dump());

    let exempt = copy.verify(&["--notice-exempt", "/om-collective-impact/$"]);
    assert_eq!(exempt.code, Some(0), "{}", exempt.dump());
    assert_eq!(exempt.count("errors"), 0);
    assert!(exempt.count("notice_pages") > 10);
}

#[test]
fn a_link_back_to_the_crawled_site_is_reported() {
    let copy = Copy::of(CI);
    let page = copy.page(NOTICE_PAGE_TAIL);
    let live = copy.url.join("problemfelter/").expect("url").to_string();
    copy.edit(&page, |s| {
        s.replacen(
            "href=\"../problemfelter/index.html\"",
            &format!("href=\"{live}\""),
            1,
        )
    });
    let run = copy.verify(&[]);
    let finding = run.expect_error("links", &page, "still points at the crawled site");
    assert_eq!(finding["url"], live.as_str());
}

#[test]
fn a_removed_manifest_line_is_reported() {
    let copy = Copy::of(CI);
    let page = copy.page("principper/index.html");
    let rel = page.trim_start_matches("mirror/").to_string();
    copy.edit("manifest.jsonl", |s| {
        s.lines()
            .filter(|l| !l.contains(&format!("\"path\":\"{rel}\"")))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    let run = copy.verify(&[]);
    run.expect_error("consistency", &page, "no manifest line");
}

#[test]
fn a_broken_srcset_entry_is_reported() {
    let copy = Copy::of(CI);
    let page = copy.page("problemfelter/index.html");
    copy.edit(&page, |s| {
        s.replacen(
            "../assets/img/landskaber-960.webp 960w",
            "../assets/img/landskaber-961.webp 960w",
            1,
        )
    });
    let run = copy.verify(&[]);
    run.expect_error("links", &page, "landskaber-961.webp");
}

#[test]
fn a_css_url_to_nowhere_is_reported() {
    let copy = Copy::of(CI);
    let css = copy.page("assets/css/main.css");
    copy.edit(&css, |s| {
        s.replace("url(\"../img/monster.png\")", "url(\"../img/nowhere.png\")")
    });
    let run = copy.verify(&[]);
    run.expect_error("links", &css, "nowhere.png");
}

/// The edge-cases `/base/` page declares `<base href="/base-target/">`; arkiv's mirror makes the
/// base neutral. A mirror that kept it would send every relative link to the wrong folder.
#[test]
fn a_base_href_left_as_archived_is_reported() {
    let copy = Copy::of(EDGE);
    let page = copy.page("base/index.html");
    let pristine = copy.verify(&[]);
    assert!(
        pristine.matching("links", "error", &page, "").is_empty(),
        "{}",
        pristine.dump()
    );

    // Root-relative: relative links now resolve below `<mirror>/base-target/`, which is not there.
    copy.edit(&page, |s| {
        s.replace(
            "<base href=\"index.html\">",
            "<base href=\"/base-target/\">",
        )
    });
    let run = copy.verify(&[]);
    run.expect_error("links", &page, "broken link: `../base-target/page.html`");
    run.expect_error("links", &page, "broken link: `../base-target/pic.png`");

    // Absolute, into the crawled site: the base itself was not rewritten.
    let live = copy.url.join("base-target/").expect("url").to_string();
    copy.edit(&page, |s| {
        s.replace(
            "<base href=\"/base-target/\">",
            &format!("<base href=\"{live}\">"),
        )
    });
    let run = copy.verify(&[]);
    run.expect_error("links", &page, "not rewritten: `<base href=");
}

/// An image that leads to a "not archived" page is a gap a reader sees: the file exists, so it is
/// no broken link, but verify warns about it (exit 0: the crawl was told to leave it out).
#[test]
fn an_image_leading_to_a_not_archived_page_is_a_warning() {
    let crawled = support::crawl(CI, &["--exclude", "landskaber-480"]);
    let output = support::arkiv()
        .arg("verify")
        .arg(&crawled.out)
        .args(["--format", "json"])
        .output()
        .expect("arkiv verify");
    let json: Value = serde_json::from_slice(&output.stdout).expect("verify JSON");
    assert_eq!(output.status.code(), Some(0), "{json:#}");
    let warnings: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "warning" && f["check"] == "links")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(!warnings.is_empty(), "{json:#}");
    for message in &warnings {
        assert!(
            message.starts_with("missing requisite: ") && message.contains("landskaber-480"),
            "{message}"
        );
    }
}
