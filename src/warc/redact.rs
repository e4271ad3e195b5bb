//! What a request record may carry: the request exactly as sent, except the user's secrets.
//!
//! WARC files and WACZ packages are handed to others, and a request record is the request's bytes.
//! A crawl behind a login would put the user's password (Basic is only base64), a Digest answer
//! (enough for an offline guess at the password), a proxy password or a logged-in session cookie
//! into every one of them. So before a request record is written, [`redact_request`] masks them,
//! and the record says so. The rule:
//!
//! - **Headers** named in the rules (`Authorization` and `Proxy-Authorization` always, others the
//!   user names) keep their name, their place and their scheme; what follows the scheme becomes
//!   [`REDACTED`]: `Authorization: Digest ARKIV-REDACTED`. The header still parses (a scheme and a
//!   token68), so warcio, pywb and other readers take the record as they did.
//! - **Cookies** loaded from a file (`--load-cookies`, or a `Cookie` the user gave with
//!   `--header`) keep their name and place in the `Cookie` header; their value becomes
//!   [`REDACTED`]. Cookies the site set stay exact: their values are in the response records'
//!   `Set-Cookie` anyway, and replay tools use them. A cookie is matched by name *and* value, so
//!   a loaded cookie that the site replaced during the crawl is kept with the site's value.
//! - Header names match in any case and every occurrence is masked (repeated headers, several
//!   `Cookie` lines). A masked header that was folded over several lines (obs-fold, which arkiv
//!   never sends but a caller's bytes might hold) becomes one line: continuation lines belong to
//!   the header they continue, so they are masked with it.
//! - **The request line is never changed.** Its target is the URL, which the record's
//!   `WARC-Target-URI`, the CDXJ index, crawl.log and the mirror all carry as the capture's
//!   identity; masking it in one place would break replay and hide nothing. A secret found there
//!   (a password or token in the query string, raw or percent-encoded) or anywhere else after
//!   masking is reported as an [`Exposure`] for the crawl to warn about; it is the user's URL.
//! - Nothing else changes: the bytes are the sent bytes wherever no rule applies, line ends
//!   included. Response records are never redacted.
//!
//! Each record names what was masked in a `WARC-Arkiv-Redacted` field ([`REDACTED_FIELD`]):
//! `WARC-Arkiv-Redacted: Authorization, Cookie sid`. The warcinfo record names the rules
//! ([`RedactionRules::warcinfo_fields`]), so a reader learns from the file itself that request
//! records are not byte-exact and how. The record's block digest is of the bytes it holds.

use std::fmt;

use crate::auth::Secret;

/// What replaces a secret: a token68 and a cookie value alike, so headers still parse.
pub const REDACTED: &str = "ARKIV-REDACTED";

/// The request record field that lists the redactions made in its block.
pub const REDACTED_FIELD: &str = "WARC-Arkiv-Redacted";

/// The warcinfo field that names each redaction rule.
pub const WARCINFO_FIELD: &str = "arkiv-redacts";

/// Secrets shorter than this are not looked for elsewhere: `1` or `da` would be "found"
/// everywhere.
pub const MIN_EXPOSURE_LEN: usize = 4;

/// Headers masked in every crawl.
pub const ALWAYS_REDACTED: [&str; 2] = ["Authorization", "Proxy-Authorization"];

/// What to mask. `Debug` shows header and cookie names, never a value.
#[derive(Clone)]
pub struct RedactionRules {
    /// Header names, as the user wrote them.
    headers: Vec<String>,
    cookies: Vec<(String, Secret)>,
    secrets: Vec<Secret>,
}

impl Default for RedactionRules {
    fn default() -> Self {
        RedactionRules {
            headers: ALWAYS_REDACTED.iter().map(|h| h.to_string()).collect(),
            cookies: Vec::new(),
            secrets: Vec::new(),
        }
    }
}

