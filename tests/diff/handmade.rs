//! Crawl folders written record by record with arkiv's WARC writer, for what a live crawl of a
//! test site cannot be made to produce on cue: retries, cut-short records, chunked and
//! gzip-encoded bodies, revisits of records in another crawl (`--dedup-from`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use arkiv::warc::digest::sha1_digest;
use arkiv::warc::{
    Block, HttpRecordMeta, RevisitMeta, Truncated, WarcWriter, WarcinfoFields, WriterOptions,
    WrittenRecord, index_warc, write_index,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// An output folder (`warc/`, `indexes/index.cdxj`) being written.
pub struct Handmade {
    pub dir: PathBuf,
    writer: WarcWriter,
    date: DateTime<Utc>,
}

/// What a revisit refers to: a record written earlier (by this or another [`Handmade`]).
#[derive(Clone)]
pub struct Original {
    pub id: String,
    pub url: String,
    pub date: DateTime<Utc>,
    pub digest: String,
}

impl Handmade {
    /// A crawl whose first record is dated `year`-01-01.
    pub fn new(dir: &Path, year: i32) -> Handmade {
        fs_err::create_dir_all(dir.join("warc")).expect("warc/");
        fs_err::create_dir_all(dir.join("indexes")).expect("indexes/");
        let writer = WarcWriter::new(
            WriterOptions::new(dir.join("warc"), "arkiv"),
            WarcinfoFields::new(),
        );
        Handmade {
            dir: dir.to_path_buf(),
            writer,
            date: Utc
                .with_ymd_and_hms(year, 1, 1, 12, 0, 0)
                .single()
                .expect("date"),
        }
    }

    fn next_date(&mut self) -> DateTime<Utc> {
        self.date += Duration::seconds(1);
        self.date
    }

    /// A response: `head` is the status line and headers (each ending in CRLF, no blank line),
    /// `wire` the body as sent, `payload` the body without chunk framing (what the digest covers).
    fn write(
        &mut self,
        url: &str,
        head: &str,
        wire: &[u8],
        payload: &[u8],
        truncated: Option<Truncated>,
    ) -> Original {
        let mut message = head.as_bytes().to_vec();
        message.extend_from_slice(b"\r\n");
        message.extend_from_slice(wire);
        let digest = sha1_digest(payload);
        let date = self.next_date();
        let written: WrittenRecord = self
            .writer
            .write_response(
                &HttpRecordMeta {
                    target_uri: url,
                    date,
                    ip_address: None,
                    concurrent_to: None,
                    payload_digest: Some(&digest),
                    truncated,
                },
                Block::Bytes(&message),
            )
            .expect("write response");
        Original {
            id: written.record_id,
            url: url.to_owned(),
            date,
            digest,
        }
    }

    /// A response with `Content-Length`.
    pub fn response(&mut self, url: &str, status_and_headers: &str, body: &[u8]) -> Original {
        let head = format!("{status_and_headers}Content-Length: {}\r\n", body.len());
        self.write(url, &head, body, body, None)
    }

    /// A response cut short after `keep` of its bytes (`WARC-Truncated: length`).
    pub fn cut_short(
        &mut self,
        url: &str,
        status_and_headers: &str,
        body: &[u8],
        keep: usize,
    ) -> Original {
        let head = format!("{status_and_headers}Content-Length: {}\r\n", body.len());
        self.write(
            url,
            &head,
            &body[..keep],
            &body[..keep],
            Some(Truncated::Length),
        )
    }

    /// A response sent with `Transfer-Encoding: chunked`, in chunks of `size` bytes.
    pub fn chunked(
        &mut self,
        url: &str,
        status_and_headers: &str,
        body: &[u8],
        size: usize,
    ) -> Original {
        let mut wire = Vec::new();
        for chunk in body.chunks(size) {
            write!(wire, "{:X}\r\n", chunk.len()).expect("write");
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let head = format!("{status_and_headers}Transfer-Encoding: chunked\r\n");
        self.write(url, &head, &wire, body, None)
    }

    /// A response sent with `Content-Encoding: gzip`.
    pub fn gzipped(&mut self, url: &str, status_and_headers: &str, body: &[u8]) -> Original {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(body).expect("gzip");
        let gz = encoder.finish().expect("gzip");
        let head = format!(
            "{status_and_headers}Content-Encoding: gzip\r\nContent-Length: {}\r\n",
            gz.len()
        );
        self.write(url, &head, &gz, &gz, None)
    }

    /// An identical-payload-digest revisit of `original` (which may be in another crawl).
    pub fn revisit(&mut self, url: &str, status_and_headers: &str, original: &Original) {
        let head = format!("{status_and_headers}\r\n");
        let date = self.next_date();
        self.writer
            .write_revisit(
                &RevisitMeta {
                    target_uri: url,
                    date,
                    ip_address: None,
                    concurrent_to: None,
                    payload_digest: &original.digest,
                    refers_to: &original.id,
                    refers_to_target_uri: &original.url,
                    refers_to_date: original.date,
                },
                head.as_bytes(),
            )
            .expect("write revisit");
    }

    /// Closes the WARC file and writes the CDXJ index, as a crawl does at its end.
    pub fn finish(self) -> PathBuf {
        let files = self.writer.close().expect("close the WARC file");
        let mut entries = Vec::new();
        for file in &files {
            entries.extend(index_warc(file).expect("index"));
        }
        write_index(&self.dir.join("indexes/index.cdxj"), &entries).expect("write index");
        self.dir
    }
}
