//! The verifier's own WARC reader: gzip member by member (its own [`super::gzip_member`] over
//! flate2's inflate), streaming every block through SHA-1 so a big record is never held in
//! memory. Shares nothing with `src/warc/` on purpose.

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use sha1::{Digest, Sha1};

use super::gzip_member::Inflater;

/// Longest header section (WARC or HTTP) we accept; beyond it the record is malformed.
const MAX_HEAD: usize = 1 << 20;

/// `sha1:` + base32, the form WARC digests take.
pub fn sha1_label(hasher: Sha1) -> String {
    format!("sha1:{}", data_encoding::BASE32.encode(&hasher.finalize()))
}

/// Compares two digests, ignoring case and an absent `sha1:` label (CDXJ often drops it).
pub fn same_digest(a: &str, b: &str) -> bool {
    let strip = |d: &str| {
        let d = d.trim();
        d.strip_prefix("sha1:")
            .or_else(|| d.strip_prefix("SHA1:"))
            .unwrap_or(d)
            .to_ascii_uppercase()
    };
    strip(a) == strip(b)
}

/// A header section: ordered `(name, value)` pairs, looked up case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Reads lines up to the blank line; returns the first line and the headers after it.
fn read_head(reader: &mut impl BufRead) -> io::Result<(String, Headers)> {
    let mut first = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut used = 0usize;
    loop {
        let mut line = Vec::new();
        let n = reader
            .by_ref()
            .take((MAX_HEAD - used) as u64 + 1)
            .read_until(b'\n', &mut line)?;
        used += n;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "header section ends early",
            ));
        }
        if used > MAX_HEAD {
            return Err(invalid("header section too long"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if first.is_none() {
            first = Some(text.to_string());
            continue;
        }
        if text.is_empty() {
            break;
        }
        if text.starts_with([' ', '\t']) {
            // A folded continuation line belongs to the previous header.
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(text.trim());
            }
            continue;
        }
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| invalid(format!("header line without a colon: {text:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok((first.unwrap_or_default(), Headers(headers)))
}

/// The WARC header block of one record.
#[derive(Debug, Clone)]
pub struct WarcHead {
    pub version: String,
    pub headers: Headers,
}

impl WarcHead {
    pub fn read(reader: &mut impl BufRead) -> io::Result<Self> {
        let (version, headers) = read_head(reader)?;
        if !version.starts_with("WARC/") {
            return Err(invalid(format!("not a WARC record: {version:?}")));
        }
        Ok(Self { version, headers })
    }

    pub fn content_length(&self) -> io::Result<u64> {
        self.headers
            .get("Content-Length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| invalid("missing or bad Content-Length"))
    }

    pub fn warc_type(&self) -> &str {
        self.headers.get("WARC-Type").unwrap_or("")
    }

    /// A response whose block is an HTTP message (status line, headers, entity body).
    pub fn is_http_response(&self) -> bool {
        matches!(self.warc_type(), "response" | "revisit")
            && self
                .headers
                .get("Content-Type")
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/http"))
    }
}

/// The status line and headers of an HTTP response in a block.
#[derive(Debug, Clone)]
pub struct HttpHead {
    pub status: Option<u16>,
    pub headers: Headers,
}

impl HttpHead {
    pub fn read(reader: &mut impl BufRead) -> io::Result<Self> {
        let (status_line, headers) = read_head(reader)?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok());
        Ok(Self { status, headers })
    }

    pub fn is_chunked(&self) -> bool {
        self.headers
            .get_all("Transfer-Encoding")
            .any(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    /// The media type without parameters, lowercased.
    pub fn mime(&self) -> Option<String> {
        self.headers.get("Content-Type").map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn charset(&self) -> Option<String> {
        let ct = self.headers.get("Content-Type")?.to_ascii_lowercase();
        let p = ct.find("charset=")?;
        Some(ct[p + 8..].trim_matches(['"', '\'', ' ']).to_string())
    }
}

/// Removes `Transfer-Encoding: chunked` framing while reading.
pub struct Dechunker<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Dechunker<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            left: 0,
            done: false,
        }
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let mut line = Vec::new();
        self.inner
            .by_ref()
            .take(4096)
            .read_until(b'\n', &mut line)?;
        let text = String::from_utf8_lossy(&line);
        let size = text.split(';').next().unwrap_or("").trim();
        if size.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "chunked body ends early",
            ));
        }
        self.left = u64::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("bad chunk size {size:?}")))?;
        if self.left == 0 {
            // The trailer section (usually empty) is not payload.
            self.done = true;
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Dechunker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            self.next_chunk()?;
            if self.done {
                return Ok(0);
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "chunk ends early",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let mut crlf = Vec::new();
            self.inner.by_ref().take(2).read_until(b'\n', &mut crlf)?;
        }
        Ok(n)
    }
}

