//! One archived HTTP response (or revisit) as the diff sees it: what its CDXJ line says, completed
//! from its WARC record's heads (redirect target, truncation, content coding).

use url::Url;

use super::payload::Heads;
use super::rebase::{Rebase, rebased};
use crate::urls::dedup_key;
use crate::warc::cdxj::CdxjEntry;
use crate::warc::record::RecordType;

/// A record's place: WARC file name (in the crawl's `warc/`) and gzip member offset.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordRef {
    pub file: String,
    pub offset: u64,
}

/// One capture of a URL.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The URL as archived (`WARC-Target-URI`).
    pub archived_url: String,
    /// The URL compared: the archived one, after `--rebase` for the old crawl.
    pub url: Url,
    /// `YYYYMMDDhhmmss` of its `WARC-Date`.
    pub timestamp: String,
    pub status: u16,
    /// The full `Content-Type` value as sent.
    pub content_type: Option<String>,
    /// `WARC-Payload-Digest`; a revisit carries its original's.
    pub digest: Option<String>,
    /// A 3xx's `Location`, resolved against the URL (and rebased like it).
    pub redirect: Option<Url>,
    pub revisit: bool,
    /// `WARC-Truncated`, when the record was cut short.
    pub truncated: Option<String>,
    /// The `Content-Encoding` the payload was sent with.
    pub content_encoding: Option<String>,
    /// A revisit's `WARC-Refers-To-Target-URI`: where its payload was first archived.
    pub refers_to_url: Option<String>,
    /// The record read.
    pub record: RecordRef,
    /// The response record that holds the payload bytes in this crawl: the record itself, or
    /// for a revisit a response with the same payload digest (`None` when the crawl holds none,
    /// as after `arkiv crawl --dedup-from`).
    pub payload_at: Option<RecordRef>,
}

impl Capture {
    /// Builds the capture of a CDXJ line from its record's heads; `None` for a record that is no
    /// HTTP response or revisit (a `resource` or `metadata` record, a block without an HTTP head).
    pub fn from_record(entry: &CdxjEntry, heads: &Heads, rebases: &[Rebase]) -> Option<Capture> {
        let revisit = match heads.warc.record_type()? {
            RecordType::Response => false,
            RecordType::Revisit => true,
            _ => return None,
        };
        let http = heads.http.as_ref()?;
        let archived = Url::parse(&entry.url).ok()?;
        let url = rebased(&archived, rebases);
        let redirect = heads
            .http_header("Location")
            .filter(|_| (300..400).contains(&http.status))
            .and_then(|location| archived.join(&location).ok())
            .map(|target| rebased(&target, rebases));
        let record = RecordRef {
            file: entry.filename.clone(),
            offset: entry.offset,
        };
        Some(Capture {
            archived_url: entry.url.clone(),
            url,
            timestamp: entry.timestamp.clone(),
            status: http.status,
            content_type: heads.http_header("Content-Type"),
            digest: heads
                .warc
                .get("WARC-Payload-Digest")
                .map(str::to_owned)
                .or_else(|| entry.digest.clone()),
            redirect,
            revisit,
            truncated: heads.warc.get("WARC-Truncated").map(str::to_owned),
            content_encoding: heads
                .http_header("Content-Encoding")
                .filter(|c| !crate::content::coding::codings(Some(c)).is_empty()),
            refers_to_url: heads
                .warc
                .get("WARC-Refers-To-Target-URI")
                .map(str::to_owned),
            payload_at: (!revisit).then(|| record.clone()),
            record,
        })
    }

    /// The key under which the two crawls' captures are paired (see the module doc of `diff`).
    pub fn key(&self) -> String {
        dedup_key(&self.url)
    }

    /// The media type without parameters, lower case (`""` when the response named none).
    pub fn mime(&self) -> String {
        self.content_type
            .as_deref()
            .and_then(|c| c.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    /// What the content type means to a browser: the media type, and the charset when one is
    /// named (by its WHATWG name, so `utf8` and `UTF-8` are the same).
    pub fn content_type_label(&self) -> String {
        let mime = self.mime();
        match self
            .content_type
            .as_deref()
            .and_then(crate::extract::sniff::charset_from_content_type)
        {
            Some(charset) => format!("{mime}; charset={}", charset.name()),
            None => mime,
        }
    }

    pub fn is_html(&self) -> bool {
        matches!(self.mime().as_str(), "text/html" | "application/xhtml+xml")
    }

    /// Text a line diff can show (stylesheets, scripts, JSON, XML and SVG, plain text).
    pub fn is_text(&self) -> bool {
        let mime = self.mime();
        (mime.starts_with("text/") && !self.is_html())
            || mime.ends_with("+xml")
            || mime.ends_with("+json")
            || matches!(
                mime.as_str(),
                "application/javascript"
                    | "application/x-javascript"
                    | "application/ecmascript"
                    | "application/json"
                    | "application/xml"
            )
    }

    /// Which of two captures of one URL is the one to compare: a whole record beats a cut one,
    /// a real answer beats a "come back later" (429, 503), then the later one wins. The mirror
    /// chooses the same way, so the diff compares what the mirror shows.
    pub fn rank(&self) -> (bool, bool, &str, &RecordRef) {
        (
            self.truncated.is_none(),
            !matches!(self.status, 429 | 503),
            &self.timestamp,
            &self.record,
        )
    }
}
