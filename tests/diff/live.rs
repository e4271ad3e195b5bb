//! Crawls of small sites changed in one way each: redirects, markup only, revisits, a template
//! change on every page.

use std::path::Path;

use super::site::{Site, SiteServer, page, redirect};
use super::{crawl, diff, set};

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
