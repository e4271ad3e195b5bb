//! What diff reads: a crawl without its index, a WARC file cut short, folders and indexes it
//! cannot use (exit 2, naming the path), and the committed reference archive.

use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use super::changed_copy::crawls;
use super::diff;
use crate::support::crawled;

/// A copy of a crawl's output folder, to break.
fn copy_of(out: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("copy");
    for sub in ["warc", "indexes"] {
        fs_err::create_dir_all(copy.join(sub)).expect("mkdir");
        for entry in fs_err::read_dir(out.join(sub)).expect("read_dir") {
            let path = entry.expect("entry").path();
            fs_err::copy(&path, copy.join(sub).join(path.file_name().expect("name")))
                .expect("copy");
        }
    }
    (dir, copy)
}

#[test]
fn a_crawl_without_its_index_is_read_from_its_warc_files() {
    let c = crawls();
    let (_dir, copy) = copy_of(&c.changed);
    fs_err::remove_file(copy.join("indexes/index.cdxj")).expect("rm");
    let with_index = diff(&c.old, &c.changed, &["--format", "json"]);
    let run = diff(&c.old, &copy, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(run.changes(&c.url), with_index.changes(&c.url));
    assert_eq!(run.json()["counts"], with_index.json()["counts"]);
    assert_eq!(run.json()["new"]["index"], "warc");
    assert!(
        run.stderr.contains("note:") && run.stderr.contains("no indexes/index.cdxj"),
        "{}",
        run.dump()
    );
    assert!(
        !copy.join("indexes/index.cdxj").exists(),
        "diff never writes into a crawl"
    );
}

#[test]
fn a_truncated_warc_tail_keeps_the_records_before_it() {
    let c = crawls();
    let (_dir, copy) = copy_of(&c.again);
    fs_err::remove_file(copy.join("indexes/index.cdxj")).expect("rm");
    let warc = fs_err::read_dir(copy.join("warc"))
        .expect("warc")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    let bytes = fs_err::read(&warc).expect("read");
    fs_err::write(&warc, &bytes[..bytes.len() - 40]).expect("cut");
    let run = diff(&c.old, &copy, &[]);
    assert_ne!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("truncated record at offset"),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr.contains("compared the whole records before it"),
        "{}",
        run.dump()
    );
}

#[test]
fn what_cannot_be_compared_exits_2_naming_the_path() {
    let c = crawls();
    let missing = Path::new("/nonexistent/arkiv-diff-old");
    let run = diff(missing, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr
            .contains("/nonexistent/arkiv-diff-old does not exist"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.is_empty());

    let empty = tempfile::tempdir().expect("temp");
    let run = diff(&c.old, empty.path(), &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("holds no warc/ folder") && run.stderr.contains("hint:"),
        "{}",
        run.dump()
    );

    // Not a WARC file, and no index to list it from.
    let garbage = tempfile::tempdir().expect("temp");
    fs_err::create_dir_all(garbage.path().join("warc")).expect("mkdir");
    let bad = garbage.path().join("warc/arkiv-1-00000.warc.gz");
    fs_err::write(&bad, b"this is no WARC file at all\n").expect("write");
    let run = diff(&c.old, garbage.path(), &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains(&bad.display().to_string()),
        "{}",
        run.dump()
    );

    // A broken index line, and one that names a file outside warc/.
    let (_dir, copy) = copy_of(&c.old);
    let index = copy.join("indexes/index.cdxj");
    let text = fs_err::read_to_string(&index).expect("index");
    fs_err::write(&index, format!("{text}not a cdxj line\n")).expect("write");
    let run = diff(&copy, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains(&index.display().to_string()),
        "{}",
        run.dump()
    );
    let hostile = text.replacen("\"filename\": \"", "\"filename\": \"../../", 1);
    fs_err::write(&index, hostile).expect("write");
    let run = diff(&copy, &c.changed, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("not a file in warc/"), "{}", run.dump());

    // Usage errors.
    let run = diff(&c.old, &c.changed, &["--ignore", "("]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stderr.contains("--ignore"), "{}", run.dump());
    let run = diff(&c.old, &c.changed, &["--rebase", "http://a/"]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr.contains("OLD_PREFIX=NEW_PREFIX") && run.stderr.contains("hint:"),
        "{}",
        run.dump()
    );
}

#[test]
fn a_fresh_crawl_of_the_fixture_is_what_the_reference_archive_holds() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/collective-impact");
    // The reference was crawled from a fixture server on another port, whichever it was.
    let index = fs_err::read_to_string(reference.join("indexes/index.cdxj")).expect("index");
    let first = index.lines().next().expect("a line");
    let line: Value =
        serde_json::from_str(first.splitn(3, ' ').nth(2).expect("json")).expect("json");
    let archived = Url::parse(line["url"].as_str().expect("url")).expect("url");
    let from = archived.origin().ascii_serialization();
    let fresh = crawled("collective-impact");
    let to = fresh.url.origin().ascii_serialization();

    let plain = diff(&reference, &fresh.out, &["--summary"]);
    assert_eq!(plain.code, Some(1), "nothing in common: {}", plain.dump());
    let hint = format!("--rebase {from}={to}");
    assert!(plain.stderr.contains(&hint), "{}", plain.dump());

    let rebase = format!("{from}={to}");
    let run = diff(&reference, &fresh.out, &["--rebase", &rebase]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let json = diff(
        &reference,
        &fresh.out,
        &["--rebase", &rebase, "--format", "json"],
    )
    .json();
    let captured = index.lines().filter(|l| l.contains("\"status\"")).count();
    assert_eq!(json["counts"]["unchanged"], captured, "{json:#}");
}
