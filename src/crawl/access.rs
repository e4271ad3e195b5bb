//! What a crawl of a site behind a login or a proxy carries, resolved from its options: headers
//! for every request, the user's credentials and the origins they may go to, secret headers,
//! cookies loaded from files and the proxies; and what follows from them for the archive (the
//! redaction rules and the warcinfo lines).
//!
//! Where the secrets come from, and what is kept of them:
//! - `--user`'s password comes from the environment variable `--password-env` names, or from a
//!   prompt on the terminal; `--proxy-user`'s from `--proxy-password-env` or a prompt; a secret
//!   header's value from the variable `--header-env NAME=VAR` names. `arkiv.toml` keeps the user
//!   names and the variables' names, never a value, so `--resume` reads every secret again.
//! - `--load-cookies` files are read when the crawl starts and again on `--resume`: `arkiv.toml`
//!   keeps their (absolute) paths, never a cookie's value.
//! - A secret on the command line is refused: a password in `--proxy URL`, and `Authorization`,
//!   `Proxy-Authorization` or `Cookie` given with `--header`. Every user of the machine can read
//!   command lines in the process list, and `arkiv.toml` could not keep them for `--resume`.
//!
//! Who gets them: the credentials and the secret headers go only to the auth origins
//! (`--auth-origin`, by default the seeds' origins: scheme, host and port), never to another host
//! a redirect or an image leads to (a seed that redirects to another site brings that site into
//! the crawl's scope, not into the auth origins); loaded cookies go where their domain, path and
//! secure flag say, as a browser sends them; plain `--header`s go with every request.

use std::path::PathBuf;
use std::time::SystemTime;

use url::Url;

use super::fetch::LoginConfig;
use super::options::{CrawlOptions, OptionsError};
use crate::auth::{Credentials, FileCookie, Secret, SecretSource, read_cookie_file, read_env};
use crate::proxy::{Proxy, ProxySettings, ProxySources};
use crate::warc::redact::RedactionRules;

/// What to do instead, for secrets offered where they cannot be kept.
const SECRET_HINT: &str = "log in with --user NAME --password-env VAR, send a token with \
     --header-env 'Authorization=VAR', or a session with --load-cookies FILE (cookies.txt)";

/// Headers `--header` may not set: the request's framing and routing are arkiv's to write.
const FRAMING_HEADERS: [&str; 9] = [
    "Host",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Proxy-Connection",
    "Keep-Alive",
    "TE",
    "Upgrade",
    "Expect",
];

/// Headers whose values are credentials: never from the command line.
const SECRET_HEADERS: [&str; 3] = ["Authorization", "Proxy-Authorization", "Cookie"];

/// A user name and a password read from where the options say.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    /// The variable the password was read from; `None`: typed at a prompt.
    pub password_env: Option<String>,
    pub password: Secret,
}

impl Login {
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.user.clone(), self.password.clone())
    }
}

/// A header sent only to the auth origins, its value read from an environment variable.
#[derive(Debug, Clone)]
pub struct SecretHeader {
    pub name: String,
    pub env: String,
    pub value: Secret,
}

/// See the module comment. `Debug` shows names and paths, never a secret.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// `--header`: sent with every request, after arkiv's own.
    pub headers: Vec<(String, String)>,
    /// `--header-env` (but `Cookie`, which joins `cookies`).
    pub secret_headers: Vec<SecretHeader>,
    /// `--header-env` as given (`NAME=VAR`).
    pub header_env: Vec<String>,
    /// `--user` and its password.
    pub login: Option<Login>,
    /// `--auth-origin` as given; empty: the seeds' origins.
    pub auth_origins_given: Vec<String>,
    /// Where the credentials and the secret headers go.
    pub auth_origins: Vec<url::Origin>,
    /// `--load-cookies` files, absolute.
    pub cookie_files: Vec<PathBuf>,
    /// Their cookies, and those of a `Cookie` given with `--header-env` (one per auth origin).
    pub cookies: Vec<FileCookie>,
    /// `--proxy` as given (it holds no credentials).
    pub proxy: Option<String>,
    /// `--no-proxy` as given.
    pub no_proxy: Option<String>,
    /// `--proxy-user` and its password.
    pub proxy_login: Option<Login>,
    /// Which proxy each URL takes: the options over the environment.
    pub proxies: ProxySettings,
}

