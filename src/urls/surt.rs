//! SURT (Sort-friendly URI Reordering Transform) keys, as pywb computes them.
//!
//! pywb keys its CDXJ index with `surt.surt(url)` from the Internet Archive's `surt` package, with
//! its defaults: Google-style canonicalization (fragment dropped, percent-escapes resolved and
//! re-applied minimally, dot segments and empty segments removed), then the IA canonicalizer (host,
//! path and query lower-cased, `www\d*.` dropped, user info and default port dropped, session IDs
//! stripped, trailing slash dropped unless the path is `/`, query arguments sorted, an empty query
//! dropped), printed without scheme and without a trailing comma, IPv4 addresses reversed too:
//! `http://www.Example.com:8080/A/?b=2&a=1` → `com,example:8080)/a?a=1&b=2`.
//! The input is an already parsed `url::Url`, which has resolved dot segments, default ports,
//! IDNA and numeric IPv4 forms the same way the Python canonicalizer does.

use std::sync::LazyLock;

use regex::bytes::Regex;

/// The SURT key pywb would compute for `url`.
pub fn surt(url: &url::Url) -> String {
    let Some(host) = url.host_str() else {
        // No authority (mailto:, urn:, data:): the surt package keeps `scheme:rest` as is.
        return url
            .as_str()
            .split('#')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
    };
    let mut out = String::new();
    out.push_str(&surt_host(host));
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push(')');
    out.push_str(&canonical_path(url.path()));
    if let Some(query) = url.query().and_then(canonical_query) {
        out.push('?');
        out.push_str(&query);
    }
    out
}

fn surt_host(host: &str) -> String {
    let host = String::from_utf8_lossy(&unescape_repeatedly(host.as_bytes())).to_lowercase();
    let mut host = host.replace("..", ".");
    host = host.trim_matches('.').to_owned();
    let host = escape_once(host.as_bytes());
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.to_owned(); // The Python parser drops the brackets; there are no dots to reverse.
    }
    static WWW: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^www\d*\.").ok());
    let massaged = match WWW.as_ref().and_then(|re| re.find(host.as_bytes())) {
        Some(m) => &host[m.end()..],
        None => host.as_str(),
    };
    massaged.split('.').rev().collect::<Vec<_>>().join(",")
}

fn canonical_path(path: &str) -> String {
    let normalized = normalize_path(&unescape_repeatedly(path.as_bytes()));
    let mut path = escape_once(&normalized).to_ascii_lowercase();
    path = strip_path_session_id(path);
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    path
}

fn canonical_query(query: &str) -> Option<String> {
    if query.is_empty() {
        return None;
    }
    let query = escape_once(&unescape_repeatedly(query.as_bytes()));
    let query = strip_query_session_id(query).to_ascii_lowercase();
    let query = alpha_reorder(&query);
    (!query.is_empty()).then_some(query)
}

/// Sorts `&`-separated arguments, comparing (name, value) pairs as Python tuples do.
fn alpha_reorder(query: &str) -> String {
    if query.len() <= 1 {
        return query.to_owned();
    }
    let mut args: Vec<(&str, Option<&str>)> = query
        .split('&')
        .map(|arg| match arg.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (arg, None),
        })
        .collect();
    args.sort();
    args.iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => (*k).to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Drops `.` segments, resolves `..`, and omits empty segments except a trailing one.
fn normalize_path(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b"/".to_vec();
    }
    let mut kept: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/').skip(1) {
        match segment {
            b"." => {}
            b".." if !kept.is_empty() => {
                kept.pop();
            }
            _ => kept.push(segment),
        }
    }
    let mut out = b"/".to_vec();
    if let Some((last, rest)) = kept.split_last() {
        for segment in rest.iter().filter(|s| !s.is_empty()) {
            out.extend_from_slice(segment);
            out.push(b'/');
        }
        out.extend_from_slice(last);
    }
    out
}

/// Percent-decodes until nothing changes (`%2525` → `%`), as `unescapeRepeatedly` does; each round
/// reads the result as UTF-8 with replacement characters, like Python's `unquote`.
fn unescape_repeatedly(input: &[u8]) -> Vec<u8> {
    let mut current = input.to_vec();
    loop {
        let decoded: Vec<u8> = percent_encoding::percent_decode(&current).collect();
        let decoded = String::from_utf8_lossy(&decoded).into_owned().into_bytes();
        if decoded == current {
            return current;
        }
        current = decoded;
    }
}

