//! Session cookies for one crawl (RFC 6265, the parts a crawler needs): what a site sets with
//! `Set-Cookie` is sent back on later requests to it, as wget and a browser do.
//!
//! Sites that check for a cookie (a consent wall, a load balancer's sticky session) otherwise
//! answer every request with a redirect or an error page. Cookies live for the run only (they
//! are in the WARC's request records, not in the crawl state), expire as the site says, and are
//! bounded in size and number so a hostile server cannot grow the jar without end.
//!
//! Cookies from a `cookies.txt` file (`--load-cookies`, [`CookieJar::load`]) join them, marked as
//! loaded: their values are the user's session, which request records must not carry in the clear
//! (see `crate::warc::redact`). Sites cannot push them out of the jar by setting many cookies; a
//! `Set-Cookie` of the same name, domain and path replaces one, and the new value is the site's.

use std::time::SystemTime;

use url::Url;

use crate::auth::FileCookie;

/// Longest `name=value` kept (browsers keep at least 4096 bytes).
const MAX_COOKIE_BYTES: usize = 4096;
/// Cookies kept per domain, and in all; beyond that the oldest go.
const MAX_PER_DOMAIN: usize = 50;
const MAX_COOKIES: usize = 3000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Cookie {
    name: String,
    value: String,
    /// Lower-case host or domain, without a leading dot.
    domain: String,
    /// Sent only to exactly `domain` (no `Domain` attribute was given).
    host_only: bool,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
    /// From a cookies.txt file, not set by a site.
    loaded: bool,
}

/// The cookies of one crawl.
#[derive(Debug, Default)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// Takes the `Set-Cookie` header values of a response to `url`.
    pub fn store<'a>(&mut self, url: &Url, set_cookie: impl IntoIterator<Item = &'a [u8]>) {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return;
        };
        let now = SystemTime::now();
        for value in set_cookie {
            let Some(cookie) = parse(&String::from_utf8_lossy(value), url, &host, now) else {
                continue;
            };
            self.cookies.retain(|c| {
                !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
            });
            if cookie.expires.is_some_and(|t| t <= now) {
                continue; // an expiry in the past deletes the cookie
            }
            // The limits count, and push out, only what sites set.
            let same_domain = |c: &Cookie| !c.loaded && c.domain == cookie.domain;
            if self.cookies.iter().filter(|c| same_domain(c)).count() >= MAX_PER_DOMAIN
                && let Some(oldest) = self.cookies.iter().position(same_domain)
            {
                self.cookies.remove(oldest);
            }
            if self.cookies.iter().filter(|c| !c.loaded).count() >= MAX_COOKIES
                && let Some(oldest) = self.cookies.iter().position(|c| !c.loaded)
            {
                self.cookies.remove(oldest);
            }
            self.cookies.push(cookie);
        }
    }

    /// Adds cookies read from a cookies.txt file, marked as loaded (one of the same name, domain
    /// and path already in the jar is replaced). Expired ones are left out; returns how many were
    /// added.
    pub fn load<'a>(&mut self, cookies: impl IntoIterator<Item = &'a FileCookie>) -> usize {
        let now = SystemTime::now();
        let mut added = 0;
        for file in cookies {
            if file.expires.is_some_and(|t| t <= now) {
                continue;
            }
            let cookie = Cookie {
                name: file.name.clone(),
                value: file.value.expose().to_owned(),
                domain: file.domain.clone(),
                host_only: !file.include_subdomains,
                path: file.path.clone(),
                secure: file.secure,
                expires: file.expires,
                loaded: true,
            };
            self.cookies.retain(|c| {
                !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
            });
            self.cookies.push(cookie);
            added += 1;
        }
        added
    }

    /// Name and value of every loaded cookie still in the jar. The crawl's redaction rules are
    /// made from the files themselves (a cookie the site replaced keeps the site's value, which
    /// the rules then do not match); the tests read the jar's side of that here.
    #[cfg(test)]
    pub fn loaded(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cookies
            .iter()
            .filter(|c| c.loaded)
            .map(|c| (c.name.as_str(), c.value.as_str()))
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies: longer paths
    /// first, then in the order they were set (RFC 6265 §5.4).
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let now = SystemTime::now();
        let mut matching: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| {
                let domain_ok = if c.host_only {
                    host == c.domain
                } else {
                    domain_match(&host, &c.domain)
                };
                domain_ok
                    && path_match(url.path(), &c.path)
                    && (!c.secure || url.scheme() == "https")
                    && c.expires.is_none_or(|t| t > now)
            })
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }
}

