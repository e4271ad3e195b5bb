//! The archive thread: the one place that writes WARC records and crawl.log during a crawl.
//! It counts the response records it writes ([`RecordCounts`]); the index and the summary are
//! made from the closed files and the crawl state afterwards (`crate::run`).
//!
//! It runs on its own OS thread (WARC writing is blocking I/O and compression) fed by a bounded
//! channel: when the disk is slow, `send` waits and the crawl slows with it. The thread owns the
//! payload-digest table that turns repeated payloads into `revisit` records.
//!
//! Request records go through the crawl's [`RedactionRules`] (`crate::warc::redact`): the user's
//! `Authorization`, `Proxy-Authorization`, secret headers and loaded cookies are masked, each
//! record names what it masked in `WARC-Arkiv-Redacted`, and a secret still found in a request
//! (in its URL, which is never changed) is warned about on stderr. Response records are exact.
//!
//! With `--dedup-from OLD` the table also knows where OLD holds each of its payloads
//! (`crate::dedup`): a payload found there becomes a revisit naming OLD's record (its id, URI
//! and date, read from OLD's WARC on the first hit). OLD is only read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::config::Config;
use super::discover::Discovered;
use super::fetch::{Exchange, FetchError};
use super::settings::Settings;
use super::state::{Committed, StateOp, StateWriter};
use super::task::Task;
use crate::outcome::{Decline, Failure, Outcome, Truncation};
use crate::report::summary::RecordCounts;
use crate::report::{CrawlLog, LogLine};
use crate::warc::redact::{Exposure, RedactionRules, redact_request};
use crate::warc::{OUTCOME_CONTENT_TYPE, OUTCOME_FIELD};

mod captures;
mod fields;
use crate::dedup::EarlierCrawl;
use crate::warc::record::{RecordFields, RecordType, Truncated};
use crate::warc::writer::{
    Block, HttpRecordMeta, MetadataMeta, Outlink, RecordLocation, RevisitMeta, WarcWriter,
    WarcinfoFields, WriterOptions, WrittenRecord,
};
use captures::{Captures, FirstCapture};
pub use fields::mime_of;
use fields::{head_bytes, message_len, outlink_hop};

/// Jobs queued between the scheduler and the archive thread. Small on purpose: back-pressure.
const CHANNEL_CAPACITY: usize = 32;

/// Test hook: when set to N, the WARC writer fails like a full disk after N more records, through
/// the path a real full disk takes (the crawl must stop with the same error and hint, and stay
/// resumable).
pub const DISK_FULL_ENV: &str = "ARKIV_TEST_DISK_FULL_AFTER";

/// What the archive thread is asked to record.
#[derive(Debug)]
pub enum ArchiveJob {
    /// A fetch that got a response (any status, possibly cut short). `last`: no retry follows.
    /// Its records are written only once `committed` resolves (the page's links are in the
    /// state first).
    /// `auth_failure`: the response is a `401`/`407` the credentials could not answer (why), so
    /// the URL ends `failed:auth` with the refusal archived.
    Exchange {
        task: Task,
        exchange: Box<Exchange>,
        outlinks: Vec<Discovered>,
        last: bool,
        committed: Committed,
        auth_failure: Option<String>,
    },
    /// A `401` that the credentials answer: archived, logged `challenged`; the answer follows.
    Challenged { task: Task, exchange: Box<Exchange> },
    /// A fetch that got no response at all.
    Failed {
        task: Task,
        error: FetchError,
        last: bool,
        committed: Committed,
    },
    /// A URL the crawl decided not to fetch. `in_scope` ones get a metadata record so that the
    /// mirror can show a "not archived" page for them.
    Declined {
        task: Task,
        decline: Decline,
        in_scope: bool,
    },
    /// A page as the browser rendered it (`--browser`): a `conversion` record referring to the
    /// page's response record, and a screenshot `resource` record when one was taken. Written
    /// once `committed` resolves (the rendered page's links are in the state first).
    Rendered {
        task: Task,
        page: Box<RenderedPage>,
        committed: Committed,
    },
}

