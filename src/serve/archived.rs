//! An archived HTTP response read back from its WARC record, for replay: status line and headers
//! as archived, and the payload with the transfer coding removed (the content coding kept).
//!
//! A revisit answers with its own status and headers and the payload of the record it refers
//! to; the framing of that payload (chunked or not, its length) comes from the head of the record
//! that holds the bytes, which is how they were sent.

use std::io::{self, BufReader, Read};
use std::path::Path;

use super::capture_index::{CaptureIndex, warc_path};
use crate::warc::reader::WarcReader;
use crate::warc::{CdxjEntry, parse_response_head};

/// Largest record block replayed (the whole payload is held in memory to answer ranges and to
/// rewrite pages; a bigger one is refused with a message rather than filling memory).
pub const MAX_BLOCK: u64 = 256 << 20;

/// A response as archived.
#[derive(Debug, Clone)]
pub struct ArchivedResponse {
    pub url: String,
    /// `WARC-Date` of the record answering (the revisit's own for a revisit).
    pub date: String,
    /// The 14-digit timestamp of the capture.
    pub timestamp: String,
    pub status: u16,
    pub reason: String,
    /// In archived order and case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The payload: transfer coding removed, content coding as sent.
    pub payload: Vec<u8>,
}

impl ArchivedResponse {
    /// The last value of a header (case-insensitive), lossily decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
    }
}

/// One record's WARC headers and its block.
struct Record {
    headers: crate::warc::WarcHeaders,
    block: Vec<u8>,
}

fn read_record(warc_dir: &Path, entry: &CdxjEntry) -> io::Result<Record> {
    let path = warc_path(warc_dir, &entry.filename).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "index names a WARC file outside warc/: {:?}",
                entry.filename
            ),
        )
    })?;
    let mut reader = WarcReader::open_at(&path, entry.offset).map_err(io::Error::other)?;
    let head = reader
        .next_record()
        .map_err(io::Error::other)?
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("no record at {}:{}", path.display(), entry.offset),
            )
        })?;
    if head.headers.content_length().unwrap_or(0) > MAX_BLOCK {
        return Err(io::Error::other(format!(
            "the record of {} is larger than {} MiB, more than this server replays",
            entry.url,
            MAX_BLOCK >> 20
        )));
    }
    let mut block = Vec::new();
    reader.block().read_to_end(&mut block)?;
    Ok(Record {
        headers: head.headers,
        block,
    })
}

/// Reads the response `entry` points at, resolving a revisit through `index`.
pub fn load(
    warc_dir: &Path,
    index: &CaptureIndex,
    entry: &CdxjEntry,
) -> io::Result<ArchivedResponse> {
    let record = read_record(warc_dir, entry)?;
    let head = parse_response_head(&record.block).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: the archived HTTP head does not parse: {e:?}",
                entry.url
            ),
        )
    })?;
    let revisit = record.headers.get("WARC-Type") == Some("revisit");
    let (framing, payload_bytes) = if revisit {
        let refers_to = record
            .headers
            .get("WARC-Refers-To-Target-URI")
            .zip(record.headers.get("WARC-Refers-To-Date"));
        let original = index.original_of(entry, refers_to).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{}: the revisit's original record is not in the index",
                    entry.url
                ),
            )
        })?;
        let original = read_record(warc_dir, original)?;
        let original_head = parse_response_head(&original.block)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:?}")))?;
        let body = original.block[original_head.len..].to_vec();
        (original_head.headers, body)
    } else {
        (head.headers.clone(), record.block[head.len..].to_vec())
    };
    let framing_header = |name: &str| {
        framing
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
    };
    let payload = if framing_header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        let mut out = Vec::new();
        // A body cut mid-chunk (a truncated record) replays as far as it goes.
        let _ = crate::mirror::payload::Dechunk::new(BufReader::new(&payload_bytes[..]))
            .read_to_end(&mut out);
        out
    } else {
        let mut body = payload_bytes;
        if let Some(len) = framing_header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.truncate(len);
        }
        body
    };
    Ok(ArchivedResponse {
        url: entry.url.clone(),
        date: record
            .headers
            .get("WARC-Date")
            .unwrap_or_default()
            .to_string(),
        timestamp: entry.timestamp.clone(),
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        payload,
    })
}
