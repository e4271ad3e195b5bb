//! Integration tests: crawling over HTTPS end to end, with a CA and leaf made at test time (rcgen).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use arkiv::fixture::{FixtureServer, LoggedRequest, ServeOptions, TlsIdentity};
use arkiv::warc::digest::sha1_digest;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use url::Url;

use crate::support::{self, NOTICE_LINK, NOTICE_TEXT, WarcRec, arkiv};

/// No command in this file may run longer than this: a TLS failure must never hang a crawl.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// A throwaway CA and a leaf it signed, written as PEM files in a temp folder.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: PathBuf,
    cert_pem: PathBuf,
    key_pem: PathBuf,
    identity: TlsIdentity,
}

/// A CA named `ca_name` and a leaf for `names` (IP addresses or DNS names).
fn pki(ca_name: &str, names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, &ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut leaf = CertificateParams::new(names.clone()).expect("leaf params");
    leaf.distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");

    let dir = tempfile::tempdir().expect("temp dir");
    let ca_pem = dir.path().join("ca.pem");
    let cert_pem = dir.path().join("leaf.pem");
    let key_pem = dir.path().join("leaf.key");
    // The chain a server sends: leaf first, then its issuer.
    let chain = format!("{}{}", leaf_cert.pem(), ca_cert.pem());
    fs_err::write(&ca_pem, ca_cert.pem()).expect("write CA");
    fs_err::write(&cert_pem, &chain).expect("write chain");
    fs_err::write(&key_pem, leaf_key.serialize_pem()).expect("write key");
    let identity = TlsIdentity::from_pem(chain, leaf_key.serialize_pem());
    Pki {
        dir,
        ca_pem,
        cert_pem,
        key_pem,
        identity,
    }
}

/// An HTTPS fixture server for `site` with this PKI's leaf.
fn https_server(site: &str, pki: &Pki) -> FixtureServer {
    let server = FixtureServer::start(
        site,
        ServeOptions {
            tls: Some(pki.identity.clone()),
            ..ServeOptions::default()
        },
    )
    .expect("https fixture server");
    assert_eq!(server.url().scheme(), "https");
    server
}

/// Runs `arkiv` with `args`, bounded by [`COMMAND_LIMIT`].
fn run(args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = assert_cmd::Command::from_std(arkiv());
    cmd.arg("--quiet").args(args).timeout(COMMAND_LIMIT);
    let output = cmd.output().expect("run arkiv");
    assert!(
        output.status.code().is_some(),
        "arkiv {args:?} was stopped after {COMMAND_LIMIT:?} (a hang?)"
    );
    output
}

