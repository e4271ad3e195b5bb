//! The persisted crawl state (`<out>/state/crawl.sqlite3`): every URL taken, whether it is
//! waiting, archived, failed or declined, its retry count, and what robots.txt said per origin.
//!
//! SQLite in WAL mode on its own thread, fed through a bounded channel and committed in batched
//! transactions (whatever is waiting goes into one). The WARC files are the truth about what is
//! archived, and resume re-checks the state against them (see `resume.rs`); what the state must
//! not lose is the links of a page whose record reached the WARC, because that page is never
//! fetched again. So commits are `synchronous=FULL`: they survive power loss, not just a killed
//! process, and the scheduler waits for them before handing the page to the archive.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::task::{Hop, Task};
use super::traps::FamilyRecord;
use crate::outcome::{Decline, Outcome};
use crate::report::summary::{Failure, Tally};

/// The database file inside `<out>/state/`.
pub const STATE_FILE: &str = "crawl.sqlite3";
/// Batches queued for the state thread. Small on purpose: back-pressure, not memory.
const CHANNEL_CAPACITY: usize = 64;

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("crawl state {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("crawl state {0}: the state writer stopped")]
    Stopped(PathBuf),
    #[error("starting the crawl state thread: {0}")]
    Spawn(std::io::Error),
}

/// One change to the state.
#[derive(Debug, Clone)]
pub enum StateOp {
    /// A URL was taken (queued); ignored when it is already known.
    Add(Task),
    /// A URL will be tried again; `attempt` is the try that comes next.
    Retry { key: String, attempt: u32 },
    /// The crawl decided not to fetch a URL. A `soft` decline is for how the URL was found (too
    /// deep, from an offsite page, within a stopped trap family): the URL is taken when it is
    /// found another way, and [`StateOp::Add`] then turns the row into a queued one.
    Declined {
        task: Task,
        decline: Decline,
        in_scope: bool,
        soft: bool,
    },
    /// What the trap guard knows of a URL family.
    Family(FamilyRecord),
    /// The archive wrote a URL's final record: its response, or (for a failure) an outcome
    /// record; `detail` says what went wrong for a failure or a body cut short.
    Done {
        key: String,
        outcome: Outcome,
        detail: Option<String>,
        warc_file: String,
        warc_offset: u64,
    },
    /// A seed redirected to another site, which joined the scope (it stays in scope on resume).
    ScopeSeed(String),
    /// What an origin's robots.txt said: `status` 0 means it was unreachable (disallow all).
    Robots {
        origin: String,
        url: String,
        status: u16,
        body: Vec<u8>,
    },
}

/// Where a URL stands in the persisted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlState {
    Queued,
    Done,
    Failed,
    Declined,
}

/// One row of the `urls` table, in the order the URLs were taken.
#[derive(Debug, Clone)]
pub struct StoredUrl {
    pub task: Task,
    pub state: UrlState,
    /// Why it was declined (a reason an older arkiv wrote that names no [`Decline`] now reads
    /// as `None`).
    pub decline: Option<Decline>,
    /// How it ended (done and failed rows).
    pub outcome: Option<Outcome>,
    pub in_scope: bool,
    /// A soft decline (see [`StateOp::Declined`]).
    pub soft: bool,
}

/// A stored robots.txt answer.
#[derive(Debug, Clone)]
pub struct StoredRobots {
    pub origin: String,
    pub url: String,
    pub status: u16,
    pub body: Vec<u8>,
}

/// Everything the state holds, read at resume.
#[derive(Debug, Default)]
pub struct StoredState {
    pub urls: Vec<StoredUrl>,
    pub robots: Vec<StoredRobots>,
    /// Redirect targets of seeds that joined the scope, in the order they did.
    pub scope_seeds: Vec<Url>,
    /// The trap guard's evidence per URL family.
    pub families: Vec<FamilyRecord>,
}

#[derive(Debug)]
enum Msg {
    Batch(Vec<StateOp>, Option<oneshot::Sender<()>>),
}

