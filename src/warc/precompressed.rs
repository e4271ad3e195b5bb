//! Which response payloads are compressed already, so that the WARC writer stores them in their
//! gzip member instead of deflating them again: a content encoding (gzip, br, zstd, …) or a media
//! type whose format is itself compressed (JPEG, PNG, WebP, AVIF, most video and audio, WOFF
//! fonts, archives). Deflating such bytes a second time costs most of a crawl's CPU on a site of
//! images and saves next to nothing; a stored member is still an ordinary gzip member, larger
//! by five bytes per 64 KiB block, and every reader takes it.

/// How much of a response block is read to find its HTTP head.
pub(crate) const PEEK: usize = 16 * 1024;

/// Whether an HTTP response block (its start, from the status line on) carries a payload that is
/// compressed already; `false` when the start is no complete HTTP head.
pub(crate) fn already_compressed(block: &[u8]) -> bool {
    let Ok(head) = super::parse_response_head(block) else {
        return false;
    };
    // The last value counts, as for the body classifier (`content::header`).
    let value = |name: &str| {
        head.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
    };
    if value("content-encoding").is_some_and(|c| !c.is_empty() && c != "identity") {
        return true;
    }
    let Some(media) = value("content-type") else {
        return false;
    };
    let media = media.split(';').next().unwrap_or("").trim();
    let uncompressed_sound = matches!(media, "audio/wav" | "audio/x-wav" | "audio/wave");
    (media.starts_with("video/") || media.starts_with("audio/")) && !uncompressed_sound
        || matches!(
            media,
            "image/jpeg"
                | "image/png"
                | "image/gif"
                | "image/webp"
                | "image/avif"
                | "image/heic"
                | "image/jxl"
                | "font/woff"
                | "font/woff2"
                | "application/font-woff"
                | "application/zip"
                | "application/gzip"
                | "application/x-gzip"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/x-7z-compressed"
                | "application/zstd"
                | "application/vnd.rar"
                | "application/epub+zip"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_formats_and_encodings_are_recognised() {
        let head = |fields: &str| format!("HTTP/1.1 200 OK\r\n{fields}\r\n\r\nbody").into_bytes();
        assert!(already_compressed(&head("Content-Type: image/png")));
        assert!(already_compressed(&head(
            "Content-Type: Video/MP4; codecs=x"
        )));
        assert!(already_compressed(&head(
            "Content-Type: text/html\r\nContent-Encoding: gzip"
        )));
        // The last Content-Type counts.
        assert!(already_compressed(&head(
            "Content-Type: text/html\r\nContent-Type: image/webp"
        )));
        assert!(!already_compressed(&head(
            "Content-Type: text/html; charset=utf-8"
        )));
        assert!(!already_compressed(&head("Content-Type: audio/wav")));
        assert!(!already_compressed(&head("Content-Type: image/svg+xml")));
        assert!(!already_compressed(&head(
            "Content-Type: text/css\r\nContent-Encoding: identity"
        )));
        // No complete head: deflated as usual.
        assert!(!already_compressed(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png"
        ));
        assert!(!already_compressed(b"not http"));
    }
}
