//! Integration tests: `arkiv wacz` packs a crawl of each fixture site into a WACZ that py-wacz's
//! `wacz validate` accepts and that holds what the WACZ 1.1.1 spec requires (checked here, since
//! py-wacz checks little): every file listed with its hash and size, the WARC files stored byte
//! for byte, the index pointing at real records, a valid page list; and the ZipNum index layout.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use arkiv::warc::{CdxjEntry, WarcReader};
use sha2::{Digest as _, Sha256};

use crate::support::{self, Crawled, NOTICE_TEXT};

/// Runs `arkiv wacz` with `args`; panics unless it exits 0.
fn pack(dir: &Path, args: &[&str]) -> String {
    let output = support::arkiv()
        .arg("--quiet")
        .arg("wacz")
        .arg(dir)
        .args(args)
        .output()
        .expect("run arkiv wacz");
    assert!(
        output.status.success(),
        "arkiv wacz {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether py-wacz's `wacz` command is on PATH; under CI it must be (`.ci/run` installs it).
fn py_wacz_installed() -> bool {
    let found = Command::new("wacz")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "py-wacz (`wacz`) is not on PATH and CI is set (.ci/run installs it)"
    );
    found
}

fn py_wacz_validates(wacz: &Path) {
    if !py_wacz_installed() {
        eprintln!("skipping `wacz validate`: py-wacz is not installed");
        return;
    }
    let output = Command::new("wacz")
        .args(["validate", "-f"])
        .arg(wacz)
        .output()
        .expect("run wacz validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("Validation succeeded"),
        "wacz validate {}: {stdout}{}",
        wacz.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// One entry of the ZIP: how it is stored and where its bytes start in the file.
struct Entry {
    stored: bool,
    data_start: u64,
    compressed: u64,
    content: Vec<u8>,
}

/// Every entry of the ZIP, by name.
fn entries(wacz: &Path) -> BTreeMap<String, Entry> {
    let file = fs_err::File::open(wacz).expect("open wacz");
    let mut zip = zip::ZipArchive::new(file).expect("the WACZ is a ZIP");
    let mut all = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").into_owned();
        let stored = entry.compression() == zip::CompressionMethod::Stored;
        let data_start = entry.data_start().expect("data start");
        let compressed = entry.compressed_size();
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .expect("entry reads (CRC checked)");
        let previous = all.insert(
            name.clone(),
            Entry {
                stored,
                data_start,
                compressed,
                content,
            },
        );
        assert!(previous.is_none(), "{name} twice in the ZIP");
    }
    all
}

/// What the spec requires of a package of `crawled`, checked on the file itself; returns the
/// parsed index lines.
fn check_package(wacz: &Path, crawled: &Crawled) -> Vec<CdxjEntry> {
    check_package_of(wacz, crawled.site, crawled.url.as_str(), &crawled.out)
}

/// [`check_package`] for a package of the output folder `out` of a crawl of `site` from `seed`.
fn check_package_of(wacz: &Path, site: &str, seed: &str, out: &Path) -> Vec<CdxjEntry> {
    let raw = fs_err::read(wacz).expect("read wacz");
    let entries = entries(wacz);
    let warc_files: Vec<PathBuf> = support::files_below(&out.join("warc"))
        .iter()
        .map(|name| out.join("warc").join(name))
        .collect();

    // datapackage.json: required fields, and every other file listed once with hash and size.
    let package: serde_json::Value =
        serde_json::from_slice(&entries["datapackage.json"].content).expect("datapackage JSON");
    assert_eq!(package["profile"], "data-package", "{site}");
    assert_eq!(package["wacz_version"], "1.1.1", "{site}");
    assert_eq!(package["software"], arkiv::SOFTWARE, "{site}");
    for field in ["created", "mainPageDate"] {
        let value = package[field].as_str().unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(value).is_ok(),
            "{site}: {field} {value:?} is not RFC 3339"
        );
    }
    assert_eq!(
        package["mainPageUrl"].as_str(),
        Some(seed),
        "{site}: the seed is the main page"
    );
    assert!(
        package["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{site}: title"
    );
    let resources = package["resources"].as_array().expect("resources");
    let mut listed = BTreeSet::new();
    for resource in resources {
        let path = resource["path"].as_str().expect("path");
        let entry = entries
            .get(path)
            .unwrap_or_else(|| panic!("{site}: {path} is listed but not in the ZIP"));
        assert_eq!(
            resource["hash"].as_str(),
            Some(sha256(&entry.content).as_str()),
            "{path}"
        );
        assert_eq!(
            resource["bytes"].as_u64(),
            Some(entry.content.len() as u64),
            "{path}"
        );
        let name = resource["name"].as_str().unwrap_or_default();
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b"-._/".contains(&b) || b.is_ascii_digit() || b.is_ascii_lowercase()),
            "{path}: name {name:?} is not a Frictionless name"
        );
        assert!(listed.insert(path.to_string()), "{path} listed twice");
    }
    let unlisted: Vec<&String> = entries
        .keys()
        .filter(|name| !listed.contains(*name))
        .filter(|name| {
            !matches!(
                name.as_str(),
                "datapackage.json" | "datapackage-digest.json"
            )
        })
        .collect();
    assert!(
        unlisted.is_empty(),
        "{site}: files not listed: {unlisted:?}"
    );
    let digest: serde_json::Value =
        serde_json::from_slice(&entries["datapackage-digest.json"].content).expect("digest JSON");
    assert_eq!(digest["path"], "datapackage.json");
    assert_eq!(
        digest["hash"].as_str(),
        Some(sha256(&entries["datapackage.json"].content).as_str())
    );

    // archive/: every WARC file of the crawl, stored, its bytes in the ZIP exactly the file's.
    let warcs: BTreeSet<String> = warc_files
        .iter()
        .map(|p| format!("archive/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    let archived: BTreeSet<String> = entries
        .keys()
        .filter(|n| n.starts_with("archive/"))
        .cloned()
        .collect();
    assert_eq!(archived, warcs, "{site}: archive/ holds every WARC file");
    for path in &warc_files {
        let name = format!("archive/{}", path.file_name().unwrap().to_string_lossy());
        let entry = &entries[&name];
        assert!(entry.stored, "{name} is stored, not deflated");
        let start = entry.data_start as usize;
        let original = fs_err::read(path).expect("read warc");
        assert_eq!(entry.compressed, original.len() as u64, "{name}");
        assert!(
            raw[start..start + original.len()] == original[..],
            "{name}: the WACZ holds the WARC byte for byte at its data offset"
        );
    }

    // The index: each line names a record that is there, at its offset inside the ZIP entry.
    let index_lines = index_lines(&entries);
    assert!(!index_lines.is_empty(), "{site}: an empty index");
    let mut sorted = index_lines.clone();
    sorted.sort();
    assert_eq!(sorted, index_lines, "{site}: the index is sorted");
    let parsed: Vec<CdxjEntry> = index_lines
        .iter()
        .enumerate()
        .map(|(i, line)| CdxjEntry::parse(line, i + 1).expect("index line parses"))
        .collect();
    for entry in &parsed {
        let warc = &entries[&format!("archive/{}", entry.filename)];
        let at = warc.data_start + entry.offset;
        let mut reader = WarcReader::with_name(Cursor::new(&raw[at as usize..]), "wacz", at);
        let head = reader
            .next_record()
            .expect("a record at the index offset")
            .expect("not the end");
        assert_eq!(
            head.headers.get("WARC-Target-URI"),
            Some(entry.url.as_str()),
            "{site}: record at {}:{}",
            entry.filename,
            entry.offset
        );
        let date = head.headers.get("WARC-Date").unwrap_or_default();
        assert_eq!(arkiv::warc::warc_date_to_timestamp(date), entry.timestamp);
        let summary = reader.finish_record().expect("the record reads whole");
        assert_eq!(summary.length, entry.length, "{}: member length", entry.url);
    }
    let folder_index =
        arkiv::warc::read_index(&out.join("indexes/index.cdxj")).expect("crawl index");
    assert_eq!(
        parsed.len(),
        folder_index.len(),
        "{site}: the package indexes what the crawl indexed"
    );

    // pages/pages.jsonl: the header, then one valid line per archived HTML page.
    let pages_text =
        String::from_utf8(entries["pages/pages.jsonl"].content.clone()).expect("UTF-8");
    let mut lines = pages_text.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("a header line")).expect("header JSON");
    assert_eq!(header["format"], "json-pages-1.0");
    assert!(header["id"].is_string());
    let pages: Vec<serde_json::Value> = lines
        .map(|l| serde_json::from_str(l).expect("page line JSON"))
        .collect();
    // An HTML page is a 2xx HTML response, or a revisit of one (same payload digest).
    let html_digests: BTreeSet<&str> = parsed
        .iter()
        .filter(|e| e.mime.as_deref() == Some("text/html"))
        .filter_map(|e| e.digest.as_deref())
        .collect();
    let html_pages: BTreeSet<String> = parsed
        .iter()
        .filter(|e| match e.mime.as_deref() {
            Some("text/html") => true,
            Some("warc/revisit") => e
                .digest
                .as_deref()
                .is_some_and(|d| html_digests.contains(d)),
            _ => false,
        })
        .filter(|e| e.status.as_deref().is_some_and(|s| s.starts_with('2')))
        .map(|e| e.url.clone())
        .collect();
    let page_urls: BTreeSet<String> = pages
        .iter()
        .map(|p| p["url"].as_str().expect("url").to_string())
        .collect();
    let missing: Vec<&String> = html_pages.difference(&page_urls).collect();
    let extra: Vec<&String> = page_urls.difference(&html_pages).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{site}: one line per archived HTML page; missing {missing:?}, not pages {extra:?}"
    );
    assert_eq!(page_urls.len(), pages.len(), "{site}: no page twice");
    let mut ids = BTreeSet::new();
    for page in &pages {
        let url = page["url"].as_str().unwrap_or_default();
        let ts = page["ts"].as_str().unwrap_or_default();
        let time = chrono::DateTime::parse_from_rfc3339(ts)
            .unwrap_or_else(|e| panic!("{url}: ts {ts:?}: {e}"));
        let stamp = time.format("%Y%m%d%H%M%S").to_string();
        assert!(
            parsed.iter().any(|e| e.url == url && e.timestamp == stamp),
            "{url}: no capture at {ts}"
        );
        assert!(ids.insert(page["id"].as_str().expect("id").to_string()));
    }
    assert_eq!(pages[0]["url"].as_str(), Some(seed), "the seed comes first");
    assert_eq!(pages[0]["seed"], true);
    parsed
}