/// Handle on the state thread; cheap to clone (the archive thread holds one too).
#[derive(Clone, Debug)]
pub struct StateWriter {
    tx: mpsc::Sender<Msg>,
    path: PathBuf,
}

/// Changes handed to the state thread, committed once this resolves.
#[derive(Debug)]
pub struct Committed {
    done: oneshot::Receiver<()>,
    path: PathBuf,
}

impl Committed {
    /// Waits for the commit (async).
    pub async fn wait(self) -> Result<(), StateError> {
        self.done.await.map_err(|_| StateError::Stopped(self.path))
    }

    /// Waits for the commit from a plain thread (the archive).
    pub fn wait_blocking(self) -> Result<(), StateError> {
        self.done
            .blocking_recv()
            .map_err(|_| StateError::Stopped(self.path))
    }
}

/// The running state thread.
pub struct StateThread {
    thread: std::thread::JoinHandle<Result<(), StateError>>,
}

impl StateWriter {
    /// Opens (or creates) the database and starts its thread.
    pub fn start(out: &Path) -> Result<(StateWriter, StateThread), StateError> {
        let path = out.join("state").join(STATE_FILE);
        let conn = open(&path)?;
        let (tx, mut rx) = mpsc::channel::<Msg>(CHANNEL_CAPACITY);
        let thread_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("arkiv-state".to_string())
            .spawn(move || {
                let mut conn = conn;
                while let Some(first) = rx.blocking_recv() {
                    // Everything already waiting goes into the same transaction.
                    let mut batch = vec![first];
                    while let Ok(more) = rx.try_recv() {
                        batch.push(more);
                    }
                    let sql = |source| StateError::Sqlite {
                        path: thread_path.clone(),
                        source,
                    };
                    let txn = conn.transaction().map_err(sql)?;
                    let mut acks = Vec::new();
                    for Msg::Batch(ops, ack) in batch {
                        for op in &ops {
                            apply(&txn, op).map_err(sql)?;
                        }
                        acks.extend(ack);
                    }
                    txn.commit().map_err(sql)?;
                    for ack in acks {
                        let _ = ack.send(());
                    }
                }
                Ok(())
            })
            .map_err(StateError::Spawn)?;
        Ok((StateWriter { tx, path }, StateThread { thread }))
    }

    /// Queues changes without waiting for them to be written.
    pub async fn send(&self, ops: Vec<StateOp>) -> Result<(), StateError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Msg::Batch(ops, None))
            .await
            .map_err(|_| StateError::Stopped(self.path.clone()))
    }

    /// Writes changes and waits until they are committed (before the WARC may hold what
    /// depends on them, e.g. a page whose links must not be lost).
    pub async fn commit(&self, ops: Vec<StateOp>) -> Result<(), StateError> {
        self.commit_later(ops).await?.wait().await
    }

    /// Queues changes and returns at once with a [`Committed`] that resolves once they are on
    /// disk: whoever writes what depends on them (the archive thread, a page's record) waits
    /// for it, the scheduler goes on. Everything queued meanwhile shares one transaction and one
    /// fsync.
    pub async fn commit_later(&self, ops: Vec<StateOp>) -> Result<Committed, StateError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Msg::Batch(ops, Some(ack)))
            .await
            .map_err(|_| StateError::Stopped(self.path.clone()))?;
        Ok(Committed {
            done,
            path: self.path.clone(),
        })
    }

    /// From a plain thread (the archive): queues changes, waiting while the channel is full.
    pub fn send_blocking(&self, ops: Vec<StateOp>) -> Result<(), StateError> {
        self.tx
            .blocking_send(Msg::Batch(ops, None))
            .map_err(|_| StateError::Stopped(self.path.clone()))
    }
}

impl StateThread {
    /// Waits for everything queued to be committed (all writers must be dropped first).
    pub fn join(self) -> Result<(), StateError> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(StateError::Stopped(PathBuf::from(STATE_FILE))))
    }
}

