//! Integration tests: `arkiv crawl --resume` after kill -9, Ctrl-C, a cut WARC tail and a full disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use arkiv::fixture::{FixtureServer, ServeOptions};
use url::Url;

use crate::support::{NOTICE_LINK, NOTICE_TEXT, arkiv};

mod faults;
mod log;
mod scope;

/// Slow enough that kills land mid-crawl and mid-record, fast enough for a short test.
const LATENCY: Duration = Duration::from_millis(50);
/// No single run may take longer than this (the edge-cases site has slow routes).
const RUN_LIMIT: Duration = Duration::from_secs(90);
/// Kills per site in the kill test (two sites: up to 28 kill points, at least 20 required).
const KILLS_PER_SITE: usize = 14;

/// A reproducible pseudo-random sequence (xorshift64*); `ARKIV_KILL_SEED` picks another one.
struct Rng(u64);

impl Rng {
    fn from_env() -> Rng {
        let seed = std::env::var("ARKIV_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_a4c1_u64);
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low + 1))
    }
}

fn server(site: &str) -> FixtureServer {
    FixtureServer::start(
        site,
        ServeOptions {
            latency: Some(LATENCY),
            ..ServeOptions::default()
        },
    )
    .expect("fixture server")
}

/// `arkiv crawl` of a site with the options the test suite uses for it.
fn crawl_command(site: &str, url: &Url, out: &Path) -> Command {
    let mut cmd = arkiv();
    cmd.arg("--quiet")
        .arg("crawl")
        .arg(url.as_str())
        .arg("--out")
        .arg(out);
    match site {
        "collective-impact" => {
            // One fetch at a time: the small site then lasts long enough for its share of kills.
            cmd.args(["--notice-text", NOTICE_TEXT, "--notice-link", NOTICE_LINK])
                .args(["--per-host", "1"]);
        }
        _ => {
            cmd.args(["--timeout", "2", "--retries", "2"]);
        }
    }
    cmd
}

fn resume_command(out: &Path) -> Command {
    let mut cmd = arkiv();
    cmd.arg("--quiet").arg("crawl").arg("--resume").arg(out);
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn arkiv")
}

