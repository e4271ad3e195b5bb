//! Decides which URLs belong to the crawl (the seeds' scope plus include/exclude patterns). The
//! crawl asks it what to fetch; the mirror asks it which links stay inside the archived site.

use regex::Regex;
use url::Url;

use crate::outcome::Decline;

/// Which URLs belong to the crawl, relative to the seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeMode {
    /// Same host and port as a seed; http and https count as one where both use default ports.
    #[default]
    Origin,
    /// Same host name as a seed, any port or scheme.
    Host,
    /// A seed's host or any of its subdomains (`www.example.org` → `*.example.org`).
    Domain,
    /// URLs that start with a seed's URL up to its last `/`.
    Prefix,
}

/// The crawl's scope, built once from the seeds.
#[derive(Debug, Clone)]
pub struct Scope {
    mode: ScopeMode,
    seeds: Vec<Url>,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl Scope {
    pub fn new(mode: ScopeMode, seeds: &[Url], include: Vec<Regex>, exclude: Vec<Regex>) -> Scope {
        Scope {
            mode,
            seeds: seeds.to_vec(),
            include,
            exclude,
        }
    }

    /// Adds a seed (a seed's redirect target): its site joins the scope.
    pub fn add_seed(&mut self, url: &Url) {
        self.seeds.push(url.clone());
    }

    /// Whether `url` is on one of the seeds' sites (ignoring include/exclude patterns). Page
    /// requisites from elsewhere are fetched anyway (unless disabled); navigation is not.
    pub fn same_site(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        self.seeds.iter().any(|seed| self.matches_seed(seed, url))
    }

    /// The full decision: site, then `--exclude`, then `--include`.
    pub fn check(&self, url: &Url) -> Result<(), Decline> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Decline::UnsupportedScheme);
        }
        if !self.same_site(url) {
            return Err(Decline::OutOfScope);
        }
        self.check_patterns(url)
    }

    /// Only the `--include`/`--exclude` patterns (they apply to requisites from other hosts too).
    pub fn check_patterns(&self, url: &Url) -> Result<(), Decline> {
        let text = url.as_str();
        if self.exclude.iter().any(|re| re.is_match(text)) {
            return Err(Decline::ExcludedByPattern);
        }
        if !self.include.is_empty() && !self.include.iter().any(|re| re.is_match(text)) {
            return Err(Decline::NotIncludedByPattern);
        }
        Ok(())
    }

    fn matches_seed(&self, seed: &Url, url: &Url) -> bool {
        let (Some(seed_host), Some(host)) = (seed.host_str(), url.host_str()) else {
            return false;
        };
        match self.mode {
            ScopeMode::Origin => same_origin(seed, url),
            ScopeMode::Host => seed_host.eq_ignore_ascii_case(host),
            ScopeMode::Domain => {
                let domain = seed_host.strip_prefix("www.").unwrap_or(seed_host);
                host.eq_ignore_ascii_case(domain)
                    || host
                        .to_ascii_lowercase()
                        .ends_with(&format!(".{}", domain.to_ascii_lowercase()))
            }
            ScopeMode::Prefix => {
                if !same_origin(seed, url) {
                    return false;
                }
                let seed_path = seed.path();
                let folder = &seed_path[..seed_path.rfind('/').map_or(0, |i| i + 1)];
                url.path().starts_with(folder)
            }
        }
    }
}

/// Host and port equal; http and https of one host count as one site when both use their default
/// ports (a site that moved to https links both ways), but another port is another site.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let (Some(ha), Some(hb)) = (a.host_str(), b.host_str()) else {
        return false;
    };
    if !ha.eq_ignore_ascii_case(hb) {
        return false;
    }
    if a.scheme() == b.scheme() {
        return a.port_or_known_default() == b.port_or_known_default();
    }
    a.port().is_none() && b.port().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origin_scope_joins_http_and_https_on_default_ports_only() {
        let scope = Scope::new(
            ScopeMode::Origin,
            &[url("http://example.org/")],
            vec![],
            vec![],
        );
        assert!(scope.check(&url("https://example.org/a")).is_ok());
        assert!(scope.check(&url("http://EXAMPLE.org:80/a")).is_ok());
        assert_eq!(
            scope.check(&url("http://example.org:8080/")),
            Err(Decline::OutOfScope)
        );
        assert_eq!(
            scope.check(&url("http://www.example.org/")),
            Err(Decline::OutOfScope)
        );
        assert_eq!(
            scope.check(&url("mailto:a@example.org")),
            Err(Decline::UnsupportedScheme)
        );
    }

    #[test]
    fn another_port_on_the_same_host_is_another_site() {
        let scope = Scope::new(
            ScopeMode::Origin,
            &[url("http://127.0.0.1:4000/")],
            vec![],
            vec![],
        );
        assert!(scope.check(&url("http://127.0.0.1:4000/x")).is_ok());
        assert_eq!(
            scope.check(&url("http://127.0.0.1:4001/x")),
            Err(Decline::OutOfScope)
        );
        assert_eq!(
            scope.check(&url("https://127.0.0.1:4000/x")),
            Err(Decline::OutOfScope)
        );
    }

    #[test]
    fn domain_and_prefix_modes() {
        let domain = Scope::new(
            ScopeMode::Domain,
            &[url("https://www.example.org/")],
            vec![],
            vec![],
        );
        assert!(domain.check(&url("https://cdn.example.org/x.css")).is_ok());
        assert!(domain.check(&url("https://example.org/")).is_ok());
        assert!(domain.check(&url("https://badexample.org/")).is_err());
        let prefix = Scope::new(
            ScopeMode::Prefix,
            &[url("https://example.org/docs/index.html")],
            vec![],
            vec![],
        );
        assert!(prefix.check(&url("https://example.org/docs/a/b")).is_ok());
        assert!(prefix.check(&url("https://example.org/blog/")).is_err());
    }

    #[test]
    fn exclude_beats_include() {
        let scope = Scope::new(
            ScopeMode::Origin,
            &[url("http://example.org/")],
            vec![Regex::new("/docs/").unwrap()],
            vec![Regex::new(r"\.pdf$").unwrap()],
        );
        assert!(scope.check(&url("http://example.org/docs/a")).is_ok());
        assert_eq!(
            scope.check(&url("http://example.org/docs/a.pdf")),
            Err(Decline::ExcludedByPattern)
        );
        assert_eq!(
            scope.check(&url("http://example.org/blog")),
            Err(Decline::NotIncludedByPattern)
        );
    }
}
