//! Hostile URLs through the whole mirror builder: a tiny WARC whose target URIs try to climb
//! out of the mirror, name devices, collide by case, overflow name limits or inject markup. Every
//! file must land inside `mirror/`, one file per URL, all listed, nothing else touched; and a
//! symbolic link planted where the builder writes is never followed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use arkiv::mirror::build_mirror;
use arkiv::urls::dedup_key;
use arkiv::warc::writer::{Block, HttpRecordMeta, WarcWriter, WarcinfoFields, WriterOptions};
use url::Url;

use super::manifest;

const SEED: &str = "http://example.test/";

/// Target URIs as a hostile server (or crawl) could have recorded them.
fn hostile_urls() -> Vec<String> {
    let long_ascii = "x".repeat(300);
    let long_utf8 = "é".repeat(150);
    let long_query = "q=".to_string() + &"y".repeat(300);
    let mut urls: Vec<String> = [
        "/../../etc/passwd",
        "/%2e%2e/x",
        "/%2e%2e%2f%2e%2e%2fescape",
        "/..%2f..%2fescape2",
        "/a%00b",
        "/a\\b",
        "/a%5Cb",
        "/CON",
        "/con.html",
        "/aux.txt",
        "/LPT1/x",
        "/nul.tar.gz",
        "/trailing.",
        "/trailing%20",
        "/a:b",
        "/a%2Fb",
        "/100%25.html",
        "/%zz",
        "/.htaccess",
        "/index.html",
        "/Sag.html",
        "/sag.html",
        "/SAG.HTML",
        "/stra%C3%9Fe",
        "/STRASSE",
        "/dir",
        "/dir/",
        "/dir/file",
        "/x?q=<script>",
        "/x?q=%3Cscript%3E",
        "/x?q=\"><img src=x onerror=alert(1)>",
        "/%E2%80%AE.html",
        "/tab%09name",
        "/new%0Aline",
    ]
    .iter()
    .map(|p| format!("http://example.test{p}"))
    .collect();
    urls.push(format!("{SEED}{long_ascii}"));
    urls.push(format!("{SEED}{long_ascii}.html"));
    urls.push(format!("{SEED}{long_utf8}"));
    urls.push(format!("{SEED}{long_utf8}/{long_ascii}"));
    urls.push(format!("{SEED}page?{long_query}"));
    urls.push(format!("{SEED}page?{long_query}z"));
    urls
}

/// Writes the seed page (linking to every URL) and one small response per URL.
fn write_warc(out: &Path, urls: &[String]) {
    let warc = out.join("warc");
    fs_err::create_dir_all(&warc).expect("warc dir");
    let info = WarcinfoFields::new()
        .with("arkiv-seed", SEED)
        .with("arkiv-scope", "origin");
    let mut writer = WarcWriter::new(WriterOptions::new(&warc, "hostile"), info.clone());
    writer.write_warcinfo(info).expect("warcinfo");
    let links: String = urls
        .iter()
        .map(|u| format!("<a href=\"{}\">x</a>\n", u.replace('"', "&quot;")))
        .collect();
    let seed_page = format!("<!DOCTYPE html><title>seed</title>{links}<a href=\"/missing\">m</a>");
    let mut records = vec![(SEED.to_string(), "text/html", seed_page)];
    for (i, url) in urls.iter().enumerate() {
        let (mime, body) = if i % 2 == 0 {
            (
                "text/html",
                format!("<p>page {i}</p><a href=\"{SEED}\">home</a>"),
            )
        } else {
            ("application/octet-stream", format!("\x00\x01 file {i}"))
        };
        records.push((url.clone(), mime, body));
    }
    for (url, mime, body) in &records {
        let message = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {mime}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let meta = HttpRecordMeta {
            target_uri: url,
            date: chrono::Utc::now(),
            ip_address: None,
            concurrent_to: None,
            payload_digest: None,
            truncated: None,
        };
        writer
            .write_response(&meta, Block::Bytes(message.as_bytes()))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    writer.close().expect("close");
}

/// Every path below `dir` (files, folders, links) with its content or link target.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs_err::read_dir(&folder).expect("read dir") {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(dir)
                .expect("below")
                .to_string_lossy()
                .into_owned();
            let meta = path.symlink_metadata().expect("metadata");
            let what = if meta.file_type().is_symlink() {
                format!("link {}", fs_err::read_link(&path).expect("link").display())
            } else if meta.is_dir() {
                stack.push(path);
                "dir".to_string()
            } else {
                String::from_utf8_lossy(&fs_err::read(&path).expect("file")).into_owned()
            };
            found.insert(rel, what);
        }
    }
    found
}

/// What the builder may write: `mirror/`, `manifest.jsonl`, `reports/`.
fn is_output(rel: &str) -> bool {
    let rel = rel.replace('\\', "/");
    rel == "out/mirror"
        || rel.starts_with("out/mirror/")
        || rel == "out/manifest.jsonl"
        || rel == "out/reports"
        || rel.starts_with("out/reports/")
}

