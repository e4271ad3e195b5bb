//! Which encoding a browser would read an HTML page in: BOM, then the HTTP charset, then a `<meta>` prescan.
//!
//! Without any of these we assume UTF-8, not the locale-dependent windows-1252 of the HTML spec:
//! UTF-8 is what HTML5 requires authors to use and what almost every page since ~2010 is in, it
//! is what browsers' own detectors pick for valid UTF-8, and for the ASCII URLs that make up
//! nearly all links the choice changes nothing. A wrong guess never touches the archived bytes
//! (spans are byte offsets); it can only change how a non-ASCII query string resolves.

use encoding_rs::Encoding;

use super::tag::parse_start_tag;

/// How many bytes the `<meta>` prescan looks at, as in the HTML spec.
pub const PRESCAN_BYTES: usize = 1024;

/// The encoding named by a `Content-Type` header's `charset` parameter, if any and known.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    charset_param(content_type.as_bytes())
}

/// Finds `charset=` in `content` (a `Content-Type` value or a meta `content` attribute) as the
/// HTML spec's "extracting a character encoding from a meta element" does.
fn charset_param(content: &[u8]) -> Option<&'static Encoding> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = find(&lower[from..], b"charset")? + from;
        let mut i = at + 7;
        while i < lower.len() && lower[i].is_ascii_whitespace() {
            i += 1;
        }
        if lower.get(i) != Some(&b'=') {
            from = at + 7;
            continue;
        }
        i += 1;
        while i < lower.len() && lower[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &content[i..];
        let label = match rest.first() {
            Some(&q @ (b'"' | b'\'')) => {
                let end = rest[1..].iter().position(|&b| b == q)?;
                &rest[1..1 + end]
            }
            Some(_) => {
                let end = rest
                    .iter()
                    .position(|&b| b.is_ascii_whitespace() || b == b';')
                    .unwrap_or(rest.len());
                &rest[..end]
            }
            None => return None,
        };
        return Encoding::for_label(label);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The encoding of an HTML document whose first bytes are `head`: BOM, then `transport` (the
/// HTTP charset), then the meta prescan, then UTF-8. Returns the encoding and the BOM length.
pub fn sniff_html(head: &[u8], transport: Option<&'static Encoding>) -> (&'static Encoding, usize) {
    if let Some((encoding, bom)) = Encoding::for_bom(head) {
        return (encoding, bom);
    }
    if let Some(encoding) = transport {
        return (encoding, 0);
    }
    let scanned = prescan(&head[..head.len().min(PRESCAN_BYTES)]).map(|e| {
        // A page cannot really be UTF-16 if its meta was readable as ASCII.
        if e == encoding_rs::UTF_16BE || e == encoding_rs::UTF_16LE {
            encoding_rs::UTF_8
        } else if e == encoding_rs::X_USER_DEFINED {
            encoding_rs::WINDOWS_1252
        } else {
            e
        }
    });
    (scanned.unwrap_or(encoding_rs::UTF_8), 0)
}

/// The HTML spec's "prescan a byte stream to determine its encoding", simplified where it does
/// not change the answer.
fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i += 4 + find(&rest[4..], b"-->")? + 3;
        } else if rest.len() > 5
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && (rest[5].is_ascii_whitespace() || rest[5] == b'/')
        {
            let tag = parse_start_tag(rest);
            let end = tag.end?;
            if let Some(charset) = tag.value(rest, "charset") {
                if let Some(e) = Encoding::for_label(charset) {
                    return Some(e);
                }
            } else if tag
                .value(rest, "http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"content-type"))
                && let Some(e) = tag.value(rest, "content").and_then(charset_param)
            {
                return Some(e);
            }
            i += end;
        } else if rest.len() > 1 && rest[0] == b'<' && rest[1].is_ascii_alphabetic() {
            i += parse_start_tag(rest).end?;
        } else if rest.len() > 2 && rest.starts_with(b"</") && rest[2].is_ascii_alphabetic() {
            i += parse_start_tag(&rest[1..]).end? + 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            i += find(rest, b">")? + 1;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_bom_transport_meta_default() {
        let meta = b"<!-- <meta charset=koi8-r> --><html><meta http-equiv=Content-Type content='text/html; charset=windows-1252'>";
        assert_eq!(sniff_html(meta, None).0, encoding_rs::WINDOWS_1252);
        assert_eq!(
            sniff_html(meta, Some(encoding_rs::KOI8_R)).0,
            encoding_rs::KOI8_R
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), meta].concat();
        assert_eq!(
            sniff_html(&bom, Some(encoding_rs::KOI8_R)),
            (encoding_rs::UTF_8, 3)
        );
        assert_eq!(sniff_html(b"<p>hi", None).0, encoding_rs::UTF_8);
        assert_eq!(
            sniff_html(b"<meta charset=\"utf-16le\">", None).0,
            encoding_rs::UTF_8
        );
        assert_eq!(
            charset_from_content_type("text/html; Charset=\"ISO-8859-1\""),
            Some(encoding_rs::WINDOWS_1252)
        );
    }

    #[test]
    fn prescan_stops_at_1024_bytes() {
        let mut page = vec![b' '; 1020];
        page.extend_from_slice(b"<meta charset=koi8-r>");
        assert_eq!(sniff_html(&page, None).0, encoding_rs::UTF_8);
    }
}

/// The media type a body's first bytes show, for bodies served with none or a generic one
/// (`text/plain`, `application/octet-stream`): what browsers would sniff, limited to the types an
/// archive must get right to display a page (HTML, images, fonts, PDF).
pub fn sniff_mime(start: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"wOF2", "font/woff2"),
        (b"wOFF", "font/woff"),
        (b"\x00\x00\x01\x00", "image/x-icon"),
    ];
    if let Some((_, mime)) = MAGIC.iter().find(|(magic, _)| start.starts_with(magic)) {
        return Some(mime);
    }
    if start.len() >= 12 && &start[..4] == b"RIFF" && &start[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    let text = String::from_utf8_lossy(&start[..start.len().min(1024)]);
    let text = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|p| text.starts_with(p))
    {
        return Some("text/html");
    }
    if text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg")) {
        return Some("image/svg+xml");
    }
    None
}

/// Whether a declared media type says nothing useful about the body (so sniffing may correct it).
pub fn is_generic_mime(mime: &str) -> bool {
    mime.is_empty()
        || matches!(
            mime,
            "text/plain"
                | "application/octet-stream"
                | "binary/octet-stream"
                | "application/unknown"
        )
}

#[cfg(test)]
mod sniff_mime_tests {
    use super::*;

    #[test]
    fn sniffs_what_pages_need() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(
            sniff_mime(b"\xef\xbb\xbf  <!DOCTYPE html><p>"),
            Some("text/html")
        );
        assert_eq!(sniff_mime(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_mime(b"body { color: red }"), None);
        assert!(is_generic_mime("text/plain") && !is_generic_mime("text/css"));
    }
}