/// What the archive needs of a rendered page.
#[derive(Debug)]
pub struct RenderedPage {
    /// The `WARC-Record-ID` of the page's response record.
    pub refers_to: String,
    /// The rendered DOM, serialised.
    pub html: String,
    /// `location.href` when the page was read.
    pub final_url: String,
    /// The page had not settled when its time was up.
    pub timed_out: bool,
    pub screenshot: Option<Vec<u8>>,
}

/// The record a URL ended with, as the archive thread reports it once written (`--browser`
/// answers the browser's requests from the WARC with it): `response` is the location and
/// record ID of its response or revisit record, `None` when it ended without one (failed).
#[derive(Debug, Clone)]
pub struct Settled {
    pub key: String,
    pub response: Option<(RecordLocation, String)>,
}

/// Where the archive thread reports each [`Settled`] URL.
pub type SettledSink = Box<dyn Fn(Settled) + Send>;

/// Field of a conversion record: whether the page had settled (`settled`) or was read when its
/// time was up (`timed-out`).
pub const RENDER_FIELD: &str = "WARC-Arkiv-Render";
/// Field of a conversion record: the page's `location.href` when it was read.
pub const FINAL_URL_FIELD: &str = "WARC-Arkiv-Final-URL";
/// Content type of conversion records.
pub const CONVERSION_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// Target URI prefix of screenshot records.
pub const SCREENSHOT_PREFIX: &str = "urn:arkiv:screenshot:";

/// Where the archive writes, and what its warcinfo records say.
pub struct ArchiveOptions {
    pub out: PathBuf,
    pub prefix: String,
    pub max_size: u64,
    pub warcinfo: Vec<(String, String)>,
    pub seeds: Vec<String>,
    /// Where final outcomes are noted (after their records are written: WARC first).
    pub state: Option<StateWriter>,
    /// Set when continuing a stopped crawl.
    pub resume: Option<ResumeSeed>,
    /// What request records must not carry.
    pub redaction: RedactionRules,
    /// The earlier crawl whose payloads become revisits (`--dedup-from`).
    pub dedup_from: Option<PathBuf>,
    /// Told of every URL's final record once it is written (`--browser`).
    pub settled: Option<SettledSink>,
}

impl std::fmt::Debug for ArchiveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveOptions")
            .field("out", &self.out)
            .field("prefix", &self.prefix)
            .field("max_size", &self.max_size)
            .field("seeds", &self.seeds)
            .field("resume", &self.resume)
            .field("settled", &ArchiveOptionsSink(&self.settled))
            .field("dedup_from", &self.dedup_from)
            .finish_non_exhaustive()
    }
}

/// What a resumed archive continues from.
#[derive(Debug, Default)]
pub struct ResumeSeed {
    /// Serial of the first new WARC file.
    pub first_serial: u32,
    /// Earlier whole captures, so repeated payloads still become revisits.
    pub first_captures: Vec<(String, String, String, DateTime<Utc>)>,
    /// The records so far, counted from the WARC files.
    pub records: RecordCounts,
    /// URLs whose final record reached the WARC while the state did not learn it (the crawl
    /// was killed in between): crawl.log may lack their line too.
    pub relog: Vec<Relog>,
}

/// A URL's crawl.log line as the WARC shows it, written on resume when the log lacks it.
#[derive(Debug, Clone)]
pub struct Relog {
    pub task: Task,
    pub time: DateTime<Utc>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub mime: String,
    pub outcome: Outcome,
}

impl std::fmt::Debug for ArchiveOptionsSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// Shows whether a [`SettledSink`] is set (the closure itself has no `Debug`).
struct ArchiveOptionsSink<'a>(&'a Option<SettledSink>);

