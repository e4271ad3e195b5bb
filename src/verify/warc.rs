//! WARC integrity: every record parses and its lengths and digests hold, requests and responses
//! pair up, each file opens with `warcinfo`, truncation is found; every CDXJ line names a record
//! and every response and revisit record has a CDXJ line (replay tools find records only there).
//!
//! A crawl made with `--dedup-from OLD` (its `arkiv.toml` says `dedup-from`) has revisits whose
//! payload is in OLD: OLD's WARC files are read too, and each such revisit must name
//! (`WARC-Refers-To`) an intact response there with the same payload digest. A missing OLD is
//! a failure.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::ProgressEvent;
use super::archive::Archive;
use super::report::{Check, Finding, VerifyReport};
use super::warc_reader::{ScannedRecord, same_digest, scan_file};

/// What later checks need to know about one record.
#[derive(Debug, Clone)]
pub struct IndexedRecord {
    pub file: String,
    pub offset: u64,
    pub length: u64,
    pub warc_type: String,
    pub record_id: Option<String>,
    pub target_uri: Option<String>,
    pub payload_digest: Option<String>,
    pub concurrent_to: Vec<String>,
    pub http_status: Option<u16>,
    pub http_mime: Option<String>,
    pub http_charset: Option<String>,
    /// `WARC-Refers-To` (revisits).
    pub refers_to: Option<String>,
    /// Parsed with every length and digest holding.
    pub intact: bool,
    /// The record is in the earlier crawl's WARC files (`file` names one of them).
    pub earlier: bool,
}

/// Every readable record, indexed by location, id and payload digest.
#[derive(Debug, Default)]
pub struct RecordIndex {
    pub records: Vec<IndexedRecord>,
    by_location: HashMap<(String, u64), usize>,
    by_id: HashMap<String, usize>,
    responses_by_digest: HashMap<String, usize>,
    /// Response records of the earlier crawl (`--dedup-from`), by record id.
    earlier_by_id: HashMap<String, IndexedRecord>,
    /// Set when the crawl deduplicates against an earlier one whose folder is gone.
    earlier_missing: Option<String>,
}

fn digest_key(digest: &str) -> String {
    let d = digest.trim();
    d.get(..5)
        .filter(|p| p.eq_ignore_ascii_case("sha1:"))
        .map_or(d, |_| &d[5..])
        .to_ascii_uppercase()
}

impl RecordIndex {
    fn add(&mut self, record: IndexedRecord) {
        let index = self.records.len();
        self.by_location
            .insert((record.file.clone(), record.offset), index);
        if let Some(id) = &record.record_id {
            self.by_id.insert(id.clone(), index);
        }
        if record.warc_type == "response"
            && let Some(d) = &record.payload_digest
        {
            self.responses_by_digest
                .entry(digest_key(d))
                .or_insert(index);
        }
        self.records.push(record);
    }

    pub fn at(&self, file: &str, offset: u64) -> Option<&IndexedRecord> {
        self.by_location
            .get(&(file.to_string(), offset))
            .map(|&i| &self.records[i])
    }

    pub fn by_id(&self, id: &str) -> Option<&IndexedRecord> {
        self.by_id.get(id).map(|&i| &self.records[i])
    }

    /// The first response record with this payload digest (where a revisit's payload lives).
    pub fn response_with_digest(&self, digest: &str) -> Option<&IndexedRecord> {
        self.responses_by_digest
            .get(&digest_key(digest))
            .map(|&i| &self.records[i])
    }

