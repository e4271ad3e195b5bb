//! Integration tests: verify.
//!
//! Each test builds a small pristine archive by hand (WARC records gzipped member by member with
//! flate2, a mirror, manifest, CDXJ and arkiv.toml), breaks one thing, and expects the finding.

use std::io::Write;
use std::path::Path;

use arkiv::exit::Exit;
use arkiv::verify::{Check, Format, Mode, Severity, VerifyOptions, VerifyReport, render, verify};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha1::{Digest, Sha1};

const ORIGIN: &str = "http://127.0.0.1:8080";
const HOST_DIR: &str = "127.0.0.1+8080";
const WARC: &str = "arkiv-20261127034012-00000.warc.gz";
const NOTICE_TEXT: &str = "This site is frozen. Its successor lives at successor.example.";
const NOTICE_LINK: &str = "https://successor.example/?from=archive&x=1";

fn sha1_label(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

fn chunk(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in bytes.chunks(size) {
        out.extend(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend(piece);
        out.extend(b"\r\n");
    }
    out.extend(b"0\r\n\r\n");
    out
}

fn notice_html() -> String {
    format!(
        "<p class=\"notice\">This site is <b>frozen</b>.\n  Its successor lives at successor.example.\n\
         <a href=\"{}\">Go there</a></p>",
        NOTICE_LINK.replace('&', "&amp;")
    )
}

/// One archived URL: its decoded payload, how it travelled, and its mirror copy.
struct Page {
    path: &'static str,
    mime: &'static str,
    body: Vec<u8>,
    gzip: bool,
    chunked: bool,
    mirror: Vec<u8>,
}

impl Page {
    fn url(&self) -> String {
        format!("{ORIGIN}/{}", self.path)
    }
}

/// Changes a record's uncompressed bytes.
type Corruption = fn(&mut Vec<u8>);

/// A whole archive, described before it is written so a test can change any part of it.
struct Fixture {
    pages: Vec<Page>,
    /// Applied to the uncompressed bytes of record `n` (after its digests were computed).
    corrupt_record: Option<(usize, Corruption)>,
}

fn index_html() -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>Home</title>\n\
         <link rel=\"stylesheet\" href=\"style.css\"></head>\n<body>\n{}\n\
         <a href=\"about.html#team\">About the team</a>\n\
         <img src=\"img.png\" srcset=\"img.png 1x, img.png 2x\" alt=\"\">\n\
         <a href=\"https://example.org/elsewhere\">Elsewhere</a>\n\
         <a href=\"missing.html\">Never archived</a>\n</body></html>\n",
        notice_html()
    )
}

fn about_html() -> String {
    format!(
        "<!DOCTYPE html>\n<html><body>\n<h1 id=\"team\">Team</h1>\n{}\n\
         <a href=\"index.html\">Home</a>\n</body></html>\n",
        notice_html()
    )
}

