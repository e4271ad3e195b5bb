//! Link extraction and the mirror's rewriting of HTML and CSS, in MB/s of document.
//!
//! The inputs are generated here (no network, no files): a documentation page of about 50 KB
//! with a sidebar of links, srcset images, inline styles and scripts, and a theme style sheet with
//! `@import`, `@font-face` and `url()` images. Rewriting is measured as the mirror does it per
//! document: scan, map every URL to its mirror file, splice the relative links in.

use std::hint::black_box;

use arkiv::extract::{CssOptions, HtmlOptions, scan_css, scan_html};
use arkiv::mirror::path_map::{MirrorPath, PathMapper};
use arkiv::mirror::rewrite::{link_edits, splice};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

const PAGE_URL: &str = "https://docs.example.org/guide/install/linux.html";
const CSS_URL: &str = "https://docs.example.org/_static/css/theme.css";

/// A documentation page of about `target` bytes, shaped like a Sphinx page: head with style
/// sheets and scripts, breadcrumbs, a long sidebar, text with inline links, images with
/// `srcset` and `<picture>`, a footer.
fn html_page(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 4096);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n");
    s.push_str("  <title>Installing on Linux &mdash; Benchdocs 4.2 documentation</title>\n");
    s.push_str("  <link rel=\"icon\" href=\"/favicon.ico\">\n");
    for css in ["theme", "pygments", "custom"] {
        s.push_str(&format!(
            "  <link rel=\"stylesheet\" href=\"../../_static/css/{css}.css?v=4.2\">\n"
        ));
    }
    for js in ["jquery", "underscore", "doctools", "theme"] {
        s.push_str(&format!(
            "  <script src=\"../../_static/js/{js}.js\"></script>\n"
        ));
    }
    s.push_str("  <link rel=\"preload\" href=\"../../_static/fonts/lato.woff2\" as=\"font\" crossorigin>\n");
    s.push_str("</head>\n<body class=\"wy-body-for-nav\">\n");
    s.push_str("<nav class=\"breadcrumbs\"><a href=\"/\">Home</a> / <a href=\"../\">Guide</a> / <a href=\"./\">Install</a></nav>\n");
    s.push_str("<nav class=\"sidebar\"><ul>\n");
    for i in 0..160 {
        s.push_str(&format!(
            "  <li class=\"toctree-l2\"><a class=\"reference internal\" href=\"../section-{}/topic-{i}.html#overview\">Topic {i}: configuring the crawler</a></li>\n",
            i % 12
        ));
    }
    s.push_str("</ul></nav>\n<main role=\"main\">\n<h1 id=\"top\">Installing on Linux</h1>\n");
    let mut i = 0;
    while s.len() < target {
        s.push_str(&format!(
            "<h2 id=\"part-{i}\">Part {i}</h2>\n<p>The crawler writes each record as its own gzip member &amp; \
             flushes it whole, so a crash loses at most the record being written. See \
             <a href=\"../../reference/warc.html#record-{i}\">the WARC reference</a> and \
             <a href=\"https://example.net/spec?section={i}&amp;lang=en\">the specification</a> for details; \
             the mirror is derived from the records alone, never from the live site. \
             <code>arkiv crawl --out site</code> runs the whole job.</p>\n"
        ));
        if i % 3 == 0 {
            s.push_str(&format!(
                "<img src=\"../../_images/figure-{i}.png\" srcset=\"../../_images/figure-{i}.png 1x, ../../_images/figure-{i}@2x.png 2x\" alt=\"Figure {i}\" loading=\"lazy\">\n"
            ));
        }
        if i % 5 == 0 {
            s.push_str(&format!(
                "<picture><source srcset=\"../../_images/photo-{i}.webp\" type=\"image/webp\"><img src=\"../../_images/photo-{i}.jpg\" alt=\"\"></picture>\n"
            ));
        }
        if i % 7 == 0 {
            s.push_str(&format!(
                "<div class=\"admonition\" style=\"background: url('../../_static/img/note-{i}.svg') no-repeat\"><p>Note.</p></div>\n"
            ));
        }
        i += 1;
    }
    s.push_str("<p><a href=\"#top\">Back to top</a></p>\n</main>\n");
    s.push_str("<footer>&copy; Benchdocs. <a href=\"mailto:docs@example.org\">Contact</a></footer>\n</body>\n</html>\n");
    s.into_bytes()
}

