//! Decoding text (charset, then HTML character references) while remembering where every decoded byte came from.

use std::ops::Range;

use encoding_rs::Encoding;

/// Decoded text plus, for each byte offset of `text` (and one past its end), the offset in the
/// source it came from, so a span found in the text maps back to the original bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub text: String,
    map: Vec<usize>,
}

impl Mapped {
    /// Source range of `range` (byte offsets into `text`).
    pub fn source_range(&self, range: Range<usize>) -> Range<usize> {
        let at = |i: usize| self.map.get(i).copied().unwrap_or(self.source_len());
        at(range.start)..at(range.end)
    }

    fn source_len(&self) -> usize {
        self.map.last().copied().unwrap_or(0)
    }

    /// The same text, for a source that had `by` more bytes in front (a skipped BOM).
    pub fn shifted(mut self, by: usize) -> Mapped {
        for i in &mut self.map {
            *i += by;
        }
        self
    }

    /// Composes two mappings: `self` maps into `outer`'s text, the result into `outer`'s source.
    pub fn through(self, outer: &Mapped) -> Mapped {
        let map = self
            .map
            .iter()
            .map(|&i| outer.map.get(i).copied().unwrap_or(outer.source_len()))
            .collect();
        Mapped {
            text: self.text,
            map,
        }
    }
}

/// Decodes `bytes` with `encoding` (no BOM sniffing: the caller has decided the encoding),
/// malformed sequences becoming U+FFFD, and maps each decoded byte back to the start of the
/// source sequence that produced it.
pub fn decode_mapped(bytes: &[u8], encoding: &'static Encoding) -> Mapped {
    let mut text = String::with_capacity(bytes.len());
    let mut map = Vec::with_capacity(bytes.len() + 1);
    if encoding == encoding_rs::UTF_8 {
        // Fast path, and the common one: walk valid runs and replace each invalid sequence.
        let mut pos = 0;
        for chunk in bytes.utf8_chunks() {
            let valid = chunk.valid();
            for (i, c) in valid.char_indices() {
                for _ in 0..c.len_utf8() {
                    map.push(pos + i);
                }
            }
            text.push_str(valid);
            pos += valid.len();
            if !chunk.invalid().is_empty() {
                text.push('\u{FFFD}');
                map.extend([pos; 3]);
                pos += chunk.invalid().len();
            }
        }
        map.push(bytes.len());
        return Mapped { text, map };
    }
    // Feed one byte at a time: whatever comes out belongs to the bytes since the last output.
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut pending_start = 0;
    let mut buf = [0u8; 32];
    for (i, b) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        let (_, _, written, _) = decoder.decode_to_utf8(std::slice::from_ref(b), &mut buf, last);
        if written > 0 {
            push_decoded(&mut text, &mut map, &buf[..written], pending_start);
            pending_start = i + 1;
        }
    }
    if bytes.is_empty() {
        let (_, _, written, _) = decoder.decode_to_utf8(&[], &mut buf, true);
        push_decoded(&mut text, &mut map, &buf[..written], pending_start);
    }
    map.push(bytes.len());
    Mapped { text, map }
}

fn push_decoded(text: &mut String, map: &mut Vec<usize>, utf8: &[u8], source: usize) {
    // The decoder only ever writes whole UTF-8 sequences.
    let piece = String::from_utf8_lossy(utf8);
    map.extend(std::iter::repeat_n(source, piece.len()));
    text.push_str(&piece);
}

/// Decodes HTML character references in an attribute value (HTML "character reference state"
/// with the attribute rule: a legacy reference without `;` followed by `=` or an alphanumeric is
/// left as written, so `?a=1&copy=2` stays intact).
pub fn decode_entities(input: &str) -> Mapped {
    decode_entities_in(input, true)
}

/// Like [`decode_entities`] for text content (`<title>`), where the attribute rule does not apply.
pub fn decode_entities_text(input: &str) -> Mapped {
    decode_entities_in(input, false)
}

fn decode_entities_in(input: &str, in_attribute: bool) -> Mapped {
    let mut text = String::with_capacity(input.len());
    let mut map = Vec::with_capacity(input.len() + 1);
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'&'
            && let Some((c, len)) = reference_at(&input[i..], in_attribute)
        {
            let start = text.len();
            text.push(c);
            map.extend(std::iter::repeat_n(i, text.len() - start));
            i += len;
            continue;
        }
        // Copy one whole character.
        let c_len = input[i..].chars().next().map_or(1, char::len_utf8);
        text.push_str(&input[i..i + c_len]);
        map.extend(i..i + c_len);
        i += c_len;
    }
    map.push(input.len());
    Mapped { text, map }
}

