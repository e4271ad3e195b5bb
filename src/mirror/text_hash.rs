//! `TextHash`: 128-bit hashes of text, for the mirror's tables of one row per URL or record,
//! which would otherwise hold the text itself.

use std::hash::{BuildHasher as _, RandomState};

/// A 128-bit keyed hash (two SipHash runs with secret keys), keyed afresh for every value made:
/// no input can be chosen to share a hash with another, and by chance two of a billion texts
/// share one with odds of 10⁻²¹.
#[derive(Debug, Clone)]
pub(crate) struct TextHash([RandomState; 2]);

impl TextHash {
    pub(crate) fn new() -> TextHash {
        TextHash([RandomState::new(), RandomState::new()])
    }

    pub(crate) fn of(&self, text: &str) -> u128 {
        let [a, b] = &self.0;
        (u128::from(a.hash_one(text)) << 64) | u128::from(b.hash_one(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_one_hash_under_one_key() {
        let hash = TextHash::new();
        assert_eq!(hash.of("a"), hash.of("a"));
        assert_ne!(hash.of("a"), hash.of("b"));
        assert_eq!(hash.clone().of("a"), hash.of("a"));
    }
}
