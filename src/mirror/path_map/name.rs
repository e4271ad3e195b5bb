//! One path component: percent-decoded, NFC, escaped and shortened until every OS accepts it.
//!
//! The escape character is `%` followed by two upper-case hex digits, the same syntax as URLs, so a
//! name reads like the URL it came from and percent-decoding a name gives back the URL's bytes.
//! A literal `%` is therefore always written `%25`, and `@` (the query marker, see `from_url`) is
//! written `%40`, so a name with a query can never equal a name without one.

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_normalizer::properties::CanonicalCombiningClassMapBorrowed;
use percent_encoding::percent_decode_str;
use sha1::{Digest, Sha1};

/// Longest component `url_to_path` produces. The OS limit is 255 bytes (ext4, APFS; NTFS counts
/// UTF-16 units, never more than UTF-8 bytes); the slack leaves room for collision suffixes.
pub(super) const MAX_NAME_BYTES: usize = 200;

/// The hard limit every component of a `MirrorPath` obeys.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Longest extension recognised as one (`.html`, `.woff2`); longer tails are part of the stem.
const MAX_EXT_BYTES: usize = 10;

/// Hex digits of SHA-1 kept in hashed names: short, stable, and collisions are caught anyway.
const HASH_HEX_CHARS: usize = 10;

const NFC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfc();
const COMBINING_CLASS: CanonicalCombiningClassMapBorrowed<'static> =
    CanonicalCombiningClassMapBorrowed::new();

/// NFC form of `text`.
pub(super) fn nfc(text: &str) -> Cow<'_, str> {
    NFC.normalize(text)
}

/// Whether `text` is already in NFC.
pub(super) fn is_nfc(text: &str) -> bool {
    NFC.is_normalized(text)
}

/// Characters that must not appear literally in a name: reserved on Windows (`<>:"/\|?*`), control
/// characters (C0, DEL, C1), our escape character `%` and our query marker `@`.
fn must_escape(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '%' | '@'
    ) || c.is_control()
}

fn push_escaped_bytes(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push('%');
        out.push_str(&format!("{b:02X}"));
    }
}

fn push_escaped_char(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    push_escaped_bytes(out, c.encode_utf8(&mut buf).as_bytes());
}

/// Escapes one run of valid UTF-8 text (already NFC) into `out`.
fn push_text(out: &mut String, text: &str, mut after_escape: bool) -> bool {
    for c in text.chars() {
        // After an escape the name ends in a hex digit; a combining mark that would compose with
        // it (`%3A` + U+0301 → `%3Á`) would make the name non-NFC and break the escape, so such a
        // mark is escaped too.
        // Canonical reordering lets a mark compose across other marks (`%3E` + U+0316 + U+030C
        // → `%3Ě`, found by the fuzzer), so every combining mark (non-zero combining class)
        // that follows an escape is escaped, not only one that composes directly.
        let guard = after_escape
            && (COMBINING_CLASS.get_u8(c) != 0
                || out
                    .chars()
                    .next_back()
                    .is_some_and(|last| !is_nfc(&format!("{last}{c}"))));
        if must_escape(c) || guard {
            push_escaped_char(out, c);
            after_escape = true;
        } else {
            out.push(c);
            after_escape = false;
        }
    }
    after_escape
}

/// Turns a percent-encoded URL piece (a path segment, a host, a query) into a readable name:
/// percent-decoded, NFC where the bytes are UTF-8, unsafe characters and invalid UTF-8 escaped.
/// Not yet checked for trailing dots, reserved names or length: see [`finish`].
pub(super) fn escape(raw: &str) -> String {
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    let mut out = String::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    let mut after_escape = false;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                push_text(&mut out, &nfc(text), after_escape);
                break;
            }
            Err(err) => {
                let (valid, invalid) = rest.split_at(err.valid_up_to());
                // `valid` is valid UTF-8 by construction; the fallback never happens.
                let text = std::str::from_utf8(valid).unwrap_or_default();
                push_text(&mut out, &nfc(text), after_escape);
                let bad = err.error_len().unwrap_or(invalid.len());
                push_escaped_bytes(&mut out, &invalid[..bad]);
                after_escape = true;
                rest = &invalid[bad..];
            }
        }
    }
    out
}

/// The extension of a name (`html` in `a.b.html`), if the tail after the last dot looks like one.
pub(super) fn extension_of(name: &str) -> Option<&str> {
    let dot = name.rfind('.')?;
    let ext = &name[dot + 1..];
    let plausible = dot > 0
        && !ext.is_empty()
        && ext.len() <= MAX_EXT_BYTES
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    plausible.then_some(ext)
}

/// First `HASH_HEX_CHARS` hex digits of SHA-1 over `text`.
pub(super) fn short_hash(text: &str) -> String {
    let digest = Sha1::digest(text.as_bytes());
    let mut hex = data_encoding::HEXLOWER.encode(&digest);
    hex.truncate(HASH_HEX_CHARS);
    hex
}

/// The longest prefix of `name` of at most `max` bytes that cuts neither a character nor a `%XX`.
pub(super) fn safe_prefix(name: &str, max: usize) -> &str {
    if name.len() <= max {
        return name;
    }
    let mut end = max;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = name.as_bytes();
    for back in 1..=2 {
        if end >= back && bytes[end - back] == b'%' {
            end -= back;
            break;
        }
    }
    &name[..end]
}

