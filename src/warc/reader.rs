//! A streaming WARC reader for `.warc.gz` (one or more records per gzip member) and plain `.warc`.
//!
//! Gzip members are decoded one at a time (`flate2::bufread::GzDecoder` stops at a member's end)
//! over a reader that counts the compressed bytes consumed, which gives each record's member offset
//! and length as CDXJ needs them. Blocks are streamed; nothing holds more than a buffer of one.
//! The buffer of decoded bytes is made (and zeroed) once per reader and passed from member to
//! member, and a block's unread rest is skipped in place: a WARC of small records costs no fresh
//! buffer per record. The block digest is only computed when asked for
//! ([`WarcReader::with_block_digests`]): most readers want the bytes, not a check of them.
//! A file that ends inside a member or a block is reported as [`ReadError::Truncated`] with the
//! offset of the broken member, after every whole record before it was yielded.

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::bufread::GzDecoder;

use super::digest::BlockDigester;
use super::record::WarcHeaders;

/// The largest header block accepted (a hostile file must not make us buffer without bound).
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;
const BUFFER: usize = 64 * 1024;
/// Decoded bytes buffered per gzip member (reads of a block into a larger buffer bypass it).
const GZIP_BUFFER: usize = 16 * 1024;

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file ends inside a gzip member or before a block's `Content-Length` bytes arrived.
    #[error("{file}: truncated record at offset {offset}: {detail}")]
    Truncated {
        file: String,
        offset: u64,
        detail: String,
    },
    /// Bytes that are not a WARC record where one should start.
    #[error("{file}: malformed record at offset {offset}: {detail}")]
    Malformed {
        file: String,
        offset: u64,
        detail: String,
    },
    /// The operating system failed a read.
    #[error("{file}: read error at offset {offset}: {source}")]
    Io {
        file: String,
        offset: u64,
        source: io::Error,
    },
}

impl ReadError {
    /// The offset of the record (gzip member) the error concerns.
    pub fn offset(&self) -> u64 {
        match self {
            ReadError::Truncated { offset, .. }
            | ReadError::Malformed { offset, .. }
            | ReadError::Io { offset, .. } => *offset,
        }
    }
}

/// A record's header as read, with where its member starts.
#[derive(Debug, Clone)]
pub struct RecordHead {
    pub headers: WarcHeaders,
    /// Offset of the record's gzip member (or of the record itself in a plain `.warc`).
    pub offset: u64,
}

/// What is known once a record has been read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub offset: u64,
    /// Compressed length of the member (or the record's length in a plain `.warc`).
    pub length: u64,
    /// `sha1:…` recomputed over the block bytes actually read, when the reader was asked to
    /// ([`WarcReader::with_block_digests`]).
    pub block_digest: Option<String>,
    pub block_len: u64,
}

/// Counts the bytes consumed from the underlying reader, to place members exactly.
struct Counting<R> {
    inner: BufReader<R>,
    pos: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

/// A gzip member's decoded bytes, buffered in a buffer that outlives the member. The first fill
/// of a member decodes only [`FIRST_FILL`] bytes and each later one twice as many, up to the
/// buffer: a reader that wants only a record's header (and jumps past the rest with an index)
/// does not pay for inflating a whole buffer of its block.
struct Inflated<R: Read> {
    inner: GzDecoder<Counting<R>>,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    fill: usize,
}

/// Decoded bytes asked for by a member's first fill: a WARC header and an HTTP head, mostly.
const FIRST_FILL: usize = 2048;

impl<R: Read> Inflated<R> {
    fn new(counting: Counting<R>, buf: Vec<u8>) -> Self {
        Inflated {
            inner: GzDecoder::new(counting),
            buf,
            pos: 0,
            filled: 0,
            fill: FIRST_FILL,
        }
    }

    /// The compressed stream after the member, and the buffer for the next one.
    fn into_parts(self) -> (Counting<R>, Vec<u8>) {
        (self.inner.into_inner(), self.buf)
    }