/// One `Set-Cookie` value; `None` when it is to be ignored (RFC 6265 §5.2, §5.3).
fn parse(header: &str, url: &Url, host: &str, now: SystemTime) -> Option<Cookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty()
        || name.len() + value.len() > MAX_COOKIE_BYTES
        || !(name.chars().chain(value.chars())).all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return None;
    }
    let mut cookie = Cookie {
        name: name.to_string(),
        value: value.to_string(),
        domain: host.to_string(),
        host_only: true,
        path: default_path(url),
        secure: false,
        expires: None,
        loaded: false,
    };
    let mut max_age_seen = false;
    for attribute in parts {
        let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
        let (key, val) = (key.trim(), val.trim());
        if key.eq_ignore_ascii_case("domain") {
            let domain = val.trim_start_matches('.').to_ascii_lowercase();
            if domain.is_empty() {
                continue;
            }
            // A cookie for another site, or for a whole top-level domain, is refused.
            if !domain_match(host, &domain) || !domain.contains('.') && domain != host {
                return None;
            }
            cookie.domain = domain;
            cookie.host_only = false;
        } else if key.eq_ignore_ascii_case("path") {
            if val.starts_with('/') {
                cookie.path = val.to_string();
            }
        } else if key.eq_ignore_ascii_case("secure") {
            cookie.secure = true;
        } else if key.eq_ignore_ascii_case("max-age") {
            if let Ok(seconds) = val.parse::<i64>() {
                max_age_seen = true;
                cookie.expires = Some(if seconds <= 0 {
                    SystemTime::UNIX_EPOCH
                } else {
                    now + std::time::Duration::from_secs(seconds.unsigned_abs())
                });
            }
        } else if key.eq_ignore_ascii_case("expires") && !max_age_seen {
            // Max-Age wins over Expires; an unparsable date leaves a session cookie.
            if let Ok(when) = httpdate::parse_http_date(val) {
                cookie.expires = Some(when);
            }
        }
    }
    Some(cookie)
}

/// `host` is `domain` or below it (never for IP addresses, which only match themselves).
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    !is_ip
        && host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// The folder of the request path, the path a cookie applies to when it names none.
fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

