//! The replay routes, pywb-style: `/<timestamp>/<url>` answers with the capture of `<url>`
//! nearest to `<timestamp>` (1 to 14 digits), its links pointed at the replay; with a modifier,
//! `/<timestamp>id_/<url>` answers with the payload exactly as archived ("identity": status,
//! reason and headers as the server sent them, content coding kept, only the transfer coding
//! removed and `Content-Length` set to match).
//!
//! In the rewritten form the body is decoded, HTML and CSS get replay links
//! ([`super::replay_links`]), a redirect's `Location` points at the replay of its target, and the
//! archived headers that could act on the browser (cookies, caching, security policies) are
//! passed as `X-Archive-Orig-*`, as pywb does. Both forms add `Memento-Datetime` (RFC 7089).

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Response, StatusCode};
use url::Url;

use super::archived::{ArchivedResponse, load};
use super::body::{Body, bytes_response, text};
use super::capture_index::CaptureIndex;
use super::replay_links::{replay_path, rewrite_css, rewrite_html};
use crate::extract::sniff::charset_from_content_type;

/// Decoded bodies larger than this are sent encoded as archived.
const MAX_DECODED: u64 = 512 << 20;

/// A replay request: `/<timestamp>[<modifier>_]/<url>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayTarget {
    pub timestamp: String,
    /// `id_`: the payload as archived.
    pub raw: bool,
    pub url: Url,
}

/// Reads a replay route from the raw path and query; `None` when the path is not one.
pub fn parse_target(path: &str, query: Option<&str>) -> Option<ReplayTarget> {
    let rest = path.strip_prefix('/')?;
    let (stamp, url_text) = rest.split_once('/')?;
    let digits_end = stamp
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(stamp.len());
    let (timestamp, modifier) = stamp.split_at(digits_end);
    if timestamp.is_empty() || timestamp.len() > 14 {
        return None;
    }
    // pywb's modifiers (`mp_`, `im_`, `cs_`, `js_`, `if_`, `oe_`) all mean "rewritten" here.
    let raw = match modifier {
        "" => false,
        "id_" => true,
        m if m.len() == 3 && m.ends_with('_') && m[..2].bytes().all(|b| b.is_ascii_lowercase()) => {
            false
        }
        _ => return None,
    };
    let mut text = url_text.to_string();
    if let Some(query) = query {
        text.push('?');
        text.push_str(query);
    }
    // An address typed into the path: percent-encoded whole, or without its scheme.
    if text.len() > 5 && text[..5].eq_ignore_ascii_case("http%") {
        text = percent_encoding::percent_decode_str(&text)
            .decode_utf8()
            .ok()?
            .into_owned();
    }
    if !text.contains("://") {
        // `http:/host/` (a slash lost on the way) or `host/path`.
        text = match text.split_once(":/") {
            Some((scheme, rest)) if matches!(scheme, "http" | "https") => {
                format!("{scheme}://{rest}")
            }
            _ => format!("http://{text}"),
        };
    }
    let url = Url::parse(&text).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(ReplayTarget {
        timestamp: timestamp.to_string(),
        raw,
        url,
    })
}

/// Answers a replay request from the archive.
pub fn respond(
    warc_dir: &std::path::Path,
    index: &CaptureIndex,
    target: &ReplayTarget,
    range: Option<&str>,
    head_only: bool,
) -> Response<Body> {
    let Some(entry) = index.nearest(&target.url, &target.timestamp) else {
        return text(
            StatusCode::NOT_FOUND,
            &format!("{} is not in this archive", target.url),
        );
    };
    let archived = match load(warc_dir, index, entry) {
        Ok(archived) => archived,
        Err(err) => {
            tracing::warn!("replay of {}: {err}", target.url);
            return text(StatusCode::BAD_GATEWAY, &format!("cannot replay: {err}"));
        }
    };
    let Ok(status) = StatusCode::from_u16(archived.status) else {
        return text(StatusCode::BAD_GATEWAY, "the archived status is not valid");
    };
    let mut response = if target.raw {
        raw_response(&archived, range, head_only)
    } else {
        rewritten_response(&archived, target, index, range, head_only)
    };
    // A range answer keeps its 206/416; any other takes the archived status.
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
        if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(archived.reason.clone().into_bytes())
        {
            response.extensions_mut().insert(reason);
        }
    }
    if let Some(date) = memento_datetime(&archived.date)
        && let Ok(value) = HeaderValue::from_str(&date)
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("memento-datetime"), value);
    }
    response
}

