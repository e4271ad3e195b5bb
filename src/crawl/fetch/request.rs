//! Builds the GET request for a URL: origin-form target (absolute-form to an http proxy), `Host`,
//! our defaults, then the caller's headers.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http_body_util::Empty;
use hyper::Request;
use url::{Position, Url};

use super::FetchConfig;

/// `Accept-Encoding` we send: the WARC keeps bodies encoded exactly as the server sent them.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// How the request line names the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetForm {
    /// `GET /path?query HTTP/1.1`, to the origin itself (or through a tunnel).
    Origin,
    /// `GET http://host:port/path?query HTTP/1.1`, to an HTTP proxy (RFC 9112 §3.2.2).
    Absolute,
}

/// The origin-form request-target of `url`: path and query, `/` when empty.
pub(crate) fn origin_form(url: &Url) -> &str {
    match &url[Position::BeforePath..Position::AfterQuery] {
        "" => "/",
        target => target,
    }
}

/// Headers whose values are credentials: an error never shows them.
fn is_secret(name: &HeaderName) -> bool {
    [
        header::AUTHORIZATION,
        header::PROXY_AUTHORIZATION,
        header::COOKIE,
    ]
    .contains(name)
}

/// The request for `url`. Header order: `Host`, `User-Agent`, `Accept`, `Accept-Encoding`,
/// `Connection`, then `extra` in the given order. An extra header with the name of a default
/// replaces the default in place, so callers can override e.g. `Accept`.
pub(crate) fn build_request(
    url: &Url,
    config: &FetchConfig,
    extra: &[(String, String)],
    form: TargetForm,
) -> Result<Request<Empty<Bytes>>, String> {
    let absolute;
    let target = match form {
        TargetForm::Origin => origin_form(url),
        TargetForm::Absolute => {
            absolute = crate::proxy::absolute_form(url);
            absolute.as_str()
        }
    };
    let host = url.host_str().ok_or("the URL has no host")?;
    // `Url::port` is `None` for the scheme's default port, which `Host` then leaves out.
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut request = Request::get(target)
        .body(Empty::new())
        .map_err(|err| format!("request target {target:?}: {err}"))?;
    let defaults = [
        (header::HOST, host.as_str()),
        (header::USER_AGENT, config.user_agent.as_str()),
        (header::ACCEPT, config.accept.as_str()),
        (header::ACCEPT_ENCODING, ACCEPT_ENCODING),
        (header::CONNECTION, "keep-alive"),
    ];
    let headers = request.headers_mut();
    for (name, value) in &defaults {
        let value = HeaderValue::from_str(value)
            .map_err(|err| format!("header {name}: {value:?}: {err}"))?;
        headers.append(name.clone(), value);
    }
    let mut overridden: Vec<HeaderName> = Vec::new();
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| format!("header name {name:?}: {err}"))?;
        let value = HeaderValue::from_str(value).map_err(|err| {
            if is_secret(&name) {
                format!("header {name}: {err}")
            } else {
                format!("header {name}: {value:?}: {err}")
            }
        })?;
        let is_default = defaults.iter().any(|(default, _)| *default == name);
        if is_default && !overridden.contains(&name) {
            // `insert` keeps the default's position in the map, so the order stays fixed.
            headers.insert(name.clone(), value);
            overridden.push(name);
        } else {
            headers.append(name, value);
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(request: &Request<Empty<Bytes>>) -> Vec<String> {
        request
            .headers()
            .iter()
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("?")))
            .collect()
    }

    #[test]
    fn origin_form_target_and_host_with_port() {
        let config = FetchConfig::default();
        let url = Url::parse("http://Example.org:8080/a%20b?x=1#frag").expect("url");
        let request = build_request(&url, &config, &[], TargetForm::Origin).expect("builds");
        assert_eq!(request.uri().to_string(), "/a%20b?x=1");
        assert_eq!(request.headers()["host"], "example.org:8080");
        let url = Url::parse("https://example.org:443").expect("url");
        let request = build_request(&url, &config, &[], TargetForm::Origin).expect("builds");
        assert_eq!(request.uri().to_string(), "/");
        assert_eq!(request.headers()["host"], "example.org");
    }

    #[test]
    fn extra_headers_override_defaults_in_place_and_append_the_rest() {
        let config = FetchConfig::default();
        let url = Url::parse("http://example.org/").expect("url");
        let extra = [
            ("If-None-Match".to_owned(), "\"x\"".to_owned()),
            ("accept".to_owned(), "text/html".to_owned()),
        ];
        let request = build_request(&url, &config, &extra, TargetForm::Origin).expect("builds");
        let got = names(&request);
        assert_eq!(got[2], "accept: text/html");
        assert_eq!(got[5], "if-none-match: \"x\"");
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn absolute_form_for_a_proxy_keeps_host_and_drops_credentials() {
        let config = FetchConfig::default();
        let url = Url::parse("http://u:p@Example.org:8080/a?b#c").expect("url");
        let request = build_request(&url, &config, &[], TargetForm::Absolute).expect("builds");
        assert_eq!(request.uri().to_string(), "http://example.org:8080/a?b");
        assert_eq!(request.headers()["host"], "example.org:8080");
    }

    #[test]
    fn a_bad_credential_header_is_an_error_that_hides_its_value() {
        let config = FetchConfig::default();
        let url = Url::parse("http://example.org/").expect("url");
        let extra = [(
            "Authorization".to_owned(),
            "Basic s3cr3t\r\nX: y".to_owned(),
        )];
        let err = build_request(&url, &config, &extra, TargetForm::Origin).expect_err("bad");
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn bad_extra_header_is_an_error() {
        let config = FetchConfig::default();
        let url = Url::parse("http://example.org/").expect("url");
        let extra = [("X".to_owned(), "a\r\nb".to_owned())];
        assert!(build_request(&url, &config, &extra, TargetForm::Origin).is_err());
    }
}
