//! Reads the Netscape `cookies.txt` format that browser exporters, curl (`-c`), wget
//! (`--save-cookies`) and yt-dlp write, so a crawl can carry a logged-in session (`--load-cookies`).
//!
//! One cookie per line, seven fields separated by tabs (shown here as spaces):
//!
//! ```text
//! # Netscape HTTP Cookie File
//! .example.org  TRUE  /  FALSE  1767225600  session  4f9c…
//! #HttpOnly_intranet.example  FALSE  /medlemmer/  TRUE  0  sid  a1b2…
//! ```
//!
//! domain, include-subdomains flag, path, secure flag, expiry (Unix seconds; `0` or empty: a
//! session cookie), name, value. A `#HttpOnly_` prefix on the domain marks an HttpOnly cookie (and
//! does not make the line a comment); other lines starting with `#`, and blank lines, are comments.
//! As curl does, a line with six fields is a cookie with an empty value, the flag (not a leading
//! dot) decides whether subdomains get the cookie, and `TRUE`/`FALSE` are read in any case.
//!
//! Two kinds of trouble are kept apart. A line that is not a cookie line at all (wrong number of
//! fields, spaces where tabs belong, a flag that is neither TRUE nor FALSE, an expiry that is not a
//! number, a path that does not start with `/`) makes the whole file an error naming the line:
//! better to stop before the crawl than to crawl without the session. A well-formed cookie that
//! cannot be used (expired, no name, bytes that cannot go into a `Cookie` header, a domain cookie
//! for a whole top-level domain) is skipped with its line number and reason, for the caller to
//! warn about: a browser's export of thousands of cookies should not fail on one odd entry.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::credentials::Secret;

/// Files larger than this are refused (a browser's whole export is a few MB).
pub const MAX_COOKIE_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One cookie from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCookie {
    /// Host or domain, lower-cased, without a leading dot (IPv6 addresses in brackets).
    pub domain: String,
    /// Sent to subdomains of `domain` too (the second field).
    pub include_subdomains: bool,
    pub path: String,
    /// Sent over https only.
    pub secure: bool,
    pub http_only: bool,
    /// `None`: a session cookie (expiry `0` or empty).
    pub expires: Option<SystemTime>,
    pub name: String,
    /// The value is what logs a user in: kept out of debug prints.
    pub value: Secret,
    /// Where it was in the file (1-based).
    pub line: usize,
}

/// What a file held.
#[derive(Debug, Clone, Default)]
pub struct CookieFile {
    pub cookies: Vec<FileCookie>,
    /// Well-formed lines whose cookie is not used: `(line, why)`.
    pub skipped: Vec<(usize, String)>,
}

/// A line that is not a cookie line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    pub line: usize,
    pub problem: String,
}

/// Why a cookie file cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CookieFileError {
    /// fs-err's message names the file.
    #[error("cannot read the cookie file: {0}")]
    Io(#[source] std::io::Error),
    #[error("{}: larger than {MAX_COOKIE_FILE_BYTES} bytes; is this a cookies.txt file?", path.display())]
    TooLarge { path: PathBuf },
    #[error("{}: not a Netscape cookies.txt file: {error}", path.display())]
    Malformed { path: PathBuf, error: LineError },
}

/// Reads and parses `path`; cookies that expired before `now` are skipped.
pub fn read_cookie_file(path: &Path, now: SystemTime) -> Result<CookieFile, CookieFileError> {
    let file = fs_err::File::open(path).map_err(CookieFileError::Io)?;
    let len = file.metadata().map_err(CookieFileError::Io)?.len();
    if len > MAX_COOKIE_FILE_BYTES {
        return Err(CookieFileError::TooLarge {
            path: path.to_owned(),
        });
    }
    let bytes = fs_err::read(path).map_err(CookieFileError::Io)?;
    parse_cookie_file(&bytes, now).map_err(|error| CookieFileError::Malformed {
        path: path.to_owned(),
        error,
    })
}

/// Parses the bytes of a cookie file (see the module comment).
pub fn parse_cookie_file(bytes: &[u8], now: SystemTime) -> Result<CookieFile, LineError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut out = CookieFile::default();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|_| LineError {
            line,
            problem: "not UTF-8".into(),
        })?;
        let (text, http_only) = match text.strip_prefix("#HttpOnly_") {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        if !http_only && (text.starts_with('#') || text.trim().is_empty()) {
            continue;
        }
        match parse_line(text, http_only, line, now)? {
            Ok(cookie) => out.cookies.push(cookie),
            Err(why) => out.skipped.push((line, why)),
        }
    }
    Ok(out)
}

