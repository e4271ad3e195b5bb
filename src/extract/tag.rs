//! A small tokenizer for one start tag's raw bytes: attribute names and value spans, as HTML tokenizes them.

use std::ops::Range;

/// One attribute of a start tag; ranges are offsets into the tag's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttr {
    pub name: Range<usize>,
    /// The value without its quotes; an empty range for `<x a>`.
    pub value: Range<usize>,
}

/// A start tag's name, attributes, and where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTag {
    pub name: Range<usize>,
    pub attrs: Vec<RawAttr>,
    /// Offset just past the closing `>`; `None` when the input ends first.
    pub end: Option<usize>,
}

impl RawTag {
    /// The first attribute called `name` (ASCII case-insensitive): like browsers, later
    /// duplicates are ignored.
    pub fn attr<'a>(&'a self, bytes: &[u8], name: &str) -> Option<&'a RawAttr> {
        self.attrs
            .iter()
            .find(|a| bytes[a.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The first attribute's raw value bytes (undecoded).
    pub fn value<'b>(&self, bytes: &'b [u8], name: &str) -> Option<&'b [u8]> {
        self.attr(bytes, name).map(|a| &bytes[a.value.clone()])
    }

    /// Whether an attribute named `name` occurs earlier than `attr` (so `attr` is a duplicate).
    pub fn is_first(&self, bytes: &[u8], attr: &RawAttr) -> bool {
        self.attr(
            bytes,
            std::str::from_utf8(&bytes[attr.name.clone()]).unwrap_or(""),
        )
        .is_some_and(|first| first == attr)
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Tokenizes the start tag at the beginning of `bytes` (which must start with `<`), following
/// the HTML tokenizer's tag states.
pub fn parse_start_tag(bytes: &[u8]) -> RawTag {
    let len = bytes.len();
    let mut i = 1;
    let name_start = i;
    while i < len && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let mut tag = RawTag {
        name: name_start..i,
        attrs: Vec::new(),
        end: None,
    };
    loop {
        // Before attribute name: whitespace and stray `/` are skipped.
        while i < len && (is_space(bytes[i]) || bytes[i] == b'/') {
            i += 1;
        }
        if i >= len {
            return tag;
        }
        if bytes[i] == b'>' {
            tag.end = Some(i + 1);
            return tag;
        }
        // Attribute name: a leading `=` belongs to the name.
        let name_start = i;
        i += 1;
        while i < len && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = name_start..i;
        while i < len && is_space(bytes[i]) {
            i += 1;
        }
        if i >= len || bytes[i] != b'=' {
            // No value; `/`, `>` or the next name is handled by the loop.
            tag.attrs.push(RawAttr { name, value: i..i });
            continue;
        }
        i += 1;
        while i < len && is_space(bytes[i]) {
            i += 1;
        }
        if i >= len {
            tag.attrs.push(RawAttr { name, value: i..i });
            return tag;
        }
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                let start = i + 1;
                let Some(offset) = bytes[start..].iter().position(|&b| b == quote) else {
                    tag.attrs.push(RawAttr {
                        name,
                        value: start..len,
                    });
                    return tag;
                };
                tag.attrs.push(RawAttr {
                    name,
                    value: start..start + offset,
                });
                i = start + offset + 1;
            }
            b'>' => {
                tag.attrs.push(RawAttr { name, value: i..i });
            }
            _ => {
                let start = i;
                while i < len && !is_space(bytes[i]) && bytes[i] != b'>' {
                    i += 1;
                }
                tag.attrs.push(RawAttr {
                    name,
                    value: start..i,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(html: &str) -> Vec<(String, String)> {
        let b = html.as_bytes();
        parse_start_tag(b)
            .attrs
            .into_iter()
            .map(|a| {
                let n = String::from_utf8_lossy(&b[a.name]).into_owned();
                let v = String::from_utf8_lossy(&b[a.value]).into_owned();
                (n, v)
            })
            .collect()
    }

    #[test]
    fn quoted_unquoted_and_bare_attributes() {
        let got = attrs("<IMG SRC=a.png alt='x > y' data-x = \"q\" hidden/ =odd=1 title=>");
        let want = [
            ("SRC", "a.png"),
            ("alt", "x > y"),
            ("data-x", "q"),
            ("hidden", ""),
            ("=odd", "1"),
            ("title", ""),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
        let tag = parse_start_tag(b"<a href=x>rest");
        assert_eq!(tag.end, Some(10));
        assert_eq!(parse_start_tag(b"<a href='x").end, None);
    }

    #[test]
    fn first_duplicate_wins() {
        let b = b"<a HREF=1 href=2>";
        let tag = parse_start_tag(b);
        assert_eq!(tag.value(b, "href"), Some(&b"1"[..]));
        assert!(!tag.is_first(b, &tag.attrs[1]));
    }
}
