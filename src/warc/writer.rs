//! `WarcWriter`: appends records to rotating `.warc.gz` files, one gzip member per record.
//!
//! Each record (header, block, `\r\n\r\n`) is first compressed into a spool (memory up to
//! [`SPOOL_IN_MEMORY`], then a temp file), and only then appended to the WARC file. So a crash or a
//! failed write leaves at most one partial member at the tail (and a failed write is cut back off),
//! memory stays bounded for multi-GB bodies, and the exact compressed size is known before the
//! record is placed, which makes rotation at `max_size` exact. Blocks are `Read + Seek` because the
//! block digest precedes the block in the header: the writer reads a block once to digest it, then
//! again to compress it (and a third time, rarely, when the record moves to a fresh file).

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::gzip_member::MemberEncoder;
use super::precompressed;
use chrono::Utc;
use tempfile::SpooledTempFile;

use super::cdxj;
use super::digest::BlockDigester;
use super::record::{RecordError, RecordFields, RecordType, WarcHeaders};
use super::record_meta::check_field;
pub use super::record_meta::{
    ConversionMeta, Hop, HttpRecordMeta, MetadataMeta, Outlink, ResourceMeta, RevisitMeta,
    WarcinfoFields,
};
use super::redact::{REDACTED_FIELD, RedactedRequest};

/// Rotate before a file would exceed this many bytes (1 GB, the size Heritrix and wget default to).
pub const DEFAULT_MAX_SIZE: u64 = 1_000_000_000;
/// A compressed record up to this size is spooled in memory and written with one `write_all`.
pub const SPOOL_IN_MEMORY: usize = 4 * 1024 * 1024;
/// The profile WARC 1.1 defines for revisits whose payload equals an earlier capture's.
pub const REVISIT_PROFILE_IDENTICAL_PAYLOAD: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
const COPY_BUFFER: usize = 64 * 1024;

/// Where and how the writer creates its files.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Folder the `.warc.gz` files go into (must exist).
    pub dir: PathBuf,
    /// File name prefix: `<prefix>-<YYYYMMDDHHMMSS>-<serial:05>.warc.gz`.
    pub prefix: String,
    /// Rotation size in bytes [default: 1 GB]. A single record larger than this gets a file alone.
    pub max_size: u64,
    /// Serial number of the first file [default: 0]; taken serials are skipped, never overwritten.
    pub first_serial: u32,
    /// A test hook: after this many records, every write fails as on a full disk, through the
    /// same path a real `ENOSPC` takes [default: never].
    pub full_after: Option<u64>,
    /// Append the CDXJ line of every indexed record here as it is written (unsorted; see
    /// `cdxj::IndexBuilder`), so the index needs no second read of the WARC [default: none].
    pub index_to: Option<PathBuf>,
}

impl WriterOptions {
    /// Options with the defaults above.
    pub fn new(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            prefix: prefix.into(),
            max_size: DEFAULT_MAX_SIZE,
            first_serial: 0,
            full_after: None,
            index_to: None,
        }
    }

    /// Writes each record's index line to `path` as the record is written.
    pub fn with_index_to(mut self, path: Option<PathBuf>) -> Self {
        self.index_to = path;
        self
    }

    /// Makes the disk "full" after `records` more records (tests of full-disk handling).
    pub fn with_full_after(mut self, records: Option<u64>) -> Self {
        self.full_after = records;
        self
    }

    /// Sets the rotation size.
    pub fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }

    /// Sets the first serial number.
    pub fn with_first_serial(mut self, serial: u32) -> Self {
        self.first_serial = serial;
        self
    }
}

/// A reader and its position, for blocks that must be read more than once.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// A record block: bytes in memory, or `len` bytes from a reader's current position (a spool file).
pub enum Block<'a> {
    Bytes(&'a [u8]),
    Reader {
        reader: &'a mut dyn ReadSeek,
        len: u64,
        /// The block's `sha1:` digest when the caller computed it as the bytes arrived (a fetch
        /// spool's): the writer then reads the block once, not twice, and still checks the
        /// digest against the bytes it compresses ([`WriteError::BlockChanged`]).
        digest: Option<&'a str>,
    },
}

