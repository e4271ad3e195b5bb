//! Integration tests on small purpose-built sites: declines that depend on how a URL was found
//! (one variant too many, too deep, seen first on an offsite page) give way when the site itself
//! leads there another way, while a calendar still stops and an error page leads nowhere.

use url::Url;

use crate::support::arkiv;
use crate::support::tiny_site::{Answer, not_found, serve};

const ITEMS: u32 = 150;
const TRAP_AFTER: u32 = 20;

/// A crawl of a tiny site that ended with exit 0, and its `reports/crawl.log`.
struct Crawl {
    site: Url,
    log: String,
}

impl Crawl {
    fn of(site: &Url, extra: &[&str]) -> Crawl {
        let dir = tempfile::tempdir().expect("temp");
        let out = dir.path().join("out");
        let output = arkiv()
            .args(["--quiet", "crawl", site.as_str(), "--no-mirror"])
            .args(extra)
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
        Crawl {
            site: site.clone(),
            log,
        }
    }

    /// `(path, outcome)` per crawl.log line of the site, in order.
    fn outcomes(&self) -> Vec<(String, String)> {
        let site = self.site.as_str();
        self.log
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                let url = fields.iter().find(|f| f.starts_with(site))?;
                Some((
                    url[site.len() - 1..].to_string(),
                    fields.last()?.to_string(),
                ))
            })
            .collect()
    }

    /// The outcomes of one path, in order.
    fn outcomes_of(&self, path: &str) -> Vec<String> {
        self.outcomes()
            .into_iter()
            .filter(|(p, _)| p == path)
            .map(|(_, o)| o)
            .collect()
    }
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

#[test]
fn a_page_too_deep_by_one_path_is_taken_by_a_shorter_one() {
    let crawl = Crawl::of(&serve(two_paths), &["--max-depth", "2"]);
    assert_eq!(
        crawl.outcomes_of("/maal"),
        ["max-depth", "archived"],
        "{:#?}",
        crawl.outcomes()
    );
}

#[test]
fn a_calendar_is_cut_off_and_every_listed_item_is_taken() {
    let crawl = Crawl::of(
        &serve(listing_and_calendar),
        &["--trap-after", &TRAP_AFTER.to_string()],
    );
    let log = &crawl.log;
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
    // The first month is found on the listing (another shape), the next TRAP_AFTER on months.
    assert_eq!(
        months,
        TRAP_AFTER as usize + 1,
        "the calendar stops at the variant limit:\n{log}"
    );
    assert!(
        log.contains("trap-no-new-content"),
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
    let crawl = Crawl::of(&serve(error_page_with_relative_links), &[]);
    let got = crawl.outcomes();
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

/// `/` embeds a widget from another site and links `/side`, which answers late; the widget links
/// back to `/kontakt`, which `/side` links too.
fn home_with_widget(widget: &Url) -> impl Fn(&str, &str) -> Answer + Send + Sync + 'static {
    let widget = widget.clone();
    move |target, _| match target {
        "/" => (
            "200 OK",
            format!(
                "<!doctype html><title>Forside</title><a href=\"/side\">Side</a>\
                 <iframe src=\"{widget}widget\"></iframe>"
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

#[test]
fn a_page_first_seen_on_an_offsite_page_is_taken_from_the_site_itself() {
    // The widget links back to the home site, which is started after it.
    let home_url = std::sync::Arc::new(std::sync::OnceLock::<Url>::new());
    let home_for_widget = std::sync::Arc::clone(&home_url);
    let widget = serve(move |target, _| match target {
        "/widget" => (
            "200 OK",
            format!(
                "<!doctype html><title>Widget</title><a href=\"{}kontakt\">Kontakt</a>",
                home_for_widget.get().expect("home site")
            ),
        ),
        _ => not_found(),
    });
    let home = serve(home_with_widget(&widget));
    home_url.set(home.clone()).expect("set once");
    let crawl = Crawl::of(&home, &[]);
    assert_eq!(
        crawl.outcomes_of("/kontakt"),
        ["not-followed-from-offsite", "archived"],
        "{:#?}",
        crawl.outcomes()
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
    let log = Crawl::of(&site, &[]).log;
    for path in ["velkommen", "side"] {
        let url = format!("{site}{path}");
        assert!(
            log.lines()
                .any(|l| l.split(' ').nth(1) == Some("200") && l.split(' ').any(|f| f == url)),
            "{url} archived as 200:\n{log}"
        );
    }
}
