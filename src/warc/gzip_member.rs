//! One gzip member per record (RFC 1952: header, deflate stream, CRC-32 and length), written with
//! one deflate state reused for every member. A new `GzEncoder` per record allocates and zeroes
//! the compressor's tables each time, which the first profile found to be a quarter of a crawl's
//! instructions; resetting the state between members costs next to nothing. Each member is still
//! complete on its own, so every reader (ours, warcio, zcat) reads the records one by one.

use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// A gzip header without name, comment or time (as `GzEncoder` writes by default, minus the OS
/// byte, which says "unknown").
const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

/// Writes gzip members into writers of type `W`, reusing one deflate state.
pub struct MemberEncoder<W: Write> {
    deflate: Option<DeflateEncoder<W>>,
    level: Compression,
    /// The state was reset when the last member finished (a reset clears the compressor's hash
    /// table: once per member is enough).
    fresh: bool,
}

impl<W: Write> Default for MemberEncoder<W> {
    fn default() -> Self {
        MemberEncoder::new()
    }
}

impl<W: Write> std::fmt::Debug for MemberEncoder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberEncoder").finish_non_exhaustive()
    }
}

impl<W: Write> MemberEncoder<W> {
    pub fn new() -> Self {
        MemberEncoder::with_level(Compression::default())
    }

    /// Members deflated at `level` (`Compression::none()`: stored blocks, for bytes that are
    /// compressed already).
    pub fn with_level(level: Compression) -> Self {
        MemberEncoder {
            deflate: None,
            level,
            fresh: false,
        }
    }

    /// Starts a member written into `out`; the member is complete once [`Member::finish`]
    /// returns `out` again.
    pub fn start(&mut self, mut out: W) -> io::Result<Member<'_, W>> {
        out.write_all(&HEADER)?;
        let deflate = match self.deflate.as_mut() {
            // The previous member finished and left a fresh state: only the output changes.
            Some(deflate) if self.fresh => {
                *deflate.get_mut() = out;
                self.deflate.as_mut()
            }
            // The previous member was abandoned mid-stream: swapping the output resets the state.
            Some(deflate) => {
                deflate.reset(out)?;
                self.deflate.as_mut()
            }
            None => {
                self.deflate = Some(DeflateEncoder::new(out, self.level));
                self.deflate.as_mut()
            }
        };
        self.fresh = false;
        Ok(Member {
            deflate: deflate.expect("set just above"),
            fresh: &mut self.fresh,
            crc: Crc::new(),
        })
    }
}

/// A member being written.
pub struct Member<'a, W: Write> {
    deflate: &'a mut DeflateEncoder<W>,
    fresh: &'a mut bool,
    crc: Crc,
}

impl<W: Write> Member<'_, W> {
    /// Ends the deflate stream, adds the CRC-32 and the length, and hands the output back;
    /// `spare` (an empty writer) takes its place until the next member starts.
    pub fn finish(self, spare: W) -> io::Result<W> {
        // `reset` finishes the stream into the current output and puts `spare` in its place.
        let mut out = self.deflate.reset(spare)?;
        *self.fresh = true;
        out.write_all(&self.crc.sum().to_le_bytes())?;
        out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(out)
    }
}

impl<W: Write> Write for Member<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.deflate.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.deflate.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn members_written_in_turn_read_back_one_by_one() {
        let mut encoder: MemberEncoder<Vec<u8>> = MemberEncoder::new();
        let mut file = Vec::new();
        let texts: Vec<Vec<u8>> = (0..5)
            .map(|n| format!("record {n} ").repeat(1000 * n + 1).into_bytes())
            .collect();
        let mut offsets = Vec::new();
        for text in &texts {
            let mut member = encoder.start(Vec::new()).unwrap();
            member.write_all(text).unwrap();
            offsets.push(file.len());
            file.extend(member.finish(Vec::new()).unwrap());
        }
        // Each member alone is a whole gzip file.
        for (i, text) in texts.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(file.len());
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&file[offsets[i]..end])
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(&decoded, text);
        }
        // And the file is a multi-member gzip stream.
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&file[..])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, texts.concat());
    }

    #[test]
    fn a_member_abandoned_midway_does_not_spoil_the_next() {
        let mut encoder: MemberEncoder<Vec<u8>> = MemberEncoder::new();
        {
            // Started, written into, never finished (an error on the way, say).
            let mut member = encoder.start(Vec::new()).unwrap();
            member.write_all(&b"half a record ".repeat(5000)).unwrap();
        }
        let mut member = encoder.start(Vec::new()).unwrap();
        member.write_all(b"the next record").unwrap();
        let file = member.finish(Vec::new()).unwrap();
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&file[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, b"the next record");
    }
}
