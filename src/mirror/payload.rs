//! Streams a capture's body out of its WARC record: HTTP head skipped, chunked transfer coding
//! removed, content encoding (gzip, deflate, br) undone, since a browser reading files from disk
//! can undo neither.

use std::io::{self, BufReader, Read};
use std::path::Path;

use super::catalog::Capture;
pub use crate::warc::dechunk::Dechunk;
use crate::warc::reader::WarcReader;

/// Decoded bodies larger than this are refused (a gzip bomb must not fill the disk).
pub const MAX_DECODED: u64 = 4 << 30;

/// Opens the decoded body of `capture` (whose payload lies in `warc_dir`, or in the earlier
/// crawl's folder its record names). A page rendered in the browser (`crawl --browser`) opens
/// as its `conversion` record's block.
pub fn open_body(warc_dir: &Path, capture: &Capture) -> io::Result<Box<dyn Read + Send>> {
    if let Some(rendered) = &capture.rendered {
        let path = rendered.path(warc_dir);
        let mut reader = WarcReader::open_at(&path, rendered.offset).map_err(io::Error::other)?;
        if reader.next_record().map_err(io::Error::other)?.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("no record at {}:{}", path.display(), rendered.offset),
            ));
        }
        return Ok(Box::new(BlockOwner { reader }.take(MAX_DECODED)));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_head_skips_interim_responses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        let mut r = &raw[..];
        assert_eq!(read_head(&mut r).unwrap().status, 200);
        assert_eq!(r, b"body");
    }
}
