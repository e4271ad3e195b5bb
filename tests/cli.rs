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

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    use std::process::Stdio;
    let mut child = arkiv()
        .args([
            "--quiet",
            "verify",
            "archive/collective-impact",
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    // The reader goes away before verify has written anything: `arkiv verify … | true`.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn global_options_have_their_own_heading() {
    let out = arkiv().args(["crawl", "--help"]).output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    let (own, global) = help
        .split_once("Global options:")
        .expect("a Global options heading");
    assert!(
        global.contains("--verbose") && global.contains("--color"),
        "{help}"
    );
    assert!(!own.contains("--verbose"), "{help}");
}

/// Long options a `--help` lists.
fn options_in_help(args: &[&str]) -> std::collections::BTreeSet<String> {
    let out = arkiv().args(args).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix('-')
                .filter(|l| !l.starts_with('-'))
                .map_or(line, |l| l.split_once(", ").map_or(line, |(_, rest)| rest));
            let name = line.strip_prefix("--")?;
            let end = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(name.len());
            Some(format!("--{}", &name[..end]))
        })
        .filter(|o| o != "--help")
        .collect()
}

/// The `--options` a text names.
fn options_named(text: &str) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("--") {
        let name: String = rest[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        rest = &rest[at + 2..];
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.insert(format!("--{name}"));
        }
    }
    found
}

/// README and `--help` agree on options: every option a command has is documented in the README,
/// and every arkiv option the README names exists (a renamed or removed flag shows up here).
#[test]
fn readme_and_help_agree_on_every_option() {
    let readme = options_named(include_str!("../README.md"));
    let mut all = std::collections::BTreeSet::new();
    for command in [
        "crawl",
        "verify",
        "mirror",
        "diff",
        "demo",
        "wacz",
        "serve",
        "serve-fixture",
    ] {
        for option in options_in_help(&[command]) {
            assert!(
                readme.contains(&option),
                "README does not document {command} {option}"
            );
            all.insert(option);
        }
    }
    // Other tools' options the README quotes: wget's, cargo's, Chromium's, lychee's, bench/run's.
    let others = [
        "--mirror",
        "--page-requisites",
        "--convert-links",
        "--adjust-extension",
        "--warc-file",
        "--release",
        "--locked",
        "--remote-debugging-pipe",
        "--remote-debugging-port",
        "--ignore-certificate-errors-spki-list",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--offline",
        "--scenarios",
        "--shape",
    ];
    for option in &readme {
        assert!(
            option == "--help" || all.contains(option) || others.contains(&option.as_str()),
            "README names {option}, which no command has"
        );
    }
}

/// The arkiv.toml a crawl writes starts the next crawl with the same options (`--config`), flags
/// given beside it win, and a key it does not know is an error that names it.
#[test]
fn a_crawls_arkiv_toml_is_a_config_for_the_next() {
    use crate::support::tiny_site::{not_found, serve};
    let site = serve(|target, _| match target {
        "/" => (
            "200 OK",
            "<!doctype html><title>Forside</title><a href=\"/a\">A</a>".to_string(),
        ),
        "/a" => ("200 OK", "<!doctype html><title>A</title>".to_string()),
        _ => not_found(),
    });
    let dir = tempfile::tempdir().expect("temp");
    let first = dir.path().join("first");
    let run = |args: &[&std::ffi::OsStr]| arkiv().arg("--quiet").args(args).output().expect("run");
    let out = run(&[
        "crawl".as_ref(),
        site.as_str().as_ref(),
        "--out".as_ref(),
        first.as_os_str(),
        "--retries".as_ref(),
        "5".as_ref(),
        "--description".as_ref(),
        "første".as_ref(),
        "--no-mirror".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = first.join("arkiv.toml");
    let second = dir.path().join("second");
    let out = run(&[
        "crawl".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--out".as_ref(),
        second.as_os_str(),
        "--description".as_ref(),
        "anden".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = fs_err::read_to_string(second.join("arkiv.toml")).expect("arkiv.toml");
    assert!(
        written.contains(&format!("seeds = [\"{site}\"]")),
        "{written}"
    );
    assert!(written.contains("retries = 5"), "{written}");
    assert!(written.contains("description = \"anden\""), "{written}");
    assert!(written.contains("no-mirror = true"), "{written}");
    let log = fs_err::read_to_string(second.join("reports/crawl.log")).expect("crawl.log");
    assert!(log.contains(&format!("{site}a ")), "{log}");

    let wrong = dir.path().join("wrong.toml");
    fs_err::write(
        &wrong,
        format!("[crawl]\nseeds = [\"{site}\"]\nper_host = 1\n"),
    )
    .expect("write");
    let out = run(&[
        "crawl".as_ref(),
        "--config".as_ref(),
        wrong.as_os_str(),
        "--out".as_ref(),
        dir.path().join("third").as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("per_host") && stderr.contains("hint:"),
        "{stderr}"
    );
}
