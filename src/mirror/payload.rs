//! Streams a capture's body out of its WARC record: HTTP head skipped, chunked transfer coding
//! removed, content encoding (gzip, deflate, br) undone, since a browser reading files from disk
//! can undo neither.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::catalog::Capture;
use crate::warc::reader::WarcReader;

/// Decoded bodies larger than this are refused (a gzip bomb must not fill the disk).
pub const MAX_DECODED: u64 = 4 << 30;

/// Opens the decoded body of `capture` (whose payload lies in `warc_dir`).
pub fn open_body(warc_dir: &Path, capture: &Capture) -> io::Result<Box<dyn Read + Send>> {
    let path = warc_dir.join(&capture.payload_at.file);
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
    // The head length comes from the payload's own record (a revisit's head may differ in size).
    let head_len = skip_head(&mut block)?;
    let _ = head_len;
    let mut body: Box<dyn Read + Send> = Box::new(block);
    if capture.chunked {
        body = Box::new(Dechunk::new(BufReader::new(body)));
    }
    for coding in crate::content_coding::codings(capture.content_encoding.as_deref())
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
    reader: WarcReader<fs_err::File>,
}

impl Read for BlockOwner {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read_block(buf).map_err(io::Error::other)
    }
}

/// Consumes the HTTP response head (through the blank line, 1xx heads included).
fn skip_head(block: &mut impl Read) -> io::Result<usize> {
    let mut consumed = 0;
    let mut line = Vec::new();
    let mut in_head = true;
    let mut status_seen = false;
    let mut interim = false;
    while in_head {
        line.clear();
        let mut byte = [0u8; 1];
        loop {
            if block.read(&mut byte)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "HTTP head without its end",
                ));
            }
            consumed += 1;
            line.push(byte[0]);
            if byte[0] == b'\n' || line.len() > 64 * 1024 {
                break;
            }
        }
        let text = String::from_utf8_lossy(&line);
        let trimmed = text.trim_end_matches(['\r', '\n']);
        if !status_seen {
            status_seen = true;
            let code = trimmed
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(200);
            interim = (100..200).contains(&code) && code != 101;
        } else if trimmed.is_empty() {
            if interim {
                status_seen = false;
            } else {
                in_head = false;
            }
        }
    }
    Ok(consumed)
}

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
    fn skip_head_skips_interim_responses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        let mut r = &raw[..];
        skip_head(&mut r).unwrap();
        assert_eq!(r, b"body");
    }
}
