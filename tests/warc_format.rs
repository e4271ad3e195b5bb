//! Integration tests: warc_format — our WARC writer and reader, checked against the `warc` crate,
//! CDXJ offsets, rotation, truncated tails, header injection and random-chunk reads.

use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use arkiv::warc::writer::{DEFAULT_MAX_SIZE, REVISIT_PROFILE_IDENTICAL_PAYLOAD};
use arkiv::warc::{
    Block, CdxjEntry, Hop, HttpRecordMeta, MetadataMeta, Outlink, ReadError, RecordType,
    ResourceMeta, RevisitMeta, WarcHeaders, WarcReader, WarcWriter, WarcinfoFields, WriteError,
    WriterOptions, WrittenRecord, index_warc, read_index, read_record_at, sha1_digest, write_index,
};
use chrono::{DateTime, TimeZone, Utc};

/// Reader robustness: truncated tails and sealing, random chunks, plain and padded files.
#[path = "warc_format/reading.rs"]
mod reading;

/// A small deterministic generator (tests must be reproducible; failures print the seed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Returns 1..=max bytes per read, as a network or pipe may, to shake out chunk-boundary bugs.
struct ChunkedReader<R> {
    inner: R,
    rng: Lcg,
    max: u64,
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (1 + self.rng.below(self.max)) as usize;
        let n = n.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

fn date(sec: u32, micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 3, 40, sec)
        .single()
        .unwrap_or_default()
        + chrono::Duration::microseconds(micros)
}

/// Response/request fields with only a URI and a date.
fn http_meta(target_uri: &str, date: DateTime<Utc>) -> HttpRecordMeta<'_> {
    HttpRecordMeta {
        target_uri,
        date,
        ip_address: None,
        concurrent_to: None,
        payload_digest: None,
        truncated: None,
    }
}

fn http_response(body: &[u8]) -> Vec<u8> {
    let mut msg = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    msg.extend_from_slice(body);
    msg
}

/// Everything our reader sees of one record.
#[derive(Debug)]
struct ReadBack {
    headers: WarcHeaders,
    block: Vec<u8>,
    offset: u64,
    length: u64,
    block_digest: String,
}

fn read_all<R: Read>(reader: WarcReader<R>) -> (Vec<ReadBack>, Option<ReadError>) {
    let mut reader = reader.with_block_digests();
    let mut out = Vec::new();
    loop {
        let head = match reader.next_record() {
            Ok(Some(head)) => head,
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        };
        let mut block = Vec::new();
        if let Err(e) = reader.block().read_to_end(&mut block) {
            let inner = e.into_inner().and_then(|b| b.downcast::<ReadError>().ok());
            return (out, inner.map(|b| *b));
        }
        match reader.finish_record() {
            Ok(summary) => out.push(ReadBack {
                headers: head.headers,
                block,
                offset: summary.offset,
                length: summary.length,
                block_digest: summary.block_digest.expect("block digests were asked for"),
            }),
            Err(e) => return (out, Some(e)),
        }
    }
}

struct Written {
    _dir: tempfile::TempDir,
    files: Vec<PathBuf>,
    /// Each record with its expected block (`None` for the warcinfo, checked separately).
    records: Vec<(WrittenRecord, Option<Vec<u8>>)>,
    big_body: Vec<u8>,
}

