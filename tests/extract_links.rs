//! Integration tests: extract_links (URLs with byte spans from HTML, CSS and sitemaps, over the fixtures in `fixtures/extract/`).

use std::collections::BTreeSet;
use std::io::Write;

use arkiv::extract::table::ATTRIBUTES;
use arkiv::extract::{
    CssOptions, FoundUrl, HtmlOptions, HtmlScanner, LinkKind, SitemapError, SitemapKind,
    SitemapOptions, parse_sitemap, scan_css, scan_html,
};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/extract/{name}", env!("CARGO_MANIFEST_DIR"));
    fs_err::read(path).expect("fixture exists")
}

fn base() -> Url {
    Url::parse("http://example.com/dir/page.html").expect("valid base")
}

const HTML_FIXTURES: &[&str] = &[
    "all-table.html",
    "base.html",
    "srcset.html",
    "windows-1252.html",
    "style.html",
];

fn scan(name: &str) -> Vec<FoundUrl> {
    scan_html(&fixture(name), &base(), HtmlOptions::default()).urls
}

/// `(as written, resolved or "", context)` for each URL.
fn summary(doc: &[u8], urls: &[FoundUrl]) -> Vec<(String, String, &'static str)> {
    urls.iter()
        .map(|f| {
            let written = String::from_utf8_lossy(&doc[f.span.clone()]).into_owned();
            let url = f.url.as_ref().map(|u| u.to_string()).unwrap_or_default();
            (written, url, f.context)
        })
        .collect()
}

#[test]
fn every_table_entry_is_found() {
    let urls = scan("all-table.html");
    let found: BTreeSet<&str> = urls.iter().map(|f| f.context).collect();
    let mut want: BTreeSet<&str> = ATTRIBUTES.iter().map(|r| r.context).collect();
    want.extend(["style@url", "style@import"]);
    let missing: Vec<_> = want.difference(&found).collect();
    assert!(missing.is_empty(), "not found: {missing:?}");
    let raws: Vec<&str> = urls.iter().map(|f| f.raw.as_str()).collect();
    for never in [
        "in-script.png",
        "commented.png",
        "in-comment.html",
        "no.png",
        "not-an-image.png",
        "not a url.html",
        "in-textarea.html",
    ] {
        assert!(!raws.iter().any(|r| r.contains(never)), "{never} found");
    }
    assert!(!raws.contains(&""), "empty values are no links");
}

#[test]
fn kinds_raw_and_resolution() {
    let doc = fixture("all-table.html");
    let urls = scan_html(&doc, &base(), HtmlOptions::default()).urls;
    let get = |raw: &str| {
        urls.iter()
            .find(|f| f.raw == raw)
            .unwrap_or_else(|| panic!("{raw} not found"))
    };
    let kind = |raw: &str| get(raw).kind;
    assert_eq!(kind("/css/main.css"), LinkKind::Requisite);
    assert_eq!(kind("alt.css"), LinkKind::Requisite);
    assert_eq!(kind("/favicon.ico"), LinkKind::Requisite);
    assert_eq!(kind("https://example.org/page"), LinkKind::Navigation);
    assert_eq!(kind("page2.html"), LinkKind::Navigation);
    assert_eq!(kind("hero-2x.png"), LinkKind::Requisite);
    assert_eq!(kind("frame.html"), LinkKind::Embedded);
    assert_eq!(kind("/search"), LinkKind::Form);
    assert_eq!(kind("refreshed.html"), LinkKind::Refresh);
    assert_eq!(kind("q.html"), LinkKind::Navigation);
    assert_eq!(kind("svg-link.html"), LinkKind::Navigation);
    assert_eq!(kind("sprite.svg#icon"), LinkKind::Requisite);
    // `&amp;`: the span covers it as written, `raw` has `&`.
    let amp = get("/a?x=1&y=2");
    assert_eq!(&doc[amp.span.clone()], b"/a?x=1&amp;y=2");
    assert_eq!(
        amp.url.as_ref().map(Url::as_str),
        Some("http://example.com/a?x=1&y=2")
    );
    // Entities inside a style attribute map back through the CSS.
    let styled = get("style-attr.png");
    assert_eq!(&doc[styled.span.clone()], b"style-attr.png");
    assert_eq!(get("javascript:void(0)").url, None);
    assert_eq!(
        get("mailto:someone@example.org")
            .url
            .as_ref()
            .map(Url::scheme),
        Some("mailto")
    );
    let spaced = get("spaced.html");
    assert_eq!(&doc[spaced.span.clone()], b"spaced.html");
    // As in browsers, a fragment-only link resolves against `<base href>`, not the page.
    assert_eq!(
        get("#top").url.as_ref().map(Url::as_str),
        Some("http://example.com/dir/#top")
    );
    assert_eq!(get("sprite.svg#icon").context, "svg:use@href");
    // `<noscript>` markup is scanned too: it is what a visitor without scripts saw.
    assert_eq!(get("noscript-2x.png").context, "img@srcset");
    assert_eq!(&doc[get("noscript.png").span.clone()], b"noscript.png");
    assert_eq!(get("ns-bg.png").context, "style@url");
}