    fn counting(&mut self) -> &mut Counting<R> {
        self.inner.get_mut()
    }
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled && out.len() >= self.buf.len() {
            return self.inner.read(out);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Inflated<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            let fill = self.fill.min(self.buf.len());
            self.filled = self.inner.read(&mut self.buf[..fill])?;
            self.pos = 0;
            self.fill = fill.saturating_mul(2);
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

enum Stage<R: Read> {
    Idle(Counting<R>),
    Gzip(Box<Inflated<R>>),
    Plain(Counting<R>),
    Done,
}

struct Current {
    offset: u64,
    /// Decoded bytes of the header block (blank lines before it included).
    header_len: u64,
    remaining: u64,
    block_len: u64,
    digester: Option<BlockDigester>,
}

/// Reads records one after another; see the module comment.
pub struct WarcReader<R: Read> {
    file: String,
    base: u64,
    stage: Stage<R>,
    gzip: Option<bool>,
    current: Option<Current>,
    /// The decoded-bytes buffer between gzip members.
    spare: Option<Vec<u8>>,
    block_digests: bool,
    /// Bytes of the header block [`Self::read_headers`] read last.
    header_len: u64,
}

/// Files are read as `std::fs::File`, whose reads fill a buffer without zeroing it first (errors
/// name the file all the same: every one carries `file`).
impl WarcReader<std::fs::File> {
    /// Opens a `.warc.gz` or `.warc` file (the format is told by its first byte).
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        Self::open_at(path, 0)
    }

    /// Opens a file positioned at `offset`, e.g. a CDXJ line's, for random access.
    pub fn open_at(path: &Path, offset: u64) -> Result<Self, ReadError> {
        let file_name = path.display().to_string();
        let io_err = |source| ReadError::Io {
            file: file_name.clone(),
            offset,
            source,
        };
        let mut file = fs_err::File::open(path).map_err(io_err)?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
        }
        Ok(Self::with_name(file.into_parts().0, &file_name, offset))
    }
}

impl<R: Read + Seek> WarcReader<R> {
    /// Leaves the current record by moving straight to `end`, where an index (CDXJ's `offset`
    /// plus `length`) says its gzip member ends, instead of inflating the rest of the member.
    /// The jump is taken only when the member's gzip trailer, read at `end`, gives the size the
    /// record must have when it is alone in its member (header, block, CRLF CRLF): a stale or
    /// wrong index fails that check and the reader simply goes on inflating. Returns whether it
    /// jumped; `false` also for a plain `.warc`, no record being read, or `end` before the bytes
    /// already consumed or past `file_len`.
    pub fn skip_member_to(&mut self, end: u64, file_len: u64) -> Result<bool, ReadError> {
        let Some((offset, size)) = self
            .current
            .as_ref()
            .map(|cur| (cur.offset, cur.header_len + cur.block_len + 4))
        else {
            return Ok(false);
        };
        let Stage::Gzip(src) = &mut self.stage else {
            return Ok(false);
        };
        let consumed = self.base + src.counting().pos;
        if end < consumed.saturating_add(TRAILER_LEN) || end > file_len || end <= offset {
            return Ok(false);
        }
        let io_err = |source| ReadError::Io {
            file: self.file.clone(),
            offset,
            source,
        };
        // The trailer's last four bytes are the decoded size modulo 2^32 (RFC 1952, ISIZE).
        let inner = &mut src.counting().inner;
        let ahead = i64::try_from(end - TRAILER_LEN - consumed).map_err(io::Error::other);
        let mut trailer = [0u8; TRAILER_LEN as usize];
        ahead
            .and_then(|ahead| inner.seek_relative(ahead))
            .and_then(|()| inner.read_exact(&mut trailer))
            .map_err(io_err)?;
        let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if u64::from(isize) != size & u64::from(u32::MAX) {
            // Not this member's end: back to where the decoder left its input.
            let back = -i64::try_from(end - consumed)
                .map_err(io::Error::other)
                .map_err(io_err)?;
            inner.seek_relative(back).map_err(io_err)?;
            return Ok(false);
        }
        let Stage::Gzip(src) = std::mem::replace(&mut self.stage, Stage::Done) else {
            unreachable!("matched above");
        };
        let (mut counting, buf) = src.into_parts();
        self.spare = Some(buf);
        self.current = None;
        counting.pos = end - self.base;
        self.stage = Stage::Idle(counting);
        Ok(true)
    }
}

/// A gzip member's trailer: CRC-32 and ISIZE.
const TRAILER_LEN: u64 = 8;

impl<R: Read> WarcReader<R> {
    /// Reads from any byte stream; `file` names it in errors and `base` is its first byte's offset.
    pub fn with_name(reader: R, file: &str, base: u64) -> Self {
        let counting = Counting {
            inner: BufReader::with_capacity(BUFFER, reader),
            pos: 0,
        };
        Self {
            file: file.to_owned(),
            base,
            stage: Stage::Idle(counting),
            gzip: None,
            current: None,
            spare: None,
            block_digests: false,
            header_len: 0,
        }
    }

