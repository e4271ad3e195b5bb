//! Crawl folders written record by record (`handmade`): retries, cut-short records, gzip and
//! chunked bodies, revisits of another crawl's records, charset and status changes, an index
//! that does not match its WARC files.

use super::diff;
use super::handmade::Handmade;

const HTML: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n";
const CSS: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n";

#[test]
fn retries_cut_short_records_and_encodings_are_no_changes() {
    let dir = tempfile::tempdir().expect("temp");
    let page = b"<!doctype html><title>Side</title><p>Samme tekst.</p>";
    let css = b"body { color: #222; }\nh1 { font-size: 2em; }\n";
    let json = br#"{"sider": ["/", "/om/"], "opdateret": false}"#;
    let image: Vec<u8> = (0..=255u8).cycle().take(3000).collect();

    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    // A real answer, then a "come back later" (a resumed crawl asked again): the answer counts.
    old.response("http://example.org/side", HTML, page);
    old.response(
        "http://example.org/side",
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/html\r\n",
        b"<p>Kom igen senere.</p>",
    );
    old.response("http://example.org/stil.css", CSS, css);
    old.chunked(
        "http://example.org/data.json",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
        json,
        7,
    );
    old.response(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
    );
    let old = old.finish();

    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.response("http://example.org/side", HTML, page);
    new.gzipped("http://example.org/stil.css", CSS, css);
    new.response(
        "http://example.org/data.json",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
        json,
    );
    // Whole, then cut short on a later fetch: the whole one is the capture, whichever came last.
    new.response(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
    );
    new.cut_short(
        "http://example.org/billede.png",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
        &image,
        1000,
    );
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(run.json()["counts"]["unchanged"], 4, "{}", run.dump());
}

#[test]
fn a_revisit_is_read_from_the_crawl_that_holds_its_payload() {
    let dir = tempfile::tempdir().expect("temp");
    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    let first = old.response(
        "http://example.org/a",
        HTML,
        "<p>Første tekst.</p>".as_bytes(),
    );
    old.response("http://example.org/b", HTML, b"<p>Anden tekst.</p>");
    let old = old.finish();
    // As `arkiv crawl --dedup-from OLD` writes it: revisits of the old crawl's records.
    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.revisit("http://example.org/a", HTML, &first);
    new.revisit("http://example.org/b", HTML, &first);
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let json = run.json();
    let changes = json["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{json:#}");
    assert_eq!(changes[0]["url"], "http://example.org/b");
    assert_eq!(changes[0]["new"]["revisit"], true);
    let text = &changes[0]["aspects"][1];
    assert_eq!(text["aspect"], "text", "{json:#}");
    assert_eq!(
        text["diff"],
        serde_json::json!(["@@ -1 +1 @@", "-Anden tekst.", "+Første tekst."])
    );
    assert_eq!(
        changes[0]["aspects"][0]["new_size"],
        "<p>Første tekst.</p>".len()
    );
}

#[test]
fn status_content_type_and_whitespace_changes_are_told_apart() {
    let dir = tempfile::tempdir().expect("temp");
    let body = "<p>Blåbærgrød</p>".as_bytes();
    let mut old = Handmade::new(&dir.path().join("old"), 2026);
    old.response("http://example.org/side", HTML, body);
    old.response("http://example.org/stil.css", CSS, b"a { color: red; }\n");
    old.response(
        "http://example.org/tekst.txt",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
        b"Hej  verden\n",
    );
    old.response("http://example.org/ud", HTML, b"<p>Her</p>");
    let old = old.finish();
    let mut new = Handmade::new(&dir.path().join("new"), 2031);
    new.response(
        "http://example.org/side",
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=windows-1252\r\n",
        body,
    );
    new.response(
        "http://example.org/stil.css",
        CSS,
        b"a {\n  color: blue;\n}\n",
    );
    new.response(
        "http://example.org/tekst.txt",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
        b"Hej verden\r\n",
    );
    new.response(
        "http://example.org/ud",
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n",
        b"<p>Her</p>",
    );
    let new = new.finish();

    let run = diff(&old, &new, &["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let json = run.json();
    let aspects = |path: &str| -> Vec<String> {
        let url = format!("http://example.org{path}");
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["url"] == url.as_str())
            .map(|c| {
                c["aspects"]
                    .as_array()
                    .expect("aspects")
                    .iter()
                    .map(|a| a["aspect"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        aspects("/side"),
        ["content-type"],
        "same bytes, read in another charset: {json:#}"
    );
    assert_eq!(aspects("/stil.css"), ["payload", "text"]);
    assert_eq!(
        aspects("/tekst.txt"),
        ["payload"],
        "a whitespace-only change shows no text diff"
    );
    assert_eq!(aspects("/ud"), ["status", "content-type"], "{json:#}");
    let text = diff(&old, &new, &[]);
    for expected in [
        "content type: text/html; charset=UTF-8 → text/html; charset=windows-1252",
        "status: 200 → 404",
        "-a { color: red; }",
        "+color: blue;",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected:?}\n{}",
            text.dump()
        );
    }
}

#[test]
fn an_index_that_does_not_match_its_warc_files_exits_2() {
    let dir = tempfile::tempdir().expect("temp");
    let mut crawl = Handmade::new(&dir.path().join("old"), 2026);
    crawl.response("http://example.org/a", HTML, b"<p>A</p>");
    crawl.response("http://example.org/b", HTML, b"<p>B</p>");
    let out = crawl.finish();
    let index_path = out.join("indexes/index.cdxj");
    let index = fs_err::read_to_string(&index_path).expect("index");
    let offsets: Vec<String> = index
        .lines()
        .map(|l| {
            l.split("\"offset\": \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("offset")
                .to_string()
        })
        .collect();
    let swapped = index
        .replace(
            &format!("\"offset\": \"{}\"", offsets[0]),
            "\"offset\": \"X\"",
        )
        .replace(
            &format!("\"offset\": \"{}\"", offsets[1]),
            &format!("\"offset\": \"{}\"", offsets[0]),
        )
        .replace(
            "\"offset\": \"X\"",
            &format!("\"offset\": \"{}\"", offsets[1]),
        );
    fs_err::write(&index_path, swapped).expect("write");
    let run = diff(&out, &out, &[]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(
        run.stderr
            .contains("the index does not match the WARC files"),
        "{}",
        run.dump()
    );
}
