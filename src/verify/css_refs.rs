//! Finds the URLs in CSS text: `url()`, `@import "…"` and the strings of `image-set()`.
//!
//! A small scanner of our own rather than the mirror's tokenizer, so the two cannot share a bug.
//! Comments are skipped, and so are strings that carry no URL (`content: "url(x)"` is text).

/// One URL in CSS, with the byte offset of its value in the scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssRef {
    pub offset: usize,
    pub url: String,
}

/// Every URL in `css`, in source order.
pub fn find_css_urls(css: &str) -> Vec<CssRef> {
    let bytes = css.as_bytes();
    let mut refs = Vec::new();
    // End offsets of open `image-set(` calls: strings directly inside them are URLs.
    let mut image_sets: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        image_sets.retain(|&end| end > i);
        let rest = &css[i..];
        if rest.starts_with("/*") {
            i = rest.find("*/").map_or(bytes.len(), |p| i + p + 2);
        } else if bytes[i] == b'"' || bytes[i] == b'\'' {
            let (value, end) = read_string(css, i);
            if !image_sets.is_empty() {
                refs.push(CssRef {
                    offset: i + 1,
                    url: value,
                });
            }
            i = end;
        } else if starts_with_ci(rest, "url(") && !ident_before(bytes, i) {
            let (url_ref, end) = read_url(css, i + 4);
            refs.extend(url_ref);
            i = end;
        } else if starts_with_ci(rest, "@import") {
            let mut j = i + 7;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
                let (value, end) = read_string(css, j);
                refs.push(CssRef {
                    offset: j + 1,
                    url: value,
                });
                i = end;
            } else {
                i = j;
            }
        } else if (starts_with_ci(rest, "image-set(") && !ident_before(bytes, i))
            || starts_with_ci(rest, "-webkit-image-set(")
        {
            let open = i + rest.find('(').unwrap_or(0);
            image_sets.push(matching_paren(css, open));
            i = open + 1;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    refs
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `xurl(` is not `url(`.
fn ident_before(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-' || bytes[i - 1] == b'_')
}

/// Reads the string opening at `start` (a quote); returns its unescaped value and the end offset.
fn read_string(css: &str, start: usize) -> (String, usize) {
    let quote = css.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = css[start + 1..].char_indices().peekable();
    while let Some((k, ch)) = chars.next() {
        match ch {
            c if c == quote => return (value, start + 1 + k + 1),
            // An unescaped newline ends a bad string, as in the CSS syntax spec.
            '\n' => return (value, start + 1 + k),
            '\\' => {
                let escaped = unescape(&css[start + 1 + k + 1..]);
                value.extend(escaped.0);
                for _ in 0..escaped.1 {
                    chars.next();
                }
            }
            c => value.push(c),
        }
    }
    (value, css.len())
}

/// Decodes one CSS escape (the text after a backslash): the char and how many chars it used.
fn unescape(after: &str) -> (Option<char>, usize) {
    let hex: String = after
        .chars()
        .take(6)
        .take_while(char::is_ascii_hexdigit)
        .collect();
    if hex.is_empty() {
        return match after.chars().next() {
            Some('\n') => (None, 1),
            Some(c) => (Some(c), 1),
            None => (None, 0),
        };
    }
    let mut used = hex.len();
    if after[hex.len()..].starts_with(|c: char| c.is_ascii_whitespace()) {
        used += 1;
    }
    let ch = u32::from_str_radix(&hex, 16)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    (Some(ch), used)
}

/// Reads the argument of `url(` starting at `start`; returns the URL and the offset after `)`.
fn read_url(css: &str, start: usize) -> (Option<CssRef>, usize) {
    let bytes = css.as_bytes();
    let mut i = start;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
        let (value, end) = read_string(css, i);
        let close = css[end..].find(')').map_or(css.len(), |p| end + p + 1);
        return (
            Some(CssRef {
                offset: i + 1,
                url: value,
            }),
            close,
        );
    }
    let value_start = i;
    let mut value = String::new();
    let mut chars = css[i..].char_indices();
    while let Some((k, ch)) = chars.next() {
        match ch {
            ')' => {
                let url = value.trim_end().to_string();
                return (
                    Some(CssRef {
                        offset: value_start,
                        url,
                    }),
                    i + k + 1,
                );
            }
            '\\' => {
                let (c, used) = unescape(&css[i + k + 1..]);
                value.extend(c);
                for _ in 0..used {
                    chars.next();
                }
            }
            c => value.push(c),
        }
    }
    (None, css.len())
}

/// The offset just after the `)` matching the `(` at `open`, skipping strings and comments.
fn matching_paren(css: &str, open: usize) -> usize {
    let bytes = css.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'"' | b'\'' => {
                i = read_string(css, i).1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = css[i..].find("*/").map_or(bytes.len(), |p| i + p + 2);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(css: &str) -> Vec<String> {
        find_css_urls(css).into_iter().map(|r| r.url).collect()
    }

    #[test]
    fn finds_every_form() {
        let css = r#"@import "a.css"; @import url(b.css);
            /* url(comment.png) */ .x { background: url( "c.png" ) ; content: "url(no.png)" }
            .y { background-image: image-set("d.png" 1x, url(e.png) 2x); mask: URL(f\.png) }"#;
        assert_eq!(
            urls(css),
            ["a.css", "b.css", "c.png", "d.png", "e.png", "f.png"]
        );
    }

    #[test]
    fn offsets_point_at_values() {
        let css = "a{b:url(x.png)}";
        let r = &find_css_urls(css)[0];
        assert_eq!(&css[r.offset..r.offset + 5], "x.png");
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for css in ["url(", "url(\"", "@import", "image-set(", "\"\\", "/*"] {
            let _ = find_css_urls(css);
        }
    }
}