fn open(path: &Path) -> Result<Connection, StateError> {
    let sql = |source| StateError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(sql)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS urls (
            key TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            depth INTEGER NOT NULL,
            hop TEXT NOT NULL,
            via TEXT,
            context TEXT NOT NULL,
            requisite INTEGER NOT NULL,
            redirects INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            in_scope INTEGER NOT NULL DEFAULT 1,
            warc_file TEXT,
            warc_offset INTEGER
        );
        CREATE TABLE IF NOT EXISTS robots (
            origin TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS scope_seeds (
            url TEXT PRIMARY KEY
        );
        CREATE TABLE IF NOT EXISTS families (
            shape TEXT PRIMARY KEY,
            fetched INTEGER NOT NULL,
            streak INTEGER NOT NULL,
            stopped INTEGER NOT NULL,
            features BLOB NOT NULL
        );",
    )
    .map_err(sql)?;
    // Columns added since the first release: a state written by an older arkiv gains them.
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('urls')")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(sql)?;
    for (column, definition) in [
        ("soft", "INTEGER NOT NULL DEFAULT 0"),
        ("family", "TEXT"),
        ("in_family", "INTEGER NOT NULL DEFAULT 0"),
        ("outcome", "TEXT"),
        ("detail", "TEXT"),
    ] {
        if !columns.iter().any(|c| c == column) {
            conn.execute_batch(&format!(
                "ALTER TABLE urls ADD COLUMN {column} {definition}"
            ))
            .map_err(sql)?;
        }
    }
    Ok(conn)
}

fn apply(txn: &rusqlite::Transaction<'_>, op: &StateOp) -> rusqlite::Result<()> {
    match op {
        StateOp::Add(task) => {
            insert(txn, task, "queued", None, true, false)?;
            // A URL declined softly before and found another way now is taken.
            txn.execute(
                "UPDATE urls SET state = 'queued', reason = NULL, soft = 0, in_family = ?2
                 WHERE key = ?1 AND state = 'declined' AND soft = 1",
                params![task.key, task.in_family],
            )?;
        }
        StateOp::Retry { key, attempt } => {
            txn.execute(
                "UPDATE urls SET attempt = ?2 WHERE key = ?1",
                params![key, attempt],
            )?;
        }
        StateOp::Declined {
            task,
            decline,
            in_scope,
            soft,
        } => {
            insert(
                txn,
                task,
                "declined",
                Some(decline.as_str()),
                *in_scope,
                true,
            )?;
            if *soft {
                txn.execute("UPDATE urls SET soft = 1 WHERE key = ?1", params![task.key])?;
            }
        }
        StateOp::Family(record) => {
            match &record.features {
                Some(features) => {
                    let blob: Vec<u8> = features.iter().flat_map(|f| f.to_le_bytes()).collect();
                    txn.execute(
                        "INSERT OR REPLACE INTO families (shape, fetched, streak, stopped, features)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![record.shape, record.fetched, record.streak, record.stopped, blob],
                    )?;
                }
                None => {
                    txn.execute(
                        "INSERT INTO families (shape, fetched, streak, stopped, features)
                         VALUES (?1, ?2, ?3, ?4, x'')
                         ON CONFLICT(shape) DO UPDATE SET fetched = ?2, streak = ?3, stopped = ?4",
                        params![record.shape, record.fetched, record.streak, record.stopped],
                    )?;
                }
            }
        }
        StateOp::Done {
            key,
            outcome,
            detail,
            warc_file,
            warc_offset,
        } => {
            let state = if outcome.is_archived() {
                "done"
            } else {
                "failed"
            };
            txn.execute(
                "UPDATE urls SET state = ?2, warc_file = ?3, warc_offset = ?4, outcome = ?5,
                 detail = ?6 WHERE key = ?1",
                params![
                    key,
                    state,
                    warc_file,
                    *warc_offset as i64,
                    outcome.to_string(),
                    detail
                ],
            )?;
        }
        StateOp::ScopeSeed(url) => {
            txn.execute(
                "INSERT OR IGNORE INTO scope_seeds (url) VALUES (?1)",
                params![url],
            )?;
        }
        StateOp::Robots {
            origin,
            url,
            status,
            body,
        } => {
            txn.execute(
                "INSERT OR REPLACE INTO robots (origin, url, status, body) VALUES (?1, ?2, ?3, ?4)",
                params![origin, url, status, body],
            )?;
        }
    }
    Ok(())
}