/// The character a reference at the start of `s` (which starts with `&`) stands for, and how
/// many bytes it spans.
fn reference_at(s: &str, in_attribute: bool) -> Option<(char, usize)> {
    let rest = &s[1..];
    if let Some(num) = rest.strip_prefix('#') {
        let (hex, digits_start) = match num.as_bytes().first() {
            Some(b'x' | b'X') => (true, 1),
            _ => (false, 0),
        };
        let digits: &str = &num[digits_start..];
        let len = digits
            .bytes()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if len == 0 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..len.min(8)], if hex { 16 } else { 10 })
            .unwrap_or(u32::MAX);
        let value = if len > 8 { u32::MAX } else { value };
        let mut consumed = 2 + digits_start + len;
        if digits.as_bytes().get(len) == Some(&b';') {
            consumed += 1;
        }
        return Some((numeric_char(value), consumed));
    }
    let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = &rest[..name_len];
    if rest.as_bytes().get(name_len) == Some(&b';')
        && let Some(c) = named(name)
    {
        return Some((c, name_len + 2));
    }
    // Legacy references without `;`: the longest known prefix.
    for len in (2..=name_len.min(6)).rev() {
        let Some(c) = named(&name[..len]) else {
            continue;
        };
        let next = rest.as_bytes().get(len).copied();
        if in_attribute && matches!(next, Some(b) if b == b'=' || b.is_ascii_alphanumeric()) {
            return None;
        }
        return Some((c, len + 1));
    }
    None
}

/// HTML's numeric reference fix-ups: NUL, surrogates and out-of-range become U+FFFD, and the
/// C1 range is read as windows-1252 as browsers do.
fn numeric_char(value: u32) -> char {
    if (0x80..=0x9F).contains(&value) {
        let byte = [value as u8];
        let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return decoded.chars().next().unwrap_or('\u{FFFD}');
    }
    if value == 0 {
        return '\u{FFFD}';
    }
    char::from_u32(value).unwrap_or('\u{FFFD}')
}

/// Latin-1 names from U+00A0 to U+00FF, in order: these (with `amp`, `lt`, `gt`, `quot`) are
/// the references browsers also accept without a semicolon.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The named references we decode. Others (`&hellip;` …) are left as written: they do not occur
/// in URLs in practice, and leaving them only makes `raw` differ, never the span.
fn named(name: &str) -> Option<char> {
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "COPY" => '\u{A9}',
        "REG" => '\u{AE}',
        _ => {
            let i = LATIN1.iter().position(|n| *n == name)?;
            return char::from_u32(0xA0 + i as u32);
        }
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode_with_spans() {
        let m = decode_entities("/a?x=1&amp;y=&#50;&#x33;");
        assert_eq!(m.text, "/a?x=1&y=23");
        assert_eq!(m.source_range(6..7), 6..11);
        assert_eq!(m.source_range(0..m.text.len()), 0..24);
    }

    #[test]
    fn legacy_reference_rule_in_attributes() {
        assert_eq!(decode_entities("?a=1&copy=2").text, "?a=1&copy=2");
        assert_eq!(decode_entities("?a=1&copy 2").text, "?a=1\u{A9} 2");
        assert_eq!(decode_entities("&ampx").text, "&ampx");
        assert_eq!(decode_entities("&amp").text, "&");
        assert_eq!(decode_entities("&#128;").text, "\u{20AC}");
        assert_eq!(decode_entities("&#0;&#xD800;").text, "\u{FFFD}\u{FFFD}");
        assert_eq!(decode_entities("&hellip;").text, "&hellip;");
        assert_eq!(decode_entities_text("&ampx").text, "&x");
    }

    #[test]
    fn charset_decoding_maps_multibyte_sequences() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("a日本b");
        let m = decode_mapped(&bytes, encoding_rs::SHIFT_JIS);
        assert_eq!(m.text, "a日本b");
        assert_eq!(m.source_range(1..4), 1..3);
        assert_eq!(m.source_range(7..8), 5..6);
        let m = decode_mapped(b"a\xffb", encoding_rs::UTF_8);
        assert_eq!(m.text, "a\u{FFFD}b");
        assert_eq!(m.source_range(4..5), 2..3);
    }
}
