//! Integration test: pywb, the Webrecorder replay server, replays what arkiv archived: every
//! capture of both fixture sites answers with its archived status, revisits and redirects
//! included, and every page of the demo site shows its notice.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, NOTICE_TEXT};

/// How long pywb may take to start on a loaded machine.
const STARTUP: Duration = Duration::from_secs(90);

/// Whether pywb's commands are on PATH; under CI they must be (`.ci/run` installs them).
fn pywb_installed() -> bool {
    let found = Command::new("wb-manager")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "pywb (wb-manager, wayback) is not on PATH (.ci/run installs it)"
    );
    found
}

/// `wayback` serving the collections below a folder; killed on drop.
struct Wayback {
    child: Child,
    port: u16,
}

impl Drop for Wayback {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Wayback {
    fn start(root: &Path) -> Wayback {
        // A free port: bound, read, released (pywb takes only a number).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("wayback")
            .args(["-b", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start wayback");
        let wayback = Wayback { child, port };
        let deadline = Instant::now() + STARTUP;
        while wayback.get("/").is_none() {
            assert!(
                Instant::now() < deadline,
                "wayback did not answer in {STARTUP:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        wayback
    }

    /// `(status, body)` of a GET, or `None` when nothing answers.
    fn get(&self, target: &str) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        write!(
            stream,
            "GET {target} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok()?;
        let head_end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status_line = String::from_utf8_lossy(&response[..head_end]).into_owned();
        let status = status_line.split(' ').nth(1)?.parse().ok()?;
        Some((status, response[head_end + 4..].to_vec()))
    }
}

fn wb_manager(root: &Path, args: &[&str], files: &[std::path::PathBuf]) {
    let output = Command::new("wb-manager")
        .args(args)
        .args(files)
        .current_dir(root)
        .output()
        .expect("wb-manager");
    assert!(
        output.status.success(),
        "wb-manager {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn pywb_replays_every_capture_with_its_archived_status() {
    if !pywb_installed() {
        eprintln!("skipping: pywb is not installed");
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let sites = [("collective-impact", "ci"), ("edge-cases", "edge")];
    let mut indexes = Vec::new();
    for (site, collection) in sites {
        let crawled = support::crawled(site);
        wb_manager(root.path(), &["init", collection], &[]);
        wb_manager(root.path(), &["add", collection], &crawled.warc_files());
        let entries =
            arkiv::warc::read_index(&crawled.out.join("indexes/index.cdxj")).expect("index.cdxj");
        indexes.push((site, collection, entries));
    }
    let wayback = Wayback::start(root.path());
    // The notice's first sentence: the rest holds its link, which pywb rewrites.
    let notice = NOTICE_TEXT.split(". ").next().expect("a sentence");
    let mut problems = Vec::new();
    let mut replayed = 0;
    for (site, collection, entries) in &indexes {
        // A URL captured more than once (a 503 before its 200) may replay any of its captures
        // taken within the same second.
        let mut statuses: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for entry in entries {
            if let Some(status) = entry.status.as_deref() {
                statuses.entry(&entry.url).or_default().insert(status);
            }
        }
        for entry in entries.iter().filter(|e| e.status.is_some()) {
            let target = format!("/{collection}/{}id_/{}", entry.timestamp, entry.url);
            let Some((status, _)) = wayback.get(&target) else {
                problems.push(format!("{site}: no answer for {target}"));
                continue;
            };
            replayed += 1;
            let archived = &statuses[entry.url.as_str()];
            // pywb answers a redirect whose target shares its canonical key (`/a` → `/a/`) with
            // its own 307 to the target's replay; any redirect stays a redirect.
            let redirect =
                (300..400).contains(&status) && archived.iter().any(|s| s.starts_with('3'));
            if !redirect && !archived.contains(status.to_string().as_str()) {
                problems.push(format!(
                    "{site}: {} replays as {status}, archived as {archived:?}",
                    entry.url
                ));
            }
            let page = *site == "collective-impact"
                && entry.mime.as_deref() == Some("text/html")
                && entry.status.as_deref() == Some("200");
            if page {
                // The rewritten replay a visitor sees inside pywb's frame, notice included.
                let shown = format!("/{collection}/{}mp_/{}", entry.timestamp, entry.url);
                match wayback.get(&shown) {
                    Some((200, body)) if String::from_utf8_lossy(&body).contains(notice) => {}
                    Some((status, _)) => problems.push(format!(
                        "{site}: {} shows {status} without its notice",
                        entry.url
                    )),
                    None => problems.push(format!("{site}: no answer for {shown}")),
                }
            }
        }
    }
    eprintln!("pywb replayed {replayed} captures");
    assert!(replayed > 60, "only {replayed} captures replayed");
    assert!(
        problems.is_empty(),
        "{} of {replayed} captures do not replay as archived:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
