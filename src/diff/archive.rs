//! One crawl loaded for comparison: the final capture of each URL, listed from the crawl's CDXJ
//! index (from its WARC files where the index is missing or does not cover a file), each read
//! back from its WARC record's heads. Reads only; nothing in the folder is ever written.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use regex::Regex;

use super::DiffError;
use super::capture::{Capture, RecordRef};
use super::payload::read_heads;
use super::rebase::Rebase;
use crate::warc::cdxj::{CdxjEntry, CdxjError, index_warc, read_index};
use crate::warc::reader::ReadError;

/// What to leave out and how to read URLs while loading.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions<'a> {
    /// URLs matching any of these (as compared, i.e. after rebasing) are left out.
    pub ignore: &'a [Regex],
    /// Applied to this crawl's URLs (the old crawl's; the new crawl's are read as they are).
    pub rebase: &'a [Rebase],
}

/// A crawl's captures, one per URL.
#[derive(Debug)]
pub struct Archive {
    pub path: PathBuf,
    pub warc_dir: PathBuf,
    /// The final capture of each URL, by its key ([`Capture::key`]).
    pub captures: BTreeMap<String, Capture>,
    /// For each payload digest, a response record holding that payload (revisits read theirs here).
    pub payloads: HashMap<String, RecordRef>,
    /// Keys of the URLs `--ignore` left out.
    pub ignored: BTreeSet<String>,
    /// `cdxj` when every capture came from the index, `warc` when any was read from a WARC file.
    pub index: &'static str,
    pub notes: Vec<String>,
}

impl Archive {
    /// Loads the crawl in `dir` (an `arkiv crawl` output folder).
    pub fn load(dir: &Path, options: LoadOptions<'_>) -> Result<Archive, DiffError> {
        if !dir.is_dir() {
            return Err(DiffError::NoFolder(dir.to_path_buf()));
        }
        let warc_dir = dir.join("warc");
        if !warc_dir.is_dir() {
            return Err(DiffError::NotACrawl(dir.to_path_buf()));
        }
        let files = warc_files(&warc_dir)?;
        let mut notes = Vec::new();
        let index_path = dir.join("indexes").join("index.cdxj");
        let mut index = "cdxj";
        let mut entries = if index_path.is_file() {
            read_index(&index_path).map_err(|source| DiffError::Index {
                path: index_path.clone(),
                source,
            })?
        } else {
            index = "warc";
            notes.push(format!(
                "{} has no indexes/index.cdxj (a crawl stopped before its end writes none): \
                 listed its captures from the WARC files",
                dir.display()
            ));
            Vec::new()
        };
        if files.is_empty() && entries.is_empty() {
            return Err(DiffError::NoWarcFiles(warc_dir));
        }
        let indexed: HashSet<String> = entries.iter().map(|e| e.filename.clone()).collect();
        for name in files.iter().filter(|name| !indexed.contains(*name)) {
            let path = warc_dir.join(name);
            if index == "cdxj" {
                index = "warc";
                notes.push(format!(
                    "{}: not in the index (written after it?): read from the WARC file",
                    path.display()
                ));
            }
            entries.extend(index_file(&path, &mut notes)?);
        }
        let mut archive = Archive {
            path: dir.to_path_buf(),
            warc_dir,
            captures: BTreeMap::new(),
            payloads: HashMap::new(),
            ignored: BTreeSet::new(),
            index,
            notes,
        };
        archive.read_captures(&entries, &index_path, options)?;
        Ok(archive)
    }

