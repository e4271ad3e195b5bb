//! Reading back what a stopped crawl archived: seals truncated WARC tails (keeping the cut bytes
//! aside as `<file>.partial`) and lists the records the WARC files hold, which are the truth
//! about what is archived when a crawl resumes.

use std::collections::{HashMap, HashSet};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::outcome::Truncation;
use crate::urls::dedup_key;
use crate::warc::{ReadError, RecordType, WarcReader, parse_response_head};

/// Suffix of the bytes cut off a WARC file's tail (never read as WARC by mirror or verify).
pub const PARTIAL_SUFFIX: &str = "partial";
/// The shortest run of trailing zero bytes taken as a power loss's unwritten tail.
const POWER_LOSS_ZEROS: u64 = 64;
/// Digest of an empty payload: empty bodies never become revisits.
const EMPTY_DIGEST: &str = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ";

/// One response or revisit found in the WARC files.
#[derive(Debug, Clone)]
pub struct ArchivedResponse {
    pub uri: String,
    pub record_id: String,
    pub date: DateTime<Utc>,
    pub status: Option<u16>,
    pub mime: String,
    pub payload_digest: Option<String>,
    pub truncated: Option<Truncation>,
    pub revisit: bool,
    pub block_len: u64,
    /// Bytes of the body after the HTTP head (`None` for a revisit, which holds no body).
    pub payload_len: Option<u64>,
    /// The WARC file (name) and the record's offset in it.
    pub file: String,
    pub offset: u64,
}

/// What the WARC files of an output folder hold.
#[derive(Debug, Default)]
pub struct Recovered {
    /// WARC files in name order (after sealing).
    pub files: Vec<PathBuf>,
    /// The serial the next file should take.
    pub next_serial: u32,
    /// Responses and revisits, in file order.
    pub responses: Vec<ArchivedResponse>,
    /// Canonical keys of URLs that have an outcome record ("not archived because …").
    pub outcomes: HashSet<String>,
    /// `WARC-Refers-To` of every `conversion` record: the responses rendered already
    /// (`--browser`).
    pub rendered: HashSet<String>,
    /// Tails cut off: (file, bytes removed, where they were kept).
    pub sealed: Vec<(PathBuf, u64, PathBuf)>,
}

impl Recovered {
    /// Canonical keys with their responses, for deciding what must be fetched again.
    pub fn by_key(&self) -> HashMap<String, Vec<&ArchivedResponse>> {
        let mut map: HashMap<String, Vec<&ArchivedResponse>> = HashMap::new();
        for response in &self.responses {
            if let Ok(url) = url::Url::parse(&response.uri) {
                map.entry(dedup_key(&url)).or_default().push(response);
            }
        }
        map
    }

    /// Earlier whole 2xx captures by payload digest (first one wins), for revisit records.
    pub fn first_captures(&self) -> Vec<&ArchivedResponse> {
        let mut seen = HashSet::new();
        self.responses
            .iter()
            .filter(|r| {
                !r.revisit
                    && r.truncated.is_none()
                    && r.status.is_some_and(|s| (200..300).contains(&s))
                    && r.payload_digest
                        .as_deref()
                        .is_some_and(|d| d != EMPTY_DIGEST && seen.insert(d.to_string()))
            })
            .collect()
    }
}