/// Passes bytes through while hashing and counting them.
struct HashingReader<R> {
    inner: R,
    hasher: Sha1,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Hashes everything `reader` yields.
fn hash_all(mut reader: impl Read) -> io::Result<(Sha1, u64)> {
    let mut hasher = Sha1::new();
    // On the stack: a fresh heap buffer per record, freed while the record's small strings are
    // kept, fragmented the heap by about its size per record (41,000 records: ~500 MB of RSS).
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((hasher, total));
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

/// A `BufRead` that counts what has been consumed: the offset of the next gzip member.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// What one record said about itself and whether its bytes agree.
#[derive(Debug, Clone)]
pub struct ScannedRecord {
    pub offset: u64,
    /// Compressed length of the gzip member.
    pub length: u64,
    pub head: WarcHead,
    pub http: Option<HttpHead>,
    /// Record-level problems (digests, lengths); the record still parsed.
    pub problems: Vec<String>,
}

/// A file-level problem: the member at `offset` could not be read (corrupt or truncated).
#[derive(Debug, Clone)]
pub struct MemberProblem {
    pub offset: u64,
    pub message: String,
}

/// Reads every record of one `.warc.gz` file, checking lengths and digests as it streams.
pub fn scan_file(path: &Path) -> io::Result<(Vec<ScannedRecord>, Vec<MemberProblem>)> {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut inflater = Inflater::default();
    let mut reader = Counting {
        inner: BufReader::with_capacity(64 * 1024, fs_err::File::open(path)?),
        pos: 0,
    };
    loop {
        if reader.fill_buf()?.is_empty() {
            break;
        }
        let start = reader.pos;
        match scan_member(&mut inflater, &mut reader) {
            Ok(mut record) => {
                record.offset = start;
                record.length = reader.pos - start;
                records.push(record);
            }
            Err(e) => {
                let truncated = e.kind() == io::ErrorKind::UnexpectedEof;
                let message = if truncated {
                    format!("truncated record at offset {start}: {e}")
                } else {
                    format!("unreadable record at offset {start}: {e}")
                };
                problems.push(MemberProblem {
                    offset: start,
                    message,
                });
                // Resynchronise on the next gzip member header, if any. The magic bytes can also
                // occur inside compressed data; a false start just reports one more problem.
                let Some(next) = find_member_start(path, start + 1)? else {
                    break;
                };
                let mut file = fs_err::File::open(path)?;
                file.seek(SeekFrom::Start(next))?;
                reader = Counting {
                    inner: BufReader::with_capacity(64 * 1024, file),
                    pos: next,
                };
            }
        }
    }
    Ok((records, problems))
}

fn scan_member<R: BufRead>(inflater: &mut Inflater, reader: &mut R) -> io::Result<ScannedRecord> {
    let mut member = inflater.member(reader)?;
    let head = WarcHead::read(&mut member)?;
    let length = head.content_length()?;
    let mut problems = Vec::new();
    let mut block = BufReader::new(HashingReader {
        inner: (&mut member).take(length),
        hasher: Sha1::new(),
        count: 0,
    });
    let mut http = None;
    let mut payload = None;
    if head.is_http_response() {
        match HttpHead::read(&mut block) {
            Ok(h) => {
                if head.warc_type() == "response" {
                    let hashed = if h.is_chunked() {
                        hash_all(Dechunker::new(&mut block))
                    } else {
                        hash_all(&mut block)
                    };
                    match hashed {
                        Ok((hasher, _)) => payload = Some(sha1_label(hasher)),
                        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                            problems.push(format!("bad chunked body: {e}"));
                        }
                        Err(e) => return Err(e),
                    }
                }
                http = Some(h);
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                problems.push(format!("bad HTTP head: {e}"));
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                problems.push("HTTP head ends before the block does".to_string());
            }
            Err(e) => return Err(e),
        }
    }
    io::copy(&mut block, &mut io::sink())?;
    let HashingReader { hasher, count, .. } = block.into_inner();
    if count < length {
        problems.push(format!(
            "Content-Length is {length} but the block has only {} bytes",
            count
        ));
    }
    if head.warc_type() == "resource" {
        payload = Some(sha1_label(hasher.clone()));
    }
    let block_digest = sha1_label(hasher);
    match head.headers.get("WARC-Block-Digest") {
        None => problems.push("no WARC-Block-Digest".to_string()),
        Some(d) if !same_digest(d, &block_digest) => problems.push(format!(
            "block digest mismatch: header says {d}, block is {block_digest}"
        )),
        Some(_) => {}
    }
    let declared = head.headers.get("WARC-Payload-Digest");
    match (declared, &payload) {
        (None, _) if head.warc_type() == "response" || head.warc_type() == "revisit" => {
            problems.push("no WARC-Payload-Digest".to_string());
        }
        (Some(d), Some(p)) if !same_digest(d, p) => problems.push(format!(
            "payload digest mismatch: header says {d}, payload is {p}"
        )),
        _ => {}
    }
    // After the block: exactly CRLF CRLF, then the end of the member.
    let mut tail = Vec::new();
    (&mut member).take(4 + 1).read_to_end(&mut tail)?;
    let extra = io::copy(&mut member, &mut io::sink())?;
    if count == length && (tail.as_slice() != b"\r\n\r\n" || extra > 0) {
        problems.push(format!(
            "the block is not followed by exactly CRLF CRLF (Content-Length {length} wrong?)"
        ));
    }
    Ok(ScannedRecord {
        offset: 0,
        length: 0,
        head,
        http,
        problems,
    })
}

/// The offset of the next gzip member header (`1f 8b 08`) at or after `from`.
fn find_member_start(path: &Path, from: u64) -> io::Result<Option<u64>> {
    let mut file = fs_err::File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut pos = from;
    let mut window: [u8; 3] = [0; 3];
    let mut seen = 0u64;
    let mut byte = [0u8; 1];
    while reader.read(&mut byte)? == 1 {
        window = [window[1], window[2], byte[0]];
        seen += 1;
        if seen >= 3 && window == [0x1f, 0x8b, 0x08] {
            return Ok(Some(pos - 2));
        }
        pos += 1;
    }
    Ok(None)
}

/// One record opened for its payload (HTTP framing removed, content encoding decoded).
pub struct OpenedPayload {
    pub head: WarcHead,
    pub http: Option<HttpHead>,
    pub body: Box<dyn Read + Send>,
}

/// Opens the record at `offset` of `path` and returns its decoded entity body as a stream.
pub fn open_payload(path: &Path, offset: u64) -> io::Result<OpenedPayload> {
    let mut file = fs_err::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let gz = flate2::bufread::GzDecoder::new(BufReader::new(file));
    let mut member = BufReader::new(gz);
    let head = WarcHead::read(&mut member)?;
    let mut block = member.take(head.content_length()?);
    if !head.is_http_response() {
        return Ok(OpenedPayload {
            head,
            http: None,
            body: Box::new(block),
        });
    }
    let http = HttpHead::read(&mut block)?;
    let framed: Box<dyn Read + Send> = if http.is_chunked() {
        Box::new(Dechunker::new(block))
    } else {
        Box::new(block)
    };
    let encoding = http
        .headers
        .get("Content-Encoding")
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let body: Box<dyn Read + Send> = match encoding.as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(framed)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(framed)),
        "br" => Box::new(brotli::Decompressor::new(framed, 4096)),
        _ => framed,
    };
    Ok(OpenedPayload {
        head,
        http: Some(http),
        body,
    })
}

