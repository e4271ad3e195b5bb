//! Headless Chromium loads every HTML page of both mirrors from `file://`: nothing may fail to
//! load and nothing may reach an http(s) host. No `--expect-failures` is needed: even the
//! edge cases' placeholder `embeds/clip.webm` (not a real video) loads from disk with no failed
//! request; only its decoding fails, which is no load failure.

use std::path::Path;
use std::process::Command;

use url::Url;

use super::{is_html, manifest};
use crate::support;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Calendar pages checked per mirror (the manifest is sorted, so always the same ones).
const CALENDAR_SAMPLE: usize = 3;

fn check_mirror(site: &'static str) {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} is missing and CI is set: the browser check must run"
        );
        eprintln!("skipping the browser check of the {site} mirror: {CHROMIUM} is missing");
        return;
    }
    let crawled = support::crawled(site);
    let root = crawled.out.join("mirror");
    let mut calendar_pages = 0;
    let pages: Vec<String> = manifest(&crawled.out)
        .iter()
        .filter(|l| is_html(l))
        .filter(|l| {
            // The edge cases' calendar trap yields ~100 month pages from one template (until the
            // crawl's trap limit stops it): three of them stand for all, and keep this test fast.
            let calendar = l.path.contains("/kalender/");
            calendar_pages += usize::from(calendar);
            !calendar || calendar_pages <= CALENDAR_SAMPLE
        })
        .map(|l| {
            Url::from_file_path(root.join(&l.path))
                .expect("file url")
                .to_string()
        })
        .collect();
    assert!(pages.len() > 5, "{site}: {} pages", pages.len());
    let dir = tempfile::tempdir().expect("temp");
    let list = dir.path().join("pages.txt");
    fs_err::write(&list, pages.join("\n")).expect("pages file");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_pages.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg("--pages-file").arg(&list).args([
        "--timeout",
        "30",
        "--idle-ms",
        "300",
        "--jobs",
        "4",
    ]);
    let output = {
        let _turn = support::chromium_turn();
        cmd.output().expect("run check_pages.py")
    };
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{site}: no JSON from check_pages.py ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_ne!(
        output.status.code(),
        Some(2),
        "{site}: Chromium could not run: {}",
        report["error"]
    );
    let checked = report["pages"].as_array().expect("pages");
    assert_eq!(checked.len(), pages.len(), "{site}: every page checked");
    let mut problems = Vec::new();
    for page in checked {
        let failed: Vec<_> = page["failed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["expected"] != true && f["recovered"] != true)
            .collect();
        let external = page["external"].as_array().map_or(0, Vec::len);
        if page["ok"] != true || !failed.is_empty() || external > 0 {
            problems.push(format!(
                "{}: error {} failed {:?} external {} pending {}",
                page["url"], page["error"], failed, page["external"], page["pending"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{site}: {} pages do not load cleanly:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(output.status.code(), Some(0), "{site}: check_pages.py");
}

#[test]
fn collective_impact_mirror_loads_offline_in_chromium() {
    check_mirror("collective-impact");
}

#[test]
fn edge_cases_mirror_loads_offline_in_chromium() {
    check_mirror("edge-cases");
}
