//! Which proxy a URL goes through: `--proxy URL`, or the environment as curl and wget read it.
//!
//! - `--proxy URL` is used for http and https alike and wins over the environment.
//! - Otherwise `http_proxy` (then `HTTP_PROXY`) for http URLs and `https_proxy` (then
//!   `HTTPS_PROXY`) for https URLs, then `all_proxy`/`ALL_PROXY` for both. The lower-case form is
//!   looked at first, as curl does. `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set: in a CGI
//!   program it comes from a request's `Proxy:` header ("httpoxy"), as Go and Python also guard.
//! - `NO_PROXY` (`no_proxy` first) names hosts reached directly, for `--proxy` too, as in curl;
//!   `--no-proxy LIST` replaces it (see [`NoProxy`]).
//! - An empty variable counts as unset. Loopback addresses are not exempt by themselves (curl
//!   does not exempt them either); name them in `NO_PROXY` to reach them directly.
//! - A proxy URL is `[http://][user[:password]@]host[:port]`; the port defaults to 80 for http, as
//!   wget, Go and Python take it (curl alone assumes 1080). https:// (TLS to the proxy) and SOCKS
//!   proxies are refused with a clear error rather than used wrongly.
//! - Proxy credentials come from the URL's user information (percent-decoded) or, better, from
//!   [`ProxySources::credentials`] (`--proxy-user` with a password from an environment variable
//!   or the terminal), which wins. A password in `--proxy URL` would be visible to every user of
//!   the machine in the process list, so the crawl's options refuse one there
//!   (`crate::crawl::access`); the environment is not visible so. Neither ever reaches the archive:
//!   [`Proxy`]'s `Debug`, errors and [`ProxySettings::warcinfo_fields`] show the proxy without them.

use url::Url;

use super::no_proxy::NoProxy;
use crate::auth::{Credentials, Secret, basic_authorization};

/// An HTTP proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: url::Host<String>,
    pub port: u16,
    /// Sent as `Proxy-Authorization: Basic …` (`Credentials`' `Debug` hides the password).
    pub credentials: Option<Credentials>,
}

/// A proxy setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("{source_name}: {shown:?} is not a proxy URL: {reason}")]
    Invalid {
        /// `--proxy` or the variable's name.
        source_name: String,
        /// The value with any password replaced by `***`.
        shown: String,
        reason: String,
    },
}

impl Proxy {
    /// Parses a proxy URL; `source_name` (`--proxy`, `HTTPS_PROXY`) goes into errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Proxy, ProxyError> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let fail = |reason: &str| ProxyError::Invalid {
            source_name: source_name.to_owned(),
            shown: hide_password(text),
            reason: reason.to_owned(),
        };
        let url = Url::parse(&with_scheme).map_err(|e| fail(&e.to_string()))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(fail(
                    "https:// proxies (TLS to the proxy) are not supported; an http:// proxy \
                     still carries https URLs through a CONNECT tunnel",
                ));
            }
            s if s.starts_with("socks") => return Err(fail("SOCKS proxies are not supported")),
            _ => return Err(fail("only http:// proxies are supported")),
        }
        let host = url
            .host()
            .ok_or_else(|| fail("it names no host"))?
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| fail("it names no port"))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| fail("its user information is not UTF-8"))
        };
        let user = decode(url.username())?;
        let password = url.password().map(decode).transpose()?;
        let credentials = match (user.is_empty(), password) {
            (true, None) => None,
            (true, Some(_)) => return Err(fail("it has a password but no user name")),
            (false, password) => Some(Credentials::new(
                user,
                Secret::new(password.unwrap_or_default()),
            )),
        };
        Ok(Proxy {
            host,
            port,
            credentials,
        })
    }

    /// `host:port`, what to connect to (IPv6 in brackets).
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `http://host:port/`, never with credentials (for warcinfo, logs and reports).
    pub fn shown(&self) -> String {
        format!("http://{}/", self.authority())
    }

    /// The `Proxy-Authorization` value sent up front, when the proxy has credentials.
    pub fn authorization(&self) -> Option<String> {
        let credentials = self.credentials.as_ref()?;
        basic_authorization(credentials, true).ok()
    }
}

