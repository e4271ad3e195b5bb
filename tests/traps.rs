//! Integration tests on small purpose-built sites: declines that depend on how a URL was found
//! (one variant too many, too deep, seen first on an offsite page) give way when the site itself
//! leads there another way, while a calendar still stops and an error page leads nowhere.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

use url::Url;

use crate::support::arkiv;

const ITEMS: u32 = 150;
const MAX_VARIANTS: u32 = 20;

/// What a test site answers: status line and HTML body, and extra header lines.
type Answer = (&'static str, String);

/// Serves `answer(request target, request head) -> (status line, HTML body)` on its own port, a
/// thread per connection (so one slow page does not hold the others up), until the test process
/// ends. A body starting with `Set-Cookie:` or `Location:` lines up to a blank line sends those
/// as headers.
fn serve(answer: fn(&str, &str) -> Answer) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url =
        Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                let mut head = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    head.push_str(&line);
                    line.clear();
                }
                let target = request_line.split(' ').nth(1).unwrap_or("/");
                let (status, body) = answer(target, &head);
                let (headers, body) = match body.split_once("\r\n\r\n") {
                    Some((headers, body)) if headers.contains(": ") && !headers.contains('<') => {
                        (format!("{headers}\r\n"), body.to_string())
                    }
                    _ => (String::new(), body),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{headers}\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

fn not_found() -> Answer {
    (
        "404 Not Found",
        "<!doctype html><title>Ikke fundet</title>".to_string(),
    )
}

/// `/` lists ITEMS items `/vare?id=N` (each also links the next, as "related" links do) and a
/// calendar `/kalender?m=N` whose every month links the next one.
fn listing_and_calendar(target: &str, _head: &str) -> Answer {
    let number = |prefix: &str| -> Option<u32> { target.strip_prefix(prefix)?.parse().ok() };
    if target == "/" {
        let mut body = String::from("<!doctype html><title>Varer</title><ul>");
        for id in 1..=ITEMS {
            body += &format!("<li><a href=\"/vare?id={id}\">Vare {id}</a>");
        }
        body += "</ul><a href=\"/kalender?m=0\">Kalender</a>";
        ("200 OK", body)
    } else if let Some(id) = number("/vare?id=") {
        let next = id % ITEMS + 1;
        (
            "200 OK",
            format!(
                "<!doctype html><title>Vare {id}</title><a href=\"/\">Alle varer</a> \
                 <a href=\"/vare?id={next}\">Se også vare {next}</a>"
            ),
        )
    } else if let Some(month) = number("/kalender?m=") {
        (
            "200 OK",
            format!(
                "<!doctype html><title>Måned {month}</title>\
                 <a href=\"/kalender?m={}\">Næste måned</a>",
                month + 1
            ),
        )
    } else {
        not_found()
    }
}

/// `/maal` lies 3 links deep through `/a` → `/a2`, and 2 deep through `/b`, which answers late:
/// the deep path finds it first.
fn two_paths(target: &str, _head: &str) -> Answer {
    let page = |title: &str, links: &[&str]| {
        let links: String = links
            .iter()
            .map(|l| format!("<a href=\"{l}\">{l}</a> "))
            .collect();
        (
            "200 OK",
            format!("<!doctype html><title>{title}</title>{links}"),
        )
    };
    match target {
        "/" => page("Forside", &["/a", "/b"]),
        "/a" => page("A", &["/a2"]),
        "/a2" => page("A2", &["/maal"]),
        "/b" => {
            std::thread::sleep(std::time::Duration::from_millis(3000));
            page("B", &["/maal"])
        }
        "/maal" => page("Mål", &[]),
        _ => not_found(),
    }
}

/// The crawl's outcome per URL path, as `reports/crawl.log` gives it (the last line wins).
fn outcomes(out: &std::path::Path, site: &Url) -> Vec<(String, String)> {
    let log = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    log.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let url = fields.iter().find(|f| f.starts_with(site.as_str()))?;
            Some((
                url[site.as_str().len() - 1..].to_string(),
                fields.last()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn a_page_too_deep_by_one_path_is_taken_by_a_shorter_one() {
    let site = serve(two_paths);
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .args([
            "--quiet",
            "crawl",
            site.as_str(),
            "--no-mirror",
            "--max-depth",
            "2",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = outcomes(&out, &site);
    let of = |path: &str| -> Vec<&str> {
        got.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, o)| o.as_str())
            .collect()
    };
    assert_eq!(of("/maal"), ["max-depth", "archived"], "{got:#?}");
}

#[test]
fn a_calendar_is_cut_off_and_every_listed_item_is_taken() {
    let site = serve(listing_and_calendar);
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .args(["--quiet", "crawl", site.as_str(), "--no-mirror"])
        .args(["--max-variants", &MAX_VARIANTS.to_string()])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("arkiv crawl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let log = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    let archived = |path: &str| {
        log.lines()
            .filter(|l| l.contains(path) && l.ends_with(" archived"))
            .count()
    };
    assert_eq!(
        archived("/vare?id="),
        ITEMS as usize,
        "every item of the listing is archived:\n{log}"
    );
    let months = archived("/kalender?m=");
    // The first month is found on the listing (another shape), the next MAX_VARIANTS on months.
    assert_eq!(
        months,
        MAX_VARIANTS as usize + 1,
        "the calendar stops at the variant limit:\n{log}"
    );
    assert!(
        log.contains("trap-too-many-variants"),
        "the cut is logged with its reason:\n{log}"
    );
}

/// Every missing path answers 404 with the same page, whose relative links resolve anew below
/// each missing path (as a web server's custom error page often does).
fn error_page_with_relative_links(target: &str, _head: &str) -> Answer {
    match target {
        "/" => (
            "200 OK",
            "<!doctype html><title>Forside</title><a href=\"/mangler/\">Død link</a>".to_string(),
        ),
        "/logo.svg" => (
            "200 OK",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_string(),
        ),
        _ => (
            "404 Not Found",
            "<!doctype html><title>Ikke fundet</title><img src=\"/logo.svg\">\
             <a href=\"hjaelp/\">Hjælp</a> <a href=\"soeg/\">Søg</a>"
                .to_string(),
        ),
    }
}

#[test]
fn an_error_page_gives_its_images_but_not_its_links() {
    let site = serve(error_page_with_relative_links);
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .args(["--quiet", "crawl", site.as_str(), "--no-mirror"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = outcomes(&out, &site);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        paths.contains(&"/mangler/"),
        "the dead link is archived: {got:#?}"
    );
    assert!(
        paths.contains(&"/logo.svg"),
        "the error page's image is archived: {got:#?}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/mangler/h") || p.starts_with("/mangler/s")),
        "the error page's own links are not followed: {got:#?}"
    );
}

/// The crawled site, for the offsite widget's link back to it.
static HOME: std::sync::OnceLock<Url> = std::sync::OnceLock::new();

/// `/` embeds a widget from another site and links `/side`, which answers late; the widget links
/// back to `/kontakt`, which `/side` links too.
fn home_with_widget(target: &str, _head: &str) -> Answer {
    match target {
        "/" => (
            "200 OK",
            format!(
                "<!doctype html><title>Forside</title><a href=\"/side\">Side</a>\
                 <iframe src=\"{}widget\"></iframe>",
                WIDGET.get().expect("widget site")
            ),
        ),
        "/side" => {
            std::thread::sleep(std::time::Duration::from_millis(3000));
            (
                "200 OK",
                "<!doctype html><title>Side</title><a href=\"/kontakt\">Kontakt</a>".to_string(),
            )
        }
        "/kontakt" => (
            "200 OK",
            "<!doctype html><title>Kontakt</title>".to_string(),
        ),
        _ => not_found(),
    }
}

static WIDGET: std::sync::OnceLock<Url> = std::sync::OnceLock::new();

fn widget(target: &str, _head: &str) -> Answer {
    match target {
        "/widget" => (
            "200 OK",
            format!(
                "<!doctype html><title>Widget</title><a href=\"{}kontakt\">Kontakt</a>",
                HOME.get().expect("home site")
            ),
        ),
        _ => not_found(),
    }
}

#[test]
fn a_page_first_seen_on_an_offsite_page_is_taken_from_the_site_itself() {
    let home = serve(home_with_widget);
    let widget_site = serve(widget);
    HOME.set(home.clone()).expect("set once");
    WIDGET.set(widget_site).expect("set once");
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .args(["--quiet", "crawl", home.as_str(), "--no-mirror"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = outcomes(&out, &home);
    let of = |path: &str| -> Vec<&str> {
        got.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, o)| o.as_str())
            .collect()
    };
    assert_eq!(
        of("/kontakt"),
        ["not-followed-from-offsite", "archived"],
        "{got:#?}"
    );
}

/// A cookie wall: without the site's cookie every page is refused; `/` sets it and redirects to
/// `/velkommen`, as consent pages and load balancers do.
fn cookie_wall(target: &str, head: &str) -> Answer {
    let has_cookie = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("cookie:") && l.contains("samtykke=ja"));
    match (target, has_cookie) {
        ("/robots.txt", _) => not_found(),
        ("/", _) => (
            "302 Found",
            "Set-Cookie: samtykke=ja; Path=/; HttpOnly\r\nLocation: /velkommen\r\n\r\n".to_string(),
        ),
        (_, false) => (
            "403 Forbidden",
            "<!doctype html><title>Cookies kræves</title>".to_string(),
        ),
        ("/velkommen", true) => (
            "200 OK",
            "<!doctype html><title>Velkommen</title><a href=\"/side\">Side</a>".to_string(),
        ),
        ("/side", true) => ("200 OK", "<!doctype html><title>Side</title>".to_string()),
        _ => not_found(),
    }
}

#[test]
fn a_cookie_the_site_sets_is_sent_back() {
    let site = serve(cookie_wall);
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out");
    let output = arkiv()
        .args(["--quiet", "crawl", site.as_str(), "--no-mirror"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    for path in ["velkommen", "side"] {
        let url = format!("{site}{path}");
        assert!(
            log.lines()
                .any(|l| l.split(' ').nth(1) == Some("200") && l.split(' ').any(|f| f == url)),
            "{url} archived as 200:\n{log}"
        );
    }
}