impl fmt::Debug for RedactionRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cookies: Vec<&str> = self.cookies.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RedactionRules")
            .field("headers", &self.headers)
            .field("cookies", &cookies)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl RedactionRules {
    /// `Authorization` and `Proxy-Authorization`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also masks header `name` (whole value, or after the scheme for credentials headers).
    pub fn with_header(mut self, name: &str) -> Self {
        if !self.headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            self.headers.push(name.to_owned());
        }
        self
    }

    /// Masks the cookie `name=value` wherever a `Cookie` header carries exactly that pair; the
    /// value is also looked for elsewhere.
    pub fn with_cookie(mut self, name: &str, value: &str) -> Self {
        let known = self
            .cookies
            .iter()
            .any(|(n, v)| n == name && v.expose() == value);
        if !known {
            self.cookies.push((name.to_owned(), Secret::new(value)));
        }
        self
    }

    /// A secret (a password) that no request should carry anywhere; where one does after
    /// masking, it is reported as an [`Exposure`].
    pub fn with_secret(mut self, secret: Secret) -> Self {
        if !secret.is_empty() {
            self.secrets.push(secret);
        }
        self
    }

    /// One warcinfo field per rule: `(WARCINFO_FIELD, text)`.
    pub fn warcinfo_fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|h| {
                let what = if is_credentials_header(h) {
                    "what follows the scheme"
                } else {
                    "the value"
                };
                format!("{h} in request records: {what} is replaced by {REDACTED}")
            })
            .map(|text| (WARCINFO_FIELD.to_owned(), text))
            .collect();
        let mut names: Vec<&str> = self.cookies.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        names.sort_unstable();
        names.dedup();
        for name in names {
            fields.push((
                WARCINFO_FIELD.to_owned(),
                format!(
                    "Cookie {} in request records, loaded from a cookie file: the value is \
                     replaced by {REDACTED}; cookies the site set are kept",
                    escape_name(name)
                ),
            ));
        }
        fields
    }

    fn masks_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    fn masks_cookie(&self, name: &str, value: &str) -> bool {
        self.cookies
            .iter()
            .any(|(n, v)| n == name && v.expose() == value)
    }

    /// Every secret text worth looking for.
    fn searchable(&self) -> impl Iterator<Item = &str> {
        self.secrets
            .iter()
            .chain(self.cookies.iter().map(|(_, v)| v))
            .map(Secret::expose)
            .filter(|s| s.len() >= MIN_EXPOSURE_LEN)
    }
}

/// One mask applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// The header name as it was sent.
    pub header: String,
    /// For a `Cookie` header: the cookie's name.
    pub cookie: Option<String>,
}

impl fmt::Display for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_name(&self.header))?;
        if let Some(cookie) = &self.cookie {
            write!(f, " {}", escape_name(cookie))?;
        }
        Ok(())
    }
}

/// Where a secret was still found after masking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// In the request line (the URL); kept, see the module comment.
    RequestLine,
    /// In the value of a header no rule masks (its name as sent).
    Header(String),
    /// In the request body.
    Body,
}

/// The bytes to archive and what was done to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactedRequest {
    pub bytes: Vec<u8>,
    pub redactions: Vec<Redaction>,
    pub exposures: Vec<Exposure>,
}

impl RedactedRequest {
    /// The value of [`REDACTED_FIELD`] for the request record; `None` when nothing was masked.
    pub fn field_value(&self) -> Option<String> {
        if self.redactions.is_empty() {
            return None;
        }
        let items: Vec<String> = self.redactions.iter().map(|r| r.to_string()).collect();
        Some(items.join(", "))
    }
}

