//! Integration tests: path_map (URL → mirror file name, collisions, safe joins, relative hrefs).

use std::collections::HashSet;
use std::path::{Component, Path};

use arkiv::mirror::path_map::{
    MAX_COMPONENT_BYTES, MirrorPath, PathError, PathMapper, relative_href, safe_join, url_to_path,
};
use icu_normalizer::ComposingNormalizerBorrowed;
use proptest::prelude::*;
use url::Url;

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|e| panic!("bad test URL {text:?}: {e}"))
}

fn path_of(text: &str, mime: Option<&str>) -> String {
    url_to_path(&url(text), mime).to_string()
}

const HTML: Option<&str> = Some("text/html; charset=utf-8");

#[test]
fn table_of_examples() {
    let long = "a".repeat(300);
    let cases: &[(&str, Option<&str>, &str)] = &[
        // Folders and index.html; http and https share the host folder.
        ("http://example.org/", None, "example.org/index.html"),
        ("http://example.org", HTML, "example.org/index.html"),
        (
            "https://example.org/a/b/",
            HTML,
            "example.org/a/b/index.html",
        ),
        (
            "http://Example.ORG/a/b/",
            None,
            "example.org/a/b/index.html",
        ),
        // Ports only when not the default.
        (
            "http://example.org:8080/x.css",
            Some("text/css"),
            "example.org+8080/x.css",
        ),
        ("https://example.org:443/", HTML, "example.org/index.html"),
        ("http://[::1]:81/", HTML, "[%3A%3A1]+81/index.html"),
        // Extensions from types.
        ("http://h/om", HTML, "h/om.html"),
        ("http://h/om/", HTML, "h/om/index.html"),
        ("http://h/page.htm", HTML, "h/page.htm"),
        ("http://h/index.php", HTML, "h/index.php.html"),
        ("http://h/a.asp", HTML, "h/a.asp.html"),
        ("http://h/a.aspx", HTML, "h/a.aspx.html"),
        ("http://h/a.jsp", HTML, "h/a.jsp.html"),
        ("http://h/a.cgi", HTML, "h/a.cgi.html"),
        ("http://h/style", Some("text/css"), "h/style.css"),
        ("http://h/app", Some("application/javascript"), "h/app.js"),
        ("http://h/logo", Some("image/png"), "h/logo.png"),
        ("http://h/photo.jpeg", Some("image/jpeg"), "h/photo.jpeg"),
        ("http://h/font", Some("font/woff2"), "h/font.woff2"),
        ("http://h/report", Some("application/pdf"), "h/report.pdf"),
        ("http://h/data", None, "h/data"),
        ("http://h/blob", Some("application/octet-stream"), "h/blob"),
        (
            "http://h/feed/",
            Some("application/rss+xml"),
            "h/feed/index.rss",
        ),
        // Queries: readable, marked by `@`; fragments dropped.
        ("http://h/?side=2", HTML, "h/index@side=2.html"),
        ("http://h/index.php?side=2", HTML, "h/index.php@side=2.html"),
        (
            "http://h/style.css?v=3",
            Some("text/css"),
            "h/style.css@v=3.css",
        ),
        ("http://h/f.pdf?dl=1", None, "h/f.pdf@dl=1.pdf"),
        ("http://h/s?q=a%20b&x=%2F", HTML, "h/s@q=a b&x=%2F.html"),
        ("http://h/s?", HTML, "h/s@.html"),
        ("http://h/x#frag", HTML, "h/x.html"),
        ("http://h/me@x", None, "h/me%40x"),
        // Unicode stays readable and NFC.
        ("http://h/%C3%A6%C3%B8%C3%A5/", HTML, "h/æøå/index.html"),
        ("http://h/æøå.html", HTML, "h/æøå.html"),
        ("http://h/a%CC%8A.html", HTML, "h/å.html"),
        ("http://h/a%20b.html", HTML, "h/a b.html"),
        ("http://h/a%20/", HTML, "h/a%20/index.html"),
        // Reserved characters and bytes.
        ("http://h/a%2Fb.html", HTML, "h/a%2Fb.html"),
        ("http://h/%00.html", HTML, "h/%00.html"),
        ("http://h/a%5Cb", None, "h/a%5Cb"),
        ("http://h/a\\b", None, "h/a/b"),
        (
            "http://h/a%3Ab%2A%3F%22%3C%3E%7C",
            None,
            "h/a%3Ab%2A%3F%22%3C%3E%7C",
        ),
        ("http://h/%FF%FE.bin", None, "h/%FF%FE.bin"),
        ("http://h/100%25", None, "h/100%25"),
        ("http://h/%zz", None, "h/%25zz"),
        // Dot segments, empty segments, absolute-looking paths.
        ("http://h/../../etc/passwd", None, "h/etc/passwd"),
        ("http://h/a/%2e%2e/x", None, "h/x"),
        ("http://h/a/%2e%2e%2fb", None, "h/a/..%2Fb"),
        ("http://h/a./", HTML, "h/a%2E/index.html"),
        ("http://h//etc/passwd", None, "h/@/etc/passwd"),
        ("http://h/a//b", None, "h/a/@/b"),
        ("http://h/C:/Windows/x", None, "h/C%3A/Windows/x"),
        // Windows device names, with any extension and in any case.
        ("http://h/con", HTML, "h/%63on.html"),
        ("http://h/aux.txt", Some("text/plain"), "h/%61ux.txt"),
        ("http://h/LPT1/", HTML, "h/%4CPT1/index.html"),
        ("http://con/", HTML, "%63on/index.html"),
        // Other schemes.
        ("ftp://h/x.txt", None, "@ftp/h/x.txt"),
        ("data:text/plain,hi", None, "@data/text%2Fplain,hi"),
    ];
    let mut failures = Vec::new();
    for (input, mime, expected) in cases {
        let got = path_of(input, *mime);
        if got != *expected {
            failures.push(format!(
                "{input} ({mime:?}): got {got:?}, want {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    let got = path_of(&format!("http://h/{long}.html"), HTML);
    let name = got.rsplit('/').next().unwrap_or_default();
    assert!(
        name.len() <= MAX_COMPONENT_BYTES && name.ends_with(".html"),
        "{got}"
    );
    assert!(name.starts_with("aaaa") && name.contains('~'), "{got}");
    assert_ne!(got, path_of(&format!("http://h/{long}b.html"), HTML));
}

#[test]
fn long_query_is_readable_prefix_plus_hash() {
    let q = "q=".to_string() + &"x".repeat(200);
    let got = path_of(&format!("http://h/?{q}"), HTML);
    assert!(
        got.starts_with("h/index@q=xxxx") && got.ends_with(".html"),
        "{got}"
    );
    assert!(got.len() < 100, "{got}");
    let other = path_of(&format!("http://h/?{q}y"), HTML);
    assert_ne!(got, other);
}

#[test]
fn deep_paths_are_folded_to_a_reasonable_length() {
    let deep = format!("http://h/{}x.html", "segment-of-some-length/".repeat(60));
    let got = path_of(&deep, HTML);
    assert!(got.len() <= 480, "{} bytes: {got}", got.len());
    assert!(got.starts_with("h/segment-of-some-length/") && got.ends_with("/x.html"));
}

#[test]
fn mapper_separates_case_twins() {
    let mut mapper = PathMapper::new();
    let upper = mapper.assign(&url("http://h/Sag.html"), HTML);
    let lower = mapper.assign(&url("http://h/sag.html"), HTML);
    assert_eq!(upper.as_str(), "h/Sag.html");
    assert_eq!(lower.as_str(), "h/sag~2.html");
    assert_eq!(mapper.lookup(&url("http://h/sag.html#top")), Some(&lower));
    assert_eq!(mapper.assign(&url("http://h/sag.html"), None), lower);
    let names = mapper.into_names();
    assert_eq!(names.len(), 2);
    assert_eq!(names.lookup(&url("http://h/Sag.html#x")), Some(&upper));
    assert_eq!(names.lookup(&url("http://h/sag.html")), Some(&lower));
    assert_eq!(names.lookup(&url("http://h/SAG.html")), None);
}

#[test]
fn mapper_separates_normalisation_twins() {
    let mut mapper = PathMapper::new();
    let nfc = mapper.assign(&url("http://h/%C3%A5.html"), HTML);
    let nfd = mapper.assign(&url("http://h/a%CC%8A.html"), HTML);
    assert_eq!(nfc.as_str(), "h/å.html");
    assert_eq!(nfd.as_str(), "h/å~2.html");
}

#[test]
fn mapper_resolves_file_folder_clash() {
    let mut mapper = PathMapper::new();
    let file = mapper.assign(&url("http://h/a"), None);
    let inside = mapper.assign(&url("http://h/a/b"), None);
    let deeper = mapper.assign(&url("http://h/a/c/"), HTML);
    assert_eq!(file.as_str(), "h/a");
    assert_eq!(inside.as_str(), "h/a~2/b");
    assert_eq!(deeper.as_str(), "h/a~2/c/index.html");
    // A page without extension never clashes: it is `a.html`.
    let mut mapper = PathMapper::new();
    assert_eq!(mapper.assign(&url("http://h/a"), HTML).as_str(), "h/a.html");
    assert_eq!(
        mapper.assign(&url("http://h/a/b"), HTML).as_str(),
        "h/a/b.html"
    );
    // Folders differing in case become one folder, files inside stay distinct.
    let mut mapper = PathMapper::new();
    assert_eq!(
        mapper.assign(&url("http://h/Foo/x"), HTML).as_str(),
        "h/Foo/x.html"
    );
    assert_eq!(
        mapper.assign(&url("http://h/foo/x"), HTML).as_str(),
        "h/Foo/x~2.html"
    );
    assert_eq!(
        mapper.assign(&url("http://h/foo/y"), HTML).as_str(),
        "h/Foo/y.html"
    );
}

#[test]
fn mapper_keeps_the_top_index_free() {
    let mut mapper = PathMapper::new();
    let odd_host = mapper.assign(&url("http://index.html/"), HTML);
    assert_ne!(odd_host.segments().next(), Some("index.html"));
}

#[test]
fn safe_join_writes_below_root() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("mirror");
    let rel = url_to_path(&url("http://h/a/b/c"), HTML);
    let path = safe_join(&root, &rel)?;
    assert_eq!(path, root.join("h").join("a").join("b").join("c.html"));
    assert!(root.join("h/a/b").is_dir());
    fs_err::write(&path, "x")?;
    // Joining again is fine (files are rewritten on rebuild).
    assert_eq!(safe_join(&root, &rel)?, path);
    Ok(())
}

#[cfg(unix)]
#[test]
fn safe_join_refuses_a_symlinked_folder() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("mirror");
    let outside = dir.path().join("outside");
    fs_err::create_dir_all(root.join("h"))?;
    fs_err::create_dir_all(&outside)?;
    std::os::unix::fs::symlink(&outside, root.join("h").join("a"))?;
    let rel = url_to_path(&url("http://h/a/b.html"), HTML);
    match safe_join(&root, &rel) {
        Err(PathError::Symlink { path }) => assert_eq!(path, root.join("h").join("a")),
        other => panic!("expected a symlink refusal, got {other:?}"),
    }
    // A symlink in place of the file itself is refused too.
    std::os::unix::fs::symlink(outside.join("f"), root.join("h").join("f.html"))?;
    let rel = url_to_path(&url("http://h/f"), HTML);
    assert!(matches!(
        safe_join(&root, &rel),
        Err(PathError::Symlink { .. })
    ));
    assert_eq!(fs_err::read_dir(&outside)?.count(), 0);
    Ok(())
}

#[test]
fn safe_join_refuses_a_file_in_place_of_a_folder() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fs_err::create_dir_all(dir.path().join("h"))?;
    fs_err::write(dir.path().join("h").join("a"), "x")?;
    let rel = url_to_path(&url("http://h/a/b.html"), HTML);
    let err = safe_join(dir.path(), &rel).err();
    assert!(
        matches!(err, Some(PathError::NotADirectory { .. })),
        "{err:?}"
    );
    assert!(err.is_some_and(|e| e.to_string().contains("h")));
    Ok(())
}

#[test]
fn relative_href_examples() {
    let p = |s: &str| MirrorPath::parse(s).unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        ("h/a/b/c.html", "h/a/d/e.html", Some("x"), "../d/e.html#x"),
        ("h/a/c.html", "h/a/e.html", None, "e.html"),
        ("h/a/c.html", "h/a/c.html", Some("top"), "c.html#top"),
        ("index.html", "h/index.html", None, "h/index.html"),
        (
            "h/index.html",
            "g+8080/index.html",
            None,
            "../g+8080/index.html",
        ),
        ("h/x.html", "h/a b/æ.html", None, "a%20b/%C3%A6.html"),
        ("h/x.html", "h/a%2Fb.html", None, "a%252Fb.html"),
        (
            "h/x.html",
            "h/index@q=1&r=#.html",
            None,
            "index@q=1%26r=%23.html",
        ),
        ("h/x.html", "h/y.html", Some("a%20b"), "y.html#a%20b"),
    ];
    for (from, to, fragment, expected) in cases {
        assert_eq!(
            relative_href(&p(from), &p(to), fragment),
            expected,
            "{from} → {to}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over arbitrary URLs.

const NFC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfc();

/// How two paths compare on the strictest file system (case-insensitive, NFC).
fn folded(path: &str) -> String {
    NFC.normalize(&path.to_uppercase().to_lowercase())
        .into_owned()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~-]{0,12}",
        proptest::collection::vec(any::<char>(), 0..12).prop_map(|c| c.into_iter().collect()),
        "(%[0-9A-Fa-f]{2}){1,6}",
        "[.%/\\\\:*?\"<>|@ ]{1,4}",
        "(con|NUL|Com1|lpt9|aux)(\\.[a-z]{1,4})?",
        "[aæ]{100,300}",
        "(a|A|\u{e5}|a\u{30a}|%C3%A5|a%CC%8A)(\\.html)?",
    ]
}

prop_compose! {
    fn arbitrary_url()(
        https in any::<bool>(),
        host in "[a-zA-Z0-9]{1,10}(\\.[a-z]{2,4})?",
        port in proptest::option::of(1u16..),
        segments in proptest::collection::vec(segment(), 0..6),
        query in proptest::option::of(prop_oneof![
            "[a-z0-9=&%./:@]{0,20}",
            proptest::collection::vec(any::<char>(), 0..100).prop_map(|c| c.into_iter().collect()),
        ]),
        fragment in proptest::option::of("[a-z]{0,5}"),
    ) -> Option<Url> {
        let scheme = if https { "https" } else { "http" };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let mut text = format!("{scheme}://{host}{port}/{}", segments.join("/"));
        if let Some(q) = query { text.push('?'); text.push_str(&q); }
        if let Some(f) = fragment { text.push('#'); text.push_str(&f); }
        Url::parse(&text).ok()
    }
}

prop_compose! {
    /// URLs on two sites built from a few clashing names, so that collisions are frequent.
    fn clashing_url()(
        https in any::<bool>(),
        host in proptest::sample::select(vec!["h", "H", "h:8080", "g"]),
        segments in proptest::collection::vec(proptest::sample::select(vec![
            "a", "A", "b", "a.html", "A.HTML", "%C3%A5", "a%CC%8A", "Con", "", "index.html",
            "x%20y", "a~2", "a~2.html", "%40", "a.",
        ]), 0..4),
        query in proptest::option::of(proptest::sample::select(vec!["", "x=1", "X=1", "x=%31"])),
    ) -> Option<Url> {
        let scheme = if https { "https" } else { "http" };
        let mut text = format!("{scheme}://{host}/{}", segments.join("/"));
        if let Some(q) = query { text.push('?'); text.push_str(q); }
        Url::parse(&text).ok()
    }
}

fn mime() -> impl Strategy<Value = Option<&'static str>> {
    proptest::option::of(proptest::sample::select(vec![
        "text/html",
        "text/css",
        "image/png",
        "application/octet-stream",
        "text/plain",
    ]))
}

