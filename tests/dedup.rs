//! Integration tests: `arkiv crawl --dedup-from OLD` through the CLI. A recrawl of an unchanged
//! site writes revisits pointing at OLD's records, costs a fraction of the first crawl's WARC,
//! and its mirror is the first one's byte for byte; `verify` follows the references (and fails
//! without OLD), a changed page is archived in full, `wacz` records the dependency or packs the
//! referred records, a bad OLD is a usage error, and a resumed crawl keeps deduplicating.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use arkiv::fixture::{FixtureServer, ServeOptions};
use arkiv::warc::{WarcHeaders, WarcReader};
use url::Url;

use crate::diff::site;
use crate::support::{arkiv, files_below};

const PROFILE: &str = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// One record read back with arkiv's reader.
struct Record {
    headers: WarcHeaders,
    block: Vec<u8>,
}

impl Record {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    fn kind(&self) -> &str {
        self.get("WARC-Type").unwrap_or("")
    }

    fn status(&self) -> Option<u16> {
        arkiv::warc::parse_response_head(&self.block)
            .ok()
            .map(|h| h.status)
    }
}

fn warc_files(out: &Path) -> Vec<PathBuf> {
    files_below(&out.join("warc"))
        .into_iter()
        .map(|name| out.join("warc").join(name))
        .collect()
}

fn records(out: &Path) -> Vec<Record> {
    let mut all = Vec::new();
    for path in warc_files(out) {
        let mut reader = WarcReader::open(&path).expect("open WARC");
        while let Some(head) = reader.next_record().expect("record") {
            let mut block = Vec::new();
            reader.block().read_to_end(&mut block).expect("read block");
            reader.finish_record().expect("whole record");
            all.push(Record {
                headers: head.headers,
                block,
            });
        }
    }
    all
}

fn warc_size(out: &Path) -> u64 {
    warc_files(out)
        .iter()
        .map(|p| fs_err::metadata(p).expect("size").len())
        .sum()
}

fn run(cmd: &mut Command) -> (Option<i32>, String) {
    let output = cmd.output().expect("run arkiv");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

fn crawl(url: &Url, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    run(arkiv()
        .args(["--quiet", "crawl", url.as_str(), "--out"])
        .arg(out)
        .args(extra))
}

fn crawl_ok(url: &Url, out: &Path, extra: &[&str]) {
    let (code, text) = crawl(url, out, extra);
    assert_eq!(code, Some(0), "{text}");
}

fn dedup_args(old: &Path) -> Vec<&str> {
    vec!["--dedup-from", old.to_str().expect("UTF-8 path")]
}

/// The collective-impact site crawled, then crawled again with `--dedup-from` the first crawl.
struct Recrawl {
    url: Url,
    old: PathBuf,
    new: PathBuf,
    /// The earlier crawl's files and their sizes before the recrawl.
    old_files: Vec<(String, u64)>,
    _server: FixtureServer,
    _dir: tempfile::TempDir,
}

fn recrawl() -> &'static Recrawl {
    static RECRAWL: OnceLock<Recrawl> = OnceLock::new();
    RECRAWL.get_or_init(|| {
        let server = FixtureServer::start("collective-impact", ServeOptions::default())
            .expect("fixture server");
        let url = server.url();
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join("old");
        let new = dir.path().join("new");
        crawl_ok(&url, &old, &[]);
        let old_files = sizes(&old);
        crawl_ok(&url, &new, &dedup_args(&old));
        Recrawl {
            url,
            old,
            new,
            old_files,
            _server: server,
            _dir: dir,
        }
    })
}

/// Every file below `dir` with its size.
fn sizes(dir: &Path) -> Vec<(String, u64)> {
    files_below(dir)
        .into_iter()
        .map(|f| {
            let len = fs_err::metadata(dir.join(&f)).expect("size").len();
            (f, len)
        })
        .collect()
}

