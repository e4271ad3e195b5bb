//! URLs in CSS (`url()`, `@import "…"`, `image-set()`), found by a tokenizer that follows CSS Syntax Level 3.
//!
//! Only the tokens that can carry URLs are materialised; everything else is skipped the way the
//! spec's tokenizer would consume it, so comments, strings and escapes never produce fake URLs.

use std::ops::Range;

use encoding_rs::Encoding;
use url::Url;

use super::decode::{Mapped, decode_mapped};
use super::{FoundUrl, LinkKind, resolve};

/// How to decode a style sheet when it carries no BOM.
#[derive(Debug, Clone, Copy, Default)]
pub struct CssOptions {
    /// The HTTP `Content-Type` charset.
    pub charset: Option<&'static Encoding>,
    /// The referring document's encoding, used after `@charset`.
    pub fallback: Option<&'static Encoding>,
}

/// The URLs of a style sheet and the encoding it was read in.
#[derive(Debug, Clone)]
pub struct CssScan {
    pub urls: Vec<FoundUrl>,
    pub encoding: &'static Encoding,
}

/// Finds every URL in a style sheet; spans are byte offsets into `bytes`, URLs resolve against
/// `base` (the style sheet's own URL) with UTF-8, as CSS URLs always do.
pub fn scan_css(bytes: &[u8], base: &Url, options: &CssOptions) -> CssScan {
    let (encoding, bom) = css_encoding(bytes, options);
    let mapped = decode_mapped(&bytes[bom..], encoding).shifted(bom);
    let urls = found_in(&mapped, base);
    CssScan { urls, encoding }
}

/// URLs in already-decoded CSS, spans mapped through `mapped` to the original bytes.
pub(crate) fn found_in(mapped: &Mapped, base: &Url) -> Vec<FoundUrl> {
    css_urls(&mapped.text)
        .into_iter()
        .map(|hit| FoundUrl {
            span: mapped.source_range(hit.span),
            url: resolve(base, &hit.raw, encoding_rs::UTF_8),
            raw: hit.raw,
            kind: LinkKind::Requisite,
            context: hit.context,
        })
        .collect()
}

/// CSS Syntax's "determine the fallback encoding": BOM, transport, `@charset`, referrer, UTF-8.
fn css_encoding(bytes: &[u8], options: &CssOptions) -> (&'static Encoding, usize) {
    if let Some(found) = Encoding::for_bom(bytes) {
        return found;
    }
    if let Some(e) = options.charset {
        return (e, 0);
    }
    if let Some(rest) = bytes.strip_prefix(b"@charset \"")
        && let Some(end) = rest.iter().position(|&b| b == b'"')
        && rest.get(end + 1) == Some(&b';')
        && let Some(e) = Encoding::for_label(&rest[..end])
    {
        let utf16 = e == encoding_rs::UTF_16BE || e == encoding_rs::UTF_16LE;
        return (if utf16 { encoding_rs::UTF_8 } else { e }, 0);
    }
    (options.fallback.unwrap_or(encoding_rs::UTF_8), 0)
}