/// Where the settings come from besides the environment (the command line).
#[derive(Debug, Clone, Default)]
pub struct ProxySources {
    /// `--proxy URL`: for every URL, instead of the environment's proxies.
    pub proxy: Option<String>,
    /// `--no-proxy LIST`: instead of `NO_PROXY`.
    pub no_proxy: Option<String>,
    /// Credentials for the proxy, instead of any in its URL.
    pub credentials: Option<Credentials>,
}

/// The resolved proxy settings of a crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub http: Option<Proxy>,
    pub https: Option<Proxy>,
    pub no_proxy: NoProxy,
}

impl ProxySettings {
    /// Resolves `sources` and the environment as `env` has it (see the module comment).
    pub fn resolve(
        sources: &ProxySources,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxySettings, ProxyError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| var(n).map(|value| ((*n).to_owned(), value)))
        };
        let cgi = var("REQUEST_METHOD").is_some();
        let (http, https) = match sources.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(explicit) => {
                let proxy = Proxy::parse(explicit, "--proxy")?;
                (Some(proxy.clone()), Some(proxy))
            }
            None => {
                let http_names: &[&str] = if cgi {
                    &["http_proxy", "all_proxy", "ALL_PROXY"]
                } else {
                    &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
                };
                let parse = |found: Option<(String, String)>| {
                    found
                        .map(|(name, value)| Proxy::parse(&value, &name))
                        .transpose()
                };
                (
                    parse(first(http_names))?,
                    parse(first(&[
                        "https_proxy",
                        "HTTPS_PROXY",
                        "all_proxy",
                        "ALL_PROXY",
                    ]))?,
                )
            }
        };
        let with_credentials = |proxy: Option<Proxy>| {
            proxy.map(|mut p| {
                if let Some(credentials) = &sources.credentials {
                    p.credentials = Some(credentials.clone());
                }
                p
            })
        };
        let no_proxy = match &sources.no_proxy {
            Some(list) => NoProxy::parse(list),
            None => first(&["no_proxy", "NO_PROXY"])
                .map(|(_, list)| NoProxy::parse(&list))
                .unwrap_or_default(),
        };
        Ok(ProxySettings {
            http: with_credentials(http),
            https: with_credentials(https),
            no_proxy,
        })
    }

    /// [`Self::resolve`] with this process's environment.
    pub fn from_env(sources: &ProxySources) -> Result<ProxySettings, ProxyError> {
        Self::resolve(sources, |name| std::env::var(name).ok())
    }

    /// The proxy for `url`, or `None` to connect directly.
    pub fn proxy_for(&self, url: &Url) -> Option<&Proxy> {
        let proxy = match url.scheme() {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }?;
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        (!self.no_proxy.matches(host, port)).then_some(proxy)
    }

    /// Whether every URL is fetched directly.
    pub fn is_direct(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// warcinfo fields saying which proxies carried the crawl, without credentials:
    /// `arkiv-proxy: http URLs through http://proxy.example:3128/ (except NO_PROXY hosts)`.
    pub fn warcinfo_fields(&self) -> Vec<(String, String)> {
        let except = if self.no_proxy.is_empty() {
            ""
        } else {
            " (except the hosts NO_PROXY names)"
        };
        let mut fields = Vec::new();
        for (scheme, proxy, how) in [
            ("http", &self.http, "absolute-form requests"),
            ("https", &self.https, "CONNECT tunnels"),
        ] {
            if let Some(proxy) = proxy {
                fields.push((
                    "arkiv-proxy".to_owned(),
                    format!("{scheme} URLs through {} ({how}){except}", proxy.shown()),
                ));
            }
        }
        fields
    }
}