impl ArchiveOptions {
    pub fn from_config(config: &Config, started: &str) -> ArchiveOptions {
        let settings = Settings::from_config(config, started);
        let mut warcinfo = settings.warcinfo_lines();
        warcinfo.extend(config.access.warcinfo_lines());
        ArchiveOptions {
            out: config.out.clone(),
            prefix: config.warc_prefix.clone(),
            max_size: config.warc_max_size,
            warcinfo,
            seeds: config.seeds.iter().map(|u| u.to_string()).collect(),
            state: None,
            resume: None,
            redaction: config.access.redaction_rules(),
            dedup_from: config.dedup_from.clone(),
            settled: None,
        }
    }
}

/// A job could not be queued: the archive thread stopped, and its own error says why.
#[derive(Debug, thiserror::Error)]
#[error("the archive writer stopped")]
pub struct ArchiveStopped;

/// Handle on the archive thread.
pub struct Archive {
    tx: mpsc::Sender<ArchiveJob>,
    thread: std::thread::JoinHandle<anyhow::Result<ArchiveClosed>>,
}

/// What the archive thread wrote in this run.
#[derive(Debug)]
pub struct ArchiveClosed {
    pub records: RecordCounts,
    /// The WARC files it created (every record of them has its line in `index_lines`).
    pub written: Vec<PathBuf>,
    /// The index lines of those records, unsorted, one per line.
    pub index_lines: PathBuf,
}

/// Where the archive thread writes the index lines of the records it writes, inside `<out>`.
pub fn index_lines_path(out: &std::path::Path) -> PathBuf {
    out.join("state").join("index-lines.cdxj")
}

impl Archive {
    /// Opens the first WARC file (with its warcinfo record) and starts the thread.
    pub fn start(options: ArchiveOptions) -> anyhow::Result<Archive> {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let mut state = ArchiveState::open(options)?;
        let thread = std::thread::Builder::new()
            .name("arkiv-archive".to_string())
            .spawn(move || {
                let mut rx: mpsc::Receiver<ArchiveJob> = rx;
                while let Some(job) = rx.blocking_recv() {
                    state.record(job)?;
                }
                state.finish()
            })?;
        Ok(Archive { tx, thread })
    }

    /// Queues a job; waits while the archive is behind. Fails when the archive thread stopped
    /// (its error, e.g. a full disk, is reported by [`Archive::finish`]).
    pub async fn send(&self, job: ArchiveJob) -> anyhow::Result<()> {
        if self.tx.send(job).await.is_err() {
            return Err(ArchiveStopped.into());
        }
        Ok(())
    }

    /// Closes the channel, lets the thread write the jobs queued so far and close its file;
    /// returns what it wrote.
    pub async fn finish(self) -> anyhow::Result<ArchiveClosed> {
        drop(self.tx);
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the archive writer panicked"))?
    }
}

/// Exposure warnings printed at most; the rest are counted.
const MAX_EXPOSURE_WARNINGS: u32 = 10;

/// Warnings about unreadable records of the `--dedup-from` crawl printed at most.
const MAX_EARLIER_WARNINGS: u32 = 10;

struct ArchiveState {
    index_lines: PathBuf,
    state: Option<StateWriter>,
    writer: WarcWriter,
    log: CrawlLog,
    records: RecordCounts,
    first_captures: Captures,
    /// The crawl deduplicated against, if any.
    earlier: Option<EarlierCrawl>,
    /// Earlier records that could not be read (their payload is then archived in full).
    earlier_unreadable: u32,
    redaction: RedactionRules,
    /// Requests in which a secret was still found after masking.
    exposed: u32,
    settled: Option<SettledSink>,
}

