//! The `Content-Type` of a served file: the archived type when the manifest knows the file (with
//! the archived charset for text, since mirror files keep the page's own bytes), UTF-8 HTML for
//! the pages arkiv writes itself, else a type by extension.

use std::path::Path;

/// (extension, type) for files the manifest does not describe (ReplayWeb.page's files, a folder
/// that is not a mirror). Lower case.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("xhtml", "application/xhtml+xml"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("jsonl", "application/jsonl"),
    ("webmanifest", "application/manifest+json"),
    ("xml", "application/xml"),
    ("txt", "text/plain; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("ico", "image/vnd.microsoft.icon"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("eot", "application/vnd.ms-fontobject"),
    ("pdf", "application/pdf"),
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("webm", "video/webm"),
    ("ogv", "video/ogg"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("wasm", "application/wasm"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("wacz", "application/wacz"),
    ("warc", "application/warc"),
];

/// The type by extension; `application/octet-stream` when unknown.
pub fn by_extension(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("application/octet-stream", |(_, t)| t)
}

/// The archived media type `mime` with the charset of the archived `content_type` added where it
/// applies (text, scripts, XML and JSON).
pub fn with_archived_charset(mime: &str, content_type: Option<&str>) -> String {
    let textual = mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("/xml")
        || mime.ends_with("javascript")
        || mime.ends_with("json");
    let charset = content_type.and_then(|ct| {
        ct.split(';').skip(1).find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches(['"', '\'']).to_string())
        })
    });
    match charset {
        Some(charset) if textual && !charset.is_empty() && is_token(&charset) => {
            format!("{mime}; charset={charset}")
        }
        _ => mime.to_string(),
    }
}

fn is_token(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:+".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_extension() {
        assert_eq!(
            by_extension(Path::new("a/b.CSS")),
            "text/css; charset=utf-8"
        );
        assert_eq!(by_extension(Path::new("x.wacz")), "application/wacz");
        assert_eq!(by_extension(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn the_archived_charset_goes_with_text_only() {
        assert_eq!(
            with_archived_charset("text/html", Some("text/html; charset=\"windows-1252\"")),
            "text/html; charset=windows-1252"
        );
        assert_eq!(
            with_archived_charset("image/png", Some("image/png; charset=utf-8")),
            "image/png"
        );
        assert_eq!(with_archived_charset("text/css", None), "text/css");
        assert_eq!(
            with_archived_charset("text/html", Some("text/html; charset=a\r\nX: y")),
            "text/html"
        );
    }
}
