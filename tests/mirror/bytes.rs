//! Rewriting changes only the URL spans: every other byte of an archived page or stylesheet is
//! the archived payload's (charset and all), and a rebuild from the WARC is byte-identical.

use std::io::Read;
use std::path::Path;

use arkiv::extract::sniff::charset_from_content_type;
use arkiv::extract::{CssOptions, HtmlOptions, scan_css, scan_html};
use arkiv::mirror::manifest::ManifestLine;
use arkiv::warc::reader::{WarcReader, read_record_at};
use url::Url;

use super::{ManifestKind, SITES, is_css, is_html, manifest};
use crate::support::{self, files_below};

/// The HTTP response in a WARC response block: (headers, body as sent).
fn split_response(block: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let end = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of HTTP head");
    let head = String::from_utf8_lossy(&block[..end]);
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (headers, &block[end + 4..])
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&body[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim().to_string();
        let Ok(size) = usize::from_str_radix(&size_text, 16) else {
            return out;
        };
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        let end = (start + size).min(body.len());
        out.extend_from_slice(&body[start..end]);
        body = body.get(end + 2..).unwrap_or(&[]);
    }
}

/// The decoded payload of the record a manifest line names (following a revisit to its
/// original), and its `Content-Type`.
fn archived_payload(out: &Path, line: &ManifestLine) -> (Vec<u8>, Option<String>) {
    let warc_dir = out.join("warc");
    let file = warc_dir.join(line.warc.as_deref().expect("warc"));
    let (headers, mut block) = read_record_at(&file, line.offset.expect("offset")).expect("record");
    if headers.get("WARC-Type") == Some("revisit") {
        let original = headers
            .get("WARC-Refers-To")
            .expect("refers-to")
            .to_string();
        block = find_record(&warc_dir, &original);
    }
    let (http, body) = split_response(&block);
    let header = |name: &str| {
        http.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = body.to_vec();
    if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        body = dechunk(&body);
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.truncate(len);
    }
    let coding = header("content-encoding").unwrap_or_default();
    for coding in coding
        .split(',')
        .rev()
        .map(|c| c.trim().to_ascii_lowercase())
    {
        let mut decoded = Vec::new();
        match coding.as_str() {
            "gzip" | "x-gzip" => {
                flate2::read::MultiGzDecoder::new(&body[..])
                    .read_to_end(&mut decoded)
                    .expect("gzip");
            }
            "deflate" => {
                flate2::read::ZlibDecoder::new(&body[..])
                    .read_to_end(&mut decoded)
                    .expect("deflate");
            }
            "br" => {
                brotli::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut decoded)
                    .expect("br");
            }
            _ => continue,
        }
        body = decoded;
    }
    (body, header("content-type"))
}

/// The block of the record with this `WARC-Record-ID`.
fn find_record(warc_dir: &Path, id: &str) -> Vec<u8> {
    for file in support::files_below(warc_dir) {
        let path = warc_dir.join(file);
        let mut reader = WarcReader::open(&path).expect("open warc");
        while let Some(head) = reader.next_record().expect("record") {
            if head.headers.get("WARC-Record-ID") == Some(id) {
                let mut block = Vec::new();
                reader.block().read_to_end(&mut block).expect("block");
                return block;
            }
            reader.finish_record().expect("finish");
        }
    }
    panic!("no record {id}");
}

