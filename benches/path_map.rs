//! URL → mirror path: `url_to_path` on its own, and `PathMapper::assign` naming a whole site
//! (collision checks, case folding, NFC), in mappings per second.
//!
//! The URLs are generated like a documentation site's: nested folders, pages, assets with
//! versions in the query, search pages, a few upper-case and non-ASCII names.

use std::hint::black_box;

use arkiv::mirror::path_map::{PathMapper, url_to_path};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

const URLS: usize = 10_000;

fn site_urls() -> Vec<(Url, Option<&'static str>)> {
    let sections = [
        "guide",
        "reference",
        "api",
        "tutorials",
        "howto",
        "Changelog",
    ];
    let mut urls: Vec<(Url, Option<&'static str>)> = (0..URLS)
        .map(|i| {
            let section = sections[i % sections.len()];
            let (text, mime) = match i % 10 {
                0 => (
                    format!("https://docs.example.org/{section}/topic-{}/", i / 10),
                    Some("text/html"),
                ),
                1 => (
                    format!("https://docs.example.org/_images/figure-{i}.png"),
                    Some("image/png"),
                ),
                2 => (
                    format!("https://docs.example.org/_static/css/theme.css?v={i}"),
                    Some("text/css"),
                ),
                3 => (
                    format!(
                        "https://docs.example.org/search.html?q=warc+record+{i}&check_keywords=yes"
                    ),
                    Some("text/html"),
                ),
                4 => (
                    format!("https://docs.example.org/{section}/Überblick-{i}.html"),
                    Some("text/html"),
                ),
                5 => (
                    format!(
                        "https://docs.example.org/{section}/topic-{}/Page-{i}.HTML",
                        i / 10
                    ),
                    Some("text/html"),
                ),
                6 => (
                    format!(
                        "https://docs.example.org/{section}/topic-{}/page-{i}",
                        i / 10
                    ),
                    Some("text/html"),
                ),
                _ => (
                    format!(
                        "https://docs.example.org/{section}/topic-{}/page-{i}.html",
                        i / 10
                    ),
                    Some("text/html"),
                ),
            };
            (Url::parse(&text).unwrap(), mime)
        })
        .collect();
    // The mirror assigns in sorted URL order.
    urls.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    urls
}

fn mapping(c: &mut Criterion) {
    let urls = site_urls();
    let mut group = c.benchmark_group("path_map");
    group.throughput(Throughput::Elements(urls.len() as u64));
    group.bench_function("url_to_path (10,000 URLs)", |b| {
        b.iter(|| {
            for (url, mime) in &urls {
                black_box(url_to_path(black_box(url), *mime));
            }
        })
    });
    group.bench_function("PathMapper::assign, a fresh mapper (10,000 URLs)", |b| {
        b.iter_batched(
            PathMapper::new,
            |mut mapper| {
                for (url, mime) in &urls {
                    black_box(mapper.assign(url, *mime));
                }
                mapper
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, mapping);
criterion_main!(benches);