impl Fixture {
    fn pristine() -> Self {
        let index = index_html();
        let original_index = index
            .replace(
                "href=\"style.css\"",
                &format!("href=\"{ORIGIN}/style.css\""),
            )
            .replace("href=\"missing.html\"", "href=\"/missing.html\"");
        Fixture {
            pages: vec![
                Page {
                    path: "",
                    mime: "text/html; charset=utf-8",
                    body: original_index.into_bytes(),
                    gzip: false,
                    chunked: false,
                    mirror: index.into_bytes(),
                },
                Page {
                    path: "about.html",
                    mime: "text/html",
                    body: about_html().into_bytes(),
                    gzip: true,
                    chunked: true,
                    mirror: about_html().into_bytes(),
                },
                Page {
                    path: "style.css",
                    mime: "text/css",
                    body: b"body { background: url(\"img.png\") }\n".to_vec(),
                    gzip: false,
                    chunked: true,
                    mirror: b"body { background: url(\"img.png\") }\n".to_vec(),
                },
                Page {
                    path: "img.png",
                    mime: "image/png",
                    body: vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255, 254],
                    gzip: false,
                    chunked: false,
                    mirror: vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255, 254],
                },
            ],
            corrupt_record: None,
        }
    }

    fn page_mut(&mut self, path: &str) -> &mut Page {
        self.pages
            .iter_mut()
            .find(|p| p.path == path)
            .expect("fixture page")
    }

    /// Writes the archive into `out` (which must exist).
    fn write(&self, out: &Path) {
        let mut records: Vec<Vec<u8>> = vec![warc_record(
            &[
                ("WARC-Type", "warcinfo"),
                (
                    "WARC-Record-ID",
                    "<urn:uuid:00000000-0000-0000-0000-000000000000>",
                ),
                ("Content-Type", "application/warc-fields"),
            ],
            b"software: hand-written test fixture\r\n",
            None,
        )];
        // (record index, url, payload digest, mime, manifest extras)
        let mut responses = Vec::new();
        for (n, page) in self.pages.iter().enumerate() {
            let url = page.url();
            let request_id = format!("<urn:uuid:00000000-0000-0000-0001-{n:012}>");
            let response_id = format!("<urn:uuid:00000000-0000-0000-0002-{n:012}>");
            let entity = if page.gzip {
                gzip(&page.body)
            } else {
                page.body.clone()
            };
            let wire = if page.chunked {
                chunk(&entity, 16)
            } else {
                entity.clone()
            };
            let mut head = format!("HTTP/1.1 200 OK\r\nContent-Type: {}\r\n", page.mime);
            if page.gzip {
                head.push_str("Content-Encoding: gzip\r\n");
            }
            if page.chunked {
                head.push_str("Transfer-Encoding: chunked\r\n");
            } else {
                head.push_str(&format!("Content-Length: {}\r\n", wire.len()));
            }
            head.push_str("\r\n");
            let mut block = head.into_bytes();
            block.extend(&wire);
            let payload_digest = sha1_label(&entity);
            records.push(warc_record(
                &[
                    ("WARC-Type", "request"),
                    ("WARC-Record-ID", &request_id),
                    ("WARC-Target-URI", &url),
                    ("WARC-Concurrent-To", &response_id),
                    ("Content-Type", "application/http; msgtype=request"),
                ],
                format!(
                    "GET /{} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
                    page.path
                )
                .as_bytes(),
                None,
            ));
            responses.push((records.len(), url.clone(), payload_digest.clone()));
            records.push(warc_record(
                &[
                    ("WARC-Type", "response"),
                    ("WARC-Record-ID", &response_id),
                    ("WARC-Target-URI", &url),
                    ("Content-Type", "application/http; msgtype=response"),
                ],
                &block,
                Some(&payload_digest),
            ));
        }
        if let Some((n, corrupt)) = self.corrupt_record {
            corrupt(&mut records[n]);
        }
        let mut warc = Vec::new();
        let mut spans = Vec::new();
        for record in &records {
            let member = gzip(record);
            spans.push((warc.len(), member.len()));
            warc.extend(member);
        }
        let mkdir = |p: &Path| fs_err::create_dir_all(p).expect("mkdir");
        for dir in ["warc", "indexes", "reports", "mirror"] {
            mkdir(&out.join(dir));
        }
        mkdir(&out.join("mirror").join(HOST_DIR));
        fs_err::write(out.join("warc").join(WARC), &warc).expect("write warc");

        let mut cdxj = Vec::new();
        let mut manifest = Vec::new();
        for (page, (n, url, digest)) in self.pages.iter().zip(&responses) {
            let surt = format!("127,0,0,1:8080)/{}", page.path);
            let (offset, length) = spans[*n];
            cdxj.push(format!(
                "{surt} 20261127034012 {}",
                serde_json::json!({"url": url, "mime": page.mime.split(';').next(),
                    "status": "200", "digest": digest, "length": length.to_string(),
                    "offset": offset.to_string(), "filename": WARC})
            ));
            let file = if page.path.is_empty() {
                "index.html"
            } else {
                page.path
            };
            let path = format!("{HOST_DIR}/{file}");
            fs_err::write(out.join("mirror").join(&path), &page.mirror).expect("write page");
            manifest.push(
                serde_json::json!({"path": path, "url": url, "kind": "archived",
                "warc": WARC, "offset": offset, "status": 200, "mime": page.mime,
                "payload_digest": digest, "sha1": sha1_label(&page.mirror),
                "rewritten": page.mirror != page.body}),
            );
        }
        let stub = format!(
            "<!DOCTYPE html><p>Not archived (robots.txt): \
             <a class=\"arkiv-original\" href=\"{ORIGIN}/missing.html\">{ORIGIN}/missing.html</a></p>\n"
        );
        let landing = format!(
            "<!DOCTYPE html><h1>arkiv</h1><a href=\"{HOST_DIR}/index.html\">{ORIGIN}/</a>\n"
        );
        for (path, url, kind, body) in [
            (
                format!("{HOST_DIR}/missing.html"),
                Some(format!("{ORIGIN}/missing.html")),
                "not-archived",
                stub,
            ),
            ("index.html".to_string(), None, "landing", landing),
        ] {
            fs_err::write(out.join("mirror").join(&path), &body).expect("write stub");
            manifest.push(serde_json::json!({"path": path, "url": url, "kind": kind,
                "warc": null, "offset": null, "status": null,
                "mime": "text/html", "payload_digest": null,
                "sha1": sha1_label(body.as_bytes()), "rewritten": false}));
        }
        cdxj.sort();
        fs_err::write(out.join("indexes/index.cdxj"), cdxj.join("\n") + "\n").expect("cdxj");
        let manifest: Vec<String> = manifest.iter().map(|v| v.to_string()).collect();
        fs_err::write(out.join("manifest.jsonl"), manifest.join("\n") + "\n").expect("manifest");
        let toml = format!(
            "[crawl]\nseeds = [\"{ORIGIN}/\"]\nscope = \"origin\"\n\n[notice]\ntext = \"{NOTICE_TEXT}\"\n\
             link = \"{NOTICE_LINK}\"\nexempt = []\n"
        );
        fs_err::write(out.join("arkiv.toml"), toml).expect("arkiv.toml");
    }
}

