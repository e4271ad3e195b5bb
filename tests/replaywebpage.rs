//! Integration test: ReplayWeb.page 2.5.3 (its npm package's `ui.js` and `sw.js`, installed by
//! `.ci/run` into `target/replaywebpage/`) replays arkiv's WACZ of the demo site in headless
//! Chromium, served by `arkiv serve --replay` with ranges: the front page renders from the
//! archive with its notice, its images load, and nothing leaves 127.0.0.1 — with the index as
//! one CDXJ file and in ZipNum blocks.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::serve::Serving;
use crate::support::{self, NOTICE_TEXT};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Where ReplayWeb.page's files are: `$ARKIV_REPLAYWEBPAGE`, else `target/replaywebpage`.
/// Missing under CI is a failure; elsewhere the test says why it does not run.
fn replaywebpage() -> Option<PathBuf> {
    let folder = std::env::var_os("ARKIV_REPLAYWEBPAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/replaywebpage"));
    let installed = arkiv::serve::replaywebpage::is_installed(&folder);
    let ci = std::env::var_os("CI").is_some();
    assert!(
        installed || !ci,
        "ReplayWeb.page's ui.js and sw.js are not in {} and CI is set (.ci/run installs them)",
        folder.display()
    );
    assert!(
        Path::new(CHROMIUM).exists() || !ci,
        "{CHROMIUM} is missing and CI is set"
    );
    if !installed {
        eprintln!(
            "skipping the ReplayWeb.page test: its files are not in {} ({})",
            folder.display(),
            arkiv::serve::replaywebpage::INSTALL_HINT
        );
        return None;
    }
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipping the ReplayWeb.page test: {CHROMIUM} is missing");
        return None;
    }
    Some(folder)
}

fn replays_the_demo_site(variant: &str, wacz_args: &[&str]) {
    let Some(rwp) = replaywebpage() else { return };
    let crawled = support::crawled("collective-impact");
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("demo");
    support::copy_tree(&crawled.out, &copy);
    let packed = support::arkiv()
        .args(["-q", "wacz"])
        .arg(&copy)
        .args(wacz_args)
        .output()
        .expect("arkiv wacz");
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let server = Serving::start(
        &copy,
        &[
            "--replay",
            "--replaywebpage",
            rwp.to_str().expect("UTF-8 path"),
        ],
    );
    // Kept where a developer can look at it after the run (target/ is not committed).
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/replaywebpage-shots");
    fs_err::create_dir_all(&shots).expect("screenshot folder");
    let shot = shots.join(format!("{variant}.png"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/replay_check.py");
    // The notice's first sentence (its link is markup of its own).
    let notice = NOTICE_TEXT.split(". ").next().expect("a sentence");
    let output = {
        let _turn = support::chromium_turn();
        Command::new("python3")
            .arg(&script)
            .arg(format!("{}/replay/", server.base()))
            .args(["--expect-text", notice, "--timeout", "120", "--screenshot"])
            .arg(&shot)
            .output()
            .expect("run replay_check.py")
    };
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{variant}: no JSON from replay_check.py ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_ne!(
        output.status.code(),
        Some(2),
        "{variant}: Chromium could not run: {}",
        report["error"]
    );
    let summary = format!(
        "{variant}: error {} frame {} title {} external {} outside {} images {}",
        report["error"],
        report["frame_url"],
        report["title"],
        report["external"],
        report["connected_outside"],
        report["images"]
    );
    assert_eq!(report["found"], true, "the notice renders: {summary}");
    assert_eq!(report["title"], "Collective Impact", "{summary}");
    assert!(
        report["frame_url"]
            .as_str()
            .is_some_and(|u| u.contains("/replay/w/") && u.contains(crawled.url.as_str())),
        "the archived front page shows in ReplayWeb.page's frame: {summary}"
    );
    assert_eq!(report["external"], serde_json::json!([]), "{summary}");
    assert_eq!(
        report["connected_outside"],
        serde_json::json!([]),
        "{summary}"
    );
    let requests: Vec<&str> = report["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        requests.iter().any(|r| r.ends_with("/demo.wacz")),
        "the package is read from arkiv serve: {requests:?}"
    );
    let style = report["style_sheets"].to_string();
    assert!(
        style.contains("main.css"),
        "the style sheet applies: {style}"
    );
    assert_eq!(output.status.code(), Some(0), "{summary}");
    assert!(shot.is_file(), "a screenshot at {}", shot.display());
}

#[test]
fn replaywebpage_renders_the_demo_site_from_its_wacz() {
    replays_the_demo_site("cdxj", &[]);
}

#[test]
fn replaywebpage_reads_a_zipnum_index_block_by_block() {
    replays_the_demo_site("zipnum", &["--zipnum-above", "0", "--zipnum-block", "8"]);
}