/// Shortens a name over `max` bytes to a readable prefix, `~`, a hash of the whole name, and its
/// extension (kept so the file still opens as its type).
pub(super) fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let ext = extension_of(name)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let hash = short_hash(name);
    let room = max.saturating_sub(ext.len() + 1 + hash.len());
    let stem = &name[..name.len() - ext.len()];
    format!("{}~{hash}{ext}", safe_prefix(stem, room))
}

/// Windows device names, reserved with any extension (`con.txt`, `Nul.tar.gz`) and in any case.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let mut chars = upper.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let digit: Vec<char> = chars.collect();
    (prefix == "COM" || prefix == "LPT")
        && digit.len() == 1
        && (digit[0].is_ascii_digit() || matches!(digit[0], '¹' | '²' | '³'))
}

/// Makes an escaped name final: never empty, no trailing dot or space (Windows strips them, and
/// `.`/`..` become `%2E`/`.%2E`), no Windows device name, at most `MAX_NAME_BYTES`.
pub(super) fn finish(name: String) -> String {
    // The fixes below may lengthen a name by an escape or two: shorten further and redo them
    // until the result fits (the fuzzer found a 201-byte `aux.…`).
    let mut limit = MAX_NAME_BYTES;
    loop {
        let fixed = finish_within(&name, limit);
        if fixed.len() <= MAX_NAME_BYTES || limit <= 32 {
            return fixed;
        }
        limit -= fixed.len() - MAX_NAME_BYTES;
    }
}

fn finish_within(name: &str, limit: usize) -> String {
    let mut name = shorten(name, limit);
    if name.is_empty() {
        // Only reachable for an empty host or scheme; `@` never comes out of `escape`.
        name.push('@');
    }
    if let Some(last) = name.chars().next_back().filter(|c| matches!(c, '.' | ' ')) {
        name.pop();
        push_escaped_char(&mut name, last);
    }
    if is_windows_reserved(&name) {
        let first = name.chars().next().unwrap_or('_');
        let mut fixed = String::with_capacity(name.len() + 2);
        push_escaped_char(&mut fixed, first);
        fixed.push_str(&name[first.len_utf8()..]);
        name = fixed;
    }
    name
}

/// Why `name` is not a valid component of a `MirrorPath`, or `None` when it is.
pub(super) fn problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.is_empty() {
        return Some("empty component");
    }
    if name.len() > MAX_COMPONENT_BYTES {
        return Some("component longer than 255 bytes");
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some("component ends with a dot or space");
    }
    if is_windows_reserved(name) {
        return Some("component is a Windows device name");
    }
    for (i, c) in name.char_indices() {
        if c == '%' {
            let hex = |j: usize| {
                bytes
                    .get(j)
                    .is_some_and(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
            };
            if !(hex(i + 1) && hex(i + 2)) {
                return Some("`%` not followed by two upper-case hex digits");
            }
        } else if must_escape(c) && c != '@' {
            return Some("reserved or control character");
        }
    }
    if !is_nfc(name) {
        return Some("component is not in Unicode NFC");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_decodes_readable_text_and_escapes_the_rest() {
        assert_eq!(escape("%C3%A6%C3%B8%C3%A5"), "æøå");
        assert_eq!(escape("a%2Fb"), "a%2Fb");
        assert_eq!(escape("%00x"), "%00x");
        assert_eq!(escape("a%5Cb"), "a%5Cb");
        assert_eq!(escape("%FFok"), "%FFok");
        assert_eq!(escape("100%"), "100%25");
        assert_eq!(escape("me@x"), "me%40x");
        assert_eq!(escape("a%20b"), "a b");
        // NFD input comes out NFC.
        assert_eq!(escape("a%CC%8A"), "å");
    }

    #[test]
    fn combining_mark_after_escape_is_escaped_too() {
        let name = escape("%3A%CC%81");
        assert_eq!(name, "%3A%CC%81");
        assert!(problem(&name).is_none());
    }

    #[test]
    fn finish_handles_dots_reserved_names_and_length() {
        assert_eq!(finish(".".into()), "%2E");
        assert_eq!(finish("..".into()), ".%2E");
        assert_eq!(finish("a ".into()), "a%20");
        assert_eq!(finish("CON".into()), "%43ON");
        assert_eq!(finish("nul.tar.gz".into()), "%6Eul.tar.gz");
        assert_eq!(finish("com1.html".into()), "%63om1.html");
        assert_eq!(finish("com10".into()), "com10");
        assert_eq!(finish("console".into()), "console");
        let long = finish(format!("{}.html", "ø".repeat(150)));
        assert!(long.len() <= MAX_NAME_BYTES, "{}", long.len());
        assert!(long.ends_with(".html"));
        assert!(problem(&long).is_none());
    }

    #[test]
    fn safe_prefix_never_cuts_an_escape() {
        assert_eq!(safe_prefix("ab%2Fcd", 3), "ab");
        assert_eq!(safe_prefix("ab%2Fcd", 4), "ab");
        assert_eq!(safe_prefix("ab%2Fcd", 5), "ab%2F");
        assert_eq!(safe_prefix("æ", 1), "");
    }

    #[test]
    fn extension_detection() {
        assert_eq!(extension_of("a.html"), Some("html"));
        assert_eq!(extension_of(".htaccess"), None);
        assert_eq!(extension_of("index.php@side=2"), None);
        assert_eq!(extension_of("noext"), None);
    }
}
