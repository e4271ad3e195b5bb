//! Integration test: a crawl killed after a page's record reached the WARC but before crawl.log
//! and the state heard of it. The resume must not fetch the page again (the WARC holds it), and
//! crawl.log must still name it, once, as archived.

use std::path::Path;

use super::{crawl_command, resume_command, run_ok, server};

/// The crawl.log lines naming `url`.
fn lines_of(log: &str, url: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.split(' ').nth(4) == Some(url))
        .map(str::to_string)
        .collect()
}

/// Puts `out` back where a kill between the WARC and the log leaves it: the page's line is not
/// in crawl.log and the state still has the page waiting.
fn forget_the_end_of(out: &Path, url: &str) {
    let log_path = out.join("reports/crawl.log");
    let log = fs_err::read_to_string(&log_path).expect("crawl.log");
    let kept: String = log
        .lines()
        .filter(|l| l.split(' ').nth(4) != Some(url))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept.len(), log.len(), "{url} was in crawl.log");
    fs_err::write(&log_path, kept).expect("write crawl.log");
    let db = rusqlite::Connection::open(out.join("state/crawl.sqlite3")).expect("state");
    let changed = db
        .execute(
            "UPDATE urls SET state = 'queued', outcome = NULL, detail = NULL,
                 warc_file = NULL, warc_offset = NULL WHERE url = ?1",
            [url],
        )
        .expect("update state");
    assert_eq!(changed, 1, "{url} is one row of the state");
}

#[test]
fn a_page_killed_between_the_warc_and_the_log_gets_its_line_on_resume() {
    let site = server("collective-impact");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    run_ok(crawl_command("collective-impact", &site.url(), &out));
    let page = site.url().join("principper/").expect("url");
    let before = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    let line = lines_of(&before, page.as_str());
    assert_eq!(line.len(), 1, "{before}");
    assert!(line[0].ends_with(" archived"), "{}", line[0]);
    let fetches = || {
        site.requests()
            .iter()
            .filter(|r| r.path() == "/principper/")
            .count()
    };
    assert_eq!(fetches(), 1);

    forget_the_end_of(&out, page.as_str());
    run_ok(resume_command(&out));

    assert_eq!(fetches(), 1, "the WARC holds the page: not fetched again");
    let after = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    let again = lines_of(&after, page.as_str());
    assert_eq!(again.len(), 1, "{after}");
    let fields: Vec<&str> = again[0].split(' ').collect();
    let was: Vec<&str> = line[0].split(' ').collect();
    // Status, bytes, type, URL, hop, via and outcome come back as they were; the time is the
    // capture's, the duration is not known any more.
    for i in [1, 2, 3, 4, 5, 6, 7, 9] {
        assert_eq!(fields[i], was[i], "field {i}: {} / {}", again[0], line[0]);
    }

    // A second resume finds the line there and writes it no second time.
    run_ok(resume_command(&out));
    let last = fs_err::read_to_string(out.join("reports/crawl.log")).expect("crawl.log");
    assert_eq!(lines_of(&last, page.as_str()).len(), 1, "{last}");
}