/// `arkiv crawl URL --out OUT` plus `extra`.
fn crawl(url: &Url, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["crawl".as_ref(), url.as_str().as_ref(), "--out".as_ref()];
    args.push(out.as_os_str());
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    run(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// crawl.log lines as (URL, outcome).
fn log_outcomes(out: &Path) -> Vec<(String, String)> {
    let log = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    log.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            (
                fields.get(4).unwrap_or(&"").to_string(),
                fields.last().unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

/// The outcome logged last for `path` below `base`.
fn outcome(out: &Path, base: &Url, path: &str) -> Option<String> {
    let url = base.join(path).expect("url").to_string();
    log_outcomes(out)
        .into_iter()
        .rev()
        .find(|(u, _)| *u == url)
        .map(|(_, o)| o)
}

/// Every record of every WARC file, read with the independent `warc` crate (block digests
/// checked on the way).
fn records(out: &Path) -> Vec<WarcRec> {
    let files = arkiv::crawl::recover::warc_files(&out.join("warc")).expect("warc files");
    support::warc_records(&files)
}

/// The entity body of an HTTP message sent without chunked framing (callers check that).
fn payload_of(block: &[u8]) -> &[u8] {
    let end = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .expect("head end");
    &block[end..]
}

/// The request as the server logged it, written back out the way HTTP/1.1 puts it on the wire.
fn wire_form(request: &LoggedRequest) -> Vec<u8> {
    let mut bytes = format!(
        "{} {} {}\r\n",
        request.method, request.target, request.version
    );
    for (name, value) in &request.headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str("\r\n");
    bytes.into_bytes()
}

#[test]
fn collective_impact_over_https_with_ca_cert_archives_verifies_and_mirrors() {
    let pki = pki("arkiv test CA", &["127.0.0.1", "localhost"]);
    let server = https_server("collective-impact", &pki);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let ca = pki.ca_pem.to_str().expect("utf-8 temp path");
    let output = crawl(
        &server.url(),
        &out,
        &[
            "--ca-cert",
            ca,
            "--notice-text",
            NOTICE_TEXT,
            "--notice-link",
            NOTICE_LINK,
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}\nstdout: {}",
        text(&output.stderr),
        text(&output.stdout)
    );

    let records = records(&out);
    let origin = server.url().to_string();
    let warcinfo = records
        .iter()
        .find(|r| r.kind == "warcinfo")
        .expect("warcinfo");
    let info = text(&warcinfo.block);
    assert!(info.contains(&format!("arkiv-ca-cert: {ca}\r\n")), "{info}");
    assert!(info.contains("arkiv-ca-cert-sha256: sha256:"), "{info}");
    let toml = fs_err::read_to_string(out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(toml.contains("ca-cert = ["), "{toml}");
    assert!(toml.contains("ca-cert-sha256 = [\"sha256:"), "{toml}");

    let responses: Vec<&WarcRec> = records.iter().filter(|r| r.kind == "response").collect();
    assert!(responses.len() >= 20, "{} responses", responses.len());
    let requests = server.requests();
    let mut exact = 0;
    for rec in records.iter().filter(|r| r.kind != "warcinfo") {
        let target = rec.target.as_deref().expect("WARC-Target-URI");
        assert!(
            target.starts_with(&origin),
            "{target} is not below {origin}"
        );
        if rec.kind == "request" {
            // Exactly what the server received over TLS (nothing else sends this target twice
            // with other headers: the crawl fetches each URL once).
            let path = Url::parse(target).expect("target URL");
            let sent = &path[url::Position::BeforePath..];
            let received: Vec<Vec<u8>> = requests
                .iter()
                .filter(|r| r.target == sent)
                .map(wire_form)
                .collect();
            assert!(
                received.contains(&rec.block),
                "request record for {target} is not what the server received:\n{}\nreceived: {:?}",
                text(&rec.block),
                received.iter().map(|r| text(r)).collect::<Vec<_>>()
            );
            exact += 1;
        }
    }
    assert!(exact >= 20, "{exact} request records checked");
    for rec in &responses {
        let head = text(&rec.block[..rec.block.len() - payload_of(&rec.block).len()]);
        // The body is the payload as is only without chunk framing; the site has no chunked route.
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{:?} is chunked: de-chunk it here before digesting",
            rec.target
        );
        assert_eq!(
            rec.payload_digest.as_deref(),
            Some(sha1_digest(payload_of(&rec.block)).as_str()),
            "payload digest of {:?}",
            rec.target
        );
        let request = rec
            .concurrent_to
            .as_deref()
            .and_then(|id| records.iter().find(|r| r.id == id))
            .expect("the response's request record");
        assert_eq!(request.target, rec.target);
    }
    // Files come out of TLS byte for byte: text and binary.
    for file in ["assets/css/main.css", "assets/img/landskaber-480.jpg"] {
        let url = server.url().join(file).expect("url");
        let rec = responses
            .iter()
            .find(|r| r.target.as_deref() == Some(url.as_str()))
            .unwrap_or_else(|| panic!("{url} archived"));
        let original = arkiv::fixture::site_file("collective-impact", &format!("root/{file}"))
            .expect("site file");
        assert_eq!(payload_of(&rec.block), original, "{url}");
    }

    let port = server.url().port().expect("port");
    let home = out
        .join("mirror")
        .join(format!("127.0.0.1+{port}"))
        .join("index.html");
    assert!(home.is_file(), "mirror home page {}", home.display());
    let verify = run(&["verify".as_ref(), out.as_os_str()]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "arkiv verify: {}\n{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );
}

/// A crawl whose every fetch fails the TLS handshake: exit 1, each URL that was fetched logged with
/// `failed:<tag>`, nothing archived as a response, nothing hanging.
fn assert_tls_failure(server: &FixtureServer, extra: &[&str], tag: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut args = vec!["--retries", "1"];
    args.extend_from_slice(extra);
    let output = crawl(&server.url(), &out, &args);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr: {}\nstdout: {stdout}",
        text(&output.stderr)
    );
    let outcomes = log_outcomes(&out);
    let failed: Vec<&(String, String)> = outcomes
        .iter()
        .filter(|(_, o)| o.starts_with("failed:"))
        .collect();
    assert!(!failed.is_empty(), "{outcomes:#?}");
    for (url, got) in &failed {
        assert_eq!(got, &format!("failed:{tag}"), "{url}: {outcomes:#?}");
    }
    // A certificate fails the same way on every try: no retry, no back-off.
    assert!(
        !outcomes.iter().any(|(_, o)| o == "retry"),
        "a certificate failure is not retried: {outcomes:#?}"
    );
    // robots.txt unreachable means "disallow everything" (RFC 9309): the seed is declined, and
    // the summary still says why robots.txt could not be had.
    let robots = outcome(&out, &server.url(), "robots.txt");
    assert_eq!(robots, Some(format!("failed:{tag}")), "{outcomes:#?}");
    let seed = outcome(&out, &server.url(), "");
    assert_eq!(
        seed.as_deref(),
        Some("robots-unreachable"),
        "the seed's outcome names the cause, not the site's rules: {outcomes:#?}"
    );
    assert!(stdout.contains(&format!("[{tag}]")), "{stdout}");
    let responses = records(&out)
        .into_iter()
        .filter(|r| matches!(r.kind.as_str(), "response" | "revisit" | "request"))
        .count();
    assert_eq!(responses, 0, "nothing crossed a failed handshake");
    assert_eq!(server.requests().len(), 0, "no request reached the server");
}

#[test]
fn without_ca_cert_every_fetch_fails_as_an_unknown_issuer() {
    let pki = pki("arkiv untrusted CA", &["127.0.0.1", "localhost"]);
    let server = https_server("collective-impact", &pki);
    assert_tls_failure(&server, &[], "tls-unknown-issuer");
    // The seed too, when robots.txt is not in the way.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = crawl(&server.url(), &out, &["--retries", "0", "--ignore-robots"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        outcome(&out, &server.url(), ""),
        Some("failed:tls-unknown-issuer".to_string()),
        "{:#?}",
        log_outcomes(&out)
    );
}

#[test]
fn a_certificate_for_another_host_fails_as_a_wrong_host() {
    let pki = pki("arkiv test CA", &["archive.example.org"]);
    let server = https_server("collective-impact", &pki);
    let ca = pki.ca_pem.to_str().expect("utf-8 temp path");
    assert_tls_failure(&server, &["--ca-cert", ca], "tls-wrong-host");
}

#[test]
fn a_bad_ca_cert_file_is_a_usage_error_naming_it() {
    let pki = pki("arkiv test CA", &["127.0.0.1"]);
    let missing = pki.dir.path().join("no-such-ca.pem");
    let garbage = pki.dir.path().join("garbage.pem");
    fs_err::write(&garbage, "this is not a certificate\n").expect("write");
    // A private key is PEM, but no certificate.
    for (file, why) in [
        (&missing, "No such file"),
        (&garbage, "holds no PEM certificate"),
        (&pki.key_pem, "holds no PEM certificate"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let url = Url::parse("https://127.0.0.1:9/").expect("url");
        let file_text = file.to_str().expect("utf-8 temp path");
        let output = crawl(&url, &out, &["--ca-cert", file_text]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(file_text), "names the path: {stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains("hint:"), "says what to do: {stderr}");
        assert!(!out.exists(), "nothing is created before the check");
    }
}

#[test]
fn resume_trusts_the_saved_ca_cert_and_refuses_to_run_without_it() {
    let pki = pki("arkiv test CA", &["127.0.0.1"]);
    // Slow responses, one at a time: the crawl is still running when it is killed below.
    let server = FixtureServer::start(
        "collective-impact",
        ServeOptions {
            tls: Some(pki.identity.clone()),
            latency: Some(Duration::from_millis(150)),
            ..ServeOptions::default()
        },
    )
    .expect("https fixture server");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let ca_copy = dir.path().join("ca-copy.pem");
    fs_err::copy(&pki.ca_pem, &ca_copy).expect("copy CA");
    let ca = ca_copy.to_str().expect("utf-8 temp path");

    let mut child = arkiv()
        .args(["--quiet", "crawl", server.url().as_str(), "--out"])
        .arg(&out)
        .args(["--ca-cert", ca, "--per-host", "1", "--no-mirror"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn arkiv crawl");
    // Kill it once two pages are archived (robots.txt and the seed): more than 20 remain.
    let deadline = std::time::Instant::now() + COMMAND_LIMIT;
    loop {
        let archived = fs_err::read_to_string(out.join("reports/crawl.log"))
            .map(|log| log.lines().filter(|l| l.ends_with(" archived")).count())
            .unwrap_or(0);
        let exited = child.try_wait().expect("try_wait").is_some();
        if archived >= 2 || exited || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let before = server.requests().len();
    assert!(before >= 2, "the first run fetched over TLS");

    fs_err::remove_file(&ca_copy).expect("remove CA");
    let refused = run(&["crawl".as_ref(), "--resume".as_ref(), out.as_os_str()]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(ca), "names the path: {stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_eq!(
        server.requests().len(),
        before,
        "nothing fetched without it"
    );

    fs_err::copy(&pki.ca_pem, &ca_copy).expect("restore CA");
    let resumed = run(&["crawl".as_ref(), "--resume".as_ref(), out.as_os_str()]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}{}",
        text(&resumed.stdout),
        text(&resumed.stderr)
    );
    assert!(
        server.requests().len() > before + 10,
        "the resumed crawl fetched the rest over TLS ({before} before, {} after)",
        server.requests().len()
    );
    let failed: Vec<(String, String)> = log_outcomes(&out)
        .into_iter()
        .filter(|(_, o)| o.starts_with("failed:"))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn edge_case_faults_end_the_same_over_tls() {
    let pki = pki("arkiv test CA", &["127.0.0.1"]);
    let server = https_server("edge-cases", &pki);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let ca = pki.ca_pem.to_str().expect("utf-8 temp path");
    let output = crawl(
        &server.url(),
        &out,
        &["--ca-cert", ca, "--timeout", "2", "--retries", "2"],
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output.stderr)
    );
    // The same outcomes as the plain-HTTP crawl in tests/crawl.rs.
    let expect = crate::support::FAULT_OUTCOMES;
    let mut wrong = Vec::new();
    for (path, want) in expect {
        let got = outcome(&out, &server.url(), path);
        let same = got.as_deref() == Some(want)
            || (want == "archived" && got.as_deref() == Some("revisit"));
        if !same {
            wrong.push(format!("{path}: expected {want}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The raw route's bytes come out of TLS exactly as stored.
    let raw = arkiv::fixture::site_file("edge-cases", "raw/mixed-headers.http").expect("raw");
    let url = server.url().join("fejl/raa").expect("url").to_string();
    let records = records(&out);
    let rec = records
        .iter()
        .find(|r| r.kind == "response" && r.target.as_deref() == Some(url.as_str()))
        .expect("raw route archived");
    assert_eq!(rec.block, raw);
    // The calendar generator still runs into the trap guard rather than forever.
    assert!(
        log_outcomes(&out)
            .iter()
            .any(|(_, o)| o == "trap-no-new-content"),
        "the calendar trap is caught over TLS too"
    );
}

#[test]
fn serve_fixture_serves_https_with_the_given_identity() {
    let pki = pki("arkiv test CA", &["127.0.0.1"]);
    let mut child = support::arkiv()
        .args(["--quiet", "serve-fixture", "edge-cases", "--tls-cert"])
        .arg(&pki.cert_pem)
        .arg("--tls-key")
        .arg(&pki.key_pem)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve-fixture");
    let stdout = child.stdout.take().expect("stdout");
    // The first line is the URL; reading it cannot hang past the server's start (or its exit).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("serve-fixture printed its URL");
    assert!(line.starts_with("https://127.0.0.1:"), "{line:?}");

    let missing = pki.dir.path().join("missing.key");
    let output = run(&[
        "serve-fixture".as_ref(),
        "--tls-cert".as_ref(),
        pki.cert_pem.as_os_str(),
        "--tls-key".as_ref(),
        missing.as_os_str(),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.key"), "{stderr}");
}