/// SHA-1 (labelled) and length of everything a reader yields.
pub fn digest_of(reader: impl Read) -> io::Result<(String, u64)> {
    let (hasher, len) = hash_all(reader)?;
    Ok((sha1_label(hasher), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(body: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in body.chunks(size) {
            out.extend(format!("{:x};ext=1\r\n", piece.len()).as_bytes());
            out.extend(piece);
            out.extend(b"\r\n");
        }
        out.extend(b"0\r\nTrailer: x\r\n\r\n");
        out
    }

    /// Chunk boundaries and read-buffer boundaries are where de-chunking breaks: try many of both.
    #[test]
    fn dechunks_at_every_boundary() {
        let body: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for chunk_size in [1, 2, 3, 16, 17, 299, 300, 1000] {
            let wire = chunked(&body, chunk_size);
            for capacity in [1, 2, 5, 64, 4096] {
                let mut out = Vec::new();
                Dechunker::new(BufReader::with_capacity(capacity, wire.as_slice()))
                    .read_to_end(&mut out)
                    .expect("dechunk");
                assert_eq!(out, body, "chunk {chunk_size}, buffer {capacity}");
            }
        }
    }

    #[test]
    fn bad_chunk_size_is_invalid_data() {
        let mut out = Vec::new();
        let err = Dechunker::new(&b"zz\r\nabc"[..])
            .read_to_end(&mut out)
            .expect_err("bad size");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn reads_folded_headers() {
        let mut input =
            &b"WARC/1.1\r\nWARC-Type: resource\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n"[..];
        let head = WarcHead::read(&mut input).expect("head");
        assert_eq!(head.headers.get("x-long"), Some("a b"));
        assert_eq!(head.content_length().expect("length"), 0);
    }

    #[test]
    fn digests_compare_without_label() {
        assert!(same_digest("sha1:ABC", "abc"));
        assert!(!same_digest("sha1:ABC", "sha1:ABD"));
    }
}
