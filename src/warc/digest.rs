//! SHA-1 digests in the form WARC headers and CDXJ lines carry: `sha1:<BASE32>`.
//!
//! warcio, pywb and Heritrix all write RFC 4648 base32 (upper case, padded); a SHA-1 is 20 bytes,
//! so the encoding is exactly 32 characters and the padding never shows.

use sha1::{Digest, Sha1};

/// The label that precedes the base32 value in `WARC-Block-Digest` and `WARC-Payload-Digest`.
pub const SHA1_LABEL: &str = "sha1:";

/// A streaming SHA-1 over a record block (or payload), fed in chunks of any size.
#[derive(Clone, Debug, Default)]
pub struct BlockDigester {
    hasher: Sha1,
    len: u64,
}

impl BlockDigester {
    /// A digester that has seen no bytes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next chunk.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// How many bytes were fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no bytes were fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest as `sha1:<BASE32>`.
    pub fn finish(self) -> String {
        let raw = self.hasher.finalize();
        format!("{SHA1_LABEL}{}", data_encoding::BASE32.encode(&raw))
    }
}

/// The `sha1:<BASE32>` digest of a whole byte slice.
pub fn sha1_digest(bytes: &[u8]) -> String {
    let mut digester = BlockDigester::new();
    digester.update(bytes);
    digester.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_matches_the_well_known_value() {
        // SHA-1 of "" is da39a3ee…; its base32 form is what warcio writes for empty payloads.
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn chunked_updates_equal_one_update() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut digester = BlockDigester::new();
        for chunk in data.chunks(7) {
            digester.update(chunk);
        }
        assert_eq!(digester.len(), 10_000);
        let digest = digester.finish();
        assert_eq!(digest, sha1_digest(&data));
        assert_eq!(digest.len(), SHA1_LABEL.len() + 32);
    }
}
