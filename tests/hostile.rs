//! Integration tests: hostile servers and planted symlinks never make arkiv write outside `--out`, inject markup into its own pages, or panic.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use arkiv::mirror::path_map::MirrorPath;

use crate::support::{arkiv, files_below};

/// Every crawl finishes within this, or the test fails instead of hanging.
const CRAWL_LIMIT: Duration = Duration::from_secs(120);

/// A name only the `Content-Disposition` header carries: no file may ever be called this.
const DISPOSITION_NAME: &str = "cd-pwned";

/// The title of the seed page and the tail of hostile URLs: markup that must never come alive.
const INJECTED: &str = r#""><script>alert(1)</script>"#;

/// A raw-TCP server on `127.0.0.1:0` answering from [`respond`]; one thread per connection,
/// each connection closed after one answer. The threads end with the test process.
fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream));
        }
    });
    addr
}

fn answer(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split(' ').nth(1).unwrap_or("/").to_string();
    let _ = stream.write_all(&respond(&target));
    let _ = stream.flush();
}

fn long_name() -> String {
    "n".repeat(400)
}

fn index_page() -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{INJECTED}</title></head><body>
<a href="/dl">attachment</a>
<a href="/up">up and out</a>
<a href="/file">file redirect</a>
<a href="/v6">IPv6 redirect</a>
<a href="/js-location">javascript redirect</a>
<a href="/data-location">data redirect</a>
<a href="/cr">bare CR</a>
<a href="/lf">bare LF</a>
<a href="/crlf-location">encoded CRLF</a>
<a href="/script">redirect to markup</a>
<a href="/%2e%2e%2f%2e%2e%2fevil">dots</a>
<a href="/%2E%2E/%2e%2e/evil2">dot segments</a>
<a href="/a%00b">NUL</a>
<a href="/a&#0;c">NUL entity</a>
<a href="/long/{long}">long name</a>
<a href="/q?{query}">long query</a>
<a href="/base.html">base</a>
<a href="/js.html">javascript</a>
<a href="javascript:alert(1)">javascript</a>
<a href='/{INJECTED}'>markup in a URL</a>
</body></html>"#,
        long = long_name(),
        query = "q=".to_string() + &"x".repeat(3000),
    )
}