/// Where a record landed: the gzip member that holds it, as CDXJ `filename`/`offset`/`length` say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLocation {
    /// The file's name (no folder), as CDXJ records it.
    pub filename: String,
    /// The full path of the file.
    pub path: PathBuf,
    /// Byte offset of the gzip member in the file.
    pub offset: u64,
    /// Compressed length of the member.
    pub length: u64,
}

/// What the writer reports for each record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenRecord {
    pub record_id: String,
    pub location: RecordLocation,
    /// The `WARC-Block-Digest` the writer computed.
    pub block_digest: String,
}

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("block reader ended after {got} of {expected} bytes")]
    ShortBlock { expected: u64, got: u64 },
    #[error("block changed between digesting and writing it")]
    BlockChanged,
    #[error("no free file name for serial {0} and above in {1}")]
    NoFreeName(u32, PathBuf),
}

struct OpenFile {
    file: fs_err::File,
    filename: String,
    path: PathBuf,
    size: u64,
    records: u64,
    warcinfo_id: String,
}

/// Writes WARC 1.1 records into rotating `.warc.gz` files. See the module comment.
pub struct WarcWriter {
    options: WriterOptions,
    warcinfo: WarcinfoFields,
    current: Option<OpenFile>,
    next_serial: u32,
    files: Vec<PathBuf>,
    /// One deflate state for every record (resetting it costs nothing; a new one is a large
    /// zeroed allocation per record).
    members: MemberEncoder<SpooledTempFile>,
    /// The same for responses whose payload is compressed already (`precompressed`): stored
    /// blocks, not deflated again.
    stored_members: MemberEncoder<SpooledTempFile>,
    /// Where index lines go (opened on the first record).
    index: Option<std::io::BufWriter<fs_err::File>>,
}

impl WarcWriter {
    /// A writer that creates its first file lazily, on the first record.
    pub fn new(options: WriterOptions, warcinfo: WarcinfoFields) -> Self {
        let next_serial = options.first_serial;
        Self {
            options,
            warcinfo,
            current: None,
            next_serial,
            files: Vec::new(),
            members: MemberEncoder::new(),
            stored_members: MemberEncoder::with_level(flate2::Compression::none()),
            index: None,
        }
    }

    /// Every file this writer created, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Replaces the warcinfo fields and writes a warcinfo record with them into the current file
    /// (starting one if none is open). Later files re-emit these fields.
    pub fn write_warcinfo(&mut self, fields: WarcinfoFields) -> Result<WrittenRecord, WriteError> {
        self.warcinfo = fields;
        if self.current.is_none() {
            return self.open_next_file();
        }
        let written = self.append_warcinfo()?;
        Ok(written)
    }

    /// Writes a `response` record; `http_message` is the status line, headers and body as received.
    pub fn write_response(
        &mut self,
        meta: &HttpRecordMeta<'_>,
        http_message: Block<'_>,
    ) -> Result<WrittenRecord, WriteError> {
        let fields = http_fields(
            RecordType::Response,
            meta,
            "application/http;msgtype=response",
        );
        self.write_record(fields, http_message)
    }

    /// Writes a `request` record; `http_message` is the request as sent.
    pub fn write_request(
        &mut self,
        meta: &HttpRecordMeta<'_>,
        http_message: Block<'_>,
    ) -> Result<WrittenRecord, WriteError> {
        let fields = http_fields(
            RecordType::Request,
            meta,
            "application/http;msgtype=request",
        );
        self.write_record(fields, http_message)
    }

    /// Writes a `request` record whose block is a request after [`redact_request`]: the masked
    /// bytes, and the redactions named in [`REDACTED_FIELD`] (absent when nothing was masked).
    ///
    /// [`redact_request`]: super::redact::redact_request
    pub fn write_redacted_request(
        &mut self,
        meta: &HttpRecordMeta<'_>,
        request: &RedactedRequest,
    ) -> Result<WrittenRecord, WriteError> {
        let mut fields = http_fields(
            RecordType::Request,
            meta,
            "application/http;msgtype=request",
        );
        if let Some(value) = request.field_value() {
            fields.extra.push((REDACTED_FIELD.to_owned(), value));
        }
        self.write_record(fields, Block::Bytes(&request.bytes))
    }