/// Writes one of each record type, including an incompressible streamed block of `big_len` bytes
/// (multi-MB spills the writer's spool to disk).
fn write_sample(big_len: usize) -> Written {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = WriterOptions::new(dir.path(), "arkiv-test");
    assert_eq!(options.max_size, DEFAULT_MAX_SIZE);
    let mut writer = WarcWriter::new(options, WarcinfoFields::new());
    let mut records = Vec::new();
    let info = WarcinfoFields::new()
        .with("isPartOf", "test-crawl")
        .with("operator", "Tester");
    let warcinfo = writer.write_warcinfo(info).expect("warcinfo");
    records.push((warcinfo, None));

    let page = http_response(b"<html><body>hello</body></html>");
    let meta = HttpRecordMeta {
        target_uri: "http://example.com/",
        date: date(12, 123_456),
        ip_address: "127.0.0.1".parse().ok(),
        concurrent_to: None,
        payload_digest: Some(&sha1_digest(b"<html><body>hello</body></html>")),
        truncated: None,
    };
    let response = writer
        .write_response(&meta, Block::Bytes(&page))
        .expect("response");
    let request = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".to_vec();
    let req_meta = HttpRecordMeta {
        concurrent_to: Some(&response.record_id),
        payload_digest: None,
        ..meta.clone()
    };
    let req = writer
        .write_request(&req_meta, Block::Bytes(&request))
        .expect("request");
    records.push((response.clone(), Some(page.clone())));
    records.push((req, Some(request)));

    let mut rng = Lcg(7);
    let big_body = rng.bytes(big_len);
    let big = http_response(&big_body);
    let mut spool = tempfile::tempfile().expect("spool");
    spool.write_all(&big).expect("spool write");
    spool.rewind().expect("rewind");
    let big_meta = HttpRecordMeta {
        target_uri: "http://example.com/big.bin",
        date: date(13, 1),
        ip_address: None,
        concurrent_to: None,
        payload_digest: Some(&sha1_digest(&big_body)),
        truncated: Some(arkiv::warc::Truncated::Length),
    };
    let block = Block::Reader {
        reader: &mut spool,
        len: big.len() as u64,
        digest: None,
    };
    let big_rec = writer
        .write_response(&big_meta, block)
        .expect("big response");
    records.push((big_rec, Some(big.clone())));

    let head_end = page
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(page.len(), |i| i + 4);
    let revisit_meta = RevisitMeta {
        concurrent_to: None,
        target_uri: "http://example.com/again",
        date: date(14, 0),
        ip_address: None,
        payload_digest: meta.payload_digest.unwrap_or_default(),
        refers_to: &response.record_id,
        refers_to_target_uri: "http://example.com/",
        refers_to_date: date(12, 123_456),
    };
    let revisit = writer
        .write_revisit(&revisit_meta, &page[..head_end])
        .expect("revisit");
    records.push((revisit, Some(page[..head_end].to_vec())));

    let links = [
        Outlink {
            url: "http://example.com/a",
            hop: Hop::Link,
            context: "a/@href",
        },
        Outlink {
            url: "http://example.com/s.css",
            hop: Hop::Embed,
            context: "link/@href",
        },
    ];
    let md_meta = MetadataMeta {
        target_uri: "http://example.com/",
        date: date(12, 123_456),
        concurrent_to: Some(&response.record_id),
    };
    let md = writer.write_metadata(&md_meta, &links).expect("metadata");
    let outlinks =
        b"outlink: http://example.com/a L a/@href\r\noutlink: http://example.com/s.css E link/@href\r\n";
    records.push((md, Some(outlinks.to_vec())));

    let res_meta = ResourceMeta {
        target_uri: "urn:arkiv:notes",
        date: date(15, 0),
        content_type: "text/plain",
        concurrent_to: None,
    };
    let res = writer
        .write_resource(&res_meta, Block::Bytes(b"crawl notes"))
        .expect("resource");
    records.push((res, Some(b"crawl notes".to_vec())));
    let files = writer.close().expect("close");
    Written {
        _dir: dir,
        files,
        records,
        big_body,
    }
}

