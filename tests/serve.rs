//! Integration tests: `arkiv serve` answers a crawl's mirror (types, ranges, never a file
//! outside it) and with `--replay` its archive by original URL, pywb-style, on 127.0.0.1; Ctrl-C
//! stops it cleanly.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use arkiv::warc::CdxjEntry;

use crate::support::{self, NOTICE_LINK, NOTICE_TEXT};

/// A running `arkiv serve`, killed on drop.
pub struct Serving {
    child: Child,
    pub port: u16,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Serving {
    /// Starts `arkiv serve DIR ARGS…` and waits for the URL it prints.
    pub fn start(dir: &Path, args: &[&str]) -> Serving {
        let mut child = support::arkiv()
            .arg("serve")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start arkiv serve");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the URL on stdout");
        let url = url::Url::parse(first.trim())
            .unwrap_or_else(|e| panic!("not a URL {first:?}: {e}; {}", log.lock().unwrap()));
        assert_eq!(url.host_str(), Some("127.0.0.1"), "loopback only");
        Serving {
            child,
            port: url.port().expect("port"),
            stderr: log,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET target` (sent exactly as written) with extra header lines.
    pub fn get(&self, target: &str, headers: &[&str]) -> Answer {
        self.request("GET", target, headers)
    }

    pub fn request(&self, method: &str, target: &str, headers: &[&str]) -> Answer {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read answer");
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{target}: no head in {:?}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut body = raw[end + 4..].to_vec();
        if headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Ctrl-C: the server stops by itself, exit 0.
    pub fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill -INT");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code();
            }
            assert!(Instant::now() < deadline, "serve did not stop after Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(200));
        let log = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        (code, log)
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
}

fn manifest(out: &Path) -> Vec<serde_json::Value> {
    fs_err::read_to_string(out.join("manifest.jsonl"))
        .expect("manifest")
        .lines()
        .map(|l| serde_json::from_str(l).expect("manifest line"))
        .collect()
}

/// The path a mirror file is served at.
fn served_path(file: &str) -> String {
    let encoded: Vec<String> = file
        .split('/')
        .map(|s| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        })
        .collect();
    format!("/{}", encoded.join("/"))
}

#[test]
fn the_mirror_is_served_with_its_types_and_ranges() {
    let crawled = support::crawled("collective-impact");
    let server = Serving::start(&crawled.out, &[]);
    let mirror = crawled.out.join("mirror");
    let lines = manifest(&crawled.out);
    assert!(lines.len() > 20);
    for line in &lines {
        let file = line["path"].as_str().expect("path");
        let answer = server.get(&served_path(file), &[]);
        assert_eq!(answer.status, 200, "{file}");
        let bytes = fs_err::read(mirror.join(file)).expect("mirror file");
        assert!(answer.body == bytes, "{file}: the bytes of the file");
        let content_type = answer.header("content-type").unwrap_or_default();
        let expected = match line["kind"].as_str() {
            Some("archived") => line["mime"].as_str().unwrap_or_default().to_string(),
            _ => "text/html".to_string(),
        };
        assert!(
            content_type.starts_with(&expected),
            "{file}: Content-Type {content_type:?}, archived as {expected:?}"
        );
    }
    let top = server.get("/", &[]);
    assert_eq!(top.status, 200);
    assert!(top.body == fs_err::read(mirror.join("index.html")).unwrap());

    // Ranges on a file: a slice, a suffix, past the end.
    let css = lines
        .iter()
        .find(|l| l["mime"] == "text/css")
        .and_then(|l| l["path"].as_str())
        .expect("a style sheet");
    let bytes = fs_err::read(mirror.join(css)).unwrap();
    let part = server.get(&served_path(css), &["Range: bytes=10-19"]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, bytes[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{}", bytes.len()).as_str())
    );
    let tail = server.get(&served_path(css), &["Range: bytes=-5"]);
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, bytes[bytes.len() - 5..]);
    let past = server.get(
        &served_path(css),
        &[&format!("Range: bytes={}-", bytes.len())],
    );
    assert_eq!(past.status, 416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{}", bytes.len()).as_str())
    );
    let head = server.request("HEAD", &served_path(css), &[]);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(bytes.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
    assert_eq!(server.request("POST", "/", &[]).status, 405);

    // A folder without its slash is sent to it, so relative links resolve.
    let folder = lines
        .iter()
        .filter_map(|l| l["path"].as_str())
        .find_map(|p| p.strip_suffix("/index.html").filter(|f| f.contains('/')))
        .expect("a folder page");
    let moved = server.get(&served_path(folder), &[]);
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some(format!("{}/", served_path(folder)).as_str())
    );
}

#[test]
fn hostile_paths_get_404_and_never_a_file_outside() {
    let crawled = support::crawled("collective-impact");
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("ci");
    support::copy_tree(&crawled.out, &copy);
    let secret = "arkiv-serve-secret-3141";
    fs_err::write(dir.path().join("secret.txt"), secret).unwrap();
    fs_err::write(copy.join("secret.txt"), secret).unwrap();
    #[cfg(unix)]
    {
        let mirror = copy.join("mirror");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), mirror.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(dir.path(), mirror.join("up")).unwrap();
        std::os::unix::fs::symlink("/etc", mirror.join("etc")).unwrap();
    }
    let server = Serving::start(&copy, &["--replay"]);
    let hostile = [
        "/../../etc/passwd",
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/.%2e/secret.txt",
        "/%252e%252e/secret.txt",
        "/127.0.0.1/../../secret.txt",
        "//etc/passwd",
        "/leak.txt",
        "/up/secret.txt",
        "/etc/passwd",
        "/%00/secret.txt",
        "/replay/../secret.txt",
        "/replay/%2e%2e/secret.txt",
        "/2026id_/file:///etc/passwd",
        "/2026/file:%2F%2F%2Fetc%2Fpasswd",
        "/2026/http://127.0.0.1/../../secret.txt",
    ];
    for path in hostile {
        let answer = server.get(path, &[]);
        assert!(
            matches!(answer.status, 400 | 404),
            "{path}: status {}",
            answer.status
        );
        let text = answer.text();
        assert!(
            !text.contains(secret) && !text.contains("root:"),
            "{path}: leaked {text}"
        );
    }
}

/// The index of a crawl.
fn index(out: &Path) -> Vec<CdxjEntry> {
    arkiv::warc::read_index(&out.join("indexes/index.cdxj")).expect("index")
}

/// Every capture replays raw with its archived status, and a 200's payload is the archived
/// payload exactly: its SHA-1 is the record's payload digest.
fn every_capture_replays_raw(site: &'static str) {
    let crawled = support::crawled(site);
    let server = Serving::start(&crawled.out, &["--replay"]);
    let entries = index(&crawled.out);
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in entries.iter().filter(|e| e.status.is_some()) {
        let target = format!("/{}id_/{}", entry.timestamp, entry.url);
        let answer = server.get(&target, &[]);
        // A URL captured twice within one second (a 503, then its retry) may answer with
        // either capture.
        let same_second: Vec<&CdxjEntry> = entries
            .iter()
            .filter(|e| e.url == entry.url && e.timestamp == entry.timestamp)
            .collect();
        let statuses: Vec<&str> = same_second
            .iter()
            .filter_map(|e| e.status.as_deref())
            .collect();
        if !statuses.contains(&answer.status.to_string().as_str()) {
            problems.push(format!(
                "{target}: status {} not in {statuses:?}",
                answer.status
            ));
            continue;
        }
        let digest = arkiv::warc::sha1_digest(&answer.body);
        let truncated = answer.body.is_empty() && entry.length > 0;
        if !truncated
            && !same_second
                .iter()
                .any(|e| e.digest.as_deref() == Some(digest.as_str()))
        {
            problems.push(format!(
                "{target}: payload digest {digest}, archived {:?}",
                entry.digest
            ));
        }
        if answer.header("memento-datetime").is_none() {
            problems.push(format!("{target}: no Memento-Datetime"));
        }
        checked += 1;
    }
    assert!(checked > 20, "{site}: {checked} captures");
    assert!(problems.is_empty(), "{site}:\n{}", problems.join("\n"));
}

#[test]
fn every_collective_impact_capture_replays_raw_as_archived() {
    every_capture_replays_raw("collective-impact");
}

#[test]
fn every_edge_case_capture_replays_raw_as_archived() {
    every_capture_replays_raw("edge-cases");
}

#[test]
fn replayed_pages_link_into_the_replay_and_redirects_resolve() {
    let crawled = support::crawled("collective-impact");
    let server = Serving::start(&crawled.out, &["--replay"]);
    let entries = index(&crawled.out);
    let front = entries
        .iter()
        .find(|e| e.url == crawled.url.as_str())
        .expect("the front page is archived");
    let ts = &front.timestamp;
    let page = server.get(&format!("/{ts}/{}", crawled.url), &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let html = page.text();
    // The notice's first sentence (its link follows in markup of its own).
    let notice = NOTICE_TEXT.split(". ").next().expect("a sentence");
    assert!(
        html.contains(notice),
        "the notice is on the replayed front page"
    );
    assert!(
        html.contains(&format!("href=\"{NOTICE_LINK}\"")),
        "the notice's link leaves the archive as written"
    );
    let stylesheet = format!("\"/{ts}/{}assets/css/main.css\"", crawled.url);
    assert!(html.contains(&stylesheet), "{stylesheet} in {html}");
    assert!(
        !html.contains(&format!("\"{}", crawled.url)),
        "no link points at the crawled site itself"
    );
    // Every URL the replayed page points into the replay at answers.
    let mut linked = 0;
    let prefix = format!("/{ts}/");
    for (at, _) in html.match_indices(&prefix) {
        let rest = &html[at..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')'))
            .unwrap_or(rest.len());
        // As a browser sends it: entities decoded, without the fragment.
        let written = rest[..end].trim_end_matches(',').replace("&amp;", "&");
        let target = written.split('#').next().unwrap_or_default().to_string();
        let answer = server.get(&target, &[]);
        let url = &target[prefix.len()..];
        let archived: Vec<&str> = entries
            .iter()
            .filter(|e| e.url == url)
            .filter_map(|e| e.status.as_deref())
            .collect();
        if archived.is_empty() {
            assert_eq!(answer.status, 404, "{target}");
            assert!(answer.text().contains("not in this archive"), "{target}");
        } else {
            assert!(
                archived.contains(&answer.status.to_string().as_str()),
                "{target}: {} not in {archived:?}",
                answer.status
            );
        }
        linked += 1;
    }
    assert!(linked > 20, "{linked} replay links");

    // A redirect points at the replay of its target, and following it lands on a page.
    for redirect in entries
        .iter()
        .filter(|e| e.status.as_deref().is_some_and(|s| s.starts_with('3')))
    {
        let answer = server.get(&format!("/{}/{}", redirect.timestamp, redirect.url), &[]);
        assert_eq!(
            Some(answer.status.to_string().as_str()),
            redirect.status.as_deref(),
            "{}",
            redirect.url
        );
        let location = answer.header("location").unwrap_or_default().to_string();
        assert!(
            location.starts_with(&format!("/{}/http", redirect.timestamp)),
            "{}: Location {location}",
            redirect.url
        );
        let landed = server.get(&location, &[]);
        assert!(matches!(landed.status, 200 | 301 | 302 | 404), "{location}");
    }

    // The nearest capture answers whatever the time asked for; what is not archived is 404.
    assert_eq!(
        server.get(&format!("/1999/{}", crawled.url), &[]).status,
        200
    );
    assert_eq!(
        server.get(&format!("/2999/{}", crawled.url), &[]).status,
        200
    );
    assert_eq!(
        server.get("/2026/http://127.0.0.1:1/nothing", &[]).status,
        404
    );

    // A root-relative URL a script made on a replayed page goes back into the replay.
    let referer = format!("Referer: {}/{ts}/{}", server.base(), crawled.url);
    let missed = server.get("/assets/css/main.css", &[&referer]);
    assert_eq!(missed.status, 307);
    assert_eq!(
        missed.header("location"),
        Some(format!("/{ts}/{}assets/css/main.css", crawled.url).as_str())
    );
}

#[test]
fn the_package_is_served_with_ranges_and_replaywebpage_explains_itself() {
    let crawled = support::crawled("collective-impact");
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("demo");
    support::copy_tree(&crawled.out, &copy);
    let missing_rwp = dir.path().join("no-rwp");
    let args = ["--replay", "--replaywebpage", missing_rwp.to_str().unwrap()];
    {
        let server = Serving::start(&copy, &args);
        let answer = server.get("/demo.wacz", &[]);
        assert_eq!(answer.status, 404, "no package yet");
        assert!(answer.text().contains("arkiv wacz"), "{}", answer.text());
    }
    let packed = support::arkiv()
        .args(["-q", "wacz"])
        .arg(&copy)
        .output()
        .expect("arkiv wacz");
    assert!(packed.status.success());
    let wacz = fs_err::read(copy.join("demo.wacz")).unwrap();
    let server = Serving::start(&copy, &args);
    let whole = server.get("/demo.wacz", &[]);
    assert_eq!(whole.status, 200);
    assert!(whole.body == wacz);
    assert_eq!(whole.header("content-type"), Some("application/wacz"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    // How ReplayWeb.page reads a package: the end of the file (the ZIP directory), then parts.
    let end = server.get("/demo.wacz", &["Range: bytes=-22"]);
    assert_eq!(end.status, 206);
    assert_eq!(end.body, wacz[wacz.len() - 22..]);
    let middle = server.get("/demo.wacz", &["Range: bytes=1000-1999"]);
    assert_eq!(middle.body, wacz[1000..2000]);
    let page = server.get("/replay/", &[]);
    assert_eq!(page.status, 404);
    assert!(
        page.text().contains("npm pack replaywebpage@2.5.3"),
        "{}",
        page.text()
    );
    assert_eq!(server.get("/replay/sw.js", &[]).status, 404);
    let log = server.stderr.lock().unwrap().clone();
    assert!(log.contains("ReplayWeb.page is not installed"), "{log}");
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let crawled = support::crawled("collective-impact");
    let server = Serving::start(&crawled.out, &["--replay"]);
    assert_eq!(server.get("/", &[]).status, 200);
    let port = server.port;
    let (code, log) = server.interrupt();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after the stop"
    );
}