/// One WARC record, uncompressed, with Content-Length and digests filled in.
fn warc_record(headers: &[(&str, &str)], block: &[u8], payload_digest: Option<&str>) -> Vec<u8> {
    let mut out = String::from("WARC/1.1\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("WARC-Date: 2026-11-27T03:40:12Z\r\n");
    out.push_str(&format!("WARC-Block-Digest: {}\r\n", sha1_label(block)));
    if let Some(digest) = payload_digest {
        out.push_str(&format!("WARC-Payload-Digest: {digest}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    let mut bytes = out.into_bytes();
    bytes.extend(block);
    bytes.extend(b"\r\n\r\n");
    bytes
}

fn build(fixture: &Fixture) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture.write(dir.path());
    dir
}

fn run(out: &Path) -> VerifyReport {
    verify(&VerifyOptions::new(out, Mode::Full)).expect("verify runs")
}

/// The messages of one check's error findings, with their file.
fn errors(report: &VerifyReport, check: Check) -> Vec<String> {
    report
        .findings_of(check)
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.file.as_deref().unwrap_or("-"), f.message))
        .collect()
}

fn assert_finding(report: &VerifyReport, check: Check, needle: &str) {
    let found = errors(report, check);
    assert!(
        found.iter().any(|m| m.contains(needle)),
        "no {check:?} error containing {needle:?}; findings: {:#?}",
        report.findings
    );
    assert_eq!(report.exit(), Exit::Findings);
}

fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[OUT]")
}

