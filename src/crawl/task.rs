//! One URL the crawl took, with how it was found: the unit the frontier queues, the state
//! persists and the archive records. A leaf: it depends on nothing else in the crawl.

use url::Url;

/// How a URL was found; the letters are Heritrix's hop codes, used in crawl.log and metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hop {
    /// Given on the command line or in `--seeds-file`.
    Seed,
    /// A navigation link (`<a href>` and kin).
    Link,
    /// A page requisite (image, stylesheet, script, font…).
    Embed,
    /// A redirect's `Location`.
    Redirect,
    /// Needed before others: robots.txt.
    Prerequisite,
    /// A sitemap (named by robots.txt or by a sitemap index); the pages it lists are links.
    Sitemap,
}

impl Hop {
    pub fn letter(self) -> char {
        match self {
            Hop::Seed => '-',
            Hop::Link => 'L',
            Hop::Embed => 'E',
            Hop::Redirect => 'R',
            Hop::Prerequisite => 'P',
            Hop::Sitemap => 'S',
        }
    }
}

/// One URL to fetch, with how it was found.
#[derive(Debug, Clone)]
pub struct Task {
    pub url: Url,
    /// Canonical form, the key of the seen set.
    pub key: String,
    /// Navigation hops from a seed (requisites and redirects do not add depth).
    pub depth: u32,
    pub hop: Hop,
    pub via: Option<Url>,
    /// Where in the referring document it was found (`img@srcset`, `css@url`, `location`…).
    pub context: String,
    /// Fetched as a requisite of a page: its own navigation links are not followed unless it is
    /// itself in scope.
    pub requisite: bool,
    /// Length of the redirect chain that led here.
    pub redirects: u32,
    /// 0 on the first try.
    pub attempt: u32,
    /// The URL family it belongs to (see `traps::family`).
    pub family: String,
    /// Found by a navigation link on a page of its own family: the kind of find a trap makes
    /// more of, and the only kind the trap guard may decline.
    pub in_family: bool,
}

impl Task {
    /// `scheme://host:port`, the unit of politeness and of robots.txt.
    pub fn origin(&self) -> String {
        origin_key(&self.url)
    }
}

pub fn origin_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}
