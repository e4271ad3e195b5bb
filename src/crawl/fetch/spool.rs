//! Byte buffers that stay in memory while small and move to a temp file when large, hashed as written.
//!
//! A crawl may meet bodies of any size; holding them in memory would make memory grow with the
//! largest file on the site. A [`SpoolWriter`] keeps up to `threshold` bytes in a `Vec`, then moves
//! them into a [`tempfile::NamedTempFile`] in the directory the caller chose (the crawl passes
//! `<out>/state/tmp`, so nothing is written outside the output folder) and streams the rest there.
//! The SHA-1 is computed while writing (with the WARC digest module's [`BlockDigester`]) so nobody
//! has to read a large body twice.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::warc::digest::{BlockDigester, sha1_digest};

/// Finished bytes: in memory when small, in a temp file (deleted on drop) when large.
#[derive(Debug)]
pub struct Spool {
    storage: Storage,
    len: u64,
    digest: String,
}

#[derive(Debug)]
enum Storage {
    Memory(Vec<u8>),
    File(NamedTempFile),
}

impl Spool {
    /// An in-memory spool holding `bytes` (handy for callers and tests that already have the bytes).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let digest = sha1_digest(&bytes);
        Spool {
            len: bytes.len() as u64,
            storage: Storage::Memory(bytes),
            digest,
        }
    }

    /// Number of bytes held.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `sha1:BASE32` digest of all bytes held.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The bytes, when they are small enough to be held in memory; `None` when spooled to a file.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.storage {
            Storage::Memory(bytes) => Some(bytes),
            Storage::File(_) => None,
        }
    }

    /// The temp file holding the bytes, when they were too large for memory.
    pub fn path(&self) -> Option<&Path> {
        match &self.storage {
            Storage::Memory(_) => None,
            Storage::File(file) => Some(file.path()),
        }
    }

    /// A reader over all bytes from the start; each call gets its own independent position.
    pub fn reader(&self) -> io::Result<SpoolReader<'_>> {
        Ok(match &self.storage {
            Storage::Memory(bytes) => SpoolReader::Memory(io::Cursor::new(bytes)),
            Storage::File(file) => SpoolReader::File(io::BufReader::new(fs_err::File::from_parts(
                file.reopen()?,
                file.path(),
            ))),
        })
    }

    /// All bytes in one `Vec` (reads the temp file when spooled; meant for small spools and tests).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        match &self.storage {
            Storage::Memory(bytes) => Ok(bytes.clone()),
            Storage::File(_) => {
                let mut out = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
                self.reader()?.read_to_end(&mut out)?;
                Ok(out)
            }
        }
    }
}

/// A reader over a [`Spool`]'s bytes.
pub enum SpoolReader<'a> {
    /// Bytes held in memory.
    Memory(io::Cursor<&'a Vec<u8>>),
    /// A fresh handle on the temp file.
    File(io::BufReader<fs_err::File>),
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SpoolReader::Memory(cursor) => cursor.read(buf),
            SpoolReader::File(file) => file.read(buf),
        }
    }
}

impl io::Seek for SpoolReader<'_> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        match self {
            SpoolReader::Memory(cursor) => cursor.seek(pos),
            SpoolReader::File(file) => file.seek(pos),
        }
    }
}

/// Accumulates bytes into a [`Spool`], hashing them on the way.
#[derive(Debug)]
pub struct SpoolWriter {
    threshold: usize,
    dir: PathBuf,
    memory: Vec<u8>,
    file: Option<BufWriter<NamedTempFile>>,
    len: u64,
    hasher: BlockDigester,
}

impl SpoolWriter {
    /// Keeps up to `threshold` bytes in memory, then spools to a new temp file in `dir`
    /// (created when missing).
    pub fn new(threshold: usize, dir: impl Into<PathBuf>) -> Self {
        SpoolWriter {
            threshold,
            dir: dir.into(),
            memory: Vec::new(),
            file: None,
            len: 0,
            hasher: BlockDigester::new(),
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes`, moving everything to the temp file once the threshold is passed.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        if let Some(file) = &mut self.file {
            return file.write_all(bytes);
        }
        if self.memory.len() + bytes.len() <= self.threshold {
            self.memory.extend_from_slice(bytes);
            return Ok(());
        }
        fs_err::create_dir_all(&self.dir)?;
        let named = NamedTempFile::with_prefix_in(".arkiv-spool-", &self.dir).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("creating a temp file in {}: {err}", self.dir.display()),
            )
        })?;
        let mut file = BufWriter::with_capacity(64 * 1024, named);
        file.write_all(&self.memory)?;
        file.write_all(bytes)?;
        // Release the memory now: a spooled body must not keep its first megabyte alive.
        self.memory = Vec::new();
        self.file = Some(file);
        Ok(())
    }

    /// Seals the bytes into a [`Spool`].
    pub fn finish(self) -> io::Result<Spool> {
        let digest = self.hasher.finish();
        let storage = match self.file {
            None => Storage::Memory(self.memory),
            Some(file) => Storage::File(file.into_inner().map_err(|err| err.into_error())?),
        };
        Ok(Spool {
            storage,
            len: self.len,
            digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_matches_the_known_value() {
        // The well-known SHA-1 of "" in WARC's base32 form.
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn small_input_stays_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut writer = SpoolWriter::new(16, dir.path());
        writer.write_all(b"hello ").expect("write");
        writer.write_all(b"world").expect("write");
        let spool = writer.finish().expect("finish");
        assert_eq!(spool.bytes(), Some(&b"hello world"[..]));
        assert_eq!(spool.path(), None);
        assert_eq!(spool.digest(), sha1_digest(b"hello world"));
    }

    #[test]
    fn large_input_moves_to_a_file_in_the_chosen_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tmp = dir.path().join("state").join("tmp");
        let mut writer = SpoolWriter::new(8, &tmp);
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(7) {
            writer.write_all(piece).expect("write");
        }
        let spool = writer.finish().expect("finish");
        assert_eq!(spool.bytes(), None);
        let path = spool.path().expect("spooled").to_path_buf();
        assert_eq!(path.parent(), Some(tmp.as_path()));
        assert_eq!(spool.len(), data.len() as u64);
        assert_eq!(spool.to_vec().expect("read"), data);
        assert_eq!(spool.digest(), sha1_digest(&data));
        drop(spool);
        assert!(!path.exists(), "temp file is removed with the spool");
    }
}