    /// Also computes each block's digest ([`RecordSummary::block_digest`]).
    pub fn with_block_digests(mut self) -> Self {
        self.block_digests = true;
        self
    }

    /// The next record's header, or `None` at a clean end of file. An unread rest of the previous
    /// record's block is skipped first.
    pub fn next_record(&mut self) -> Result<Option<RecordHead>, ReadError> {
        if self.current.is_some() {
            self.finish_record()?;
        }
        // Loops only past empty gzip members, which some tools write and which hold no record.
        let (headers, offset) = loop {
            let mut counting = match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Idle(c) => c,
                _ => return Ok(None),
            };
            let offset = self.base + counting.pos;
            let first = match counting.fill_buf() {
                Ok(buf) => buf.first().copied(),
                Err(source) => {
                    return Err(ReadError::Io {
                        file: self.file.clone(),
                        offset,
                        source,
                    });
                }
            };
            let Some(first) = first else {
                return Ok(None);
            };
            let gzip = *self.gzip.get_or_insert(first == 0x1f);
            self.stage = if gzip {
                let buf = self.spare.take().unwrap_or_else(|| vec![0; GZIP_BUFFER]);
                Stage::Gzip(Box::new(Inflated::new(counting, buf)))
            } else {
                Stage::Plain(counting)
            };
            match self.read_headers(offset) {
                Ok(Some(headers)) => break (headers, offset),
                Ok(None) => {
                    self.stage = match std::mem::replace(&mut self.stage, Stage::Done) {
                        Stage::Gzip(src) => {
                            let (counting, buf) = src.into_parts();
                            self.spare = Some(buf);
                            Stage::Idle(counting)
                        }
                        Stage::Plain(src) => Stage::Idle(src),
                        other => other,
                    };
                }
                Err(e) => {
                    self.stage = Stage::Done;
                    return Err(e);
                }
            }
        };
        let Some(block_len) = headers.content_length() else {
            self.stage = Stage::Done;
            return Err(self.malformed(offset, "no valid Content-Length"));
        };
        self.current = Some(Current {
            offset,
            header_len: self.header_len,
            remaining: block_len,
            block_len,
            digester: self.block_digests.then(BlockDigester::new),
        });
        Ok(Some(RecordHead { headers, offset }))
    }