/// `text` with the password of any `user:password@` replaced by `***`.
fn hide_password(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}{hidden}@{host}{path}")
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    fn resolve(vars: &[(&str, &str)]) -> ProxySettings {
        ProxySettings::resolve(&ProxySources::default(), env(vars)).expect("resolves")
    }

    #[test]
    fn proxy_urls_with_and_without_scheme_port_and_credentials() {
        let p = Proxy::parse("proxy.example:3128", "--proxy").expect("ok");
        assert_eq!(
            (p.authority(), p.credentials.is_none()),
            ("proxy.example:3128".into(), true)
        );
        let p = Proxy::parse("http://proxy.example", "--proxy").expect("ok");
        assert_eq!(p.port, 80);
        let p = Proxy::parse("http://arkivar:bl%C3%A5b%C3%A6r%40x@[::1]:8080/", "P").expect("ok");
        assert_eq!(p.authority(), "[::1]:8080");
        let creds = p.credentials.clone().expect("credentials");
        assert_eq!(
            (creds.user.as_str(), creds.password.expose()),
            ("arkivar", "blåbær@x")
        );
        assert_eq!(p.shown(), "http://[::1]:8080/");
        assert!(!format!("{p:?}").contains("blåbær"));
        assert_eq!(
            p.authorization().as_deref(),
            Some("Basic YXJraXZhcjpibMOlYsOmckB4")
        );
    }

    #[test]
    fn unusable_proxies_say_why_without_the_password() {
        for (text, reason) in [
            ("https://u:topsecret@proxy.example:443", "https:// proxies"),
            ("socks5://u:topsecret@proxy.example:1080", "SOCKS"),
            ("ftp://proxy.example", "only http://"),
            ("http://:topsecret@proxy.example", "no user name"),
        ] {
            let err = Proxy::parse(text, "HTTPS_PROXY").expect_err(text);
            let message = err.to_string();
            assert!(message.contains(reason), "{message}");
            assert!(message.starts_with("HTTPS_PROXY: "), "{message}");
            assert!(!message.contains("topsecret"), "{message}");
        }
        assert_eq!(hide_password("http://u:p@h:1/x@y"), "http://u:***@h:1/x@y");
    }

    #[test]
    fn the_environment_as_curl_reads_it() {
        let s = resolve(&[
            ("http_proxy", "http://lower:3128"),
            ("HTTP_PROXY", "http://upper:3128"),
            ("HTTPS_PROXY", "secure.example:8443"),
            ("NO_PROXY", "intranet.example"),
        ]);
        assert_eq!(
            s.proxy_for(&url("http://example.org/"))
                .map(Proxy::authority),
            Some("lower:3128".into())
        );
        assert_eq!(
            s.proxy_for(&url("https://example.org/"))
                .map(Proxy::authority),
            Some("secure.example:8443".into())
        );
        assert_eq!(s.proxy_for(&url("https://www.intranet.example/")), None);
        assert_eq!(s.proxy_for(&url("ftp://example.org/")), None);

        let all = resolve(&[("ALL_PROXY", "all:1"), ("https_proxy", "")]);
        assert_eq!(
            all.proxy_for(&url("https://example.org/"))
                .map(Proxy::authority),
            Some("all:1".into()),
            "an empty variable counts as unset"
        );
        assert!(resolve(&[]).is_direct());
    }

    #[test]
    fn cgi_programs_ignore_upper_case_http_proxy() {
        let s = resolve(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]);
        assert_eq!(s.proxy_for(&url("http://example.org/")), None);
    }

    #[test]
    fn the_command_line_wins_and_no_proxy_still_applies() {
        let sources = ProxySources {
            proxy: Some("http://u:url-pw@cli.example:3128".into()),
            no_proxy: None,
            credentials: Some(Credentials::new("arkivar", Secret::new("env-pw"))),
        };
        let s = ProxySettings::resolve(
            &sources,
            env(&[("https_proxy", "other:1"), ("no_proxy", "127.0.0.1")]),
        )
        .expect("ok");
        let p = s.proxy_for(&url("https://example.org/")).expect("proxy");
        assert_eq!(p.authority(), "cli.example:3128");
        let creds = p.credentials.as_ref().expect("credentials");
        assert_eq!(creds.password.expose(), "env-pw");
        assert_eq!(s.proxy_for(&url("http://127.0.0.1:8080/")), None);
        let overridden = ProxySources {
            no_proxy: Some(String::new()),
            ..sources
        };
        let s = ProxySettings::resolve(&overridden, env(&[("no_proxy", "127.0.0.1")])).expect("ok");
        assert!(s.proxy_for(&url("http://127.0.0.1:8080/")).is_some());
        let fields = s.warcinfo_fields();
        assert_eq!(
            fields[1].1,
            "https URLs through http://cli.example:3128/ (CONNECT tunnels)"
        );
        assert!(!format!("{fields:?}").contains("pw"));
        let bad = ProxySettings::resolve(
            &ProxySources::default(),
            env(&[("HTTPS_PROXY", "socks5://x")]),
        );
        assert!(bad.is_err());
    }
}