    /// Reads every HTTP capture's record heads and keeps the final capture of each URL.
    fn read_captures(
        &mut self,
        entries: &[CdxjEntry],
        index_path: &Path,
        options: LoadOptions<'_>,
    ) -> Result<(), DiffError> {
        // Lines without a status are resource and metadata records: not HTTP captures.
        let http: Vec<&CdxjEntry> = entries.iter().filter(|e| e.status.is_some()).collect();
        for entry in &http {
            if !is_plain_file_name(&entry.filename) {
                return Err(DiffError::HostileIndex {
                    path: index_path.to_path_buf(),
                    filename: entry.filename.clone(),
                });
            }
        }
        let read: Vec<Option<Capture>> = http
            .par_iter()
            .map(|entry| {
                let path = self.warc_dir.join(&entry.filename);
                let heads = read_heads(&path, entry.offset)?;
                let target = heads.warc.get("WARC-Target-URI").unwrap_or("");
                if target != entry.url {
                    return Err(DiffError::IndexMismatch {
                        path: index_path.to_path_buf(),
                        url: entry.url.clone(),
                        warc: path,
                        offset: entry.offset,
                        found: target.to_owned(),
                    });
                }
                Ok(Capture::from_record(entry, &heads, options.rebase))
            })
            .collect::<Result<_, DiffError>>()?;
        for capture in read.into_iter().flatten() {
            // An ignored response may still hold the payload a revisit of another URL names.
            if let (false, Some(digest)) = (capture.revisit, &capture.digest) {
                self.payloads
                    .entry(digest.clone())
                    .or_insert_with(|| capture.record.clone());
            }
            let key = capture.key();
            let ignored = options
                .ignore
                .iter()
                .any(|re| re.is_match(capture.url.as_str()) || re.is_match(&capture.archived_url));
            if ignored {
                self.ignored.insert(key);
                continue;
            }
            match self.captures.get(&key) {
                Some(kept) if kept.rank() > capture.rank() => {}
                _ => {
                    self.captures.insert(key, capture);
                }
            }
        }
        for capture in self.captures.values_mut().filter(|c| c.revisit) {
            capture.payload_at = capture
                .digest
                .as_ref()
                .and_then(|d| self.payloads.get(d))
                .cloned();
        }
        Ok(())
    }

    /// The earliest and the latest capture's timestamp.
    pub fn dates(&self) -> (Option<String>, Option<String>) {
        let stamps = self.captures.values().map(|c| &c.timestamp);
        (stamps.clone().min().cloned(), stamps.max().cloned())
    }

    /// Where a record of this crawl lies on disk.
    pub fn record_path(&self, record: &RecordRef) -> PathBuf {
        self.warc_dir.join(&record.file)
    }

    /// The origin most of this crawl's URLs are under (`scheme://host[:port]`).
    pub fn main_origin(&self) -> Option<String> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for capture in self.captures.values() {
            *counts
                .entry(capture.url.origin().ascii_serialization())
                .or_default() += 1;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(origin, _)| origin)
    }
}

/// The WARC files in `warc_dir`, by name (`*.warc.gz`, `*.warc`; a resume's `.partial` tails are
/// no WARC files).
fn warc_files(warc_dir: &Path) -> Result<Vec<String>, DiffError> {
    let mut names: Vec<String> = fs_err::read_dir(warc_dir)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".warc.gz") || name.ends_with(".warc"))
        .collect();
    names.sort();
    Ok(names)
}

/// Index lines for one WARC file; a truncated tail (a crawl killed mid-write) keeps the whole
/// records before it, with a note.
fn index_file(path: &Path, notes: &mut Vec<String>) -> Result<Vec<CdxjEntry>, DiffError> {
    match index_warc(path) {
        Ok(entries) => Ok(entries),
        Err(CdxjError::Warc {
            entries,
            source: source @ ReadError::Truncated { .. },
        }) => {
            notes.push(format!("{source}: compared the whole records before it"));
            Ok(entries)
        }
        Err(CdxjError::Warc { source, .. }) => Err(DiffError::Warc(source)),
        Err(source) => Err(DiffError::Index {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A CDXJ `filename` must name a file in `warc/`, never a path out of it.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_cannot_name_a_file_outside_warc() {
        assert!(is_plain_file_name("arkiv-20261127044334-00000.warc.gz"));
        for hostile in ["", "..", "../x.warc.gz", "/etc/passwd", "a\\b", "~root"] {
            assert!(!is_plain_file_name(hostile), "{hostile:?}");
        }
    }
}