#[test]
fn title_is_decoded_and_collapsed() {
    let scan = scan_html(&fixture("all-table.html"), &base(), HtmlOptions::default());
    assert_eq!(scan.title.as_deref(), Some("Every table & entry"));
    assert_eq!(scan.encoding, encoding_rs::UTF_8);
}

#[test]
fn base_href_governs_every_link() {
    let doc = fixture("base.html");
    let scan = scan_html(&doc, &base(), HtmlOptions::default());
    let (span, url) = scan.base_href.expect("base href");
    assert_eq!(&doc[span], b"/sub/dir/");
    assert_eq!(url.as_str(), "http://example.com/sub/dir/");
    let got = summary(&doc, &scan.urls);
    let want = [
        (
            "before-base.css",
            "http://example.com/sub/dir/before-base.css",
            "link@href",
        ),
        ("/sub/dir/", "http://example.com/sub/dir/", "base@href"),
        ("/ignored/", "http://example.com/ignored/", "base@href"),
        (
            "page.html",
            "http://example.com/sub/dir/page.html",
            "a@href",
        ),
        ("../img.png", "http://example.com/sub/img.png", "img@src"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn srcset_with_data_urls_and_descriptors() {
    let doc = fixture("srcset.html");
    let got: Vec<_> = summary(&doc, &scan("srcset.html"))
        .into_iter()
        .map(|(w, u, _)| (w, u))
        .collect();
    let want = [
        ("data:image/png;base64,iVBO,RK5CYII=", ""),
        ("/two.png", "http://example.com/two.png"),
        (
            "/three.png,/four.png",
            "http://example.com/three.png,/four.png",
        ),
        ("data:image/svg+xml,%3Csvg%3E", ""),
        ("a.png", "http://example.com/dir/a.png"),
        ("b.png", "http://example.com/dir/b.png"),
        ("c.png&#44;d.png", "http://example.com/dir/c.png,d.png"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn windows_1252_page_resolves_queries_as_a_browser_does() {
    let doc = fixture("windows-1252.html");
    let scan = scan_html(&doc, &base(), HtmlOptions::default());
    assert_eq!(scan.encoding, encoding_rs::WINDOWS_1252);
    assert_eq!(scan.title.as_deref(), Some("S\u{f8}g"));
    let urls: Vec<_> = scan
        .urls
        .iter()
        .map(|f| f.url.as_ref().map(Url::as_str).unwrap_or(""))
        .collect();
    // The query is encoded in the page's encoding, the path always in UTF-8; CSS uses UTF-8.
    assert_eq!(
        urls,
        [
            "http://example.com/s?q=%E6ble",
            "http://example.com/%C3%A6ble/?q=%E6ble",
            "http://example.com/%C3%A6.png?q=%C3%A6",
        ]
    );
    assert_eq!(&doc[scan.urls[0].span.clone()], b"/s?q=\xe6ble");
    // The HTTP charset beats the meta prescan.
    let utf8 = HtmlOptions::default().with_charset(Some(encoding_rs::UTF_8));
    let scan = scan_html(&doc, &base(), utf8);
    assert_eq!(scan.urls[0].raw, "/s?q=\u{FFFD}ble");
}

#[test]
fn style_attributes_and_elements() {
    let doc = fixture("style.html");
    let got: Vec<_> = summary(&doc, &scan("style.html"))
        .into_iter()
        .map(|(w, _, c)| (w, c))
        .collect();
    let want = [
        ("a&amp;b.png", "*@style"),
        (r"c\).png", "*@style"),
        ("list.png", "*@style"),
        ("imp.css", "style@url"),
        ("s1.png", "style@image-set"),
        ("s2.png", "style@url"),
        ("escaped.png", "style@url"),
        ("svg-style.png", "style@url"),
    ];
    let want: Vec<_> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
    // `\75 rl(` is an ident whose value is "url", so it is a url token (CSS Syntax §4.3.4).
    assert_eq!(got, want);
    let urls = scan("style.html");
    assert_eq!(urls[0].raw, "a&b.png");
    assert_eq!(urls[1].raw, "c).png");
}

#[test]
fn css_file_constructs() {
    let doc = fixture("escapes.css");
    let css_base = Url::parse("http://example.com/css/site.css").expect("valid");
    let scan = scan_css(&doc, &css_base, &CssOptions::default());
    let got: Vec<_> = scan
        .urls
        .iter()
        .map(|f| (f.raw.as_str(), f.context))
        .collect();
    let want = [
        ("first.css", "css@import"),
        ("second.css", "css@url"),
        ("im age.png", "css@url"),
        ("quoted.png", "css@url"),
        ("escaped-ident.png", "css@url"),
        ("upper.png", "css@url"),
        ("one.png", "css@image-set"),
        ("two.png", "css@url"),
        ("three.png", "css@image-set"),
        ("font.woff2", "css@url"),
        ("font.woff", "css@url"),
        ("data:image/png;base64,AAAA", "css@url"),
        ("123.png", "css@url"),
    ];
    assert_eq!(got, want);
    let spans: Vec<_> = scan
        .urls
        .iter()
        .map(|f| String::from_utf8_lossy(&doc[f.span.clone()]).into_owned())
        .collect();
    assert_eq!(spans[2], r"im\ age.png");
    assert_eq!(spans[12], r"\31 23.png");
    assert_eq!(
        scan.urls[0].url.as_ref().map(Url::as_str),
        Some("http://example.com/css/first.css")
    );
}

/// Replaces every span with `with`.
fn splice(doc: &[u8], urls: &[FoundUrl], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(doc.len());
    let mut at = 0;
    for f in urls {
        out.extend_from_slice(&doc[at..f.span.start]);
        out.extend_from_slice(with);
        at = f.span.end;
    }
    out.extend_from_slice(&doc[at..]);
    out
}

fn check_splice(
    name: &str,
    doc: &[u8],
    urls: &[FoundUrl],
    rescan: impl Fn(&[u8]) -> Vec<FoundUrl>,
) {
    // Spans are in order, disjoint and inside the document.
    for pair in urls.windows(2) {
        assert!(
            pair[0].span.end <= pair[1].span.start,
            "{name}: overlapping {pair:?}"
        );
    }
    assert!(
        urls.iter()
            .all(|f| f.span.end <= doc.len() && f.span.start < f.span.end),
        "{name}"
    );
    let spliced = splice(doc, urls, b"X");
    // Nothing outside the spans changed.
    assert_eq!(
        splice(doc, urls, b""),
        {
            let marks: Vec<FoundUrl> = {
                let mut shift = 0isize;
                urls.iter()
                    .map(|f| {
                        let start = (f.span.start as isize + shift) as usize;
                        shift += 1 - f.span.len() as isize;
                        FoundUrl {
                            span: start..start + 1,
                            ..f.clone()
                        }
                    })
                    .collect()
            };
            splice(&spliced, &marks, b"")
        },
        "{name}"
    );
    // And each span held exactly one whole URL: scanning again finds an `X` in each place.
    let again = rescan(&spliced);
    let raws: Vec<&str> = again.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(raws, vec!["X"; urls.len()], "{name}");
}

#[test]
fn splicing_into_spans_changes_nothing_else() {
    for name in HTML_FIXTURES {
        let doc = fixture(name);
        let urls = scan_html(&doc, &base(), HtmlOptions::default()).urls;
        assert!(!urls.is_empty(), "{name}");
        check_splice(name, &doc, &urls, |d| {
            scan_html(d, &base(), HtmlOptions::default()).urls
        });
    }
    let doc = fixture("escapes.css");
    let css = |d: &[u8]| scan_css(d, &base(), &CssOptions::default()).urls;
    check_splice("escapes.css", &doc, &css(&doc), css);
}

/// A small seeded generator, so a failing chunking can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn any_chunking_gives_the_same_scan() {
    // `CHUNK_SIZE=n` replays one fixed chunk size instead of the seeded random ones.
    let fixed: Option<usize> = std::env::var("CHUNK_SIZE")
        .ok()
        .and_then(|v| v.parse().ok());
    for name in HTML_FIXTURES {
        let doc = fixture(name);
        let whole = scan_html(&doc, &base(), HtmlOptions::default());
        for seed in 0..24u64 {
            let mut rng = Lcg(seed);
            let mut scanner = HtmlScanner::new(&base(), HtmlOptions::default());
            let mut at = 0;
            while at < doc.len() {
                let size =
                    fixed.unwrap_or_else(|| 1 + rng.below(if seed % 2 == 0 { 8 } else { 300 }));
                let end = (at + size.max(1)).min(doc.len());
                scanner.feed(&doc[at..end]);
                at = end;
            }
            let chunked = scanner.finish();
            let label = format!("{name} seed {seed} (CHUNK_SIZE={fixed:?})");
            assert_eq!(chunked.urls, whole.urls, "{label}");
            assert_eq!(chunked.base_href, whole.base_href, "{label}");
            assert_eq!(chunked.encoding, whole.encoding, "{label}");
            assert_eq!(chunked.title, whole.title, "{label}");
        }
    }
}

fn sitemap_base() -> Url {
    Url::parse("https://example.org/maps/sitemap.xml").expect("valid")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("in memory");
    enc.finish().expect("in memory")
}

#[test]
fn sitemaps_plain_gzip_index_and_text() {
    let opts = SitemapOptions::default();
    let xml = fixture("sitemap.xml");
    let want = [
        "https://example.org/",
        "https://example.org/a?x=1&y=2",
        "https://example.org/maps/relative/page.html",
    ];
    for body in [xml.clone(), gzip(&xml)] {
        let map = parse_sitemap(&body, &sitemap_base(), &opts).expect("parses");
        assert_eq!(map.kind, SitemapKind::UrlSet);
        let urls: Vec<_> = map.urls.iter().map(Url::as_str).collect();
        assert_eq!(urls, want);
    }
    let index =
        parse_sitemap(&fixture("sitemap-index.xml"), &sitemap_base(), &opts).expect("parses");
    assert_eq!(index.kind, SitemapKind::Index);
    let urls: Vec<_> = index.urls.iter().map(Url::as_str).collect();
    assert_eq!(
        urls,
        [
            "https://example.org/sitemap-1.xml.gz",
            "https://example.org/sitemap-2.xml"
        ]
    );
    let text = parse_sitemap(&fixture("sitemap.txt"), &sitemap_base(), &opts).expect("parses");
    assert_eq!(text.kind, SitemapKind::Text);
    let urls: Vec<_> = text.urls.iter().map(Url::as_str).collect();
    assert_eq!(
        urls,
        [
            "https://example.org/one",
            "https://example.org/two",
            "https://example.org/three"
        ]
    );
}

#[test]
fn sitemap_gzip_bomb_is_capped() {
    let bomb = gzip(&vec![b' '; 4 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let opts = SitemapOptions::default().with_max_bytes(1024 * 1024);
    let err = parse_sitemap(&bomb, &sitemap_base(), &opts).expect_err("too large");
    assert!(matches!(err, SitemapError::TooLarge { limit } if limit == 1024 * 1024));
    let exact = gzip(&vec![b' '; 1024 * 1024]);
    assert!(parse_sitemap(&exact, &sitemap_base(), &opts).is_ok());
    let err = parse_sitemap(&[0x1f, 0x8b, 0, 1, 2], &sitemap_base(), &opts).expect_err("bad gzip");
    assert!(matches!(err, SitemapError::Gzip(_)));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Generated markup: spans stay disjoint and in bounds, each holds one whole URL (splicing
    /// `X` into every span and scanning again finds exactly those `X`s), and chunking does not change the scan.
    #[test]
    fn generated_markup_keeps_the_span_invariants(
        doc in r#"(<a href=["']?[a-z/&;#0-9 .]{0,8}["']?>|<img srcset="[a-z ,0-9x.:;]{0,12}" style='b:url([a-z&;]{0,5})'>|<style>[a-z(){}:;'" url\\/*]{0,20}</style>|<noscript>|</noscript>|<!--|-->|[a-z <>&;="'é])*"#,
        chunk in 1usize..17,
    ) {
        let bytes = doc.as_bytes();
        let whole = scan_html(bytes, &base(), HtmlOptions::default());
        for pair in whole.urls.windows(2) {
            proptest::prop_assert!(pair[0].span.end <= pair[1].span.start);
        }
        for f in &whole.urls {
            proptest::prop_assert!(f.span.start < f.span.end && f.span.end <= bytes.len());
        }
        let spliced = splice(bytes, &whole.urls, b"X");
        let again = scan_html(&spliced, &base(), HtmlOptions::default()).urls;
        let raws: Vec<&str> = again.iter().map(|f| f.raw.as_str()).collect();
        proptest::prop_assert_eq!(raws, vec!["X"; whole.urls.len()]);
        let mut scanner = HtmlScanner::new(&base(), HtmlOptions::default());
        for piece in bytes.chunks(chunk) {
            scanner.feed(piece);
        }
        proptest::prop_assert_eq!(scanner.finish().urls, whole.urls);
    }
}
