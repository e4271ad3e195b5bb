//! Integration tests: never lose a real page. Sites whose pages share one URL shape (a catalogue
//! of mutually linked items, a next-only listing, a blog linked post to post) are archived whole
//! with default settings, while traps that look like them beside them (an endless calendar, a
//! listing under every sort order, near-identical copies) stop early, visibly and reversibly;
//! `--resume` ends with the same archive; no fragment ever reaches the WARC, the index or the
//! manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arkiv::crawl::config::DEFAULT_TRAP_AFTER;
use arkiv::fixture::families::{blog_pages, catalogue_pages};
use arkiv::fixture::{FixtureServer, ServeOptions};
use url::Url;

use crate::support::tiny_site::{Answer, not_found, serve};
use crate::support::{arkiv, warc_records};

/// The counts in fixtures/sites/families/site.toml.
const ITEMS: u32 = 3000;
const POSTS: u32 = 1000;
/// The trap families of that site, by the start of their paths.
const TRAPS: [&str; 3] = ["/kalender", "/soeg", "/kopi/"];
/// No crawl of it may take longer (it takes a few seconds in a release build).
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// Every page of the families site a visitor can reach by following links.
fn real_pages() -> BTreeSet<String> {
    let mut pages: BTreeSet<String> = ["/", "/om.html", "/stil.css"]
        .into_iter()
        .map(String::from)
        .collect();
    // `/produkter/` is the listing's first page; `side-1.html` is linked from nowhere.
    pages.extend(
        catalogue_pages(ITEMS)
            .into_iter()
            .filter(|p| p != "/produkter/side-1.html"),
    );
    pages.extend(blog_pages(POSTS));
    pages
}

fn is_trap(path: &str) -> bool {
    TRAPS.iter().any(|t| path.starts_with(t))
}

/// One finished crawl of a site: its output folder and crawl.log read back.
struct Crawl {
    site: Url,
    out: PathBuf,
    stdout: String,
    _dir: tempfile::TempDir,
}

impl Crawl {
    /// `(path and query, status, outcome)` of every crawl.log line of the site.
    fn lines(&self) -> Vec<(String, String, String)> {
        let log = fs_err::read_to_string(self.out.join("reports/crawl.log")).expect("crawl.log");
        let site = self.site.as_str();
        log.lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                let path = fields.get(4)?.strip_prefix(site)?;
                Some((
                    format!("/{path}"),
                    fields.get(1)?.to_string(),
                    fields.last()?.to_string(),
                ))
            })
            .collect()
    }

    /// Paths (with query) that ended in an archived response or revisit.
    fn archived(&self) -> BTreeSet<String> {
        self.lines()
            .into_iter()
            .filter(|(_, _, outcome)| outcome == "archived" || outcome == "revisit")
            .map(|(path, _, _)| path)
            .collect()
    }

    fn summary(&self) -> serde_json::Value {
        let text = fs_err::read_to_string(self.out.join("reports/summary.json")).expect("summary");
        serde_json::from_str(&text).expect("summary.json parses")
    }
}

fn families_server() -> FixtureServer {
    FixtureServer::start("families", ServeOptions::default()).expect("fixture server")
}

fn crawl_command(site: &Url, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = arkiv();
    cmd.args(["--quiet", "crawl", site.as_str(), "--out"])
        .arg(out)
        .args(extra);
    cmd
}

/// Runs a command that must exit 0 within [`RUN_LIMIT`]; returns its stdout.
fn run_ok(mut cmd: Command) -> String {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn arkiv");
    let deadline = Instant::now() + RUN_LIMIT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("arkiv ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn crawl_site(site: &Url, extra: &[&str]) -> Crawl {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let stdout = run_ok(crawl_command(site, &out, extra));
    Crawl {
        site: site.clone(),
        out,
        stdout,
        _dir: dir,
    }
}

/// Pages fetched per trap family, from what the server answered.
fn trap_fetches(server: &FixtureServer) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for request in server.requests() {
        if let Some(trap) = TRAPS.iter().find(|t| request.path().starts_with(*t)) {
            *counts.entry(*trap).or_default() += 1;
        }
    }
    counts
}