/// A cookie, or why a well-formed line's cookie is not used; `Err` outside for a malformed line.
fn parse_line(
    text: &str,
    http_only: bool,
    line: usize,
    now: SystemTime,
) -> Result<Result<FileCookie, String>, LineError> {
    let bad = |problem: String| LineError { line, problem };
    let fields: Vec<&str> = text.split('\t').collect();
    if fields.len() != 7 && fields.len() != 6 {
        let hint = if fields.len() == 1 && text.contains(' ') {
            " (the fields must be separated by tabs, not spaces)"
        } else {
            ""
        };
        return Err(bad(format!(
            "expected 7 tab-separated fields (domain, subdomains, path, secure, expiry, name, \
             value), found {}{hint}",
            fields.len()
        )));
    }
    let flag = |value: &str, what: &str| -> Result<bool, LineError> {
        if value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(bad(format!(
                "the {what} flag is {value:?}, not TRUE or FALSE"
            )))
        }
    };
    let domain_field = fields[0].trim();
    let include_subdomains = flag(fields[1].trim(), "include-subdomains")?;
    let path = fields[2];
    let secure = flag(fields[3].trim(), "secure")?;
    let expires = parse_expiry(fields[4].trim()).ok_or_else(|| {
        bad(format!(
            "the expiry {:?} is not a number of seconds since 1970",
            fields[4]
        ))
    })?;
    let name = fields[5];
    let value = fields.get(6).copied().unwrap_or("");

    let domain = domain_field.trim_start_matches('.').to_ascii_lowercase();
    if domain.is_empty() || domain.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err(bad(format!("{domain_field:?} is not a host or domain")));
    }
    let domain = match domain.parse::<std::net::Ipv6Addr>() {
        Ok(ip) => format!("[{ip}]"),
        Err(_) if domain.contains(':') && !domain.starts_with('[') => {
            return Err(bad(format!(
                "{domain_field:?} is not a host or domain (cookie domains have no port)"
            )));
        }
        Err(_) => domain,
    };
    if !path.starts_with('/') {
        return Err(bad(format!("the path {path:?} does not start with '/'")));
    }

    let skip = |why: String| Ok(Err(why));
    if let Some(when) = expires
        && when <= now
    {
        return skip(format!("the cookie {name:?} has expired"));
    }
    if name.is_empty() {
        return skip("a cookie without a name".into());
    }
    let sendable = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';');
    if !sendable(name) || name.contains('=') || name.contains(' ') {
        return skip(format!(
            "the cookie name {name:?} cannot be sent in a Cookie header"
        ));
    }
    if !sendable(value) {
        return skip(format!(
            "the value of cookie {name:?} cannot be sent in a Cookie header"
        ));
    }
    let is_ip = domain.starts_with('[') || domain.parse::<std::net::Ipv4Addr>().is_ok();
    if include_subdomains && !is_ip && !domain.contains('.') {
        return skip(format!(
            "the cookie {name:?} would go to every host under {domain:?}"
        ));
    }
    Ok(Ok(FileCookie {
        domain,
        // An IP address has no subdomains.
        include_subdomains: include_subdomains && !is_ip,
        path: path.to_owned(),
        secure,
        http_only,
        expires,
        name: name.to_owned(),
        value: Secret::new(value),
        line,
    }))
}