/// The hostile site: status line, extra header lines (raw, CR and LF as given) and body per path.
fn respond(target: &str) -> Vec<u8> {
    let html = "Content-Type: text/html; charset=utf-8\r\n";
    let small = |title: &str| format!("<!doctype html><title>{title}</title><p>{title}</p>");
    let (status, headers, body): (&str, String, String) = match target {
        "/" => ("200 OK", html.into(), index_page()),
        "/robots.txt" => ("404 Not Found", String::new(), String::new()),
        "/dl" => (
            "200 OK",
            format!(
                "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; \
                 filename=\"../../{DISPOSITION_NAME}\"; filename*=UTF-8''..%2F..%2F{DISPOSITION_NAME}\r\n"
            ),
            "payload".into(),
        ),
        "/up" => ("302 Found", "Location: ../../../../etc/passwd\r\n".into(), String::new()),
        "/file" => ("302 Found", "Location: file:///etc/passwd\r\n".into(), String::new()),
        "/v6" => ("302 Found", "Location: http://[::1]:1/\r\n".into(), String::new()),
        "/js-location" => (
            "302 Found",
            "Location: javascript:alert(document.cookie)\r\n".into(),
            String::new(),
        ),
        "/data-location" => (
            "302 Found",
            "Location: data:text/html,<script>alert(1)</script>\r\n".into(),
            String::new(),
        ),
        "/cr" => ("200 OK", format!("{html}X-Evil: a\rSet-Cookie: b=c\r\n"), small("cr")),
        "/lf" => (
            "302 Found",
            "Location: /lf-target\nX-Injected: yes\r\n".into(),
            String::new(),
        ),
        "/crlf-location" => (
            "302 Found",
            "Location: /x%0d%0aSet-Cookie:%20a=b%0d%0a%0d%0a<script>alert(1)</script>\r\n".into(),
            String::new(),
        ),
        "/script" => ("302 Found", format!("Location: /{INJECTED}\r\n"), String::new()),
        "/base.html" => (
            "200 OK",
            html.into(),
            r#"<!doctype html><base href="file:///"><a href="etc/passwd">p</a><img src="x.png">"#
                .into(),
        ),
        "/js.html" => (
            "200 OK",
            html.into(),
            r#"<!doctype html><a href="javascript:alert(1)">js</a><a href=" JaVaScRiPt:alert(2)">js</a>"#
                .into(),
        ),
        _ if target.starts_with("/long/") || target.starts_with("/q?") => {
            ("200 OK", html.into(), small("long"))
        }
        _ if target.contains("script") || target.contains("%3C") => {
            ("200 OK", html.into(), small(INJECTED))
        }
        _ if target.contains("evil") || target.contains("%00") || target.starts_with("/lf") => {
            ("200 OK", html.into(), small("odd"))
        }
        _ => ("404 Not Found", html.into(), small("not found")),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// A run of the CLI, bounded by [`CRAWL_LIMIT`].
struct Run {
    status: ExitStatus,
    stderr: String,
}

fn run(mut cmd: Command, log_dir: &Path) -> Run {
    let log = log_dir.join("stderr.txt");
    let file = fs_err::File::create(&log).expect("stderr file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file.into_parts().0)
        .spawn()
        .expect("spawn arkiv");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > CRAWL_LIMIT {
            let _ = child.kill();
            panic!("arkiv did not finish within {CRAWL_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let stderr = fs_err::read_to_string(&log).expect("stderr");
    assert!(!stderr.contains("panicked"), "arkiv panicked:\n{stderr}");
    Run { status, stderr }
}

fn crawl_cmd(seeds: &[String], out: &Path) -> Command {
    let mut cmd = arkiv();
    cmd.arg("--quiet").arg("crawl");
    cmd.args(seeds);
    cmd.arg("--out")
        .arg(out)
        .args(["--timeout", "5", "--retries", "0", "--max-pages", "60"]);
    cmd
}

/// Folders for one test: `root` is watched for stray files; `out` sits deep inside it so that a
/// `../..` escape would still land in `root` where the test can see it. Logs go elsewhere.
struct Dirs {
    root: PathBuf,
    out: PathBuf,
    logs: PathBuf,
    _temp: tempfile::TempDir,
}

fn dirs() -> Dirs {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path().join("root");
    let out = root.join("a/b/c/d/e/out");
    fs_err::create_dir_all(out.parent().expect("parent")).expect("out parent");
    let logs = temp.path().join("logs");
    fs_err::create_dir_all(&logs).expect("logs");
    Dirs {
        root,
        out,
        logs,
        _temp: temp,
    }
}

/// Generated pages (landing, redirect stubs, "not archived" pages) with their text.
fn generated_pages(out: &Path) -> Vec<(String, String)> {
    let manifest = fs_err::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    let mut pages = Vec::new();
    for line in manifest.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("manifest line");
        let path = entry["path"].as_str().expect("path").to_string();
        assert!(MirrorPath::parse(&path).is_ok(), "manifest path {path:?}");
        let file = out.join("mirror").join(&path);
        assert!(file.is_file(), "manifest names missing file {path}");
        let kind = entry["kind"].as_str().expect("kind");
        if kind != "archived" {
            let text = fs_err::read_to_string(&file).expect("generated page");
            pages.push((path, text));
        }
    }
    pages
}

#[test]
fn hostile_server_writes_nothing_outside_out_and_injects_nothing() {
    let addr = start_server();
    let dirs = dirs();
    let seeds = vec![
        format!("http://{addr}/"),
        format!("http://{addr}/seed?{INJECTED}"),
    ];
    let result = run(crawl_cmd(&seeds, &dirs.out), &dirs.logs);
    let code = result.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}\n{}",
        result.stderr
    );

    for file in files_below(&dirs.root) {
        assert!(
            file.starts_with("a/b/c/d/e/out/"),
            "written outside --out: {file}"
        );
        assert!(
            !file.contains(DISPOSITION_NAME),
            "name from Content-Disposition: {file}"
        );
    }
    let mirror = dirs.out.join("mirror");
    for file in files_below(&mirror) {
        assert!(
            MirrorPath::parse(&file).is_ok(),
            "unsafe mirror name {file:?}"
        );
    }

    let pages = generated_pages(&dirs.out);
    assert!(
        pages.iter().any(|(path, _)| path == "index.html"),
        "no landing page"
    );
    assert!(pages.len() > 1, "no redirect stubs among {pages:?}");
    assert_no_markup(&pages, &["<script", "onerror", "set-cookie:"]);
    let landing = &pages
        .iter()
        .find(|(p, _)| p == "index.html")
        .expect("landing")
        .1;
    assert!(
        !landing.contains(INJECTED),
        "raw markup on the landing page:\n{landing}"
    );
}

/// Found while checking the landing page above: `WarcinfoFields::with` replaces a field of the
/// same name, so of several `arkiv-seed` lines only the last reaches the warcinfo record, and the
/// mirror (landing page "Start here", `scope_of`) knows only the last seed.
#[test]
fn landing_page_lists_every_seed() {
    let addr = start_server();
    let dirs = dirs();
    let seeds = vec![
        format!("http://{addr}/"),
        format!("http://{addr}/base.html"),
    ];
    let result = run(crawl_cmd(&seeds, &dirs.out), &dirs.logs);
    assert!(
        matches!(result.status.code(), Some(0 | 1)),
        "{}",
        result.stderr
    );
    let landing = fs_err::read_to_string(dirs.out.join("mirror/index.html")).expect("landing");
    for seed in &seeds {
        assert!(
            landing.contains(&format!(">{seed}</a>")),
            "{seed} missing:\n{landing}"
        );
    }
}

/// Fails with every generated page that contains one of `bad` (ASCII case-insensitively).
fn assert_no_markup(pages: &[(String, String)], bad: &[&str]) {
    let mut found = Vec::new();
    for (path, text) in pages {
        let lower = text.to_ascii_lowercase();
        for bad in bad {
            if lower.contains(bad) {
                found.push(format!("{path} carries {bad:?}:\n{text}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}

/// `Location: javascript:…` (or `file:`, `data:`) became a clickable link and a meta refresh in
/// the redirect stub: `mirror::builder` passes a target that is not in the mirror to
/// `pages::redirect_stub` as an href without checking its scheme.
#[test]
fn redirect_stub_to_a_javascript_location_is_no_link() {
    let addr = start_server();
    let dirs = dirs();
    let result = run(
        crawl_cmd(&[format!("http://{addr}/")], &dirs.out),
        &dirs.logs,
    );
    assert!(
        matches!(result.status.code(), Some(0 | 1)),
        "{}",
        result.stderr
    );
    let pages = generated_pages(&dirs.out);
    assert_no_markup(
        &pages,
        &[
            "href=\"javascript:",
            "url=javascript:",
            "href=\"file:",
            "url=file:",
            "href=\"data:",
            "url=data:",
        ],
    );
}

/// Plants `name -> elsewhere` inside a fresh `out`, crawls, and returns what landed elsewhere.
fn crawl_with_planted_link(name: &str, target_is_dir: bool) -> (Run, Vec<String>) {
    let addr = start_server();
    let dirs = dirs();
    let elsewhere = dirs.root.join("elsewhere");
    fs_err::create_dir_all(&elsewhere).expect("elsewhere");
    fs_err::create_dir_all(&dirs.out).expect("out");
    let target = if target_is_dir {
        elsewhere.clone()
    } else {
        elsewhere.join("planted-target")
    };
    std::os::unix::fs::symlink(&target, dirs.out.join(name)).expect("plant symlink");
    let result = run(
        crawl_cmd(&[format!("http://{addr}/")], &dirs.out),
        &dirs.logs,
    );
    (result, files_below(&elsewhere))
}

#[test]
fn planted_mirror_symlink_is_not_followed() {
    let (result, written) = crawl_with_planted_link("mirror", true);
    assert!(
        written.is_empty(),
        "written through out/mirror: {written:?}\n{}",
        result.stderr
    );
}

#[test]
fn planted_warc_symlink_is_not_followed() {
    let (result, written) = crawl_with_planted_link("warc", true);
    assert!(
        written.is_empty(),
        "written through out/warc: {written:?}\n{}",
        result.stderr
    );
}

#[test]
fn planted_folder_symlinks_are_not_followed() {
    for name in ["indexes", "reports", "state"] {
        let (result, written) = crawl_with_planted_link(name, true);
        assert!(
            written.is_empty(),
            "written through out/{name}: {written:?}\n{}",
            result.stderr
        );
    }
}

#[test]
fn planted_dangling_file_symlinks_are_not_followed() {
    for name in ["arkiv.toml", "manifest.jsonl"] {
        let (result, written) = crawl_with_planted_link(name, false);
        assert!(
            written.is_empty(),
            "written through out/{name}: {written:?}\n{}",
            result.stderr
        );
    }
}

/// Found by `fuzz/fuzz_targets/path_map.rs` (debug assertion in `fold_deep_folders`): a long file
/// name whose stem is a Windows device name (`aux`) is shortened to `MAX_NAME_BYTES` (200) and
/// then grows by the escape that defuses the device name (`a` → `%61`), ending at 201 bytes.
/// Still under the 255-byte OS limit, so no unsafe path results, but `from_url`'s invariant breaks
/// and, in a path deep enough to be folded, debug builds panic.
#[test]
fn url_to_path_keeps_a_long_device_name_within_max_name_bytes() {
    let long = "%EF%BF%BD".repeat(60) + &"%00".repeat(10);
    let url = url::Url::parse(&format!("http://example.com/dir/a/aux.{long}")).expect("url");
    let path = arkiv::mirror::path_map::url_to_path(&url, Some("image/png"));
    for segment in path.segments() {
        // `path_map::name::MAX_NAME_BYTES`, which is not public.
        assert!(segment.len() <= 200, "{} bytes: {segment}", segment.len());
    }
}

/// Found by `fuzz/fuzz_targets/path_map.rs` (`MirrorPath::from_checked`'s debug assertion: "url_to_path
/// built an invalid path"): `>` is escaped as `%3E`, and the marks U+0316 U+030C after it pass the
/// one-character composition guard in `name::push_text`, but NFC composes `E` + U+030C across
/// U+0316 (`%3Ě`), so the name is not NFC and its escape is broken. Release builds fall back to
/// `@invalid/<hash>` (safe, but an unreadable name).
#[test]
fn url_to_path_keeps_escapes_apart_from_later_combining_marks() {
    let url = url::Url::parse("http://example.com/dir/te%3C%3E%CC%96%CC%8C.html").expect("url");
    let path = arkiv::mirror::path_map::url_to_path(&url, Some("text/html"));
    assert!(!path.as_str().starts_with("@invalid/"), "{path}");
}