/// The real pages are all archived, nothing else but the traps' pages is, and each trap
/// family took some evidence and then stopped well within a few hundred requests.
fn assert_whole_and_traps_stopped(crawl: &Crawl, fetches: &BTreeMap<&str, usize>) {
    let archived = crawl.archived();
    let real = real_pages();
    let missing: Vec<&String> = real.difference(&archived).collect();
    assert!(
        missing.is_empty(),
        "{} real pages not archived, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let other: Vec<&String> = archived
        .iter()
        .filter(|p| !real.contains(*p) && !is_trap(p) && *p != "/robots.txt")
        .collect();
    assert!(other.is_empty(), "archived beyond the site: {other:?}");
    let limit = DEFAULT_TRAP_AFTER as usize + 20;
    for trap in TRAPS {
        let fetched = fetches.get(trap).copied().unwrap_or(0);
        assert!(
            (DEFAULT_TRAP_AFTER as usize..=limit).contains(&fetched),
            "{trap}: {fetched} pages fetched (expected {DEFAULT_TRAP_AFTER}..={limit})"
        );
    }
}

/// summary.json names each trap family with what it declined, an example and the flag that
/// lifts it; the closing lines on stdout say the same.
fn assert_trap_report(crawl: &Crawl, stdout: &str) {
    let summary = crawl.summary();
    let traps = summary["traps"].as_array().expect("traps in summary.json");
    let host = format!(
        "{}:{}",
        crawl.site.host_str().expect("host"),
        crawl.site.port().expect("port")
    );
    for (path, shape) in [
        ("/kalender", format!("{host}/kalender?m")),
        ("/soeg", format!("{host}/soeg?side&sort&vis")),
        ("/kopi/", format!("{host}/kopi/#")),
    ] {
        let family = traps
            .iter()
            .find(|t| t["shape"] == shape.as_str())
            .unwrap_or_else(|| panic!("{shape} not in the trap report: {traps:#?}"));
        assert_eq!(family["outcome"], "trap-no-new-content");
        assert!(family["declined"].as_u64().unwrap_or(0) >= 1, "{family}");
        let example = family["example"].as_str().expect("example");
        assert!(
            example.starts_with(&format!("{}{}", crawl.site, &path[1..])),
            "{family}"
        );
        assert_eq!(family["lift"], format!("--not-a-trap '{shape}'"));
        assert!(
            stdout.contains(&format!("stopped as a trap: {shape} ")),
            "closing lines lack {shape}:\n{stdout}"
        );
    }
    assert_eq!(traps.len(), 3, "{traps:#?}");
}

#[test]
fn a_site_of_look_alike_urls_is_archived_whole_and_its_traps_stop() {
    let server = families_server();
    let crawl = crawl_site(&server.url(), &[]);
    assert_whole_and_traps_stopped(&crawl, &trap_fetches(&server));
    assert_trap_report(&crawl, &crawl.stdout);
    // What was declined gets a "not archived" page in the mirror, so a reader sees the edge.
    let declined: Vec<String> = crawl
        .lines()
        .into_iter()
        .filter(|(_, _, o)| o == "trap-no-new-content")
        .map(|(p, _, _)| p)
        .collect();
    assert!(!declined.is_empty());
    let manifest = fs_err::read_to_string(crawl.out.join("manifest.jsonl")).expect("manifest");
    let not_archived = manifest
        .lines()
        .filter(|l| l.contains("\"kind\":\"not-archived\""))
        .count();
    assert_eq!(not_archived, declined.len(), "one page per declined URL");
}

#[test]
fn no_fragment_reaches_the_warc_the_index_or_the_manifest() {
    let server = families_server();
    let crawl = crawl_site(&server.url(), &["--max-pages", "30"]);
    let warc: Vec<PathBuf> =
        arkiv::crawl::recover::warc_files(&crawl.out.join("warc")).expect("warc files");
    let records = warc_records(&warc);
    let targets: Vec<&str> = records.iter().filter_map(|r| r.target.as_deref()).collect();
    let about = format!("{}om.html", crawl.site);
    assert!(
        targets.contains(&about.as_str()),
        "/om.html (linked as om.html#kontakt) is archived under its own URL: {targets:?}"
    );
    assert!(
        targets.iter().all(|t| !t.contains('#')),
        "a fragment in WARC-Target-URI: {:?}",
        targets
            .iter()
            .filter(|t| t.contains('#'))
            .collect::<Vec<_>>()
    );
    let index = arkiv::warc::read_index(&crawl.out.join("indexes/index.cdxj")).expect("index");
    assert!(
        index.iter().all(|e| !e.url.contains('#')),
        "a fragment in the CDXJ"
    );
    let manifest = fs_err::read_to_string(crawl.out.join("manifest.jsonl")).expect("manifest");
    for line in manifest.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("manifest line");
        assert!(
            !entry["url"].as_str().unwrap_or("").contains('#'),
            "a fragment in the manifest: {line}"
        );
    }
    let log = fs_err::read_to_string(crawl.out.join("reports/crawl.log")).expect("crawl.log");
    assert!(
        log.lines()
            .all(|l| !l.split(' ').nth(4).unwrap_or("").contains('#')),
        "a fragment in crawl.log"
    );
    // The mirror keeps the fragment in the link it rewrote.
    let host = crawl.site.host_str().expect("host");
    let port = crawl.site.port().expect("port");
    let home = fs_err::read_to_string(crawl.out.join(format!("mirror/{host}+{port}/index.html")))
        .expect("mirrored home page");
    assert!(home.contains("href=\"om.html#kontakt\""), "{home}");
}

