//! The CDXJ index, as pywb's `cdxj-indexer` writes it: `<surt> <timestamp> <json>` per capture.
//!
//! Matching cdxj-indexer (webrecorder/cdxj-indexer, `main.py`): one line per `response`, `revisit`,
//! `resource` and `metadata` record, except resource/metadata records whose Content-Type is
//! `application/warc-fields` (our outlink lists); JSON fields in the order url, mime, status,
//! digest, length, offset, filename, all values strings; absent values are left out; `digest`
//! keeps the `sha1:` label (only the legacy CDX formats strip it); `mime` is the HTTP
//! Content-Type up to the first `;` or space, `warc/revisit` for revisits; the JSON is Python's
//! `json.dumps` spelling (`", "` and `": "` separators, non-ASCII as `\uXXXX`); `filename` is the
//! WARC file's name without folder. Lines are sorted bytewise, as `cdxj-indexer --sort` does.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use super::http_head::parse_response_head;
use super::reader::{ReadError, WarcReader};
use super::record::{RecordType, WarcHeaders};
use crate::urls::surt::surt;

/// How much of a block is kept to find its HTTP head.
pub const HEAD_PREFIX: usize = 64 * 1024;

/// One index line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdxjEntry {
    /// SURT key of the URL.
    pub surt: String,
    /// `YYYYMMDDhhmmss` of the record's `WARC-Date`.
    pub timestamp: String,
    pub url: String,
    pub mime: Option<String>,
    pub status: Option<String>,
    pub digest: Option<String>,
    pub length: u64,
    pub offset: u64,
    pub filename: String,
}

/// Why an index could not be read, parsed, built or written.
#[derive(Debug, thiserror::Error)]
pub enum CdxjError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("CDXJ line {line}: {detail}")]
    Parse { line: usize, detail: String },
    /// Reading the WARC stopped early; `entries` holds the lines for every whole record before.
    #[error("{source}")]
    Warc {
        entries: Vec<CdxjEntry>,
        source: ReadError,
    },
}

impl CdxjEntry {
    /// The line as written to the index, without the newline.
    pub fn to_line(&self) -> String {
        let mut json = String::from("{");
        let mut field = |name: &str, value: &str| {
            if json.len() > 1 {
                json.push_str(", ");
            }
            push_json_string(&mut json, name);
            json.push_str(": ");
            push_json_string(&mut json, value);
        };
        field("url", &self.url);
        if let Some(mime) = &self.mime {
            field("mime", mime);
        }
        if let Some(status) = &self.status {
            field("status", status);
        }
        if let Some(digest) = &self.digest {
            field("digest", digest);
        }
        field("length", &self.length.to_string());
        field("offset", &self.offset.to_string());
        field("filename", &self.filename);
        json.push('}');
        format!("{} {} {}", self.surt, self.timestamp, json)
    }

    /// Parses a line as pywb, cdxj-indexer or [`Self::to_line`] write it (numbers may be JSON
    /// numbers or strings).
    pub fn parse(line: &str, line_no: usize) -> Result<Self, CdxjError> {
        let err = |detail: &str| CdxjError::Parse {
            line: line_no,
            detail: detail.to_owned(),
        };
        let mut parts = line.splitn(3, ' ');
        let surt = parts
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| err("no SURT key"))?;
        let timestamp = parts.next().ok_or_else(|| err("no timestamp"))?;
        if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("timestamp is not digits"));
        }
        let json = parts.next().ok_or_else(|| err("no JSON block"))?;
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| err(&e.to_string()))?;
        let text = |name: &str| -> Option<String> {
            match map.get(name)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let number = |name: &str| -> Result<u64, CdxjError> {
            text(name)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err(&format!("no numeric {name:?}")))
        };
        Ok(Self {
            surt: surt.to_owned(),
            timestamp: timestamp.to_owned(),
            url: text("url").ok_or_else(|| err("no \"url\""))?,
            mime: text("mime"),
            status: text("status"),
            digest: text("digest"),
            length: number("length")?,
            offset: number("offset")?,
            filename: text("filename").ok_or_else(|| err("no \"filename\""))?,
        })
    }
}

/// Writes the entries sorted bytewise to `path`, through a temp file renamed into place, so a
/// crash leaves either the old index or the new one.
pub fn write_index(path: &Path, entries: &[CdxjEntry]) -> Result<(), CdxjError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = IndexBuilder::new(dir);
    for entry in entries {
        builder.add(entry.to_line())?;
    }
    builder.finish(path)?;
    Ok(())
}