/// `bytes` without the URL spans the scanner finds in it.
fn without_spans(bytes: &[u8], url: &Url, content_type: Option<&str>, html: bool) -> Vec<u8> {
    let charset = content_type.and_then(charset_from_content_type);
    let mut spans: Vec<_> = if html {
        scan_html(bytes, url, HtmlOptions::default().with_charset(charset))
            .urls
            .into_iter()
            .map(|f| f.span)
            .collect()
    } else {
        let options = CssOptions {
            charset,
            fallback: None,
        };
        scan_css(bytes, url, &options)
            .urls
            .into_iter()
            .map(|f| f.span)
            .collect()
    };
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for span in spans {
        if span.start < pos {
            continue;
        }
        out.extend_from_slice(&bytes[pos..span.start]);
        out.push(0); // keeps "a span was here" in the comparison
        pos = span.end;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

#[test]
fn rewriting_changes_only_url_spans() {
    for site in SITES {
        let crawled = support::crawled(site);
        let mut compared = 0;
        for line in manifest(&crawled.out) {
            if line.kind != ManifestKind::Archived || !line.rewritten {
                continue;
            }
            assert!(
                is_html(&line) || is_css(&line),
                "{site}: rewritten {} ({:?})",
                line.path,
                line.mime
            );
            let url = Url::parse(line.url.as_deref().expect("url")).expect("url");
            let (payload, content_type) = archived_payload(&crawled.out, &line);
            let mirrored = fs_err::read(crawled.out.join("mirror").join(&line.path)).expect("file");
            assert_ne!(payload, mirrored, "{site}: {} marked rewritten", line.path);
            let html = is_html(&line);
            let before = without_spans(&payload, &url, content_type.as_deref(), html);
            let after = without_spans(&mirrored, &url, content_type.as_deref(), html);
            assert!(
                before == after,
                "{site}: {} differs outside URL spans:\n--- archived\n{}\n--- mirror\n{}",
                line.path,
                String::from_utf8_lossy(&before),
                String::from_utf8_lossy(&after)
            );
            compared += 1;
        }
        assert!(compared > 5, "{site}: only {compared} rewritten files");
    }
}

#[test]
fn unrewritten_files_equal_their_payload() {
    for site in SITES {
        let crawled = support::crawled(site);
        for line in manifest(&crawled.out) {
            if line.kind != ManifestKind::Archived || line.rewritten {
                continue;
            }
            let (payload, _) = archived_payload(&crawled.out, &line);
            let mirrored = fs_err::read(crawled.out.join("mirror").join(&line.path)).expect("file");
            assert!(
                payload == mirrored,
                "{site}: {} is not its payload",
                line.path
            );
        }
    }
}

#[test]
fn a_windows_1252_page_stays_windows_1252() {
    let crawled = support::crawled("edge-cases");
    let url = crawled
        .url
        .join("/charset/cp1252.html")
        .expect("url")
        .to_string();
    let line = manifest(&crawled.out)
        .into_iter()
        .find(|l| l.url.as_deref() == Some(url.as_str()))
        .expect("cp1252 page in the manifest");
    let (payload, content_type) = archived_payload(&crawled.out, &line);
    let mirrored = fs_err::read(crawled.out.join("mirror").join(&line.path)).expect("file");
    // URLs inside spans are rewritten (to percent-encoded UTF-8); every other byte stays.
    let url = Url::parse(&url).expect("url");
    let before = without_spans(&payload, &url, content_type.as_deref(), true);
    let after = without_spans(&mirrored, &url, content_type.as_deref(), true);
    let high = |b: &[u8]| {
        b.iter()
            .copied()
            .filter(|b| *b >= 0x80)
            .collect::<Vec<u8>>()
    };
    assert!(high(&before).len() > 10, "the fixture has non-ASCII text");
    assert_eq!(high(&before), high(&after));
    // "æ" is 0xE6 in windows-1252: still there as that one byte, not re-encoded.
    assert!(mirrored.contains(&0xE6), "æ is gone");
    assert!(
        std::str::from_utf8(&mirrored).is_err(),
        "re-encoded as UTF-8"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in files_below(from) {
        let target = to.join(&rel);
        fs_err::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs_err::copy(from.join(&rel), target).expect("copy");
    }
}

#[test]
fn a_rebuild_is_byte_identical() {
    for site in SITES {
        let crawled = support::crawled(site);
        let dir = tempfile::tempdir().expect("temp");
        let copy = dir.path().join("out");
        copy_tree(&crawled.out, &copy);
        rebuild_is_the_same(&crawled.out, &copy, site);
        assert!(!copy.join("mirror.new").exists());
    }
}

/// Runs `arkiv mirror` on `copy` and checks that its manifest and every mirror file are those of
/// `original`, byte for byte.
fn rebuild_is_the_same(original: &Path, copy: &Path, what: &str) {
    let output = support::arkiv()
        .args(["--quiet", "mirror"])
        .arg(copy)
        .output()
        .expect("arkiv mirror");
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest_a = fs_err::read(original.join("manifest.jsonl")).expect("manifest");
    let manifest_b = fs_err::read(copy.join("manifest.jsonl")).expect("manifest");
    assert!(manifest_a == manifest_b, "{what}: manifest.jsonl differs");
    let (a, b) = (original.join("mirror"), copy.join("mirror"));
    let files = files_below(&a);
    assert_eq!(files, files_below(&b), "{what}: file lists differ");
    for rel in &files {
        let same = fs_err::read(a.join(rel)).expect("a") == fs_err::read(b.join(rel)).expect("b");
        assert!(same, "{what}: {rel} differs after a rebuild");
    }
}

/// The CDXJ index only tells the catalogue where a response's gzip member ends, so that it need
/// not inflate the rest: without the index, or with one whose lengths are wrong (off by one, or
/// spanning the next record), the rebuild is the same, byte for byte.
#[test]
fn a_rebuild_without_the_index_or_with_a_wrong_one_is_the_same() {
    let site = SITES[0];
    let crawled = support::crawled(site);
    let index =
        fs_err::read_to_string(crawled.out.join("indexes").join("index.cdxj")).expect("index");
    let entries: Vec<arkiv::warc::cdxj::CdxjEntry> = index
        .lines()
        .enumerate()
        .map(|(i, line)| arkiv::warc::cdxj::CdxjEntry::parse(line, i + 1).expect("line"))
        .collect();
    let mut by_offset: Vec<(String, u64, u64)> = entries
        .iter()
        .map(|e| (e.filename.clone(), e.offset, e.length))
        .collect();
    by_offset.sort();
    let spanning = |e: &arkiv::warc::cdxj::CdxjEntry| {
        let at = by_offset
            .iter()
            .position(|(f, o, _)| *f == e.filename && *o == e.offset)
            .expect("listed");
        match by_offset.get(at + 1) {
            Some((f, o, l)) if *f == e.filename => o + l - e.offset,
            _ => e.length,
        }
    };
    type Rewrite<'a> = &'a dyn Fn(&arkiv::warc::cdxj::CdxjEntry) -> u64;
    let variants: [(&str, Option<Rewrite<'_>>); 3] = [
        ("no index", None),
        ("lengths one byte long", Some(&|e| e.length + 1)),
        ("lengths spanning the next record", Some(&spanning)),
    ];
    for (what, rewrite) in variants {
        let dir = tempfile::tempdir().expect("temp");
        let copy = dir.path().join("out");
        copy_tree(&crawled.out, &copy);
        let index_path = copy.join("indexes").join("index.cdxj");
        match rewrite {
            None => fs_err::remove_file(&index_path).expect("remove index"),
            Some(length) => {
                let lines: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        let mut e = e.clone();
                        e.length = length(&e);
                        e.to_line()
                    })
                    .collect();
                fs_err::write(&index_path, lines.join("\n") + "\n").expect("write index");
            }
        }
        rebuild_is_the_same(&crawled.out, &copy, what);
    }
}