impl Access {
    /// Checks the access options and reads every secret and cookie file they name.
    pub fn resolve(options: &CrawlOptions, seeds: &[Url]) -> Result<Access, OptionsError> {
        let mut access = Access::default();
        for text in &options.header {
            access.headers.push(parse_header(text)?);
        }
        for text in &options.auth_origin {
            let origin = parse_origin(text)?;
            if !access.auth_origins.contains(&origin) {
                access.auth_origins.push(origin);
            }
        }
        access.auth_origins_given = options.auth_origin.clone();
        if access.auth_origins.is_empty() {
            for seed in seeds {
                let origin = seed.origin();
                if !access.auth_origins.contains(&origin) {
                    access.auth_origins.push(origin);
                }
            }
        }
        let origins_shown = access.auth_origins_shown().join(", ");

        for text in &options.header_env {
            let (name, var) = parse_header_env(text)?;
            let value = read_env(&var, |n| std::env::var_os(n)).map_err(|err| {
                OptionsError::new(format!("--header-env {text}: {err}")).with_hint(format!(
                    "set {var} to the header's value; arkiv never saves it, so a --resume needs \
                     it again"
                ))
            })?;
            if name.eq_ignore_ascii_case("cookie") {
                access.add_header_cookies(text, &value)?;
            } else {
                access.secret_headers.push(SecretHeader {
                    name,
                    env: var,
                    value,
                });
            }
        }
        access.header_env = options.header_env.clone();

        if options.password_env.is_some() && options.user.is_none() {
            return Err(
                OptionsError::new("--password-env names the password of --user")
                    .with_hint("arkiv crawl URL --user NAME --password-env VAR"),
            );
        }
        if let Some(user) = &options.user {
            if access
                .secret_headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("authorization"))
            {
                return Err(OptionsError::new(
                    "--user and --header-env 'Authorization=…' both give the Authorization \
                     header; choose one",
                ));
            }
            access.login = Some(read_login(
                user,
                options.password_env.as_deref(),
                "--password-env",
                &format!("Password for {user} ({origins_shown}): "),
            )?);
        }

        let now = SystemTime::now();
        for path in &options.load_cookies {
            // Absolute, so that `--resume` from another folder reads the same file.
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let file = read_cookie_file(&path, now).map_err(|err| {
                OptionsError::new(format!("--load-cookies: {err}")).with_hint(
                    "give a Netscape cookies.txt file: seven tab-separated fields per line \
                     (domain, subdomains TRUE/FALSE, path, secure TRUE/FALSE, expiry, name, \
                     value), as browser exporters, curl -c and wget write it",
                )
            })?;
            for (line, why) in &file.skipped {
                tracing::warn!("{}:{line}: cookie not used: {why}", path.display());
            }
            let for_seeds = file
                .cookies
                .iter()
                .any(|c| seeds.iter().any(|s| cookie_is_for(c, s)));
            if !file.cookies.is_empty() && !for_seeds {
                tracing::warn!(
                    "{}: none of its {} cookies is for the seeds' hosts; they are sent only \
                     where their domains say",
                    path.display(),
                    file.cookies.len()
                );
            }
            access.cookies.extend(file.cookies);
            access.cookie_files.push(path);
        }