    /// Reads the next bytes of the current record's block; 0 at its end.
    pub fn read_block(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(0);
        };
        if cur.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(cur.remaining).unwrap_or(usize::MAX));
        let offset = cur.offset;
        let result = match &mut self.stage {
            Stage::Gzip(src) => src.read(&mut buf[..want]),
            Stage::Plain(src) => src.read(&mut buf[..want]),
            _ => Ok(0),
        };
        let n = match result {
            Ok(0) => {
                let err = self.classify_eof(offset, "block shorter than Content-Length");
                return Err(self.fail(err));
            }
            Ok(n) => n,
            Err(e) => {
                let err = self.classify(offset, e);
                return Err(self.fail(err));
            }
        };
        if let Some(cur) = self.current.as_mut() {
            if let Some(digester) = cur.digester.as_mut() {
                digester.update(&buf[..n]);
            }
            cur.remaining -= n as u64;
        }
        Ok(n)
    }

    /// Skips the unread rest of the current block where it lies in the buffer, without copying.
    fn skip_block(&mut self) -> Result<(), ReadError> {
        loop {
            let Some(cur) = self.current.as_mut() else {
                return Ok(());
            };
            if cur.remaining == 0 {
                return Ok(());
            }
            let offset = cur.offset;
            let src: &mut dyn BufRead = match &mut self.stage {
                Stage::Gzip(src) => src,
                Stage::Plain(src) => src,
                _ => return Ok(()),
            };
            let chunk = match src.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) => {
                    let err = self.classify(offset, e);
                    return Err(self.fail(err));
                }
            };
            if chunk.is_empty() {
                let err = self.classify_eof(offset, "block shorter than Content-Length");
                return Err(self.fail(err));
            }
            let n = chunk
                .len()
                .min(usize::try_from(cur.remaining).unwrap_or(usize::MAX));
            if let Some(digester) = cur.digester.as_mut() {
                digester.update(&chunk[..n]);
            }
            cur.remaining -= n as u64;
            src.consume(n);
        }
    }

    /// The current record's block as an `io::Read` (errors become `io::Error`s wrapping [`ReadError`]).
    pub fn block(&mut self) -> BlockReader<'_, R> {
        BlockReader { reader: self }
    }

    /// Skips what is left of the block, checks the record's end and reports its place and digest.
    pub fn finish_record(&mut self) -> Result<RecordSummary, ReadError> {
        self.skip_block()?;
        let Some(cur) = self.current.take() else {
            return Err(self.malformed(self.base, "no record is being read"));
        };
        let offset = cur.offset;
        let end = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Gzip(mut src) => {
                let trailer = read_trailer(&mut src);
                let drained = trailer.and_then(|()| drain(&mut src));
                match drained {
                    Ok(0) => {}
                    Ok(_) => {
                        return Err(
                            self.malformed(offset, "data after the record in its gzip member")
                        );
                    }
                    Err(e) => {
                        self.stage = Stage::Gzip(src);
                        let err = self.classify(offset, e);
                        return Err(self.fail(err));
                    }
                }
                let (counting, buf) = src.into_parts();
                self.spare = Some(buf);
                counting
            }
            Stage::Plain(mut src) => {
                if let Err(e) = read_trailer(&mut src) {
                    self.stage = Stage::Plain(src);
                    let err = self.classify(offset, e);
                    return Err(self.fail(err));
                }
                src
            }
            _ => return Err(self.malformed(offset, "reader is not inside a record")),
        };
        let length = self.base + end.pos - offset;
        self.stage = Stage::Idle(end);
        Ok(RecordSummary {
            offset,
            length,
            block_digest: cur.digester.map(BlockDigester::finish),
            block_len: cur.block_len,
        })
    }

    /// The header block, or `None` when the member (or plain file) ends before any record starts.
    fn read_headers(&mut self, offset: u64) -> Result<Option<WarcHeaders>, ReadError> {
        let mut headers: Option<WarcHeaders> = None;
        let mut total = 0usize;
        self.header_len = 0;
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = match &mut self.stage {
                Stage::Gzip(src) => read_line(src, &mut line),
                Stage::Plain(src) => read_line(src, &mut line),
                _ => Ok(0),
            };
            let n = read.map_err(|e| self.classify(offset, e))?;
            if n == 0 && headers.is_none() {
                return Ok(None);
            }
            if n == 0 || line.last() != Some(&b'\n') {
                return Err(self.classify_eof(offset, "file ends inside a record header"));
            }
            total += n;
            if total > MAX_HEADER_BYTES {
                return Err(self.malformed(offset, "record header larger than 1 MiB"));
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            match headers.as_mut() {
                // Blank lines between records are tolerated, as warcio does.
                None if text.is_empty() => continue,
                None if text.starts_with("WARC/") => headers = Some(WarcHeaders::new(text)),
                None => {
                    return Err(self.malformed(offset, "does not start with a WARC/ version line"));
                }
                Some(_) if text.is_empty() => {
                    self.header_len = total as u64;
                    break;
                }
                Some(h) if text.starts_with([' ', '\t']) => {
                    if !h.continue_last(text) {
                        return Err(self.malformed(offset, "continuation line without a field"));
                    }
                }
                Some(h) => match text.split_once(':') {
                    Some((name, value)) => {
                        h.push_unchecked(name.trim().to_owned(), value.trim().to_owned())
                    }
                    None => return Err(self.malformed(offset, "header line without a colon")),
                },
            }
        }
        Ok(headers)
    }

    /// An I/O error inside a record: truncation when the file has nothing more to give.
    /// A checksum or deflate error is corruption even in the last member: sealing must not trim a
    /// whole-but-damaged record as if it were a crash's partial tail.
    fn classify(&mut self, offset: u64, e: io::Error) -> ReadError {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return ReadError::Truncated {
                file: self.file.clone(),
                offset,
                detail: e.to_string(),
            };
        }
        match e.kind() {
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
                self.malformed(offset, &format!("corrupt gzip member: {e}"))
            }
            _ => ReadError::Io {
                file: self.file.clone(),
                offset,
                source: e,
            },
        }
    }

    fn classify_eof(&mut self, offset: u64, what: &str) -> ReadError {
        if self.underlying_at_eof() {
            ReadError::Truncated {
                file: self.file.clone(),
                offset,
                detail: what.to_owned(),
            }
        } else {
            self.malformed(offset, what)
        }
    }

    fn underlying_at_eof(&mut self) -> bool {
        let counting = match &mut self.stage {
            Stage::Gzip(src) => src.counting(),
            Stage::Plain(src) | Stage::Idle(src) => src,
            Stage::Done => return true,
        };
        counting.fill_buf().map(|b| b.is_empty()).unwrap_or(false)
    }

    fn malformed(&self, offset: u64, detail: &str) -> ReadError {
        ReadError::Malformed {
            file: self.file.clone(),
            offset,
            detail: detail.to_owned(),
        }
    }

    /// After an error the stream position is unknown: stop for good.
    fn fail(&mut self, err: ReadError) -> ReadError {
        self.stage = Stage::Done;
        self.current = None;
        err
    }
}

