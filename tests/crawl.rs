//! Integration tests: `arkiv crawl` on the fixture sites, read back with the `warc` crate.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use arkiv::warc::digest::sha1_digest;

use crate::support::{self, Crawled, WarcRec, crawled};

/// Every record of the crawl's WARC files, read with the independent `warc` crate.
fn records(crawl: &Crawled) -> Vec<WarcRec> {
    support::warc_records(&crawl.warc_files())
}

/// The HTTP entity body of a response block: head skipped, chunked framing removed, content
/// encoding kept (what WARC-Payload-Digest is computed over). Written here independently.
fn payload_of(block: &[u8]) -> Vec<u8> {
    let end = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .expect("head end");
    let head = String::from_utf8_lossy(&block[..end]).to_ascii_lowercase();
    let body = &block[end..];
    if !head.contains("transfer-encoding: chunked") {
        return body.to_vec();
    }
    let mut out = Vec::new();
    let mut reader = BufReader::new(body);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("line") == 0 {
            break;
        }
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let mut chunk = vec![0; size];
        reader.read_exact(&mut chunk).expect("chunk");
        out.extend(chunk);
        let mut crlf = String::new();
        reader.read_line(&mut crlf).expect("crlf");
    }
    out
}

fn status_of(block: &[u8]) -> u16 {
    let line = block.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn check_warc_structure(crawl: &Crawled) {
    let records = records(crawl);
    assert!(!records.is_empty());
    let mut warcinfo_of_file: HashMap<usize, String> = HashMap::new();
    let ids: HashMap<&str, &WarcRec> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    for rec in &records {
        if rec.first_in_file {
            assert_eq!(rec.kind, "warcinfo", "each file starts with warcinfo");
            warcinfo_of_file.insert(rec.file_index, rec.id.clone());
            let info = String::from_utf8_lossy(&rec.block);
            assert!(info.contains("software: arkiv/"), "{info}");
            assert!(info.contains("robots: obey"), "{info}");
            continue;
        }
        assert_eq!(
            rec.warcinfo_id.as_ref(),
            warcinfo_of_file.get(&rec.file_index),
            "WARC-Warcinfo-ID"
        );
        match rec.kind.as_str() {
            "response" => {
                let request = rec
                    .concurrent_to
                    .as_deref()
                    .and_then(|id| ids.get(id))
                    .expect("response has its request");
                assert_eq!(request.kind, "request");
                assert_eq!(request.target, rec.target);
                assert!(request.block.starts_with(b"GET "));
                assert_eq!(
                    rec.payload_digest.as_deref(),
                    Some(sha1_digest(&payload_of(&rec.block)).as_str()),
                    "payload digest of {:?}",
                    rec.target
                );
            }
            "revisit" => assert!(rec.payload_digest.is_some()),
            "request" | "metadata" => {}
            other => panic!("unexpected record type {other}"),
        }
    }
}

/// Responses by target URL: (status, block).
fn responses(crawl: &Crawled) -> Vec<(String, u16, Vec<u8>, String)> {
    records(crawl)
        .into_iter()
        .filter(|r| r.kind == "response" || r.kind == "revisit")
        .map(|r| {
            let status = status_of(&r.block);
            (r.target.unwrap_or_default(), status, r.block, r.kind)
        })
        .collect()
}

#[test]
fn collective_impact_warc_is_whole_and_well_formed() {
    let crawl = crawled("collective-impact");
    assert!(
        crawl.output.status.success(),
        "stderr: {}\nstdout: {}",
        crawl.stderr(),
        crawl.stdout()
    );
    check_warc_structure(crawl);
    let cdxj = fs_err::read_to_string(crawl.out.join("indexes/index.cdxj")).expect("cdxj");
    let lines: Vec<&str> = cdxj.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "CDXJ sorted bytewise");
    // pywb's SURT keeps an IP address as written, reversed, with its port.
    let home = format!("1,0,0,127:{})/ ", crawl.url.port().expect("port"));
    assert!(lines.iter().any(|l| l.starts_with(&home)), "{cdxj}");
    let toml = fs_err::read_to_string(crawl.out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(toml.contains("realdania.dk/collective-impact"), "{toml}");
    let summary: serde_json::Value = serde_json::from_slice(
        &fs_err::read(crawl.out.join("reports/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(
        summary["failures"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
}

#[test]
fn every_linked_fixture_file_is_archived_once_as_a_200() {
    let crawl = crawled("collective-impact");
    let responses = responses(crawl);
    let mut count: HashMap<String, usize> = HashMap::new();
    for (url, status, _, _) in &responses {
        if *status == 200 {
            *count.entry(url.clone()).or_default() += 1;
        }
    }
    // Files no page links to, or that robots.txt keeps out, are not expected.
    let unlinked: HashSet<&str> = [
        "/404.html",
        "/eksempler/side-2.html",
        "/intern/index.html",
        "/assets/fonts/LICENSE-DejaVu.txt",
    ]
    .into();
    let files = arkiv::fixture::site_files("collective-impact").expect("site files");
    let mut checked = 0;
    for file in files {
        if unlinked.contains(file.path) {
            continue;
        }
        let path = file.path.strip_suffix("index.html").unwrap_or(file.path);
        let path = path.trim_start_matches('/');
        let url = crawl.url.join(path).expect("url").to_string();
        assert_eq!(
            count.get(&url),
            Some(&1),
            "{url} archived once as 200 (all: {count:?})"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} files checked");
    let side2 = crawl
        .url
        .join("eksempler/?side=2")
        .expect("url")
        .to_string();
    assert_eq!(
        count.get(&side2),
        Some(&1),
        "the page reached only by its query string"
    );
}

#[test]
fn redirects_are_their_own_records_and_are_followed() {
    let crawl = crawled("collective-impact");
    let responses = responses(crawl);
    let status_of_url = |path: &str| {
        let url = crawl.url.join(path).expect("url").to_string();
        responses
            .iter()
            .find(|(u, ..)| *u == url)
            .map(|(_, s, ..)| *s)
    };
    assert_eq!(status_of_url("om.aspx"), Some(301));
    assert_eq!(status_of_url("principper"), Some(301));
    assert_eq!(status_of_url("om-collective-impact/"), Some(200));
    assert_eq!(
        status_of_url("nyheder/"),
        Some(404),
        "the broken link is archived as the 404 it is"
    );
}

#[test]
fn robots_txt_is_archived_and_obeyed() {
    let crawl = crawled("collective-impact");
    assert_eq!(
        crawl.server.hits("/intern/"),
        0,
        "robots.txt disallows /intern/"
    );
    assert_eq!(
        crawl.outcome("intern/").as_deref(),
        Some("excluded-by-robots")
    );
    assert_eq!(crawl.outcome("robots.txt").as_deref(), Some("archived"));
    assert_eq!(crawl.outcome("sitemap.xml").as_deref(), Some("archived"));
}

#[test]
fn outbound_links_are_recorded_never_followed() {
    let crawl = crawled("collective-impact");
    let log = crawl.log();
    let line = log
        .iter()
        .find(|f| f[4] == "https://realdania.dk/collective-impact")
        .expect("logged");
    assert_eq!(line.last().map(String::as_str), Some("out-of-scope"));
    assert!(
        log.iter()
            .any(|f| f[4].starts_with("https://collectiveimpactforum.org"))
    );
}

#[test]
fn nothing_is_written_outside_the_output_folder() {
    let crawl = crawled("collective-impact");
    let entries: Vec<_> = fs_err::read_dir(&crawl.parent)
        .expect("parent")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("out")]);
    let tmp = support::files_below(&crawl.out.join("state/tmp"));
    assert!(tmp.is_empty(), "spool files left behind: {tmp:?}");
}

#[test]
fn edge_cases_crawl_ends_and_traps_stop() {
    let crawl = crawled("edge-cases");
    let code = crawl.output.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "exit {code:?}: {}",
        crawl.stderr()
    );
    check_warc_structure(crawl);
    let calendar = crawl
        .server
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/kalender/"))
        .count();
    assert!(
        (5..=arkiv::crawl::config::DEFAULT_TRAP_AFTER as usize + 5).contains(&calendar),
        "calendar pages fetched: {calendar}"
    );
    let session = crawl
        .server
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/session"))
        .count();
    assert!(session <= 10, "session-id pages fetched: {session}");
    assert!(
        crawl.server.hits("/loop/a") <= 1 && crawl.server.hits("/loop/b") <= 1,
        "redirect loop fetched once each"
    );
    let log = crawl.log();
    assert!(
        log.iter()
            .any(|f| f.last().map(String::as_str) == Some("too-many-redirects")),
        "chain longer than 10 stops"
    );
    assert!(
        log.iter()
            .any(|f| f.last().map(String::as_str) == Some("trap-no-new-content"))
    );
}

#[test]
fn edge_cases_fault_routes_end_with_their_documented_outcome() {
    let crawl = crawled("edge-cases");
    let expect = crate::support::FAULT_OUTCOMES;
    let mut wrong = Vec::new();
    for (path, outcome) in expect {
        let got = crawl.outcome(path);
        // Several fault routes serve the same page: later ones are archived as revisits.
        let same = got.as_deref() == Some(outcome)
            || (outcome == "archived" && got.as_deref() == Some("revisit"));
        if !same {
            wrong.push(format!("{path}: expected {outcome}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(
        crawl.server.hits("/fejl/for-mange"),
        3,
        "two 429s, then the page"
    );
}

#[test]
fn response_record_holds_the_exact_bytes_sent() {
    let crawl = crawled("edge-cases");
    // The route /fejl/raa sends this file byte for byte (see the site's routing file).
    let raw = arkiv::fixture::site_file("edge-cases", "raw/mixed-headers.http")
        .expect("the raw response file");
    let url = crawl.url.join("fejl/raa").expect("url").to_string();
    let rec = records(crawl)
        .into_iter()
        .find(|r| r.kind == "response" && r.target.as_deref() == Some(&url))
        .expect("record");
    assert_eq!(
        rec.block, raw,
        "response block equals the bytes on the wire"
    );
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    assert!(String::from_utf8_lossy(&raw[..end]).contains("Set-Cookie"));
    let payload = payload_of(raw);
    assert_eq!(
        &payload[..2],
        &[0x1f, 0x8b],
        "payload keeps its gzip encoding"
    );
    assert_eq!(
        rec.payload_digest.as_deref(),
        Some(sha1_digest(&payload).as_str())
    );
}

#[test]
fn warcio_accepts_every_file() {
    let Ok(version) = std::process::Command::new("warcio")
        .arg("--version")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "warcio must be installed in CI (.ci/run installs it)"
        );
        eprintln!("warcio not installed: skipped (CI installs it)");
        return;
    };
    assert!(version.status.success());
    for site in ["collective-impact", "edge-cases"] {
        let crawl = crawled(site);
        for file in crawl.warc_files() {
            let check = std::process::Command::new("warcio")
                .arg("check")
                .arg("-v")
                .arg(&file)
                .output()
                .expect("warcio");
            let out = String::from_utf8_lossy(&check.stdout).into_owned()
                + &String::from_utf8_lossy(&check.stderr);
            let disputed = chunked_payload_disputes(&file, &out);
            assert!(
                check.status.success() || disputed > 0,
                "warcio check {}: {out}",
                file.display()
            );
            let index = std::process::Command::new("warcio")
                .arg("index")
                .arg(&file)
                .output()
                .expect("warcio");
            assert!(index.status.success(), "warcio index {}", file.display());
        }
    }
}

/// warcio computes `WARC-Payload-Digest` over a chunked body with its chunk framing still in
/// (webrecorder/warcio#74, #75, open): the WARC standard's payload is the entity body with the
/// transfer encoding removed (iipc/warc-specifications#22), which is what arkiv writes and what
/// `response_record_holds_the_exact_bytes_sent` checks. So the only failures warcio may report
/// are payload digests of chunked responses; any other finding fails the test. Returns how many
/// such disputed records there were.
pub(crate) fn chunked_payload_disputes(file: &std::path::Path, report: &str) -> usize {
    let mut disputed = 0;
    let mut offset: Option<u64> = None;
    for line in report.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("offset ") {
            offset = rest.split_whitespace().next().and_then(|o| o.parse().ok());
            continue;
        }
        // "digest present but not checked (revisit)" is warcio saying a revisit has no payload.
        let problem = line.contains("failed") || line.contains("error");
        if !problem {
            continue;
        }
        assert!(
            line.starts_with("payload digest failed"),
            "warcio: {line}\n{report}"
        );
        let at = offset.expect("warcio names the record's offset");
        let (headers, block) = arkiv::warc::reader::read_record_at(file, at).expect("record");
        let head_end = block
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("http head")
            + 4;
        let head = String::from_utf8_lossy(&block[..head_end]).to_ascii_lowercase();
        assert!(
            head.contains("transfer-encoding: chunked"),
            "warcio disputes a non-chunked record at {at}: {line}"
        );
        assert_eq!(
            headers.get("WARC-Payload-Digest"),
            Some(sha1_digest(&payload_of(&block)).as_str()),
            "our digest is over the de-chunked body"
        );
        disputed += 1;
    }
    disputed
}

/// A seed that redirects to another site (http → https, a bare domain → www) takes the crawl's
/// scope along: the target site is crawled, not declined as out of scope.
#[test]
fn a_seed_that_redirects_to_another_site_brings_that_site_into_scope() {
    use std::io::{Read as _, Write as _};
    let site = arkiv::fixture::FixtureServer::start("collective-impact", Default::default())
        .expect("server");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let old = format!("http://{}/", listener.local_addr().expect("addr"));
    let target = site.url().to_string();
    let redirector = std::thread::spawn(move || {
        // Answers robots.txt with a 404 and everything else with a 301 to the fixture site.
        for stream in listener.incoming().take(2) {
            let mut stream = stream.expect("conn");
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let answer = if request.starts_with("GET /robots.txt") {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string()
            } else {
                format!(
                    "HTTP/1.1 301 Moved Permanently\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let run = support::arkiv()
        .args(["-q", "crawl", &old, "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    redirector.join().expect("redirector");
    let index = fs_err::read_to_string(out.join("indexes/index.cdxj")).expect("cdxj");
    let about = site
        .url()
        .join("om-collective-impact/")
        .expect("url")
        .to_string();
    assert!(index.contains(&format!("\"url\": \"{about}\"")), "{index}");
    assert!(out.join("mirror").is_dir());
}

/// The index the WARC writer makes as it writes (no second read of the WARC) is the index that
/// reading the files back makes, line for line: one rule for both.
#[test]
fn the_index_made_while_writing_equals_the_one_read_back() {
    for site in ["collective-impact", "edge-cases"] {
        let crawl = crawled(site);
        let mut read_back: Vec<String> = crawl
            .warc_files()
            .iter()
            .flat_map(|file| arkiv::warc::index_warc(file).expect("indexes"))
            .map(|entry| entry.to_line())
            .collect();
        read_back.sort();
        read_back.dedup();
        let written = fs_err::read_to_string(crawl.out.join("indexes/index.cdxj")).expect("cdxj");
        let written: Vec<&str> = written.lines().collect();
        assert_eq!(written, read_back, "{site}");
        assert!(
            !crawl.out.join("state/index-lines.cdxj").exists(),
            "the writer's unsorted lines are gone once the index is made"
        );
    }
}