/// RFC 6265 §5.1.4: the cookie path is the request path or a folder above it.
fn path_match(request: &str, cookie: &str) -> bool {
    request == cookie
        || request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    fn jar_with(at: &str, headers: &[&str]) -> CookieJar {
        let mut jar = CookieJar::default();
        jar.store(&url(at), headers.iter().map(|h| h.as_bytes()));
        jar
    }

    #[test]
    fn a_cookie_goes_back_to_its_host_and_path() {
        let jar = jar_with("http://example.org/a/b", &["sid=1", "top=2; Path=/"]);
        assert_eq!(
            jar.header_for(&url("http://example.org/a/c")).as_deref(),
            Some("sid=1; top=2")
        );
        assert_eq!(
            jar.header_for(&url("http://example.org/x")).as_deref(),
            Some("top=2")
        );
        assert_eq!(jar.header_for(&url("http://www.example.org/a/c")), None);
        assert_eq!(jar.header_for(&url("http://other.org/")), None);
    }

    #[test]
    fn domain_cookies_reach_subdomains_but_never_other_sites() {
        let jar = jar_with(
            "https://www.example.org/",
            &[
                "a=1; Domain=.example.org",
                "b=2; Domain=evil.com",
                "c=3; Domain=org",
                "d=4; Secure",
            ],
        );
        assert_eq!(
            jar.header_for(&url("http://docs.example.org/")).as_deref(),
            Some("a=1")
        );
        assert_eq!(
            jar.header_for(&url("https://www.example.org/")).as_deref(),
            Some("a=1; d=4")
        );
        assert_eq!(jar.header_for(&url("http://evil.com/")), None);
    }

    #[test]
    fn max_age_and_expires_delete_and_replace() {
        let mut jar = jar_with("http://h.example/", &["a=1", "b=2"]);
        jar.store(
            &url("http://h.example/"),
            [
                b"a=; Max-Age=0".as_slice(),
                b"b=3; Expires=Wed, 21 Oct 2099 07:28:00 GMT".as_slice(),
                b"c=4; Expires=Wed, 21 Oct 2015 07:28:00 GMT".as_slice(),
            ],
        );
        assert_eq!(
            jar.header_for(&url("http://h.example/")).as_deref(),
            Some("b=3")
        );
    }

    #[test]
    fn ip_hosts_match_only_themselves_and_the_jar_stays_bounded() {
        let mut jar = jar_with("http://127.0.0.1:8080/", &["a=1; Domain=0.0.1"]);
        assert_eq!(jar.header_for(&url("http://127.0.0.1:9/")), None);
        for i in 0..(MAX_PER_DOMAIN + 10) {
            let header = format!("n{i}=v");
            jar.store(&url("http://127.0.0.1/"), [header.as_bytes()]);
        }
        let sent = jar.header_for(&url("http://127.0.0.1/")).expect("cookies");
        assert_eq!(sent.split("; ").count(), MAX_PER_DOMAIN);
        assert!(!sent.contains("n0=v"), "the oldest went first");
        let huge = format!("big={}", "x".repeat(MAX_COOKIE_BYTES));
        jar.store(&url("http://127.0.0.1/"), [huge.as_bytes()]);
        assert!(
            !jar.header_for(&url("http://127.0.0.1/"))
                .expect("c")
                .contains("big=")
        );
    }

    fn loaded_file(text: &str) -> Vec<FileCookie> {
        crate::auth::parse_cookie_file(text.as_bytes(), SystemTime::now())
            .expect("cookie file")
            .cookies
    }

    #[test]
    fn loaded_cookies_honour_domain_path_secure_and_expiry() {
        let file = loaded_file(
            "intranet.example\tFALSE\t/medlemmer/\tFALSE\t0\tsid\ts3cret\n\
             .example.org\tTRUE\t/\tTRUE\t4102444800\twide\tw\n\
             gone.example\tFALSE\t/\tFALSE\t1\told\to\n",
        );
        let mut jar = CookieJar::default();
        assert_eq!(jar.load(&file), 2);
        assert_eq!(
            jar.header_for(&url("http://intranet.example/medlemmer/a"))
                .as_deref(),
            Some("sid=s3cret")
        );
        assert_eq!(
            jar.header_for(&url("http://intranet.example/medlemmerne")),
            None
        );
        assert_eq!(
            jar.header_for(&url("http://www.intranet.example/medlemmer/")),
            None
        );
        assert_eq!(
            jar.header_for(&url("http://docs.example.org/")),
            None,
            "secure"
        );
        assert_eq!(
            jar.header_for(&url("https://docs.example.org/")).as_deref(),
            Some("wide=w")
        );
        let loaded: Vec<_> = jar.loaded().collect();
        assert_eq!(loaded, [("sid", "s3cret"), ("wide", "w")]);
    }

    #[test]
    fn sites_cannot_push_loaded_cookies_out_but_may_replace_them() {
        let mut jar = CookieJar::default();
        jar.load(&loaded_file(
            "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tfrom-file\n",
        ));
        for i in 0..(MAX_PER_DOMAIN + 10) {
            let header = format!("n{i}=v");
            jar.store(&url("http://127.0.0.1/"), [header.as_bytes()]);
        }
        let sent = jar.header_for(&url("http://127.0.0.1/")).expect("cookies");
        assert!(sent.starts_with("sid=from-file; "), "{sent}");
        assert_eq!(sent.split("; ").count(), MAX_PER_DOMAIN + 1);
        jar.store(
            &url("http://127.0.0.1/"),
            [b"sid=rotated; Path=/".as_slice()],
        );
        let sent = jar.header_for(&url("http://127.0.0.1/")).expect("cookies");
        assert!(sent.contains("sid=rotated") && !sent.contains("from-file"));
        assert_eq!(
            jar.loaded().count(),
            0,
            "the site's value is not a loaded one"
        );
    }
}
