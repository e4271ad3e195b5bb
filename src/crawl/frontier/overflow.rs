//! Where an origin's queue goes beyond what the frontier keeps in memory: an append-only file of
//! tasks, read back in order as the queue drains. A big site's frontier (hundreds of thousands of
//! URLs waiting) then costs a file, not memory. The file is scratch: after a crash, `--resume`
//! rebuilds the queue from the crawl state, which holds every queued URL.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::crawl::task::{Hop, Task};

/// One task as a line of the file.
#[derive(Serialize, Deserialize)]
struct Line {
    url: String,
    key: String,
    depth: u32,
    hop: Hop,
    via: Option<String>,
    context: String,
    requisite: bool,
    redirects: u32,
    attempt: u32,
    family: String,
    in_family: bool,
}

impl Line {
    fn of(task: &Task) -> Line {
        Line {
            url: task.url.to_string(),
            key: task.key.clone(),
            depth: task.depth,
            hop: task.hop,
            via: task.via.as_ref().map(Url::to_string),
            context: task.context.clone(),
            requisite: task.requisite,
            redirects: task.redirects,
            attempt: task.attempt,
            family: task.family.clone(),
            in_family: task.in_family,
        }
    }

    fn task(self) -> Option<Task> {
        Some(Task {
            url: Url::parse(&self.url).ok()?,
            key: self.key,
            depth: self.depth,
            hop: self.hop,
            via: self.via.and_then(|v| Url::parse(&v).ok()),
            context: self.context,
            requisite: self.requisite,
            redirects: self.redirects,
            attempt: self.attempt,
            family: self.family,
            in_family: self.in_family,
        })
    }
}

/// The tasks of one origin beyond its in-memory window, in order.
#[derive(Debug)]
pub(super) struct Overflow {
    path: PathBuf,
    writer: Option<BufWriter<fs_err::File>>,
    reader: Option<BufReader<fs_err::File>>,
    len: usize,
}

impl Overflow {
    pub(super) fn new(path: PathBuf) -> Overflow {
        Overflow {
            path,
            writer: None,
            reader: None,
            len: 0,
        }
    }

    /// Tasks in the file, not yet read back.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends a task.
    pub(super) fn push(&mut self, task: &Task) -> std::io::Result<()> {
        if self.writer.is_none() {
            let file = fs_err::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.writer = Some(BufWriter::new(file));
        }
        let line = serde_json::to_string(&Line::of(task)).map_err(std::io::Error::other)?;
        if let Some(writer) = self.writer.as_mut() {
            writer.write_all(line.as_bytes())?;
            writer.write_all(b"\n")?;
        }
        self.len += 1;
        Ok(())
    }

    /// Reads back up to `max` tasks, oldest first; the file goes once it is empty.
    pub(super) fn take(&mut self, max: usize) -> std::io::Result<Vec<Task>> {
        if self.len == 0 {
            return Ok(Vec::new());
        }
        if let Some(writer) = self.writer.as_mut() {
            writer.flush()?;
        }
        if self.reader.is_none() {
            self.reader = Some(BufReader::new(fs_err::File::open(&self.path)?));
        }
        let mut tasks = Vec::new();
        let mut line = String::new();
        while tasks.len() < max && self.len > 0 {
            line.clear();
            let Some(reader) = self.reader.as_mut() else {
                break;
            };
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            self.len -= 1;
            let parsed: Result<Line, _> = serde_json::from_str(line.trim_end());
            if let Some(task) = parsed.ok().and_then(Line::task) {
                tasks.push(task);
            }
        }
        if self.len == 0 {
            self.writer = None;
            self.reader = None;
            let _ = fs_err::remove_file(&self.path);
        }
        Ok(tasks)
    }
}

impl Drop for Overflow {
    fn drop(&mut self) {
        self.writer = None;
        self.reader = None;
        let _ = std::fs::remove_file(&self.path);
    }
}