/// `io::Read` over the current block; see [`WarcReader::block`].
pub struct BlockReader<'a, R: Read> {
    reader: &'a mut WarcReader<R>,
}

impl<R: Read> Read for BlockReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read_block(buf).map_err(io::Error::other)
    }
}

/// Reads one whole record at `offset` into memory: its header and block. For bodies that may be
/// large, use [`WarcReader::open_at`] and stream the block instead.
pub fn read_record_at(path: &Path, offset: u64) -> Result<(WarcHeaders, Vec<u8>), ReadError> {
    let mut reader = WarcReader::open_at(path, offset)?;
    let Some(head) = reader.next_record()? else {
        return Err(ReadError::Truncated {
            file: path.display().to_string(),
            offset,
            detail: "no record at this offset".into(),
        });
    };
    let mut block = Vec::new();
    reader
        .block()
        .read_to_end(&mut block)
        .map_err(|e| ReadError::Io {
            file: path.display().to_string(),
            offset,
            source: e,
        })?;
    reader.finish_record()?;
    Ok((head.headers, block))
}

fn read_line(src: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    // Bounded: a "line" longer than the header limit is cut there and rejected by the caller.
    src.take(MAX_HEADER_BYTES as u64 + 1)
        .read_until(b'\n', line)
}

/// Consumes the `\r\n\r\n` after a block; a missing one at the end of a member is tolerated
/// (some writers omit it), a different byte is not.
fn read_trailer(src: &mut impl BufRead) -> io::Result<()> {
    for expected in b"\r\n\r\n" {
        let buf = src.fill_buf()?;
        match buf.first() {
            None => return Ok(()),
            Some(b) if b == expected => src.consume(1),
            Some(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "record does not end in CRLF CRLF",
                ));
            }
        }
    }
    Ok(())
}

/// Reads a member to its end so its gzip trailer (CRC, size) is checked; returns leftover bytes.
fn drain(src: &mut impl BufRead) -> io::Result<usize> {
    let mut extra = 0;
    loop {
        let buf = src.fill_buf()?;
        if buf.is_empty() {
            return Ok(extra);
        }
        extra += buf.iter().filter(|b| !b.is_ascii_whitespace()).count();
        let n = buf.len();
        src.consume(n);
    }
}