        if let Some(text) = options.proxy.as_deref().filter(|t| !t.trim().is_empty()) {
            let proxy =
                Proxy::parse(text, "--proxy").map_err(|err| OptionsError::new(err.to_string()))?;
            if proxy.credentials.is_some() {
                return Err(OptionsError::new(
                    "--proxy: give the proxy's user with --proxy-user, not in the URL (a \
                     password on the command line is visible to every user of the machine)",
                )
                .with_hint(
                    "--proxy http://proxy.example:3128 --proxy-user NAME --proxy-password-env VAR",
                ));
            }
            access.proxy = Some(text.to_owned());
        }
        access.no_proxy = options.no_proxy.clone();
        if options.proxy_password_env.is_some() && options.proxy_user.is_none() {
            return Err(OptionsError::new(
                "--proxy-password-env names the password of --proxy-user",
            )
            .with_hint("--proxy-user NAME --proxy-password-env VAR"));
        }
        if let Some(user) = &options.proxy_user {
            access.proxy_login = Some(read_login(
                user,
                options.proxy_password_env.as_deref(),
                "--proxy-password-env",
                &format!("Proxy password for {user}: "),
            )?);
        }
        let sources = ProxySources {
            proxy: access.proxy.clone(),
            no_proxy: access.no_proxy.clone(),
            credentials: access.proxy_login.as_ref().map(Login::credentials),
        };
        access.proxies = ProxySettings::from_env(&sources).map_err(|err| {
            OptionsError::new(err.to_string()).with_hint(
                "an HTTP proxy is written http://[user:password@]host[:port]; unset the \
                 variable or give --proxy to use another",
            )
        })?;
        if access.proxy_login.is_some() && access.proxies.is_direct() {
            tracing::warn!("--proxy-user is given, but no proxy (--proxy or HTTP(S)_PROXY)");
        }
        Ok(access)
    }

    /// Writes the options these settings came from into `options` (names, variables and paths;
    /// never a secret).
    pub fn write_options(&self, options: &mut CrawlOptions) {
        options.header = self
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        options.header_env = self.header_env.clone();
        options.user = self.login.as_ref().map(|l| l.user.clone());
        options.password_env = self.login.as_ref().and_then(|l| l.password_env.clone());
        options.auth_origin = self.auth_origins_given.clone();
        options.load_cookies = self.cookie_files.clone();
        options.proxy = self.proxy.clone();
        options.no_proxy = self.no_proxy.clone();
        options.proxy_user = self.proxy_login.as_ref().map(|l| l.user.clone());
        options.proxy_password_env = self
            .proxy_login
            .as_ref()
            .and_then(|l| l.password_env.clone());
    }

    /// What the fetcher needs to answer challenges and send the secret headers.
    pub fn login_config(&self) -> LoginConfig {
        LoginConfig {
            credentials: self.login.as_ref().map(Login::credentials),
            origins: self.auth_origins.clone(),
            secret_headers: self
                .secret_headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
        }
    }

    /// The auth origins as `scheme://host[:port]`.
    pub fn auth_origins_shown(&self) -> Vec<String> {
        self.auth_origins
            .iter()
            .map(url::Origin::ascii_serialization)
            .collect()
    }

    /// Whether any request may carry a secret of the user's (credentials, secret headers,
    /// loaded cookies, a proxy password).
    pub fn carries_secrets(&self) -> bool {
        self.login.is_some()
            || !self.secret_headers.is_empty()
            || !self.cookies.is_empty()
            || self.proxy_passwords().next().is_some()
    }

    /// What request records must not carry (see `crate::warc::redact`).
    pub fn redaction_rules(&self) -> RedactionRules {
        let mut rules = RedactionRules::new();
        for header in &self.secret_headers {
            rules = rules
                .with_header(&header.name)
                .with_secret(header.value.clone());
        }
        for cookie in &self.cookies {
            rules = rules.with_cookie(&cookie.name, cookie.value.expose());
        }
        if let Some(login) = &self.login {
            rules = rules.with_secret(login.password.clone());
        }
        for password in self.proxy_passwords() {
            rules = rules.with_secret(password.clone());
        }
        rules
    }

    /// warcinfo lines: the proxies that carried the crawl, the origins that received the
    /// credentials and, when requests carried secrets, every redaction rule.
    pub fn warcinfo_lines(&self) -> Vec<(String, String)> {
        let mut lines = self.proxies.warcinfo_fields();
        if self.login.is_some() || !self.secret_headers.is_empty() {
            for origin in self.auth_origins_shown() {
                lines.push(("arkiv-auth-origin".to_owned(), origin));
            }
        }
        if let Some(login) = &self.login {
            lines.push((
                "arkiv-login".to_owned(),
                format!(
                    "HTTP Basic and Digest challenges of the auth origins answered as user {}",
                    login.user
                ),
            ));
        }
        if self.carries_secrets() {
            lines.extend(self.redaction_rules().warcinfo_fields());
        }
        lines
    }

    fn proxy_passwords(&self) -> impl Iterator<Item = &Secret> {
        [&self.proxies.http, &self.proxies.https]
            .into_iter()
            .flatten()
            .filter_map(|p| p.credentials.as_ref())
            .map(|c| &c.password)
            .filter(|p| !p.is_empty())
    }

    /// The pairs of a `Cookie` given with `--header-env`, as cookies for each auth origin's host
    /// (all paths; https only for an https origin).
    fn add_header_cookies(&mut self, text: &str, value: &Secret) -> Result<(), OptionsError> {
        for pair in value.expose().split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let valid = pair.split_once('=').filter(|(name, value)| {
                !name.trim().is_empty()
                    && (name.chars().chain(value.chars())).all(|c| c.is_ascii_graphic() || c == ' ')
            });
            let Some((name, cookie_value)) = valid else {
                return Err(OptionsError::new(format!(
                    "--header-env {text}: the value is not a list of name=value pairs \
                     separated by ';'"
                )));
            };
            for origin in &self.auth_origins {
                let url::Origin::Tuple(scheme, host, _) = origin else {
                    continue;
                };
                self.cookies.push(FileCookie {
                    domain: host.to_string().to_ascii_lowercase(),
                    include_subdomains: false,
                    path: "/".to_owned(),
                    secure: scheme == "https",
                    http_only: false,
                    expires: None,
                    name: name.trim().to_owned(),
                    value: Secret::new(cookie_value.trim()),
                    line: 0,
                });
            }
        }
        Ok(())
    }
}

