//! Fuzzes HTML and CSS link scanning and the splice that rewrites the links: spans lie inside the
//! input and never overlap, feeding HTML in chunks finds what feeding it whole finds, and spliced
//! output differs from the input only inside the spans.
#![no_main]

use std::ops::Range;

use arkiv::extract::{CssOptions, FoundUrl, HtmlOptions, HtmlScanner, scan_css, scan_html};
use arkiv::mirror::rewrite::{safe_href, splice};
use encoding_rs::Encoding;
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Transport charsets to try; the second input byte picks one.
const CHARSETS: [Option<&Encoding>; 6] = [
    None,
    Some(encoding_rs::UTF_8),
    Some(encoding_rs::WINDOWS_1252),
    Some(encoding_rs::SHIFT_JIS),
    Some(encoding_rs::UTF_16LE),
    Some(encoding_rs::ISO_2022_JP),
];

fn check_spans(urls: &[FoundUrl], len: usize) {
    let mut spans: Vec<&Range<usize>> = urls.iter().map(|u| &u.span).collect();
    spans.sort_by_key(|s| (s.start, s.end));
    for span in &spans {
        assert!(
            span.start <= span.end && span.end <= len,
            "span {span:?} of {len}"
        );
    }
    for pair in spans.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlapping spans {pair:?}");
    }
}

/// Replaces every span and checks, independently of `splice`, that only span bytes changed.
fn check_splice(source: &[u8], urls: &[FoundUrl]) {
    let edits: Vec<(Range<usize>, String)> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            (
                u.span.clone(),
                safe_href(&format!("../x y/{i}\".html#\"><")),
            )
        })
        .collect();
    let (out, applied) = splice(source, edits.clone());
    assert_eq!(
        applied,
        edits.len(),
        "non-overlapping spans are all applied"
    );
    let mut sorted = edits;
    sorted.sort_by_key(|(s, _)| (s.start, s.end));
    let mut rest: &[u8] = &out;
    let mut pos = 0;
    for (span, text) in &sorted {
        let kept = &source[pos..span.start];
        assert!(rest.starts_with(kept), "bytes outside spans changed");
        rest = &rest[kept.len()..];
        assert!(rest.starts_with(text.as_bytes()), "replacement missing");
        rest = &rest[text.len()..];
        pos = span.end;
    }
    assert_eq!(rest, &source[pos..], "tail outside spans changed");
    for (_, text) in &sorted {
        assert!(
            !text.bytes().any(|b| b"\"'<> \\()&".contains(&b)),
            "unsafe href {text:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, charset, chunk, doc @ ..] = data else {
        return;
    };
    let base = Url::parse("http://example.com/a/b.html").expect("base");
    let charset = CHARSETS[usize::from(*charset) % CHARSETS.len()];
    if mode & 1 == 0 {
        let options = HtmlOptions::default().with_charset(charset);
        let whole = scan_html(doc, &base, options);
        check_spans(&whole.urls, doc.len());
        if let Some((span, _)) = &whole.base_href {
            assert!(span.end <= doc.len());
        }
        let mut scanner = HtmlScanner::new(&base, options);
        for piece in doc.chunks(usize::from(*chunk).max(1)) {
            scanner.feed(piece);
        }
        let chunked = scanner.finish();
        assert_eq!(
            whole.urls, chunked.urls,
            "chunked scan differs (chunk {chunk})"
        );
        assert_eq!(whole.base_href, chunked.base_href);
        assert_eq!(whole.title, chunked.title);
        assert_eq!(whole.encoding, chunked.encoding);
        check_splice(doc, &whole.urls);
    } else {
        let options = CssOptions {
            charset,
            fallback: CHARSETS[usize::from(*chunk) % CHARSETS.len()],
        };
        let scan = scan_css(doc, &base, &options);
        check_spans(&scan.urls, doc.len());
        check_splice(doc, &scan.urls);
    }
});
