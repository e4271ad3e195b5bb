//! A site crawled, crawled again unchanged, and crawled after one page's text and a link
//! changed, the logo was replaced, a page removed and one added: what each format reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use url::Url;

use super::site::{Site, SiteServer, file, page};
use super::{crawl, diff, set};

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
pub(super) struct Crawls {
    pub url: Url,
    pub old: PathBuf,
    pub again: PathBuf,
    pub changed: PathBuf,
    _dir: tempfile::TempDir,
}

pub(super) fn crawls() -> &'static Crawls {
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