/// Waits for a child, bounded; a run that overstays is killed and the test fails.
fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("arkiv ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stderr_of(child: &mut Child) -> String {
    use std::io::Read as _;
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

/// Runs a command to its end; returns its exit code and stderr.
fn run(cmd: Command) -> (Option<i32>, String) {
    let mut child = spawn(cmd);
    let status = wait_bounded(&mut child, RUN_LIMIT);
    (status.code(), stderr_of(&mut child))
}

/// Runs a command that must succeed (exit 0).
fn run_ok(cmd: Command) {
    let (code, stderr) = run(cmd);
    assert_eq!(code, Some(0), "{stderr}");
}

/// What an archive holds, read from its CDXJ index: per canonical URL, the payload digests of
/// its 200/3xx/404 responses and revisits.
fn archived(out: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let entries = arkiv::warc::read_index(&out.join("indexes/index.cdxj")).expect("index.cdxj");
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in entries {
        let status: u16 = entry
            .status
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if !(status == 200 || status == 404 || (300..400).contains(&status)) {
            continue;
        }
        let Ok(url) = Url::parse(&entry.url) else {
            continue;
        };
        let key = arkiv::urls::dedup_key(&url);
        let digest = entry.digest.unwrap_or_default();
        map.entry(key).or_default().insert(digest);
    }
    map
}

/// URLs whose payload legitimately differs from one fetch to the next (fresh session ids) or
/// that are cut short on purpose: compared by presence only.
fn volatile(key: &str) -> bool {
    key.contains("/session/") || key.contains("/fejl/")
}

fn assert_same_archive(site: &str, expected: &Path, got: &Path) {
    let mut want = archived(expected);
    let mut have = archived(got);
    // The calendar trap stops once `--trap-after` empty months in a row came back. Its two
    // chains (earlier and later months) run side by side, so which months, and whether the
    // other chain's page in flight at that moment is one more, depends on timing; a page
    // fetched again after a kill also counts once more as evidence. The real pages are
    // compared exactly below.
    let months = |m: &mut BTreeMap<String, BTreeSet<String>>| {
        let before = m.len();
        m.retain(|k, _| !k.contains("/kalender/"));
        before - m.len()
    };
    let (want_months, have_months) = (months(&mut want), months(&mut have));
    assert!(
        want_months.abs_diff(have_months) <= 2
            && (want_months == 0
                || have_months >= arkiv::crawl::config::DEFAULT_TRAP_AFTER as usize),
        "{site}: calendar pages: {have_months} after resuming, {want_months} uninterrupted"
    );
    let want_keys: BTreeSet<&String> = want.keys().collect();
    let have_keys: BTreeSet<&String> = have.keys().collect();
    assert_eq!(
        want_keys, have_keys,
        "{site}: the resumed archive holds other URLs than an uninterrupted crawl"
    );
    for (key, digests) in &want {
        if volatile(key) {
            continue;
        }
        assert_eq!(
            Some(digests),
            have.get(key),
            "{site}: payload digests of {key} differ"
        );
    }
}

fn summary(out: &Path) -> serde_json::Value {
    let text = fs_err::read_to_string(out.join("reports/summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json parses")
}

/// `summary.json` of a crawl that was killed and resumed counts what an uninterrupted crawl
/// counts: one final outcome per URL, the same failures. On edge-cases the calendar trap's
/// months (see [`assert_same_archive`]) and the fault routes' retries (their `fail_times`
/// counters are shared by both crawls of one server) may differ; everything else may not.
fn assert_same_summary(site: &str, baseline: &Path, killed: &Path) {
    let (want, have) = (summary(baseline), summary(killed));
    let failures = |s: &serde_json::Value| -> BTreeSet<String> {
        s["failures"]
            .as_array()
            .expect("failures")
            .iter()
            .map(|f| f["url"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(failures(&want), failures(&have), "{site}: failures");
    let outcomes = |s: &serde_json::Value| -> BTreeMap<String, u64> {
        s["by_outcome"]
            .as_object()
            .expect("by_outcome")
            .iter()
            .filter(|(k, _)| {
                site == "collective-impact"
                    || !matches!(k.as_str(), "archived" | "revisit" | "trap-no-new-content")
            })
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
            .collect()
    };
    assert_eq!(outcomes(&want), outcomes(&have), "{site}: by_outcome");
    if site == "collective-impact" {
        for field in [
            "urls_taken",
            "responses",
            "revisits",
            "bytes",
            "retries",
            "by_status",
            "by_mime",
        ] {
            assert_eq!(want[field], have[field], "{site}: {field}");
        }
    }
}

/// Every URL of collective-impact has exactly one full (non-revisit) response.
fn assert_no_double_responses(out: &Path) {
    let entries = arkiv::warc::read_index(&out.join("indexes/index.cdxj")).expect("index.cdxj");
    let mut full: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries {
        if entry.mime.as_deref() == Some("warc/revisit") || entry.status.is_none() {
            continue;
        }
        *full.entry(entry.url.clone()).or_default() += 1;
    }
    let doubles: Vec<_> = full.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubles.is_empty(), "archived twice: {doubles:?}");
}

fn warc_files(out: &Path) -> Vec<PathBuf> {
    arkiv::crawl::recover::warc_files(&out.join("warc")).expect("warc files")
}

/// What `warcio check` finds in every WARC file of `out` (`None` when warcio is not installed;
/// under CI it must be).
fn warcio_findings(out: &Path) -> Option<BTreeSet<String>> {
    if Command::new("warcio").arg("--help").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "warcio is not on PATH (.ci/run installs it)"
        );
        eprintln!("warcio not on PATH: skipping `warcio check`");
        return None;
    }
    let mut findings = BTreeSet::new();
    for file in warc_files(out) {
        let output = Command::new("warcio")
            .arg("check")
            .arg(&file)
            .output()
            .expect("warcio check");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        // Findings are indented under their record; the file and record lines name places.
        let found: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("    "))
            .map(|l| l.trim().to_string())
            .collect();
        assert!(
            output.status.success() || !found.is_empty(),
            "warcio check {} failed: {text}",
            file.display()
        );
        findings.extend(found);
    }
    Some(findings)
}

/// `warcio check` passes on every file of `got`, or finds nothing it did not find in the
/// uninterrupted crawl (some fixture routes are odd on purpose).
fn assert_warcio_clean(expected: &Path, got: &Path) {
    let (Some(want), Some(have)) = (warcio_findings(expected), warcio_findings(got)) else {
        return;
    };
    let new: Vec<&String> = have.difference(&want).collect();
    assert!(
        new.is_empty(),
        "warcio check finds what it did not before resuming: {new:?}"
    );
}

/// What every resumed collective-impact crawl must end with: the archive of an uninterrupted
/// crawl (`baseline`), each URL archived once, `warcio check` clean and `arkiv verify` passing.
fn assert_resumed_whole(site: &str, baseline: &Path, out: &Path) {
    assert_same_archive(site, baseline, out);
    assert_no_double_responses(out);
    assert_warcio_clean(baseline, out);
    let (code, report) = verify_code(out);
    assert_eq!(code, Some(0), "{}: {report}", out.display());
}

fn verify_code(out: &Path) -> (Option<i32>, String) {
    let output = arkiv()
        .arg("--quiet")
        .arg("verify")
        .arg(out)
        .output()
        .expect("arkiv verify");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Kills a crawl at random moments, resuming each time; returns how many kills landed.
fn kill_and_resume(site: &str, url: &Url, out: &Path, rng: &mut Rng) -> usize {
    let mut kills = 0;
    let mut cmd = crawl_command(site, url, out);
    loop {
        let mut child = spawn(cmd);
        if kills < KILLS_PER_SITE {
            std::thread::sleep(rng.millis(10, 400));
            if child.try_wait().expect("try_wait").is_none() {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                kills += 1;
                cmd = if out.join("arkiv.toml").exists() {
                    resume_command(out)
                } else {
                    // Killed before it wrote anything: start over.
                    let _ = fs_err::remove_dir_all(out);
                    crawl_command(site, url, out)
                };
                continue;
            }
        }
        let status = wait_bounded(&mut child, RUN_LIMIT);
        let stderr = stderr_of(&mut child);
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "{site}: the last run ended with {status}: {stderr}"
        );
        return kills;
    }
}

#[test]
fn killed_crawls_resume_to_the_archive_of_an_uninterrupted_one() {
    let started = Instant::now();
    let mut rng = Rng::from_env();
    let mut total_kills = 0;
    for site in ["collective-impact", "edge-cases"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let baseline = dir.path().join("baseline");
        let killed = dir.path().join("killed");
        let server = server(site);
        let url = server.url();
        let (code, stderr) = run(crawl_command(site, &url, &baseline));
        assert!(matches!(code, Some(0 | 1)), "baseline {site}: {stderr}");
        let kills = kill_and_resume(site, &url, &killed, &mut rng);
        eprintln!("{site}: {kills} kills");
        total_kills += kills;
        assert_same_archive(site, &baseline, &killed);
        assert_same_summary(site, &baseline, &killed);
        if site == "collective-impact" {
            assert_no_double_responses(&killed);
        }
        assert_warcio_clean(&baseline, &killed);
        let (want, _) = verify_code(&baseline);
        let (got, report) = verify_code(&killed);
        assert_eq!(got, want, "{site}: verify after resume:\n{report}");
        if site == "collective-impact" {
            assert_eq!(got, Some(0), "{report}");
        }
    }
    assert!(total_kills >= 20, "only {total_kills} kills landed");
    eprintln!(
        "{total_kills} kills in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn resume_after_ctrl_c_finishes_the_crawl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline");
    let out = dir.path().join("out");
    let site = "collective-impact";
    let server = server(site);
    let url = server.url();
    run_ok(crawl_command(site, &url, &baseline));
    let mut child = spawn(crawl_command(site, &url, &out));
    // One fetch at a time at 50 ms each: the site takes well over 2 s, so this lands mid-crawl.
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the crawl ended before Ctrl-C"
    );
    let sent = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let status = wait_bounded(&mut child, RUN_LIMIT);
    assert_eq!(status.code(), Some(130), "{}", stderr_of(&mut child));
    run_ok(resume_command(&out));
    assert_same_archive(site, &baseline, &out);
    assert_no_double_responses(&out);
    let (code, report) = verify_code(&out);
    assert_eq!(code, Some(0), "{report}");
    let summary = fs_err::read_to_string(out.join("reports/summary.json")).expect("summary");
    assert!(summary.contains("\"interrupted\": false"), "{summary}");
}

