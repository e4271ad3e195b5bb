//! Limits on a URL by itself: too long, too deep, or a path that repeats its segments. These
//! need no evidence beyond the URL: no real page has a 3 000-byte address or `/a/b/a/b/a/b/`.

use std::collections::HashMap;

use url::Url;

use crate::outcome::Decline;

/// Limits a URL must stay within to be taken.
#[derive(Debug, Clone, Copy)]
pub struct UrlLimits {
    pub max_url_len: usize,
    pub max_path_depth: usize,
    pub max_segment_repeats: usize,
}

/// Which guard a URL tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trap {
    UrlTooLong,
    PathTooDeep,
    RepeatingSegments,
}

impl Trap {
    /// The decline it makes.
    pub fn decline(self) -> Decline {
        match self {
            Trap::UrlTooLong => Decline::TrapUrlTooLong,
            Trap::PathTooDeep => Decline::TrapPathTooDeep,
            Trap::RepeatingSegments => Decline::TrapRepeatingSegments,
        }
    }

    /// The option that moves this limit (for the trap report).
    pub fn flag(self) -> &'static str {
        match self {
            Trap::UrlTooLong => "--max-url-length",
            Trap::PathTooDeep => "--max-path-segments",
            Trap::RepeatingSegments => "--max-segment-repeats",
        }
    }

    /// The limit a decline names, if it names one of these.
    pub fn of(decline: Decline) -> Option<Trap> {
        [Trap::UrlTooLong, Trap::PathTooDeep, Trap::RepeatingSegments]
            .into_iter()
            .find(|t| t.decline() == decline)
    }
}

impl UrlLimits {
    pub fn check(&self, url: &Url) -> Result<(), Trap> {
        if url.as_str().len() > self.max_url_len {
            return Err(Trap::UrlTooLong);
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if segments.len() > self.max_path_depth {
            return Err(Trap::PathTooDeep);
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for segment in &segments {
            let count = counts.entry(segment).or_default();
            *count += 1;
            if *count > self.max_segment_repeats {
                return Err(Trap::RepeatingSegments);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUARD: UrlLimits = UrlLimits {
        max_url_len: 200,
        max_path_depth: 8,
        max_segment_repeats: 2,
    };

    #[test]
    fn ordinary_urls_pass() {
        assert_eq!(
            GUARD.check(&Url::parse("http://h/a/b/c/index.html?x=1").unwrap()),
            Ok(())
        );
    }

    #[test]
    fn each_guard_trips() {
        let long = format!("http://h/{}", "x".repeat(300));
        assert_eq!(
            GUARD.check(&Url::parse(&long).unwrap()),
            Err(Trap::UrlTooLong)
        );
        assert_eq!(
            GUARD.check(&Url::parse("http://h/1/2/3/4/5/6/7/8/9").unwrap()),
            Err(Trap::PathTooDeep)
        );
        assert_eq!(
            GUARD.check(&Url::parse("http://h/a/b/a/b/a/").unwrap()),
            Err(Trap::RepeatingSegments)
        );
    }
}
