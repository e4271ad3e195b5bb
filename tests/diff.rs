//! Integration tests: `arkiv diff` through the CLI, on crawls of purpose-built sites whose content
//! changes between two crawls (and on the committed reference archive): what is reported as
//! added, removed, changed or unchanged, in text, JSON and JUnit, and the exit codes.

#[path = "diff/handmade.rs"]
mod handmade;
#[path = "diff/site.rs"]
mod site;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use url::Url;

use crate::support::{arkiv, crawled};
use handmade::Handmade;
use site::{Site, SiteServer, file, page, redirect};

/// `arkiv crawl` of `url` into `out` (no mirror: diff reads the WARC and the index).
fn crawl(url: &Url, out: &Path) {
    let output = arkiv()
        .args(["--quiet", "crawl", url.as_str(), "--no-mirror", "--out"])
        .arg(out)
        .output()
        .expect("run arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One `arkiv diff` run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// `(change, path)` of every change of a JSON report, relative to `site`.
    fn changes(&self, site: &Url) -> BTreeSet<(String, String)> {
        let json = self.json();
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| {
                let url = c["url"].as_str().expect("url");
                (
                    c["change"].as_str().expect("change").to_string(),
                    url.strip_prefix(site.as_str().trim_end_matches('/'))
                        .unwrap_or(url)
                        .to_string(),
                )
            })
            .collect()
    }

    fn dump(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Run {
    let output = arkiv()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .expect("run arkiv diff");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const LOGO_2026: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR logo of 2026 \xff\xfe\x00";
const LOGO_2031: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR the new logo, a little longer \xfe\x00";

/// The frozen site as first crawled.
fn frozen_site() -> Site {
    Site::from([
        (
            "/",
            page(
                "Forside",
                "<link rel=\"stylesheet\" href=\"/main.css\"><img src=\"/logo.png\" alt=\"\">\n\
                 <h1>Velkommen</h1><p>Hjemmesiden her opdateres ikke længere.</p>\n\
                 <nav><a href=\"/om/\">Om os</a> <a href=\"/nyheder/\">Nyheder</a></nav>",
            ),
        ),
        (
            "/om/",
            page(
                "Om os",
                "<h1>Om os</h1>\n<p>Vi har arbejdet med Collective Impact siden 2012.</p>\n\
                 <p>Fem betingelser for fælles resultater.</p>\n\
                 <p>Læs også <a href=\"/gammel/\">den gamle side</a>.</p>\n<p>Kontakt: info@example.org</p>",
            ),
        ),
        (
            "/nyheder/",
            page(
                "Nyheder",
                "<h1>Nyheder</h1><p>Ingen nyheder siden 2019.</p>",
            ),
        ),
        (
            "/gammel/",
            page("Gammel side", "<p>Denne side forsvinder.</p>"),
        ),
        ("/logo.png", file("image/png", LOGO_2026)),
        (
            "/main.css",
            file(
                "text/css",
                b"body { color: #222; }\nh1 { font-size: 2em; }\n",
            ),
        ),
    ])
}

/// The same site later: one page's text (and a link in it) changed, the logo replaced, a page
/// removed, a page added.
fn changed_site() -> Site {
    let mut site = frozen_site();
    site.insert(
        "/om/",
        page(
            "Om os",
            "<h1>Om os</h1>\n<p>Vi har arbejdet med Collective Impact siden 2014.</p>\n\
             <p>Fem betingelser for fælles resultater.</p>\n\
             <p>Læs også <a href=\"/ny/\">den nye side</a>.</p>\n<p>Kontakt: info@example.org</p>",
        ),
    );
    site.insert("/logo.png", file("image/png", LOGO_2031));
    site.remove("/gammel/");
    site.insert("/ny/", page("Ny side", "<p>Denne side er ny.</p>"));
    site
}

/// Three crawls of one site: two of it frozen, one of its changed copy.
struct Crawls {
    url: Url,
    old: PathBuf,
    again: PathBuf,
    changed: PathBuf,
    _dir: tempfile::TempDir,
}

fn crawls() -> &'static Crawls {
    static CRAWLS: OnceLock<Crawls> = OnceLock::new();
    CRAWLS.get_or_init(|| {
        let server = SiteServer::serve(frozen_site());
        let dir = tempfile::tempdir().expect("temp");
        let old = dir.path().join("2026");
        let again = dir.path().join("2026-again");
        let changed = dir.path().join("2031");
        crawl(server.url(), &old);
        crawl(server.url(), &again);
        server.set(changed_site());
        crawl(server.url(), &changed);
        Crawls {
            url: server.url().clone(),
            old,
            again,
            changed,
            _dir: dir,
        }
    })
}

fn read_warc_bytes(out: &Path) -> Vec<u8> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(out.join("warc"))
        .expect("warc/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| fs_err::read(f).expect("read"))
        .collect()
}

#[test]
fn two_crawls_of_an_unchanged_site_are_the_same() {
    let c = crawls();
    // They really are two crawls: other dates, record ids and Date headers.
    assert_ne!(read_warc_bytes(&c.old), read_warc_bytes(&c.again));
    let run = diff(&c.old, &c.again, &[]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(
        run.stdout.contains("UNCHANGED: 7 URLs in both crawls"),
        "{}",
        run.dump()
    );
    let json = diff(&c.old, &c.again, &["--format", "json"]).json();
    assert_eq!(json["schema"], "arkiv-diff/1");
    assert_eq!(json["identical"], true);
    assert_eq!(json["counts"]["unchanged"], 7, "{json:#}");
    assert_eq!(json["changes"].as_array().map(Vec::len), Some(0));
    assert_eq!(json["old"]["index"], "cdxj");
}

#[test]
fn a_changed_copy_reports_exactly_what_changed() {
    let c = crawls();
    let run = diff(&c.old, &c.changed, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(
        run.changes(&c.url),
        set(&[
            ("changed", "/om/"),
            ("changed", "/logo.png"),
            ("added", "/ny/"),
            ("removed", "/gammel/"),
        ]),
        "{}",
        run.dump()
    );
    let json = run.json();
    // `/`, `/nyheder/`, `/main.css`, robots.txt (a 404 both times)… are the same.
    assert_eq!(json["counts"]["unchanged"], 4, "{json:#}");
    assert_eq!(json["counts"]["changed"], 2);
    assert_eq!(json["identical"], false);

    let text = diff(&c.old, &c.changed, &[]);
    assert_eq!(text.code, Some(1));
    let om = c.url.join("om/").expect("url");
    for expected in [
        "changed (2)".to_string(),
        "added (1)".to_string(),
        "removed (1)".to_string(),
        format!("  {om} (200 text/html)"),
        "-Vi har arbejdet med Collective Impact siden 2012.".to_string(),
        "+Vi har arbejdet med Collective Impact siden 2014.".to_string(),
        "-Læs også den gamle side.".to_string(),
        "+Læs også den nye side.".to_string(),
        "links: 1 added, 1 removed".to_string(),
        format!("+ {}ny/ (a@href)", c.url),
        format!("- {}gammel/ (a@href)", c.url),
        "CHANGED: 2 changed, 1 added, 1 removed; 4 unchanged".to_string(),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected:?}\n{}",
            text.dump()
        );
    }
    // Unchanged context around the change, and nothing of what did not change near it.
    assert!(
        text.stdout
            .contains(" Fem betingelser for fælles resultater.")
    );
    assert!(!text.stdout.contains("Ingen nyheder"), "{}", text.dump());
}

#[test]
fn json_names_each_change_and_what_changed_about_it() {
    let c = crawls();
    let json = diff(&c.old, &c.changed, &["--format", "json"]).json();
    let change = |path: &str| -> Value {
        let url = c.url.join(path).expect("url").to_string();
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|ch| ch["url"] == url.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no change for {url}: {json:#}"))
    };
    let aspect = |change: &Value, name: &str| -> Value {
        change["aspects"]
            .as_array()
            .expect("aspects")
            .iter()
            .find(|a| a["aspect"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };

    let om = change("om/");
    let text = aspect(&om, "text");
    assert_eq!(
        (text["added"].as_u64(), text["removed"].as_u64()),
        (Some(2), Some(2)),
        "{om:#}"
    );
    assert!(
        text["diff"]
            .as_array()
            .is_some_and(|d| d.iter().any(|l| l == "+Læs også den nye side."))
    );
    let links = aspect(&om, "links");
    assert_eq!(
        links["added"][0]["url"],
        c.url.join("ny/").expect("url").as_str()
    );
    assert_eq!(links["added"][0]["context"], "a@href");
    assert_eq!(
        links["removed"][0]["url"],
        c.url.join("gammel/").expect("url").as_str()
    );
    assert_eq!(
        aspect(&om, "title"),
        Value::Null,
        "the title did not change"
    );
    assert_eq!(om["old"]["status"], 200);
    assert_ne!(om["old"]["timestamp"], Value::Null);

    let logo = change("logo.png");
    let payload = aspect(&logo, "payload");
    assert_eq!(payload["old_size"], LOGO_2026.len(), "{logo:#}");
    assert_eq!(payload["new_size"], LOGO_2031.len());
    assert_ne!(payload["old_digest"], payload["new_digest"]);
    assert!(
        payload["new_digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha1:"))
    );
    assert_eq!(
        logo["aspects"].as_array().map(Vec::len),
        Some(1),
        "only its bytes changed: {logo:#}"
    );
    assert_eq!(logo["new"]["content_type"], "image/png");

    let added = change("ny/");
    assert_eq!(added["old"], Value::Null);
    assert_eq!(added["new"]["status"], 200);
    let removed = change("gammel/");
    assert_eq!(removed["new"], Value::Null);
    assert!(
        removed["old"]["warc"]
            .as_str()
            .is_some_and(|w| w.ends_with(".warc.gz"))
    );
}

#[test]
fn junit_is_xml_with_a_failing_test_case_per_changed_url() {
    let c = crawls();
    let run = diff(&c.old, &c.changed, &["--format", "junit"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let doc =
        roxmltree::Document::parse(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("failures"), Some("4"));
    let failing: BTreeSet<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|n| n.children().any(|f| f.has_tag_name("failure")))
        .map(|n| {
            (
                n.attribute("classname").unwrap_or_default().to_string(),
                n.attribute("name")
                    .unwrap_or_default()
                    .replace(c.url.as_str(), "/"),
            )
        })
        .collect();
    assert_eq!(
        failing,
        set(&[
            ("arkiv.diff.changed", "/om/"),
            ("arkiv.diff.changed", "/logo.png"),
            ("arkiv.diff.added", "/ny/"),
            ("arkiv.diff.removed", "/gammel/"),
        ])
    );
    let om_failure = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("failure") && n.attribute("message").is_some_and(|m| m.contains("text"))
        })
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(
        om_failure.contains("+Vi har arbejdet med Collective Impact siden 2014."),
        "{om_failure}"
    );

    let same = diff(&c.old, &c.again, &["--format", "junit"]);
    assert_eq!(same.code, Some(0));
    let doc = roxmltree::Document::parse(&same.stdout).expect("XML");
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count()
            >= 1
    );
    assert!(!doc.descendants().any(|n| n.has_tag_name("failure")));
}

#[test]
fn summary_prints_only_the_counts() {
    let c = crawls();
    let run = diff(&c.old, &c.changed, &["--summary"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert!(
        run.stdout
            .contains("CHANGED: 2 changed, 1 added, 1 removed; 4 unchanged")
    );
    assert!(!run.stdout.contains("/om/"), "{}", run.dump());
    let json = diff(&c.old, &c.changed, &["--summary", "--format", "json"]).json();
    assert_eq!(json["counts"]["added"], 1);
    assert_eq!(json["changes"].as_array().map(Vec::len), Some(0));
}

#[test]
fn ignored_urls_are_left_out_of_both_crawls() {
    let c = crawls();
    let run = diff(
        &c.old,
        &c.changed,
        &[
            "--format", "json", "--ignore", r"\.png$", "--ignore", "/gammel/",
        ],
    );
    assert_eq!(
        run.changes(&c.url),
        set(&[("changed", "/om/"), ("added", "/ny/")]),
        "{}",
        run.dump()
    );
    assert_eq!(run.json()["counts"]["ignored"], 2);
}

#[test]
fn the_text_diff_is_capped_per_page() {
    let c = crawls();
    let run = diff(&c.old, &c.changed, &["--max-diff-lines", "3"]);
    assert!(
        run.stdout
            .contains("more diff lines (raise --max-diff-lines"),
        "{}",
        run.dump()
    );
    assert!(
        !run.stdout.contains("+Læs også den nye side."),
        "{}",
        run.dump()
    );
    let none = diff(&c.old, &c.changed, &["--max-diff-lines", "0"]);
    assert!(
        none.stdout.contains("text: 2 lines added, 2 removed"),
        "{}",
        none.dump()
    );
    assert!(!none.stdout.contains("@@"), "{}", none.dump());
}

/// A copy of a crawl's output folder, to break.
fn copy_of(out: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("copy");
    for sub in ["warc", "indexes"] {
        fs_err::create_dir_all(copy.join(sub)).expect("mkdir");
        for entry in fs_err::read_dir(out.join(sub)).expect("read_dir") {
            let path = entry.expect("entry").path();
            fs_err::copy(&path, copy.join(sub).join(path.file_name().expect("name")))
                .expect("copy");
        }
    }
    (dir, copy)
}

#[test]
fn a_crawl_without_its_index_is_read_from_its_warc_files() {
    let c = crawls();
    let (_dir, copy) = copy_of(&c.changed);
    fs_err::remove_file(copy.join("indexes/index.cdxj")).expect("rm");
    let with_index = diff(&c.old, &c.changed, &["--format", "json"]);
    let run = diff(&c.old, &copy, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(run.changes(&c.url), with_index.changes(&c.url));
    assert_eq!(run.json()["counts"], with_index.json()["counts"]);
    assert_eq!(run.json()["new"]["index"], "warc");
    assert!(
        run.stderr.contains("note:") && run.stderr.contains("no indexes/index.cdxj"),
        "{}",
        run.dump()
    );
    assert!(
        !copy.join("indexes/index.cdxj").exists(),
        "diff never writes into a crawl"
    );
}

#[test]
fn a_truncated_warc_tail_keeps_the_records_before_it() {
    let c = crawls();
    let (_dir, copy) = copy_of(&c.again);
    fs_err::remove_file(copy.join("indexes/index.cdxj")).expect("rm");
    let warc = fs_err::read_dir(copy.join("warc"))
        .expect("warc")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    let bytes = fs_err::read(&warc).expect("read");
    fs_err::write(&warc, &bytes[..bytes.len() - 40]).expect("cut");
    let run = diff(&c.old, &copy, &[]);
    assert_ne!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("truncated record at offset"),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr.contains("compared the whole records before it"),
        "{}",
        run.dump()
    );
}

#[test]
fn what_cannot_be_compared_exits_2_naming_the_path() {
    let c = crawls();
    let missing = Path::new("/nonexistent/arkiv-diff-old");
    let run = diff(missing, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr
            .contains("/nonexistent/arkiv-diff-old does not exist"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.is_empty());

    let empty = tempfile::tempdir().expect("temp");
    let run = diff(&c.old, empty.path(), &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("holds no warc/ folder") && run.stderr.contains("hint:"),
        "{}",
        run.dump()
    );

    // Not a WARC file, and no index to list it from.
    let garbage = tempfile::tempdir().expect("temp");
    fs_err::create_dir_all(garbage.path().join("warc")).expect("mkdir");
    let bad = garbage.path().join("warc/arkiv-1-00000.warc.gz");
    fs_err::write(&bad, b"this is no WARC file at all\n").expect("write");
    let run = diff(&c.old, garbage.path(), &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains(&bad.display().to_string()),
        "{}",
        run.dump()
    );

    // A broken index line, and one that names a file outside warc/.
    let (_dir, copy) = copy_of(&c.old);
    let index = copy.join("indexes/index.cdxj");
    let text = fs_err::read_to_string(&index).expect("index");
    fs_err::write(&index, format!("{text}not a cdxj line\n")).expect("write");
    let run = diff(&copy, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains(&index.display().to_string()),
        "{}",
        run.dump()
    );
    let hostile = text.replacen("\"filename\": \"", "\"filename\": \"../../", 1);
    fs_err::write(&index, hostile).expect("write");
    let run = diff(&copy, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("not a file in warc/"), "{}", run.dump());

    // Usage errors.
    let run = diff(&c.old, &c.changed, &["--ignore", "("]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("--ignore"), "{}", run.dump());
    let run = diff(&c.old, &c.changed, &["--rebase", "http://a/"]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("OLD_PREFIX=NEW_PREFIX") && run.stderr.contains("hint:"),
        "{}",
        run.dump()
    );
}

#[test]
fn redirect_changes_are_reported() {
    let before = Site::from([
        (
            "/",
            page(
                "Forside",
                "<a href=\"/flyttet\">flyttet</a> <a href=\"/side\">side</a> \
                 <a href=\"/gammel-adresse\">gammel adresse</a> <a href=\"/fast\">fast</a>",
            ),
        ),
        ("/flyttet", redirect("301 Moved Permanently", "/a/")),
        ("/side", page("Side", "<p>En side.</p>")),
        ("/gammel-adresse", redirect("302 Found", "/b/")),
        ("/fast", redirect("301 Moved Permanently", "/a/")),
        ("/a/", page("A", "<p>Side A.</p>")),
        ("/b/", page("B", "<p>Side B.</p>")),
    ]);
    let mut after = before.clone();
    after.insert("/flyttet", redirect("301 Moved Permanently", "/b/"));
    after.insert("/side", redirect("301 Moved Permanently", "/a/"));
    after.insert(
        "/gammel-adresse",
        page("Gammel adresse", "<p>Nu en side.</p>"),
    );
    let server = SiteServer::serve(before);
    let dir = tempfile::tempdir().expect("temp");
    crawl(server.url(), &dir.path().join("old"));
    server.set(after);
    crawl(server.url(), &dir.path().join("new"));
    let old = dir.path().join("old");
    let new = dir.path().join("new");

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(
        run.changes(server.url()),
        set(&[
            ("changed", "/flyttet"),
            ("changed", "/side"),
            ("changed", "/gammel-adresse"),
        ]),
        "a redirect whose target is the same (/fast) is unchanged: {}",
        run.dump()
    );
    let text = diff(&old, &new, &[]);
    let url = |p: &str| server.url().join(p).expect("url").to_string();
    for expected in [
        format!("redirect target: {} → {}", url("/a/"), url("/b/")),
        format!("now redirects to {}", url("/a/")),
        "status: 200 → 301".to_string(),
        format!("no longer redirects (it went to {})", url("/b/")),
        "status: 302 → 200".to_string(),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected:?}\n{}",
            text.dump()
        );
    }
}

#[test]
fn markup_only_changes_and_revisits() {
    let body = "<h1>Rapport</h1><p>Fem betingelser.</p><a href=\"/\">forside</a>";
    let before = Site::from([
        (
            "/",
            page(
                "Forside",
                "<a href=\"/rapport\">r</a> <a href=\"/kopi\">k</a> <a href=\"/layout\">l</a>",
            ),
        ),
        // The same bytes at two URLs: the second one crawled is archived as a revisit.
        ("/rapport", page("Rapport", body)),
        ("/kopi", page("Rapport", body)),
        ("/layout", page("Layout", "<div><p>Samme tekst.</p></div>")),
    ]);
    let mut after = before.clone();
    let changed = "<h1>Rapport</h1><p>Seks betingelser.</p><a href=\"/\">forside</a>";
    after.insert("/rapport", page("Rapport 2", changed));
    after.insert("/kopi", page("Rapport 2", changed));
    after.insert(
        "/layout",
        page("Layout", "<!-- ny skabelon -->\n<section class=\"x\">\n  <p>\n    Samme   tekst.\n  </p>\n</section>"),
    );
    let server = SiteServer::serve(before);
    let dir = tempfile::tempdir().expect("temp");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    crawl(server.url(), &old);
    server.set(after);
    crawl(server.url(), &new);
    let revisits = |out: &Path| {
        fs_err::read_to_string(out.join("indexes/index.cdxj"))
            .expect("index")
            .matches("warc/revisit")
            .count()
    };
    assert!(
        revisits(&old) >= 1 && revisits(&new) >= 1,
        "the test needs revisits"
    );

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(
        run.changes(server.url()),
        set(&[
            ("changed", "/rapport"),
            ("changed", "/kopi"),
            ("changed", "/layout")
        ]),
        "{}",
        run.dump()
    );
    let json = run.json();
    assert_eq!(json["counts"]["markup_only"], 1);
    for change in json["changes"].as_array().expect("changes") {
        let aspects: Vec<&str> = change["aspects"]
            .as_array()
            .expect("aspects")
            .iter()
            .filter_map(|a| a["aspect"].as_str())
            .collect();
        if change["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/layout"))
        {
            assert_eq!(aspects, ["payload", "markup"], "{change:#}");
        } else {
            // The revisit's text is read from the record that holds its payload.
            assert_eq!(aspects, ["payload", "title", "text"], "{change:#}");
            let diff = &change["aspects"][2]["diff"];
            assert!(
                diff.as_array()
                    .is_some_and(|d| d.iter().any(|l| l == "+Seks betingelser.")),
                "{change:#}"
            );
        }
    }
    let lenient = diff(&old, &new, &["--format", "json", "--ignore-markup"]);
    assert_eq!(
        lenient.changes(server.url()),
        set(&[("changed", "/rapport"), ("changed", "/kopi")]),
        "{}",
        lenient.dump()
    );
}

#[test]
fn a_fresh_crawl_of_the_fixture_is_what_the_reference_archive_holds() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/collective-impact");
    // The reference was crawled from a fixture server on another port, whichever it was.
    let index = fs_err::read_to_string(reference.join("indexes/index.cdxj")).expect("index");
    let first = index.lines().next().expect("a line");
    let line: Value =
        serde_json::from_str(first.splitn(3, ' ').nth(2).expect("json")).expect("json");
    let archived = Url::parse(line["url"].as_str().expect("url")).expect("url");
    let from = archived.origin().ascii_serialization();
    let fresh = crawled("collective-impact");
    let to = fresh.url.origin().ascii_serialization();

    let plain = diff(&reference, &fresh.out, &["--summary"]);
    assert_eq!(plain.code, Some(1), "nothing in common: {}", plain.dump());
    let hint = format!("--rebase {from}={to}");
    assert!(plain.stderr.contains(&hint), "{}", plain.dump());

    let rebase = format!("{from}={to}");
    let run = diff(&reference, &fresh.out, &["--rebase", &rebase]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let json = diff(
        &reference,
        &fresh.out,
        &["--rebase", &rebase, "--format", "json"],
    )
    .json();
    let captured = index.lines().filter(|l| l.contains("\"status\"")).count();
    assert_eq!(json["counts"]["unchanged"], captured, "{json:#}");
}

const HTML: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n";
const CSS: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n";

#[test]
fn retries_cut_short_records_and_encodings_are_no_changes() {
    let dir = tempfile::tempdir().expect("temp");
    let page = b"<!doctype html><title>Side</title><p>Samme tekst.</p>";
    let css = b"body { color: #222; }\nh1 { font-size: 2em; }\n";
    let json = br#"{"sider": ["/", "/om/"], "opdateret": false}"#;
    let image: Vec<u8> = (0..=255u8).cycle().take(3000).collect();

    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    // A real answer, then a "come back later" (a resumed crawl asked again): the answer counts.
    old.response("http://example.org/side", HTML, page);
    old.response(
        "http://example.org/side",
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/html\r\n",
        b"<p>Kom igen senere.</p>",
    );
    old.response("http://example.org/stil.css", CSS, css);
    old.chunked(
        "http://example.org/data.json",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
        json,
        7,
    );
    old.response(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
    );
    let old = old.finish();

    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.response("http://example.org/side", HTML, page);
    new.gzipped("http://example.org/stil.css", CSS, css);
    new.response(
        "http://example.org/data.json",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
        json,
    );
    // Whole, then cut short on a later fetch: the whole one is the capture, whichever came last.
    new.response(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
    );
    new.cut_short(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
        1000,
    );
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(run.json()["counts"]["unchanged"], 4, "{}", run.dump());
}

#[test]
fn a_revisit_is_read_from_the_crawl_that_holds_its_payload() {
    let dir = tempfile::tempdir().expect("temp");
    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    let first = old.response(
        "http://example.org/a",
        HTML,
        "<p>Første tekst.</p>".as_bytes(),
    );
    old.response("http://example.org/b", HTML, b"<p>Anden tekst.</p>");
    let old = old.finish();
    // As `arkiv crawl --dedup-from OLD` writes it: revisits of the old crawl's records.
    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.revisit("http://example.org/a", HTML, &first);
    new.revisit("http://example.org/b", HTML, &first);
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let json = run.json();
    let changes = json["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{json:#}");
    assert_eq!(changes[0]["url"], "http://example.org/b");
    assert_eq!(changes[0]["new"]["revisit"], true);
    let text = &changes[0]["aspects"][1];
    assert_eq!(text["aspect"], "text", "{json:#}");
    assert_eq!(
        text["diff"],
        serde_json::json!(["@@ -1 +1 @@", "-Anden tekst.", "+Første tekst."])
    );
    assert_eq!(
        changes[0]["aspects"][0]["new_size"],
        "<p>Første tekst.</p>".len()
    );
}

#[test]
fn status_content_type_and_whitespace_changes_are_told_apart() {
    let dir = tempfile::tempdir().expect("temp");
    let body = "<p>Blåbærgrød</p>".as_bytes();
    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    old.response("http://example.org/side", HTML, body);
    old.response("http://example.org/stil.css", CSS, b"a { color: red; }\n");
    old.response(
        "http://example.org/tekst.txt",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
        b"Hej  verden\n",
    );
    old.response("http://example.org/ud", HTML, b"<p>Her</p>");
    let old = old.finish();
    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.response(
        "http://example.org/side",
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=windows-1252\r\n",
        body,
    );
    new.response(
        "http://example.org/stil.css",
        CSS,
        b"a {\n  color: blue;\n}\n",
    );
    new.response(
        "http://example.org/tekst.txt",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
        b"Hej verden\r\n",
    );
    new.response(
        "http://example.org/ud",
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n",
        b"<p>Her</p>",
    );
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let json = run.json();
    let aspects = |path: &str| -> Vec<String> {
        let url = format!("http://example.org{path}");
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["url"] == url.as_str())
            .map(|c| {
                c["aspects"]
                    .as_array()
                    .expect("aspects")
                    .iter()
                    .map(|a| a["aspect"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        aspects("/side"),
        ["content-type"],
        "same bytes, read in another charset: {json:#}"
    );
    assert_eq!(aspects("/stil.css"), ["payload", "text"]);
    assert_eq!(
        aspects("/tekst.txt"),
        ["payload"],
        "a whitespace-only change shows no text diff"
    );
    assert_eq!(aspects("/ud"), ["status", "content-type"], "{json:#}");
    let text = diff(&old, &new, &[]);
    for expected in [
        "content type: text/html; charset=UTF-8 → text/html; charset=windows-1252",
        "status: 200 → 404",
        "-a { color: red; }",
        "+color: blue;",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected:?}\n{}",
            text.dump()
        );
    }
}

#[test]
fn an_index_that_does_not_match_its_warc_files_exits_2() {
    let dir = tempfile::tempdir().expect("temp");
    let mut crawl = Handmade::new(&dir.path().join("old"), 2026);
    crawl.response("http://example.org/a", HTML, b"<p>A</p>");
    crawl.response("http://example.org/b", HTML, b"<p>B</p>");
    let out = crawl.finish();
    let index_path = out.join("indexes/index.cdxj");
    let index = fs_err::read_to_string(&index_path).expect("index");
    let offsets: Vec<String> = index
        .lines()
        .map(|l| {
            l.split("\"offset\": \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("offset")
                .to_string()
        })
        .collect();
    let swapped = index
        .replace(
            &format!("\"offset\": \"{}\"", offsets[0]),
            "\"offset\": \"X\"",
        )
        .replace(
            &format!("\"offset\": \"{}\"", offsets[1]),
            &format!("\"offset\": \"{}\"", offsets[0]),
        )
        .replace(
            "\"offset\": \"X\"",
            &format!("\"offset\": \"{}\"", offsets[1]),
        );
    fs_err::write(&index_path, swapped).expect("write");
    let run = diff(&out, &out, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr
            .contains("the index does not match the WARC files"),
        "{}",
        run.dump()
    );
}

#[test]
fn a_template_change_on_every_page_is_shown_once() {
    let with_footer = |year: &str, extra_link: bool| -> Site {
        let footer = format!(
            "<footer><p>© {year} Realdania</p>{}</footer>",
            if extra_link {
                "<a href=\"/presse/\">Presse</a>"
            } else {
                ""
            }
        );
        let mut site = Site::new();
        for (path, title, text) in [
            (
                "/",
                "Forside",
                "<a href=\"/a/\">a</a> <a href=\"/b/\">b</a>",
            ),
            ("/a/", "A", "<p>Side A.</p>"),
            ("/b/", "B", "<p>Side B.</p>"),
        ] {
            site.insert(path, page(title, &format!("<main>{text}</main>{footer}")));
        }
        site.insert("/presse/", page("Presse", "<p>Presse.</p>"));
        site
    };
    let server = SiteServer::serve(with_footer("2026", false));
    let dir = tempfile::tempdir().expect("temp");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    crawl(server.url(), &old);
    server.set(with_footer("2031", true));
    crawl(server.url(), &new);

    let run = diff(&old, &new, &[]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(
        run.stdout.matches("+© 2031 Realdania").count(),
        1,
        "{}",
        run.dump()
    );
    let first = server.url().as_str();
    let same_text = format!("text: 2 lines added, 1 removed, the same change as {first}");
    let same_links = format!("links: 1 added, 0 removed, the same change as {first}");
    assert_eq!(run.stdout.matches(&same_text).count(), 2, "{}", run.dump());
    assert_eq!(run.stdout.matches(&same_links).count(), 2, "{}", run.dump());
    // JSON and JUnit keep each change whole.
    let json = diff(&old, &new, &["--format", "json"]).json();
    let texts = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["aspects"].to_string().contains("+© 2031 Realdania"))
        .count();
    assert_eq!(texts, 3, "{json:#}");
}