/// A password read from `env` (its option named `flag`), else asked for with `prompt`.
fn read_login(
    user: &str,
    env: Option<&str>,
    flag: &str,
    prompt: &str,
) -> Result<Login, OptionsError> {
    if user.is_empty() || user.chars().any(char::is_control) {
        return Err(OptionsError::new(format!(
            "the user name {user:?} cannot be sent"
        )));
    }
    let source = match env {
        Some(var) => SecretSource::Env(var.to_owned()),
        None => SecretSource::Prompt(prompt.to_owned()),
    };
    let password = source.read().map_err(|err| {
        let hint = match env {
            Some(var) => format!(
                "set {var} to {user}'s password; arkiv never saves it, so a --resume needs it \
                 again"
            ),
            None => format!(
                "put the password in an environment variable and name it with {flag} VAR \
                 (also with --resume)"
            ),
        };
        let message = match env {
            Some(var) => format!("{flag} {var}: {err}"),
            None => format!("{user}'s password: {err}"),
        };
        OptionsError::new(message).with_hint(hint)
    })?;
    Ok(Login {
        user: user.to_owned(),
        password_env: env.map(str::to_owned),
        password,
    })
}

/// `Name: value` of `--header`.
fn parse_header(text: &str) -> Result<(String, String), OptionsError> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(
            OptionsError::new(format!("--header {text:?}: write it as 'Name: value'"))
                .with_hint("--header 'Accept-Language: da'"),
        );
    };
    let name = name.trim();
    let value = value.trim();
    check_name(name, "--header", text)?;
    if SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        return Err(OptionsError::new(format!(
            "--header {name}: a credential on the command line is visible to every user of the \
             machine, and arkiv.toml could not keep it for --resume"
        ))
        .with_hint(SECRET_HINT));
    }
    if http::HeaderValue::from_str(value).is_err() {
        return Err(OptionsError::new(format!(
            "--header {name}: the value holds bytes a header cannot carry"
        )));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// `Name=VAR` of `--header-env`.
fn parse_header_env(text: &str) -> Result<(String, String), OptionsError> {
    let Some((name, var)) = text.split_once('=') else {
        return Err(OptionsError::new(format!(
            "--header-env {text:?}: write it as NAME=VAR, the header's name and the environment \
             variable that holds its value"
        ))
        .with_hint("--header-env 'Authorization=ARKIV_TOKEN'"));
    };
    let (name, var) = (name.trim(), var.trim());
    check_name(name, "--header-env", text)?;
    if name.eq_ignore_ascii_case("proxy-authorization") {
        return Err(OptionsError::new(
            "--header-env Proxy-Authorization: give the proxy's user with --proxy-user and its \
             password with --proxy-password-env",
        ));
    }
    if var.is_empty() || var.contains(char::is_whitespace) {
        return Err(OptionsError::new(format!(
            "--header-env {text:?}: {var:?} is not an environment variable's name"
        )));
    }
    Ok((name.to_owned(), var.to_owned()))
}

fn check_name(name: &str, flag: &str, text: &str) -> Result<(), OptionsError> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(OptionsError::new(format!(
            "{flag} {text:?}: {name:?} is not a header name"
        )));
    }
    if FRAMING_HEADERS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
        return Err(OptionsError::new(format!(
            "{flag} {name}: arkiv writes this header itself (it frames or routes the request)"
        )));
    }
    Ok(())
}

/// `scheme://host[:port]` of `--auth-origin` (a trailing `/` is allowed).
fn parse_origin(text: &str) -> Result<url::Origin, OptionsError> {
    let bad = |why: &str| {
        OptionsError::new(format!("--auth-origin {text:?}: {why}"))
            .with_hint("write an origin: scheme, host and port, e.g. https://intranet.example:8443")
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("not an http(s) origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "an origin has no path: credentials go to the whole origin",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an origin holds no user or password"));
    }
    Ok(url.origin())
}

