//! Reader robustness: truncated tails and sealing, random chunk sizes, plain and padded files.

use std::io::{Read, Write};
use std::path::PathBuf;

use arkiv::warc::{
    Block, ReadError, SealReport, WarcReader, WarcWriter, WarcinfoFields, WriterOptions,
    seal_truncated_tail,
};

use super::{ChunkedReader, Lcg, date, http_meta, http_response, read_all, write_sample};

#[test]
fn a_file_cut_anywhere_yields_whole_records_then_a_truncation_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = WarcWriter::new(WriterOptions::new(dir.path(), "cut"), WarcinfoFields::new());
    let mut rng = Lcg(99);
    for i in 0..6 {
        let uri = format!("http://example.com/{i}");
        let meta = http_meta(&uri, date(30, 0));
        let body = rng.bytes(20_000);
        writer
            .write_response(&meta, Block::Bytes(&http_response(&body)))
            .expect("write");
    }
    let files = writer.close().expect("close");
    let bytes = fs_err::read(&files[0]).expect("read");
    let (whole, err) = read_all(WarcReader::open(&files[0]).expect("open"));
    assert!(err.is_none());
    let ends: Vec<u64> = whole.iter().map(|r| r.offset + r.length).collect();
    let cut_path = dir.path().join("cut.warc.gz");
    let mut cuts: Vec<u64> = (0..40).map(|_| rng.below(bytes.len() as u64)).collect();
    cuts.extend(ends.iter().copied());
    cuts.extend([1, 2, 10]);
    for cut in cuts {
        fs_err::write(&cut_path, &bytes[..cut as usize]).expect("write cut");
        let (read, err) = read_all(WarcReader::open(&cut_path).expect("open"));
        let expect_whole = ends.iter().filter(|&&end| end <= cut).count();
        assert_eq!(read.len(), expect_whole, "cut at {cut}");
        for (a, b) in read.iter().zip(&whole) {
            assert_eq!(a.block, b.block);
        }
        if ends.contains(&cut) {
            assert!(
                err.is_none(),
                "cut at a member boundary {cut} is a clean end: {err:?}"
            );
        } else {
            let start = if expect_whole == 0 {
                0
            } else {
                ends[expect_whole - 1]
            };
            match err {
                Some(ReadError::Truncated {
                    offset, ref file, ..
                }) => {
                    assert_eq!(offset, start, "cut at {cut}");
                    assert!(file.ends_with("cut.warc.gz"));
                }
                other => panic!("cut at {cut}: expected a truncation error, got {other:?}"),
            }
        }
        // Sealing trims the partial tail and nothing else; a second seal changes nothing.
        let report = seal_truncated_tail(&cut_path).expect("seal");
        let kept = if expect_whole == 0 {
            0
        } else {
            ends[expect_whole - 1]
        };
        let want = SealReport {
            records: expect_whole as u64,
            kept_len: kept,
            removed_bytes: cut - kept,
        };
        assert_eq!(report, want, "cut at {cut}");
        let (resealed, err) = read_all(WarcReader::open(&cut_path).expect("open"));
        assert!(
            err.is_none() && resealed.len() == expect_whole,
            "cut at {cut}: {err:?}"
        );
        let again = seal_truncated_tail(&cut_path).expect("seal again");
        assert_eq!(again.removed_bytes, 0);
    }
}

#[test]
fn empty_gzip_members_and_blank_lines_between_records_are_skipped() {
    let w = write_sample(1024);
    let mut bytes = fs_err::read(&w.files[0]).expect("read");
    let mut empty = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    empty.write_all(b"\r\n").expect("gzip");
    bytes.extend_from_slice(&empty.finish().expect("gzip"));
    let path = w._dir.path().join("padded.warc.gz");
    fs_err::write(&path, &bytes).expect("write");
    let (read, err) = read_all(WarcReader::open(&path).expect("open"));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(read.len(), w.records.len());
}

#[test]
fn random_chunk_reads_give_the_same_records() {
    let w = write_sample(256 * 1024);
    let (expected, _) = read_all(WarcReader::open(&w.files[0]).expect("open"));
    // CHUNK_SIZE=<n> reproduces one failing maximum chunk size.
    let sizes: Vec<u64> = match std::env::var("CHUNK_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => vec![n],
        None => vec![1, 3, 17, 4096],
    };
    for max in sizes {
        let file = fs_err::File::open(&w.files[0]).expect("open");
        let chunked = ChunkedReader {
            inner: file,
            rng: Lcg(max),
            max,
        };
        let (got, err) = read_all(WarcReader::with_name(chunked, "chunked", 0));
        assert!(err.is_none(), "CHUNK_SIZE={max}: {err:?}");
        assert_eq!(got.len(), expected.len(), "CHUNK_SIZE={max}");
        for (a, b) in got.iter().zip(&expected) {
            assert_eq!(a.headers, b.headers, "CHUNK_SIZE={max}");
            assert_eq!(
                (a.offset, a.length),
                (b.offset, b.length),
                "CHUNK_SIZE={max}"
            );
            assert!(
                a.block == b.block,
                "CHUNK_SIZE={max}: block differs at {}",
                a.offset
            );
        }
    }
}