fn insert(
    txn: &rusqlite::Transaction<'_>,
    task: &Task,
    state: &str,
    reason: Option<&str>,
    in_scope: bool,
    replace: bool,
) -> rusqlite::Result<()> {
    let verb = if replace {
        "INSERT OR REPLACE"
    } else {
        "INSERT OR IGNORE"
    };
    txn.execute(
        &format!(
            "{verb} INTO urls (key, url, depth, hop, via, context, requisite, redirects, attempt,
             state, reason, in_scope, family, in_family)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        ),
        params![
            task.key,
            task.url.as_str(),
            task.depth,
            hop_name(task.hop),
            task.via.as_ref().map(Url::as_str),
            task.context,
            task.requisite,
            task.redirects,
            task.attempt,
            state,
            reason,
            in_scope,
            task.family,
            task.in_family,
        ],
    )?;
    Ok(())
}

/// Reads the whole state (a missing database reads as empty).
pub fn load(out: &Path) -> Result<StoredState, StateError> {
    let path = out.join("state").join(STATE_FILE);
    if !path.exists() {
        return Ok(StoredState::default());
    }
    let sql = |source| StateError::Sqlite {
        path: path.clone(),
        source,
    };
    let conn = open(&path).map_err(|e| match e {
        StateError::Sqlite { source, .. } => sql(source),
        other => other,
    })?;
    let mut state = StoredState::default();
    let mut stmt = conn
        .prepare(
            "SELECT key, url, depth, hop, via, context, requisite, redirects, attempt, state,
             reason, in_scope, soft, family, in_family, outcome FROM urls ORDER BY rowid",
        )
        .map_err(sql)?;
    let rows = stmt.query_map([], stored_url).map_err(sql)?;
    for row in rows {
        // A row whose URL no longer parses cannot be fetched; it is skipped, not fatal.
        if let Some(row) = row.map_err(sql)? {
            state.urls.push(row);
        }
    }
    let mut stmt = conn
        .prepare("SELECT shape, fetched, streak, stopped, features FROM families")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| {
            let blob: Vec<u8> = row.get(4)?;
            Ok(FamilyRecord {
                shape: row.get(0)?,
                fetched: row.get(1)?,
                streak: row.get(2)?,
                stopped: row.get(3)?,
                features: Some(
                    blob.chunks_exact(8)
                        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                        .collect(),
                ),
            })
        })
        .map_err(sql)?;
    for row in rows {
        state.families.push(row.map_err(sql)?);
    }
    let mut stmt = conn
        .prepare("SELECT origin, url, status, body FROM robots")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| {
            Ok(StoredRobots {
                origin: row.get(0)?,
                url: row.get(1)?,
                status: row.get(2)?,
                body: row.get(3)?,
            })
        })
        .map_err(sql)?;
    for row in rows {
        state.robots.push(row.map_err(sql)?);
    }
    let mut stmt = conn
        .prepare("SELECT url FROM scope_seeds ORDER BY rowid")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(sql)?;
    for row in rows {
        if let Ok(url) = Url::parse(&row.map_err(sql)?) {
            state.scope_seeds.push(url);
        }
    }
    Ok(state)
}