#[test]
fn a_killed_crawl_resumes_to_the_same_archive() {
    let server = families_server();
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let mut child = crawl_command(&server.url(), &out, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed once a good part of the site, and of its traps, is behind it.
    let deadline = Instant::now() + RUN_LIMIT;
    loop {
        let lines = fs_err::read_to_string(out.join("reports/crawl.log"))
            .map(|l| l.lines().count())
            .unwrap_or(0);
        if lines > 1500 {
            break;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ended before the kill"
        );
        assert!(Instant::now() < deadline, "never got far enough");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let mut resume = arkiv();
    resume.args(["--quiet", "crawl", "--resume"]).arg(&out);
    let stdout = run_ok(resume);
    let crawl = Crawl {
        site: server.url(),
        out,
        stdout,
        _dir: dir,
    };
    assert_whole_and_traps_stopped(&crawl, &trap_fetches(&server));
    assert_trap_report(&crawl, &crawl.stdout);
}

/// `/liste?side=N` for N = 1..=40: the same list on every page but its number, each linking
/// the next: a family that looks like a trap, which the user knows is not one.
fn finite_copies(target: &str, _head: &str) -> Answer {
    if target == "/" {
        return (
            "200 OK",
            "<!doctype html><title>Forside</title><a href=\"/liste?side=1\">Liste</a>".to_string(),
        );
    }
    let Some(n) = target
        .strip_prefix("/liste?side=")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=40).contains(n))
    else {
        return not_found();
    };
    let next = if n < 40 {
        format!("<a href=\"/liste?side={}\">Næste</a>", n + 1)
    } else {
        String::new()
    };
    (
        "200 OK",
        format!("<!doctype html><title>Liste {n}</title><p>Intet nyt her.</p>{next}"),
    )
}

#[test]
fn a_stopped_family_is_taken_after_all_with_not_a_trap_on_resume() {
    let site = serve(finite_copies);
    let crawl = crawl_site(&site, &["--trap-after", "5", "--no-mirror"]);
    let listed = |crawl: &Crawl| {
        crawl
            .archived()
            .into_iter()
            .filter(|p| p.starts_with("/liste"))
            .count()
    };
    let before = listed(&crawl);
    assert!(before < 10, "stopped early: {before} pages");
    let shape = format!(
        "{}:{}/liste?side",
        site.host_str().expect("host"),
        site.port().expect("port")
    );
    assert!(
        crawl.stdout.contains(&format!(
            "arkiv crawl --resume {} --not-a-trap '{shape}'",
            crawl.out.display()
        )),
        "the closing lines say how to lift it:\n{}",
        crawl.stdout
    );
    let mut resume = arkiv();
    resume
        .args(["--quiet", "crawl", "--resume"])
        .arg(&crawl.out)
        .args(["--not-a-trap", &shape]);
    let stdout = run_ok(resume);
    let lifted = Crawl {
        site: site.clone(),
        out: crawl.out.clone(),
        stdout,
        _dir: tempfile::tempdir().expect("temp"),
    };
    assert_eq!(
        listed(&lifted),
        40,
        "every page of the family is archived now"
    );
    let summary = lifted.summary();
    assert_eq!(summary["traps"].as_array().map(Vec::len), Some(0));
    let settings = fs_err::read_to_string(crawl.out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(
        settings.contains(&shape),
        "kept for later resumes:\n{settings}"
    );
}