/// Lines held in memory before they are sorted into a run file (bounded memory for any size).
const RUN_BYTES: usize = 32 << 20;

/// Builds a sorted, de-duplicated index from lines in any order, in bounded memory: lines are
/// sorted in runs of up to [`RUN_BYTES`], spilled to temporary files, and merged at the end.
pub struct IndexBuilder {
    tmp_dir: std::path::PathBuf,
    lines: Vec<String>,
    bytes: usize,
    runs: Vec<tempfile::NamedTempFile>,
}

impl IndexBuilder {
    /// A builder whose run files go to `tmp_dir`.
    pub fn new(tmp_dir: &Path) -> IndexBuilder {
        IndexBuilder {
            tmp_dir: tmp_dir.to_path_buf(),
            lines: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
        }
    }

    fn io_err(&self, source: std::io::Error) -> CdxjError {
        CdxjError::Io {
            path: self.tmp_dir.display().to_string(),
            source,
        }
    }

    /// Adds one line (without its newline).
    pub fn add(&mut self, line: String) -> Result<(), CdxjError> {
        self.bytes += line.len() + 1;
        self.lines.push(line);
        if self.bytes >= RUN_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    /// Adds every line of a file of index lines (such as the WARC writer's, unsorted).
    pub fn add_file(&mut self, path: &Path) -> Result<(), CdxjError> {
        let io_err = |source| CdxjError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = fs_err::File::open(path).map_err(io_err)?;
        for line in std::io::BufReader::new(file).lines() {
            let line = line.map_err(io_err)?;
            if !line.trim().is_empty() {
                self.add(line)?;
            }
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), CdxjError> {
        if self.lines.is_empty() {
            return Ok(());
        }
        self.lines.sort_unstable();
        self.lines.dedup();
        let mut run = tempfile::NamedTempFile::new_in(&self.tmp_dir).map_err(|e| self.io_err(e))?;
        {
            let mut out = std::io::BufWriter::new(run.as_file_mut());
            for line in &self.lines {
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| CdxjError::Io {
                        path: self.tmp_dir.display().to_string(),
                        source: e,
                    })?;
            }
            out.flush().map_err(|e| self.io_err(e))?;
        }
        self.runs.push(run);
        self.lines.clear();
        self.bytes = 0;
        Ok(())
    }

    /// Writes the index to `path` (through a temp file renamed into place); returns its lines.
    pub fn finish(mut self, path: &Path) -> Result<u64, CdxjError> {
        let io_err = |source| CdxjError::Io {
            path: path.display().to_string(),
            source,
        };
        self.lines.sort_unstable();
        self.lines.dedup();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
        let mut written = 0;
        {
            let mut out = std::io::BufWriter::new(tmp.as_file_mut());
            // A k-way merge of the spilled runs and the lines still in memory.
            let mut sources: Vec<Box<dyn Iterator<Item = std::io::Result<String>>>> = Vec::new();
            for run in &self.runs {
                let file = run.reopen().map_err(io_err)?;
                sources.push(Box::new(std::io::BufReader::new(file).lines()));
            }
            sources.push(Box::new(
                std::mem::take(&mut self.lines).into_iter().map(Ok),
            ));
            let mut heap = std::collections::BinaryHeap::new();
            for (i, source) in sources.iter_mut().enumerate() {
                if let Some(line) = source.next() {
                    heap.push(std::cmp::Reverse((line.map_err(io_err)?, i)));
                }
            }
            let mut last: Option<String> = None;
            while let Some(std::cmp::Reverse((line, i))) = heap.pop() {
                if let Some(next) = sources[i].next() {
                    heap.push(std::cmp::Reverse((next.map_err(io_err)?, i)));
                }
                if last.as_deref() == Some(line.as_str()) {
                    continue;
                }
                out.write_all(line.as_bytes()).map_err(io_err)?;
                out.write_all(b"\n").map_err(io_err)?;
                written += 1;
                last = Some(line);
            }
            out.flush().map_err(io_err)?;
        }
        tmp.as_file().sync_all().map_err(io_err)?;
        tmp.persist(path).map_err(|e| io_err(e.error))?;
        Ok(written)
    }
}

/// Reads an index file; blank lines and pywb's `!meta` lines are skipped.
pub fn read_index(path: &Path) -> Result<Vec<CdxjEntry>, CdxjError> {
    let io_err = |source| CdxjError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = fs_err::File::open(path).map_err(io_err)?;
    let mut entries = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_err)?;
        if line.trim().is_empty() || line.starts_with('!') {
            continue;
        }
        entries.push(CdxjEntry::parse(&line, i + 1)?);
    }
    Ok(entries)
}

