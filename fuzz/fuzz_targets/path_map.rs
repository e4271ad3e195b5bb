//! Fuzzes the one door to the disk: every URL gets a relative path inside the mirror root, and a
//! `PathMapper` never hands two URLs the same file (not even case-insensitively).
#![no_main]

use std::collections::HashMap;
use std::path::{Component, Path};

use arkiv::mirror::path_map::{MAX_COMPONENT_BYTES, MirrorPath, PathMapper, url_to_path};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Types the mirror passes, plus `None` and an odd one; the first input byte picks one per URL.
const MIMES: [Option<&str>; 7] = [
    None,
    Some("text/html"),
    Some("text/css"),
    Some("image/png"),
    Some("application/octet-stream"),
    Some("application/xhtml+xml; charset=utf-8"),
    Some("x/../..\\evil; a=b"),
];

/// What holding a `MirrorPath` promises, checked from the outside.
fn check_path(path: &MirrorPath, url: &Url) {
    let text = path.as_str();
    assert!(
        MirrorPath::parse(text).is_ok(),
        "{url} -> {text:?} does not re-parse"
    );
    assert!(!text.starts_with('/'), "{url} -> absolute {text:?}");
    // `from_checked`'s release fallback for a path it should never have built.
    assert!(!text.starts_with("@invalid/"), "{url} -> {text:?}");
    let all_normal = Path::new(text)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    assert!(all_normal, "{url} -> {text:?} leaves the root");
    for segment in text.split('/') {
        assert!(!segment.is_empty(), "{url} -> empty component in {text:?}");
        assert!(segment != "." && segment != "..", "{url} -> {text:?}");
        assert!(
            segment.len() <= MAX_COMPONENT_BYTES,
            "{url} -> long {text:?}"
        );
        assert!(
            !segment
                .chars()
                .any(|c| c.is_control() || "\\:<>\"|?*".contains(c)),
            "{url} -> reserved character in {text:?}"
        );
    }
}


/// The input as URLs: one per line, absolute when it parses so, else relative to a page.
fn urls(text: &str) -> Vec<Url> {
    let base = Url::parse("http://example.com/dir/page.html").expect("base");
    text.split('\n')
        .filter_map(|line| Url::parse(line).or_else(|_| base.join(line)).ok())
        .take(8)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut mapper = PathMapper::new();
    // Folded (ASCII case) path → the URL key that owns it.
    let mut owners: HashMap<String, String> = HashMap::new();
    for (i, url) in urls(&text).iter().enumerate() {
        let mime = MIMES[(usize::from(selector) + i) % MIMES.len()];
        check_path(&url_to_path(url, mime), url);

        let path = mapper.assign(url, mime);
        check_path(&path, url);
        assert_ne!(path, MirrorPath::top_index(), "{url} took the top index");
        assert_eq!(mapper.assign(url, None), path, "{url} changed its path");
        assert_eq!(mapper.lookup(url), Some(&path));
        let mut key = url.clone();
        key.set_fragment(None);
        let folded = path.as_str().to_ascii_lowercase();
        if let Some(owner) = owners.get(&folded) {
            assert_eq!(owner, key.as_str(), "{url} and {owner} share {path}");
        }
        owners.insert(folded, key.to_string());
    }
    // No file sits where another path needs a folder.
    for a in owners.keys() {
        let folder = format!("{a}/");
        assert!(
            !owners.keys().any(|b| b.starts_with(&folder)),
            "file {a} is also a folder"
        );
    }
});
