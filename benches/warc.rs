//! WARC records written (SHA-1 block digest + one gzip member each) and read back, in MB/s of
//! record block; and the mirror's way of reading one body at a time from its offset.
//!
//! The records are HTTP responses as a documentation site sends them: two thirds HTML pages of
//! about 30 KB (text that compresses well), one third images of about 20 KB (noise that does
//! not). Files go to a temp folder; nothing touches the network.

use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use arkiv::mirror::catalog::{Capture, RecordRef, WarcFile};
use arkiv::mirror::payload::read_body;
use arkiv::warc::reader::WarcReader;
use arkiv::warc::writer::{Block, HttpRecordMeta, WarcWriter, WarcinfoFields, WriterOptions};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

/// Records per measured batch, and in the WARC that is read back.
const RECORDS: usize = 300;

/// A small xorshift generator: deterministic noise with no dependency.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, out: &mut Vec<u8>, len: usize) {
        for _ in 0..len {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            out.push(self.0 as u8);
        }
    }
}

/// One HTTP response message (status line, headers, body) per record.
fn messages() -> Vec<(String, Vec<u8>)> {
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    (0..RECORDS)
        .map(|i| {
            let (mime, body) = if i % 3 == 2 {
                let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
                noise.fill(&mut body, 20_000 + (i * 37) % 4000);
                ("image/png", body)
            } else {
                let mut body = String::from("<!DOCTYPE html><html><head><title>Page</title></head><body>\n");
                let mut k = 0;
                while body.len() < 30_000 + (i * 53) % 6000 {
                    body.push_str(&format!(
                        "<p>Paragraph {k} of page {i}: the crawler writes each record as its own gzip member. \
                         <a href=\"../section-{}/page-{k}.html\">Next topic</a></p>\n",
                        k % 9
                    ));
                    k += 1;
                }
                body.push_str("</body></html>\n");
                ("text/html; charset=utf-8", body.into_bytes())
            };
            let mut message = format!(
                "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 05:00:00 GMT\r\n\
                 Content-Type: {mime}\r\nContent-Length: {}\r\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n\
                 Connection: keep-alive\r\nETag: \"{i:x}-abc\"\r\nAccept-Ranges: bytes\r\n\r\n",
                body.len()
            )
            .into_bytes();
            message.extend_from_slice(&body);
            (format!("https://docs.example.org/section-{}/page-{i}.html", i % 9), message)
        })
        .collect()
}

fn date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 5, 0, 0).unwrap()
}

fn meta(uri: &str) -> HttpRecordMeta<'_> {
    HttpRecordMeta {
        target_uri: uri,
        date: date(),
        ip_address: Some("127.0.0.1".parse().unwrap()),
        concurrent_to: None,
        payload_digest: Some("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"),
        truncated: None,
    }
}

fn writer_in(dir: &Path) -> WarcWriter {
    WarcWriter::new(WriterOptions::new(dir, "bench"), WarcinfoFields::new())
}

/// Writes every message as a response record into a fresh WARC in `dir`; returns its path and
/// each record's offset.
fn write_all(dir: &Path, messages: &[(String, Vec<u8>)]) -> (PathBuf, Vec<u64>) {
    let mut writer = writer_in(dir);
    let offsets = messages
        .iter()
        .map(|(uri, message)| {
            writer
                .write_response(&meta(uri), Block::Bytes(message))
                .unwrap()
                .location
                .offset
        })
        .collect();
    let files = writer.close().unwrap();
    (files[0].clone(), offsets)
}

fn writing(c: &mut Criterion) {
    let messages = messages();
    let bytes: usize = messages.iter().map(|(_, m)| m.len()).sum();
    let mut group = c.benchmark_group("warc write");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    // As the crawl writes a response: the block comes from a reader (its spool), digested in one
    // pass and compressed (and digested again, to prove it unchanged) in a second.
    group.bench_function("write_response, block from a reader (300 records)", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let mut writer = writer_in(dir.path());
                for (uri, message) in &messages {
                    let mut reader = Cursor::new(message.as_slice());
                    writer
                        .write_response(
                            &meta(uri),
                            Block::Reader {
                                reader: &mut reader,
                                len: message.len() as u64,
                                digest: None,
                            },
                        )
                        .unwrap();
                }
                // Dropped outside the timing: the drop's fsync is the disk's cost, not ours.
                (writer, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("write_response, block in memory (300 records)", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let mut writer = writer_in(dir.path());
                for (uri, message) in &messages {
                    writer
                        .write_response(&meta(uri), Block::Bytes(message))
                        .unwrap();
                }
                (writer, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn reading(c: &mut Criterion) {
    let messages = messages();
    let bytes: usize = messages.iter().map(|(_, m)| m.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    let (path, offsets) = write_all(dir.path(), &messages);
    let mut group = c.benchmark_group("warc read");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    // As `arkiv verify` and the CDXJ indexer read: every record in order, every block whole,
    // its digest recomputed.
    group.bench_function("sequential, every block (300 records)", |b| {
        let mut buf = vec![0u8; 64 * 1024];
        b.iter(|| {
            let mut reader = WarcReader::open(&path).unwrap();
            let mut total = 0;
            while reader.next_record().unwrap().is_some() {
                loop {
                    let n = reader.read_block(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                black_box(reader.finish_record().unwrap());
            }
            total
        })
    });
    // As the mirror reads: one body at a time from the record's offset (open, seek, inflate, skip
    // the HTTP head), once per document.
    let file = WarcFile::here(&path.file_name().unwrap().to_string_lossy());
    let captures: Vec<Capture> = messages
        .iter()
        .zip(&offsets)
        .map(|((uri, _), offset)| {
            let at = RecordRef {
                file: file.clone(),
                offset: *offset,
            };
            Capture {
                url: Url::parse(uri).unwrap(),
                date: "20261202050000".into(),
                status: 200,
                mime: "text/html".into(),
                content_type: Some("text/html; charset=utf-8".into()),
                location: None,
                payload_digest: None,
                truncated: false,
                payload_at: at.clone(),
                record: at,
                rendered: None,
            }
        })
        .collect();
    group.bench_function("mirror's read_body at each offset (300 records)", |b| {
        b.iter(|| {
            captures
                .iter()
                .map(|capture| read_body(dir.path(), capture, 64 << 20).unwrap().len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, writing, reading);
criterion_main!(benches);