    /// Where a revisit's payload is: a response of this crawl with its digest, else the earlier
    /// crawl's record it names, when that is an intact response with the same digest.
    pub fn payload_of(&self, revisit: &IndexedRecord) -> Result<&IndexedRecord, String> {
        let digest = revisit
            .payload_digest
            .as_deref()
            .ok_or("a revisit record without WARC-Payload-Digest")?;
        if let Some(found) = self.response_with_digest(digest) {
            return Ok(found);
        }
        if let Some(old) = &self.earlier_missing {
            return Err(format!(
                "no response record with its payload digest, and the earlier crawl it \
                 deduplicates against, {old}, is missing"
            ));
        }
        let Some(id) = &revisit.refers_to else {
            return Err("no response record with its payload digest".to_string());
        };
        let Some(old) = self.earlier_by_id.get(id) else {
            return Err(format!(
                "no response record with its payload digest, here or in the earlier crawl \
                 (WARC-Refers-To {id})"
            ));
        };
        if old.warc_type != "response" {
            return Err(format!(
                "it refers to {id}, a {} record of the earlier crawl",
                old.warc_type
            ));
        }
        if !old.intact {
            return Err(format!(
                "it refers to {id} in the earlier crawl's warc/{}, which is damaged",
                old.file
            ));
        }
        if !old
            .payload_digest
            .as_deref()
            .is_some_and(|d| same_digest(d, digest))
        {
            return Err(format!(
                "it refers to {id} in the earlier crawl's warc/{}, whose payload digest differs",
                old.file
            ));
        }
        Ok(old)
    }
}

fn index_record(file: &str, scanned: ScannedRecord) -> IndexedRecord {
    let h = &scanned.head.headers;
    IndexedRecord {
        file: file.to_string(),
        offset: scanned.offset,
        length: scanned.length,
        warc_type: scanned.head.warc_type().to_string(),
        record_id: h.get("WARC-Record-ID").map(str::to_string),
        target_uri: h
            .get("WARC-Target-URI")
            .map(|u| u.trim_matches(['<', '>']).to_string()),
        payload_digest: h.get("WARC-Payload-Digest").map(str::to_string),
        concurrent_to: h
            .get_all("WARC-Concurrent-To")
            .map(str::to_string)
            .collect(),
        http_status: scanned.http.as_ref().and_then(|x| x.status),
        http_mime: scanned.http.as_ref().and_then(|x| x.mime()),
        http_charset: scanned.http.as_ref().and_then(|x| x.charset()),
        refers_to: h.get("WARC-Refers-To").map(str::to_string),
        intact: scanned.problems.is_empty(),
        earlier: false,
    }
}

/// Reads the earlier crawl's WARC files (`--dedup-from`) into `index`, or notes it missing.
fn read_earlier(
    archive: &Archive,
    index: &mut RecordIndex,
    report: &mut VerifyReport,
) -> std::io::Result<()> {
    let Some(old) = &archive.dedup_from else {
        return Ok(());
    };
    let Some(files) = archive.earlier_warc_files() else {
        report.push(
            Finding::error(
                Check::Warc,
                format!(
                    "this crawl deduplicates against the earlier crawl {} (dedup-from), whose \
                     warc/ folder is missing: the payloads its revisit records refer to cannot \
                     be read",
                    old.display()
                ),
            )
            .in_file("arkiv.toml"),
        );
        index.earlier_missing = Some(old.display().to_string());
        return Ok(());
    };
    let scans: Vec<_> = files
        .par_iter()
        .map(|name| (name, scan_file(&archive.record_path(name, true))))
        .collect();
    for (name, scan) in scans {
        let (records, problems) = scan?;
        for problem in problems {
            report.push(
                Finding::warning(
                    Check::Warc,
                    format!("the earlier crawl's WARC file: {}", problem.message),
                )
                .in_file(format!("{}/warc/{name}", old.display())),
            );
        }
        for record in records {
            let mut indexed = index_record(name, record);
            indexed.earlier = true;
            if indexed.warc_type == "response"
                && let Some(id) = indexed.record_id.clone()
            {
                index.earlier_by_id.insert(id, indexed);
            }
        }
    }
    Ok(())
}

