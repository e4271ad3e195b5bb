//! Fuzzes robots.txt handling: any bytes parse, decisions are deterministic, and `/robots.txt`
//! itself is always allowed.
#![no_main]

use arkiv::crawl::robots::Robots;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    // The first line is a path to ask about; the rest is the robots.txt body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (path, body) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let robots_url = Url::parse("https://example.com/robots.txt").expect("robots url");

    let robots = Robots::parse(body, "arkiv", &robots_url);
    assert_eq!(robots, Robots::parse(body, "arkiv", &robots_url));
    assert_eq!(robots, Robots::from_status(200, body, "arkiv", &robots_url));
    for other in [
        Robots::parse(body, "*", &robots_url),
        Robots::parse(body, "", &robots_url),
    ] {
        let _ = other.allowed(&robots_url);
    }
    assert!(robots.allowed(&robots_url), "/robots.txt must stay allowed");
    if let Some(delay) = robots.crawl_delay() {
        assert!(
            delay.as_secs() <= 86_400,
            "crawl delay {delay:?} is not capped"
        );
    }

    let path = String::from_utf8_lossy(path);
    let base = Url::parse("https://example.com/").expect("base");
    for url in [base.join(&path), Url::parse(&path)].into_iter().flatten() {
        let first = robots.allowed(&url);
        assert_eq!(
            first,
            robots.allowed(&url),
            "{url} decided twice differently"
        );
        assert!(!Robots::disallow_all().allowed(&url) || url.path() == "/robots.txt");
        assert!(Robots::allow_all().allowed(&url));
    }
});
