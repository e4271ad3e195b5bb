//! `arkiv verify --mirror-only` on a wget mirror and on arkiv's own mirror of the same site.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arkiv::fixture::{FixtureServer, ServeOptions};
use serde_json::Value;

use super::{CI, Copy, NOTICE_PAGE_TAIL, Run, remove_notice};
use crate::support::{self, NOTICE_LINK, NOTICE_TEXT};

/// Runs `cmd` to its end, killing it after `limit`; true when it ended by itself.
fn run_bounded(mut cmd: Command, limit: Duration) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return true;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn verify_mirror_only(folder: &Path) -> Run {
    let mut cmd = support::arkiv();
    cmd.arg("verify")
        .arg("--mirror-only")
        .arg(folder)
        .args(["--format", "json"]);
    Run::of(cmd)
}

fn wget_on_path() -> bool {
    Command::new("wget")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What wget gets wrong on collective-impact (wget 1.21, observed):
/// - it does not parse the `srcset` of `<picture><source>`: the WebP candidates are neither
///   fetched nor converted, so each stays as written (relative, or root-relative `/assets/...`)
///   and points at a file that is not there (18 broken links on 5 pages);
/// - links to pages it did not save (the 404 `/nyheder/`, the robots-excluded `/intern/`) stay
///   absolute `http://127.0.0.1:PORT/...` links into the live site, which is gone once frozen;
/// - it does not save the 404 page at all, so a visitor's "Nyheder" link leaves the mirror.
///
/// arkiv's own mirror of the same site checks clean.
#[test]
fn wget_mirror_compared_with_arkiv() {
    if !wget_on_path() {
        assert!(
            std::env::var_os("CI").is_none(),
            "wget is not installed (CI must have it: .ci/run installs it)"
        );
        eprintln!("skipped: wget is not on PATH");
        return;
    }
    let server = FixtureServer::start(CI, ServeOptions::default()).expect("fixture server");
    let url = server.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let mirror = dir.path().join("wget");
    let mut wget = Command::new("wget");
    wget.args([
        "--mirror",
        "--page-requisites",
        "--convert-links",
        "--adjust-extension",
        "--no-host-directories",
        "-e",
        "robots=on",
        "--tries=1",
        "--timeout=10",
        "--directory-prefix",
    ])
    .arg(&mirror)
    .arg(url.as_str());
    // wget exits 8 here (the site has a 404 page); its exit status says nothing we check.
    assert!(
        run_bounded(wget, Duration::from_secs(60)),
        "wget did not finish in 60s"
    );
    assert!(
        mirror.join("index.html").is_file(),
        "wget saved no index.html"
    );

    let run = verify_mirror_only(&mirror);
    assert_eq!(run.json["mode"], "mirror-only");
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let errors: Vec<&Value> = run
        .findings()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(!errors.is_empty());
    // Every error is a `<picture>` WebP candidate that wget never downloaded.
    for error in &errors {
        let message = error["message"].as_str().unwrap_or("");
        assert_eq!(error["check"], "links", "{}", run.dump());
        assert!(
            message.starts_with("broken link") && message.contains(".webp"),
            "unexpected wget finding: {message}"
        );
    }
    assert!(
        run.matching("links", "error", "index.html", "landskaber-960.webp")
            .len()
            == 1,
        "{}",
        run.dump()
    );
    // Links wget left pointing at the live site are listed as leaving the folder.
    let external: Vec<&str> = run.json["external_links"]
        .as_array()
        .expect("external links")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for path in ["nyheder/", "intern/"] {
        let live = url.join(path).expect("url").to_string();
        assert!(external.contains(&live.as_str()), "{external:?}");
    }
    let wget_files = support::files_below(&mirror).len();
    eprintln!(
        "wget: {wget_files} files, {} errors, {} warnings",
        run.count("errors"),
        run.count("warnings")
    );

    // arkiv's own mirror of the same site, checked the same way.
    let copy = Copy::of(CI);
    let ours = verify_mirror_only(&copy.out.join("mirror"));
    assert_eq!(ours.code, Some(0), "{}", ours.dump());
    assert_eq!(ours.count("errors"), 0, "{}", ours.dump());
    // arkiv's one link into the live site is on purpose: the "not archived" page for the
    // robots-excluded `/intern/` shows its original address as a link.
    let leaks: Vec<&str> = ours.json["external_links"]
        .as_array()
        .expect("external links")
        .iter()
        .filter_map(Value::as_str)
        .filter(|l| l.starts_with(copy.url.as_str()))
        .collect();
    let intern = copy.url.join("intern/").expect("url").to_string();
    assert_eq!(leaks, [intern.as_str()], "arkiv left live links");
    eprintln!(
        "arkiv: {} files, {} errors, {} warnings",
        ours.count("mirror_files"),
        ours.count("errors"),
        ours.count("warnings")
    );
    drop(server);
}

#[test]
fn mirror_only_checks_the_notice_and_its_exemptions() {
    let copy = Copy::of(CI);
    let page = copy.page(NOTICE_PAGE_TAIL);
    copy.edit(&page, remove_notice);
    let mirror = copy.out.join("mirror");
    let notice = ["--notice-text", NOTICE_TEXT, "--notice-link", NOTICE_LINK];
    let run_with = |extra: &[&str]| {
        let mut cmd = support::arkiv();
        cmd.arg("verify")
            .arg("--mirror-only")
            .arg(&mirror)
            .args(["--format", "json"])
            .args(notice)
            .args(extra);
        Run::of(cmd)
    };
    // Without the manifest, mirror-only cannot tell arkiv's own stub pages (redirects, the page
    // robots.txt kept out) from archived ones: they carry no notice, so they are exempted here.
    let stubs = [
        "--notice-exempt",
        r"/(intern/index|om\.aspx|principper)\.html$",
    ];
    let rel = page.trim_start_matches("mirror/");
    let missing = run_with(&stubs);
    missing.expect_error("notice", rel, "lacks the notice");
    assert_eq!(missing.count("errors"), 1, "{}", missing.dump());
    let exempt = run_with(&[
        stubs[0],
        stubs[1],
        "--notice-exempt",
        "om-collective-impact/",
    ]);
    assert_eq!(exempt.code, Some(0), "{}", exempt.dump());
}
