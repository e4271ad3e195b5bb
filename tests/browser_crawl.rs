//! Integration tests: `arkiv crawl --browser` through the CLI on the scripted fixture site, whose
//! content only scripts bring. Every URL a script asks for is archived wire-exact through the
//! crawl's own fetcher (the server's chunk framing and header case kept), the out-of-scope
//! counter is declined (403 to the browser, a crawl.log line) and never fetched, each page's
//! rendered DOM is a `conversion` record kept out of the CDXJ, the mirror shows the rendered
//! pages from `file://` without a failed load or a network request, `verify` passes, a page that
//! never settles is read at `--page-timeout`, kill -9 and `--resume` give a whole archive, and
//! the same holds over HTTPS. A crawl without `--browser` renders nothing, and one without a
//! browser stops before it writes anything.
//!
//! One browser per crawl, small page timeouts: the never-settling page costs its timeout once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::warc::WarcReader;
use url::Url;

use crate::support::chromium::{CHROMIUM, chromium_available};
use crate::support::pki::{https_fixture, loopback_pki};
use crate::support::{arkiv, chromium_turn, warc_records};

/// The notice every page of the scripted site carries.
const NOTICE_TEXT: &str = "Samlingerne opdateres ikke længere.";
const NOTICE_LINK: &str = "https://arkiv.example/samlinger";
/// Long enough for the front page's scripts on a loaded machine, short for /nyheder/, which
/// never settles and is read when its time is up.
const PAGE_TIMEOUT: &str = "10";
/// The collections the two JSON pages list (slug, title).
const COLLECTIONS: [(&str, &str); 7] = [
    ("soelvtoej", "Sølvtøj fra Østjylland"),
    ("glas", "Glas og keramik"),
    ("aebletraeer", "Æbletræer i haven"),
    ("kort", "Kort over sognet"),
    ("tekstiler", "Tekstiler og dragter"),
    ("vaerktoej", "Værktøj fra smedjen"),
    ("breve", "Breve fra udvandrere"),
];
/// What only scripts ask for (relative to the site), besides each collection's image and page.
const SCRIPT_BROUGHT: [&str; 7] = [
    "data/samlinger.json",
    "data/samlinger-2.json",
    "data/om.json",
    "data/nyheder.json",
    "fonts/samling-sans.woff2",
    "billeder/foto-1.svg",
    "api/opdateringer?n=0",
];
/// The counter on a host out of scope.
const COUNTER: &str = "http://taeller.invalid/t.gif?side=%2F";

/// One crawl with `--browser` and its output.
struct BrowserCrawl {
    site: Url,
    out: PathBuf,
    output: Output,
    _server: FixtureServer,
    _dir: tempfile::TempDir,
}

impl BrowserCrawl {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn url(&self, path: &str) -> String {
        self.site.join(path).expect("url").to_string()
    }

    fn log(&self) -> String {
        fs_err::read_to_string(self.out.join("reports/crawl.log")).expect("crawl.log")
    }

    fn warc_files(&self) -> Vec<PathBuf> {
        warc_files(&self.out)
    }
}

fn warc_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(out.join("warc"))
        .expect("warc dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    files
}

/// A `--config` file in `dir` that exempts the front page's frame from the notice (it is a
/// fragment of the page around it, which carries the notice).
fn frame_exempt_config(dir: &Path) -> PathBuf {
    let path = dir.join("frame-exempt.toml");
    fs_err::write(&path, "[crawl]\nnotice-exempt = ['/ramme\\.html$']\n").expect("config");
    path
}

