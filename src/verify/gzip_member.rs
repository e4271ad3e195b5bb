//! The verifier's gzip: one member (RFC 1952) at a time, with one inflate state reused for every
//! member of a file. `flate2::bufread::GzDecoder` allocates a fresh inflate state (and its 32 KiB
//! window) per member; freed between records while each record's small strings stay, those states
//! grew `arkiv verify`'s heap by about one per record. The deflate data is still flate2's
//! (`Decompress`); the header, the CRC-32 and the length in the trailer are checked here.

use std::io::{self, BufRead, Read};

use flate2::{Crc, Decompress, FlushDecompress, Status};

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;

fn corrupt(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {message}"))
}

fn ends_early() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "gzip: the file ends inside a member",
    )
}

/// Decoded bytes buffered per member.
const BUFFER: usize = 16 * 1024;

/// The inflate state and the buffer of decoded bytes one reader carries from member to member.
pub struct Inflater {
    state: Decompress,
    buf: Box<[u8]>,
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater {
            state: Decompress::new(false),
            buf: vec![0; BUFFER].into_boxed_slice(),
        }
    }
}

impl Inflater {
    /// Reads a member's header from `input` and returns a reader of its decoded bytes, which
    /// ends with the member (after checking its trailer) and leaves `input` just past it.
    pub fn member<'a, R: BufRead>(&'a mut self, input: &'a mut R) -> io::Result<Member<'a, R>> {
        read_header(input)?;
        self.state.reset(false);
        Ok(Member {
            state: &mut self.state,
            buf: &mut self.buf,
            pos: 0,
            filled: 0,
            input,
            crc: Crc::new(),
            done: false,
        })
    }
}

/// The decoded bytes of one gzip member.
pub struct Member<'a, R> {
    state: &'a mut Decompress,
    buf: &'a mut [u8],
    pos: usize,
    filled: usize,
    input: &'a mut R,
    crc: Crc,
    done: bool,
}

impl<R: BufRead> BufRead for Member<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            let (state, input, crc) = (&mut *self.state, &mut *self.input, &mut self.crc);
            self.filled = inflate(state, input, crc, &mut self.done, self.buf)?;
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

impl<R: BufRead> Read for Member<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled && out.len() >= self.buf.len() {
            let (state, input, crc) = (&mut *self.state, &mut *self.input, &mut self.crc);
            return inflate(state, input, crc, &mut self.done, out);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Inflates into `out` what the member has next; 0 once it has ended (trailer checked).
fn inflate(
    state: &mut Decompress,
    input: &mut impl BufRead,
    crc: &mut Crc,
    done: &mut bool,
    out: &mut [u8],
) -> io::Result<usize> {
    if *done || out.is_empty() {
        return Ok(0);
    }
    loop {
        let available = input.fill_buf()?;
        let eof = available.is_empty();
        let (in_before, out_before) = (state.total_in(), state.total_out());
        let status = state
            .decompress(available, out, FlushDecompress::None)
            .map_err(|e| corrupt(&e.to_string()))?;
        let consumed = (state.total_in() - in_before) as usize;
        let produced = (state.total_out() - out_before) as usize;
        input.consume(consumed);
        crc.update(&out[..produced]);
        if status == Status::StreamEnd {
            *done = true;
            check_trailer(input, crc)?;
            return Ok(produced);
        }
        if produced > 0 {
            return Ok(produced);
        }
        if eof {
            return Err(ends_early());
        }
        if consumed == 0 {
            // Input offered, room to write, and no progress: the stream is broken.
            return Err(corrupt("the deflate stream stalls"));
        }
    }
}

/// The CRC-32 and the length (mod 2^32) of the decoded data, as the 8-byte trailer states them.
fn check_trailer(input: &mut impl Read, crc: &Crc) -> io::Result<()> {
    let mut trailer = [0u8; 8];
    read_exact(input, &mut trailer)?;
    let sum = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
    let size = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes"));
    if sum != crc.sum() {
        return Err(corrupt("CRC-32 in the trailer does not match the data"));
    }
    if size != crc.amount() {
        return Err(corrupt("length in the trailer does not match the data"));
    }
    Ok(())
}

fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
    input.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ends_early()
        } else {
            e
        }
    })
}

