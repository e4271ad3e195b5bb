//! Parses `WWW-Authenticate` and `Proxy-Authenticate` values into challenges (RFC 9110 §11.6.1).
//!
//! One header value may hold several challenges, each with parameters, all separated by commas:
//! `Basic realm="a, b", Digest realm="x", nonce="y", qop="auth,auth-int"`. A comma therefore ends
//! either a parameter or a challenge; what follows it decides: `token =` continues the current
//! challenge's parameters, any other token starts a new challenge. Scheme and parameter names are
//! case-insensitive (names are kept lower-cased, schemes as sent); quoted strings lose their quotes
//! and backslash escapes.
//!
//! Old servers are met where the meaning is still plain, as browsers do: an unquoted value that
//! runs on with spaces up to the next comma (`realm=Members Area`) is taken whole, and empty list
//! elements (`, ,`) are skipped. What cannot be read (an unterminated quoted string, a parameter
//! without a value before any scheme) is an error that says where.

use std::fmt;

/// One challenge: a scheme and either parameters or a token68.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme as sent (`Basic`, `digest`); compare with [`Challenge::is`].
    pub scheme: String,
    /// Parameters in order, names lower-cased; a repeated name keeps its first value.
    pub params: Vec<(String, String)>,
    /// The token68 form (`Negotiate YIIB…`), when the challenge has no parameters.
    pub token68: Option<String>,
}

impl Challenge {
    /// Whether this is a challenge of `scheme` (case-insensitive).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `realm` parameter.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }
}

impl fmt::Display for Challenge {
    /// The challenge in a canonical form, every parameter quoted (for logs and tests).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(token) = &self.token68 {
            return write!(f, " {token}");
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{name}={}", quote(value))?;
        }
        Ok(())
    }
}

/// A header value that cannot be read as challenges.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the challenge {value:?} at byte {at}: {problem}")]
pub struct ChallengeError {
    pub value: String,
    pub at: usize,
    pub problem: &'static str,
}

/// Parses every challenge in one or more header values (repeated header lines are concatenated
/// as a list, RFC 9110 §5.3).
pub fn parse_challenges<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Challenge>, ChallengeError> {
    let mut challenges = Vec::new();
    for value in values {
        challenges.extend(parse_one(value)?);
    }
    Ok(challenges)
}

fn parse_one(value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let mut p = Parser {
        text: value,
        pos: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        p.skip_list_separators();
        if p.at_end() {
            return Ok(out);
        }
        let start = p.pos;
        let Some(token) = p.token() else {
            return Err(p.error("expected an auth-scheme or a parameter name"));
        };
        let after_token = p.pos;
        p.skip_ws();
        if p.peek() == Some(b'=') {
            // `name=value` after a comma: a parameter of the current challenge.
            if out.is_empty() {
                p.pos = start;
                return Err(p.error("a parameter before any auth-scheme"));
            }
            p.pos += 1;
            p.skip_ws();
            let value = p.param_value()?;
            push_param(out.last_mut(), token, value);
            continue;
        }
        p.pos = after_token;
        let mut challenge = Challenge {
            scheme: token.to_owned(),
            params: Vec::new(),
            token68: None,
        };
        // The scheme is followed by spaces and then a token68, the first parameter, or nothing.
        let spaced = p.skip_ws() > 0;
        if spaced && !p.at_end() && p.peek() != Some(b',') {
            if let Some(token68) = p.token68() {
                challenge.token68 = Some(token68.to_owned());
            } else {
                let Some(name) = p.token() else {
                    return Err(p.error("expected a parameter name"));
                };
                p.skip_ws();
                if p.peek() != Some(b'=') {
                    return Err(p.error("expected '=' after a parameter name"));
                }
                p.pos += 1;
                p.skip_ws();
                let value = p.param_value()?;
                push_param(Some(&mut challenge), name, value);
            }
        }
        out.push(challenge);
        p.skip_ws();
        if !p.at_end() && p.peek() != Some(b',') {
            return Err(p.error("expected ',' between challenges"));
        }
    }
}