/// Index lines for every indexable record of one WARC file, in file order.
pub fn index_warc(path: &Path) -> Result<Vec<CdxjEntry>, CdxjError> {
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut entries = Vec::new();
    let mut reader = match WarcReader::open(path) {
        Ok(r) => r.with_block_digests(),
        Err(source) => return Err(CdxjError::Warc { entries, source }),
    };
    loop {
        match index_next(&mut reader, &filename) {
            Ok(Some(Some(entry))) => entries.push(entry),
            Ok(Some(None)) => {}
            Ok(None) => return Ok(entries),
            Err(source) => return Err(CdxjError::Warc { entries, source }),
        }
    }
}

/// `Some(Some(entry))` for an indexed record, `Some(None)` for a skipped one, `None` at the end.
fn index_next(
    reader: &mut WarcReader<std::fs::File>,
    filename: &str,
) -> Result<Option<Option<CdxjEntry>>, ReadError> {
    let Some(head) = reader.next_record()? else {
        return Ok(None);
    };
    if !is_indexed(&head.headers) {
        reader.finish_record()?;
        return Ok(Some(None));
    }
    let mut prefix = Vec::new();
    if needs_http_head(&head.headers) {
        let mut buf = vec![0u8; 16 * 1024];
        while prefix.len() < HEAD_PREFIX {
            let n = reader.read_block(&mut buf)?;
            if n == 0 {
                break;
            }
            prefix.extend_from_slice(&buf[..n]);
        }
    }
    let summary = reader.finish_record()?;
    let place = Place {
        filename,
        offset: summary.offset,
        length: summary.length,
    };
    Ok(Some(entry_for(
        &head.headers,
        &prefix,
        summary.block_digest.as_deref().unwrap_or_default(),
        &place,
    )))
}

/// Where a record sits: its file's name, and its gzip member's offset and length.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub filename: &'a str,
    pub offset: u64,
    pub length: u64,
}

/// Whether the index has a line for a record with these headers (see the module documentation).
pub fn is_indexed(headers: &WarcHeaders) -> bool {
    let indexed_type = match headers.record_type() {
        Some(RecordType::Response | RecordType::Revisit) => true,
        Some(RecordType::Resource | RecordType::Metadata) => {
            headers.get("Content-Type") != Some("application/warc-fields")
        }
        _ => false,
    };
    indexed_type && headers.get("WARC-Target-URI").is_some() && headers.get("WARC-Date").is_some()
}

/// Whether a record's line needs the HTTP head at the start of its block (status, mime).
pub fn needs_http_head(headers: &WarcHeaders) -> bool {
    matches!(
        headers.record_type(),
        Some(RecordType::Response | RecordType::Revisit)
    )
}

/// The index line of a record, from its headers, the start of its block (the HTTP head of a
/// response or revisit; up to [`HEAD_PREFIX`] bytes), its block digest and where it was written;
/// `None` for a record the index leaves out. The one rule for lines made while a WARC is
/// written and lines made by reading it back.
pub fn entry_for(
    headers: &WarcHeaders,
    block_start: &[u8],
    block_digest: &str,
    place: &Place<'_>,
) -> Option<CdxjEntry> {
    if !is_indexed(headers) {
        return None;
    }
    let kind = headers.record_type();
    let url = headers.get("WARC-Target-URI")?.to_owned();
    let date = headers.get("WARC-Date")?;
    let payload_digest = headers.get("WARC-Payload-Digest").map(str::to_owned);
    let http = match kind {
        Some(RecordType::Response | RecordType::Revisit) => parse_response_head(block_start).ok(),
        _ => None,
    };
    let mime = match kind {
        Some(RecordType::Revisit) => Some("warc/revisit".to_owned()),
        Some(RecordType::Response) => http.as_ref().and_then(|h| h.content_type()),
        _ => headers.get("Content-Type").map(str::to_owned),
    }
    .map(|m| short_mime(&m))
    .filter(|m| !m.is_empty());
    let digest = match kind {
        // For non-HTTP records the payload is the block.
        Some(RecordType::Resource | RecordType::Metadata) => {
            payload_digest.or(Some(block_digest.to_owned()))
        }
        _ => payload_digest,
    };
    let parsed = url::Url::parse(&url).ok();
    Some(CdxjEntry {
        surt: parsed.as_ref().map(surt).unwrap_or_else(|| url.clone()),
        timestamp: warc_date_to_timestamp(date),
        url,
        mime,
        status: http.map(|h| h.status.to_string()),
        digest,
        length: place.length,
        offset: place.offset,
        filename: place.filename.to_owned(),
    })
}

