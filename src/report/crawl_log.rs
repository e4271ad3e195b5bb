//! `reports/crawl.log`: one line per URL the crawl fetched or declined, in the order it happened.
//!
//! Space-separated fields, `-` for none, like Heritrix's crawl.log so that the usual `awk` and
//! `sort` habits work: time, status, bytes, mime, URL, hop letter and depth, via URL, context,
//! duration, outcome. The URL is never empty and contains no spaces (it is serialized by `url`).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// One line of the log.
#[derive(Debug, Clone)]
pub struct LogLine<'a> {
    pub time: DateTime<Utc>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub mime: Option<&'a str>,
    pub url: &'a str,
    pub hop: char,
    pub depth: u32,
    pub via: Option<&'a str>,
    pub context: &'a str,
    pub duration: Option<Duration>,
    pub outcome: crate::outcome::Outcome,
}

/// The log file, flushed line by line so that a killed crawl leaves a readable log.
pub struct CrawlLog {
    out: BufWriter<fs_err::File>,
}

impl CrawlLog {
    pub fn create(path: &Path) -> std::io::Result<CrawlLog> {
        let file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(CrawlLog {
            out: BufWriter::new(file),
        })
    }

    pub fn write(&mut self, line: &LogLine<'_>) -> std::io::Result<()> {
        let dash = |s: Option<String>| s.unwrap_or_else(|| "-".to_string());
        let field = |s: &str| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.replace(char::is_whitespace, "%20")
            }
        };
        writeln!(
            self.out,
            "{} {} {} {} {} {}{} {} {} {} {}",
            line.time.to_rfc3339_opts(SecondsFormat::Millis, true),
            dash(line.status.map(|s| s.to_string())),
            dash(line.bytes.map(|b| b.to_string())),
            field(line.mime.unwrap_or("")),
            field(line.url),
            line.hop,
            line.depth,
            field(line.via.unwrap_or("")),
            field(line.context),
            dash(line.duration.map(|d| format!("{}ms", d.as_millis()))),
            line.outcome,
        )?;
        self.out.flush()
    }
}
