//! A set of URL keys (canonical forms) that stays small: each key is kept as a 128-bit hash
//! (16 bytes instead of the key's text and its allocation), so the crawl's seen and declined sets
//! of a 500 000-URL site fit in a few megabytes.
//!
//! Two keys with the same hash would make a URL look seen that was not; with 128 bits the odds
//! for a million keys are below 10⁻²⁶, far below any hardware fault. The hashes are the process's
//! own (random keys, never written anywhere): the state on disk keeps the keys themselves.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// A set of keys by their 128-bit hashes.
#[derive(Debug)]
pub struct KeySet {
    hashes: HashSet<u128, BuildHasherDefault<Folded>>,
    low: RandomState,
    high: RandomState,
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet {
            hashes: HashSet::default(),
            low: RandomState::new(),
            high: RandomState::new(),
        }
    }
}

impl KeySet {
    pub fn new() -> KeySet {
        KeySet::default()
    }

    fn hash(&self, key: &str) -> u128 {
        let low = self.low.hash_one(key);
        let high = self.high.hash_one(key);
        (u128::from(high) << 64) | u128::from(low)
    }

    /// Adds `key`; false when it was there already.
    pub fn insert(&mut self, key: &str) -> bool {
        let hash = self.hash(key);
        self.hashes.insert(hash)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.hashes.contains(&self.hash(key))
    }

    /// Removes `key`; false when it was not there.
    pub fn remove(&mut self, key: &str) -> bool {
        let hash = self.hash(key);
        self.hashes.remove(&hash)
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

impl Extend<String> for KeySet {
    fn extend<I: IntoIterator<Item = String>>(&mut self, keys: I) {
        for key in keys {
            self.insert(&key);
        }
    }
}

/// A map from URL keys, held as the same 128-bit hashes as [`KeySet`], to small values (where a
/// URL's record is in the WARC, say).
#[derive(Debug)]
pub struct KeyMap<V> {
    values: HashMap<u128, V, BuildHasherDefault<Folded>>,
    low: RandomState,
    high: RandomState,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            values: HashMap::default(),
            low: RandomState::new(),
            high: RandomState::new(),
        }
    }
}

impl<V> KeyMap<V> {
    pub fn new() -> KeyMap<V> {
        KeyMap::default()
    }

    fn hash(&self, key: &str) -> u128 {
        let low = self.low.hash_one(key);
        let high = self.high.hash_one(key);
        (u128::from(high) << 64) | u128::from(low)
    }

    /// Sets the value of `key`; returns the one it replaced.
    pub fn insert(&mut self, key: &str, value: V) -> Option<V> {
        let hash = self.hash(key);
        self.values.insert(hash, value)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.values.get(&self.hash(key))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The set's own hasher: its values are hashes already, so it folds them instead of hashing
/// them again.
#[derive(Debug, Default)]
pub struct Folded(u64);

impl Hasher for Folded {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = (value as u64) ^ ((value >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_in_and_out() {
        let mut set = KeySet::new();
        assert!(set.insert("http://h/a"));
        assert!(!set.insert("http://h/a"));
        assert!(set.contains("http://h/a") && !set.contains("http://h/b"));
        for n in 0..10_000 {
            set.insert(&format!("http://h/p{n}"));
        }
        assert_eq!(set.len(), 10_001);
        assert!(set.remove("http://h/a") && !set.contains("http://h/a"));
    }

    #[test]
    fn a_key_map_finds_its_values() {
        let mut map = KeyMap::new();
        assert_eq!(map.insert("http://h/a", 1u64), None);
        assert_eq!(map.insert("http://h/a", 2), Some(1));
        assert_eq!(map.get("http://h/a"), Some(&2));
        assert_eq!(map.get("http://h/b"), None);
        assert_eq!(map.len(), 1);
    }
}
