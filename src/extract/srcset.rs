//! The URLs of a `srcset` value, found as the HTML spec's "parse a srcset attribute" algorithm finds them.

use std::ops::Range;

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Byte ranges of each candidate's URL in `value`. Descriptors (`2x`, `300w`, odd ones) are
/// skipped without being judged: a candidate a browser would drop for a bad descriptor is still
/// a URL the author wrote, and archiving or rewriting it does no harm.
pub fn srcset_urls(value: &str) -> Vec<Range<usize>> {
    let b = value.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    loop {
        // Splitting loop: whitespace and commas separate candidates.
        while i < b.len() && (is_space(b[i]) || b[i] == b',') {
            i += 1;
        }
        if i >= b.len() {
            return found;
        }
        // The URL runs to the next whitespace, so commas inside `data:` URLs stay in it.
        let start = i;
        while i < b.len() && !is_space(b[i]) {
            i += 1;
        }
        let mut end = i;
        if b[end - 1] == b',' {
            // Trailing commas end the candidate and are not part of the URL; no descriptors.
            while end > start && b[end - 1] == b',' {
                end -= 1;
            }
            if end > start {
                found.push(start..end);
            }
            continue;
        }
        found.push(start..end);
        i = skip_descriptors(b, i);
    }
}

/// The descriptor tokenizer: runs to the comma that ends the candidate, treating commas inside
/// parentheses as part of a descriptor.
fn skip_descriptors(b: &[u8], mut i: usize) -> usize {
    let mut in_parens = false;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if in_parens {
            if c == b')' {
                in_parens = false;
            }
        } else if c == b',' {
            return i;
        } else if c == b'(' {
            in_parens = true;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(v: &str) -> Vec<&str> {
        srcset_urls(v).into_iter().map(|r| &v[r]).collect()
    }

    #[test]
    fn descriptors_and_data_urls() {
        assert_eq!(urls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
        assert_eq!(urls(" a.png\t300w ,\nb.png  600w"), ["a.png", "b.png"]);
        assert_eq!(
            urls("data:image/gif;base64,R0lG,AAA= 1x, c.png 2x"),
            ["data:image/gif;base64,R0lG,AAA=", "c.png"]
        );
        assert_eq!(urls("a.png,b.png 2x"), ["a.png,b.png"]);
        assert_eq!(urls("a.png,, b.png"), ["a.png", "b.png"]);
        assert_eq!(urls("a.png 1x (x, y), b.png"), ["a.png", "b.png"]);
        assert_eq!(urls(",,, "), Vec::<&str>::new());
    }
}
