//! A browser's answer read back from the WARC: the archived response's status, reason and
//! headers as the site sent them, and its entity body (transfer coding undone, content coding
//! kept: the browser undoes that itself, as it would have from the site).

use std::io::{BufReader, Read as _};

use super::StoredAt;
use crate::recording_proxy::{ProxyResponse, ResponseBody};
use crate::warc::dechunk::Dechunk;
use crate::warc::record::RecordType;
use crate::warc::{parse_response_head, read_record_at};

/// What an archived record gives the browser.
pub enum Archived {
    Response(ProxyResponse),
    /// A revisit: its own head, and the URL of the record that holds its payload.
    Revisit {
        head: ProxyHead,
        original: String,
    },
}

/// A response head waiting for the body of a revisit's original.
pub struct ProxyHead {
    status: u16,
    reason: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl ProxyHead {
    pub fn with_body(self, body: ResponseBody) -> ProxyResponse {
        ProxyResponse {
            status: self.status,
            reason: self.reason,
            headers: self.headers,
            body,
        }
    }
}

/// Reads the record at `at` (a response or a revisit).
pub fn read_archived(at: &StoredAt) -> Result<Archived, String> {
    let (headers, block) = read_record_at(&at.path, at.offset).map_err(|e| e.to_string())?;
    let head = parse_response_head(&block).map_err(|e| format!("{e:?}"))?;
    let proxy_head = ProxyHead {
        status: head.status,
        reason: head.reason.clone(),
        headers: head.headers.clone(),
    };
    match headers.record_type() {
        Some(RecordType::Response) => {}
        Some(RecordType::Revisit) => {
            let original = headers
                .get("WARC-Refers-To-Target-URI")
                .ok_or("a revisit record without WARC-Refers-To-Target-URI")?;
            return Ok(Archived::Revisit {
                head: proxy_head,
                original: original.to_owned(),
            });
        }
        other => return Err(format!("not a response record: {other:?}")),
    }
    let raw = block.get(head.len..).unwrap_or_default();
    let header = |name: &str| {
        head.header(name)
            .map(|v| String::from_utf8_lossy(v).to_ascii_lowercase())
    };
    let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        let mut body = Vec::new();
        Dechunk::new(BufReader::new(raw))
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        body
    } else if let Some(length) = header("content-length").and_then(|v| v.trim().parse().ok()) {
        raw[..raw.len().min(length)].to_vec()
    } else {
        raw.to_vec()
    };
    Ok(Archived::Response(proxy_head.with_body(body.into())))
}