#[test]
fn records_read_back_identically_with_our_reader() {
    let w = write_sample(5 * 1024 * 1024);
    assert_eq!(w.files.len(), 1, "1 GB default: everything in one file");
    let name = w.files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        name.starts_with("arkiv-test-") && name.ends_with("-00000.warc.gz") && name.len() == 39,
        "{name}"
    );
    let (read, err) = read_all(WarcReader::open(&w.files[0]).expect("open"));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(read.len(), w.records.len());
    let warcinfo_id = &w.records[0].0.record_id;
    for (got, (written, block)) in read.iter().zip(&w.records) {
        let block = block.as_ref().unwrap_or(&got.block);
        assert_eq!(&got.block, block);
        assert_eq!(got.headers.version, "WARC/1.1");
        assert_eq!(
            got.headers.get("WARC-Record-ID"),
            Some(written.record_id.as_str())
        );
        assert_eq!(
            got.headers.get("WARC-Block-Digest"),
            Some(sha1_digest(block).as_str())
        );
        assert_eq!(got.block_digest, written.block_digest);
        assert_eq!(got.headers.content_length(), Some(block.len() as u64));
        assert_eq!(
            (got.offset, got.length),
            (written.location.offset, written.location.length)
        );
        if got.headers.record_type() != Some(RecordType::Warcinfo) {
            assert_eq!(
                got.headers.get("WARC-Warcinfo-ID"),
                Some(warcinfo_id.as_str())
            );
        }
    }
    let types: Vec<_> = read
        .iter()
        .filter_map(|r| r.headers.record_type())
        .collect();
    use RecordType::*;
    assert_eq!(
        types,
        [
            Warcinfo, Response, Request, Response, Revisit, Metadata, Resource
        ]
    );

    let info = String::from_utf8_lossy(&read[0].block).into_owned();
    assert!(
        info.contains("software: arkiv/") && info.contains("isPartOf: test-crawl\r\n"),
        "{info}"
    );
    assert!(read[0].headers.get("WARC-Filename") == Some(name.as_str()));

    let resp = &read[1].headers;
    let names: Vec<&str> = resp.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "WARC-Type",
            "WARC-Record-ID",
            "WARC-Warcinfo-ID",
            "WARC-Target-URI",
            "WARC-Date",
            "WARC-IP-Address",
            "WARC-Block-Digest",
            "WARC-Payload-Digest",
            "Content-Type",
            "Content-Length"
        ]
    );
    assert_eq!(resp.get("WARC-Date"), Some("2026-11-27T03:40:12.123456Z"));
    assert_eq!(resp.get("WARC-Target-URI"), Some("http://example.com/"));
    assert_eq!(
        resp.get("Content-Type"),
        Some("application/http;msgtype=response")
    );
    assert_eq!(
        read[2].headers.get("Content-Type"),
        Some("application/http;msgtype=request")
    );
    assert_eq!(
        read[2].headers.get("WARC-Concurrent-To"),
        Some(w.records[1].0.record_id.as_str())
    );
    let big = &read[3].headers;
    assert_eq!(big.get("WARC-Truncated"), Some("length"));
    assert_eq!(
        big.get("WARC-Payload-Digest"),
        Some(sha1_digest(&w.big_body).as_str())
    );
    let revisit = &read[4].headers;
    assert_eq!(
        revisit.get("WARC-Profile"),
        Some(REVISIT_PROFILE_IDENTICAL_PAYLOAD)
    );
    assert_eq!(
        revisit.get("WARC-Refers-To"),
        Some(w.records[1].0.record_id.as_str())
    );
    assert_eq!(
        revisit.get("WARC-Refers-To-Target-URI"),
        Some("http://example.com/")
    );
    assert_eq!(
        revisit.get("WARC-Refers-To-Date"),
        Some("2026-11-27T03:40:12.123456Z")
    );
    assert_eq!(revisit.get("WARC-Truncated"), None);
    assert_eq!(
        read[5].headers.get("Content-Type"),
        Some("application/warc-fields")
    );
    let res = &read[6].headers;
    assert_eq!(res.get("WARC-Payload-Digest"), res.get("WARC-Block-Digest"));
}

#[test]
fn records_read_back_identically_with_the_warc_crate() {
    let w = write_sample(5 * 1024 * 1024);
    let reader = warc::WarcReader::from_path_gzip(&w.files[0]).expect("warc crate opens the file");
    let mut count = 0;
    for (record, (written, block)) in reader.iter_records().zip(&w.records) {
        let record = record.expect("warc crate parses every record");
        if let Some(block) = block {
            assert_eq!(record.body(), block.as_slice());
        }
        assert_eq!(record.warc_id(), written.record_id);
        assert_eq!(record.warc_version(), "1.1");
        let digest = record
            .header(warc::WarcHeader::BlockDigest)
            .map(|d| d.into_owned());
        assert_eq!(digest, Some(sha1_digest(record.body())));
        count += 1;
    }
    assert_eq!(count, w.records.len());
}

