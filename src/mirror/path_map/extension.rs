//! Which file extension a Content-Type needs so that a browser opens the file right from disk.
//!
//! From `file://` browsers decide a file's type by its extension alone, so a page served as
//! `text/html` from `/om` or `/index.php` must end in `.html`. Raster images and fonts are sniffed
//! by browsers, so any extension of the same family is accepted for them; SVG, HTML, CSS and
//! scripts are not sniffed and need their own.

/// The extension a type gets, and the extensions that already open as that type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TypeExtension {
    pub preferred: &'static str,
    accepted: &'static [&'static str],
}

impl TypeExtension {
    /// Whether a name ending in `.ext` already opens as this type (case-insensitive).
    pub fn accepts(&self, ext: &str) -> bool {
        self.accepted.iter().any(|a| a.eq_ignore_ascii_case(ext))
    }
}

const RASTER: &[&str] = &[
    "png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "avif", "bmp", "ico", "cur", "tif", "tiff",
];
const FONTS: &[&str] = &["woff", "woff2", "ttf", "otf", "eot"];
const HTML: &[&str] = &["html", "htm"];
const XHTML: &[&str] = &["xhtml", "xht", "html", "htm"];
const JS: &[&str] = &["js", "mjs"];
const XML: &[&str] = &["xml", "xsl", "xslt", "rdf"];

/// HTML: what a folder URL (`/a/`) and a page of unknown type are saved as.
pub(super) const HTML_PAGE: TypeExtension = TypeExtension {
    preferred: "html",
    accepted: HTML,
};

/// (essence, preferred extension, accepted extensions). Essences are lower case.
const TABLE: &[(&str, &str, &[&str])] = &[
    ("text/html", "html", HTML),
    ("application/xhtml+xml", "xhtml", XHTML),
    ("text/css", "css", &["css"]),
    ("text/javascript", "js", JS),
    ("application/javascript", "js", JS),
    ("application/x-javascript", "js", JS),
    ("text/ecmascript", "js", JS),
    ("application/ecmascript", "js", JS),
    ("text/x-javascript", "js", JS),
    ("application/json", "json", &["json"]),
    ("application/ld+json", "jsonld", &["jsonld", "json"]),
    (
        "application/manifest+json",
        "webmanifest",
        &["webmanifest", "json"],
    ),
    ("text/plain", "txt", &["txt", "text"]),
    ("text/csv", "csv", &["csv"]),
    ("text/xml", "xml", XML),
    ("application/xml", "xml", XML),
    ("application/rss+xml", "rss", &["rss", "xml"]),
    ("application/atom+xml", "atom", &["atom", "xml"]),
    ("image/png", "png", RASTER),
    ("image/jpeg", "jpg", RASTER),
    ("image/pjpeg", "jpg", RASTER),
    ("image/gif", "gif", RASTER),
    ("image/webp", "webp", RASTER),
    ("image/avif", "avif", RASTER),
    ("image/bmp", "bmp", RASTER),
    ("image/x-icon", "ico", RASTER),
    ("image/vnd.microsoft.icon", "ico", RASTER),
    ("image/tiff", "tif", RASTER),
    ("image/svg+xml", "svg", &["svg", "svgz"]),
    ("font/woff", "woff", FONTS),
    ("font/woff2", "woff2", FONTS),
    ("font/ttf", "ttf", FONTS),
    ("font/otf", "otf", FONTS),
    ("font/sfnt", "ttf", FONTS),
    ("application/font-woff", "woff", FONTS),
    ("application/font-woff2", "woff2", FONTS),
    ("application/x-font-woff", "woff", FONTS),
    ("application/x-font-ttf", "ttf", FONTS),
    ("application/x-font-otf", "otf", FONTS),
    ("application/font-sfnt", "ttf", FONTS),
    ("application/vnd.ms-fontobject", "eot", FONTS),
    ("application/pdf", "pdf", &["pdf"]),
    ("application/zip", "zip", &["zip"]),
    ("application/gzip", "gz", &["gz", "tgz"]),
    ("application/wasm", "wasm", &["wasm"]),
    ("text/calendar", "ics", &["ics"]),
    ("audio/mpeg", "mp3", &["mp3"]),
    ("audio/ogg", "ogg", &["ogg", "oga", "opus"]),
    ("video/mp4", "mp4", &["mp4", "m4v"]),
    ("video/webm", "webm", &["webm"]),
    ("application/msword", "doc", &["doc"]),
    ("application/rtf", "rtf", &["rtf"]),
];

/// The extension rule for a Content-Type value (parameters and case ignored), or `None` for a
/// missing, generic (`application/octet-stream`) or unknown type: such names are left alone.
pub(super) fn for_mime(mime: Option<&str>) -> Option<TypeExtension> {
    let essence = mime?.split(';').next()?.trim().to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(name, _, _)| *name == essence)
        .map(|&(_, preferred, accepted)| TypeExtension {
            preferred,
            accepted,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_case_are_ignored() {
        let html = for_mime(Some("Text/HTML; charset=ISO-8859-1")).map(|t| t.preferred);
        assert_eq!(html, Some("html"));
        assert_eq!(for_mime(Some("application/octet-stream")), None);
        assert_eq!(for_mime(None), None);
        assert_eq!(for_mime(Some("")), None);
    }

    #[test]
    fn raster_images_accept_any_raster_extension() {
        let png = for_mime(Some("image/png"));
        assert!(png.is_some_and(|t| t.accepts("JPG")));
        let svg = for_mime(Some("image/svg+xml"));
        assert!(svg.is_some_and(|t| !t.accepts("png")));
    }
}