/// Escapes controls, space, `#`, `%` and non-ASCII, keeping the rest readable (the safe set of
/// the surt package's `escapeOnce`).
fn escape_once(input: &[u8]) -> String {
    const SAFE: &[u8] = b"!\"$&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let mut out = String::with_capacity(input.len());
    for &b in input {
        if b.is_ascii_alphanumeric() || SAFE.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn strip_query_session_id(query: String) -> String {
    static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)^(.*)(?:jsessionid=[0-9a-z]{32})(?:&(.*))?$",
            r"(?i)^(.*)(?:phpsessid=[0-9a-z]{32})(?:&(.*))?$",
            r"(?i)^(.*)(?:sid=[0-9a-z]{32})(?:&(.*))?$",
            r"(?i)^(.*)(?:aspsessionid[a-z]{8}=[a-z]{24})(?:&(.*))?$",
            r"(?i)^(.*)(?:cfid=[^&]+&cftoken=[^&]+)(?:&(.*))?$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    let mut query = query.into_bytes();
    for re in PATTERNS.iter() {
        if let Some(caps) = re.captures(&query) {
            let mut stripped = caps
                .get(1)
                .map(|m| m.as_bytes().to_vec())
                .unwrap_or_default();
            if let Some(rest) = caps.get(2).filter(|m| !m.is_empty()) {
                stripped.extend_from_slice(rest.as_bytes());
            }
            query = stripped;
        }
    }
    String::from_utf8_lossy(&query).into_owned()
}

fn strip_path_session_id(path: String) -> String {
    static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)^(.*/)(\((?:[a-z]\([0-9a-z]{24}\))+\)/)([^\?]+\.aspx.*)$",
            r"(?i)^(.*/)(\([0-9a-z]{24}\)/)([^\?]+\.aspx.*)$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    let mut path = path.into_bytes();
    for re in PATTERNS.iter() {
        if let Some(caps) = re.captures(&path) {
            let mut stripped = caps
                .get(1)
                .map(|m| m.as_bytes().to_vec())
                .unwrap_or_default();
            stripped.extend_from_slice(caps.get(3).map(|m| m.as_bytes()).unwrap_or_default());
            path = stripped;
        }
    }
    String::from_utf8_lossy(&path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> String {
        url::Url::parse(url)
            .map(|u| surt(&u))
            .unwrap_or_else(|e| format!("parse error: {e}"))
    }

    #[test]
    fn known_pywb_keys() {
        // Each expected key was checked against `surt.surt(url)` from the Python `surt` package
        // (the one pywb and cdxj-indexer use).
        let cases = [
            ("http://example.com/", "com,example)/"),
            ("http://www.example.com/", "com,example)/"),
            ("https://www2.Example.COM/", "com,example)/"),
            (
                "http://www.iana.org/domains/example/",
                "org,iana)/domains/example",
            ),
            (
                "http://example.com/Path/Page.HTML?b=2&a=1#frag",
                "com,example)/path/page.html?a=1&b=2",
            ),
            ("http://example.com:8080/a/", "com,example:8080)/a"),
            ("http://example.com:80/", "com,example)/"),
            ("https://example.com:443/x", "com,example)/x"),
            ("http://127.0.0.1:8000/x", "1,0,0,127:8000)/x"),
            ("http://example.com/?", "com,example)/"),
            ("http://example.com/index.html?", "com,example)/index.html"),
            ("http://user:pw@example.com/", "com,example)/"),
            ("http://example.com/a%2520b", "com,example)/a%20b"),
            ("http://example.com//a//b", "com,example)/a/b"),
            (
                "http://example.com/a?b=a&b=b&a=b",
                "com,example)/a?a=b&b=a&b=b",
            ),
            ("http://example.com/a?foo&bar=1", "com,example)/a?bar=1&foo"),
            (
                "http://example.com/a?jsessionid=0123456789abcdef0123456789abcdef&x=1",
                "com,example)/a?x=1",
            ),
            ("http://example.com/caf%C3%A9", "com,example)/caf%c3%a9"),
            ("http://bücher.ch/", "ch,xn--bcher-kva)/"),
            (
                "http://example.com/%7Euser/a%20b/",
                "com,example)/~user/a%20b",
            ),
            ("http://EXAMPLE.com/a/../b/./c", "com,example)/b/c"),
            ("http://example.com/a?q=%2F%3f", "com,example)/a?q=/?"),
            ("http://[::1]:8080/x", "::1:8080)/x"),
            ("http://example.com/a#x?y", "com,example)/a"),
            ("http://example.com/%zz%", "com,example)/%25zz%25"),
            ("https://example.com:8443", "com,example:8443)/"),
        ];
        for (url, want) in cases {
            assert_eq!(key(url), want, "{url}");
        }
    }

    #[test]
    fn path_normalization_matches_the_python_port() {
        assert_eq!(normalize_path(b""), b"/");
        assert_eq!(normalize_path(b"/a/./b/../c/"), b"/a/c/");
        assert_eq!(normalize_path(b"/../a"), b"/../a");
        assert_eq!(unescape_repeatedly(b"%25%32%35"), b"%");
        assert_eq!(escape_once(b"a b#%\x7f"), "a%20b%23%25%7F");
    }
}
