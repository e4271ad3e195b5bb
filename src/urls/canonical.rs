//! Canonical URL form used for de-duplication.
//!
//! Two URLs a server cannot tell apart get the same canonical form: the fragment is dropped
//! (never sent), scheme and host are lower-cased and the default port dropped (the `url` crate
//! does these when parsing), and percent-encoding is normalised in path and query: hex digits
//! upper-cased, escapes of unreserved characters (`%41` → `A`, `%7E` → `~`) decoded, reserved
//! ones (`%2F`, `%3F`, `%25`, …) never, and a lone `%` written as `%25` (what it means to every
//! server, and it keeps the form idempotent: no decoding can make a new escape).
//!
//! An empty query (`/page?`) is dropped: it names the same resource as `/page` on every server
//! we know, and SURT (hence pywb's CDXJ keys) drops it too, so our de-duplication agrees with
//! the index. Other schemes (`mailto:`, `data:`) only lose their fragment.

use url::Url;

/// The canonical form of `url` (see the module documentation).
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if !matches!(url.scheme(), "http" | "https") {
        return out;
    }
    let path = normalize_escapes(out.path());
    if path != out.path() {
        out.set_path(&path);
    }
    match out.query() {
        Some("") => out.set_query(None),
        Some(query) => {
            let query = normalize_escapes(query);
            if Some(query.as_str()) != out.query() {
                out.set_query(Some(&query));
            }
        }
        None => {}
    }
    out
}

/// The canonical form as a string, for use as a key in sets and maps.
pub fn canonical_key(url: &Url) -> String {
    canonicalize(url).into()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Upper-cases escapes, decodes unreserved ones and escapes a `%` that starts no escape.
pub(crate) fn normalize_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            let next = s[i..].find('%').map_or(s.len(), |p| i + p);
            out.push_str(&s[i..next]);
            i = next;
            continue;
        }
        match (
            b.get(i + 1).copied().and_then(hex_value),
            b.get(i + 2).copied().and_then(hex_value),
        ) {
            (Some(hi), Some(lo)) => {
                let byte = hi << 4 | lo;
                if is_unreserved(byte) {
                    out.push(byte as char);
                } else {
                    out.push_str(&format!("%{byte:02X}"));
                }
                i += 3;
            }
            _ => {
                out.push_str("%25");
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        canonical_key(&Url::parse(s).unwrap())
    }

    #[test]
    fn normalises() {
        assert_eq!(
            canon("HTTP://Example.COM:80/a/./b/../%7e%41%2f%3f%25x?q=%e6%2D#frag"),
            "http://example.com/a/~A%2F%3F%25x?q=%E6-"
        );
        assert_eq!(canon("https://h:443/p?"), "https://h/p");
        assert_eq!(canon("https://h:8443/p?a"), "https://h:8443/p?a");
        assert_eq!(canon("http://h/100%/x?50%"), "http://h/100%25/x?50%25");
        assert_eq!(canon("mailto:a@b#x"), "mailto:a@b");
    }

    #[test]
    fn a_lone_percent_cannot_form_a_new_escape() {
        let once = canon("http://h/%%34%31");
        assert_eq!(once, "http://h/%2541");
        assert_eq!(canon(&once), once);
    }

    proptest! {
        #[test]
        fn idempotent_on_url_like_input(s in "(https?|HTTP|ftp)://[a-zA-Z0-9.-]{1,12}(:[0-9]{1,5})?(/[a-zA-Z0-9%._~!$&'()*+,;=:@ -]{0,10}){0,4}(\\?[a-zA-Z0-9%=&+ /?-]{0,12})?(#[a-z%]{0,4})?") {
            if let Ok(url) = Url::parse(&s) {
                let once = canonicalize(&url);
                let twice = canonicalize(&once);
                prop_assert_eq!(once.as_str(), twice.as_str());
                prop_assert!(once.fragment().is_none());
                let reparsed = Url::parse(once.as_str()).unwrap();
                prop_assert_eq!(canonical_key(&reparsed), canonical_key(&once));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            if let Ok(url) = Url::parse(&s) {
                let _ = canonical_key(&url);
            }
            if let Ok(url) = Url::parse(&format!("http://h/{s}")) {
                let once = canonicalize(&url);
                prop_assert_eq!(canonicalize(&once), once);
            }
        }
    }
}
