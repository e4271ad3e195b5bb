//! An earlier crawl that a new one deduplicates against (`arkiv crawl --dedup-from OLD`): a
//! payload OLD already holds is written as a `revisit` record pointing at OLD's response, and
//! whatever reads the new crawl (its mirror, `arkiv wacz`) takes the payload from OLD.
//!
//! OLD is an arkiv output folder: `arkiv.toml`, `warc/*.warc.gz` and `indexes/index.cdxj`. Its
//! index says where each payload is (digest, file, offset); the record's id and exact date are
//! read from its WARC file at that offset, when a payload is hit. OLD is only ever read.
//!
//! The new crawl names OLD (an absolute path) in its warcinfo record ([`DEDUP_FROM_FIELD`]) and in
//! its `arkiv.toml` (`dedup-from`), so that readers of the new crawl find it and `--resume` keeps
//! deduplicating.

mod referred;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::warc::reader::WarcReader;
use crate::warc::{CdxjEntry, ReadError, RecordType};

pub use referred::{ReferredIndex, RefersTo};

/// The warcinfo field that names the folder of the crawl a crawl deduplicates against.
pub const DEDUP_FROM_FIELD: &str = "arkiv-dedup-from";

/// Why an earlier crawl cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("{0} is missing or not a folder")]
    NotAFolder(String),
    #[error("{folder} is not the output folder of an `arkiv crawl`: it has no {missing}")]
    NotACrawl { folder: String, missing: String },
    #[error("{0} is the output folder of this crawl itself")]
    SameFolder(String),
    #[error("{old} and {out} lie one inside the other; the output folder must be separate")]
    Nested { old: String, out: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} line {line}: {detail}")]
    Index {
        path: String,
        line: usize,
        detail: String,
    },
    #[error("{0}")]
    Warc(#[from] ReadError),
    #[error("{file}: index offset {offset} holds no usable record ({detail})")]
    BadRecord {
        file: String,
        offset: u64,
        detail: String,
    },
}

/// The earlier crawl's folder, checked.
#[derive(Debug, Clone)]
pub struct EarlierCrawl {
    dir: PathBuf,
}

/// A payload the earlier crawl holds as a whole `2xx` response: one line of its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierPayload {
    pub digest: String,
    pub url: String,
    /// `YYYYMMDDhhmmss`.
    pub timestamp: String,
    /// WARC file name in the earlier crawl's `warc/`.
    pub file: String,
    pub offset: u64,
    pub length: u64,
}

/// What an earlier record says of itself (read from its WARC header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierRecord {
    pub record_id: String,
    pub uri: String,
    /// The record's `WARC-Date` as written.
    pub date_text: String,
    pub date: DateTime<Utc>,
    pub payload_digest: Option<String>,
    pub truncated: bool,
}

/// Whether an index line stands for a payload later crawls can point at: a `2xx` response with
/// a payload digest (revisits, metadata and error pages are not).
pub fn is_reusable(entry: &CdxjEntry) -> bool {
    let status_2xx = entry
        .status
        .as_deref()
        .and_then(|s| s.parse::<u16>().ok())
        .is_some_and(|s| (200..300).contains(&s));
    status_2xx && entry.mime.as_deref() != Some("warc/revisit") && entry.digest.is_some()
}

/// A WARC file name from an index: a plain name, never a path that could lead out of `warc/`.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && !name.starts_with('.')
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The real location of `path` (links resolved) when it exists, else its absolute form.
fn resolved(path: &Path) -> PathBuf {
    fs_err::canonicalize(path).unwrap_or_else(|_| absolute(path))
}

impl EarlierCrawl {
    /// Opens `dir` as an earlier crawl: it must hold `arkiv.toml`, `warc/` and
    /// `indexes/index.cdxj`.
    pub fn open(dir: &Path) -> Result<EarlierCrawl, DedupError> {
        if !dir.is_dir() {
            return Err(DedupError::NotAFolder(dir.display().to_string()));
        }
        for (path, missing) in [
            ("arkiv.toml", "arkiv.toml"),
            (
                "indexes/index.cdxj",
                "indexes/index.cdxj (a finished crawl has one)",
            ),
        ] {
            if !dir.join(path).is_file() {
                return Err(DedupError::NotACrawl {
                    folder: dir.display().to_string(),
                    missing: missing.to_string(),
                });
            }
        }
        if !dir.join("warc").is_dir() {
            return Err(DedupError::NotACrawl {
                folder: dir.display().to_string(),
                missing: "warc/ folder".to_string(),
            });
        }
        Ok(EarlierCrawl { dir: resolved(dir) })
    }

    /// Opens `old` for a crawl into `out`: also refuses `out` itself, and folders inside one
    /// another (a crawl never writes into the folder it deduplicates against).
    pub fn open_for(old: &Path, out: &Path) -> Result<EarlierCrawl, DedupError> {
        let (old_real, out_real) = (resolved(old), resolved(out));
        if old_real == out_real {
            return Err(DedupError::SameFolder(old.display().to_string()));
        }
        if out_real.starts_with(&old_real) || old_real.starts_with(&out_real) {
            return Err(DedupError::Nested {
                old: old.display().to_string(),
                out: out.display().to_string(),
            });
        }
        EarlierCrawl::open(old)
    }