#[test]
fn a_cut_warc_tail_is_sealed_kept_aside_and_its_urls_fetched_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline");
    let out = dir.path().join("out");
    let site = "collective-impact";
    let server = server(site);
    let url = server.url();
    run_ok(crawl_command(site, &url, &baseline));
    run_ok(crawl_command(site, &url, &out));
    // What a crash mid-write leaves: the last records gone, one of them half there.
    let files = warc_files(&out);
    let last = files.last().expect("a WARC file");
    let len = fs_err::metadata(last).expect("len").len();
    let file = fs_err::OpenOptions::new()
        .write(true)
        .open(last)
        .expect("open");
    file.set_len(len * 2 / 3).expect("truncate");
    drop(file);
    run_ok(resume_command(&out));
    let partial: Vec<_> = fs_err::read_dir(out.join("warc"))
        .expect("warc dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert_eq!(partial.len(), 1, "one cut tail kept aside: {partial:?}");
    assert!(warc_files(&out).len() >= 2, "writing went on in a new file");
    assert_resumed_whole(site, &baseline, &out);
}

#[test]
fn a_full_disk_stops_the_crawl_naming_the_path_and_resume_finishes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline");
    let out = dir.path().join("out");
    let site = "collective-impact";
    let server = server(site);
    let url = server.url();
    run_ok(crawl_command(site, &url, &baseline));
    let mut cmd = crawl_command(site, &url, &out);
    cmd.env(arkiv::crawl::archive::DISK_FULL_ENV, "15");
    let (code, stderr) = run(cmd);
    assert_eq!(code, Some(2), "a full disk is an I/O error: {stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
    // The same hint a real full disk gets: the simulated one takes the same path.
    assert!(
        stderr.contains("hint:") && stderr.contains("free space") && stderr.contains("--resume"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&out.join("warc").display().to_string()),
        "the error names the path: {stderr}"
    );
    // Consistent as left: every WARC file reads whole, and the state opens.
    for file in warc_files(&out) {
        arkiv::warc::index_warc(&file).expect("a whole WARC file after the error");
    }
    let state = arkiv::crawl::state::load(&out).expect("the crawl state reads");
    assert!(!state.urls.is_empty());
    run_ok(resume_command(&out));
    assert_resumed_whole(site, &baseline, &out);
}