#[test]
fn pristine_archive_holds() {
    let dir = build(&Fixture::pristine());
    let report = run(dir.path());
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.exit(), Exit::Ok);
    assert_eq!(report.counts.warc_records, 9);
    assert_eq!(report.counts.cdxj_lines, 4);
    assert!(
        report
            .external_links
            .contains("https://example.org/elsewhere")
    );
    // Reports are written into <out>/reports/.
    let json = fs_err::read_to_string(dir.path().join("reports/verify.json")).expect("json");
    assert!(json.contains("\"schema\": \"arkiv-verify/1\""));
    let junit = fs_err::read_to_string(dir.path().join("reports/junit.xml")).expect("junit");
    assert!(junit.contains("<testsuite name=\"warc\""));
    insta::assert_snapshot!(
        "pristine_human",
        redact(&render(&report, Format::Human), dir.path())
    );
}

#[test]
fn deleted_mirror_file() {
    let dir = build(&Fixture::pristine());
    fs_err::remove_file(dir.path().join("mirror").join(HOST_DIR).join("img.png")).expect("rm");
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Consistency,
        "mirror/127.0.0.1+8080/img.png does not exist",
    );
    assert_finding(&report, Check::Links, "broken link: `img.png`");
}

#[test]
fn flipped_byte_inside_a_warc_record() {
    let mut fixture = Fixture::pristine();
    // Record 2 is the response for `/`; flip a byte of its HTML, digests unchanged.
    fixture.corrupt_record = Some((2, |bytes| {
        let at = bytes.len() - 10;
        bytes[at] ^= 0x20;
    }));
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(&report, Check::Warc, "block digest mismatch");
    assert_finding(&report, Check::Warc, "payload digest mismatch");
}

#[test]
fn flipped_byte_in_the_compressed_stream() {
    let dir = build(&Fixture::pristine());
    let path = dir.path().join("warc").join(WARC);
    let mut bytes = fs_err::read(&path).expect("read");
    let first_member = bytes.len() / 3;
    bytes[first_member] ^= 0xff;
    fs_err::write(&path, &bytes).expect("write");
    let report = run(dir.path());
    assert_finding(&report, Check::Warc, "record at offset");
}

#[test]
fn truncated_warc() {
    let dir = build(&Fixture::pristine());
    let path = dir.path().join("warc").join(WARC);
    let bytes = fs_err::read(&path).expect("read");
    fs_err::write(&path, &bytes[..bytes.len() - 30]).expect("truncate");
    let report = run(dir.path());
    assert_finding(&report, Check::Warc, "truncated record at offset");
    let finding = report
        .findings_of(Check::Warc)
        .find(|f| f.message.contains("truncated"))
        .expect("truncation finding");
    assert_eq!(finding.file.as_deref(), Some(&*format!("warc/{WARC}")));
}

#[test]
fn removed_notice_in_the_mirror() {
    let mut fixture = Fixture::pristine();
    let page = fixture.page_mut("");
    page.mirror = String::from_utf8_lossy(&page.mirror)
        .replace(&notice_html(), "")
        .into_bytes();
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Notice,
        "mirror/127.0.0.1+8080/index.html: the mirror page lacks the notice (text and link)",
    );
    assert_eq!(
        errors(&report, Check::Notice).len(),
        1,
        "{:#?}",
        report.findings
    );
}

#[test]
fn changed_notice_href_in_warc_and_mirror() {
    let mut fixture = Fixture::pristine();
    let page = fixture.page_mut("about.html");
    let changed = about_html().replace("successor.example/?", "successor.example/other?");
    page.body = changed.clone().into_bytes();
    page.mirror = changed.into_bytes();
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(&report, Check::Notice, "the WARC payload has no <a href=");
    assert_finding(
        &report,
        Check::Notice,
        "mirror/127.0.0.1+8080/about.html: the mirror page has no <a href=",
    );
}