/// The media type without parameters, as cdxj-indexer cuts it (at the first `;` or whitespace).
fn short_mime(value: &str) -> String {
    let value = value.trim();
    value
        .split([';', ' ', '\t'])
        .next()
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// `2026-11-27T03:40:12.123456Z` → `20261127034012`: the first 14 digits, zero-padded like
/// warcio's `iso_date_to_timestamp`.
pub fn warc_date_to_timestamp(date: &str) -> String {
    let mut digits: String = date.chars().filter(char::is_ascii_digit).take(14).collect();
    while digits.len() < 14 {
        digits.push('0');
    }
    digits
}

/// Appends `value` as a JSON string the way Python's `json.dumps` (ensure_ascii) spells it.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> CdxjEntry {
        CdxjEntry {
            surt: "com,example)/".into(),
            timestamp: "20261127034012".into(),
            url: "http://example.com/".into(),
            mime: Some("text/html".into()),
            status: Some("200".into()),
            digest: Some("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ".into()),
            length: 1043,
            offset: 333,
            filename: "arkiv-20261127034012-00000.warc.gz".into(),
        }
    }

    #[test]
    fn line_matches_cdxj_indexer_spelling() {
        assert_eq!(
            entry().to_line(),
            "com,example)/ 20261127034012 {\"url\": \"http://example.com/\", \"mime\": \"text/html\", \
             \"status\": \"200\", \"digest\": \"sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\", \
             \"length\": \"1043\", \"offset\": \"333\", \"filename\": \"arkiv-20261127034012-00000.warc.gz\"}"
        );
    }

    #[test]
    fn lines_round_trip_and_accept_numbers() {
        let e = entry();
        assert_eq!(CdxjEntry::parse(&e.to_line(), 1).ok(), Some(e.clone()));
        let numeric = "com,example)/ 20261127034012 {\"url\":\"http://example.com/\",\"length\":1043,\"offset\":333,\"filename\":\"f\"}";
        let parsed = CdxjEntry::parse(numeric, 1).ok();
        assert_eq!(
            parsed.map(|p| (p.length, p.offset, p.mime)),
            Some((1043, 333, None))
        );
        assert!(CdxjEntry::parse("com,example)/ 2026x {}", 3).is_err());
    }

    #[test]
    fn json_escapes_like_python() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c/é😀\u{1}");
        assert_eq!(out, "\"a\\\"b\\\\c/\\u00e9\\ud83d\\ude00\\u0001\"");
    }

    #[test]
    fn timestamps_and_mimes() {
        assert_eq!(
            warc_date_to_timestamp("2026-11-27T03:40:12.123456Z"),
            "20261127034012"
        );
        assert_eq!(warc_date_to_timestamp("2026-11-27"), "20261127000000");
        assert_eq!(short_mime("text/html; charset=utf-8"), "text/html");
    }

    #[test]
    fn the_builder_sorts_and_dedups_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::new(dir.path());
        let mut want = Vec::new();
        for n in (0..2000).rev() {
            let line = format!("com,example)/p{n:05} 2026 {{}}");
            builder.add(line.clone()).unwrap();
            builder.add(line.clone()).unwrap();
            want.push(line);
            if n % 500 == 0 {
                builder.spill().unwrap();
            }
        }
        want.sort();
        let path = dir.path().join("index.cdxj");
        assert_eq!(builder.finish(&path).unwrap(), 2000);
        let text = fs_err::read_to_string(&path).unwrap();
        assert_eq!(text.lines().collect::<Vec<_>>(), want);
    }
}