fn browser_args(dir: &Path) -> Vec<String> {
    let config = frame_exempt_config(dir).to_string_lossy().into_owned();
    let mut args: Vec<String> = [
        "--browser",
        "--chromium",
        CHROMIUM,
        "--page-timeout",
        PAGE_TIMEOUT,
        "--no-offsite-requisites",
        "--screenshots",
        "--notice-text",
        NOTICE_TEXT,
        "--notice-link",
        NOTICE_LINK,
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--config".to_owned(), config]);
    args
}

/// Crawls `server` with `--browser` and `extra`, holding the one Chromium turn of the tests.
fn crawl_in_browser(server: FixtureServer, extra: &[String]) -> BrowserCrawl {
    let site = server.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = {
        let _turn = chromium_turn();
        arkiv()
            .arg("-v")
            .arg("crawl")
            .arg(site.as_str())
            .arg("--out")
            .arg(&out)
            .args(browser_args(dir.path()))
            .args(extra)
            .output()
            .expect("run arkiv crawl")
    };
    BrowserCrawl {
        site,
        out,
        output,
        _server: server,
        _dir: dir,
    }
}

/// The scripted site crawled in the browser once per test run (the tests below share it).
fn crawled() -> Option<&'static BrowserCrawl> {
    static CRAWL: OnceLock<BrowserCrawl> = OnceLock::new();
    if !chromium_available("the browser crawl tests") {
        return None;
    }
    Some(CRAWL.get_or_init(|| {
        let server = FixtureServer::start("scripted", ServeOptions::default()).expect("fixture");
        let crawl = crawl_in_browser(server, &[]);
        assert!(
            crawl.output.status.success(),
            "arkiv crawl --browser: {:?}\n{}",
            crawl.output.status,
            crawl.stderr()
        );
        crawl
    }))
}

/// One record as our reader sees it: its headers and block.
struct Record {
    kind: String,
    headers: Vec<(String, String)>,
    block: Vec<u8>,
    file: String,
    offset: u64,
}

impl Record {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn records(out: &Path) -> Vec<Record> {
    let mut all = Vec::new();
    for path in warc_files(out) {
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut reader = WarcReader::open(&path).expect("open WARC");
        while let Some(head) = reader.next_record().expect("record") {
            let mut block = Vec::new();
            std::io::Read::read_to_end(&mut reader.block(), &mut block).expect("block");
            reader.finish_record().expect("whole record");
            all.push(Record {
                kind: head.headers.get("WARC-Type").unwrap_or("").to_owned(),
                headers: head
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect(),
                block,
                file: file.clone(),
                offset: head.offset,
            });
        }
    }
    all
}

fn of_kind<'a>(records: &'a [Record], kind: &str, uri: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| r.kind == kind && r.get("WARC-Target-URI") == Some(uri))
        .collect()
}

/// Every URL scripts bring, absolute.
fn script_brought(crawl: &BrowserCrawl) -> Vec<String> {
    let mut urls: Vec<String> = SCRIPT_BROUGHT.iter().map(|p| crawl.url(p)).collect();
    for (slug, _) in COLLECTIONS {
        urls.push(crawl.url(&format!("billeder/{slug}.svg")));
        urls.push(crawl.url(&format!("samling/{slug}.html")));
    }
    urls
}

fn assert_script_brought_urls_archived(crawl: &BrowserCrawl, records: &[Record]) {
    let mut missing = Vec::new();
    for url in script_brought(crawl) {
        let responses =
            of_kind(records, "response", &url).len() + of_kind(records, "revisit", &url).len();
        let requests = of_kind(records, "request", &url).len();
        if responses == 0 || requests == 0 {
            missing.push(url);
        }
    }
    assert!(
        missing.is_empty(),
        "not archived (request and response): {missing:#?}\n{}",
        crawl.log()
    );
}

