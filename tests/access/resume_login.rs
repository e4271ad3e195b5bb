//! Through the CLI, `--resume` of an authenticated crawl killed mid-way: it refuses clearly
//! without the password (which arkiv.toml never holds), and with it given again finishes the
//! crawl whole, still with no secret in what it wrote.

use std::process::Stdio;
use std::time::{Duration, Instant};

use arkiv::fixture::{FixtureServer, ServeOptions};

use super::members::{PAGES, PASSWORD, PASSWORD_ENV, SESSION, all_flags, basic_token, holds};
use crate::support::arkiv;

/// Slow enough that the kill lands mid-crawl.
const LATENCY: Duration = Duration::from_millis(40);

#[test]
fn an_authenticated_crawl_resumes_with_the_secret_given_again() {
    let server = FixtureServer::start(
        "members",
        ServeOptions {
            latency: Some(LATENCY),
            ..ServeOptions::default()
        },
    )
    .expect("members site");
    let base = server.url();
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let mut child = arkiv()
        .args([
            "--quiet",
            "crawl",
            base.as_str(),
            "--per-host",
            "1",
            "--out",
        ])
        .arg(&out)
        .args(all_flags())
        .env(PASSWORD_ENV, PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it once a login area has been answered and before the crawl is through.
    let log = out.join("reports/crawl.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = fs_err::read_to_string(&log).unwrap_or_default();
        let answered = text
            .lines()
            .any(|l| l.contains("/kontor/ ") && l.ends_with(" archived"));
        if answered && text.lines().count() >= 6 {
            break;
        }
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the crawl ended before it could be killed:\n{text}"
        );
        assert!(Instant::now() < deadline, "no progress:\n{text}");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let before = fs_err::read_to_string(&log).expect("log");
    assert!(
        !before.contains("/medlemmer/kalender.html") || !before.contains("/arkiv/2002.html"),
        "killed mid-way:\n{before}"
    );
    let toml = fs_err::read_to_string(out.join("arkiv.toml")).expect("arkiv.toml");

    // Without the password: a clear refusal that names the variable; nothing changes.
    let refused = arkiv()
        .args(["--quiet", "crawl", "--resume"])
        .arg(&out)
        .output()
        .expect("resume");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(PASSWORD_ENV) && stderr.contains("not set"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_eq!(
        fs_err::read_to_string(out.join("arkiv.toml")).expect("arkiv.toml"),
        toml
    );

    // With it: the crawl goes on to its end.
    let resumed = arkiv()
        .args(["--quiet", "crawl", "--resume"])
        .arg(&out)
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .expect("resume");
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.code(), Some(0), "{stderr}");
    // The archive (not crawl.log, which a kill between a record and its line leaves short) holds
    // every page as the login opened it, and the summary no failure.
    let index = arkiv::warc::read_index(&out.join("indexes/index.cdxj")).expect("index.cdxj");
    for (path, status) in PAGES {
        let url = base.join(path).expect("url").to_string();
        let statuses: Vec<&str> = index
            .iter()
            .filter(|e| e.url == url)
            .filter_map(|e| e.status.as_deref())
            .collect();
        assert!(
            statuses.contains(&status.to_string().as_str()),
            "{url}: {statuses:?}"
        );
    }
    let summary: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(out.join("reports/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["failures"], serde_json::json!([]), "{summary}");
    // The resumed part logged in too, and the new WARC file names its redactions.
    let mut files: Vec<_> = fs_err::read_dir(out.join("warc"))
        .expect("warc")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let last_file = super::members::gunzip(&fs_err::read(files.last().unwrap()).expect("read"));
    assert!(holds(&last_file, "arkiv-redacts: Cookie medlem"));
    assert!(holds(&last_file, "Cookie: medlem=ARKIV-REDACTED"));
    for file in &files {
        let bytes = super::members::gunzip(&fs_err::read(file).expect("read"));
        for secret in [PASSWORD, SESSION, &basic_token()] {
            assert!(!holds(&bytes, secret), "{secret} in {}", file.display());
        }
    }
    let toml = fs_err::read_to_string(out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(!toml.contains(PASSWORD), "{toml}");
}