    /// The folder (absolute, links resolved).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn warc_dir(&self) -> PathBuf {
        self.dir.join("warc")
    }

    pub fn index_path(&self) -> PathBuf {
        self.dir.join("indexes").join("index.cdxj")
    }

    /// The path of one of its WARC files (`None` for a name that is not a plain file name).
    pub fn warc_path(&self, file: &str) -> Option<PathBuf> {
        is_plain_file_name(file).then(|| self.warc_dir().join(file))
    }

    /// Calls `each` with every payload of the index that later crawls can point at, in index
    /// order, reading the index one line at a time.
    pub fn for_each_payload(
        &self,
        mut each: impl FnMut(EarlierPayload) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let path = self.index_path();
        let io_err = |source| DedupError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = fs_err::File::open(&path).map_err(io_err)?;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io_err)?;
            if line.trim().is_empty() || line.starts_with('!') {
                continue;
            }
            let entry = CdxjEntry::parse(&line, i + 1).map_err(|e| DedupError::Index {
                path: path.display().to_string(),
                line: i + 1,
                detail: e.to_string(),
            })?;
            if !is_reusable(&entry) || !is_plain_file_name(&entry.filename) {
                continue;
            }
            let Some(digest) = entry.digest else { continue };
            each(EarlierPayload {
                digest,
                url: entry.url,
                timestamp: entry.timestamp,
                file: entry.filename,
                offset: entry.offset,
                length: entry.length,
            })?;
        }
        Ok(())
    }

    /// Reads the header of the record at `offset` of `file`: it must be a `response`.
    pub fn record_at(&self, file: &str, offset: u64) -> Result<EarlierRecord, DedupError> {
        let bad = |detail: &str| DedupError::BadRecord {
            file: file.to_string(),
            offset,
            detail: detail.to_string(),
        };
        let path = self
            .warc_path(file)
            .ok_or_else(|| bad("not a WARC file name"))?;
        let mut reader = WarcReader::open_at(&path, offset)?;
        let head = reader
            .next_record()?
            .ok_or_else(|| bad("no record there"))?;
        let h = &head.headers;
        if h.record_type() != Some(RecordType::Response) {
            return Err(bad("not a response record"));
        }
        let record_id = h
            .get("WARC-Record-ID")
            .ok_or_else(|| bad("no WARC-Record-ID"))?;
        let uri = h
            .get("WARC-Target-URI")
            .ok_or_else(|| bad("no WARC-Target-URI"))?;
        let date_text = h.get("WARC-Date").ok_or_else(|| bad("no WARC-Date"))?;
        let date = DateTime::parse_from_rfc3339(date_text)
            .map_err(|_| bad("a WARC-Date that is not a date"))?
            .with_timezone(&Utc);
        Ok(EarlierRecord {
            record_id: record_id.to_string(),
            uri: uri.to_string(),
            date_text: date_text.to_string(),
            date,
            payload_digest: h.get("WARC-Payload-Digest").map(str::to_string),
            truncated: h.get("WARC-Truncated").is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: Option<&str>, mime: &str, digest: Option<&str>) -> CdxjEntry {
        CdxjEntry {
            surt: "h)/".into(),
            timestamp: "20261202000000".into(),
            url: "http://h/".into(),
            mime: Some(mime.into()),
            status: status.map(str::to_string),
            digest: digest.map(str::to_string),
            length: 10,
            offset: 0,
            filename: "a.warc.gz".into(),
        }
    }

    #[test]
    fn only_whole_2xx_responses_are_reused() {
        assert!(is_reusable(&entry(
            Some("200"),
            "text/html",
            Some("sha1:A")
        )));
        assert!(is_reusable(&entry(
            Some("206"),
            "image/png",
            Some("sha1:A")
        )));
        assert!(!is_reusable(&entry(
            Some("404"),
            "text/html",
            Some("sha1:A")
        )));
        assert!(!is_reusable(&entry(
            Some("301"),
            "text/html",
            Some("sha1:A")
        )));
        assert!(!is_reusable(&entry(
            Some("200"),
            "warc/revisit",
            Some("sha1:A")
        )));
        assert!(!is_reusable(&entry(Some("200"), "text/html", None)));
        assert!(!is_reusable(&entry(
            None,
            "application/x-arkiv",
            Some("sha1:A")
        )));
    }

    #[test]
    fn index_file_names_stay_in_warc() {
        assert!(is_plain_file_name("arkiv-20261202-00000.warc.gz"));
        for bad in [
            "",
            "..",
            ".",
            "../x.warc.gz",
            "a/b.warc.gz",
            "a\\b",
            ".hidden",
        ] {
            assert!(!is_plain_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_folder_without_a_crawl_is_refused_and_so_is_the_output_itself() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        fs_err::create_dir_all(old.join("warc")).unwrap();
        assert!(matches!(
            EarlierCrawl::open(&old),
            Err(DedupError::NotACrawl { .. })
        ));
        assert!(matches!(
            EarlierCrawl::open(&dir.path().join("none")),
            Err(DedupError::NotAFolder(_))
        ));
        fs_err::write(old.join("arkiv.toml"), "").unwrap();
        fs_err::create_dir_all(old.join("indexes")).unwrap();
        fs_err::write(old.join("indexes/index.cdxj"), "").unwrap();
        assert!(EarlierCrawl::open(&old).is_ok());
        assert!(matches!(
            EarlierCrawl::open_for(&old, &old),
            Err(DedupError::SameFolder(_))
        ));
        assert!(matches!(
            EarlierCrawl::open_for(&old, &old.join("new")),
            Err(DedupError::Nested { .. })
        ));
        assert!(EarlierCrawl::open_for(&old, &dir.path().join("new")).is_ok());
    }
}