impl ArchiveState {
    fn open(options: ArchiveOptions) -> anyhow::Result<ArchiveState> {
        let mut fields = WarcinfoFields::new();
        for (name, value) in &options.warcinfo {
            // `software`, `format` and `conformsTo` are replaced; a repeated field (one
            // `arkiv-seed` per seed) is kept whole.
            fields = if matches!(name.as_str(), "software" | "format" | "conformsTo") {
                fields.with(name, value)
            } else {
                fields.also(name, value)
            };
        }
        let full_after = std::env::var(DISK_FULL_ENV)
            .ok()
            .and_then(|v| v.parse().ok());
        let mut writer_options =
            WriterOptions::new(options.out.join("warc"), options.prefix.clone())
                .with_max_size(options.max_size)
                .with_full_after(full_after)
                .with_index_to(Some(index_lines_path(&options.out)));
        // Lines of an earlier, stopped run are not trusted: its files are indexed from the WARC.
        fs_err::write(index_lines_path(&options.out), b"")?;
        let mut records = RecordCounts::default();
        let mut first_captures =
            Captures::create(&options.out.join("state").join("captures.sqlite3"))?;
        let resuming = options.resume.is_some();
        let mut relog = Vec::new();
        if let Some(seed) = options.resume {
            relog = seed.relog;
            writer_options = writer_options.with_first_serial(seed.first_serial);
            for (digest, record_id, uri, date) in seed.first_captures {
                first_captures.insert(
                    &digest,
                    &FirstCapture {
                        record_id,
                        uri,
                        date,
                    },
                )?;
            }
            records = seed.records;
        }
        // Seeded on every start, a resume's too: the earlier crawl's index is the table.
        let earlier = match &options.dedup_from {
            Some(dir) => {
                let earlier = EarlierCrawl::open(dir).with_context(|| {
                    format!("the crawl to deduplicate against, {}", dir.display())
                })?;
                earlier.for_each_payload(|payload| {
                    first_captures.insert_earlier(&payload.digest, &payload.file, payload.offset)
                })?;
                Some(earlier)
            }
            None => None,
        };
        let mut writer = WarcWriter::new(writer_options, fields.clone());
        // A resumed crawl opens its new file (with its own warcinfo) on the first record, so a
        // resume with nothing left to do adds no file.
        if !resuming {
            writer
                .write_warcinfo(fields)
                .context("writing the first warcinfo record")?;
        }
        let log_path = options.out.join("reports").join("crawl.log");
        let mut log = CrawlLog::create(&log_path)?;
        write_missing_lines(&log_path, &mut log, relog)?;
        Ok(ArchiveState {
            index_lines: index_lines_path(&options.out),
            state: options.state,
            writer,
            log,
            records,
            first_captures,
            earlier,
            earlier_unreadable: 0,
            redaction: options.redaction,
            exposed: 0,
            settled: options.settled,
        })
    }

    fn record(&mut self, job: ArchiveJob) -> anyhow::Result<()> {
        match job {
            ArchiveJob::Exchange {
                task,
                exchange,
                outlinks,
                last,
                auth_failure,
                committed,
            } => {
                committed.wait_blocking()?;
                self.record_exchange(&task, &exchange, &outlinks, last, auth_failure)
            }
            ArchiveJob::Challenged { task, exchange } => self.record_challenge(&task, &exchange),
            ArchiveJob::Failed {
                task,
                error,
                last,
                committed,
            } => {
                committed.wait_blocking()?;
                if !last {
                    return self.log(&task, None, None, None, None, Outcome::Retry);
                }
                let outcome = Outcome::Failed(error.failure());
                let detail = error.to_string();
                self.log(&task, None, None, None, None, outcome)?;
                let written = self.write_outcome(&task, outcome, &detail)?;
                self.mark_done(&task, outcome, Some(detail), &written)?;
                self.tell_settled(&task, None);
                Ok(())
            }
            ArchiveJob::Declined {
                task,
                decline,
                in_scope,
            } => {
                let outcome = Outcome::Declined(decline);
                self.log(&task, None, None, None, None, outcome)?;
                if in_scope {
                    self.write_outcome(&task, outcome, "")?;
                }
                Ok(())
            }
            ArchiveJob::Rendered {
                task,
                page,
                committed,
            } => {
                committed.wait_blocking()?;
                self.record_rendered(&task, &page)
            }
        }
    }

