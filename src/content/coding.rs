//! Undoing `Content-Encoding` (gzip, deflate, br) with a cap on the decoded size, for link
//! extraction and for the mirror (a browser reading files from disk cannot undo an encoding).

use std::io::Read;

/// Why a body could not be decoded whole.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("decoded body exceeds {cap} bytes (a gzip bomb, or raise the cap)")]
    TooLarge { cap: u64 },
    #[error("unsupported Content-Encoding {0:?}")]
    Unsupported(String),
    #[error("corrupt {coding} body: {source}")]
    Corrupt {
        coding: String,
        source: std::io::Error,
    },
}

/// The codings in a `Content-Encoding` value, in the order they were applied.
pub fn codings(header: Option<&str>) -> Vec<String> {
    header
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

/// Decodes `body` as `Content-Encoding: header` says, refusing to produce more than `cap` bytes.
pub fn decode(header: Option<&str>, body: &[u8], cap: u64) -> Result<Vec<u8>, DecodeError> {
    let mut data = body.to_vec();
    for coding in codings(header).iter().rev() {
        data = decode_one(coding, &data, cap)?;
    }
    Ok(data)
}

fn decode_one(coding: &str, body: &[u8], cap: u64) -> Result<Vec<u8>, DecodeError> {
    let reader: Box<dyn Read + '_> = match coding {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        // "deflate" is meant to be zlib-wrapped, but servers send raw deflate too: sniff.
        "deflate" if looks_like_zlib(body) => Box::new(flate2::read::ZlibDecoder::new(body)),
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(body)),
        "br" => Box::new(brotli::Decompressor::new(body, 4096)),
        other => return Err(DecodeError::Unsupported(other.to_string())),
    };
    let mut out = Vec::new();
    let read = reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| DecodeError::Corrupt {
            coding: coding.to_string(),
            source,
        })?;
    if read as u64 > cap {
        return Err(DecodeError::TooLarge { cap });
    }
    Ok(out)
}

fn looks_like_zlib(body: &[u8]) -> bool {
    body.len() >= 2
        && body[0] & 0x0f == 8
        && (u16::from(body[0]) << 8 | u16::from(body[1])) % 31 == 0
}

/// The first `len` bytes of `body` with its content coding undone (for sniffing what it is);
/// fewer when the body is shorter, empty when it cannot be decoded.
pub fn decoded_prefix(header: Option<&str>, body: &[u8], len: usize) -> Vec<u8> {
    let codings = codings(header);
    if codings.is_empty() {
        return body[..body.len().min(len)].to_vec();
    }
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    for coding in codings.iter().rev() {
        reader = match coding.as_str() {
            "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            "deflate" if looks_like_zlib(body) => Box::new(flate2::read::ZlibDecoder::new(reader)),
            "deflate" => Box::new(flate2::read::DeflateDecoder::new(reader)),
            "br" => Box::new(brotli::Decompressor::new(reader, 4096)),
            _ => return Vec::new(),
        };
    }
    let mut out = Vec::with_capacity(len);
    // A cut or corrupt stream still gives what decoded before it broke.
    let mut chunk = [0u8; 512];
    while out.len() < len {
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n.min(len - out.len())]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_deflate_and_brotli_round_trip() {
        assert_eq!(decode(Some("gzip"), &gzip(b"hej"), 100).unwrap(), b"hej");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"zlib").unwrap();
        assert_eq!(
            decode(Some("deflate"), &z.finish().unwrap(), 100).unwrap(),
            b"zlib"
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(b"raw").unwrap();
        assert_eq!(
            decode(Some("deflate"), &raw.finish().unwrap(), 100).unwrap(),
            b"raw"
        );
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &b"brotli"[..], &mut br, &Default::default()).unwrap();
        assert_eq!(decode(Some("br"), &br, 100).unwrap(), b"brotli");
        assert_eq!(decode(None, b"plain", 100).unwrap(), b"plain");
        assert_eq!(decode(Some("identity"), b"plain", 100).unwrap(), b"plain");
    }

    #[test]
    fn a_gzip_bomb_is_refused_at_the_cap() {
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            decode(Some("gzip"), &bomb, 1 << 20),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn stacked_codings_are_undone_in_reverse() {
        let twice = gzip(&gzip(b"twice"));
        assert_eq!(decode(Some("gzip, gzip"), &twice, 100).unwrap(), b"twice");
    }

    #[test]
    fn a_decoded_prefix_is_the_start_of_the_decoded_body() {
        use std::io::Write as _;
        let page: Vec<u8> = (0..5000)
            .flat_map(|i: u32| format!("<p>{}</p>", i.wrapping_mul(2_654_435_761)).into_bytes())
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&page).unwrap();
        let body = gz.finish().unwrap();
        assert_eq!(decoded_prefix(Some("gzip"), &body, 20), page[..20]);
        // A body cut short still shows how it starts.
        assert_eq!(
            decoded_prefix(Some("gzip"), &body[..body.len() / 2], 20),
            page[..20]
        );
        assert_eq!(decoded_prefix(None, b"abc", 20), b"abc");
        assert!(decoded_prefix(Some("zstd"), &body, 20).is_empty());
    }
}