fn assert_valid(path: &MirrorPath) -> Result<(), TestCaseError> {
    let text = path.as_str();
    prop_assert!(MirrorPath::parse(text).is_ok(), "invalid: {text:?}");
    prop_assert!(
        Path::new(text)
            .components()
            .all(|c| matches!(c, Component::Normal(_))),
        "{text:?}"
    );
    for s in path.segments() {
        prop_assert!(!s.is_empty() && s.len() <= MAX_COMPONENT_BYTES, "{text:?}");
        prop_assert!(
            !s.chars()
                .any(|c| "<>:\"/\\|?*".contains(c) || c.is_control()),
            "{text:?}"
        );
        prop_assert!(
            !s.ends_with('.') && !s.ends_with(' ') && s != "..",
            "{text:?}"
        );
        let stem = s.split('.').next().unwrap_or(s).to_ascii_uppercase();
        let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9"];
        prop_assert!(!reserved.contains(&stem.trim_end()), "{text:?}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_url_gets_a_valid_deterministic_path(url in arbitrary_url(), mime in mime()) {
        let Some(url) = url else { return Ok(()) };
        let path = url_to_path(&url, mime);
        assert_valid(&path)?;
        prop_assert_eq!(&path, &url_to_path(&url, mime));
        let mut without_fragment = url.clone();
        without_fragment.set_fragment(None);
        prop_assert_eq!(&path, &url_to_path(&without_fragment, mime));
    }

}

proptest! {
    // Each case writes files and resolves every pair of hrefs: fewer, larger cases.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mapper_names_never_collide_and_round_trip(
        urls in proptest::collection::vec(
            (prop_oneof![arbitrary_url(), clashing_url()], mime()),
            1..24,
        ),
    ) {
        let mut urls: Vec<(Url, Option<&str>)> =
            urls.into_iter().filter_map(|(u, m)| u.map(|u| (u, m))).collect();
        urls.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        urls.dedup_by(|a, b| a.0 == b.0);
        let mut mapper = PathMapper::new();
        let mut by_key = std::collections::HashMap::new();
        for (url, mime) in &urls {
            let mut key = url.clone();
            key.set_fragment(None);
            let path = mapper.assign(url, *mime);
            assert_valid(&path)?;
            prop_assert_eq!(Some(&path), mapper.lookup(url));
            by_key.insert(key.to_string(), path);
        }
        let paths: Vec<&MirrorPath> = by_key.values().collect();
        let files: HashSet<String> = paths.iter().map(|p| folded(p.as_str())).collect();
        prop_assert_eq!(files.len(), paths.len(), "two URLs share a file: {:?}", by_key);
        for p in &paths {
            let segments: Vec<&str> = p.segments().collect();
            for depth in 1..segments.len() {
                let folder = folded(&segments[..depth].join("/"));
                prop_assert!(!files.contains(&folder), "{} is a file and a folder", folder);
            }
        }

        // Every file can be written under a real root.
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        for p in &paths {
            let full = safe_join(dir.path(), p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(full.starts_with(dir.path()));
            fs_err::write(&full, b"x").map_err(|e| TestCaseError::fail(e.to_string()))?;
        }

        // Hrefs resolve back to the file they name.
        let root = url("file:///root/");
        for from in &paths {
            let mut base = root.clone();
            if let Ok(mut segments) = base.path_segments_mut() {
                segments.pop_if_empty().extend(from.segments());
            }
            for to in &paths {
                let href = relative_href(from, to, Some("frag"));
                prop_assert!(href.is_ascii(), "{href}");
                let resolved = base.join(&href).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(resolved.fragment(), Some("frag"));
                let decoded: Vec<String> = resolved
                    .path_segments()
                    .map(|s| {
                        s.map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                let expected: Vec<String> = std::iter::once("root")
                    .chain(to.segments())
                    .map(str::to_string)
                    .collect();
                prop_assert_eq!(decoded, expected, "{} → {} via {}", from, to, href);
            }
        }
    }
}