    /// Tells the crawl (with `--browser`) where `task`'s final record is.
    fn tell_settled(&self, task: &Task, response: Option<&WrittenRecord>) {
        if let Some(sink) = &self.settled {
            sink(Settled {
                key: task.key.clone(),
                response: response.map(|w| (w.location.clone(), w.record_id.clone())),
            });
        }
    }

    /// A rendered page: its `conversion` record, then its screenshot.
    fn record_rendered(&mut self, task: &Task, page: &RenderedPage) -> anyhow::Result<()> {
        let date = Utc::now();
        let render = if page.timed_out {
            "timed-out"
        } else {
            "settled"
        };
        let mut extra = vec![(RENDER_FIELD.to_owned(), render.to_owned())];
        // A field value holds no line breaks; a URL never does, but the page could say anything.
        if !page.final_url.is_empty()
            && page.final_url != task.url.as_str()
            && !page.final_url.chars().any(char::is_control)
        {
            extra.push((FINAL_URL_FIELD.to_owned(), page.final_url.clone()));
        }
        let written = self.writer.write_conversion(
            &crate::warc::writer::ConversionMeta {
                target_uri: task.url.as_str(),
                date,
                content_type: CONVERSION_CONTENT_TYPE,
                refers_to: &page.refers_to,
                extra,
            },
            Block::Bytes(page.html.as_bytes()),
        )?;
        if let Some(png) = &page.screenshot {
            let target = format!("{SCREENSHOT_PREFIX}{}", task.url);
            self.writer.write_resource(
                &crate::warc::writer::ResourceMeta {
                    target_uri: &target,
                    date,
                    content_type: "image/png",
                    concurrent_to: Some(&written.record_id),
                },
                Block::Bytes(png),
            )?;
        }
        Ok(())
    }

