//! The ZipNum index layout: sorted CDXJ lines in gzip blocks (`index.cdx.gz`, each block its own
//! gzip member) and a small secondary index (`index.idx`) with one line per block, so a reader
//! finds a URL's block by binary search and inflates only that block.
//!
//! As cdxj-indexer's `CompressedWriter` writes it (py-wacz, ReplayWeb.page read it):
//! ```text
//! !meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}
//! <surt> <timestamp> {"offset": 0, "length": 1234, "digest": "sha256:…"}
//! ```
//! where `<surt> <timestamp>` is the key of the block's first line and `digest` the sha256 of
//! the compressed block. One difference, on purpose: a block never starts with the same key as
//! the block before it (it grows past its line count instead), because ReplayWeb.page keys blocks
//! by that prefix and would silently lose one of two blocks that share it.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest as _, Sha256};

use super::datapackage::sha256_label;

/// The `format` of the `!meta` line.
pub const FORMAT: &str = "cdxj-gzip-1.0";

/// One block as the `.idx` line describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// `<surt> <timestamp>` of the block's first line.
    pub prefix: String,
    pub offset: u64,
    pub length: u64,
    /// `sha256:<hex>` of the block's compressed bytes.
    pub digest: String,
    pub lines: usize,
}

impl Block {
    /// The `.idx` line, without the newline.
    pub fn to_line(&self) -> String {
        format!(
            "{} {{\"offset\": {}, \"length\": {}, \"digest\": \"{}\"}}",
            self.prefix, self.offset, self.length, self.digest
        )
    }
}

/// The key a line is sorted and found by: everything before its JSON block.
pub fn line_key(line: &str) -> &str {
    line.split_once(" {")
        .map_or(line, |(key, _)| key)
        .trim_end()
}

/// Writes sorted `lines` as gzip blocks of about `block_lines` lines to `data`, and the `.idx`
/// naming `data_name` to `idx`; returns the blocks.
pub fn write_zipnum(
    lines: &[String],
    block_lines: usize,
    data_name: &str,
    data: &mut impl Write,
    idx: &mut impl Write,
) -> io::Result<Vec<Block>> {
    let block_lines = block_lines.max(1);
    writeln!(
        idx,
        "!meta 0 {{\"format\": \"{FORMAT}\", \"filename\": \"{}\"}}",
        data_name.replace('\\', "\\\\").replace('"', "\\\"")
    )?;
    let mut blocks = Vec::new();
    let mut offset = 0u64;
    let mut start = 0;
    while start < lines.len() {
        let first = line_key(&lines[start]);
        let mut end = (start + block_lines).min(lines.len());
        // Never open the next block with this block's key (see the module comment).
        while end < lines.len() && line_key(&lines[end]) == first {
            end += 1;
        }
        let compressed = gzip_lines(&lines[start..end])?;
        data.write_all(&compressed)?;
        let block = Block {
            prefix: first.to_string(),
            offset,
            length: compressed.len() as u64,
            digest: sha256_label(&Sha256::digest(&compressed)),
            lines: end - start,
        };
        writeln!(idx, "{}", block.to_line())?;
        offset += block.length;
        blocks.push(block);
        start = end;
    }
    Ok(blocks)
}

/// One gzip member holding `lines`, each ending in a newline.
fn gzip_lines(lines: &[String]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    for line in lines {
        encoder.write_all(line.as_bytes())?;
        encoder.write_all(b"\n")?;
    }
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn line(key: &str, ts: &str) -> String {
        format!("{key} {ts} {{\"url\": \"x\"}}")
    }

    #[test]
    fn blocks_cover_the_lines_in_order_and_inflate_alone() {
        let lines: Vec<String> = (0..10).map(|i| line(&format!("k{i:02}"), "2026")).collect();
        let (mut data, mut idx) = (Vec::new(), Vec::new());
        let blocks = write_zipnum(&lines, 3, "index.cdx.gz", &mut data, &mut idx).unwrap();
        assert_eq!(
            blocks.iter().map(|b| b.lines).collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        let idx = String::from_utf8(idx).unwrap();
        let mut idx_lines = idx.lines();
        assert_eq!(
            idx_lines.next(),
            Some("!meta 0 {\"format\": \"cdxj-gzip-1.0\", \"filename\": \"index.cdx.gz\"}")
        );
        let mut all = Vec::new();
        for (block, text) in blocks.iter().zip(idx_lines) {
            assert_eq!(text, block.to_line());
            let start = block.offset as usize;
            let bytes = &data[start..start + block.length as usize];
            let mut out = String::new();
            flate2::read::GzDecoder::new(bytes)
                .read_to_string(&mut out)
                .unwrap();
            assert!(out.starts_with(&block.prefix));
            all.extend(out.lines().map(str::to_string));
        }
        assert_eq!(all, lines);
    }

    #[test]
    fn a_block_never_starts_with_the_key_of_the_block_before() {
        let mut lines: Vec<String> = (0..5).map(|_| line("same", "2026")).collect();
        lines.push(line("tail", "2026"));
        let (mut data, mut idx) = (Vec::new(), Vec::new());
        let blocks = write_zipnum(&lines, 2, "i", &mut data, &mut idx).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lines, 5);
        assert_eq!(blocks[1].prefix, "tail 2026");
    }
}