/// Every whole 2xx payload of `new` is a revisit of the response `old` holds for it: the
/// identical-payload-digest profile, and the old record's id, URI and date.
fn assert_only_revisits(old: &Path, new: &Path) -> usize {
    let old_records = records(old);
    let old_by_id: HashMap<&str, &Record> = old_records
        .iter()
        .filter(|r| r.kind() == "response")
        .filter_map(|r| Some((r.get("WARC-Record-ID")?, r)))
        .collect();
    let mut revisits = 0;
    for record in records(new) {
        let uri = record.get("WARC-Target-URI").unwrap_or("").to_string();
        match record.kind() {
            "response" => {
                let status = record.status().unwrap_or(0);
                assert!(
                    !(200..300).contains(&status),
                    "{uri}: a {status} payload written again in full"
                );
            }
            "revisit" => {
                revisits += 1;
                assert_eq!(record.get("WARC-Profile"), Some(PROFILE), "{uri}");
                let id = record.get("WARC-Refers-To").expect("WARC-Refers-To");
                let original = old_by_id
                    .get(id)
                    .unwrap_or_else(|| panic!("{uri}: refers to {id}, not a response of OLD"));
                assert_eq!(
                    record.get("WARC-Refers-To-Target-URI"),
                    original.get("WARC-Target-URI"),
                    "{uri}"
                );
                assert_eq!(
                    record.get("WARC-Refers-To-Date"),
                    original.get("WARC-Date"),
                    "{uri}"
                );
                assert_eq!(
                    record.get("WARC-Payload-Digest"),
                    original.get("WARC-Payload-Digest"),
                    "{uri}"
                );
            }
            _ => {}
        }
    }
    revisits
}

#[test]
fn a_recrawl_of_an_unchanged_site_writes_only_revisits_at_a_fraction_of_the_size() {
    let r = recrawl();
    let revisits = assert_only_revisits(&r.old, &r.new);
    assert!(revisits >= 20, "only {revisits} revisits");
    let (first, second) = (warc_size(&r.old), warc_size(&r.new));
    assert!(
        second * 4 < first,
        "the recrawl's WARC is {second} bytes, the first crawl's {first}"
    );
    // The warcinfo record and arkiv.toml name the earlier crawl (absolute).
    let old_real = fs_err::canonicalize(&r.old).expect("old");
    let info = records(&r.new)
        .into_iter()
        .find(|r| r.kind() == "warcinfo")
        .expect("warcinfo");
    let text = String::from_utf8_lossy(&info.block).into_owned();
    assert!(
        text.contains(&format!("arkiv-dedup-from: {}", old_real.display())),
        "{text}"
    );
    let settings = fs_err::read_to_string(r.new.join("arkiv.toml")).expect("arkiv.toml");
    assert!(settings.contains("dedup-from = "), "{settings}");
    // Nothing was written into the earlier crawl.
    assert_eq!(sizes(&r.old), r.old_files);
}

#[test]
fn the_recrawls_mirror_is_byte_identical_to_the_first_crawls() {
    let r = recrawl();
    assert_same_mirror(&r.old, &r.new);
    // `arkiv mirror` rebuilds the same from the WARC and the earlier crawl (in a copy: other
    // tests read the recrawl meanwhile).
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("new");
    crate::support::copy_tree(&r.new, &copy);
    fs_err::remove_dir_all(copy.join("mirror")).expect("remove the mirror");
    let (code, text) = run(arkiv().args(["--quiet", "mirror"]).arg(&copy));
    assert_eq!(code, Some(0), "{text}");
    assert_same_mirror(&r.old, &copy);
}

/// Every mirror file but the landing page (which names its own crawl's date and WARC files) is
/// the same, byte for byte.
fn assert_same_mirror(old: &Path, new: &Path) {
    let (a, b) = (old.join("mirror"), new.join("mirror"));
    let files = files_below(&a);
    assert_eq!(files, files_below(&b), "the same files");
    assert!(files.len() > 20, "{files:?}");
    for file in files.iter().filter(|f| *f != "index.html") {
        assert!(
            fs_err::read(a.join(file)).expect("old file")
                == fs_err::read(b.join(file)).expect("new"),
            "mirror/{file} differs"
        );
    }
}