/// One URL in CSS text: span of the URL as written (inside quotes or `url(…)`), unescaped value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CssHit {
    pub span: Range<usize>,
    pub raw: String,
    pub context: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paren {
    /// `url(` or `src(` followed by a string.
    Url,
    ImageSet,
    Other,
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_name(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-'
}

struct Tokenizer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Tokenizer<'_> {
    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    /// Two code points starting at `i + k` are a valid escape.
    fn valid_escape(&self, k: usize) -> bool {
        self.at(k) == Some(b'\\') && !matches!(self.at(k + 1), Some(b'\n' | b'\r' | b'\x0c'))
    }

    fn starts_ident(&self, k: usize) -> bool {
        match self.at(k) {
            Some(b'-') => {
                self.at(k + 1)
                    .is_some_and(|c| is_name_start(c) || c == b'-')
                    || self.valid_escape(k + 1)
            }
            Some(b'\\') => self.valid_escape(k),
            Some(c) => is_name_start(c),
            None => false,
        }
    }

    fn starts_number(&self) -> bool {
        match self.at(0) {
            Some(b'+' | b'-') => {
                self.at(1).is_some_and(|c| c.is_ascii_digit())
                    || (self.at(1) == Some(b'.') && self.at(2).is_some_and(|c| c.is_ascii_digit()))
            }
            Some(b'.') => self.at(1).is_some_and(|c| c.is_ascii_digit()),
            Some(c) => c.is_ascii_digit(),
            None => false,
        }
    }

    /// Consumes an escape (the `\` already checked valid) and appends what it stands for.
    fn escape(&mut self, out: &mut String) {
        self.i += 1;
        let hex = self.b[self.i..]
            .iter()
            .take(6)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if hex > 0 {
            let value = u32::from_str_radix(&self.s[self.i..self.i + hex], 16).unwrap_or(0);
            self.i += hex;
            if self.at(0) == Some(b'\r') && self.at(1) == Some(b'\n') {
                self.i += 2;
            } else if self.at(0).is_some_and(is_space) {
                self.i += 1;
            }
            let c = match value {
                0 | 0xD800..=0xDFFF => '\u{FFFD}',
                v => char::from_u32(v).unwrap_or('\u{FFFD}'),
            };
            out.push(c);
        } else if let Some(c) = self.s[self.i..].chars().next() {
            out.push(c);
            self.i += c.len_utf8();
        } else {
            out.push('\u{FFFD}');
        }
    }

    fn ident(&mut self) -> String {
        let mut out = String::new();
        loop {
            match self.at(0) {
                Some(c) if is_name(c) => {
                    let ch = self.s[self.i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
                Some(b'\\') if self.valid_escape(0) => self.escape(&mut out),
                _ => return out,
            }
        }
    }

    fn number(&mut self) {
        if matches!(self.at(0), Some(b'+' | b'-')) {
            self.i += 1;
        }
        let digits = |t: &mut Self| {
            while t.at(0).is_some_and(|c| c.is_ascii_digit()) {
                t.i += 1;
            }
        };
        digits(self);
        if self.at(0) == Some(b'.') && self.at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            digits(self);
        }
        if matches!(self.at(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.at(1), Some(b'+' | b'-')));
            if self.at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1 + sign;
                digits(self);
            }
        }
        if self.starts_ident(0) {
            self.ident();
        } else if self.at(0) == Some(b'%') {
            self.i += 1;
        }
    }

    /// A string token after its opening quote; `None` for a bad string (unescaped newline).
    fn string(&mut self, quote: u8) -> Option<(Range<usize>, String)> {
        let start = self.i;
        let mut out = String::new();
        loop {
            match self.at(0) {
                None => return Some((start..self.i, out)),
                Some(c) if c == quote => {
                    let span = start..self.i;
                    self.i += 1;
                    return Some((span, out));
                }
                Some(b'\n' | b'\r' | b'\x0c') => return None,
                Some(b'\\') => match self.at(1) {
                    None => self.i += 1,
                    Some(b'\r') if self.at(2) == Some(b'\n') => self.i += 3,
                    Some(b'\n' | b'\r' | b'\x0c') => self.i += 2,
                    Some(_) => self.escape(&mut out),
                },
                Some(_) => {
                    let ch = self.s[self.i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    /// An unquoted `url(` token after the `(` and whitespace; `None` for a bad URL.
    fn url(&mut self) -> Option<(Range<usize>, String)> {
        let start = self.i;
        let mut out = String::new();
        loop {
            match self.at(0) {
                None => return Some((start..self.i, out)),
                Some(b')') => {
                    let span = start..self.i;
                    self.i += 1;
                    return Some((span, out));
                }
                Some(c) if is_space(c) => {
                    let end = self.i;
                    while self.at(0).is_some_and(is_space) {
                        self.i += 1;
                    }
                    match self.at(0) {
                        None => return Some((start..end, out)),
                        Some(b')') => {
                            self.i += 1;
                            return Some((start..end, out));
                        }
                        Some(_) => return self.bad_url(),
                    }
                }
                Some(b'"' | b'\'' | b'(') => return self.bad_url(),
                Some(c) if c < 0x20 && c != b'\t' || c == 0x7f => return self.bad_url(),
                Some(b'\\') => {
                    if self.valid_escape(0) {
                        self.escape(&mut out);
                    } else {
                        return self.bad_url();
                    }
                }
                Some(_) => {
                    let ch = self.s[self.i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    fn bad_url(&mut self) -> Option<(Range<usize>, String)> {
        loop {
            match self.at(0) {
                None => return None,
                Some(b')') => {
                    self.i += 1;
                    return None;
                }
                Some(b'\\') if self.valid_escape(0) => self.escape(&mut String::new()),
                Some(_) => self.i += self.s[self.i..].chars().next().map_or(1, char::len_utf8),
            }
        }
    }
}

/// Every URL in `text`, in order.
pub(crate) fn css_urls(text: &str) -> Vec<CssHit> {
    let mut scan = UrlScan {
        t: Tokenizer {
            s: text,
            b: text.as_bytes(),
            i: 0,
        },
        hits: Vec::new(),
        parens: Vec::new(),
        after_import: false,
        in_namespace: false,
    };
    while let Some(c) = scan.t.at(0) {
        let was_import = std::mem::take(&mut scan.after_import);
        let t = &mut scan.t;
        if t.b[t.i..].starts_with(b"/*") {
            t.i = match text[t.i + 2..].find("*/") {
                Some(p) => t.i + 2 + p + 2,
                None => t.b.len(),
            };
            scan.after_import = was_import;
        } else if is_space(c) {
            t.i += 1;
            scan.after_import = was_import;
        } else if c == b'"' || c == b'\'' {
            t.i += 1;
            scan.string(c, was_import);
        } else if t.starts_number() {
            t.number();
        } else if t.b[t.i..].starts_with(b"-->") {
            t.i += 3;
        } else if t.b[t.i..].starts_with(b"<!--") {
            t.i += 4;
        } else if t.starts_ident(0) {
            let name = t.ident();
            if t.at(0) == Some(b'(') {
                t.i += 1;
                scan.function(&name);
            }
        } else if c == b'@' && t.starts_ident(1) {
            t.i += 1;
            let name = t.ident();
            scan.at_rule(&name);
        } else {
            scan.delimiter(c);
        }
    }
    scan.hits
}

/// What [`css_urls`] keeps track of between tokens: the open parentheses (which say whether a
/// string is a URL), whether the last rule keyword was `@import` or `@namespace`, and the hits.
struct UrlScan<'a> {
    t: Tokenizer<'a>,
    hits: Vec<CssHit>,
    parens: Vec<Paren>,
    /// The last significant token was `@import`: a following string is a URL.
    after_import: bool,
    /// Inside an `@namespace` rule: its URL names a namespace and is never fetched.
    in_namespace: bool,
}

impl UrlScan<'_> {
    fn push(&mut self, span: Range<usize>, raw: String, context: &'static str) {
        if !self.in_namespace && !raw.trim().is_empty() {
            self.hits.push(CssHit { span, raw, context });
        }
    }

    /// A quoted string: a URL after `@import`, inside `url(`/`src(` and inside `image-set(`.
    fn string(&mut self, quote: u8, after_import: bool) {
        let Some((span, raw)) = self.t.string(quote) else {
            return;
        };
        let context = if after_import {
            Some("css@import")
        } else {
            match self.parens.last() {
                Some(Paren::Url) => Some("css@url"),
                Some(Paren::ImageSet) => Some("css@image-set"),
                _ => None,
            }
        };
        if let Some(context) = context {
            self.push(span, raw, context);
        }
    }

    /// A function opened (`name(` consumed): `url(` with an unquoted URL is read whole here;
    /// the others only say what their strings are.
    fn function(&mut self, name: &str) {
        if name.eq_ignore_ascii_case("url") {
            let t = &mut self.t;
            let ws = t.b[t.i..].iter().take_while(|&&c| is_space(c)).count();
            t.i += ws;
            if matches!(t.at(0), Some(b'"' | b'\'')) {
                self.parens.push(Paren::Url);
            } else if let Some((span, raw)) = self.t.url() {
                self.push(span, raw, "css@url");
            }
        } else if name.eq_ignore_ascii_case("src") {
            self.parens.push(Paren::Url);
        } else if name.eq_ignore_ascii_case("image-set")
            || name.eq_ignore_ascii_case("-webkit-image-set")
        {
            self.parens.push(Paren::ImageSet);
        } else {
            self.parens.push(Paren::Other);
        }
    }

    /// An at-rule keyword (`@` consumed).
    fn at_rule(&mut self, name: &str) {
        self.after_import = name.eq_ignore_ascii_case("import");
        self.in_namespace = name.eq_ignore_ascii_case("namespace");
    }

    /// Any other code point: parentheses nest, a rule's end leaves `@namespace`.
    fn delimiter(&mut self, c: u8) {
        match c {
            b'(' => self.parens.push(Paren::Other),
            b')' => {
                self.parens.pop();
            }
            b';' | b'{' | b'}' => self.in_namespace = false,
            _ => {}
        }
        // A lone backslash or any other delimiter: one code point.
        let t = &mut self.t;
        t.i += t.s[t.i..].chars().next().map_or(1, char::len_utf8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(css: &str) -> Vec<(&str, String, &'static str)> {
        css_urls(css)
            .into_iter()
            .map(|h| (&css[h.span], h.raw, h.context))
            .collect()
    }

    #[test]
    fn url_forms() {
        let css = r#"a{background:url(a.png)} b{background:URL( "b.png" )} @import 'c.css'; @import url(d.css) print;"#;
        let got: Vec<_> = found(css).into_iter().map(|(s, _, c)| (s, c)).collect();
        assert_eq!(
            got,
            [
                ("a.png", "css@url"),
                ("b.png", "css@url"),
                ("c.css", "css@import"),
                ("d.css", "css@url")
            ]
        );
    }

    #[test]
    fn escapes_comments_and_image_set() {
        let got = found(r"x{a:url(im\ age.png)}");
        assert_eq!(got, [(r"im\ age.png", "im age.png".to_string(), "css@url")]);
        // An escaped ident that spells `url` is still a url token (CSS Syntax §4.3.4).
        assert_eq!(found(r"x{a:\75 rl(x.png)}")[0].1, "x.png");
        assert!(found("/* url(fake.png) */ x{content:'url(no.png)'}").is_empty());
        let got =
            found(r#"x{a:image-set("1x.png" 1x, url(2x.png) 2x, "3x.png" type("image/png"))}"#);
        let raws: Vec<_> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(raws, ["1x.png", "2x.png", "3x.png"]);
        assert!(found("x{a:5url(no.png); b:url(bad\"url.png)}").is_empty());
        assert!(
            found("@namespace svg url(http://www.w3.org/2000/svg); @import 'x.css';").len() == 1
        );
        let got = found("@font-face{src:url(f.woff2) format('woff2'), local('X'), url('f.woff')}");
        let raws: Vec<_> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(raws, ["f.woff2", "f.woff"]);
    }

    proptest::proptest! {
        #[test]
        fn spans_are_in_bounds_and_on_char_boundaries(css in "[a-z(){}:;'\"\\ /*@\n0-9é-]{0,60}") {
            for hit in css_urls(&css) {
                proptest::prop_assert!(css.get(hit.span.clone()).is_some());
            }
        }
    }

    #[test]
    fn charset_rule_and_bom() {
        let base = Url::parse("http://h/s/a.css").unwrap();
        let mut css = b"@charset \"iso-8859-1\"; a{b:url(\xe6.png)}".to_vec();
        let scan = scan_css(&css, &base, &CssOptions::default());
        assert_eq!(scan.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(scan.urls[0].raw, "\u{e6}.png");
        assert_eq!(&css[scan.urls[0].span.clone()], b"\xe6.png");
        // CSS URLs resolve with UTF-8 whatever the sheet's encoding.
        assert_eq!(
            scan.urls[0].url.as_ref().unwrap().as_str(),
            "http://h/s/%C3%A6.png"
        );
        css.splice(0..0, *b"\xEF\xBB\xBF");
        let scan = scan_css(&css, &base, &CssOptions::default());
        assert_eq!(scan.encoding, encoding_rs::UTF_8);
        assert_eq!(scan.urls[0].span.start, 3 + 31);
    }
}
