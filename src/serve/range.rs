//! HTTP byte ranges (RFC 9110 §14): what part of a representation of known length to send.
//!
//! One range is served as `206 Partial Content`; a header this server does not take (several
//! ranges, another unit, bad syntax) is ignored and the whole body sent, as the RFC allows; a
//! range wholly past the end is `416` with `Content-Range: bytes */<length>`.

use std::ops::Range;

/// What a `Range` header asks of a body of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No (usable) `Range` header: the whole body, `200`.
    Whole,
    /// `206`, these bytes.
    Partial(Range<u64>),
    /// `416`.
    Unsatisfiable,
}

/// Reads a `Range` header value against a body of `len` bytes.
pub fn answer(header: Option<&str>, len: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial(len.saturating_sub(suffix)..len)
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|e| e < start) {
                return RangeAnswer::Whole; // invalid: ignored
            }
            if start >= len {
                return RangeAnswer::Unsatisfiable;
            }
            let end = end.map_or(len, |e| e.saturating_add(1).min(len));
            RangeAnswer::Partial(start..end)
        }
        _ => RangeAnswer::Whole,
    }
}

/// The `Content-Range` value of a partial answer.
pub fn content_range(range: &Range<u64>, len: u64) -> String {
    format!(
        "bytes {}-{}/{len}",
        range.start,
        range.end.saturating_sub(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(answer(Some("bytes=0-9"), 100), RangeAnswer::Partial(0..10));
        assert_eq!(
            answer(Some("bytes=90-"), 100),
            RangeAnswer::Partial(90..100)
        );
        assert_eq!(
            answer(Some("bytes=-10"), 100),
            RangeAnswer::Partial(90..100)
        );
        assert_eq!(
            answer(Some("bytes=-500"), 100),
            RangeAnswer::Partial(0..100)
        );
        assert_eq!(
            answer(Some("bytes=95-200"), 100),
            RangeAnswer::Partial(95..100)
        );
        assert_eq!(content_range(&(90..100), 100), "bytes 90-99/100");
    }

    #[test]
    fn what_is_ignored_and_what_is_refused() {
        assert_eq!(answer(None, 100), RangeAnswer::Whole);
        assert_eq!(answer(Some("items=0-1"), 100), RangeAnswer::Whole);
        assert_eq!(answer(Some("bytes=0-1,5-6"), 100), RangeAnswer::Whole);
        assert_eq!(answer(Some("bytes=9-3"), 100), RangeAnswer::Whole);
        assert_eq!(answer(Some("bytes=x-3"), 100), RangeAnswer::Whole);
        assert_eq!(answer(Some("bytes=100-"), 100), RangeAnswer::Unsatisfiable);
        assert_eq!(answer(Some("bytes=-0"), 100), RangeAnswer::Unsatisfiable);
        assert_eq!(answer(Some("bytes=0-"), 0), RangeAnswer::Unsatisfiable);
    }
}
