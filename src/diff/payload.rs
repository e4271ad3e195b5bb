//! Reads one WARC record through the project's reader: its WARC header and HTTP response head,
//! and, when a comparison needs it, its entity body with chunked framing and content coding undone.

use std::io::Read;
use std::path::Path;

use crate::warc::http_head::{HeadError, ResponseHead, parse_response_head};
use crate::warc::reader::{ReadError, WarcReader};
use crate::warc::record::{RecordType, WarcHeaders};

/// How much of a block is read to find its HTTP head.
const MAX_HEAD: usize = 256 * 1024;

/// A record's headers: WARC, and HTTP for a response or revisit whose block holds a response head.
#[derive(Debug, Clone)]
pub struct Heads {
    pub warc: WarcHeaders,
    pub http: Option<ResponseHead>,
    /// The block's length (`Content-Length` of the record).
    pub block_len: u64,
}

impl Heads {
    /// The last value of an HTTP header (the one a browser acts on when a server repeats it).
    pub fn http_header(&self, name: &str) -> Option<String> {
        self.http.as_ref().and_then(|http| last_header(http, name))
    }

    fn chunked(&self) -> bool {
        self.http_header("Transfer-Encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    }

    /// Length of the entity body as archived (what `WARC-Payload-Digest` covers) when the heads
    /// alone tell it: a response without chunked framing.
    pub fn entity_len(&self) -> Option<u64> {
        let http = self.http.as_ref()?;
        if self.chunked() || self.warc.record_type() != Some(RecordType::Response) {
            return None;
        }
        self.block_len.checked_sub(http.len as u64)
    }
}

fn last_header(http: &ResponseHead, name: &str) -> Option<String> {
    http.headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
}

/// Reads the record at `offset` of `path` as far as its heads.
pub fn read_heads(path: &Path, offset: u64) -> Result<Heads, ReadError> {
    let mut reader = WarcReader::open_at(path, offset)?;
    let Some(head) = reader.next_record()? else {
        return Err(no_record(path, offset));
    };
    let block_len = head.headers.content_length().unwrap_or(0);
    let http = match head.headers.record_type() {
        Some(RecordType::Response | RecordType::Revisit) => {
            let mut prefix = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match parse_response_head(&prefix) {
                    Ok(http) => break Some(http),
                    Err(HeadError::Malformed(_)) => break None,
                    Err(HeadError::Incomplete) if prefix.len() >= MAX_HEAD => break None,
                    Err(HeadError::Incomplete) => {}
                }
                let n = reader.read_block(&mut buf)?;
                if n == 0 {
                    break None;
                }
                prefix.extend_from_slice(&buf[..n]);
            }
        }
        _ => None,
    };
    Ok(Heads {
        warc: head.headers,
        http,
        block_len,
    })
}

/// A record's entity body.
#[derive(Debug, Clone)]
pub struct Payload {
    /// The HTTP head of the record that holds the bytes.
    pub heads: Heads,
    /// Entity body as archived: chunked framing removed, content coding kept.
    pub entity_len: u64,
    /// The body with its `Content-Encoding` undone (as a browser reads it).
    pub body: Vec<u8>,
}

impl Payload {
    pub fn content_type(&self) -> Option<String> {
        self.heads.http_header("Content-Type")
    }
}

/// Why a payload could not be read for a closer comparison (not fatal: the digests still tell
/// the URL changed).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("the record's block holds no HTTP response")]
    NotHttp,
    #[error("the payload is larger than {cap} bytes")]
    TooLarge { cap: u64 },
    #[error("{0}")]
    Decode(#[from] crate::content::coding::DecodeError),
}

/// Reads the entity body of the response record at `offset` of `path`, refusing blocks and
/// decoded bodies over `cap` bytes.
pub fn read_payload(path: &Path, offset: u64, cap: u64) -> Result<Payload, PayloadError> {
    let mut reader = WarcReader::open_at(path, offset)?;
    let Some(head) = reader.next_record()? else {
        return Err(no_record(path, offset).into());
    };
    let block_len = head.headers.content_length().unwrap_or(0);
    if block_len > cap.saturating_add(MAX_HEAD as u64) {
        return Err(PayloadError::TooLarge { cap });
    }
    let mut block = Vec::new();
    reader
        .block()
        .read_to_end(&mut block)
        .map_err(|e| match e.downcast::<ReadError>() {
            Ok(read) => PayloadError::Read(read),
            Err(other) => PayloadError::Read(ReadError::Io {
                file: path.display().to_string(),
                offset,
                source: other,
            }),
        })?;
    let http = parse_response_head(&block).map_err(|_| PayloadError::NotHttp)?;
    let heads = Heads {
        warc: head.headers,
        http: Some(http.clone()),
        block_len,
    };
    let entity = &block[http.len.min(block.len())..];
    let entity = if heads.chunked() {
        dechunk(entity)
    } else {
        entity.to_vec()
    };
    let coding = heads.http_header("Content-Encoding");
    let body = if crate::content::coding::codings(coding.as_deref()).is_empty() {
        entity.clone()
    } else {
        crate::content::coding::decode(coding.as_deref(), &entity, cap)?
    };
    Ok(Payload {
        heads,
        entity_len: entity.len() as u64,
        body,
    })
}

fn no_record(path: &Path, offset: u64) -> ReadError {
    ReadError::Truncated {
        file: path.display().to_string(),
        offset,
        detail: "no record at this offset".into(),
    }
}

/// Removes chunked transfer coding from a whole body, tolerating what servers send (upper-case
/// hex, chunk extensions, a missing last chunk); a body cut mid-chunk ends there.
fn dechunk(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    while let Some(lf) = data[at..].iter().position(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(&data[at..at + lf]);
        at += lf + 1;
        let size = line.split(';').next().unwrap_or("").trim();
        if size.is_empty() {
            continue; // the CRLF after a chunk's data
        }
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let end = at.saturating_add(size).min(data.len());
        out.extend_from_slice(&data[at..end]);
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_what_servers_send() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
        assert_eq!(dechunk(b"A\r\n0123456789\r\n0\r\n"), b"0123456789");
        assert_eq!(dechunk(b"5\r\nhel"), b"hel");
        assert_eq!(dechunk(b"zz\r\nabc"), b"");
    }
}
