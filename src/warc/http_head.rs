//! Parses a raw HTTP/1.x response head as it came off the wire: status, reason, headers in order and case.
//!
//! The one parser for response heads: the fetcher reads the recorded bytes with it, and the CDXJ
//! indexer, resume and the mirror read the heads of archived response records with it.
//! hyper parses the head too, but it normalises header names to lower case and regroups repeated
//! headers; the WARC record and the crawl log want what the server actually sent, so we read the
//! recorded bytes ourselves. hyper has already accepted these bytes when this runs, so the parser
//! only needs to be as lenient as hyper is configured to be (bare LF line ends, obsolete line
//! folding, spaces before the colon).

/// The final response head found at the start of the received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code of the final (non-1xx) response.
    pub status: u16,
    /// Reason phrase as sent (lossily decoded when not UTF-8).
    pub reason: String,
    /// Header fields in wire order and case; obsolete folded lines are joined with one space.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Bytes from the start of the input to the end of the blank line closing the final head,
    /// including any interim 1xx heads before it.
    pub len: usize,
}

impl ResponseHead {
    /// The `Content-Type` field's value (lossily decoded), as sent; the last when repeated
    /// (see `content::header`).
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type")
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// The value of the field `name` (the last when repeated, see `content::header`).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        crate::content::header_value(&self.headers, name)
    }
}

/// Why raw bytes are not a response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The blank line ending the head has not arrived.
    Incomplete,
    /// The bytes are not an HTTP/1.x response head.
    Malformed(String),
}

/// Parses the final response head at the start of `raw`, skipping interim 1xx responses
/// (hyper skips them too; `101 Switching Protocols` is final).
pub fn parse_response_head(raw: &[u8]) -> Result<ResponseHead, HeadError> {
    let mut offset = 0;
    loop {
        let mut head = parse_one(&raw[offset..])?;
        head.len += offset;
        if (100..200).contains(&head.status) && head.status != 101 {
            offset = head.len;
            continue;
        }
        return Ok(head);
    }
}

/// Splits off one line ending in LF (an optional CR before it is dropped); `None` when no LF yet.
fn next_line(raw: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = raw.get(at..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, at + lf + 1))
}

fn parse_one(raw: &[u8]) -> Result<ResponseHead, HeadError> {
    let (status_line, mut at) = next_line(raw, 0).ok_or(HeadError::Incomplete)?;
    let (status, reason) = parse_status_line(status_line)?;
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let (line, next) = next_line(raw, at).ok_or(HeadError::Incomplete)?;
        at = next;
        if line.is_empty() {
            return Ok(ResponseHead {
                status,
                reason,
                headers,
                len: at,
            });
        }
        if matches!(line[0], b' ' | b'\t') {
            // Obsolete line folding: the line continues the previous field's value.
            let Some((_, value)) = headers.last_mut() else {
                return Err(HeadError::Malformed(
                    "continuation line before any header".into(),
                ));
            };
            value.push(b' ');
            value.extend_from_slice(trim(line));
            continue;
        }
        let colon = line.iter().position(|&b| b == b':').ok_or_else(|| {
            HeadError::Malformed(format!(
                "header line without a colon: {:?}",
                String::from_utf8_lossy(line)
            ))
        })?;
        let name = trim(&line[..colon]);
        if name.is_empty() {
            return Err(HeadError::Malformed("header with an empty name".into()));
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            trim(&line[colon + 1..]).to_vec(),
        ));
    }
}

fn parse_status_line(line: &[u8]) -> Result<(u16, String), HeadError> {
    let malformed = || {
        HeadError::Malformed(format!(
            "bad status line: {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    let rest = line.strip_prefix(b"HTTP/1.").ok_or_else(malformed)?;
    let (&minor, rest) = rest.split_first().ok_or_else(malformed)?;
    if !minor.is_ascii_digit() {
        return Err(malformed());
    }
    let rest = rest.strip_prefix(b" ").ok_or_else(malformed)?;
    let code = rest.get(..3).ok_or_else(malformed)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    let status = code
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    let reason = match &rest[3..] {
        [] => "",
        [b' ', reason @ ..] => return Ok((status, String::from_utf8_lossy(reason).into_owned())),
        _ => return Err(malformed()),
    };
    Ok((status, reason.to_owned()))
}

/// Strips optional whitespace (space, tab) at both ends.
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_case_and_repeats() {
        let raw = b"HTTP/1.1 200 Fine Thanks\r\nX-Mixed-CASE: a\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nbody";
        let head = parse_response_head(raw).expect("parses");
        assert_eq!(head.status, 200);
        assert_eq!(head.reason, "Fine Thanks");
        assert_eq!(head.len, raw.len() - 4);
        let names: Vec<&str> = head.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X-Mixed-CASE", "Set-Cookie", "set-cookie"]);
        assert_eq!(head.headers[2].1, b"b=2");
    }

    #[test]
    fn skips_interim_responses_and_accepts_bare_lf() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404\nA: b\n  c\n\n";
        let head = parse_response_head(raw).expect("parses");
        assert_eq!((head.status, head.reason.as_str()), (404, ""));
        assert_eq!(head.headers, vec![("A".to_owned(), b"b c".to_vec())]);
        assert_eq!(head.len, raw.len());
    }

    #[test]
    fn rejects_malformed_and_reports_incomplete() {
        assert!(matches!(
            parse_response_head(b"HTTX/1.1 200 OK\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            parse_response_head(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert_eq!(
            parse_response_head(b"HTTP/1.1 200 OK\r\nA: b\r\n"),
            Err(HeadError::Incomplete)
        );
    }
}
