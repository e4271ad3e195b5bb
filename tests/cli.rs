//! Integration tests: the command line as a user meets it (help, usage errors, exit codes).

use crate::support::{arkiv, crawled};

#[test]
fn help_lists_every_command_the_readme_documents() {
    let out = arkiv().arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let readme = include_str!("../README.md");
    for command in [
        "crawl",
        "mirror",
        "verify",
        "demo",
        "serve-fixture",
        "diff",
        "wacz",
        "serve",
    ] {
        assert!(help.contains(command), "--help lacks {command}: {help}");
        assert!(
            readme.contains(&format!("`arkiv {command}")),
            "README lacks `arkiv {command}`"
        );
    }
}

#[test]
fn version_names_the_tool() {
    let out = arkiv().arg("--version").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("arkiv "));
}

#[test]
fn a_usage_error_exits_2_with_a_hint() {
    let out = arkiv()
        .args(["crawl", "--out", "/nonexistent/never"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no seed URL") && err.contains("hint:"),
        "{err}"
    );

    let out = arkiv()
        .args(["crawl", "not a url", "--out", "/nonexistent/never"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));

    let out = arkiv()
        .args(["crawl", "ftp://example.org/", "--out", "/nonexistent/never"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));

    let out = arkiv()
        .args([
            "crawl",
            "http://127.0.0.1:9/",
            "--out",
            "x",
            "--warc-prefix",
            "../up",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a WARC prefix cannot name a path"
    );
    assert!(!std::path::Path::new("x").exists());
}

#[test]
fn an_unknown_fixture_site_exits_2_naming_the_known_ones() {
    let out = arkiv()
        .args(["serve-fixture", "nope"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("collective-impact"));
}

#[test]
fn a_folder_holding_a_crawl_is_never_overwritten() {
    let done = crawled("collective-impact");
    let before = crate::support::files_below(&done.out);
    let out = arkiv()
        .arg("crawl")
        .arg(done.url.as_str())
        .arg("--out")
        .arg(&done.out)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a crawl"));
    assert_eq!(crate::support::files_below(&done.out), before);
}

#[test]
fn verify_on_a_folder_that_is_no_archive_exits_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = arkiv().arg("verify").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mirror-only"));
}

#[test]
fn demo_archives_and_verifies_the_bundled_site() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("demo");
    let out = arkiv()
        .arg("-q")
        .arg("demo")
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK: 0 errors"), "{stdout}");
    assert!(
        stdout.contains("notice:"),
        "the demo checks the notice: {stdout}"
    );
    assert!(out_dir.join("mirror/index.html").is_file());
    // Run twice: the second run replaces the first demo.
    let again = arkiv()
        .arg("-q")
        .arg("demo")
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(0));
}