#[test]
fn link_left_pointing_at_the_crawled_host() {
    let mut fixture = Fixture::pristine();
    let page = fixture.page_mut("");
    page.mirror = index_html()
        .replace(
            "href=\"about.html#team\"",
            &format!("href=\"{ORIGIN}/about.html\""),
        )
        .into_bytes();
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Links,
        "not rewritten: `http://127.0.0.1:8080/about.html`",
    );
    let finding = report.findings_of(Check::Links).next().expect("finding");
    assert_eq!(finding.line, Some(8));
}

#[test]
fn missing_manifest_line() {
    let dir = build(&Fixture::pristine());
    let path = dir.path().join("manifest.jsonl");
    let text = fs_err::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("style.css")).collect();
    fs_err::write(&path, kept.join("\n")).expect("write");
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Consistency,
        "mirror/127.0.0.1+8080/style.css: mirror file has no manifest line",
    );
    assert_finding(
        &report,
        Check::Consistency,
        "archived 200 response has no mirror file",
    );
}

#[test]
fn broken_srcset_entry() {
    let mut fixture = Fixture::pristine();
    fixture.page_mut("").mirror = index_html()
        .replace("img.png 2x", "img-2x.png 2x")
        .into_bytes();
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(&report, Check::Links, "broken link: `img-2x.png`");
    assert_eq!(
        errors(&report, Check::Links).len(),
        1,
        "{:#?}",
        report.findings
    );
}

#[test]
fn css_url_to_nowhere() {
    let mut fixture = Fixture::pristine();
    fixture.page_mut("style.css").mirror = b"body {\n  background: url(gone.png)\n}\n".to_vec();
    let dir = build(&fixture);
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Links,
        "mirror/127.0.0.1+8080/style.css: broken link: `gone.png`",
    );
    let finding = report.findings_of(Check::Links).next().expect("finding");
    assert_eq!(finding.line, Some(2));
    insta::assert_snapshot!(
        "css_url_json",
        redact(&render(&report, Format::Json), dir.path())
    );
}

#[test]
fn not_rewritten_false_claim_is_found() {
    let dir = build(&Fixture::pristine());
    let path = dir.path().join("manifest.jsonl");
    // Claim the rewritten home page equals its payload, and give the matching sha1 so only the
    // payload comparison can notice.
    let text = fs_err::read_to_string(&path).expect("read");
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            if l.contains("\"path\":\"127.0.0.1+8080/index.html\"") {
                l.replace("\"rewritten\":true", "\"rewritten\":false")
            } else {
                l.to_string()
            }
        })
        .collect();
    fs_err::write(&path, changed.join("\n")).expect("write");
    let report = run(dir.path());
    assert_finding(
        &report,
        Check::Consistency,
        "differs from the record's decoded payload",
    );
}

#[test]
fn mirror_only_on_a_plain_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs_err::create_dir_all(root.join("docs")).expect("mkdir");
    fs_err::write(
        root.join("index.html"),
        "<html><body>\n<a href=\"docs/\">Docs</a>\n<a href=\"docs/page.html#intro\">Intro</a>\n\
         <a href=\"gone.html\">Gone</a>\n<a href=\"https://example.com/\">Out</a>\n</body></html>\n",
    )
    .expect("write");
    fs_err::write(
        root.join("docs/index.html"),
        "<h1 id=\"top\">Docs</h1><a href=\"../index.html\">up</a>",
    )
    .expect("write");
    fs_err::write(
        root.join("docs/page.html"),
        "<h1 id=\"other\">Page</h1><a href=\"/index.html#x\">home</a>",
    )
    .expect("write");
    let mut options = VerifyOptions::new(root, Mode::MirrorOnly);
    let report = verify(&options).expect("verify runs");
    assert_finding(
        &report,
        Check::Links,
        "index.html: broken link: `gone.html`",
    );
    let warnings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| {
            (
                f.file.clone().unwrap_or_default(),
                f.line,
                f.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "docs/page.html".to_string(),
                Some(1),
                "missing fragment: `#x` is not in index.html".to_string()
            ),
            (
                "index.html".to_string(),
                Some(3),
                "missing fragment: `#intro` is not in docs/page.html".to_string()
            ),
        ]
    );
    assert!(
        !root.join("reports").exists(),
        "mirror-only writes no reports"
    );
    insta::assert_snapshot!(
        "mirror_only_human",
        redact(&render(&report, Format::Human), root)
    );

    options.strict = true;
    let strict = verify(&options).expect("verify runs");
    assert_eq!(errors(&strict, Check::Links).len(), 3);
}