/// The index lines of the package, from `index.cdxj` or from the ZipNum blocks.
fn index_lines(entries: &BTreeMap<String, Entry>) -> Vec<String> {
    if let Some(cdxj) = entries.get("indexes/index.cdxj") {
        return String::from_utf8(cdxj.content.clone())
            .expect("UTF-8 index")
            .lines()
            .map(str::to_string)
            .collect();
    }
    zipnum_lines(entries)
}

/// Reads a ZipNum index: every `.idx` line points at a whole gzip member of `index.cdx.gz` whose
/// lines are sorted, start with the block's key and follow the previous block's; the blocks
/// cover the file.
fn zipnum_lines(entries: &BTreeMap<String, Entry>) -> Vec<String> {
    let data = &entries["indexes/index.cdx.gz"];
    assert!(data.stored, "index.cdx.gz is stored, not deflated");
    let idx = String::from_utf8(entries["indexes/index.idx"].content.clone()).expect("UTF-8 idx");
    let mut idx_lines = idx.lines();
    let meta = idx_lines.next().expect("a !meta line");
    let meta_json = meta.strip_prefix("!meta 0 ").expect("!meta 0 first");
    let meta: serde_json::Value = serde_json::from_str(meta_json).expect("meta JSON");
    assert_eq!(meta["format"], "cdxj-gzip-1.0");
    assert_eq!(meta["filename"], "index.cdx.gz");
    let mut all: Vec<String> = Vec::new();
    let mut next_offset = 0;
    let mut prefixes = BTreeSet::new();
    for line in idx_lines {
        let (prefix, json) = line.split_once(" {").expect("prefix and JSON");
        let block: serde_json::Value =
            serde_json::from_str(&format!("{{{json}")).expect("block JSON");
        let offset = block["offset"].as_u64().expect("offset");
        let length = block["length"].as_u64().expect("length");
        assert_eq!(offset, next_offset, "blocks follow one another");
        next_offset = offset + length;
        let bytes = &data.content[offset as usize..next_offset as usize];
        assert_eq!(
            block["digest"].as_str(),
            Some(sha256(bytes).as_str()),
            "block digest"
        );
        let mut decoder = flate2::read::GzDecoder::new(bytes);
        let mut text = String::new();
        decoder
            .read_to_string(&mut text)
            .expect("a block is one gzip member");
        let rest = decoder.into_inner();
        assert!(rest.is_empty(), "nothing after the block's gzip member");
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert!(!lines.is_empty());
        assert!(
            lines[0].starts_with(&format!("{prefix} ")),
            "{prefix}: the block's first line"
        );
        assert!(
            lines.windows(2).all(|w| w[0] <= w[1]),
            "{prefix}: lines sorted"
        );
        if let Some(last) = all.last() {
            assert!(last <= &lines[0], "{prefix}: blocks in order");
        }
        assert!(
            prefixes.insert(prefix.to_string()),
            "{prefix}: two blocks share a key"
        );
        all.extend(lines);
    }
    assert_eq!(
        next_offset,
        data.content.len() as u64,
        "the blocks cover index.cdx.gz"
    );
    all
}