fn push_param(challenge: Option<&mut Challenge>, name: &str, value: String) {
    if let Some(challenge) = challenge {
        let name = name.to_ascii_lowercase();
        if challenge.params.iter().all(|(n, _)| *n != name) {
            challenge.params.push((name, value));
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn error(&self, problem: &'static str) -> ChallengeError {
        ChallengeError {
            value: self.text.to_owned(),
            at: self.pos,
            problem,
        }
    }

    /// Skips spaces and tabs; returns how many.
    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.text[start..self.pos])
    }

    /// A token68 that stands alone (followed by a comma or the end), else nothing consumed.
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut end = start;
        let bytes = self.bytes();
        while end < bytes.len() && is_token68_char(bytes[end]) {
            end += 1;
        }
        if end == start {
            return None;
        }
        while end < bytes.len() && bytes[end] == b'=' {
            end += 1;
        }
        let mut rest = end;
        while rest < bytes.len() && matches!(bytes[rest], b' ' | b'\t') {
            rest += 1;
        }
        let alone = rest == bytes.len() || bytes[rest] == b',';
        if !alone {
            // `realm=x`: a parameter, not a token68.
            return None;
        }
        self.pos = end;
        Some(&self.text[start..end])
    }

    /// A quoted string or a token; an unquoted value that goes on with spaces runs to the comma.
    fn param_value(&mut self) -> Result<String, ChallengeError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| b != b',') {
            self.pos += 1;
        }
        let value = self.text[start..self.pos].trim_matches([' ', '\t']);
        if value.is_empty() {
            self.pos = start;
            return Err(self.error("a parameter without a value"));
        }
        Ok(value.to_owned())
    }

    fn quoted(&mut self) -> Result<String, ChallengeError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                c => value.push(c),
            }
        }
        self.pos = open;
        Err(self.error("an unterminated quoted string"))
    }
}

/// RFC 9110 tchar.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// `value` as a quoted string (backslash before `"` and `\`).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Vec<Challenge> {
        parse_challenges([value]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn several_challenges_with_commas_inside_quotes() {
        let got = parse(
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple, really""#,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].scheme, "Newauth");
        assert_eq!(got[0].realm(), Some("apps"));
        assert_eq!(got[0].param("TYPE"), Some("1"));
        assert_eq!(got[0].param("title"), Some(r#"Login to "apps""#));
        assert!(got[1].is("basic"));
        assert_eq!(got[1].realm(), Some("simple, really"));
    }

    #[test]
    fn rfc_7616_challenges_in_one_value_and_in_two() {
        let digest = r#"Digest
            realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256,
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
            .replace(['\n'], " ");
        let md5 = r#"DIGEST realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let joined = format!("{digest}, {md5}");
        for got in [
            parse(&joined),
            parse_challenges([digest.as_str(), md5]).expect("two values"),
        ] {
            assert_eq!(got.len(), 2);
            assert!(got.iter().all(|c| c.is("digest")));
            assert_eq!(got[0].param("algorithm"), Some("SHA-256"));
            assert_eq!(got[1].param("algorithm"), Some("MD5"));
            assert_eq!(got[0].param("qop"), Some("auth, auth-int"));
            assert_eq!(
                got[1].param("opaque"),
                Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
            );
        }
    }

    #[test]
    fn token68_bare_schemes_and_empty_elements() {
        let got = parse("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg==, , NTLM, Bearer");
        let schemes: Vec<&str> = got.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Negotiate", "NTLM", "Bearer"]);
        assert_eq!(
            got[0].token68.as_deref(),
            Some("YIIBhwYGKwYBBQUCoIIBezCCAXeg==")
        );
        assert!(got[1].params.is_empty() && got[1].token68.is_none());
        let padded = parse("Custom abc=, Basic realm=x");
        assert_eq!(padded[0].token68.as_deref(), Some("abc="));
        assert_eq!(padded[1].realm(), Some("x"));
    }

    #[test]
    fn lenient_with_old_servers() {
        let got = parse("Basic realm=Members Area , charset=UTF-8");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].realm(), Some("Members Area"));
        assert_eq!(got[0].param("charset"), Some("UTF-8"));
        let repeated = parse(r#"Basic realm="first", REALM="second""#);
        assert_eq!(repeated[0].realm(), Some("first"));
        let tabs = parse("Basic\trealm=\"t\"");
        assert_eq!(tabs[0].realm(), Some("t"));
    }

    #[test]
    fn unreadable_values_say_where() {
        let err = parse_challenges([r#"Basic realm="open"#]).expect_err("unterminated");
        assert_eq!(err.problem, "an unterminated quoted string");
        assert_eq!(err.at, 12);
        let err = parse_challenges(["realm=x"]).expect_err("no scheme");
        assert_eq!(err.problem, "a parameter before any auth-scheme");
        let err = parse_challenges(["Basic realm=x, charset="]).expect_err("no value");
        assert_eq!(err.problem, "a parameter without a value");
        // By the grammar a lone `name=` after the scheme is a token68.
        assert_eq!(parse("Basic realm=")[0].token68.as_deref(), Some("realm="));
        assert!(parse_challenges([""]).expect("empty").is_empty());
    }

    #[test]
    fn display_quotes_every_parameter() {
        let got = parse(r#"Digest realm="a\"b", algorithm=MD5"#);
        assert_eq!(
            got[0].to_string(),
            r#"Digest realm="a\"b", algorithm="MD5""#
        );
        assert_eq!(quote(r"back\slash"), r#""back\\slash""#);
    }
}
