//! Streams a capture's body out of its WARC record: HTTP head skipped, chunked transfer coding
//! removed, content encoding (gzip, deflate, br) undone, since a browser reading files from disk
//! can undo neither.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::catalog::Capture;
use crate::warc::reader::WarcReader;

/// Decoded bodies larger than this are refused (a gzip bomb must not fill the disk).
pub const MAX_DECODED: u64 = 4 << 30;

/// Opens the decoded body of `capture` (whose payload lies in `warc_dir`, or in the earlier
/// crawl's folder its record names).
pub fn open_body(warc_dir: &Path, capture: &Capture) -> io::Result<Box<dyn Read + Send>> {
    let path = capture.payload_at.path(warc_dir);
    let mut reader =
        WarcReader::open_at(&path, capture.payload_at.offset).map_err(io::Error::other)?;
    let head = reader.next_record().map_err(io::Error::other)?;
    if head.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "no record at {}:{}",
                path.display(),
                capture.payload_at.offset
            ),
        ));
    }
    let mut block = BlockOwner { reader };
    // Framing and coding come from the head of the record that holds the bytes: a revisit's own
    // head may say otherwise (the same payload once sent chunked, once not).
    let head = read_head(&mut block)?;
    let header = |name: &str| {
        head.header(name)
            .map(|v| String::from_utf8_lossy(v).to_ascii_lowercase())
    };
    let chunked = header("transfer-encoding").is_some_and(|t| t.contains("chunked"));
    let coding = header("content-encoding");
    let mut body: Box<dyn Read + Send> = Box::new(block);
    if chunked {
        body = Box::new(Dechunk::new(BufReader::new(body)));
    } else if let Some(length) = header("content-length").and_then(|v| v.trim().parse::<u64>().ok())
    {
        body = Box::new(body.take(length));
    }
    for coding in crate::content::coding::codings(coding.as_deref())
        .iter()
        .rev()
    {
        body = match coding.as_str() {
            "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
            "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
            "br" => Box::new(brotli::Decompressor::new(body, 4096)),
            // An encoding nobody can undo: the body is written as archived.
            _ => body,
        };
    }
    Ok(Box::new(body.take(MAX_DECODED)))
}

/// Reads the whole decoded body into memory, refusing more than `cap` bytes.
pub fn read_body(warc_dir: &Path, capture: &Capture, cap: u64) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    open_body(warc_dir, capture)?
        .take(cap + 1)
        .read_to_end(&mut body)?;
    if body.len() as u64 > cap {
        return Err(io::Error::other(format!("body larger than {cap} bytes")));
    }
    Ok(body)
}

/// A WARC reader positioned in a record's block, owned so the stream can be boxed.
struct BlockOwner {
    reader: WarcReader<std::fs::File>,
}

impl Read for BlockOwner {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read_block(buf).map_err(io::Error::other)
    }
}

/// Reads and parses the HTTP response head (through its blank line, 1xx heads included),
/// leaving the reader at the first payload byte.
fn read_head(block: &mut impl Read) -> io::Result<crate::warc::ResponseHead> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if block.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "HTTP head without its end",
            ));
        }
        head.push(byte[0]);
        if head.ends_with(b"\n\r\n") || head.ends_with(b"\n\n") {
            match crate::warc::parse_response_head(&head) {
                Ok(parsed) => return Ok(parsed),
                Err(crate::warc::HeadError::Incomplete) => {} // an interim 1xx head
                Err(err) => return Err(io::Error::other(format!("bad HTTP head: {err:?}"))),
            }
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::other("HTTP head too long"));
        }
    }
}

/// Longest HTTP head accepted.
const MAX_HEAD: usize = 256 * 1024;

/// Removes chunked transfer coding (RFC 9112 §7.1), tolerating what servers send in practice:
/// upper-case hex, chunk extensions, a missing final CRLF. A body cut mid-chunk ends there.
pub struct Dechunk<R: BufRead> {
    inner: R,
    remaining: u64,
    done: bool,
}

impl<R: BufRead> Dechunk<R> {
    pub fn new(inner: R) -> Self {
        Dechunk {
            inner,
            remaining: 0,
            done: false,
        }
    }

    fn next_size(&mut self) -> io::Result<Option<u64>> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.inner.by_ref().take(4096).read_line(&mut line)? == 0 {
                return Ok(None);
            }
            let text = line.trim();
            if text.is_empty() {
                continue; // the CRLF after a chunk's data
            }
            let size = text.split(';').next().unwrap_or("").trim();
            return Ok(u64::from_str_radix(size, 16).ok());
        }
    }
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            match self.next_size()? {
                Some(0) | None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(size) => self.remaining = size,
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.done = true;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunk_handles_extensions_and_upper_case_hex() {
        let raw = b"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
        let mut out = Vec::new();
        Dechunk::new(&raw[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello0123456789");
    }

    #[test]
    fn dechunk_keeps_what_arrived_of_a_cut_body() {
        let raw = b"5\r\nhel";
        let mut out = Vec::new();
        Dechunk::new(&raw[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hel");
    }

    #[test]
    fn read_head_skips_interim_responses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        let mut r = &raw[..];
        assert_eq!(read_head(&mut r).unwrap().status, 200);
        assert_eq!(r, b"body");
    }
}
