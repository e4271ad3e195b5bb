//! The little of an HTTP message head that indexing needs: the status code and the Content-Type.

/// Status and media type read from the start of a `response` or `revisit` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    pub status: u16,
    pub content_type: Option<String>,
    /// Length of the head including its blank line, i.e. where the payload starts.
    pub len: usize,
}

/// Parses an HTTP/1.x response head from the first bytes of a block; `None` when they do not
/// hold a complete, well-formed one.
pub fn parse_response_head(block_prefix: &[u8]) -> Option<HttpHead> {
    let end = find_head_end(block_prefix)?;
    let head = String::from_utf8_lossy(&block_prefix[..end]);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let content_type = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_owned());
    Some(HttpHead {
        status,
        content_type,
        len: end,
    })
}

/// Index just past the blank line that ends a head (`\r\n\r\n`, or bare `\n\n` from sloppy servers).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_type() {
        let head = parse_response_head(
            b"HTTP/1.1 404 Not Found\r\ncontent-type: text/html; charset=utf-8\r\n\r\nbody",
        );
        assert_eq!(
            head,
            Some(HttpHead {
                status: 404,
                content_type: Some("text/html; charset=utf-8".into()),
                len: 66
            })
        );
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(parse_response_head(b"GET / HTTP/1.1\r\n\r\n"), None);
    }
}
