//! The URL in a refresh value (`<meta http-equiv=refresh content>` and the `Refresh` header).

use std::ops::Range;

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The byte range of the URL in `value`, following HTML's "shared declarative refresh steps";
/// `None` when the value is malformed or names no URL (a plain reload).
pub fn refresh_url(value: &str) -> Option<Range<usize>> {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 && b.get(i) != Some(&b'.') {
        return None;
    }
    i += digits;
    i += b[i..]
        .iter()
        .take_while(|&&c| c.is_ascii_digit() || c == b'.')
        .count();
    if i < b.len() {
        if !(is_space(b[i]) || b[i] == b';' || b[i] == b',') {
            return None;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i < b.len() && (b[i] == b';' || b[i] == b',') {
            i += 1;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
    }
    if i >= b.len() {
        return None;
    }
    // Optional `url =`, checked letter by letter like the spec does.
    let mut j = i;
    if b[j].eq_ignore_ascii_case(&b'u') {
        j += 1;
        if b.get(j).is_some_and(|c| c.eq_ignore_ascii_case(&b'r')) {
            j += 1;
            if b.get(j).is_some_and(|c| c.eq_ignore_ascii_case(&b'l')) {
                j += 1;
                while j < b.len() && is_space(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b'=') {
                    j += 1;
                    while j < b.len() && is_space(b[j]) {
                        j += 1;
                    }
                    i = j;
                }
            }
        }
    }
    let mut end = b.len();
    if let Some(&q @ (b'"' | b'\'')) = b.get(i) {
        i += 1;
        if let Some(p) = b[i..].iter().position(|&c| c == q) {
            end = i + p;
        }
    }
    // The URL parser strips surrounding spaces and controls; the span leaves them in place.
    while end > i && (b[end - 1] <= b' ') {
        end -= 1;
    }
    while i < end && b[i] <= b' ' {
        i += 1;
    }
    (i < end).then_some(i..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(v: &str) -> Option<&str> {
        refresh_url(v).map(|r| &v[r])
    }

    #[test]
    fn refresh_forms() {
        assert_eq!(url("0; url=/next"), Some("/next"));
        assert_eq!(url("5;URL='/a b' "), Some("/a b"));
        assert_eq!(url("3, /plain"), Some("/plain"));
        assert_eq!(url("1.5 ; Url = \"/q\"x"), Some("/q"));
        assert_eq!(url("0;url=/x"), Some("/x"));
        assert_eq!(url("10"), None);
        assert_eq!(url("soon; url=/x"), None);
        assert_eq!(url("0; urn=/x"), Some("urn=/x"));
    }
}