    /// Writes an identical-payload-digest `revisit`; the block is the HTTP response head only.
    pub fn write_revisit(
        &mut self,
        meta: &RevisitMeta<'_>,
        http_head: &[u8],
    ) -> Result<WrittenRecord, WriteError> {
        let mut f = RecordFields::new(RecordType::Revisit, meta.date);
        f.target_uri = Some(meta.target_uri.to_owned());
        f.ip_address = meta.ip_address;
        f.concurrent_to = meta.concurrent_to.map(str::to_owned);
        f.refers_to = Some(meta.refers_to.to_owned());
        f.refers_to_target_uri = Some(meta.refers_to_target_uri.to_owned());
        f.refers_to_date = Some(meta.refers_to_date);
        f.profile = Some(REVISIT_PROFILE_IDENTICAL_PAYLOAD.to_owned());
        f.payload_digest = Some(meta.payload_digest.to_owned());
        f.content_type = Some("application/http;msgtype=response".to_owned());
        self.write_record(f, Block::Bytes(http_head))
    }

    /// Writes a `metadata` record listing a page's outlinks, as Heritrix does.
    pub fn write_metadata(
        &mut self,
        meta: &MetadataMeta<'_>,
        outlinks: &[Outlink<'_>],
    ) -> Result<WrittenRecord, WriteError> {
        let mut block = Vec::new();
        for link in outlinks {
            if link.url.chars().any(char::is_whitespace) {
                return Err(RecordError::ControlCharacter {
                    name: "outlink".into(),
                    value: link.url.into(),
                }
                .into());
            }
            let line = format!("{} {} {}", link.url, link.hop.letter(), link.context);
            check_field("outlink", &line)?;
            block.extend_from_slice(format!("outlink: {line}\r\n").as_bytes());
        }
        let mut f = RecordFields::new(RecordType::Metadata, meta.date);
        f.target_uri = Some(meta.target_uri.to_owned());
        f.concurrent_to = meta.concurrent_to.map(str::to_owned);
        f.content_type = Some("application/warc-fields".to_owned());
        self.write_record(f, Block::Bytes(&block))
    }

    /// Writes a `resource` record; its payload is its block, so both digests are the same.
    pub fn write_resource(
        &mut self,
        meta: &ResourceMeta<'_>,
        block: Block<'_>,
    ) -> Result<WrittenRecord, WriteError> {
        let mut f = RecordFields::new(RecordType::Resource, meta.date);
        f.target_uri = Some(meta.target_uri.to_owned());
        f.concurrent_to = meta.concurrent_to.map(str::to_owned);
        f.content_type = Some(meta.content_type.to_owned());
        self.write_record_with(f, block, true)
    }

    /// Writes a `conversion` record (a page as rendered, made from the record it refers to); its
    /// payload is its block.
    pub fn write_conversion(
        &mut self,
        meta: &ConversionMeta<'_>,
        block: Block<'_>,
    ) -> Result<WrittenRecord, WriteError> {
        let mut f = RecordFields::new(RecordType::Conversion, meta.date);
        f.target_uri = Some(meta.target_uri.to_owned());
        f.refers_to = Some(meta.refers_to.to_owned());
        f.content_type = Some(meta.content_type.to_owned());
        f.extra = meta.extra.clone();
        self.write_record_with(f, block, true)
    }

    /// Writes any record: the writer fills in the warcinfo ID, block digest and length.
    pub fn write_record(
        &mut self,
        fields: RecordFields,
        block: Block<'_>,
    ) -> Result<WrittenRecord, WriteError> {
        self.write_record_with(fields, block, false)
    }

    fn write_record_with(
        &mut self,
        mut fields: RecordFields,
        mut block: Block<'_>,
        payload_is_block: bool,
    ) -> Result<WrittenRecord, WriteError> {
        fields.to_headers()?; // fail before touching the disk
        let (digest, len) = digest_block(&mut block)?;
        fields.block_digest = Some(digest.clone());
        if payload_is_block {
            fields.payload_digest = Some(digest.clone());
        }
        fields.content_length = len;
        if self.current.is_none() {
            self.open_next_file()?;
        }
        let (mut member, mut headers, head) =
            self.compress_for_current(&mut fields, &mut block, &digest)?;
        let full = self.current.as_ref().is_some_and(|cur| {
            cur.records > 1
                && cur.size + member_len(&mut member).unwrap_or(0) > self.options.max_size
        });
        if full {
            self.finish_current()?;
            self.open_next_file()?;
            (member, headers, _) = self.compress_for_current(&mut fields, &mut block, &digest)?;
        }
        let location = self.append(member)?;
        self.index_record(&headers, &head, &digest, &location)?;
        Ok(WrittenRecord {
            record_id: fields.record_id,
            location,
            block_digest: digest,
        })
    }

    /// The record as one gzip member, with its WARC headers and (for the index) the start of
    /// its block.
    fn compress_for_current(
        &mut self,
        fields: &mut RecordFields,
        block: &mut Block<'_>,
        digest: &str,
    ) -> Result<(SpooledTempFile, WarcHeaders, Vec<u8>), WriteError> {
        if fields.record_type != RecordType::Warcinfo {
            fields.warcinfo_id = self.current.as_ref().map(|c| c.warcinfo_id.clone());
        }
        let headers = fields.to_headers()?;
        let head = headers.to_bytes();
        let keep_start = self.options.index_to.is_some() && cdxj::needs_http_head(&headers);
        let mut start = Vec::new();
        let dir = self.options.dir.clone();
        let io_err = |source| WriteError::Io {
            path: dir.clone(),
            source,
        };
        let stored = match block {
            _ if fields.record_type != RecordType::Response => false,
            Block::Bytes(bytes) => precompressed::already_compressed(bytes),
            Block::Reader { reader, len, .. } => {
                let position = reader.stream_position().map_err(io_err)?;
                let mut prefix = Vec::new();
                (&mut **reader)
                    .take((*len).min(precompressed::PEEK as u64))
                    .read_to_end(&mut prefix)
                    .map_err(io_err)?;
                reader.seek(SeekFrom::Start(position)).map_err(io_err)?;
                precompressed::already_compressed(&prefix)
            }
        };
        let members = if stored {
            &mut self.stored_members
        } else {
            &mut self.members
        };
        let mut gz = members
            .start(SpooledTempFile::new_in(SPOOL_IN_MEMORY, &self.options.dir))
            .map_err(io_err)?;
        gz.write_all(&head).map_err(io_err)?;
        match block {
            Block::Bytes(bytes) => {
                if keep_start {
                    start.extend_from_slice(&bytes[..bytes.len().min(cdxj::HEAD_PREFIX)]);
                }
                gz.write_all(bytes).map_err(io_err)?
            }
            Block::Reader { reader, len, .. } => {
                let position = reader.stream_position().map_err(io_err)?;
                let mut digester = BlockDigester::new();
                copy_exact(&mut **reader, *len, |chunk| {
                    if keep_start && start.len() < cdxj::HEAD_PREFIX {
                        let room = cdxj::HEAD_PREFIX - start.len();
                        start.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    digester.update(chunk);
                    gz.write_all(chunk)
                })
                .map_err(|e| short_or_io(e, *len, &dir))?;
                reader.seek(SeekFrom::Start(position)).map_err(io_err)?;
                if digester.finish() != digest {
                    return Err(WriteError::BlockChanged);
                }
            }
        }
        gz.write_all(b"\r\n\r\n").map_err(io_err)?;
        let mut spool = gz.finish(SpooledTempFile::new(0)).map_err(io_err)?;
        spool.rewind().map_err(io_err)?;
        Ok((spool, headers, start))
    }

    /// Writes a written record's index line, when the writer keeps an index.
    fn index_record(
        &mut self,
        headers: &WarcHeaders,
        start: &[u8],
        digest: &str,
        location: &RecordLocation,
    ) -> Result<(), WriteError> {
        let Some(path) = self.options.index_to.clone() else {
            return Ok(());
        };
        let place = cdxj::Place {
            filename: &location.filename,
            offset: location.offset,
            length: location.length,
        };
        let Some(entry) = cdxj::entry_for(headers, start, digest, &place) else {
            return Ok(());
        };
        let io_err = |source| WriteError::Io {
            path: path.clone(),
            source,
        };
        if self.index.is_none() {
            let file = fs_err::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io_err)?;
            self.index = Some(std::io::BufWriter::new(file));
        }
        if let Some(index) = self.index.as_mut() {
            index
                .write_all(entry.to_line().as_bytes())
                .map_err(io_err)?;
            index.write_all(b"\n").map_err(io_err)?;
        }
        Ok(())
    }

    /// Appends one whole member to the current file; on failure, cuts the file back to where it was.
    fn append(&mut self, mut member: SpooledTempFile) -> Result<RecordLocation, WriteError> {
        let dir = self.options.dir.clone();
        let len = member_len(&mut member).map_err(|source| WriteError::Io { path: dir, source })?;
        let Some(cur) = self.current.as_mut() else {
            return Err(WriteError::Io {
                path: self.options.dir.clone(),
                source: io::Error::other("no open WARC file"),
            });
        };
        let offset = cur.size;
        let full = match self.options.full_after.as_mut() {
            Some(0) => true,
            Some(left) => {
                *left -= 1;
                false
            }
            None => false,
        };
        let result = (|| -> io::Result<()> {
            if full {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "No space left on device (a full disk simulated for a test)",
                ));
            }
            if member.is_rolled() {
                let mut buf = vec![0u8; COPY_BUFFER];
                loop {
                    let n = member.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    cur.file.write_all(&buf[..n])?;
                }
            } else {
                let mut bytes = Vec::with_capacity(len as usize);
                member.read_to_end(&mut bytes)?;
                cur.file.write_all(&bytes)?;
            }
            cur.file.flush()
        })();
        if let Err(source) = result {
            // Best effort: leave no half member behind if the disk allows truncating.
            let _ = cur.file.set_len(offset);
            let _ = cur.file.seek(SeekFrom::Start(offset));
            return Err(WriteError::Io {
                path: cur.path.clone(),
                source,
            });
        }
        cur.size += len;
        cur.records += 1;
        Ok(RecordLocation {
            filename: cur.filename.clone(),
            path: cur.path.clone(),
            offset,
            length: len,
        })
    }

    fn open_next_file(&mut self) -> Result<WrittenRecord, WriteError> {
        let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
        let mut serial = self.next_serial;
        let (file, filename, path) = loop {
            let filename = format!("{}-{stamp}-{serial:05}.warc.gz", self.options.prefix);
            let path = self.options.dir.join(&filename);
            match fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => break (file, filename, path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    serial = serial.checked_add(1).ok_or_else(|| {
                        WriteError::NoFreeName(self.next_serial, self.options.dir.clone())
                    })?;
                }
                Err(source) => return Err(WriteError::Io { path, source }),
            }
        };
        self.next_serial = serial.saturating_add(1);
        self.files.push(path.clone());
        self.current = Some(OpenFile {
            file,
            filename,
            path,
            size: 0,
            records: 0,
            warcinfo_id: String::new(),
        });
        self.append_warcinfo()
    }

    fn append_warcinfo(&mut self) -> Result<WrittenRecord, WriteError> {
        let block = self.warcinfo.to_block()?;
        let mut f = RecordFields::new(RecordType::Warcinfo, Utc::now());
        f.filename = self.current.as_ref().map(|c| c.filename.clone());
        f.content_type = Some("application/warc-fields".to_owned());
        f.content_length = block.len() as u64;
        let digest = super::digest::sha1_digest(&block);
        f.block_digest = Some(digest.clone());
        let (member, _, _) =
            self.compress_for_current(&mut f, &mut Block::Bytes(&block), &digest)?;
        let location = self.append(member)?;
        if let Some(cur) = self.current.as_mut() {
            cur.warcinfo_id = f.record_id.clone();
        }
        Ok(WrittenRecord {
            record_id: f.record_id,
            location,
            block_digest: digest,
        })
    }

    fn finish_current(&mut self) -> Result<(), WriteError> {
        if let Some(cur) = self.current.take() {
            cur.file.sync_all().map_err(|source| WriteError::Io {
                path: cur.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Flushes and fsyncs the current file and the folder (so new file names survive a crash).
    pub fn close(mut self) -> Result<Vec<PathBuf>, WriteError> {
        self.finish_current()?;
        sync_dir(&self.options.dir)?;
        if let (Some(mut index), Some(path)) = (self.index.take(), self.options.index_to.clone()) {
            index
                .flush()
                .map_err(|source| WriteError::Io { path, source })?;
        }
        Ok(std::mem::take(&mut self.files))
    }
}

impl Drop for WarcWriter {
    fn drop(&mut self) {
        // Members are written whole, so nothing is half-written here; only make it durable.
        if let Some(cur) = self.current.take() {
            let _ = cur.file.sync_all();
        }
    }
}

fn http_fields(kind: RecordType, meta: &HttpRecordMeta<'_>, content_type: &str) -> RecordFields {
    let mut f = RecordFields::new(kind, meta.date);
    f.target_uri = Some(meta.target_uri.to_owned());
    f.ip_address = meta.ip_address;
    f.concurrent_to = meta.concurrent_to.map(str::to_owned);
    f.payload_digest = meta.payload_digest.map(str::to_owned);
    f.truncated = meta.truncated;
    f.content_type = Some(content_type.to_owned());
    f
}

/// Reads the block once to learn its digest and length, then puts a reader back where it was.
fn digest_block(block: &mut Block<'_>) -> Result<(String, u64), WriteError> {
    let tmp = PathBuf::from("<block>");
    match block {
        Block::Bytes(bytes) => Ok((super::digest::sha1_digest(bytes), bytes.len() as u64)),
        Block::Reader {
            len,
            digest: Some(digest),
            ..
        } => Ok((digest.to_string(), *len)),
        Block::Reader { reader, len, .. } => {
            let io_err = |source| WriteError::Io {
                path: tmp.clone(),
                source,
            };
            let start = reader.stream_position().map_err(io_err)?;
            let mut digester = BlockDigester::new();
            copy_exact(&mut **reader, *len, |chunk| {
                digester.update(chunk);
                Ok(())
            })
            .map_err(|e| short_or_io(e, *len, &tmp))?;
            reader.seek(SeekFrom::Start(start)).map_err(io_err)?;
            Ok((digester.finish(), *len))
        }
    }
}

/// Feeds exactly `len` bytes of `reader` to `sink` in bounded chunks; a short reader is an error
/// whose message carries how much arrived.
fn copy_exact(
    reader: &mut dyn ReadSeek,
    len: u64,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => return Err(ShortRead(len - left).into_io()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

#[derive(Debug)]
struct ShortRead(u64);

impl std::fmt::Display for ShortRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "short block after {} bytes", self.0)
    }
}

impl std::error::Error for ShortRead {}

impl ShortRead {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::UnexpectedEof, self)
    }
}

fn short_or_io(e: io::Error, expected: u64, path: &Path) -> WriteError {
    if let Some(short) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ShortRead>())
    {
        return WriteError::ShortBlock {
            expected,
            got: short.0,
        };
    }
    WriteError::Io {
        path: path.to_owned(),
        source: e,
    }
}

fn member_len(member: &mut SpooledTempFile) -> io::Result<u64> {
    let len = member.seek(SeekFrom::End(0))?;
    member.rewind()?;
    Ok(len)
}

fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    // Directories can be fsynced on Unix; elsewhere opening one fails, and there is nothing to do.
    if cfg!(unix) {
        let handle = fs_err::File::open(dir).map_err(|source| WriteError::Io {
            path: dir.to_owned(),
            source,
        })?;
        handle.sync_all().map_err(|source| WriteError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    Ok(())
}