/// `0` and empty mean a session cookie; some exporters write fractions of a second.
fn parse_expiry(text: &str) -> Option<Option<SystemTime>> {
    if text.is_empty() {
        return Some(None);
    }
    let whole = match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b.is_ascii_digit()) => whole,
        Some(_) => return None,
        None => text,
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: u64 = whole.parse().ok()?;
    if seconds == 0 {
        return Some(None);
    }
    Some(Some(
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
    }

    fn parse(text: &str) -> Result<CookieFile, LineError> {
        parse_cookie_file(text.as_bytes(), now())
    }

    #[test]
    fn curl_wget_and_browser_lines() {
        let text = "\u{feff}# Netscape HTTP Cookie File\r\n\
            # https://curl.se/docs/http-cookies.html\r\n\
            \r\n\
            .example.org\tTRUE\t/\tFALSE\t1900000000\tsession\tabc123\r\n\
            #HttpOnly_intranet.example\tFALSE\t/medlemmer/\tTRUE\t0\tsid\ta=b\r\n\
            127.0.0.1\tfalse\t/\tfalse\t\tmedlem\t\r\n\
            [::1]\tTRUE\t/\tFALSE\t1900000000.5\tv6\tx\r\n";
        let file = parse(text).expect("parses");
        assert!(file.skipped.is_empty(), "{:?}", file.skipped);
        let c = &file.cookies;
        assert_eq!(c.len(), 4);
        assert_eq!(
            (c[0].domain.as_str(), c[0].include_subdomains, c[0].line),
            ("example.org", true, 4)
        );
        assert_eq!(c[0].value.expose(), "abc123");
        assert_eq!(
            c[0].expires,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000))
        );
        assert!(c[1].http_only && c[1].secure && c[1].expires.is_none());
        assert_eq!(
            (c[1].path.as_str(), c[1].value.expose()),
            ("/medlemmer/", "a=b")
        );
        // Six fields: an empty value; an empty expiry: a session cookie.
        assert_eq!((c[2].name.as_str(), c[2].value.expose()), ("medlem", ""));
        assert!(c[2].expires.is_none());
        // An IP address never has subdomains.
        assert_eq!(c[3].domain, "[::1]");
        assert!(!c[3].include_subdomains);
    }

    #[test]
    fn malformed_lines_are_named_by_number() {
        let cases = [
            ("a.example\tTRUE\t/\tFALSE\t0\n", 1, "found 5"),
            (
                "# c\na.example TRUE / FALSE 0 n v\n",
                2,
                "separated by tabs, not spaces",
            ),
            ("a.example\tyes\t/\tFALSE\t0\tn\tv", 1, "not TRUE or FALSE"),
            (
                "a.example\tTRUE\t/\tFALSE\tnever\tn\tv",
                1,
                "expiry \"never\"",
            ),
            ("a.example\tTRUE\t/\tFALSE\t-5\tn\tv", 1, "expiry \"-5\""),
            (
                "a.example\tTRUE\tx/\tFALSE\t0\tn\tv",
                1,
                "does not start with '/'",
            ),
            ("\tTRUE\t/\tFALSE\t0\tn\tv", 1, "not a host or domain"),
            ("a.example:8080\tFALSE\t/\tFALSE\t0\tn\tv", 1, "no port"),
        ];
        for (text, line, expected) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.to_string().contains(expected), "{text:?}: {err}");
        }
        let err = parse_cookie_file(b"# ok\n\xff\tTRUE\n", now()).expect_err("latin-1");
        assert_eq!(err.to_string(), "line 2: not UTF-8");
    }

    #[test]
    fn unusable_cookies_are_skipped_with_a_reason() {
        let text = "old.example\tFALSE\t/\tFALSE\t1000\tgone\tv\n\
            a.example\tFALSE\t/\tFALSE\t0\t\tnameless\n\
            a.example\tFALSE\t/\tFALSE\t0\tn\tsemi;colon\n\
            a.example\tFALSE\t/\tFALSE\t0\tn\tbl\u{e5}\n\
            .com\tTRUE\t/\tFALSE\t0\tn\tv\n\
            ok.example\tFALSE\t/\tFALSE\t0\tn\tv\n";
        let file = parse(text).expect("parses");
        let lines: Vec<usize> = file.skipped.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        assert!(file.skipped[0].1.contains("expired"));
        assert!(file.skipped[4].1.contains("every host under \"com\""));
        assert_eq!(file.cookies.len(), 1);
        assert_eq!(file.cookies[0].line, 6);
    }

    #[test]
    fn debug_never_shows_a_value() {
        let file = parse("a.example\tFALSE\t/\tFALSE\t0\tsid\ttopsecret\n").expect("ok");
        assert!(!format!("{file:?}").contains("topsecret"));
    }

    #[test]
    fn files_are_read_with_their_name_in_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cookies.txt");
        fs_err::write(&path, "a.example\tFALSE\t/\tFALSE\t0\tn\tv\nbroken\n").expect("write");
        let err = read_cookie_file(&path, now()).expect_err("broken");
        let message = err.to_string();
        assert!(
            message.contains("cookies.txt") && message.contains("line 2:"),
            "{message}"
        );
        let missing = read_cookie_file(&dir.path().join("nope.txt"), now()).expect_err("missing");
        assert!(missing.to_string().contains("nope.txt"), "{missing}");
    }
}