/// The WARC files of `warc_dir` (`*.warc.gz`, `*.warc`), sorted by name.
pub fn warc_files(warc_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs_err::read_dir(warc_dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if (name.ends_with(".warc.gz") || name.ends_with(".warc")) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Seals every WARC file in `<out>/warc` and lists what they hold.
pub fn recover(out: &Path, prefix: &str) -> anyhow::Result<Recovered> {
    let warc_dir = out.join("warc");
    let mut recovered = Recovered::default();
    let files = warc_files(&warc_dir)?;
    let count = files.len();
    for (i, file) in files.into_iter().enumerate() {
        if let Some(serial) = serial_of(&file, prefix) {
            recovered.next_serial = recovered.next_serial.max(serial.saturating_add(1));
        }
        if let Some(sealed) = seal(&file, i + 1 == count)? {
            recovered.sealed.push(sealed);
        }
        if fs_err::metadata(&file)?.len() == 0 {
            // Killed before its first record was whole: nothing archived, the name is free.
            fs_err::remove_file(&file)?;
            continue;
        }
        scan(&file, &mut recovered).with_context(|| format!("reading {}", file.display()))?;
        recovered.files.push(file);
    }
    Ok(recovered)
}

/// Cuts an unfinished tail off `file`, copying it to `<file>.partial` first: a truncated
/// record, and a request record left without its response (the crash came between the two; the
/// request alone would pair with nothing). Only the `last` file written can end in an orphan
/// request: in an earlier one, the response went to the next file when the writer rotated.
fn seal(file: &Path, last: bool) -> anyhow::Result<Option<(PathBuf, u64, PathBuf)>> {
    let len = fs_err::metadata(file)?.len();
    let end = whole_len(file, last)?;
    if end == len {
        return Ok(None);
    }
    let partial = free_partial_name(file);
    let mut source = fs_err::File::open(file)?;
    source.seek(SeekFrom::Start(end))?;
    let mut tail = Vec::new();
    source.read_to_end(&mut tail)?;
    let mut kept = fs_err::File::create(&partial)?;
    kept.write_all(&tail)?;
    kept.sync_all()?;
    drop(source);
    // Cut here rather than with `warc::seal_truncated_tail`, which trims only a truncated record
    // (an orphan request is whole). The tail is safe in the `.partial` file by now.
    let target = fs_err::OpenOptions::new().write(true).open(file)?;
    target.set_len(end)?;
    target.sync_all()?;
    drop(target);
    Ok(Some((file.to_path_buf(), len - end, partial)))
}

/// Where the file's complete part ends: after its last whole record, or before a trailing
/// request that has no response after it.
fn whole_len(file: &Path, last: bool) -> anyhow::Result<u64> {
    let mut reader = WarcReader::open(file)?;
    let mut end = 0;
    let mut open_request: Option<u64> = None;
    loop {
        let step = reader.next_record().and_then(|head| match head {
            Some(head) => {
                let request = head.headers.record_type() == Some(RecordType::Request);
                reader.finish_record().map(|s| Some((s, request)))
            }
            None => Ok(None),
        });
        match step {
            Ok(Some((summary, request))) => {
                open_request = (request && last).then_some(summary.offset);
                end = summary.offset + summary.length;
            }
            Ok(None) | Err(ReadError::Truncated { .. }) => return Ok(open_request.unwrap_or(end)),
            Err(ReadError::Malformed { offset, .. })
                if last && offset == end && ends_in_zeros(file, offset)? =>
            {
                return Ok(open_request.unwrap_or(end));
            }
            Err(other) => return Err(other.into()),
        }
    }
}

/// A power loss can leave a file longer than what reached the disk, its tail filled with zeros
/// (the size was committed, the data blocks were not). A record that fails to read where its
/// last whole predecessor ended, in a file that ends in at least [`POWER_LOSS_ZEROS`] zero bytes,
/// is such a tail, not damage: no gzip member or WARC record ends that way, and whatever is cut
/// is kept in the `.partial` file all the same.
fn ends_in_zeros(file: &Path, offset: u64) -> anyhow::Result<bool> {
    let len = fs_err::metadata(file)?.len();
    if len.saturating_sub(offset) < POWER_LOSS_ZEROS {
        return Ok(false);
    }
    let mut source = fs_err::File::open(file)?;
    source.seek(SeekFrom::Start(len - POWER_LOSS_ZEROS))?;
    let mut tail = Vec::new();
    source.read_to_end(&mut tail)?;
    Ok(tail.iter().all(|&b| b == 0))
}

fn free_partial_name(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut candidate = file.with_file_name(format!("{name}.{PARTIAL_SUFFIX}"));
    let mut n = 1;
    while candidate.exists() {
        candidate = file.with_file_name(format!("{name}.{n}.{PARTIAL_SUFFIX}"));
        n += 1;
    }
    candidate
}

/// `<prefix>-<stamp>-<serial>.warc.gz` → serial.
fn serial_of(file: &Path, prefix: &str) -> Option<u32> {
    let name = file.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".warc.gz")
        .or_else(|| name.strip_suffix(".warc"))?;
    let rest = stem.strip_prefix(prefix)?.strip_prefix('-')?;
    rest.rsplit('-').next()?.parse().ok()
}

fn scan(file: &Path, recovered: &mut Recovered) -> anyhow::Result<()> {
    let mut reader = WarcReader::open(file)?;
    while let Some(head) = reader.next_record()? {
        let h = &head.headers;
        let kind = h.record_type();
        let uri = h.get("WARC-Target-URI").unwrap_or_default().to_string();
        match kind {
            Some(RecordType::Metadata)
                if h.get("Content-Type") == Some(crate::warc::OUTCOME_CONTENT_TYPE) =>
            {
                if let Ok(url) = url::Url::parse(&uri) {
                    recovered.outcomes.insert(dedup_key(&url));
                }
                reader.finish_record()?;
            }
            Some(RecordType::Conversion) => {
                if let Some(refers_to) = h.get("WARC-Refers-To") {
                    recovered.rendered.insert(refers_to.to_string());
                }
                reader.finish_record()?;
            }
            Some(kind @ (RecordType::Response | RecordType::Revisit)) => {
                let record_id = h.get("WARC-Record-ID").unwrap_or_default().to_string();
                let date = h
                    .get("WARC-Date")
                    .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_else(Utc::now);
                let payload_digest = h.get("WARC-Payload-Digest").map(str::to_string);
                let truncated = h.get("WARC-Truncated").map(Truncation::from_warc_reason);
                let mut prefix = Vec::new();
                let mut buf = vec![0u8; 16 * 1024];
                while prefix.len() < 64 * 1024 {
                    let n = reader.read_block(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    prefix.extend_from_slice(&buf[..n]);
                }
                let summary = reader.finish_record()?;
                let http = parse_response_head(&prefix).ok();
                let revisit = kind == RecordType::Revisit;
                let payload_len = match &http {
                    Some(head) if !revisit => {
                        Some(summary.block_len.saturating_sub(head.len as u64))
                    }
                    _ => None,
                };
                recovered.responses.push(ArchivedResponse {
                    uri,
                    record_id,
                    date,
                    status: http.as_ref().map(|h| h.status),
                    mime: http
                        .and_then(|h| h.content_type())
                        .map(|m| crate::content::media_type(&m))
                        .unwrap_or_default(),
                    payload_digest,
                    truncated,
                    revisit,
                    block_len: summary.block_len,
                    payload_len,
                    file: file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    offset: summary.offset,
                });
            }
            _ => {
                reader.finish_record()?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_come_from_file_names() {
        let p = Path::new("/x/arkiv-20261127034012-00007.warc.gz");
        assert_eq!(serial_of(p, "arkiv"), Some(7));
        assert_eq!(serial_of(p, "other"), None);
        assert_eq!(
            serial_of(Path::new("/x/arkiv-1-00003.warc"), "arkiv"),
            Some(3)
        );
        assert_eq!(serial_of(Path::new("/x/a.warc.gz.partial"), "a"), None);
    }
}
