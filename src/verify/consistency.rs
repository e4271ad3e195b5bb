//! Mirror and WARC agree: manifest lines match files (existence, sha1), every mirror file has a
//! line, every archived in-scope 200 response has its file, lines trace back to their records, and
//! files marked `"rewritten": false` equal their record's decoded payload.

use std::collections::HashSet;
use std::io::Read;

use rayon::prelude::*;

use super::ProgressEvent;
use super::archive::{Archive, LANDING, ManifestLine};
use super::files::FileSet;
use super::report::{Check, Finding, VerifyReport};
use super::warc::{IndexedRecord, RecordIndex};
use super::warc_reader::{digest_of, open_payload, same_digest};

/// The form URLs are compared in (the `url` crate's serialisation, fragment dropped).
pub fn normalise_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

pub fn check(
    archive: &Archive,
    files: &FileSet,
    manifest: &[ManifestLine],
    index: &RecordIndex,
    report: &mut VerifyReport,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) {
    progress(ProgressEvent::Start {
        check: Check::Consistency,
        total: manifest.len() as u64,
    });
    let mirror = archive.out.join("mirror");
    let findings: Vec<Vec<Finding>> = manifest
        .par_iter()
        .map(|line| {
            let found = check_line(archive, &mirror, files, line, index);
            progress(ProgressEvent::Advance {
                check: Check::Consistency,
                by: 1,
            });
            found
        })
        .collect();
    report.findings.extend(findings.into_iter().flatten());

    let listed: HashSet<&str> = manifest.iter().map(|l| l.path.as_str()).collect();
    for file in files.files() {
        if file != LANDING && !listed.contains(file.as_str()) {
            report.push(
                Finding::error(Check::Consistency, "mirror file has no manifest line")
                    .in_file(format!("mirror/{file}")),
            );
        }
    }

    let archived: HashSet<String> = manifest
        .iter()
        .filter(|l| l.kind == "archived")
        .filter_map(|l| l.url.as_deref().map(normalise_url))
        .collect();
    for record in &index.records {
        let Some(uri) = &record.target_uri else {
            continue;
        };
        if record.warc_type == "response"
            && record.http_status == Some(200)
            && archive.in_scope(uri)
            && !archived.contains(&normalise_url(uri))
        {
            report.push(
                Finding::error(
                    Check::Consistency,
                    "archived 200 response has no mirror file in the manifest",
                )
                .in_file(format!("warc/{}", record.file))
                .for_url(uri.clone()),
            );
        }
    }
    progress(ProgressEvent::Finish {
        check: Check::Consistency,
    });
}

fn check_line(
    archive: &Archive,
    mirror: &std::path::Path,
    files: &FileSet,
    line: &ManifestLine,
    index: &RecordIndex,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let at = |message: String| {
        let mut f = Finding::error(Check::Consistency, message)
            .in_file("manifest.jsonl")
            .at_line(Some(line.line));
        if let Some(url) = &line.url {
            f = f.for_url(url.clone());
        }
        f
    };
    let unsafe_path = line.path.starts_with('/')
        || line.path.contains('\\')
        || line
            .path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if unsafe_path {
        findings.push(at(format!("unsafe path {:?}", line.path)));
        return findings;
    }
    if !files.contains(&line.path) {
        findings.push(at(format!("mirror/{} does not exist", line.path)));
    } else {
        match fs_err::File::open(mirror.join(&line.path)).and_then(digest_of) {
            Ok((sha1, _)) if !same_digest(&sha1, &line.sha1) => findings.push(at(format!(
                "mirror/{} has sha1 {sha1}, the manifest says {}",
                line.path, line.sha1
            ))),
            Ok(_) => {}
            Err(e) => findings.push(at(format!("cannot read mirror/{}: {e}", line.path))),
        }
    }
    let (Some(warc), Some(offset)) = (&line.warc, line.offset) else {
        if line.kind == "archived" {
            findings.push(at("archived file names no WARC record".to_string()));
        }
        return findings;
    };
    let Some(record) = index.at(warc, offset) else {
        findings.push(at(format!("no WARC record at {warc} offset {offset}")));
        return findings;
    };
    if let Some(digest) = &line.payload_digest
        && !record
            .payload_digest
            .as_deref()
            .is_some_and(|d| same_digest(d, digest))
    {
        findings.push(at(format!(
            "payload digest {digest}, the record at {warc} offset {offset} has {}",
            record.payload_digest.as_deref().unwrap_or("(none)")
        )));
    }
    if let (Some(url), Some(uri)) = (&line.url, &record.target_uri)
        && normalise_url(url) != normalise_url(uri)
    {
        findings.push(at(format!(
            "the record at {warc} offset {offset} is for {uri}"
        )));
    }
    if line.kind == "archived"
        && !line.rewritten
        && files.contains(&line.path)
        && let Err(message) = compare_payload(archive, record, index, line)
    {
        findings.push(at(message));
    }
    findings
}

/// A file marked not rewritten must be the record's payload, content encoding decoded.
fn compare_payload(
    archive: &Archive,
    record: &IndexedRecord,
    index: &RecordIndex,
    line: &ManifestLine,
) -> Result<(), String> {
    // A revisit carries no payload: the original response with the same digest does (here, or
    // in the earlier crawl this one deduplicates against).
    let source = if record.warc_type == "revisit" {
        index
            .payload_of(record)
            .map_err(|why| format!("revisit record without its original response: {why}"))?
    } else {
        record
    };
    let opened = open_payload(
        &archive.record_path(&source.file, source.earlier),
        source.offset,
    )
    .map_err(|e| format!("cannot read the record's payload: {e}"))?;
    let body: Box<dyn Read + Send> = opened.body;
    let (sha1, _) =
        digest_of(body).map_err(|e| format!("cannot decode the record's payload: {e}"))?;
    if same_digest(&sha1, &line.sha1) {
        Ok(())
    } else {
        Err(format!(
            "marked \"rewritten\": false but mirror/{} differs from the record's decoded payload",
            line.path
        ))
    }
}