#[test]
fn verify_follows_the_references_and_fails_clearly_without_the_earlier_crawl() {
    let r = recrawl();
    let (code, text) = run(arkiv().arg("verify").arg(&r.new));
    assert_eq!(code, Some(0), "{text}");

    // A copy of the earlier crawl, deduplicated against, then removed.
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("old");
    crate::support::copy_tree(&r.old, &old);
    let new = dir.path().join("new");
    crawl_ok(&r.url, &new, &dedup_args(&old));
    let (code, text) = run(arkiv().arg("verify").arg(&new));
    assert_eq!(code, Some(0), "{text}");
    fs_err::remove_dir_all(&old).expect("remove the earlier crawl");
    let (code, text) = run(arkiv().arg("verify").arg(&new));
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("deduplicates against the earlier crawl") && text.contains("is missing"),
        "{text}"
    );
    // The mirror says why those pages are missing, instead of failing.
    let (code, text) = run(arkiv().args(["mirror"]).arg(&new));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("cannot be read"), "{text}");
    let report = fs_err::read_to_string(new.join("reports/mirror.json")).expect("mirror.json");
    assert!(report.contains("referred-payload-missing"), "{report}");
}

#[test]
fn a_changed_page_is_archived_in_full_and_the_rest_as_revisits() {
    use site::{SiteServer, file, page};
    let frozen = site::Site::from([
        (
            "/",
            page(
                "Forside",
                "<img src=\"/logo.png\" alt=\"\"><a href=\"/om/\">Om os</a>",
            ),
        ),
        ("/om/", page("Om os", "<p>Siden 2012.</p>")),
        ("/logo.png", file("image/png", b"\x89PNG\r\n\x1a\n logo")),
    ]);
    let server = SiteServer::serve(frozen.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    crawl_ok(server.url(), &old, &[]);
    let mut changed = frozen;
    changed.insert("/om/", page("Om os", "<p>Siden 2014.</p>"));
    server.set(changed);
    crawl_ok(server.url(), &new, &dedup_args(&old));
    let kinds: BTreeMap<String, String> = records(&new)
        .into_iter()
        .filter(|r| matches!(r.kind(), "response" | "revisit"))
        .filter_map(|r| {
            let path = Url::parse(r.get("WARC-Target-URI")?)
                .ok()?
                .path()
                .to_string();
            Some((path, r.kind().to_string()))
        })
        .collect();
    assert_eq!(
        kinds.get("/om/").map(String::as_str),
        Some("response"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("/").map(String::as_str),
        Some("revisit"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("/logo.png").map(String::as_str),
        Some("revisit"),
        "{kinds:?}"
    );
    let page = fs_err::read_to_string(new.join("mirror").join(mirror_path(&new, "/om/")))
        .expect("the changed page in the mirror");
    assert!(page.contains("Siden 2014"), "{page}");
    let (code, text) = run(arkiv().arg("verify").arg(&new));
    assert_eq!(code, Some(0), "{text}");
}

/// The mirror path of a URL path, from `manifest.jsonl`.
fn mirror_path(out: &Path, path: &str) -> String {
    let manifest = fs_err::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    manifest
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| {
            l["url"]
                .as_str()
                .and_then(|u| Url::parse(u).ok())
                .is_some_and(|u| u.path() == path)
        })
        .and_then(|l| l["path"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{path} not in the manifest"))
}

fn zip_entry(wacz: &Path, name: &str) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(fs_err::File::open(wacz).expect("wacz")).expect("a ZIP");
    let mut entry = zip.by_name(name).ok()?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("entry");
    Some(bytes)
}

#[test]
fn wacz_names_the_earlier_crawl_or_packs_the_referred_records() {
    let r = recrawl();
    let dir = tempfile::tempdir().expect("temp dir");
    let wacz = dir.path().join("new.wacz");
    let (code, text) = run(arkiv()
        .args(["--quiet", "wacz"])
        .arg(&r.new)
        .arg("-o")
        .arg(&wacz));
    assert_eq!(code, Some(0), "{text}");
    let package: serde_json::Value =
        serde_json::from_slice(&zip_entry(&wacz, "datapackage.json").expect("datapackage"))
            .expect("JSON");
    let required = &package["relation"]["requires"][0];
    assert_eq!(required["filename"], "old.wacz", "{package:#}");
    assert_eq!(required["crawlId"], "old", "{package:#}");
    assert!(zip_entry(&wacz, "archive/referred-old.warc.gz").is_none());

    let alone = dir.path().join("alone.wacz");
    let (code, text) = run(arkiv()
        .args(["--quiet", "wacz", "--include-referred"])
        .arg(&r.new)
        .arg("-o")
        .arg(&alone));
    assert_eq!(code, Some(0), "{text}");
    let package: serde_json::Value =
        serde_json::from_slice(&zip_entry(&alone, "datapackage.json").expect("datapackage"))
            .expect("JSON");
    assert!(package.get("relation").is_none(), "{package:#}");
    let referred = zip_entry(&alone, "archive/referred-old.warc.gz").expect("referred records");
    let copy = dir.path().join("referred.warc.gz");
    fs_err::write(&copy, &referred).expect("write");
    // Every revisit's record is in the package, whole (the warc crate checks each digest).
    let packed = crate::support::warc_records(&[copy]);
    assert_eq!(packed[0].kind, "warcinfo");
    let ids: Vec<&str> = packed.iter().map(|r| r.id.as_str()).collect();
    for record in records(&r.new).iter().filter(|r| r.kind() == "revisit") {
        let id = record.get("WARC-Refers-To").expect("refers to");
        assert!(ids.contains(&id), "{id} not packed");
    }
    let index =
        String::from_utf8(zip_entry(&alone, "indexes/index.cdxj").expect("index")).expect("UTF-8");
    assert!(
        index.contains("\"filename\": \"referred-old.warc.gz\""),
        "{index}"
    );
    // Nothing was written into either crawl's folder.
    assert!(!r.new.join("new.wacz").exists() && !r.old.join("old.wacz").exists());
}

#[test]
fn dedup_from_must_be_a_finished_crawl_other_than_the_output() {
    let r = recrawl();
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty");
    fs_err::create_dir_all(&empty).expect("mkdir");
    let out = dir.path().join("out");
    for (old, expect) in [
        (empty.as_path(), "not the output folder of an `arkiv crawl`"),
        (dir.path().join("none").as_path(), "missing"),
        (r.old.as_path(), "output folder of this crawl itself"),
    ] {
        let target = if expect.contains("itself") {
            r.old.as_path()
        } else {
            out.as_path()
        };
        let (code, text) = crawl(&r.url, target, &dedup_args(old));
        assert_eq!(code, Some(2), "{text}");
        assert!(
            text.contains("--dedup-from") && text.contains(expect),
            "{text}"
        );
        assert!(text.contains("hint:"), "{text}");
    }
    assert!(!out.exists(), "nothing was made");
}

#[test]
fn a_resumed_dedup_crawl_keeps_deduplicating() {
    let r = recrawl();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let (code, text) = run(arkiv()
        .args(["--quiet", "crawl", r.url.as_str(), "--out"])
        .arg(&out)
        .args(dedup_args(&r.old))
        .env(arkiv::crawl::archive::DISK_FULL_ENV, "12"));
    assert_eq!(code, Some(2), "stopped by the simulated full disk: {text}");
    let (code, text) = run(arkiv().args(["--quiet", "crawl", "--resume"]).arg(&out));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        warc_files(&out).len() >= 2,
        "the resume wrote a file of its own"
    );
    let revisits = assert_only_revisits(&r.old, &out);
    assert!(revisits >= 20, "only {revisits} revisits");
    assert_same_mirror(&r.old, &out);
    let (code, text) = run(arkiv().arg("verify").arg(&out));
    assert_eq!(code, Some(0), "{text}");
}