/// How every URL of the crawl in `out` ended, from its state: done and failed URLs by their
/// outcome, declined ones by their reason, and those still waiting (a crawl stopped by Ctrl-C)
/// as `not-fetched-crawl-stopped`. One count per URL, so a crawl that took several runs
/// tallies as one that took one.
pub fn tally(out: &Path) -> Result<Tally, StateError> {
    let path = out.join("state").join(STATE_FILE);
    let mut tally = Tally::default();
    if !path.exists() {
        return Ok(tally);
    }
    let sql = |source| StateError::Sqlite {
        path: path.clone(),
        source,
    };
    let conn = open(&path).map_err(|e| match e {
        StateError::Sqlite { source, .. } => sql(source),
        other => other,
    })?;
    let mut stmt = conn
        .prepare(
            "SELECT state, outcome, reason, COUNT(*), SUM(attempt) FROM urls
             GROUP BY state, outcome, reason",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, u64>(3)?,
                row.get::<_, Option<u64>>(4)?,
            ))
        })
        .map_err(sql)?;
    for row in rows {
        let (state, outcome, reason, count, attempts) = row.map_err(sql)?;
        let name = match state.as_str() {
            "done" | "failed" => {
                tally.urls_taken += count;
                tally.retries += attempts.unwrap_or(0);
                outcome.unwrap_or_else(|| state.clone())
            }
            "declined" => reason.unwrap_or_else(|| "declined".to_string()),
            _ => Decline::CrawlStopped.as_str().to_string(),
        };
        *tally.by_outcome.entry(name).or_default() += count;
    }
    let mut stmt = conn
        .prepare(
            "SELECT url, outcome, detail FROM urls WHERE state = 'failed'
             OR (state = 'done' AND detail IS NOT NULL) ORDER BY rowid",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| {
            Ok(Failure {
                url: row.get(0)?,
                reason: row
                    .get::<_, Option<String>>(2)?
                    .or(row.get::<_, Option<String>>(1)?)
                    .unwrap_or_else(|| "failed".to_string()),
            })
        })
        .map_err(sql)?;
    for row in rows {
        tally.failures.push(row.map_err(sql)?);
    }
    Ok(tally)
}

/// One `urls` row; `None` when its URL no longer parses.
fn stored_url(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredUrl>> {
    let Ok(url) = Url::parse(&row.get::<_, String>(1)?) else {
        return Ok(None);
    };
    // Rows of an older arkiv have no family: it is the URL's own shape.
    let family = row
        .get::<_, Option<String>>(13)?
        .unwrap_or_else(|| super::traps::shape_of(&url));
    let task = Task {
        url,
        key: row.get(0)?,
        depth: row.get(2)?,
        hop: hop_from_name(&row.get::<_, String>(3)?),
        via: row
            .get::<_, Option<String>>(4)?
            .and_then(|v| Url::parse(&v).ok()),
        context: row.get(5)?,
        requisite: row.get(6)?,
        redirects: row.get(7)?,
        attempt: row.get(8)?,
        family,
        in_family: row.get(14)?,
    };
    let state = match row.get::<_, String>(9)?.as_str() {
        "done" => UrlState::Done,
        "failed" => UrlState::Failed,
        "declined" => UrlState::Declined,
        _ => UrlState::Queued,
    };
    let decline = row
        .get::<_, Option<String>>(10)?
        .and_then(|reason| reason.parse().ok());
    let outcome = row
        .get::<_, Option<String>>(15)?
        .and_then(|outcome| outcome.parse().ok());
    Ok(Some(StoredUrl {
        task,
        state,
        decline,
        outcome,
        in_scope: row.get(11)?,
        soft: row.get(12)?,
    }))
}

fn hop_name(hop: Hop) -> &'static str {
    match hop {
        Hop::Seed => "seed",
        Hop::Link => "link",
        Hop::Embed => "embed",
        Hop::Redirect => "redirect",
        Hop::Prerequisite => "prerequisite",
        Hop::Sitemap => "sitemap",
    }
}