fn packed(site: &'static str) -> (&'static Crawled, tempfile::TempDir, PathBuf) {
    let crawled = support::crawled(site);
    let dir = tempfile::tempdir().expect("temp");
    let wacz = dir.path().join(format!("{site}.wacz"));
    let stdout = pack(&crawled.out, &["-o", wacz.to_str().expect("utf-8 path")]);
    assert!(stdout.contains(&wacz.display().to_string()), "{stdout}");
    (crawled, dir, wacz)
}

#[test]
fn collective_impact_packs_into_a_valid_wacz() {
    let (crawled, _dir, wacz) = packed("collective-impact");
    py_wacz_validates(&wacz);
    check_package(&wacz, crawled);
    // Every page of the demo site is findable by its notice and its title.
    let entries = entries(&wacz);
    let text = String::from_utf8(entries["pages/pages.jsonl"].content.clone()).unwrap();
    for line in text.lines().skip(1) {
        let page: serde_json::Value = serde_json::from_str(line).unwrap();
        let url = page["url"].as_str().unwrap_or_default();
        let page_text = page["text"].as_str().unwrap_or_default();
        assert!(
            page_text.contains(NOTICE_TEXT),
            "{url}: text lacks the notice"
        );
        assert!(
            page["title"]
                .as_str()
                .is_some_and(|t| t.contains("Collective Impact")),
            "{url}: title {}",
            page["title"]
        );
        assert!(!page_text.contains("<"), "{url}: markup in the text");
    }
}