#[test]
fn each_cdxj_offset_is_a_gzip_member_that_decompresses_alone() {
    let w = write_sample(256 * 1024);
    let file = &w.files[0];
    let entries = index_warc(file).expect("index");
    // warcinfo, request and the outlinks metadata (application/warc-fields) are not indexed.
    assert_eq!(entries.len(), 4, "{entries:#?}");
    let bytes = fs_err::read(file).expect("read warc");
    for entry in &entries {
        let start = entry.offset as usize;
        let member = &bytes[start..start + entry.length as usize];
        let mut decoder = flate2::read::GzDecoder::new(member);
        let mut record = Vec::new();
        decoder
            .read_to_end(&mut record)
            .expect("member decompresses alone");
        assert!(record.starts_with(b"WARC/1.1\r\n") && record.ends_with(b"\r\n\r\n"));
        let target = format!("WARC-Target-URI: {}\r\n", entry.url);
        assert!(
            record
                .windows(target.len())
                .any(|win| win == target.as_bytes())
        );
        let (headers, _block) = read_record_at(file, entry.offset).expect("random access");
        assert_eq!(headers.get("WARC-Target-URI"), Some(entry.url.as_str()));
    }
    let first = &entries[0];
    assert_eq!(first.surt, "com,example)/");
    assert_eq!(first.timestamp, "20261127034012");
    assert_eq!(first.mime.as_deref(), Some("text/html"));
    assert_eq!(first.status.as_deref(), Some("200"));
    assert_eq!(
        first.digest.as_deref(),
        Some(sha1_digest(b"<html><body>hello</body></html>").as_str())
    );
    let revisit = entries
        .iter()
        .find(|e| e.url.ends_with("/again"))
        .expect("revisit indexed");
    assert_eq!(
        (revisit.mime.as_deref(), revisit.status.as_deref()),
        (Some("warc/revisit"), Some("200"))
    );
    let resource = entries
        .iter()
        .find(|e| e.url.starts_with("urn:"))
        .expect("resource indexed");
    assert_eq!(
        (resource.mime.as_deref(), resource.status.as_deref()),
        (Some("text/plain"), None)
    );

    let index = w._dir.path().join("index.cdxj");
    write_index(&index, &entries).expect("write index");
    let text = fs_err::read_to_string(&index).expect("read index");
    let lines: Vec<&str> = text.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "lines are sorted bytewise");
    let mut back: Vec<CdxjEntry> = read_index(&index).expect("parse index");
    let mut expected = entries.clone();
    back.sort_by_key(|e| e.offset);
    expected.sort_by_key(|e| e.offset);
    assert_eq!(back, expected);
}

#[test]
fn rotation_starts_every_file_with_its_own_warcinfo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = WriterOptions::new(dir.path(), "rot").with_max_size(3000);
    let mut writer = WarcWriter::new(options, WarcinfoFields::new().with("isPartOf", "rotation"));
    let mut rng = Lcg(42);
    for i in 0..12 {
        let body = rng.bytes(700 + i * 50);
        let uri = format!("http://example.com/{i}");
        let meta = http_meta(&uri, date(20, i as i64));
        writer
            .write_response(&meta, Block::Bytes(&http_response(&body)))
            .expect("write");
    }
    let files = writer.close().expect("close");
    assert!(
        files.len() >= 4,
        "expected several files, got {}",
        files.len()
    );
    let mut total = 0;
    for (serial, file) in files.iter().enumerate() {
        let name = file.to_string_lossy();
        assert!(name.ends_with(&format!("-{serial:05}.warc.gz")), "{name}");
        let (read, err) = read_all(WarcReader::open(file).expect("open"));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(read[0].headers.record_type(), Some(RecordType::Warcinfo));
        assert!(String::from_utf8_lossy(&read[0].block).contains("isPartOf: rotation"));
        let info_id = read[0].headers.get("WARC-Record-ID");
        for rec in &read[1..] {
            assert_eq!(rec.headers.get("WARC-Warcinfo-ID"), info_id);
        }
        let size = fs_err::metadata(file).expect("stat").len();
        assert!(
            size <= 3000 || read.len() == 2,
            "{name}: {size} bytes, {} records",
            read.len()
        );
        total += read.len() - 1;
    }
    assert_eq!(total, 12);
}