fn hop_from_name(name: &str) -> Hop {
    match name {
        "seed" => Hop::Seed,
        "embed" => Hop::Embed,
        "redirect" => Hop::Redirect,
        "prerequisite" => Hop::Prerequisite,
        "sitemap" => Hop::Sitemap,
        _ => Hop::Link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(url: &str) -> Task {
        let url = Url::parse(url).expect("url");
        Task {
            key: url.to_string(),
            url,
            depth: 1,
            hop: Hop::Embed,
            via: None,
            context: "img@src".to_string(),
            requisite: true,
            redirects: 0,
            attempt: 0,
            family: "a/#".to_string(),
            in_family: false,
        }
    }

    #[test]
    fn state_survives_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs_err::create_dir_all(dir.path().join("state")).expect("state dir");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (writer, thread) = StateWriter::start(dir.path()).expect("start");
        runtime.block_on(async {
            let ops = vec![
                StateOp::Add(task("http://a/1")),
                StateOp::Add(task("http://a/2")),
                StateOp::Add(task("http://a/1")),
                StateOp::Retry {
                    key: "http://a/2".to_string(),
                    attempt: 2,
                },
                StateOp::Declined {
                    task: task("http://a/3"),
                    decline: Decline::MaxDepth,
                    in_scope: true,
                    soft: true,
                },
                StateOp::Declined {
                    task: task("http://a/4"),
                    decline: Decline::TrapNoNewContent,
                    in_scope: true,
                    soft: true,
                },
                // Found another way: taken after all.
                StateOp::Add(task("http://a/4")),
                StateOp::Family(FamilyRecord {
                    shape: "a/#".to_string(),
                    fetched: 7,
                    streak: 2,
                    stopped: false,
                    features: Some(vec![3, 1 << 60]),
                }),
                StateOp::Family(FamilyRecord {
                    shape: "a/#".to_string(),
                    fetched: 8,
                    streak: 3,
                    stopped: true,
                    features: None,
                }),
                StateOp::Robots {
                    origin: "http://a:80".to_string(),
                    url: "http://a/robots.txt".to_string(),
                    status: 200,
                    body: b"User-agent: *\nDisallow: /x".to_vec(),
                },
            ];
            writer.commit(ops).await.expect("commit");
        });
        writer
            .send_blocking(vec![StateOp::Done {
                key: "http://a/1".to_string(),
                outcome: Outcome::Revisit,
                detail: None,
                warc_file: "f.warc.gz".to_string(),
                warc_offset: 42,
            }])
            .expect("send");
        drop(writer);
        thread.join().expect("join");
        let state = load(dir.path()).expect("load");
        let summary: Vec<(String, UrlState, u32)> = state
            .urls
            .iter()
            .map(|u| (u.task.key.clone(), u.state, u.task.attempt))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("http://a/1".to_string(), UrlState::Done, 0),
                ("http://a/2".to_string(), UrlState::Queued, 2),
                ("http://a/3".to_string(), UrlState::Declined, 0),
                ("http://a/4".to_string(), UrlState::Queued, 0),
            ]
        );
        assert_eq!(state.urls[0].task.hop, Hop::Embed);
        assert_eq!(state.urls[0].task.family, "a/#");
        assert_eq!(state.urls[0].outcome, Some(Outcome::Revisit));
        assert_eq!(state.urls[2].decline, Some(Decline::MaxDepth));
        assert!(state.urls[2].soft && !state.urls[3].soft);
        assert_eq!(
            state.families,
            [FamilyRecord {
                shape: "a/#".to_string(),
                fetched: 8,
                streak: 3,
                stopped: true,
                features: Some(vec![3, 1 << 60]),
            }]
        );
        assert_eq!(state.robots.len(), 1);
        assert_eq!(state.robots[0].status, 200);
        let tally = tally(dir.path()).expect("tally");
        assert_eq!(tally.urls_taken, 1);
        assert_eq!(tally.retries, 0, "attempts of finished URLs only");
        let counts: Vec<(&str, u64)> = tally
            .by_outcome
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            counts,
            [
                ("max-depth", 1),
                ("not-fetched-crawl-stopped", 2),
                ("revisit", 1)
            ]
        );
    }

    #[test]
    fn a_missing_database_reads_as_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = load(dir.path()).expect("load");
        assert!(state.urls.is_empty() && state.robots.is_empty());
    }
}
