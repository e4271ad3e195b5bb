//! WARC 1.1 record headers: record types, field order, dates, record IDs and value validation.
//!
//! Field order follows GNU Wget's WARC writer (`src/warc.c`), which is also what warcio produces for
//! the fields it shares: WARC-Type, WARC-Record-ID, WARC-Warcinfo-ID, WARC-Concurrent-To,
//! WARC-Target-URI, WARC-Date, WARC-IP-Address, WARC-Refers-To*, WARC-Profile, WARC-Truncated,
//! WARC-Block-Digest, WARC-Payload-Digest, Content-Type, Content-Length. Readers must not depend on
//! order, but a stable, conventional order keeps files diffable and snapshot tests meaningful.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};

/// The version line every record we write starts with.
pub const WARC_VERSION: &str = "WARC/1.1";

/// A header value or name we refuse to write.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// CR, LF or another control character in a value would let input forge header lines.
    #[error("WARC header {name} would contain a control character: {value:?}")]
    ControlCharacter { name: String, value: String },
    /// Header names are RFC 7230 tokens.
    #[error("invalid WARC header name {0:?}")]
    InvalidName(String),
}

/// The record types arkiv writes (WARC 1.1 §6); `continuation` is read, never written.
/// `conversion` holds a page as the browser rendered it (`--browser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    Warcinfo,
    Request,
    Response,
    Revisit,
    Metadata,
    Resource,
    Conversion,
}

impl RecordType {
    /// The value of `WARC-Type`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Warcinfo => "warcinfo",
            RecordType::Request => "request",
            RecordType::Response => "response",
            RecordType::Revisit => "revisit",
            RecordType::Metadata => "metadata",
            RecordType::Resource => "resource",
            RecordType::Conversion => "conversion",
        }
    }

    /// Parses a `WARC-Type` value (case-insensitively, as the standard's tokens are).
    pub fn parse(value: &str) -> Option<Self> {
        let all = [
            RecordType::Warcinfo,
            RecordType::Request,
            RecordType::Response,
            RecordType::Revisit,
            RecordType::Metadata,
            RecordType::Resource,
            RecordType::Conversion,
        ];
        all.into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a record's block is shorter than what was fetched (`WARC-Truncated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncated {
    Length,
    Time,
    Disconnect,
    Unspecified,
}

impl Truncated {
    /// The value of `WARC-Truncated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truncated::Length => "length",
            Truncated::Time => "time",
            Truncated::Disconnect => "disconnect",
            Truncated::Unspecified => "unspecified",
        }
    }
}

/// `WARC-Date` with microseconds: WARC 1.1 allows sub-second precision, and two fetches of the
/// same URL within a second must still be told apart.
pub fn format_warc_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A fresh `<urn:uuid:…>` record ID (random, version 4).
pub fn new_record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// The ordered header fields of one record, names in the case they were written or read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarcHeaders {
    /// The version line without the trailing CRLF, e.g. `WARC/1.1`.
    pub version: String,
    fields: Vec<(String, String)>,
}

impl WarcHeaders {
    /// Empty headers with the given version line.
    pub fn new(version: &str) -> Self {
        Self {
            version: version.to_owned(),
            fields: Vec::new(),
        }
    }

