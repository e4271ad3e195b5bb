//! Chunked transfer coding undone: the mirror, replay and the crawl's recording proxy read an
//! archived body with it.

use std::io::{self, BufRead, Read};

/// Removes chunked transfer coding (RFC 9112 §7.1), tolerating what servers send in practice:
/// upper-case hex, chunk extensions, a missing final CRLF. A body cut mid-chunk ends there.
pub struct Dechunk<R: BufRead> {
    inner: R,
    remaining: u64,
    done: bool,
}

impl<R: BufRead> Dechunk<R> {
    pub fn new(inner: R) -> Self {
        Dechunk {
            inner,
            remaining: 0,
            done: false,
        }
    }

    fn next_size(&mut self) -> io::Result<Option<u64>> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.inner.by_ref().take(4096).read_line(&mut line)? == 0 {
                return Ok(None);
            }
            let text = line.trim();
            if text.is_empty() {
                continue; // the CRLF after a chunk's data
            }
            let size = text.split(';').next().unwrap_or("").trim();
            return Ok(u64::from_str_radix(size, 16).ok());
        }
    }
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            match self.next_size()? {
                Some(0) | None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(size) => self.remaining = size,
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.done = true;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunk_handles_extensions_and_upper_case_hex() {
        let raw = b"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
        let mut out = Vec::new();
        Dechunk::new(&raw[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello0123456789");
    }

    #[test]
    fn dechunk_keeps_what_arrived_of_a_cut_body() {
        let raw = b"5\r\nhel";
        let mut out = Vec::new();
        Dechunk::new(&raw[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hel");
    }
}