    /// An exchange's records: the request, then the response (or a revisit when its payload is
    /// archived already), then its outlinks; then the state learns how the URL ended (when no
    /// retry follows) and crawl.log gets its line.
    fn record_exchange(
        &mut self,
        task: &Task,
        exchange: &Exchange,
        outlinks: &[Discovered],
        last: bool,
        auth_failure: Option<String>,
    ) -> anyhow::Result<()> {
        let request = self.write_request(task, exchange)?;
        let (response, outcome, block_len) = match self.earlier_capture(exchange)? {
            Some(first) => self.write_revisit(task, exchange, &request, &first)?,
            None => self.write_response(task, exchange, &request)?,
        };
        self.write_outlinks(task, exchange, &response, outlinks)?;
        let mime = mime_of(exchange);
        self.records
            .count_response(exchange.status, &mime, block_len);
        let outcome = if exchange.truncated.is_some() && !last {
            Outcome::RetryTruncated
        } else if auth_failure.is_some() {
            Outcome::Failed(Failure::Auth)
        } else {
            outcome
        };
        // crawl.log gets the line before the state learns the URL's end: a URL the state has
        // settled is never looked at again on resume, so its line must be there already (a URL
        // killed before the state learned it gets its line on resume, see `write_missing_lines`).
        let settles = match auth_failure {
            Some(why) => {
                tracing::warn!("{}: {why}", task.url);
                // The refusal is archived; the outcome record says why it stands for the page,
                // and settles the URL for a resume as other failures' records do.
                let written = self.write_outcome(task, outcome, &why)?;
                Some((Some(why), written))
            }
            // Cut at `--max-size` is the operator's choice, recorded as `WARC-Truncated:
            // length`; only a body cut by the network is a failure to archive.
            None if last => {
                let detail = exchange
                    .truncated
                    .filter(|t| t.is_failure())
                    .map(|t| format!("body cut short ({}) after all retries", t.warc_reason()));
                Some((detail, response.clone()))
            }
            None => None,
        };
        self.log(
            task,
            Some(exchange.status),
            Some(exchange.payload.len()),
            Some(&mime),
            Some(exchange.elapsed),
            outcome,
        )?;
        match settles {
            Some((detail, written)) => {
                self.mark_done(task, outcome, detail, &written)?;
                let response = if auth_failure_settled(&written, &response) {
                    None
                } else {
                    Some(&response)
                };
                self.tell_settled(task, response);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// A `401` the credentials answer: its request and response records, and a `challenged`
    /// line in crawl.log; the URL's end comes with the answer.
    fn record_challenge(&mut self, task: &Task, exchange: &Exchange) -> anyhow::Result<()> {
        let request = self.write_request(task, exchange)?;
        let (_, _, block_len) = self.write_response(task, exchange, &request)?;
        let mime = mime_of(exchange);
        self.records
            .count_response(exchange.status, &mime, block_len);
        self.log(
            task,
            Some(exchange.status),
            Some(exchange.payload.len()),
            Some(&mime),
            Some(exchange.elapsed),
            Outcome::Challenged,
        )
    }

    /// The `request` record: the request as sent, with the user's secrets masked.
    fn write_request(&mut self, task: &Task, exchange: &Exchange) -> anyhow::Result<WrittenRecord> {
        let redacted = redact_request(&exchange.request, &self.redaction);
        if !redacted.exposures.is_empty() {
            self.exposed += 1;
            if self.exposed <= MAX_EXPOSURE_WARNINGS {
                let places: Vec<String> = redacted
                    .exposures
                    .iter()
                    .map(|e| match e {
                        Exposure::RequestLine => "its URL".to_owned(),
                        Exposure::Header(name) => format!("its {name} header"),
                        Exposure::Body => "its body".to_owned(),
                    })
                    .collect();
                tracing::warn!(
                    "{}: a secret of yours (a password, token or loaded cookie value) is in {}, \
                     which the WARC keeps as sent (URLs are never changed)",
                    task.url,
                    places.join(" and ")
                );
            } else if self.exposed == MAX_EXPOSURE_WARNINGS + 1 {
                tracing::warn!("more requests carry a secret of yours as sent; not shown");
            }
        }
        Ok(self.writer.write_redacted_request(
            &HttpRecordMeta {
                target_uri: task.url.as_str(),
                date: exchange.started,
                ip_address: Some(exchange.ip),
                concurrent_to: None,
                payload_digest: None,
                truncated: None,
            },
            &redacted,
        )?)
    }

    /// The first capture of this exchange's payload, if one was archived before (in this crawl
    /// or in the one it deduplicates against): a whole 2xx response with a body (an empty body
    /// or an error page is never a revisit).
    fn earlier_capture(&mut self, exchange: &Exchange) -> anyhow::Result<Option<FirstCapture>> {
        let reusable = (200..300).contains(&exchange.status)
            && exchange.truncated.is_none()
            && !exchange.payload.is_empty();
        if !reusable {
            return Ok(None);
        }
        if let Some(first) = self.first_captures.get(&exchange.payload_digest)? {
            return Ok(Some(first));
        }
        self.capture_in_earlier_crawl(&exchange.payload_digest)
    }

    /// The earlier crawl's capture of `digest`, read from its WARC (then remembered as this
    /// payload's first capture). An earlier record that cannot be read, is cut short or holds
    /// another payload is not pointed at: the payload is archived in full.
    fn capture_in_earlier_crawl(&mut self, digest: &str) -> anyhow::Result<Option<FirstCapture>> {
        let Some(earlier) = &self.earlier else {
            return Ok(None);
        };
        let Some((file, offset)) = self.first_captures.get_earlier(digest)? else {
            return Ok(None);
        };
        let record = match earlier.record_at(&file, offset) {
            Ok(record) if !record.truncated && record.payload_digest.as_deref() == Some(digest) => {
                record
            }
            Ok(_) => return Ok(None),
            Err(err) => {
                self.earlier_unreadable += 1;
                if self.earlier_unreadable <= MAX_EARLIER_WARNINGS {
                    tracing::warn!(
                        "{}: {err}; the payload is archived in full",
                        earlier.dir().display()
                    );
                }
                return Ok(None);
            }
        };
        let first = FirstCapture {
            record_id: record.record_id,
            uri: record.uri,
            date: record.date,
        };
        self.first_captures.insert(digest, &first)?;
        Ok(Some(first))
    }

    /// A `revisit` record: the response head, pointing at the first capture of the payload.
    fn write_revisit(
        &mut self,
        task: &Task,
        exchange: &Exchange,
        request: &WrittenRecord,
        first: &FirstCapture,
    ) -> anyhow::Result<(WrittenRecord, Outcome, u64)> {
        let head = head_bytes(exchange)?;
        let written = self.writer.write_revisit(
            &RevisitMeta {
                target_uri: task.url.as_str(),
                date: exchange.started,
                ip_address: Some(exchange.ip),
                concurrent_to: Some(&request.record_id),
                payload_digest: &exchange.payload_digest,
                refers_to: &first.record_id,
                refers_to_target_uri: &first.uri,
                refers_to_date: first.date,
            },
            &head,
        )?;
        self.records.revisits += 1;
        Ok((written, Outcome::Revisit, head.len() as u64))
    }

    /// A `response` record with the exact bytes received; a whole 2xx payload becomes the first
    /// capture later repeats point at.
    fn write_response(
        &mut self,
        task: &Task,
        exchange: &Exchange,
        request: &WrittenRecord,
    ) -> anyhow::Result<(WrittenRecord, Outcome, u64)> {
        let truncated = exchange.truncated.map(|t| match t {
            Truncation::Length => Truncated::Length,
            Truncation::Time => Truncated::Time,
            Truncation::Disconnect => Truncated::Disconnect,
        });
        let mut reader = exchange.response.reader()?;
        let len = message_len(exchange);
        let written = self.writer.write_response(
            &HttpRecordMeta {
                target_uri: task.url.as_str(),
                date: exchange.started,
                ip_address: Some(exchange.ip),
                concurrent_to: Some(&request.record_id),
                payload_digest: Some(&exchange.payload_digest),
                truncated,
            },
            Block::Reader {
                reader: &mut reader,
                len,
                // The spool's digest is the block's when the whole spool is the record.
                digest: (len == exchange.response.len()).then(|| exchange.response.digest()),
            },
        )?;
        let reusable = (200..300).contains(&exchange.status)
            && exchange.truncated.is_none()
            && !exchange.payload.is_empty();
        if reusable {
            self.first_captures.insert(
                &exchange.payload_digest,
                &FirstCapture {
                    record_id: written.record_id.clone(),
                    uri: task.url.to_string(),
                    date: exchange.started,
                },
            )?;
        }
        let outcome = exchange
            .truncated
            .map_or(Outcome::Archived, Outcome::Truncated);
        Ok((written, outcome, len))
    }

    /// A `metadata` record with the page's outlinks, as Heritrix writes them.
    fn write_outlinks(
        &mut self,
        task: &Task,
        exchange: &Exchange,
        response: &WrittenRecord,
        outlinks: &[Discovered],
    ) -> anyhow::Result<()> {
        if outlinks.is_empty() {
            return Ok(());
        }
        let lines: Vec<Outlink<'_>> = outlinks
            .iter()
            .map(|link| Outlink {
                url: link.url.as_str(),
                hop: outlink_hop(link.hop),
                context: &link.context,
            })
            .collect();
        self.writer.write_metadata(
            &MetadataMeta {
                target_uri: task.url.as_str(),
                date: exchange.started,
                concurrent_to: Some(&response.record_id),
            },
            &lines,
        )?;
        Ok(())
    }

    /// A metadata record saying why an in-scope URL has no response in the archive.
    fn write_outcome(
        &mut self,
        task: &Task,
        outcome: Outcome,
        detail: &str,
    ) -> anyhow::Result<WrittenRecord> {
        let mut block = format!("{OUTCOME_FIELD}: {outcome}\r\n");
        if let Some(via) = &task.via {
            block.push_str(&format!("via: {via}\r\n"));
        }
        let detail: String = detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if !detail.is_empty() {
            block.push_str(&format!("detail: {detail}\r\n"));
        }
        let mut fields = RecordFields::new(RecordType::Metadata, Utc::now());
        fields.target_uri = Some(task.url.to_string());
        fields.content_type = Some(OUTCOME_CONTENT_TYPE.to_string());
        Ok(self
            .writer
            .write_record(fields, Block::Bytes(block.as_bytes()))?)
    }

    /// Notes in the crawl state how a URL ended, once its final record is written (WARC first).
    fn mark_done(
        &self,
        task: &Task,
        outcome: Outcome,
        detail: Option<String>,
        written: &WrittenRecord,
    ) -> anyhow::Result<()> {
        if let Some(state) = &self.state {
            state.send_blocking(vec![StateOp::Done {
                key: task.key.clone(),
                outcome,
                detail,
                warc_file: written.location.filename.clone(),
                warc_offset: written.location.offset,
            }])?;
        }
        Ok(())
    }

    fn log(
        &mut self,
        task: &Task,
        status: Option<u16>,
        bytes: Option<u64>,
        mime: Option<&str>,
        duration: Option<std::time::Duration>,
        outcome: Outcome,
    ) -> anyhow::Result<()> {
        let via = task.via.as_ref().map(|u| u.as_str());
        self.log.write(&LogLine {
            time: Utc::now(),
            status,
            bytes,
            mime,
            url: task.url.as_str(),
            hop: task.hop.letter(),
            depth: task.depth,
            via,
            context: &task.context,
            duration,
            outcome,
        })?;
        Ok(())
    }

    /// Closes the WARC file; returns the record counts.
    fn finish(self) -> anyhow::Result<ArchiveClosed> {
        let index_lines = self.index_lines.clone();
        let written = self.writer.close()?;
        Ok(ArchiveClosed {
            records: self.records,
            written,
            index_lines,
        })
    }
}

/// Whether a URL settled on an outcome record (a refused login) rather than its response.
fn auth_failure_settled(settled_on: &WrittenRecord, response: &WrittenRecord) -> bool {
    settled_on.record_id != response.record_id
}

/// Writes the crawl.log lines of `relog` that the log does not hold yet: a crawl killed after a
/// record reached the WARC and before its line reached the log would otherwise leave a URL the
/// WARC holds that the log never names. One pass over the log, and only when there is anything
/// to check.
fn write_missing_lines(path: &Path, log: &mut CrawlLog, relog: Vec<Relog>) -> anyhow::Result<()> {
    if relog.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<String> = relog.iter().map(|r| r.task.url.to_string()).collect();
    let mut logged: HashSet<(String, String)> = HashSet::new();
    let reader = std::io::BufReader::new(fs_err::File::open(path)?);
    for line in std::io::BufRead::split(reader, b'\n') {
        let line = line?;
        let line = String::from_utf8_lossy(&line);
        let mut fields = line.split(' ');
        let (Some(url), Some(outcome)) = (fields.nth(4), line.rsplit(' ').next()) else {
            continue;
        };
        if wanted.contains(url) {
            logged.insert((url.to_string(), outcome.to_string()));
        }
    }
    for entry in relog {
        let url = entry.task.url.to_string();
        if logged.contains(&(url.clone(), entry.outcome.to_string())) {
            continue;
        }
        let via = entry.task.via.as_ref().map(|u| u.as_str());
        log.write(&LogLine {
            time: entry.time,
            status: entry.status,
            bytes: entry.bytes,
            mime: Some(entry.mime.as_str()).filter(|m| !m.is_empty()),
            url: &url,
            hop: entry.task.hop.letter(),
            depth: entry.task.depth,
            via,
            context: &entry.task.context,
            duration: None,
            outcome: entry.outcome,
        })?;
    }
    Ok(())
}