    /// Appends a field after checking that neither name nor value can break the header block.
    pub fn push(&mut self, name: &str, value: &str) -> Result<(), RecordError> {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(RecordError::InvalidName(name.to_owned()));
        }
        if value.chars().any(|c| c.is_control()) {
            return Err(RecordError::ControlCharacter {
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
        self.fields.push((name.to_owned(), value.to_owned()));
        Ok(())
    }

    /// Appends a field as read from a file, without validation (the reader keeps what it finds).
    pub(crate) fn push_unchecked(&mut self, name: String, value: String) {
        self.fields.push((name, value));
    }

    /// Appends a continuation line to the last field's value.
    pub(crate) fn continue_last(&mut self, more: &str) -> bool {
        match self.fields.last_mut() {
            Some((_, value)) => {
                value.push(' ');
                value.push_str(more.trim());
                true
            }
            None => false,
        }
    }

    /// The first value of a field, matching the name case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The record type, when `WARC-Type` holds one arkiv knows.
    pub fn record_type(&self) -> Option<RecordType> {
        self.get("WARC-Type").and_then(RecordType::parse)
    }

    /// `Content-Length` as a number.
    pub fn content_length(&self) -> Option<u64> {
        self.get("Content-Length")
            .and_then(|v| v.trim().parse().ok())
    }

    /// The header block as written: version line, fields, and the blank line that ends it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.fields {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Everything a record header can carry; [`RecordFields::to_headers`] puts it in order.
#[derive(Debug, Clone)]
pub struct RecordFields {
    pub record_type: RecordType,
    pub record_id: String,
    pub warcinfo_id: Option<String>,
    pub concurrent_to: Option<String>,
    pub target_uri: Option<String>,
    pub date: DateTime<Utc>,
    pub ip_address: Option<IpAddr>,
    pub refers_to: Option<String>,
    pub refers_to_target_uri: Option<String>,
    pub refers_to_date: Option<DateTime<Utc>>,
    pub profile: Option<String>,
    pub truncated: Option<Truncated>,
    pub filename: Option<String>,
    pub block_digest: Option<String>,
    pub payload_digest: Option<String>,
    pub content_type: Option<String>,
    pub content_length: u64,
    /// Fields outside the standard (`WARC-Arkiv-Redacted`), written after the digests.
    pub extra: Vec<(String, String)>,
}

impl RecordFields {
    /// Fields for a record of `record_type` dated `date`, with a fresh record ID and nothing else.
    pub fn new(record_type: RecordType, date: DateTime<Utc>) -> Self {
        Self {
            record_type,
            record_id: new_record_id(),
            warcinfo_id: None,
            concurrent_to: None,
            target_uri: None,
            date,
            ip_address: None,
            refers_to: None,
            refers_to_target_uri: None,
            refers_to_date: None,
            profile: None,
            truncated: None,
            filename: None,
            block_digest: None,
            payload_digest: None,
            content_type: None,
            content_length: 0,
            extra: Vec::new(),
        }
    }

    /// The header in conventional order (see the module comment), validated.
    pub fn to_headers(&self) -> Result<WarcHeaders, RecordError> {
        let mut h = WarcHeaders::new(WARC_VERSION);
        h.push("WARC-Type", self.record_type.as_str())?;
        h.push("WARC-Record-ID", &self.record_id)?;
        push_opt(&mut h, "WARC-Warcinfo-ID", self.warcinfo_id.as_deref())?;
        push_opt(&mut h, "WARC-Concurrent-To", self.concurrent_to.as_deref())?;
        // WARC 1.1 writes the URI bare; 1.0's angle brackets confuse most readers.
        push_opt(&mut h, "WARC-Target-URI", self.target_uri.as_deref())?;
        h.push("WARC-Date", &format_warc_date(self.date))?;
        push_opt(&mut h, "WARC-Filename", self.filename.as_deref())?;
        let ip = self.ip_address.map(|ip| ip.to_string());
        push_opt(&mut h, "WARC-IP-Address", ip.as_deref())?;
        push_opt(&mut h, "WARC-Refers-To", self.refers_to.as_deref())?;
        push_opt(
            &mut h,
            "WARC-Refers-To-Target-URI",
            self.refers_to_target_uri.as_deref(),
        )?;
        let refers_date = self.refers_to_date.map(format_warc_date);
        push_opt(&mut h, "WARC-Refers-To-Date", refers_date.as_deref())?;
        push_opt(&mut h, "WARC-Profile", self.profile.as_deref())?;
        push_opt(
            &mut h,
            "WARC-Truncated",
            self.truncated.map(Truncated::as_str),
        )?;
        push_opt(&mut h, "WARC-Block-Digest", self.block_digest.as_deref())?;
        push_opt(
            &mut h,
            "WARC-Payload-Digest",
            self.payload_digest.as_deref(),
        )?;
        for (name, value) in &self.extra {
            h.push(name, value)?;
        }
        push_opt(&mut h, "Content-Type", self.content_type.as_deref())?;
        h.push("Content-Length", &self.content_length.to_string())?;
        Ok(h)
    }
}

fn push_opt(h: &mut WarcHeaders, name: &str, value: Option<&str>) -> Result<(), RecordError> {
    match value {
        Some(v) => h.push(name, v),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_have_microseconds_and_z() {
        let date = Utc
            .with_ymd_and_hms(2026, 11, 27, 3, 40, 12)
            .single()
            .map(|d| d + chrono::Duration::microseconds(123_456));
        assert_eq!(
            date.map(format_warc_date).as_deref(),
            Some("2026-11-27T03:40:12.123456Z")
        );
    }

    #[test]
    fn record_ids_are_bracketed_uuids() {
        let id = new_record_id();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'), "{id}");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
    }

    #[test]
    fn header_order_is_conventional() {
        let mut f = RecordFields::new(RecordType::Response, Utc::now());
        f.target_uri = Some("http://example.com/".into());
        f.payload_digest = Some("sha1:X".into());
        f.block_digest = Some("sha1:Y".into());
        f.content_type = Some("application/http;msgtype=response".into());
        f.warcinfo_id = Some("<urn:uuid:1>".into());
        let names: Vec<String> = f
            .to_headers()
            .into_iter()
            .flat_map(|h| h.iter().map(|(n, _)| n.to_owned()).collect::<Vec<_>>())
            .collect();
        assert_eq!(
            names,
            [
                "WARC-Type",
                "WARC-Record-ID",
                "WARC-Warcinfo-ID",
                "WARC-Target-URI",
                "WARC-Date",
                "WARC-Block-Digest",
                "WARC-Payload-Digest",
                "Content-Type",
                "Content-Length"
            ]
        );
    }

    #[test]
    fn control_characters_are_rejected() {
        let mut f = RecordFields::new(RecordType::Response, Utc::now());
        f.target_uri = Some("http://x/\r\nWARC-Type: evil".into());
        assert!(matches!(
            f.to_headers(),
            Err(RecordError::ControlCharacter { .. })
        ));
        let mut h = WarcHeaders::new(WARC_VERSION);
        assert!(h.push("Bad Name", "v").is_err());
        assert!(h.push("X", "tab\there").is_err());
    }

    #[test]
    fn lookup_is_case_insensitive_and_keeps_case() {
        let mut h = WarcHeaders::new(WARC_VERSION);
        h.push("WARC-Type", "response").ok();
        h.push("content-length", "12").ok();
        assert_eq!(h.record_type(), Some(RecordType::Response));
        assert_eq!(h.content_length(), Some(12));
        assert_eq!(h.iter().nth(1).map(|(n, _)| n), Some("content-length"));
    }
}