/// Whether `cookie` would be sent to `url`'s host.
fn cookie_is_for(cookie: &FileCookie, url: &Url) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    host == cookie.domain
        || (cookie.include_subdomains && host.ends_with(&format!(".{}", cookie.domain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds() -> Vec<Url> {
        vec![
            Url::parse("http://127.0.0.1:8080/").unwrap(),
            Url::parse("http://127.0.0.1:8080/kontor/").unwrap(),
        ]
    }

    #[test]
    fn auth_origins_default_to_the_seeds_and_are_checked() {
        let access = Access::resolve(&CrawlOptions::default(), &seeds()).expect("resolves");
        assert_eq!(access.auth_origins_shown(), ["http://127.0.0.1:8080"]);
        let options = CrawlOptions {
            auth_origin: vec!["https://Intranet.Example:8443/".into()],
            ..CrawlOptions::default()
        };
        let access = Access::resolve(&options, &seeds()).expect("resolves");
        assert_eq!(
            access.auth_origins_shown(),
            ["https://intranet.example:8443"]
        );
        for bad in [
            "intranet.example",
            "http://h/path",
            "ftp://h",
            "http://u:p@h",
        ] {
            let options = CrawlOptions {
                auth_origin: vec![bad.into()],
                ..CrawlOptions::default()
            };
            assert!(Access::resolve(&options, &seeds()).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_on_the_command_line_are_refused_with_a_hint() {
        for header in ["Authorization: Basic eDp5", "cookie: sid=1", "Host: x"] {
            let options = CrawlOptions {
                header: vec![header.into()],
                ..CrawlOptions::default()
            };
            let err = Access::resolve(&options, &seeds()).expect_err(header);
            assert!(!err.message.contains("eDp5"), "{}", err.message);
        }
        let options = CrawlOptions {
            proxy: Some("http://u:topsecret@127.0.0.1:3128".into()),
            ..CrawlOptions::default()
        };
        let err = Access::resolve(&options, &seeds()).expect_err("password in --proxy");
        assert!(err.message.contains("--proxy-user"), "{}", err.message);
        assert!(!err.message.contains("topsecret"), "{}", err.message);
        let options = CrawlOptions {
            header: vec!["Accept-Language: da".into()],
            ..CrawlOptions::default()
        };
        let access = Access::resolve(&options, &seeds()).expect("a plain header");
        assert_eq!(
            access.headers,
            [("Accept-Language".to_owned(), "da".to_owned())]
        );
        assert!(!access.carries_secrets());
    }

    #[test]
    fn an_unset_password_variable_names_itself_and_no_value() {
        let options = CrawlOptions {
            user: Some("arkivar".into()),
            password_env: Some("ARKIV_TEST_SURELY_UNSET_PW".into()),
            ..CrawlOptions::default()
        };
        let err = Access::resolve(&options, &seeds()).expect_err("unset");
        assert!(
            err.message.contains("ARKIV_TEST_SURELY_UNSET_PW") && err.message.contains("not set"),
            "{}",
            err.message
        );
        let options = CrawlOptions {
            password_env: Some("X".into()),
            ..CrawlOptions::default()
        };
        assert!(Access::resolve(&options, &seeds()).is_err(), "no --user");
    }

    #[test]
    fn the_options_written_back_hold_names_not_secrets() {
        let access = Access {
            login: Some(Login {
                user: "arkivar".into(),
                password_env: Some("ARKIV_PW".into()),
                password: Secret::new("blåbær-grød 42"),
            }),
            header_env: vec!["X-Token=ARKIV_TOKEN".into()],
            secret_headers: vec![SecretHeader {
                name: "X-Token".into(),
                env: "ARKIV_TOKEN".into(),
                value: Secret::new("t0ken-value"),
            }],
            ..Access::default()
        };
        let mut options = CrawlOptions::default();
        access.write_options(&mut options);
        let text = toml::to_string(&options).expect("toml");
        assert!(text.contains("user = \"arkivar\""), "{text}");
        assert!(text.contains("password-env = \"ARKIV_PW\""), "{text}");
        assert!(
            !text.contains("blåbær") && !text.contains("t0ken"),
            "{text}"
        );
        let lines = format!("{:?} {:?}", access.warcinfo_lines(), access);
        assert!(
            !lines.contains("blåbær") && !lines.contains("t0ken"),
            "{lines}"
        );
        assert!(lines.contains("X-Token in request records"), "{lines}");
    }
}