/// Reads an RFC 1952 member header, skipping the optional fields and checking the header CRC
/// when there is one. Nothing of unbounded length is kept.
fn read_header(input: &mut impl BufRead) -> io::Result<()> {
    let mut crc = Crc::new();
    let mut fixed = [0u8; 10];
    read_exact(input, &mut fixed)?;
    crc.update(&fixed);
    if fixed[..2] != [0x1f, 0x8b] {
        return Err(corrupt("not a gzip member (bad magic bytes)"));
    }
    if fixed[2] != 8 {
        return Err(corrupt("compression method is not deflate"));
    }
    let flags = fixed[3];
    if flags & RESERVED != 0 {
        return Err(corrupt("reserved header flags are set"));
    }
    if flags & FEXTRA != 0 {
        let mut len = [0u8; 2];
        read_exact(input, &mut len)?;
        crc.update(&len);
        skip(input, u16::from_le_bytes(len).into(), &mut crc)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            skip_through_nul(input, &mut crc)?;
        }
    }
    if flags & FHCRC != 0 {
        let mut declared = [0u8; 2];
        read_exact(input, &mut declared)?;
        if u16::from_le_bytes(declared) != (crc.sum() & 0xffff) as u16 {
            return Err(corrupt("header CRC does not match the header"));
        }
    }
    Ok(())
}

fn skip(input: &mut impl BufRead, mut len: usize, crc: &mut Crc) -> io::Result<()> {
    while len > 0 {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Err(ends_early());
        }
        let n = buf.len().min(len);
        crc.update(&buf[..n]);
        input.consume(n);
        len -= n;
    }
    Ok(())
}

fn skip_through_nul(input: &mut impl BufRead, crc: &mut Crc) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Err(ends_early());
        }
        match buf.iter().position(|&b| b == 0) {
            Some(at) => {
                crc.update(&buf[..=at]);
                input.consume(at + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                crc.update(buf);
                input.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::{Compression, GzBuilder};

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn members(bytes: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let mut input = io::BufReader::with_capacity(7, bytes);
        let mut inflater = Inflater::default();
        let mut out = Vec::new();
        while !input.fill_buf()?.is_empty() {
            let mut decoded = Vec::new();
            inflater.member(&mut input)?.read_to_end(&mut decoded)?;
            out.push(decoded);
        }
        Ok(out)
    }

    #[test]
    fn reads_members_one_by_one_with_one_state() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut file = gzip(b"first");
        file.extend(gzip(b""));
        file.extend(gzip(&big));
        file.extend(gzip("æøå".as_bytes()));
        let decoded = members(&file).unwrap();
        assert_eq!(
            decoded,
            vec![
                b"first".to_vec(),
                Vec::new(),
                big,
                "æøå".as_bytes().to_vec()
            ]
        );
    }

    #[test]
    fn skips_optional_header_fields_and_checks_the_header_crc() {
        let mut e = GzBuilder::new()
            .filename("record.warc")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::fast());
        e.write_all(b"payload").unwrap();
        let mut bytes = e.finish().unwrap();
        // GzBuilder writes no header CRC: add one by hand (FHCRC over the header so far).
        let header_end = header_len(&bytes);
        let mut crc = Crc::new();
        bytes[3] |= FHCRC;
        crc.update(&bytes[..header_end]);
        let sum = (crc.sum() & 0xffff) as u16;
        bytes.splice(header_end..header_end, sum.to_le_bytes());
        assert_eq!(members(&bytes).unwrap(), vec![b"payload".to_vec()]);
        bytes[header_end] ^= 1;
        let err = members(&bytes).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    }

    /// Length of the header GzBuilder wrote (fixed part, extra, name, comment).
    fn header_len(bytes: &[u8]) -> usize {
        let mut at = 10;
        at += 2 + u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
        for _ in 0..2 {
            at += bytes[at..].iter().position(|&b| b == 0).unwrap() + 1;
        }
        at
    }

    #[test]
    fn a_wrong_trailer_is_corrupt_and_a_cut_member_ends_early() {
        let good = gzip(b"some bytes to compress, some bytes to compress");
        let n = good.len();
        for at in [n - 8, n - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            let err = members(&bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "byte {at}: {err}");
        }
        for cut in [3, 12, n - 9, n - 3] {
            let err = members(&good[..cut]).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "cut at {cut}: {err}"
            );
        }
        let mut not_gzip = good.clone();
        not_gzip[0] = b'W';
        assert_eq!(
            members(&not_gzip).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