#[test]
fn edge_cases_packs_into_a_valid_wacz() {
    let (crawled, _dir, wacz) = packed("edge-cases");
    py_wacz_validates(&wacz);
    check_package(&wacz, crawled);
}

#[test]
fn a_large_index_is_written_in_zipnum_blocks() {
    let crawled = support::crawled("edge-cases");
    let dir = tempfile::tempdir().expect("temp");
    // A copy: another test packs the shared crawl at the same time, and a folder takes one
    // arkiv run at a time.
    let copy = dir.path().join("edge-cases-copy");
    support::copy_tree(&crawled.out, &copy);
    let wacz = dir.path().join("zipnum.wacz");
    let stdout = pack(
        &copy,
        &[
            "-o",
            wacz.to_str().unwrap(),
            "--zipnum-above",
            "10",
            "--zipnum-block",
            "7",
        ],
    );
    assert!(stdout.contains("ZipNum blocks"), "{stdout}");
    let entries = entries(&wacz);
    assert!(
        !entries.contains_key("indexes/index.cdxj"),
        "one index layout only"
    );
    let idx_lines = String::from_utf8_lossy(&entries["indexes/index.idx"].content)
        .lines()
        .count();
    assert!(idx_lines > 3, "{idx_lines} idx lines: several blocks");
    py_wacz_validates(&wacz);
    check_package(&wacz, crawled);
}

#[test]
fn the_default_package_lies_in_the_folder_and_is_replaced_whole() {
    let crawled = support::crawled("collective-impact");
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("ci-copy");
    support::copy_tree(&crawled.out, &copy);
    let before = support::files_below(&copy);
    fs_err::write(copy.join("ci-copy.wacz"), "an older package").unwrap();
    let stdout = pack(&copy, &[]);
    assert!(stdout.contains("ci-copy.wacz"), "{stdout}");
    let mut after = support::files_below(&copy);
    after.retain(|f| f != "ci-copy.wacz");
    assert_eq!(after, before, "nothing but the package appears");
    let parent: Vec<String> = support::files_below(dir.path())
        .into_iter()
        .filter(|f| !f.starts_with("ci-copy/"))
        .collect();
    assert!(
        parent.is_empty(),
        "nothing is written beside the folder: {parent:?}"
    );
    check_package_of(
        &copy.join("ci-copy.wacz"),
        crawled.site,
        crawled.url.as_str(),
        &copy,
    );
}

#[test]
fn a_crawl_cut_off_mid_record_is_refused_and_leaves_no_package() {
    let crawled = support::crawled("collective-impact");
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("cut");
    support::copy_tree(&crawled.out, &copy);
    let warc = support::files_below(&copy.join("warc"))
        .into_iter()
        .next()
        .expect("a WARC file");
    let warc = copy.join("warc").join(warc);
    let bytes = fs_err::read(&warc).unwrap();
    fs_err::write(&warc, &bytes[..bytes.len() - 100]).unwrap();
    let output = support::arkiv()
        .arg("wacz")
        .arg(&copy)
        .output()
        .expect("run arkiv wacz");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("arkiv crawl --resume"), "{stderr}");
    let left: Vec<String> = support::files_below(&copy)
        .into_iter()
        .filter(|f| f.contains("wacz"))
        .collect();
    assert!(left.is_empty(), "a failed run leaves {left:?}");
}

#[test]
fn a_folder_without_warc_files_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp");
    let output = support::arkiv()
        .arg("wacz")
        .arg(dir.path())
        .output()
        .expect("run arkiv wacz");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no warc/ folder"));
}