#[test]
fn hostile_urls_stay_inside_the_mirror_one_file_each() {
    let temp = tempfile::tempdir().expect("temp");
    let out = temp.path().join("out");
    let urls = hostile_urls();
    write_warc(&out, &urls);
    // Bait next to the output folder and above it.
    fs_err::create_dir_all(temp.path().join("etc")).expect("etc");
    fs_err::write(temp.path().join("etc/passwd"), "bait").expect("bait");
    fs_err::write(temp.path().join("escape"), "bait").expect("bait");
    let before = snapshot(temp.path());

    let report = build_mirror(&out).expect("build_mirror");

    let after = snapshot(temp.path());
    for (rel, what) in &before {
        assert_eq!(after.get(rel), Some(what), "{rel} changed");
    }
    for rel in after.keys().filter(|r| !before.contains_key(*r)) {
        assert!(is_output(rel), "unexpected new path {rel}");
    }
    let mirror = out.join("mirror");
    let lines = manifest(&out);
    // Every file below mirror/ is a plain file inside it, and in the manifest exactly once.
    let mut on_disk = Vec::new();
    for (rel, what) in after.iter().filter(|(r, _)| r.starts_with("out/mirror/")) {
        assert!(!what.starts_with("link "), "{rel} is a link");
        if what != "dir" {
            on_disk.push(rel.trim_start_matches("out/mirror/").to_string());
        }
    }
    let root = mirror.canonicalize().expect("root");
    for rel in &on_disk {
        let real = mirror.join(rel).canonicalize().expect("canonical");
        assert!(real.starts_with(&root), "{rel} outside the mirror");
    }
    let mut listed: Vec<String> = lines.iter().map(|l| l.path.clone()).collect();
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk, "manifest and mirror disagree");
    assert_eq!(report.files, lines.len());
    // No two lines share a file, not even on a case-insensitive file system.
    let folded: HashSet<String> = listed.iter().map(|p| p.to_lowercase()).collect();
    assert_eq!(folded.len(), listed.len(), "paths collide: {listed:#?}");
    // Every URL has its line (URLs the parser makes equal share one, as they must).
    let keys: HashSet<String> = lines
        .iter()
        .filter_map(|l| l.url.as_deref())
        .filter_map(|u| Url::parse(u).ok())
        .map(|u| dedup_key(&u))
        .collect();
    for url in urls.iter().map(String::as_str).chain([SEED]) {
        let parsed = Url::parse(url).expect("url");
        assert!(
            keys.contains(&dedup_key(&parsed)),
            "{url} not in the manifest"
        );
    }
    let missing = Url::parse(SEED)
        .and_then(|s| s.join("/missing"))
        .expect("url");
    assert!(
        report
            .not_archived
            .iter()
            .any(|n| n.url == missing.as_str()),
        "{:?}",
        report.not_archived
    );
    // Markup from a URL never lands in a page as markup.
    for line in &lines {
        if line.mime.as_deref() == Some("text/html") {
            let page = fs_err::read_to_string(mirror.join(&line.path)).unwrap_or_default();
            assert!(!page.contains("<script>"), "{}", line.path);
            assert!(!page.contains("<img src=x"), "{}", line.path);
        }
    }
}

#[cfg(unix)]
#[test]
fn symlinks_planted_in_the_mirror_are_never_followed() {
    use std::os::unix::fs::symlink;

    let temp = tempfile::tempdir().expect("temp");
    let out = temp.path().join("out");
    write_warc(&out, &hostile_urls()[..4]);
    let victim = temp.path().join("victim");
    fs_err::create_dir_all(victim.join("example.test")).expect("victim");
    fs_err::write(victim.join("keep.txt"), "keep").expect("keep");
    fs_err::write(victim.join("example.test/index.html"), "keep").expect("keep");
    let victim_before = snapshot(&victim);

    // A link in place of the staging folder, and in place of the finished mirror.
    symlink(&victim, out.join("mirror.new")).expect("link");
    symlink(&victim, out.join("mirror")).expect("link");
    build_mirror(&out).expect("build over links at mirror.new and mirror");
    assert_eq!(snapshot(&victim), victim_before, "a link was followed");
    assert!(!out.join("mirror.new").exists());
    let mirror_meta = out.join("mirror").symlink_metadata().expect("mirror");
    assert!(mirror_meta.is_dir(), "mirror/ is a real folder again");

    // Links inside a left-over staging folder and inside the mirror.
    fs_err::create_dir_all(out.join("mirror.new")).expect("staging");
    symlink(&victim, out.join("mirror.new/example.test")).expect("link");
    symlink(victim.join("keep.txt"), out.join("mirror.new/index.html")).expect("link");
    fs_err::remove_dir_all(out.join("mirror/example.test")).expect("host dir");
    symlink(&victim, out.join("mirror/example.test")).expect("link");
    build_mirror(&out).expect("build over links inside");
    assert_eq!(snapshot(&victim), victim_before, "a link was followed");
    for (rel, what) in snapshot(&out.join("mirror")) {
        assert!(!what.starts_with("link "), "{rel} is still a link");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_planted_at_the_manifest_and_report_are_never_followed() {
    use std::os::unix::fs::symlink;

    let temp = tempfile::tempdir().expect("temp");
    let out = temp.path().join("out");
    write_warc(&out, &hostile_urls()[..2]);
    let victim = temp.path().join("victim");
    fs_err::create_dir_all(&victim).expect("victim");
    fs_err::create_dir_all(out.join("reports")).expect("reports");
    for name in [
        "manifest.jsonl",
        "manifest.jsonl.tmp",
        "reports/mirror.json",
    ] {
        let bait = victim.join(name.replace('/', "-"));
        fs_err::write(&bait, "keep").expect("bait");
        symlink(&bait, out.join(name)).expect("link");
    }
    let victim_before = snapshot(&victim);
    build_mirror(&out).expect("build");
    assert_eq!(snapshot(&victim), victim_before, "a link was followed");
    for name in ["manifest.jsonl", "reports/mirror.json"] {
        let meta = out.join(name).symlink_metadata().expect("written");
        assert!(meta.is_file(), "{name} is a plain file");
    }
    assert!(out.join("manifest.jsonl.tmp").symlink_metadata().is_err());
}