/// Headers that describe the connection or the framing, never the resource: not replayed.
fn is_framing(name: &str) -> bool {
    [
        "transfer-encoding",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "trailer",
        "upgrade",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

fn raw_response(
    archived: &ArchivedResponse,
    range: Option<&str>,
    head_only: bool,
) -> Response<Body> {
    let content_type = archived.header("content-type").unwrap_or_default();
    let mut response = bytes_response(
        Bytes::from(archived.payload.clone()),
        &content_type,
        range,
        head_only,
    );
    let headers = response.headers_mut();
    if content_type.is_empty() {
        headers.remove(CONTENT_TYPE);
    }
    for (name, value) in &archived.headers {
        if is_framing(name) || name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// Headers passed on as they are in the rewritten form; the rest become `X-Archive-Orig-*`.
const KEPT: &[&str] = &[
    "content-type",
    "content-language",
    "content-disposition",
    "content-range",
    "accept-ranges",
];

fn rewritten_response(
    archived: &ArchivedResponse,
    target: &ReplayTarget,
    index: &CaptureIndex,
    range: Option<&str>,
    head_only: bool,
) -> Response<Body> {
    let content_type = archived.header("content-type");
    let coding = archived.header("content-encoding");
    let (mut body, decoded) =
        match crate::content::coding::decode(coding.as_deref(), &archived.payload, MAX_DECODED) {
            Ok(body) => (body, true),
            Err(_) => (archived.payload.clone(), false),
        };
    let page = Url::parse(&archived.url).unwrap_or_else(|_| target.url.clone());
    let mime = content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let charset = content_type.as_deref().and_then(charset_from_content_type);
    if decoded {
        body = match mime.as_str() {
            "text/html" | "application/xhtml+xml" => {
                rewrite_html(&body, &page, charset, &target.timestamp, index)
            }
            "text/css" => rewrite_css(&body, &page, charset, &target.timestamp, index),
            _ => body,
        };
    }
    let mut response = bytes_response(
        Bytes::from(body),
        content_type.as_deref().unwrap_or(""),
        range,
        head_only,
    );
    let headers = response.headers_mut();
    if content_type.is_none() {
        headers.remove(CONTENT_TYPE);
    }
    for (name, value) in &archived.headers {
        let lower = name.to_ascii_lowercase();
        if is_framing(&lower) || lower == "content-type" {
            continue;
        }
        if lower == "content-encoding" && decoded {
            continue;
        }
        let (name, value) = if lower == "location" {
            let location = String::from_utf8_lossy(value);
            match page.join(location.trim()) {
                Ok(to) if matches!(to.scheme(), "http" | "https") => (
                    "location".to_string(),
                    replay_path(&target.timestamp, &to).into_bytes(),
                ),
                _ => (format!("x-archive-orig-{lower}"), value.clone()),
            }
        } else if KEPT.contains(&lower.as_str()) || (lower == "content-encoding" && !decoded) {
            (lower, value.clone())
        } else {
            (format!("x-archive-orig-{lower}"), value.clone())
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// The capture's time as `Memento-Datetime` wants it (an HTTP date).
fn memento_datetime(warc_date: &str) -> Option<String> {
    let date = chrono::DateTime::parse_from_rfc3339(warc_date).ok()?;
    let system: std::time::SystemTime = date.with_timezone(&chrono::Utc).into();
    Some(httpdate::fmt_http_date(system))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_routes_parse_like_pywb() {
        let t = parse_target("/20261127044334/http://127.0.0.1:8080/a/", Some("side=2")).unwrap();
        assert_eq!(t.timestamp, "20261127044334");
        assert!(!t.raw);
        assert_eq!(t.url.as_str(), "http://127.0.0.1:8080/a/?side=2");
        let raw = parse_target("/2026id_/https://example.org/", None).unwrap();
        assert!(raw.raw);
        assert_eq!(
            parse_target("/2026mp_/example.org/x", None).map(|t| t.url.to_string()),
            Some("http://example.org/x".into())
        );
        assert_eq!(
            parse_target("/2026/http:/example.org/x", None).map(|t| t.url.to_string()),
            Some("http://example.org/x".into())
        );
        assert_eq!(
            parse_target("/2026/http%3A%2F%2Fexample.org%2Fx", None).map(|t| t.url.to_string()),
            Some("http://example.org/x".into())
        );
        assert_eq!(parse_target("/127.0.0.1+8080/index.html", None), None);
        assert_eq!(parse_target("/2026xx/http://e/", None), None);
        assert_eq!(parse_target("/123456789012345/http://e/", None), None);
        assert_eq!(parse_target("/2026/ftp://e/", None), None);
    }

    #[test]
    fn memento_datetime_is_an_http_date() {
        assert_eq!(
            memento_datetime("2026-11-27T04:43:34.046934Z").as_deref(),
            Some("Fri, 27 Nov 2026 04:43:34 GMT")
        );
    }
}
