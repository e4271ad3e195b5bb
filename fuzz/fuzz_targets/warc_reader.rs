//! Fuzzes the WARC reader over arbitrary bytes, gzip and plain: it never reports a record (or an
//! error) beyond the input, records come in order without overlapping, a finished record's block
//! is exactly its `Content-Length`, and reading in small chunks gives the same answers.
#![no_main]

use std::io::{self, Read, Write};

use arkiv::warc::WarcReader;
use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

/// A reader that hands out at most `chunk` bytes per call, where chunk-boundary bugs live.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What one pass saw: per record (offset, length, block length, digest), then the error's
/// offset if reading stopped on one.
#[derive(Debug, PartialEq)]
struct Pass {
    records: Vec<(u64, u64, u64, Option<String>)>,
    error: Option<u64>,
}

const MAX_RECORDS: usize = 64;

fn read_all(input: &[u8], chunk: usize) -> Pass {
    let len = input.len() as u64;
    let mut reader =
        WarcReader::with_name(Chunked { data: input, chunk }, "fuzz.warc", 0).with_block_digests();
    let mut pass = Pass {
        records: Vec::new(),
        error: None,
    };
    let mut end = 0u64;
    let mut buf = vec![0u8; chunk.clamp(1, 8192)];
    while pass.records.len() < MAX_RECORDS {
        let head = match reader.next_record() {
            Ok(Some(head)) => head,
            Ok(None) => break,
            Err(e) => {
                pass.error = Some(e.offset());
                break;
            }
        };
        assert!(head.offset < len, "record at {} of {len}", head.offset);
        assert!(
            head.offset >= end,
            "record at {} overlaps the one ending {end}",
            head.offset
        );
        let declared = head.headers.content_length();
        let mut read = 0u64;
        // Part of a long block is left unread, so that `finish_record` skips it (and must
        // still give the digest the whole block has in every other pass).
        let limit = (chunk as u64).saturating_mul(4).max(1);
        let failed = loop {
            if read >= limit {
                break None;
            }
            match reader.read_block(&mut buf) {
                Ok(0) => break None,
                Ok(n) => read += n as u64,
                Err(e) => break Some(e.offset()),
            }
        };
        if let Some(offset) = failed {
            pass.error = Some(offset);
            break;
        }
        let summary = match reader.finish_record() {
            Ok(summary) => summary,
            Err(e) => {
                pass.error = Some(e.offset());
                break;
            }
        };
        assert_eq!(summary.offset, head.offset);
        assert!(summary.length > 0);
        assert!(
            summary.offset + summary.length <= len,
            "record {}+{} beyond {len}",
            summary.offset,
            summary.length
        );
        assert_eq!(Some(summary.block_len), declared);
        if read < limit {
            assert_eq!(
                summary.block_len, read,
                "block shorter or longer than declared"
            );
        } else {
            assert!(summary.block_len >= read, "read beyond the block");
        }
        end = summary.offset + summary.length;
        pass.records.push((
            summary.offset,
            summary.length,
            summary.block_len,
            summary.block_digest,
        ));
    }
    if let Some(offset) = pass.error {
        assert!(offset <= len, "error at {offset} beyond {len}");
        assert!(
            offset >= end || pass.records.is_empty(),
            "error at {offset} inside a whole record"
        );
    }
    pass
}

/// Each NUL-separated piece as its own gzip member, as the writer lays records out.
fn gzip_members(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        if gz.write_all(piece).is_err() {
            return out;
        }
        match gz.finish() {
            Ok(member) => out.extend_from_slice(&member),
            Err(_) => return out,
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Low bit: compress the rest into members here (reaches the record parser inside gzip);
    // otherwise read the bytes as they are (plain WARC, or raw gzip the fuzzer mutates).
    let owned;
    let input = if mode & 1 == 1 {
        owned = gzip_members(rest);
        &owned[..]
    } else {
        rest
    };
    let whole = read_all(input, usize::MAX);
    let chunk = usize::from(mode >> 1).max(1);
    assert_eq!(
        whole,
        read_all(input, chunk),
        "chunk size {chunk} changes the result"
    );
});
