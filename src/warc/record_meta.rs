//! What callers say about each record: warcinfo fields, HTTP/revisit/metadata/resource fields,
//! the Heritrix-style outlink lines of a metadata record, and arkiv's outcome records.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::record::{RecordError, Truncated};

/// Content type of the metadata records that say why an in-scope URL was not archived.
pub const OUTCOME_CONTENT_TYPE: &str = "application/warc-fields";
/// The field that names the outcome (its text form, `crate::outcome::Outcome`) in such a record;
/// `via:` and `detail:` lines may follow. Written by the crawl, read by resume and the mirror.
pub const OUTCOME_FIELD: &str = "arkiv-outcome";

/// The `application/warc-fields` body of every file's warcinfo record, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcinfoFields {
    fields: Vec<(String, String)>,
}

impl Default for WarcinfoFields {
    fn default() -> Self {
        Self {
            fields: vec![
                ("software".into(), crate::SOFTWARE.into()),
                ("format".into(), "WARC File Format 1.1".into()),
                (
                    "conformsTo".into(),
                    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
                        .into(),
                ),
            ],
        }
    }
}

impl WarcinfoFields {
    /// `software`, `format` and `conformsTo`; add `isPartOf`, `operator`, `robots`, … with [`Self::with`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends (or replaces) a field.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Appends a field even when one of that name exists: some fields repeat (one
    /// `arkiv-seed` per seed).
    pub fn also(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn to_block(&self) -> Result<Vec<u8>, RecordError> {
        let mut out = Vec::new();
        for (name, value) in &self.fields {
            check_field(name, value)?;
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        Ok(out)
    }
}

/// Fields of a `response` or `request` record (the block is the HTTP message as exchanged).
#[derive(Debug, Clone)]
pub struct HttpRecordMeta<'a> {
    pub target_uri: &'a str,
    pub date: DateTime<Utc>,
    pub ip_address: Option<IpAddr>,
    pub concurrent_to: Option<&'a str>,
    /// `sha1:…` over the de-chunked, still content-encoded body; computed by the fetcher.
    pub payload_digest: Option<&'a str>,
    pub truncated: Option<Truncated>,
}

/// Fields of an identical-payload-digest `revisit` record.
#[derive(Debug, Clone)]
pub struct RevisitMeta<'a> {
    pub target_uri: &'a str,
    pub date: DateTime<Utc>,
    pub ip_address: Option<IpAddr>,
    /// The request record of this capture.
    pub concurrent_to: Option<&'a str>,
    pub payload_digest: &'a str,
    pub refers_to: &'a str,
    pub refers_to_target_uri: &'a str,
    pub refers_to_date: DateTime<Utc>,
}

/// Fields of a `metadata` record about a capture.
#[derive(Debug, Clone)]
pub struct MetadataMeta<'a> {
    pub target_uri: &'a str,
    pub date: DateTime<Utc>,
    pub concurrent_to: Option<&'a str>,
}

/// Fields of a `resource` record.
#[derive(Debug, Clone)]
pub struct ResourceMeta<'a> {
    pub target_uri: &'a str,
    pub date: DateTime<Utc>,
    pub content_type: &'a str,
    pub concurrent_to: Option<&'a str>,
}

/// What a `conversion` record says besides its block: the record it was made from.
#[derive(Debug, Clone)]
pub struct ConversionMeta<'a> {
    pub target_uri: &'a str,
    pub date: DateTime<Utc>,
    pub content_type: &'a str,
    /// `WARC-Refers-To`: the record the conversion was made from.
    pub refers_to: &'a str,
    /// More fields, in order (`WARC-Arkiv-…`).
    pub extra: Vec<(String, String)>,
}

/// How a link was found, in Heritrix's one-letter hop codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// `L`: a navigational link.
    Link,
    /// `E`: an embedded resource (image, stylesheet, script).
    Embed,
    /// `R`: a redirect.
    Redirect,
    /// `X`: speculative (found in script text).
    Speculative,
    /// `P`: a prerequisite (robots.txt, DNS).
    Prerequisite,
}

impl Hop {
    /// The Heritrix letter.
    pub fn letter(self) -> char {
        match self {
            Hop::Link => 'L',
            Hop::Embed => 'E',
            Hop::Redirect => 'R',
            Hop::Speculative => 'X',
            Hop::Prerequisite => 'P',
        }
    }
}

/// One `outlink:` line of a metadata record: `outlink: <url> <hop> <context>`.
#[derive(Debug, Clone)]
pub struct Outlink<'a> {
    pub url: &'a str,
    pub hop: Hop,
    /// Where the link was found, as Heritrix writes it (`a/@href`, `link/@href`, `css`).
    pub context: &'a str,
}

pub(crate) fn check_field(name: &str, value: &str) -> Result<(), RecordError> {
    if name.chars().any(|c| c.is_control() || c == ':') || value.chars().any(char::is_control) {
        return Err(RecordError::ControlCharacter {
            name: name.into(),
            value: value.into(),
        });
    }
    Ok(())
}
