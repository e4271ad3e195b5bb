//! robots.txt as RFC 9309 reads it: the group for our product token, longest match wins.
//!
//! Status handling (§2.3.1): a 4xx robots.txt means "no rules" ([`Robots::allow_all`]); a 5xx
//! or an unreachable server means "assume everything is off limits" ([`Robots::disallow_all`]),
//! until a later fetch says otherwise. Only the first [`MAX_ROBOTS_BYTES`] are parsed.

use std::time::Duration;

use url::Url;

use crate::urls::canonical::normalize_escapes;

/// How much of a robots.txt is parsed (RFC 9309 §2.5: at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// Normalised pattern; `*` matches any run, a final `$` anchors the end.
    pattern: String,
}

/// The rules that apply to one user agent, plus the file's sitemaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Robots {
    rules: Vec<Rule>,
    /// Everything is disallowed (server error or unreachable).
    disallow_all: bool,
    sitemaps: Vec<Url>,
    crawl_delay: Option<Duration>,
}

struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// No robots.txt (4xx): everything may be fetched.
    pub fn allow_all() -> Self {
        Robots {
            rules: Vec::new(),
            disallow_all: false,
            sitemaps: Vec::new(),
            crawl_delay: None,
        }
    }

    /// robots.txt unreachable or a 5xx: nothing may be fetched.
    pub fn disallow_all() -> Self {
        Robots {
            disallow_all: true,
            ..Robots::allow_all()
        }
    }

    /// Whether these are the rules of an unreachable robots.txt (or a 5xx), which disallow all
    /// whatever the site would say: the crawl log names that cause rather than the site's rules.
    pub fn is_unreachable(&self) -> bool {
        self.disallow_all
    }

    /// The rules for an HTTP status and body (after following redirects): 2xx parses the
    /// body, 4xx allows all, anything else disallows all.
    pub fn from_status(status: u16, body: &[u8], user_agent: &str, robots_url: &Url) -> Self {
        match status {
            200..=299 => Robots::parse(body, user_agent, robots_url),
            400..=499 => Robots::allow_all(),
            _ => Robots::disallow_all(),
        }
    }

    /// Parses `bytes` for `user_agent` (a product token such as `arkiv`, matched
    /// case-insensitively; groups for it are merged, else the `*` groups are used). `Sitemap:`
    /// lines resolve against `robots_url`.
    pub fn parse(bytes: &[u8], user_agent: &str, robots_url: &Url) -> Self {
        let mut bytes = &bytes[..bytes.len().min(MAX_ROBOTS_BYTES)];
        if bytes.len() == MAX_ROBOTS_BYTES {
            // A cut-off last line could turn `Allow: /a/b` into a broader `Allow: /a`.
            let end = bytes
                .iter()
                .rposition(|&b| b == b'\n' || b == b'\r')
                .unwrap_or(0);
            bytes = &bytes[..end];
        }
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        let mut groups: Vec<Group> = Vec::new();
        let mut sitemaps = Vec::new();
        // Whether the current group is still collecting user-agent lines.
        let mut in_agents = false;
        for line in text.split(['\n', '\r']) {
            let line = line.split('#').next().unwrap_or("");
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push(Group {
                            agents: Vec::new(),
                            rules: Vec::new(),
                            crawl_delay: None,
                        });
                        in_agents = true;
                    }
                    let token: String = value
                        .chars()
                        .take_while(|c| {
                            c.is_ascii_alphabetic() || *c == '_' || *c == '-' || *c == '*'
                        })
                        .collect();
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(token.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // An empty pattern matches nothing (`Disallow:` means allow all).
                    if let (Some(group), false) = (groups.last_mut(), value.is_empty()) {
                        group.rules.push(Rule {
                            allow: key == "allow",
                            pattern: normalize_pattern(value),
                        });
                    }
                }
                "crawl-delay" => {
                    in_agents = false;
                    let delay = value
                        .parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && *d >= 0.0);
                    if let (Some(group), Some(delay)) = (groups.last_mut(), delay) {
                        group
                            .crawl_delay
                            .get_or_insert(Duration::from_secs_f64(delay.min(86_400.0)));
                    }
                }
                "sitemap" => {
                    if let Ok(url) = robots_url.join(value) {
                        sitemaps.push(url);
                    }
                }
                _ => {}
            }
        }
        let ours = user_agent.to_ascii_lowercase();
        let mut chosen: Vec<&Group> = groups.iter().filter(|g| g.agents.contains(&ours)).collect();
        if chosen.is_empty() {
            chosen = groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect();
        }
        Robots {
            rules: chosen
                .iter()
                .flat_map(|g| g.rules.iter().cloned())
                .collect(),
            disallow_all: false,
            sitemaps,
            crawl_delay: chosen.iter().find_map(|g| g.crawl_delay),
        }
    }

    /// Whether `url` may be fetched: the longest matching rule decides, `Allow` on a tie;
    /// `/robots.txt` itself is always allowed.
    pub fn allowed(&self, url: &Url) -> bool {
        if url.path() == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let mut target = normalize_escapes(url.path());
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(&normalize_escapes(query));
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !matches(rule.pattern.as_bytes(), target.as_bytes()) {
                continue;
            }
            let len = rule.pattern.len();
            best = match best {
                Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                _ => Some((len, rule.allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// `Sitemap:` URLs, in file order.
    pub fn sitemaps(&self) -> &[Url] {
        &self.sitemaps
    }

    /// The `Crawl-delay` of the chosen group (non-standard, but widely honoured).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}

/// Percent-encodes non-ASCII and normalises escapes the way URL paths are normalised, so a
/// pattern and a path compare as RFC 9309 §2.2.2 asks.
fn normalize_pattern(pattern: &str) -> String {
    let mut encoded = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        if c.is_ascii() && !c.is_ascii_whitespace() && !c.is_ascii_control() {
            encoded.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
    }
    normalize_escapes(&encoded)
}

/// Whether `pattern` matches a prefix of `path` (`*` any run, final `$` the end).
fn matches(pattern: &[u8], path: &[u8]) -> bool {
    let (pattern, anchored) = match pattern.split_last() {
        Some((b'$', rest)) => (rest, true),
        _ => (pattern, false),
    };
    // Positions in `path` the pattern so far can end at (a sorted set, kept small).
    let mut ends = vec![0usize];
    for &p in pattern {
        if ends.is_empty() {
            return false;
        }
        if p == b'*' {
            let first = ends[0];
            ends = (first..=path.len()).collect();
        } else {
            ends = ends
                .into_iter()
                .filter(|&e| path.get(e) == Some(&p))
                .map(|e| e + 1)
                .collect();
        }
    }
    if anchored {
        ends.contains(&path.len())
    } else {
        !ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robots(text: &str) -> Robots {
        let at = Url::parse("https://example.com/robots.txt").unwrap();
        Robots::parse(text.as_bytes(), "arkiv", &at)
    }

    fn allowed(r: &Robots, path: &str) -> bool {
        r.allowed(&Url::parse(&format!("https://example.com{path}")).unwrap())
    }

    #[test]
    fn rfc9309_examples() {
        // §5.2 / §2.2.2 example patterns.
        let r = robots(
            "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\nUser-Agent: foobot\nDisallow:/\n",
        );
        assert!(!allowed(&r, "/example/a.html"));
        assert!(!allowed(&r, "/img/a.gif"));
        assert!(allowed(&r, "/img/a.gif?x"));
        assert!(allowed(&r, "/publications/x"));
        // Longest match wins; Allow wins a tie.
        let r = robots(
            "user-agent: ARKIV/2.0\nallow: /example/page/\ndisallow: /example/page/disallowed.gif\nallow: /x\ndisallow: /x\n",
        );
        assert!(allowed(&r, "/example/page/"));
        assert!(!allowed(&r, "/example/page/disallowed.gif"));
        assert!(allowed(&r, "/x/y"));
        assert!(allowed(&r, "/robots.txt"));
        // Percent-encoding equivalence (§2.2.2 table).
        let r = robots(
            "User-agent: *\nDisallow: /foo/bar?baz=quz\nDisallow: /foo/bar/\u{30C4}\nDisallow: /a%3cd.html\nDisallow: /%7Ejoe/\n",
        );
        assert!(!allowed(&r, "/foo/bar?baz=quz"));
        assert!(!allowed(&r, "/foo/bar/%E3%83%84"));
        assert!(!allowed(&r, "/a%3Cd.html"));
        assert!(!allowed(&r, "/~joe/index.html"));
        assert!(allowed(&r, "/foo/barbaz"));
    }

    #[test]
    fn groups_merge_and_fall_back_to_star() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: arkiv\nUser-agent: other\nDisallow: /a\n# note\nUser-agent: Arkiv\nDisallow: /b\nCrawl-delay: 2.5\nSitemap: /sitemap.xml\n";
        let r = robots(text);
        assert!(!allowed(&r, "/a") && !allowed(&r, "/b/c"));
        assert!(allowed(&r, "/c"));
        assert_eq!(r.crawl_delay(), Some(Duration::from_millis(2500)));
        assert_eq!(r.sitemaps()[0].as_str(), "https://example.com/sitemap.xml");
        let r = robots("User-agent: other\nDisallow: /\n");
        assert!(allowed(&r, "/x"));
        let r = robots("Disallow: /no-group\nUser-agent: *\nDisallow:\n");
        assert!(allowed(&r, "/no-group"));
    }

    #[test]
    fn status_and_size_limit() {
        let at = Url::parse("https://example.com/robots.txt").unwrap();
        let page = Url::parse("https://example.com/x").unwrap();
        assert!(Robots::from_status(404, b"", "arkiv", &at).allowed(&page));
        assert!(!Robots::from_status(503, b"", "arkiv", &at).allowed(&page));
        assert!(Robots::from_status(503, b"", "arkiv", &at).allowed(&at));
        let mut big = b"User-agent: *\nAllow: /x\n".to_vec();
        big.resize(MAX_ROBOTS_BYTES, b'\n');
        big.extend_from_slice(b"Disallow: /\n");
        assert!(Robots::parse(&big, "arkiv", &at).allowed(&page));
        // A rule cut off at the limit is dropped, not shortened.
        let mut cut = b"User-agent: *\nDisallow: /\n".to_vec();
        cut.resize(MAX_ROBOTS_BYTES - 5, b'\n');
        cut.extend_from_slice(b"Allow: /x/y\n");
        assert!(!Robots::parse(&cut, "arkiv", &at).allowed(&page));
    }
}
