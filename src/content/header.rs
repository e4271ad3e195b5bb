//! Reading a response's header fields as they were sent (wire order and case kept).

/// The value of the field `name` (case-insensitive). When a field that takes one value is sent
/// more than once (two `Content-Type`s, say), the last one counts, as the Fetch standard's
/// "extract a MIME type" and every browser read it.
pub fn header_value<'a, N, V>(headers: &'a [(N, V)], name: &str) -> Option<&'a [u8]>
where
    N: AsRef<str>,
    V: AsRef<[u8]>,
{
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// The media type of a `Content-Type` value, without parameters, lower-cased (`text/html`).
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_of_a_repeated_field_counts() {
        let headers = vec![
            ("Content-Type".to_string(), b"text/plain".to_vec()),
            ("X".to_string(), b"1".to_vec()),
            (
                "content-type".to_string(),
                b"text/html; charset=utf-8".to_vec(),
            ),
        ];
        assert_eq!(
            header_value(&headers, "CONTENT-TYPE"),
            Some(&b"text/html; charset=utf-8"[..])
        );
        assert_eq!(header_value(&headers, "location"), None);
        assert_eq!(media_type(" Text/HTML ; charset=utf-8"), "text/html");
    }
}