#[test]
fn not_an_archive_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let result = verify(&VerifyOptions::new(dir.path(), Mode::Full));
    assert!(matches!(
        result,
        Err(arkiv::verify::VerifyError::NotAnArchive(_))
    ));
}

#[test]
fn junit_has_a_suite_per_check() {
    let mut fixture = Fixture::pristine();
    fixture.page_mut("style.css").mirror = b"a{b:url(nowhere.png)}".to_vec();
    let dir = build(&fixture);
    let report = run(dir.path());
    let junit = render(&report, Format::Junit);
    for check in ["links", "warc", "consistency", "notice"] {
        assert!(
            junit.contains(&format!("<testsuite name=\"{check}\"")),
            "{junit}"
        );
    }
    assert!(
        junit.contains("<failure message=\"broken link: `nowhere.png`"),
        "{junit}"
    );
    assert!(junit.contains("name=\"warc holds\""), "{junit}");
}

#[cfg(unix)]
#[test]
fn symlink_in_mirror_is_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("site");
    fs_err::create_dir_all(&root).expect("mkdir");
    fs_err::write(root.join("index.html"), "<a href=\"secret.html\">x</a>").expect("write");
    std::os::unix::fs::symlink("/etc/hostname", root.join("secret.html")).expect("symlink");
    let report = verify(&VerifyOptions::new(&root, Mode::MirrorOnly)).expect("verify runs");
    assert_finding(
        &report,
        Check::Links,
        "secret.html: symbolic link in the mirror",
    );
    assert_finding(&report, Check::Links, "broken link: `secret.html`");
}

#[test]
fn progress_reports_every_check() {
    let dir = build(&Fixture::pristine());
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |event: arkiv::verify::ProgressEvent| {
        if let arkiv::verify::ProgressEvent::Finish { check } = event {
            seen.lock().expect("lock").push(check);
        }
    };
    let options = VerifyOptions::new(dir.path(), Mode::Full);
    arkiv::verify::verify_with_progress(&options, &progress).expect("verify runs");
    let mut seen = seen.into_inner().expect("lock");
    seen.sort();
    assert_eq!(seen, Check::ALL);
}

/// A large mirror, run by hand (`cargo test --test tests a_20000_page_mirror -- --ignored`):
/// every page links to the next, and every reference and fragment is found. It measures no
/// time (tests never do): a per-link scan of the file set would make it take minutes instead
/// of seconds, which is what running it by hand shows; `bench/run` times `arkiv verify`.
#[test]
#[ignore]
fn a_20000_page_mirror_is_checked_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = 20_000;
    for n in 0..pages {
        let folder = dir.path().join(format!("d{}", n % 100));
        fs_err::create_dir_all(&folder).expect("mkdir");
        let next = (n + 1) % pages;
        fs_err::write(
            folder.join(format!("p{n}.html")),
            format!(
                "<a href=\"../d{}/p{next}.html#a\">next</a><p id=\"a\">",
                next % 100
            ),
        )
        .expect("write");
    }
    let report = verify(&VerifyOptions::new(dir.path(), Mode::MirrorOnly)).expect("verify runs");
    assert!(
        report.findings.is_empty(),
        "{:?}",
        &report.findings[..3.min(report.findings.len())]
    );
    assert_eq!(report.counts.references, pages as u64);
}