/// Reads every WARC file (in parallel, each streamed), reports what does not hold, and returns
/// the index of readable records for the other checks.
pub fn check_warc_files(
    archive: &Archive,
    report: &mut VerifyReport,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> std::io::Result<RecordIndex> {
    progress(ProgressEvent::Start {
        check: Check::Warc,
        total: archive.warc_files.len() as u64,
    });
    report.counts.warc_files = archive.warc_files.len() as u64;
    if archive.warc_files.is_empty() {
        report.push(Finding::error(Check::Warc, "no WARC files in warc/").in_file("warc"));
    }
    let scans: Vec<_> = archive
        .warc_files
        .par_iter()
        .map(|name| {
            let scan = scan_file(&archive.warc_path(name));
            progress(ProgressEvent::Advance {
                check: Check::Warc,
                by: 1,
            });
            (name, scan)
        })
        .collect();
    let mut index = RecordIndex::default();
    for (name, scan) in scans {
        let display = format!("warc/{name}");
        let (records, problems) = scan?;
        for problem in problems {
            report.push(Finding::error(Check::Warc, problem.message).in_file(display.clone()));
        }
        match records.first() {
            Some(first) if first.offset == 0 && first.head.warc_type() == "warcinfo" => {}
            _ => report.push(
                Finding::error(
                    Check::Warc,
                    "the file does not start with a warcinfo record",
                )
                .in_file(display.clone()),
            ),
        }
        for record in records {
            for problem in &record.problems {
                let mut finding = Finding::error(
                    Check::Warc,
                    format!(
                        "{} record at offset {}: {problem}",
                        record.head.warc_type(),
                        record.offset
                    ),
                )
                .in_file(display.clone());
                if let Some(uri) = record.head.headers.get("WARC-Target-URI") {
                    finding = finding.for_url(uri.trim_matches(['<', '>']));
                }
                report.push(finding);
            }
            index.add(index_record(name, record));
        }
    }
    report.counts.warc_records = index.records.len() as u64;
    read_earlier(archive, &mut index, report)?;
    check_pairs(&index, report);
    progress(ProgressEvent::Finish { check: Check::Warc });
    Ok(index)
}

/// Requests and responses name each other with `WARC-Concurrent-To` (either direction counts);
/// a revisit's original response (same payload digest) must be in the archive.
fn check_pairs(index: &RecordIndex, report: &mut VerifyReport) {
    // For each record id, the types of the records that name it.
    let mut named_by: HashMap<&str, HashSet<&str>> = HashMap::new();
    for record in &index.records {
        for id in &record.concurrent_to {
            named_by
                .entry(id.as_str())
                .or_default()
                .insert(record.warc_type.as_str());
        }
    }
    let type_of = |id: &str| index.by_id(id).map(|r| r.warc_type.as_str());
    for record in &index.records {
        let display = format!("warc/{}", record.file);
        let (want, other) = match record.warc_type.as_str() {
            "request" => ("response", "revisit"),
            "response" if record.http_status.is_some() => ("request", "request"),
            "revisit" => {
                if let Err(why) = index.payload_of(record) {
                    report.push(
                        Finding::error(
                            Check::Warc,
                            format!("revisit record at offset {}: {why}", record.offset),
                        )
                        .in_file(display)
                        .for_url(record.target_uri.clone().unwrap_or_default()),
                    );
                }
                continue;
            }
            _ => continue,
        };
        let names_partner = record
            .concurrent_to
            .iter()
            .any(|id| matches!(type_of(id), Some(t) if t == want || t == other));
        let is_named = record
            .record_id
            .as_deref()
            .and_then(|id| named_by.get(id))
            .is_some_and(|types| types.contains(want) || types.contains(other));
        if !names_partner && !is_named {
            report.push(
                Finding::error(
                    Check::Warc,
                    format!(
                        "{} record at offset {} has no {want} record paired with it (WARC-Concurrent-To)",
                        record.warc_type, record.offset
                    ),
                )
                .in_file(display)
                .for_url(record.target_uri.clone().unwrap_or_default()),
            );
        }
    }
}

/// Every CDXJ line points at a record (file, offset, member length) with its URL and digest.
pub fn check_cdxj(
    archive: &Archive,
    index: &RecordIndex,
    report: &mut VerifyReport,
) -> std::io::Result<()> {
    const FILE: &str = "indexes/index.cdxj";
    let path = archive.out.join(FILE);
    if !path.is_file() {
        report.push(Finding::error(Check::Warc, "the CDXJ index is missing").in_file(FILE));
        return Ok(());
    }
    let text = fs_err::read_to_string(&path)?;
    let mut previous: Option<&str> = None;
    let mut indexed: HashSet<(String, u64)> = HashSet::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        report.counts.cdxj_lines += 1;
        let at = |message: String| {
            Finding::error(Check::Warc, message)
                .in_file(FILE)
                .at_line(Some(number as u32 + 1))
        };
        if previous.is_some_and(|p| p.as_bytes() > line.as_bytes()) {
            report.push(at("CDXJ lines are not sorted bytewise".to_string()));
        }
        previous = Some(line);
        if let Some(location) = cdxj_location(line) {
            indexed.insert(location);
        }
        for finding in check_cdxj_line(line, index) {
            report.push(at(finding));
        }
    }
    for record in &index.records {
        if matches!(record.warc_type.as_str(), "response" | "revisit")
            && !indexed.contains(&(record.file.clone(), record.offset))
        {
            let mut finding = Finding::error(
                Check::Warc,
                format!(
                    "{} record at {} offset {} has no CDXJ line",
                    record.warc_type, record.file, record.offset
                ),
            )
            .in_file(FILE);
            if let Some(url) = &record.target_uri {
                finding = finding.for_url(url);
            }
            report.push(finding);
        }
    }
    Ok(())
}