#[test]
fn every_url_a_script_brings_is_archived_and_the_counter_out_of_scope_is_not() {
    let Some(crawl) = crawled() else { return };
    let records = records(&crawl.out);
    assert_script_brought_urls_archived(crawl, &records);
    // The counter's host is out of scope and requisites stay in it here: declined, logged with
    // the browser as where it was found, and never fetched.
    assert!(
        !records.iter().any(|r| r
            .get("WARC-Target-URI")
            .is_some_and(|u| u.contains("taeller.invalid"))
            && matches!(r.kind.as_str(), "request" | "response")),
        "the out-of-scope counter was fetched"
    );
    let log = crawl.log();
    let line = log
        .lines()
        .find(|l| l.contains(COUNTER))
        .unwrap_or_else(|| panic!("no crawl.log line for the counter:\n{log}"));
    assert!(
        line.ends_with("offsite-requisite-skipped") && line.contains(" browser "),
        "{line}"
    );
    // What the browser got for it: a plain 403 from the proxy.
    let stderr = crawl.stderr();
    assert!(
        stderr.contains(&format!("request for {COUNTER} got 403")),
        "the browser's 403 for the counter is not reported:\n{stderr}"
    );
}

#[test]
fn script_brought_responses_keep_the_servers_framing_and_header_case() {
    let Some(crawl) = crawled() else { return };
    let records = records(&crawl.out);
    let list = of_kind(&records, "response", &crawl.url("data/samlinger.json"));
    let list = list.first().expect("the JSON list's response record");
    let text = String::from_utf8_lossy(&list.block);
    assert!(
        text.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nX-Samling-Udgave: 2024-09\r\n"),
        "the odd header case as sent: {text}"
    );
    // 100-byte chunks: the framing the server sent, not the entity the browser was handed.
    assert!(
        text.contains("\r\n\r\n64\r\n"),
        "chunk framing kept: {text}"
    );
    // The page fetched on scroll is gzip-coded, and archived coded.
    let more = of_kind(&records, "response", &crawl.url("data/samlinger-2.json"));
    let more = more
        .first()
        .expect("the second JSON page's response record");
    let head_end = more
        .block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head")
        + 4;
    let head = String::from_utf8_lossy(&more.block[..head_end]).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert_eq!(&more.block[head_end..head_end + 2], &[0x1f, 0x8b]);
    // Each request the browser's visit caused is the crawl's own request, not the browser's.
    let request = of_kind(&records, "request", &crawl.url("data/samlinger.json"));
    let request = String::from_utf8_lossy(&request.first().expect("request").block).into_owned();
    assert!(request.contains("User-Agent: arkiv/"), "{request}");
}

