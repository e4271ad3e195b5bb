//! The first capture of every payload archived in this crawl, by payload digest: what a later
//! response with the same payload points at as a `revisit`. Kept on disk (SQLite in
//! `<out>/state/captures.sqlite3`), so the table does not grow in memory with the site; it is a
//! cache of what the WARC holds, rebuilt from the WARC when a crawl resumes, so it needs no
//! durability of its own (no journal, no fsync).
//!
//! With `--dedup-from`, a second table holds where the earlier crawl keeps each of its payloads
//! (its index's file and offset, seeded on every start); a hit there is turned into a first
//! capture by reading the earlier record's header.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Inserts committed at once (a transaction per batch, not per record).
const BATCH: u32 = 512;

/// An earlier capture of a payload, for revisit records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstCapture {
    pub record_id: String,
    pub uri: String,
    pub date: DateTime<Utc>,
}

/// The table of first captures.
pub struct Captures {
    conn: Connection,
    path: PathBuf,
    pending: u32,
}

impl std::fmt::Debug for Captures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captures")
            .field("path", &self.path)
            .finish()
    }
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> anyhow::Error + '_ {
    move |err| anyhow::anyhow!("{}: {err}", path.display())
}

impl Captures {
    /// A fresh, empty table at `path` (what an earlier run left there is replaced).
    pub fn create(path: &Path) -> anyhow::Result<Captures> {
        for stale in [path.to_path_buf(), path.with_extension("sqlite3-journal")] {
            if stale.exists() {
                fs_err::remove_file(&stale)?;
            }
        }
        let conn = Connection::open(path).map_err(sql(path))?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             CREATE TABLE captures (
                 digest TEXT PRIMARY KEY,
                 record_id TEXT NOT NULL,
                 uri TEXT NOT NULL,
                 date TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE earlier (
                 digest TEXT PRIMARY KEY,
                 file TEXT NOT NULL,
                 offset INTEGER NOT NULL
             ) WITHOUT ROWID;
             BEGIN;",
        )
        .map_err(sql(path))?;
        Ok(Captures {
            conn,
            path: path.to_path_buf(),
            pending: 0,
        })
    }

    /// The first capture of `digest`, if there is one.
    pub fn get(&self, digest: &str) -> anyhow::Result<Option<FirstCapture>> {
        let row = self
            .conn
            .prepare_cached("SELECT record_id, uri, date FROM captures WHERE digest = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![digest], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })
                .optional()
            })
            .map_err(sql(&self.path))?;
        Ok(row.map(|(record_id, uri, date)| FirstCapture {
            record_id,
            uri,
            date: DateTime::parse_from_rfc3339(&date)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
        }))
    }

    /// Notes the first capture of `digest` (a later one of the same digest is ignored).
    pub fn insert(&mut self, digest: &str, capture: &FirstCapture) -> anyhow::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO captures (digest, record_id, uri, date)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    digest,
                    capture.record_id,
                    capture.uri,
                    capture.date.to_rfc3339()
                ])
            })
            .map_err(sql(&self.path))?;
        self.counted()
    }

    /// Notes where the earlier crawl holds `digest` (the first place noted wins).
    pub fn insert_earlier(&mut self, digest: &str, file: &str, offset: u64) -> anyhow::Result<()> {
        let offset = i64::try_from(offset)?;
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO earlier (digest, file, offset) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut stmt| stmt.execute(params![digest, file, offset]))
            .map_err(sql(&self.path))?;
        self.counted()
    }

    /// Where the earlier crawl holds `digest`: its WARC file name and the record's offset.
    pub fn get_earlier(&self, digest: &str) -> anyhow::Result<Option<(String, u64)>> {
        let row = self
            .conn
            .prepare_cached("SELECT file, offset FROM earlier WHERE digest = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![digest], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .optional()
            })
            .map_err(sql(&self.path))?;
        Ok(row.and_then(|(file, offset)| Some((file, u64::try_from(offset).ok()?))))
    }

    fn counted(&mut self) -> anyhow::Result<()> {
        self.pending += 1;
        if self.pending >= BATCH {
            self.conn
                .execute_batch("COMMIT; BEGIN;")
                .map_err(sql(&self.path))?;
            self.pending = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_capture_of_a_digest_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("captures.sqlite3");
        let mut captures = Captures::create(&path).unwrap();
        let first = FirstCapture {
            record_id: "<urn:uuid:1>".into(),
            uri: "http://h/a".into(),
            date: Utc::now(),
        };
        assert_eq!(captures.get("sha1:X").unwrap(), None);
        captures.insert("sha1:X", &first).unwrap();
        let later = FirstCapture {
            uri: "http://h/b".into(),
            ..first.clone()
        };
        captures.insert("sha1:X", &later).unwrap();
        let got = captures.get("sha1:X").unwrap().unwrap();
        assert_eq!(got.uri, "http://h/a");
        for n in 0..2 * BATCH {
            captures.insert(&format!("sha1:{n}"), &first).unwrap();
        }
        assert!(captures.get("sha1:7").unwrap().is_some());
        assert_eq!(captures.get_earlier("sha1:X").unwrap(), None);
        captures.insert_earlier("sha1:X", "old.warc.gz", 7).unwrap();
        captures
            .insert_earlier("sha1:X", "other.warc.gz", 9)
            .unwrap();
        assert_eq!(
            captures.get_earlier("sha1:X").unwrap(),
            Some(("old.warc.gz".to_string(), 7))
        );
        // A new crawl starts from nothing.
        drop(captures);
        assert_eq!(
            Captures::create(&path).unwrap().get("sha1:X").unwrap(),
            None
        );
    }
}