/// The `(filename, offset)` a CDXJ line points at, when it names one.
fn cdxj_location(line: &str) -> Option<(String, u64)> {
    let json = line.splitn(3, ' ').nth(2)?;
    let fields = serde_json::from_str::<serde_json::Value>(json).ok()?;
    let filename = fields.get("filename")?.as_str()?.to_string();
    let offset = match fields.get("offset")? {
        serde_json::Value::String(s) => s.parse().ok()?,
        serde_json::Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    Some((filename, offset))
}

fn check_cdxj_line(line: &str, index: &RecordIndex) -> Vec<String> {
    let mut parts = line.splitn(3, ' ');
    let (Some(_surt), Some(_timestamp), Some(json)) = (parts.next(), parts.next(), parts.next())
    else {
        return vec!["not a CDXJ line (<surt> <timestamp> {json})".to_string()];
    };
    let Ok(fields) = serde_json::from_str::<serde_json::Value>(json) else {
        return vec!["the CDXJ line's JSON does not parse".to_string()];
    };
    // pywb writes numbers as strings; accept either.
    let text = |key: &str| match fields.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (Some(filename), Some(offset)) = (text("filename"), text("offset")) else {
        return vec!["the CDXJ line names no filename and offset".to_string()];
    };
    let Some(record) = offset.parse().ok().and_then(|o| index.at(&filename, o)) else {
        return vec![format!("no record at {filename} offset {offset}")];
    };
    let mut problems = Vec::new();
    if let Some(length) = text("length")
        && length != record.length.to_string()
    {
        problems.push(format!(
            "length {length} but the record's gzip member is {} bytes",
            record.length
        ));
    }
    if let Some(url) = text("url")
        && record.target_uri.as_deref() != Some(url.as_str())
    {
        problems.push(format!(
            "url {url} but the record is for {}",
            record.target_uri.as_deref().unwrap_or("(none)")
        ));
    }
    if let Some(digest) = text("digest")
        && !record
            .payload_digest
            .as_deref()
            .is_some_and(|d| same_digest(d, &digest))
    {
        problems.push(format!(
            "digest {digest} but the record's payload digest is {}",
            record.payload_digest.as_deref().unwrap_or("(none)")
        ));
    }
    problems
}
