//! What a fetched page consists of, as a set of hashes the trap guard can compare within a
//! family: one per visible text node of an HTML page, or the payload digest of anything else.
//!
//! Text is compared node by node (a paragraph, a list item, a title), lower-cased with its white
//! space collapsed, so that a listing shown in another order or a page with another sidebar
//! still shares its parts. Digit runs that also occur in the page's own URL or in a URL it links
//! are masked: they name the page ("Events in 2024-03" on `?m=2024-03`, "next: 2024-04"), so
//! they tell nothing about its content. Other numbers (prices, statistics, dates of posts) are
//! content and are kept.

use std::collections::HashSet;

use url::{Position, Url};

/// The parts of one page, as 64-bit hashes (sorted, distinct).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub features: Vec<u64>,
}

impl Fingerprint {
    /// The fingerprint of an HTML page from its visible text nodes.
    pub fn of_text<'a>(
        nodes: &[String],
        page: &'a Url,
        links: impl IntoIterator<Item = &'a Url>,
    ) -> Fingerprint {
        let mut names: HashSet<&str> = HashSet::new();
        for url in std::iter::once(page).chain(links) {
            names.extend(digit_runs(&url[Position::BeforePath..]).map(strip_zeros));
        }
        let mut normalized = String::new();
        let mut features: Vec<u64> = nodes
            .iter()
            .filter_map(|node| {
                normalize(node, &names, &mut normalized);
                (!normalized.is_empty()).then(|| fnv1a(normalized.as_bytes()))
            })
            .collect();
        features.sort_unstable();
        features.dedup();
        Fingerprint { features }
    }

    /// The fingerprint of a body that is not read as text: its payload digest.
    pub fn of_payload(digest: &str) -> Fingerprint {
        Fingerprint {
            features: vec![fnv1a(digest.as_bytes())],
        }
    }
}

/// Lower-cases `text`, collapses white space and masks the digit runs that are in `names`.
fn normalize(text: &str, names: &HashSet<&str>, out: &mut String) {
    out.clear();
    let mut chars = text.char_indices().peekable();
    let mut space = false;
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            let run = &text[i..end];
            if names.contains(strip_zeros(run)) {
                out.push('#');
            } else {
                out.push_str(run);
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// The runs of ASCII digits in `s`.
fn digit_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
}

/// `007` and `7` name the same number; `000` is `0`.
fn strip_zeros(run: &str) -> &str {
    let stripped = run.trim_start_matches('0');
    if stripped.is_empty() { "0" } else { stripped }
}

/// FNV-1a, 64 bits: stable across builds and platforms (fingerprints are persisted for resume).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn nodes(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn numbers_that_name_the_page_are_masked() {
        let march = url("http://h/kalender?m=2024-03");
        let april = url("http://h/kalender?m=2024-04");
        let a = Fingerprint::of_text(
            &nodes(&["Events in 2024-03", "next:  2024-04"]),
            &march,
            [&april],
        );
        let may = url("http://h/kalender?m=2024-05");
        let b = Fingerprint::of_text(
            &nodes(&["Events in 2024-04", "next: 2024-05"]),
            &april,
            [&may],
        );
        assert_eq!(a, b);
    }

    #[test]
    fn other_numbers_and_words_are_content() {
        let page = url("http://h/statistik/2019.html");
        let a = Fingerprint::of_text(&nodes(&["Indbyggere: 5806081"]), &page, []);
        let b = Fingerprint::of_text(&nodes(&["Indbyggere: 5822763"]), &page, []);
        assert_ne!(a, b);
        let c = Fingerprint::of_text(&nodes(&["  Blå STOL "]), &page, []);
        let d = Fingerprint::of_text(&nodes(&["blå stol"]), &page, []);
        assert_eq!(c, d);
        assert!(
            Fingerprint::of_text(&nodes(&["  ", ""]), &page, [])
                .features
                .is_empty()
        );
    }

    #[test]
    fn leading_zeros_do_not_hide_a_name() {
        let page = url("http://h/produkter/vare-00042.html");
        let a = Fingerprint::of_text(&nodes(&["Vare 42"]), &page, []);
        let b = Fingerprint::of_text(&nodes(&["Vare #"]), &page, []);
        assert_eq!(a, b);
    }
}
