//! `--rebase OLD=NEW`: reads the old crawl's URLs under one prefix as if they were under another,
//! so a site that moved host, port or scheme (or a fixture served on another port) compares
//! page by page instead of as everything removed and everything added.

use url::Url;

/// One prefix mapping, both sides in the `url` crate's spelling (so `http://h:80` and
/// `http://h/` are the same prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebase {
    pub from: String,
    pub to: String,
}

impl Rebase {
    /// Parses `OLD_PREFIX=NEW_PREFIX`; both must be http(s) URLs.
    pub fn parse(text: &str) -> Result<Rebase, String> {
        let Some((from, to)) = text.split_once('=') else {
            return Err(format!(
                "--rebase {text:?}: write OLD_PREFIX=NEW_PREFIX, e.g. http://127.0.0.1:36189/=http://127.0.0.1:8000/"
            ));
        };
        let prefix = |side: &str| -> Result<String, String> {
            let url = Url::parse(side.trim())
                .map_err(|e| format!("--rebase {text:?}: {side:?} is not a URL: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(format!("--rebase {text:?}: {side:?} is not an http(s) URL"));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(format!(
                    "--rebase {text:?}: {side:?} must be a prefix without ? or #"
                ));
            }
            Ok(url.to_string())
        };
        Ok(Rebase {
            from: prefix(from)?,
            to: prefix(to)?,
        })
    }

    /// `url` under `to` when it is under `from`; a prefix that ends inside a path segment
    /// (`http://h/a` against `http://h/ab`) matches too, as a string prefix does.
    pub fn apply(&self, url: &Url) -> Option<Url> {
        let rest = url.as_str().strip_prefix(&self.from)?;
        Url::parse(&format!("{}{rest}", self.to)).ok()
    }
}

/// The first rebase that applies to `url`, or `url` itself.
pub fn rebased(url: &Url, rebases: &[Rebase]) -> Url {
    rebases
        .iter()
        .find_map(|r| r.apply(url))
        .unwrap_or_else(|| url.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_an_origin_and_keeps_the_rest() {
        let rebase = Rebase::parse("http://127.0.0.1:36189=https://example.org/").expect("parse");
        let url = Url::parse("http://127.0.0.1:36189/om/?side=2#top").expect("url");
        assert_eq!(
            rebased(&url, std::slice::from_ref(&rebase)).as_str(),
            "https://example.org/om/?side=2#top"
        );
        let other = Url::parse("http://127.0.0.1:4000/om/").expect("url");
        assert_eq!(rebased(&other, &[rebase]), other);
    }

    #[test]
    fn refuses_what_is_no_prefix() {
        assert!(Rebase::parse("http://a/").is_err());
        assert!(Rebase::parse("ftp://a/=http://b/").is_err());
        assert!(Rebase::parse("http://a/?x=http://b/").is_err());
    }
}