#[test]
fn a_hostile_target_uri_cannot_inject_a_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = WarcWriter::new(
        WriterOptions::new(dir.path(), "evil"),
        WarcinfoFields::new(),
    );
    let evil = "http://example.com/\r\nWARC-Type: resource\r\nX-Injected: yes";
    let meta = http_meta(evil, date(40, 0));
    let result = writer.write_response(&meta, Block::Bytes(b"HTTP/1.1 200 OK\r\n\r\n"));
    assert!(matches!(result, Err(WriteError::Record(_))), "{result:?}");
    let links = [Outlink {
        url: "http://example.com/\nX: y",
        hop: Hop::Link,
        context: "a/@href",
    }];
    let md = MetadataMeta {
        target_uri: "http://example.com/",
        date: date(40, 0),
        concurrent_to: None,
    };
    assert!(writer.write_metadata(&md, &links).is_err());
    let ok = HttpRecordMeta {
        target_uri: "http://example.com/ok",
        ..meta
    };
    writer
        .write_response(&ok, Block::Bytes(b"HTTP/1.1 200 OK\r\n\r\n"))
        .expect("still usable");
    let files = writer.close().expect("close");
    let (read, err) = read_all(WarcReader::open(&files[0]).expect("open"));
    assert!(err.is_none());
    assert_eq!(read.len(), 2, "warcinfo and the good response only");
    assert!(read.iter().all(|r| r.headers.get("X-Injected").is_none()));
}

#[test]
fn a_short_block_reader_is_an_error_not_a_short_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = WarcWriter::new(
        WriterOptions::new(dir.path(), "short"),
        WarcinfoFields::new(),
    );
    let mut cursor = std::io::Cursor::new(b"HTTP/1.1 200 OK\r\n\r\nabc".to_vec());
    let meta = http_meta("http://example.com/", date(41, 0));
    let result = writer.write_response(
        &meta,
        Block::Reader {
            reader: &mut cursor,
            len: 100,
            digest: None,
        },
    );
    assert!(
        matches!(
            result,
            Err(WriteError::ShortBlock {
                expected: 100,
                got: 22
            })
        ),
        "{result:?}"
    );
}

#[test]
fn a_block_digest_given_by_the_caller_is_checked_against_the_bytes_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = WarcWriter::new(
        WriterOptions::new(dir.path(), "given"),
        WarcinfoFields::new(),
    );
    let block = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".to_vec();
    let right = arkiv::warc::digest::sha1_digest(&block);
    let meta = http_meta("http://example.com/right", date(42, 0));
    let mut cursor = std::io::Cursor::new(block.clone());
    let written = writer
        .write_response(
            &meta,
            Block::Reader {
                reader: &mut cursor,
                len: block.len() as u64,
                digest: Some(&right),
            },
        )
        .expect("a right digest is written");
    assert_eq!(written.block_digest, right);

    // A digest that is not the bytes' is refused, and nothing of that record lands in the file.
    let wrong = arkiv::warc::digest::sha1_digest(b"other bytes");
    let meta = http_meta("http://example.com/wrong", date(43, 0));
    let mut cursor = std::io::Cursor::new(block.clone());
    let result = writer.write_response(
        &meta,
        Block::Reader {
            reader: &mut cursor,
            len: block.len() as u64,
            digest: Some(&wrong),
        },
    );
    assert!(
        matches!(result, Err(WriteError::BlockChanged)),
        "{result:?}"
    );
    let files = writer.close().expect("close");
    let (read, err) = read_all(WarcReader::open(&files[0]).expect("open"));
    assert!(err.is_none());
    let uris: Vec<_> = read
        .iter()
        .filter_map(|r| r.headers.get("WARC-Target-URI").map(str::to_string))
        .collect();
    assert_eq!(uris, ["http://example.com/right"]);
    let digest = read[1].headers.get("WARC-Block-Digest").unwrap();
    assert_eq!(digest, right);
}