/// Masks `request` (request line, headers, blank line, body: exactly as sent) by `rules`.
pub fn redact_request(request: &[u8], rules: &RedactionRules) -> RedactedRequest {
    let head_end = find_head_end(request).unwrap_or(request.len());
    let (head, body) = request.split_at(head_end);
    let lines = split_lines(head);
    let mut out = Vec::with_capacity(request.len());
    let mut redactions = Vec::new();
    let mut exposures = Vec::new();

    let Some((request_line, headers)) = lines.split_first() else {
        return RedactedRequest {
            bytes: request.to_vec(),
            redactions,
            exposures,
        };
    };
    out.extend_from_slice(request_line);
    let mut i = 0;
    while i < headers.len() {
        // A header line and the continuation lines after it.
        let mut end = i + 1;
        while end < headers.len() && matches!(headers[end].first(), Some(b' ' | b'\t')) {
            end += 1;
        }
        let group = &headers[i..end];
        match redact_header(group, rules) {
            Some((line, made)) => {
                out.extend_from_slice(&line);
                redactions.extend(made);
            }
            None => group.iter().for_each(|l| out.extend_from_slice(l)),
        }
        i = end;
    }
    out.extend_from_slice(body);

    // Look for what is still there.
    let out_lines = split_lines(&out[..out.len() - body.len()]);
    for secret in rules.searchable() {
        if let Some(first) = out_lines.first()
            && (contains(first, secret.as_bytes()) || decoded_contains(first, secret))
            && !exposures.contains(&Exposure::RequestLine)
        {
            exposures.push(Exposure::RequestLine);
        }
        for line in out_lines.iter().skip(1) {
            if contains(line, secret.as_bytes()) {
                let name = header_name(line).unwrap_or_default();
                let exposure = Exposure::Header(name);
                if !exposures.contains(&exposure) {
                    exposures.push(exposure);
                }
            }
        }
        if contains(body, secret.as_bytes()) && !exposures.contains(&Exposure::Body) {
            exposures.push(Exposure::Body);
        }
    }
    RedactedRequest {
        bytes: out,
        redactions,
        exposures,
    }
}

/// The masked line for a header (with its continuation lines), or `None` to keep it as sent.
fn redact_header(group: &[&[u8]], rules: &RedactionRules) -> Option<(Vec<u8>, Vec<Redaction>)> {
    let first = group[0];
    let colon = first.iter().position(|b| *b == b':')?;
    let name = std::str::from_utf8(&first[..colon]).ok()?;
    let name_trimmed = name.trim_end_matches([' ', '\t']);
    let ending = line_ending(group[group.len() - 1]);
    let after_colon = &first[colon + 1..first.len() - line_ending(first).len()];
    let lead = after_colon
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    // The logical value: the first line's and every continuation's, joined by one space.
    let mut value = after_colon[lead..].to_vec();
    for more in &group[1..] {
        let more = &more[..more.len() - line_ending(more).len()];
        let text = more
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t'))
            .map_or(&more[more.len()..], |start| &more[start..]);
        value.push(b' ');
        value.extend_from_slice(text);
    }
    let mut line = first[..colon + 1 + lead].to_vec();
    if rules.masks_header(name_trimmed) {
        let value = String::from_utf8_lossy(&value);
        let value = value.trim_end_matches([' ', '\t']);
        let masked = match value.split_once([' ', '\t']) {
            Some((scheme, _)) if is_credentials_header(name_trimmed) => {
                format!("{scheme} {REDACTED}")
            }
            _ => REDACTED.to_owned(),
        };
        line.extend_from_slice(masked.as_bytes());
        line.extend_from_slice(ending);
        let redaction = Redaction {
            header: name_trimmed.to_owned(),
            cookie: None,
        };
        return Some((line, vec![redaction]));
    }
    if !name_trimmed.eq_ignore_ascii_case("cookie") {
        return None;
    }
    let text = std::str::from_utf8(&value).ok()?;
    let mut made = Vec::new();
    let mut masked = String::with_capacity(text.len());
    for (index, piece) in text.split(';').enumerate() {
        if index > 0 {
            masked.push(';');
        }
        let kept = match piece.split_once('=') {
            Some((raw_name, raw_value))
                if rules.masks_cookie(raw_name.trim(), raw_value.trim()) =>
            {
                made.push(Redaction {
                    header: name_trimmed.to_owned(),
                    cookie: Some(raw_name.trim().to_owned()),
                });
                // Spaces around the value are kept where they were.
                let value_lead = raw_value.len() - raw_value.trim_start().len();
                let value_trail = raw_value.len() - raw_value.trim_end().len();
                format!(
                    "{raw_name}={}{REDACTED}{}",
                    &raw_value[..value_lead],
                    &raw_value[raw_value.len() - value_trail..]
                )
            }
            _ => piece.to_owned(),
        };
        masked.push_str(&kept);
    }
    if made.is_empty() {
        return None;
    }
    line.extend_from_slice(masked.as_bytes());
    line.extend_from_slice(ending);
    Some((line, made))
}