/// A theme style sheet of about `target` bytes.
fn css_sheet(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 1024);
    s.push_str("@charset \"utf-8\";\n@import url(\"fonts.css\");\n@import 'pygments.css';\n");
    s.push_str("@font-face { font-family: Lato; src: url(../fonts/lato-regular.woff2) format(\"woff2\"), url('../fonts/lato-regular.woff') format(\"woff\"); }\n");
    let mut i = 0;
    while s.len() < target {
        s.push_str(&format!(
            ".rst-content .c-{i} {{ margin: {}px 0; color: #{:06x}; font: 14px/1.5 Lato, sans-serif; }}\n",
            i % 9,
            (i * 2654435761u64) & 0xff_ffff
        ));
        if i % 4 == 0 {
            s.push_str(&format!(
                ".icon-{i}::before {{ background: url(../img/icon-{i}.svg) no-repeat center / 16px; }}\n"
            ));
        }
        i += 1;
    }
    s.into_bytes()
}

/// A mapper that knows a mirror file for every URL the document links on its own host (as the
/// mirror's would after a crawl of that site); links to other hosts stay as written.
fn mapper_for(urls: impl Iterator<Item = Url>, own: &Url) -> (PathMapper, MirrorPath) {
    let mut mapper = PathMapper::new();
    let from = mapper.assign(own, Some("text/html"));
    for url in urls.filter(|u| u.host_str() == own.host_str()) {
        mapper.assign(&url, None);
    }
    (mapper, from)
}

fn extraction(c: &mut Criterion) {
    let page = html_page(50_000);
    let css = css_sheet(30_000);
    let page_url = Url::parse(PAGE_URL).unwrap();
    let css_url = Url::parse(CSS_URL).unwrap();
    let links = scan_html(&page, &page_url, HtmlOptions::default())
        .urls
        .len();
    assert!(links > 300, "the page should be rich in links, has {links}");

    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("scan_html (50 KB page)", |b| {
        b.iter(|| scan_html(black_box(&page), &page_url, HtmlOptions::default()))
    });
    group.throughput(Throughput::Bytes(css.len() as u64));
    group.bench_function("scan_css (30 KB sheet)", |b| {
        b.iter(|| scan_css(black_box(&css), &css_url, &CssOptions::default()))
    });
    group.finish();
}

fn rewriting(c: &mut Criterion) {
    let page = html_page(50_000);
    let css = css_sheet(30_000);
    let page_url = Url::parse(PAGE_URL).unwrap();
    let css_url = Url::parse(CSS_URL).unwrap();
    let (html_mapper, html_from) = mapper_for(
        scan_html(&page, &page_url, HtmlOptions::default())
            .urls
            .into_iter()
            .filter_map(|f| f.url),
        &page_url,
    );
    let (css_mapper, css_from) = mapper_for(
        scan_css(&css, &css_url, &CssOptions::default())
            .urls
            .into_iter()
            .filter_map(|f| f.url),
        &css_url,
    );

    let mut group = c.benchmark_group("rewrite");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("html: scan, map, splice (50 KB page)", |b| {
        b.iter(|| {
            let found = scan_html(black_box(&page), &page_url, HtmlOptions::default()).urls;
            let edits = link_edits(found, &html_from, |url| html_mapper.lookup(url));
            splice(&page, edits)
        })
    });
    group.bench_function("html: map and splice only (scan done)", |b| {
        let found = scan_html(&page, &page_url, HtmlOptions::default()).urls;
        b.iter(|| {
            let edits = link_edits(found.clone(), &html_from, |url| html_mapper.lookup(url));
            splice(black_box(&page), edits)
        })
    });
    group.throughput(Throughput::Bytes(css.len() as u64));
    group.bench_function("css: scan, map, splice (30 KB sheet)", |b| {
        b.iter(|| {
            let found = scan_css(black_box(&css), &css_url, &CssOptions::default()).urls;
            let edits = link_edits(found, &css_from, |url| css_mapper.lookup(url));
            splice(&css, edits)
        })
    });
    group.finish();
}

criterion_group!(benches, extraction, rewriting);
criterion_main!(benches);