#[test]
fn uncompressed_warc_files_read_too() {
    let w = write_sample(256 * 1024);
    let gz = fs_err::File::open(&w.files[0]).expect("open");
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut plain)
        .expect("gunzip");
    let path: PathBuf = w._dir.path().join("plain.warc");
    fs_err::write(&path, &plain).expect("write plain");
    let (read, err) = read_all(WarcReader::open(&path).expect("open"));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(read.len(), w.records.len());
    let mut offset = 0;
    for (got, (_, block)) in read.iter().zip(&w.records) {
        if let Some(block) = block {
            assert_eq!(&got.block, block);
        }
        assert_eq!(got.offset, offset);
        offset += got.length;
    }
    assert_eq!(offset, plain.len() as u64);
    let chunked = ChunkedReader {
        inner: fs_err::File::open(&path).expect("open"),
        rng: Lcg(5),
        max: 5,
    };
    let (again, err) = read_all(WarcReader::with_name(chunked, "plain", 0));
    assert!(err.is_none() && again.len() == read.len());
}

#[test]
fn corruption_is_not_truncation_and_is_never_sealed_away() {
    let w = write_sample(1024);
    let bytes = fs_err::read(&w.files[0]).expect("read");
    let (whole, _) = read_all(WarcReader::open(&w.files[0]).expect("open"));
    let path = w._dir.path().join("corrupt.warc.gz");
    // The last 8 bytes of a member are its CRC-32 and size: damage the last record's CRC.
    let mut crc_flip = bytes.clone();
    let last = crc_flip.len() - 6;
    crc_flip[last] ^= 0xff;
    fs_err::write(&path, &crc_flip).expect("write");
    let (read, err) = read_all(WarcReader::open(&path).expect("open"));
    assert_eq!(read.len(), whole.len() - 1);
    let last_offset = whole.last().map(|r| r.offset);
    assert!(
        matches!(err, Some(ReadError::Malformed { offset, .. }) if Some(offset) == last_offset),
        "{err:?}"
    );
    assert!(
        seal_truncated_tail(&path).is_err(),
        "a damaged record is reported, not cut"
    );
    assert_eq!(fs_err::read(&path).expect("read").len(), bytes.len());
}

/// `skip_member_to` jumps only to where the member really ends; any other place (one byte off,
/// the end of the next member, past the file) is refused and reading goes on as if never asked.
#[test]
fn a_jump_to_a_members_end_is_taken_only_when_the_trailer_agrees() {
    let sample = write_sample(300_000);
    let path = &sample.files[0];
    let file_len = fs_err::metadata(path).expect("metadata").len();
    let (all, err) = read_all(WarcReader::open(path).expect("open"));
    assert!(err.is_none());
    let uris = |records: &[(u64, Option<String>)]| -> Vec<Option<String>> {
        records.iter().map(|(_, u)| u.clone()).collect()
    };
    let expected: Vec<(u64, Option<String>)> = all
        .iter()
        .map(|r| {
            (
                r.offset,
                r.headers.get("WARC-Target-URI").map(str::to_string),
            )
        })
        .collect();
    let ends: Vec<u64> = all.iter().map(|r| r.offset + r.length).collect();

    // Each record read to its header, then the asked-for jump (`end_for` of its index).
    let walk = |end_for: &dyn Fn(usize) -> u64| -> (Vec<(u64, Option<String>)>, usize) {
        let mut reader = WarcReader::open(path).expect("open");
        let mut seen = Vec::new();
        let mut jumps = 0;
        while let Some(head) = reader.next_record().expect("whole records") {
            let i = seen.len();
            seen.push((
                head.offset,
                head.headers.get("WARC-Target-URI").map(str::to_string),
            ));
            let mut start = [0u8; 10];
            let _ = reader.block().read(&mut start);
            if reader.skip_member_to(end_for(i), file_len).expect("jump") {
                jumps += 1;
            }
        }
        (seen, jumps)
    };
    let (seen, jumps) = walk(&|i| ends[i]);
    assert_eq!(uris(&seen), uris(&expected));
    assert_eq!(jumps, all.len(), "every true end is taken");
    for wrong in [
        &(|i: usize| ends[i] + 1) as &dyn Fn(usize) -> u64,
        &|i: usize| ends[i] - 1,
        &|i: usize| ends.get(i + 1).copied().unwrap_or(file_len + 1),
        &|_| file_len + 10,
        &|i: usize| all[i].offset,
    ] {
        let (seen, jumps) = walk(wrong);
        assert_eq!(uris(&seen), uris(&expected), "a wrong end loses no record");
        assert_eq!(seen, expected);
        assert_eq!(jumps, 0, "no wrong end is taken");
    }
}