fn is_credentials_header(name: &str) -> bool {
    ALWAYS_REDACTED.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Where the head ends, blank line included (`\r\n\r\n`, or bare `\n\n`).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                return Some(i + 3);
            }
            if bytes[i + 1..].starts_with(b"\n") {
                return Some(i + 2);
            }
        }
        i += 1;
    }
    None
}

/// Lines with their line ends (the last may have none).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            lines.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

fn line_ending(line: &[u8]) -> &[u8] {
    if line.ends_with(b"\r\n") {
        &line[line.len() - 2..]
    } else if line.ends_with(b"\n") {
        &line[line.len() - 1..]
    } else {
        &[]
    }
}

fn header_name(line: &[u8]) -> Option<String> {
    let colon = line.iter().position(|b| *b == b':')?;
    Some(
        String::from_utf8_lossy(&line[..colon])
            .trim_end()
            .to_owned(),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the percent-decoded line holds the secret (`?pw=bl%C3%A5b%C3%A6r`), `+` read as a
/// space as in form-encoded queries.
fn decoded_contains(line: &[u8], secret: &str) -> bool {
    let decoded: Vec<u8> = percent_encoding::percent_decode(line).collect();
    let plus_as_space: Vec<u8> = decoded
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    contains(&decoded, secret.as_bytes()) || contains(&plus_as_space, secret.as_bytes())
}

/// A header or cookie name as it may stand in a WARC field: `%`, `,`, spaces and control or
/// non-ASCII bytes percent-encoded.
fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_graphic() && b != b'%' && b != b',' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: &[u8] = b"GET /medlemmer/?side=2 HTTP/1.1\r\n\
        Host: intranet.example\r\n\
        User-Agent: arkiv/0.1.0\r\n\
        Authorization: Basic YXJraXZhcjpibMOlYsOmcg==\r\n\
        Cookie: sprog=da; sid=s3cr3t-session; theme=dark\r\n\
        \r\n";

    fn rules() -> RedactionRules {
        RedactionRules::new()
            .with_cookie("sid", "s3cr3t-session")
            .with_secret(Secret::new("blåbær"))
    }

    #[test]
    fn credentials_and_loaded_cookies_are_masked_in_place() {
        let got = redact_request(SENT, &rules());
        assert_eq!(
            String::from_utf8_lossy(&got.bytes),
            "GET /medlemmer/?side=2 HTTP/1.1\r\n\
             Host: intranet.example\r\n\
             User-Agent: arkiv/0.1.0\r\n\
             Authorization: Basic ARKIV-REDACTED\r\n\
             Cookie: sprog=da; sid=ARKIV-REDACTED; theme=dark\r\n\
             \r\n"
        );
        assert_eq!(
            got.field_value().as_deref(),
            Some("Authorization, Cookie sid")
        );
        assert!(got.exposures.is_empty(), "{:?}", got.exposures);
    }

    #[test]
    fn nothing_to_mask_leaves_every_byte() {
        let plain = b"GET / HTTP/1.1\nHost: a\nCookie: sprog=da\n\nbody";
        let got = redact_request(plain, &rules());
        assert_eq!(got.bytes, plain);
        assert_eq!(got.field_value(), None);
        let no_head = b"GET / HTTP/1.1\r\nHost: a";
        assert_eq!(redact_request(no_head, &rules()).bytes, no_head);
        assert_eq!(redact_request(b"", &rules()).bytes, b"");
    }

    #[test]
    fn any_case_every_repeat_and_folded_lines() {
        let sent = b"GET / HTTP/1.1\r\n\
            host: a\r\n\
            proxy-AUTHORIZATION: Basic cHJveHk6cHc=\r\n\
            AUTHORIZATION: Digest username=\"arkivar\",\r\n\
            \trealm=\"m\", nonce=\"n\",\r\n \
            response=\"0123abcd\"\r\n\
            cookie: sid=s3cr3t-session\r\n\
            Cookie:sid=s3cr3t-session ;other=1\r\n\
            X-After: kept\r\n\
            \r\n";
        let got = redact_request(sent, &rules());
        assert_eq!(
            String::from_utf8_lossy(&got.bytes),
            "GET / HTTP/1.1\r\n\
             host: a\r\n\
             proxy-AUTHORIZATION: Basic ARKIV-REDACTED\r\n\
             AUTHORIZATION: Digest ARKIV-REDACTED\r\n\
             cookie: sid=ARKIV-REDACTED\r\n\
             Cookie:sid=ARKIV-REDACTED ;other=1\r\n\
             X-After: kept\r\n\
             \r\n"
        );
        assert_eq!(
            got.field_value().as_deref(),
            Some("proxy-AUTHORIZATION, AUTHORIZATION, cookie sid, Cookie sid")
        );
    }

    #[test]
    fn a_site_set_cookie_of_the_same_name_is_kept() {
        let sent = b"GET / HTTP/1.1\r\nCookie: sid=rotated-by-site\r\n\r\n";
        let got = redact_request(sent, &rules());
        assert_eq!(got.bytes, sent.as_slice());
        assert!(got.redactions.is_empty());
    }

    #[test]
    fn extra_headers_lose_their_whole_value_and_values_without_a_scheme_too() {
        let sent = b"GET / HTTP/1.1\r\nX-Api-Key: k 1 2\r\nAuthorization: tokenonly\r\n\r\n";
        let got = redact_request(sent, &RedactionRules::new().with_header("x-api-key"));
        assert_eq!(
            String::from_utf8_lossy(&got.bytes),
            "GET / HTTP/1.1\r\nX-Api-Key: ARKIV-REDACTED\r\nAuthorization: ARKIV-REDACTED\r\n\r\n"
        );
    }

    #[test]
    fn a_secret_in_the_request_line_is_kept_and_reported() {
        let sent = b"GET /login?user=arkivar&pw=bl%C3%A5b%C3%A6r HTTP/1.1\r\n\
            Host: a\r\nReferer: http://a/?sid=s3cr3t-session\r\n\r\n";
        let got = redact_request(sent, &rules());
        assert_eq!(
            got.bytes,
            sent.as_slice(),
            "the URL is the capture's identity"
        );
        assert_eq!(
            got.exposures,
            [Exposure::RequestLine, Exposure::Header("Referer".into())]
        );
        let short = RedactionRules::new().with_cookie("n", "da");
        let got = redact_request(b"GET /da HTTP/1.1\r\nCookie: n=da\r\n\r\n", &short);
        assert!(got.exposures.is_empty(), "short values are not searched");
        assert_eq!(got.field_value().as_deref(), Some("Cookie n"));
    }

    #[test]
    fn warcinfo_names_every_rule_and_debug_no_value() {
        let rules = rules()
            .with_header("X-Api-Key")
            .with_cookie("sid", "another");
        let fields = rules.warcinfo_fields();
        let texts: Vec<&str> = fields.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(fields.len(), 4, "{texts:?}");
        assert!(fields.iter().all(|(n, _)| n == WARCINFO_FIELD));
        assert!(texts[0].starts_with("Authorization in request records: what follows the scheme"));
        assert!(texts[2].starts_with("X-Api-Key in request records: the value"));
        assert!(texts[3].starts_with("Cookie sid in request records, loaded from a cookie file"));
        let debug = format!("{rules:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("blåbær"),
            "{debug}"
        );
        assert_eq!(escape_name("a, b%"), "a%2C%20b%25");
    }
}
