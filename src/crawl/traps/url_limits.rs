//! Guards against crawler traps: URLs that a generated site can produce without end.

use std::collections::HashMap;

use url::Url;

/// Limits a URL must stay within to be taken.
#[derive(Debug, Clone, Copy)]
pub struct TrapGuard {
    pub max_url_len: usize,
    pub max_path_depth: usize,
    pub max_segment_repeats: usize,
}

/// Which guard a URL tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    UrlTooLong,
    PathTooDeep,
    RepeatingSegments,
}

impl Trap {
    pub fn as_str(self) -> &'static str {
        match self {
            Trap::UrlTooLong => "trap-url-too-long",
            Trap::PathTooDeep => "trap-path-too-deep",
            Trap::RepeatingSegments => "trap-repeating-segments",
        }
    }
}

impl TrapGuard {
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

    const GUARD: TrapGuard = TrapGuard {
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

/// The shape of a URL with the parts that generated pages vary replaced: digit runs in the path
/// become `#`, and the query keeps only its (sorted) parameter names. A calendar's
/// `/kalender/?m=2024-01` and `?m=2024-02` share one pattern; so do `/2024/01/` and `/2024/02/`.
pub fn variant_pattern(url: &Url) -> String {
    let mut pattern = String::with_capacity(url.as_str().len());
    pattern.push_str(url.host_str().unwrap_or(""));
    let mut in_digits = false;
    for c in url.path().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                pattern.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            pattern.push(c);
        }
    }
    if url.query().is_some() {
        let mut names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        names.sort();
        names.dedup();
        pattern.push('?');
        pattern.push_str(&names.join("&"));
    }
    pattern
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn calendars_share_a_pattern() {
        let a = Url::parse("http://h/kalender/?m=2024-01").unwrap();
        let b = Url::parse("http://h/kalender/?m=2031-12").unwrap();
        assert_eq!(variant_pattern(&a), variant_pattern(&b));
        let c = Url::parse("http://h/arkiv/2024/01/").unwrap();
        let d = Url::parse("http://h/arkiv/1999/12/").unwrap();
        assert_eq!(variant_pattern(&c), variant_pattern(&d));
        assert_ne!(variant_pattern(&a), variant_pattern(&c));
    }
}