#[test]
fn the_rendered_pages_are_conversion_records_that_both_readers_read() {
    let Some(crawl) = crawled() else { return };
    let records = records(&crawl.out);
    let front = crawl.url("");
    let conversions = of_kind(&records, "conversion", &front);
    assert_eq!(conversions.len(), 1, "one rendering of the front page");
    let conversion = conversions[0];
    let responses = of_kind(&records, "response", &front);
    let response = responses.first().expect("the front page's response");
    assert_eq!(
        conversion.get("WARC-Refers-To"),
        response.get("WARC-Record-ID")
    );
    assert!(
        conversion
            .get("Content-Type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        conversion.get("Content-Type")
    );
    assert_eq!(conversion.get("WARC-Arkiv-Render"), Some("settled"));
    let html = String::from_utf8(conversion.block.clone()).expect("UTF-8");
    for (slug, title) in COLLECTIONS {
        assert!(
            html.contains(&format!("samling/{slug}.html")),
            "{slug}: {html}"
        );
        assert!(html.contains(title), "{title}: {html}");
    }
    assert!(
        html.contains("Alle samlinger er vist."),
        "load-more fired: {html}"
    );
    // The page as sent is not what the browser showed.
    assert!(!String::from_utf8_lossy(&response.block).contains("Sølvtøj"));
    // A screenshot per rendered page, as a resource record.
    let shots = of_kind(
        &records,
        "resource",
        &format!("urn:arkiv:screenshot:{front}"),
    );
    let shot = shots.first().expect("the front page's screenshot");
    assert_eq!(shot.get("Content-Type"), Some("image/png"));
    assert!(shot.block.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(
        shot.get("WARC-Concurrent-To"),
        conversion.get("WARC-Record-ID")
    );
    // The independent `warc` crate reads them too, block digests checked.
    let theirs = warc_records(&crawl.warc_files());
    let read = theirs
        .iter()
        .find(|r| r.kind == "conversion" && r.target.as_deref() == Some(front.as_str()))
        .expect("the warc crate reads the conversion record");
    assert_eq!(read.block, conversion.block);
    assert!(theirs.iter().any(|r| r.kind == "resource"
        && r.target.as_deref() == Some(format!("urn:arkiv:screenshot:{front}").as_str())));
}

#[test]
fn the_index_points_at_the_original_page_not_its_rendering() {
    let Some(crawl) = crawled() else { return };
    let records = records(&crawl.out);
    let conversions: BTreeSet<(String, u64)> = records
        .iter()
        .filter(|r| r.kind == "conversion")
        .map(|r| (r.file.clone(), r.offset))
        .collect();
    assert!(conversions.len() >= 3, "{conversions:?}");
    let index = fs_err::read_to_string(crawl.out.join("indexes/index.cdxj")).expect("index");
    for line in index.lines() {
        let json: serde_json::Value =
            serde_json::from_str(line.splitn(3, ' ').nth(2).unwrap_or("{}")).expect("CDXJ json");
        let offset = json["offset"].as_str().and_then(|o| o.parse().ok());
        let at = (
            json["filename"].as_str().unwrap_or_default().to_owned(),
            offset.unwrap_or(u64::MAX),
        );
        assert!(
            !conversions.contains(&at),
            "a conversion record indexed: {line}"
        );
    }
    let front = crawl.url("");
    let front_lines: Vec<&str> = index
        .lines()
        .filter(|l| l.contains(&format!("\"url\": \"{front}\"")))
        .collect();
    assert_eq!(front_lines.len(), 1, "{index}");
    assert!(front_lines[0].contains("text/html"), "{}", front_lines[0]);
}

#[test]
fn a_page_that_never_settles_is_read_at_the_page_timeout() {
    let Some(crawl) = crawled() else { return };
    let records = records(&crawl.out);
    let news = crawl.url("nyheder/");
    assert_eq!(of_kind(&records, "response", &news).len(), 1);
    let conversions = of_kind(&records, "conversion", &news);
    let conversion = conversions.first().expect("the news page's rendering");
    assert_eq!(conversion.get("WARC-Arkiv-Render"), Some("timed-out"));
    let html = String::from_utf8_lossy(&conversion.block);
    // What arrived before the time was up is kept: the list from JSON.
    assert!(html.contains("<li>"), "{html}");
    assert!(
        crawl.stderr().contains("still busy after --page-timeout"),
        "{}",
        crawl.stderr()
    );
    // The second long-poll has the first one's payload: archived as a revisit, and the browser
    // was answered with the original's body all the same (a failed answer would be a 502, and
    // every refused request of a page is reported with -v).
    let second = crawl.url("api/opdateringer?n=1");
    assert_eq!(of_kind(&records, "revisit", &second).len(), 1);
    let stderr = crawl.stderr();
    assert!(
        !stderr.contains(&format!("request for {second} got 5")),
        "{stderr}"
    );
}

#[test]
fn warcio_reads_a_browser_crawl_cleanly() {
    let Some(crawl) = crawled() else { return };
    let Some(warcio) = warcio() else { return };
    for file in crawl.warc_files() {
        let check = Command::new(&warcio)
            .arg("check")
            .arg("-v")
            .arg(&file)
            .output()
            .expect("warcio");
        let report = String::from_utf8_lossy(&check.stdout).into_owned()
            + &String::from_utf8_lossy(&check.stderr);
        // Only warcio's known dispute over chunked payload digests (see tests/crawl.rs).
        let disputed = crate::crawl::chunked_payload_disputes(&file, &report);
        assert!(check.status.success() || disputed > 0, "{report}");
        let index = Command::new(&warcio)
            .arg("index")
            .arg(&file)
            .output()
            .expect("warcio index");
        assert!(index.status.success(), "warcio index {}", file.display());
    }
}

#[test]
fn the_mirror_shows_the_rendered_pages_offline_and_verify_passes() {
    let Some(crawl) = crawled() else { return };
    let host = format!(
        "{}+{}",
        crawl.site.host_str().expect("host"),
        crawl.site.port().expect("port")
    );
    let root = crawl.out.join("mirror").join(&host);
    let front = fs_err::read_to_string(root.join("index.html")).expect("mirror front page");
    for (slug, title) in COLLECTIONS {
        assert!(
            front.contains(&format!("href=\"samling/{slug}.html\"")),
            "{slug}: {front}"
        );
        assert!(
            front.contains(&format!("src=\"billeder/{slug}.svg\"")),
            "{slug}"
        );
        assert!(front.contains(title), "{title}");
    }
    // Its scripts are inert: run again from file:// they would build the list twice.
    assert!(
        front.contains(r#"<script type="text/x-arkiv-inert" src="js/samlinger.js""#),
        "{front}"
    );
    let manifest = fs_err::read_to_string(crawl.out.join("manifest.jsonl")).expect("manifest");
    let line = manifest
        .lines()
        .find(|l| l.contains(&format!("\"path\":\"{host}/index.html\"")))
        .expect("the front page's manifest line");
    assert!(line.contains("\"rendered\":{"), "{line}");
    // Opened from file:// in Chromium: nothing fails, nothing reaches the network.
    let pages: Vec<String> = [
        "index.html",
        "nyheder/index.html",
        "ramme.html",
        "samling/glas.html",
    ]
    .iter()
    .map(|p| {
        Url::from_file_path(root.join(p))
            .expect("file url")
            .to_string()
    })
    .collect();
    let report = check_pages(&pages);
    let checked = report["pages"].as_array().expect("pages");
    assert_eq!(checked.len(), pages.len());
    for page in checked {
        let failed = page["failed"].as_array().map_or(0, Vec::len);
        let external = page["external"].as_array().map_or(0, Vec::len);
        assert!(
            page["ok"] == true && failed == 0 && external == 0,
            "{}: failed {} external {} pending {}",
            page["url"],
            page["failed"],
            page["external"],
            page["pending"]
        );
        let scripts = page["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["type"] == "Script")
            .count();
        assert_eq!(scripts, 0, "{}: an inert script was loaded", page["url"]);
    }
    // verify, in full: the notice on every page, the rendered ones included.
    let verify = arkiv()
        .arg("verify")
        .arg(&crawl.out)
        .output()
        .expect("verify");
    assert!(
        verify.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn the_browser_options_are_saved_in_arkiv_toml() {
    let Some(crawl) = crawled() else { return };
    let toml = fs_err::read_to_string(crawl.out.join("arkiv.toml")).expect("arkiv.toml");
    for line in [
        "browser = true",
        &format!("chromium = \"{CHROMIUM}\""),
        "browser-tabs = 2",
        "page-timeout = 10.0",
        "screenshots = true",
    ] {
        assert!(toml.contains(line), "{line}:\n{toml}");
    }
}

#[test]
fn a_crawl_without_browser_renders_nothing_and_fetches_no_script_brought_url() {
    let crawl = crate::support::crawl("scripted", &[]);
    assert!(crawl.output.status.success(), "{}", crawl.stderr());
    let records = records(&crawl.out);
    assert!(
        !records
            .iter()
            .any(|r| r.kind == "conversion" || r.kind == "resource")
    );
    let log = fs_err::read_to_string(crawl.out.join("reports/crawl.log")).expect("log");
    for path in [
        "data/samlinger.json",
        "fonts/samling-sans.woff2",
        "samling/glas.html",
    ] {
        let url = crawl.url.join(path).expect("url").to_string();
        assert!(
            !log.contains(&url),
            "{url} fetched without a browser:\n{log}"
        );
    }
    assert!(!log.contains(" browser "), "{log}");
    let toml = fs_err::read_to_string(crawl.out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(toml.contains("browser = false"), "{toml}");
    // The mirror's front page is the page as sent: the list is empty, its script runs.
    let manifest = fs_err::read_to_string(crawl.out.join("manifest.jsonl")).expect("manifest");
    assert!(!manifest.contains("\"rendered\""), "{manifest}");
}

#[test]
fn without_chromium_a_browser_crawl_stops_before_writing_anything() {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .arg("crawl")
        .arg("http://127.0.0.1:9/")
        .arg("--out")
        .arg(&out)
        .args(["--browser", "--chromium"])
        .arg(dir.path().join("no-such-chromium"))
        .output()
        .expect("run arkiv");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no Chromium found"), "{stderr}");
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
    assert!(!out.exists(), "nothing may be written without a browser");
    // --screenshots belongs to a crawl in the browser.
    let output = arkiv()
        .arg("crawl")
        .arg("http://127.0.0.1:9/")
        .arg("--out")
        .arg(&out)
        .arg("--screenshots")
        .output()
        .expect("run arkiv");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("add --browser"));
}

#[test]
fn a_killed_browser_crawl_resumes_to_a_whole_archive() {
    if !chromium_available("the browser crawl resume test") {
        return;
    }
    let server = FixtureServer::start("scripted", ServeOptions::default()).expect("fixture");
    let site = server.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let _turn = chromium_turn();
    let mut child = arkiv()
        .arg("-q")
        .arg("crawl")
        .arg(site.as_str())
        .arg("--out")
        .arg(&out)
        .args(browser_args(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn arkiv");
    // Killed once the browser is at work: its first script-brought request is archived.
    let list = site.join("data/samlinger.json").expect("url").to_string();
    let started = Instant::now();
    loop {
        let log = fs_err::read_to_string(out.join("reports/crawl.log")).unwrap_or_default();
        if log.contains(&list) {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) || child.try_wait().ok().flatten().is_some()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = child.try_wait().ok().flatten().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(running, "the crawl ended before it could be killed mid-way");
    let resumed = arkiv()
        .arg("-q")
        .arg("crawl")
        .arg("--resume")
        .arg(&out)
        .output()
        .expect("resume");
    assert!(
        resumed.status.success(),
        "resume: {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let crawl = BrowserCrawl {
        site,
        out: out.clone(),
        output: resumed,
        _server: server,
        _dir: dir,
    };
    let records = records(&out);
    assert_script_brought_urls_archived(&crawl, &records);
    for page in ["", "nyheder/", "samling/glas.html"] {
        assert!(
            !of_kind(&records, "conversion", &crawl.url(page)).is_empty(),
            "{page} rendered"
        );
    }
    // No URL archived twice: what the first run archived was answered from the WARC.
    let mut seen = BTreeSet::new();
    for record in records.iter().filter(|r| r.kind == "response") {
        let uri = record.get("WARC-Target-URI").unwrap_or_default().to_owned();
        if !uri.contains("/api/") {
            assert!(seen.insert(uri.clone()), "{uri} archived twice");
        }
    }
    let verify = arkiv().arg("verify").arg(&out).output().expect("verify");
    assert!(
        verify.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // The profile of the browser killed with the first run is gone with it.
    let left: Vec<String> = fs_err::read_dir(out.join("state/tmp"))
        .expect("state/tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(arkiv::render::CHROMIUM_PROFILE_PREFIX))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The child processes of `pid` (every thread's children, as Linux lists them).
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    let Ok(tasks) = fs_err::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        let list = fs_err::read_to_string(task.path().join("children")).unwrap_or_default();
        children.extend(
            list.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    children
}

#[test]
fn a_browser_that_dies_mid_crawl_is_started_again() {
    if !chromium_available("the browser restart test") || !Path::new("/proc/self/task").exists() {
        return;
    }
    let server = FixtureServer::start("scripted", ServeOptions::default()).expect("fixture");
    let site = server.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let _turn = chromium_turn();
    let child = arkiv()
        .arg("crawl")
        .arg(site.as_str())
        .arg("--out")
        .arg(&out)
        .args(browser_args(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn arkiv");
    // Once the browser is at work, the Chromium this crawl started is killed.
    let list = site.join("data/samlinger.json").expect("url").to_string();
    let started = Instant::now();
    let mut killed = None;
    while killed.is_none() && started.elapsed() < Duration::from_secs(120) {
        let log = fs_err::read_to_string(out.join("reports/crawl.log")).unwrap_or_default();
        if log.contains(&list) {
            killed = children_of(child.id()).into_iter().find(|pid| {
                fs_err::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains("--remote-debugging-pipe"))
            });
            if let Some(pid) = killed {
                let status = Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status()
                    .expect("kill");
                assert!(status.success());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(killed.is_some(), "no Chromium of the crawl found to kill");
    let output = child.wait_with_output().expect("crawl ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Chromium was lost"), "{stderr}");
    let records = records(&out);
    for page in ["samling/glas.html", "samling/breve.html"] {
        let url = site.join(page).expect("url").to_string();
        assert!(
            !of_kind(&records, "conversion", &url).is_empty(),
            "{page} rendered by the new browser"
        );
    }
}

#[test]
fn a_browser_crawl_over_https_is_wire_exact_too() {
    if !chromium_available("the browser crawl over HTTPS") {
        return;
    }
    let pki = loopback_pki();
    let server = https_fixture("scripted", &pki);
    let ca_dir = tempfile::tempdir().expect("temp");
    let ca = ca_dir.path().join("ca.pem");
    fs_err::write(&ca, &pki.ca_pem).expect("CA file");
    let crawl = crawl_in_browser(
        server,
        &["--ca-cert".to_owned(), ca.to_string_lossy().into_owned()],
    );
    assert!(crawl.output.status.success(), "{}", crawl.stderr());
    assert_eq!(crawl.site.scheme(), "https");
    let records = records(&crawl.out);
    assert_script_brought_urls_archived(&crawl, &records);
    let list = of_kind(&records, "response", &crawl.url("data/samlinger.json"));
    let text = String::from_utf8_lossy(&list.first().expect("response").block).into_owned();
    assert!(text.contains("\r\nX-Samling-Udgave: 2024-09\r\n"), "{text}");
    assert!(
        text.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{text}"
    );
    let conversions = of_kind(&records, "conversion", &crawl.url(""));
    let html = String::from_utf8_lossy(&conversions.first().expect("rendering").block).into_owned();
    assert!(html.contains("Sølvtøj fra Østjylland"), "{html}");
    // The proxy's own certificate is the browser's business: no record holds it.
    assert!(
        !records
            .iter()
            .any(|r| String::from_utf8_lossy(&r.block).contains("recording proxy"))
    );
}

/// warcio, from PATH or the virtualenv `.ci/run` makes; `None` (the test skips) only outside CI.
fn warcio() -> Option<PathBuf> {
    let on_path = Command::new("warcio").arg("--version").output().is_ok();
    if on_path {
        return Some(PathBuf::from("warcio"));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/warcio");
    if venv.is_file() {
        return Some(venv);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "warcio must be installed in CI (.ci/run installs it)"
    );
    eprintln!("warcio not installed: skipped (CI installs it)");
    None
}

/// `tests/browser/check_pages.py` over `pages`: its JSON report.
fn check_pages(pages: &[String]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_pages.py");
    let output = {
        let _turn = chromium_turn();
        Command::new("python3")
            .arg(script)
            .args(pages)
            .args(["--timeout", "30", "--idle-ms", "300", "--jobs", "2"])
            .output()
            .expect("run check_pages.py")
    };
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON from check_pages.py ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
