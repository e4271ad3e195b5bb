//! The `Digest` scheme (RFC 7616): answers a challenge's nonce without sending the password.
//!
//! Supported: the algorithms `MD5`, `SHA-256` and `SHA-512-256` and their `-sess` variants,
//! `qop=auth` (preferred) and `qop=auth-int`, the old RFC 2069 form without `qop`, `userhash`,
//! `charset=UTF-8` (names and passwords in NFC) and user names outside ASCII (`username*`,
//! RFC 8187). A [`DigestSession`] belongs to one nonce: it counts `nc` up with every request and
//! keeps one client nonce, so that a `-sess` session key (computed from the first `cnonce`, §3.4.2)
//! stays valid for later requests whichever reading of the RFC the server follows.

use std::fmt::Write as _;

use icu_normalizer::ComposingNormalizerBorrowed;
use md5::Md5;
use sha2::{Digest as _, Sha256, Sha512_256};

use super::challenge::{Challenge, quote};
use super::credentials::Credentials;

/// A Digest hash algorithm (RFC 7616 §3.3 and the IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
    Sha512_256,
    Sha512_256Sess,
}

impl DigestAlgorithm {
    const ALL: [DigestAlgorithm; 6] = [
        DigestAlgorithm::Md5,
        DigestAlgorithm::Md5Sess,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha256Sess,
        DigestAlgorithm::Sha512_256,
        DigestAlgorithm::Sha512_256Sess,
    ];

    /// From the `algorithm` parameter (case-insensitive); `None` for one arkiv cannot compute.
    pub fn parse(name: &str) -> Option<DigestAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The name as written in challenges and answers.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Md5Sess => "MD5-sess",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha256Sess => "SHA-256-sess",
            DigestAlgorithm::Sha512_256 => "SHA-512-256",
            DigestAlgorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Whether the session key mixes in the nonces (`-sess`).
    pub fn is_session(self) -> bool {
        matches!(
            self,
            DigestAlgorithm::Md5Sess
                | DigestAlgorithm::Sha256Sess
                | DigestAlgorithm::Sha512_256Sess
        )
    }

    /// How much to prefer this algorithm when a server offers several (RFC 7616 §3.7: the client
    /// uses the strongest it supports).
    pub fn strength(self) -> u8 {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => 1,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => 2,
            DigestAlgorithm::Sha512_256 | DigestAlgorithm::Sha512_256Sess => 3,
        }
    }

    /// The lower-case hex digest of `data`.
    pub fn hex(self, data: &[u8]) -> String {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => to_hex(&Md5::digest(data)),
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => to_hex(&Sha256::digest(data)),
            DigestAlgorithm::Sha512_256 | DigestAlgorithm::Sha512_256Sess => {
                to_hex(&Sha512_256::digest(data))
            }
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The quality of protection an answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop {
    Auth,
    /// The body is part of the hash (for a GET: the empty body).
    AuthInt,
}

impl Qop {
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

/// A Digest challenge that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("not a Digest challenge")]
    NotDigest,
    #[error("the Digest challenge has no {0}")]
    Missing(&'static str),
    #[error(
        "the Digest algorithm {0:?} is not supported (arkiv knows MD5, SHA-256, SHA-512-256 and their -sess forms)"
    )]
    UnsupportedAlgorithm(String),
    #[error("the Digest challenge offers qop={0:?}; arkiv answers only auth and auth-int")]
    UnsupportedQop(String),
    #[error("user names and passwords for Digest authentication cannot contain control characters")]
    ControlCharacter,
}

/// What a Digest challenge asks for, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: DigestAlgorithm,
    /// Whether the challenge named its algorithm (an answer echoes it only then).
    pub algorithm_named: bool,
    /// The protection chosen from what the challenge offers; `None`: RFC 2069, no `qop`.
    pub qop: Option<Qop>,
    pub userhash: bool,
    /// `charset=UTF-8` was announced.
    pub utf8: bool,
    /// `stale=true`: the previous nonce expired but the credentials were right (§3.3).
    pub stale: bool,
    /// The `domain` parameter's URIs: the protection space, when the server names it.
    pub domain: Vec<String>,
}

impl DigestChallenge {
    pub fn from_challenge(challenge: &Challenge) -> Result<DigestChallenge, DigestError> {
        if !challenge.is("digest") {
            return Err(DigestError::NotDigest);
        }
        let realm = challenge.realm().ok_or(DigestError::Missing("realm"))?;
        let nonce = challenge
            .param("nonce")
            .ok_or(DigestError::Missing("nonce"))?;
        let (algorithm, algorithm_named) = match challenge.param("algorithm") {
            None => (DigestAlgorithm::Md5, false),
            Some(name) => (
                DigestAlgorithm::parse(name)
                    .ok_or_else(|| DigestError::UnsupportedAlgorithm(name.to_owned()))?,
                true,
            ),
        };
        let qop = match challenge.param("qop") {
            None => None,
            Some(offered) => {
                let tokens: Vec<String> = offered
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .collect();
                if tokens.iter().any(|t| t == "auth") {
                    Some(Qop::Auth)
                } else if tokens.iter().any(|t| t == "auth-int") {
                    Some(Qop::AuthInt)
                } else {
                    return Err(DigestError::UnsupportedQop(offered.to_owned()));
                }
            }
        };
        let flag = |name: &str| {
            challenge
                .param(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        Ok(DigestChallenge {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: challenge.param("opaque").map(str::to_owned),
            algorithm,
            algorithm_named,
            qop,
            userhash: flag("userhash"),
            utf8: challenge
                .param("charset")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("utf-8")),
            stale: flag("stale"),
            domain: challenge
                .param("domain")
                .map(|d| d.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }
}

/// Answers requests under one nonce, counting `nc`.
#[derive(Debug, Clone)]
pub struct DigestSession {
    challenge: DigestChallenge,
    cnonce: String,
    /// Requests answered so far under this nonce.
    nc: u32,
}

impl DigestSession {
    /// A session with a fresh random client nonce.
    pub fn new(challenge: DigestChallenge) -> DigestSession {
        DigestSession::with_cnonce(challenge, uuid::Uuid::new_v4().simple().to_string())
    }

    /// A session with a given client nonce (tests, and the RFC examples).
    pub fn with_cnonce(challenge: DigestChallenge, cnonce: impl Into<String>) -> DigestSession {
        DigestSession {
            challenge,
            cnonce: cnonce.into(),
            nc: 0,
        }
    }

    pub fn challenge(&self) -> &DigestChallenge {
        &self.challenge
    }

    /// How many answers this session has given.
    pub fn count(&self) -> u32 {
        self.nc
    }

    /// The `Authorization` value for the next request: `method` and `uri` exactly as on the request
    /// line (the request-target as sent), `body` for `auth-int` (`b""` for a GET).
    pub fn authorization(
        &mut self,
        credentials: &Credentials,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<String, DigestError> {
        let c = &self.challenge;
        let alg = c.algorithm;
        let (user, password) = if c.utf8 {
            let nfc = ComposingNormalizerBorrowed::new_nfc();
            (
                nfc.normalize(&credentials.user).into_owned(),
                nfc.normalize(credentials.password.expose()).into_owned(),
            )
        } else {
            (
                credentials.user.clone(),
                credentials.password.expose().to_owned(),
            )
        };
        if user.chars().chain(password.chars()).any(char::is_control) {
            return Err(DigestError::ControlCharacter);
        }
        self.nc = self.nc.wrapping_add(1);
        let nc = format!("{:08x}", self.nc);
        let secret_a1 = format!("{user}:{}:{password}", c.realm);
        let mut ha1 = alg.hex(secret_a1.as_bytes());
        wipe(secret_a1);
        wipe(password);
        if alg.is_session() {
            ha1 = alg.hex(format!("{ha1}:{}:{}", c.nonce, self.cnonce).as_bytes());
        }
        let ha2 = match c.qop {
            Some(Qop::AuthInt) => alg.hex(format!("{method}:{uri}:{}", alg.hex(body)).as_bytes()),
            _ => alg.hex(format!("{method}:{uri}").as_bytes()),
        };
        let response = match c.qop {
            Some(qop) => alg.hex(
                format!(
                    "{ha1}:{}:{nc}:{}:{}:{ha2}",
                    c.nonce,
                    self.cnonce,
                    qop.name()
                )
                .as_bytes(),
            ),
            None => alg.hex(format!("{ha1}:{}:{ha2}", c.nonce).as_bytes()),
        };

        let mut out = String::from("Digest ");
        if c.userhash {
            let hashed = alg.hex(format!("{user}:{}", c.realm).as_bytes());
            let _ = write!(out, "username={}", quote(&hashed));
        } else if user.is_ascii() {
            let _ = write!(out, "username={}", quote(&user));
        } else {
            let _ = write!(out, "username*=UTF-8''{}", ext_value(&user));
        }
        let _ = write!(out, ", realm={}", quote(&c.realm));
        let _ = write!(out, ", uri={}", quote(uri));
        if c.algorithm_named {
            let _ = write!(out, ", algorithm={}", alg.name());
        }
        let _ = write!(out, ", nonce={}", quote(&c.nonce));
        if let Some(qop) = c.qop {
            let _ = write!(
                out,
                ", nc={nc}, cnonce={}, qop={}",
                quote(&self.cnonce),
                qop.name()
            );
        }
        let _ = write!(out, ", response={}", quote(&response));
        if let Some(opaque) = &c.opaque {
            let _ = write!(out, ", opaque={}", quote(opaque));
        }
        if c.userhash {
            out.push_str(", userhash=true");
        }
        Ok(out)
    }
}

/// RFC 8187 `value-chars`: attr-char as is, everything else percent-encoded UTF-8.
fn ext_value(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn wipe(text: String) {
    let mut bytes = text.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::challenge::parse_challenges;
    use crate::auth::credentials::Secret;

    /// The challenge of RFC 7616 §3.9.1 with `algorithm`.
    fn rfc_7616_challenge(algorithm: &str) -> DigestChallenge {
        let value = format!(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
        );
        let parsed = parse_challenges([value.as_str()]).expect("parses");
        DigestChallenge::from_challenge(&parsed[0]).expect("digest")
    }

    fn mufasa() -> Credentials {
        Credentials::new("Mufasa", Secret::new("Circle of Life"))
    }

    fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
        let challenge = header.strip_prefix("Digest ")?;
        challenge.split(", ").find_map(|p| {
            let (n, v) = p.split_once('=')?;
            (n == name).then(|| v.trim_matches('"'))
        })
    }

    #[test]
    fn rfc_7616_section_3_9_1_sha256_and_md5() {
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        for (algorithm, expected) in [
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ] {
            let mut session = DigestSession::with_cnonce(rfc_7616_challenge(algorithm), cnonce);
            let header = session
                .authorization(&mufasa(), "GET", "/dir/index.html", b"")
                .expect("answer");
            assert_eq!(param(&header, "response"), Some(expected), "{header}");
            assert_eq!(
                header,
                format!(
                    r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="{cnonce}", qop=auth, response="{expected}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
                )
            );
        }
    }

    #[test]
    fn rfc_2617_example_without_algorithm() {
        let value = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let challenge =
            DigestChallenge::from_challenge(&parse_challenges([value]).expect("p")[0]).expect("d");
        assert_eq!(challenge.algorithm, DigestAlgorithm::Md5);
        let mut session = DigestSession::with_cnonce(challenge, "0a4f113b");
        let creds = Credentials::new("Mufasa", Secret::new("Circle Of Life"));
        let header = session
            .authorization(&creds, "GET", "/dir/index.html", b"")
            .expect("answer");
        assert_eq!(
            param(&header, "response"),
            Some("6629fae49393a05397450978507c4ef1")
        );
        assert!(!header.contains("algorithm="), "not echoed: {header}");
    }

    #[test]
    fn nc_counts_up_and_the_response_changes() {
        let mut session = DigestSession::with_cnonce(rfc_7616_challenge("SHA-256"), "c");
        let first = session
            .authorization(&mufasa(), "GET", "/a", b"")
            .expect("1");
        let second = session
            .authorization(&mufasa(), "GET", "/a", b"")
            .expect("2");
        assert_eq!(param(&first, "nc"), Some("00000001"));
        assert_eq!(param(&second, "nc"), Some("00000002"));
        assert_ne!(param(&first, "response"), param(&second, "response"));
        assert_eq!(session.count(), 2);
    }

    /// RFC 7616 §3.9.2's printed values are wrong (erratum 4897); these were computed
    /// independently with Python's hashlib (OpenSSL's SHA-512/256) from the example's inputs.
    #[test]
    fn rfc_7616_section_3_9_2_userhash_sha512_256() {
        let value = r#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#;
        let challenge =
            DigestChallenge::from_challenge(&parse_challenges([value]).expect("p")[0]).expect("d");
        assert!(challenge.userhash && challenge.utf8);
        let mut session =
            DigestSession::with_cnonce(challenge, "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v");
        let creds = Credentials::new("J\u{e4}s\u{f8}n Doe", Secret::new("Secret, or not?"));
        let header = session
            .authorization(&creds, "GET", "/doe.json", b"")
            .expect("answer");
        assert_eq!(
            param(&header, "username"),
            Some("793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b")
        );
        assert_eq!(
            param(&header, "response"),
            Some("3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5")
        );
        assert!(header.ends_with(", userhash=true"), "{header}");
    }

    #[test]
    fn session_variants_auth_int_and_non_ascii_names() {
        // MD5-sess: HA1 = MD5(MD5(user:realm:pass):nonce:cnonce); values from Python's hashlib.
        let value = r#"Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth-int""#;
        let challenge =
            DigestChallenge::from_challenge(&parse_challenges([value]).expect("p")[0]).expect("d");
        assert_eq!(challenge.qop, Some(Qop::AuthInt));
        let mut session = DigestSession::with_cnonce(challenge, "c");
        let creds = Credentials::new("u", Secret::new("p"));
        let header = session
            .authorization(&creds, "GET", "/x", b"")
            .expect("answer");
        let md5 = |s: &str| DigestAlgorithm::Md5.hex(s.as_bytes());
        let ha1 = md5(&format!("{}:n:c", md5("u:r:p")));
        let ha2 = md5(&format!("GET:/x:{}", md5("")));
        let expected = md5(&format!("{ha1}:n:00000001:c:auth-int:{ha2}"));
        assert_eq!(param(&header, "response"), Some(expected.as_str()));
        assert_eq!(param(&header, "qop"), Some("auth-int"));

        let value = r#"Digest realm="r", nonce="n", qop="auth""#;
        let challenge =
            DigestChallenge::from_challenge(&parse_challenges([value]).expect("p")[0]).expect("d");
        let mut session = DigestSession::with_cnonce(challenge, "c");
        let creds = Credentials::new("Jørgen", Secret::new("p"));
        let header = session.authorization(&creds, "GET", "/", b"").expect("a");
        assert!(
            header.starts_with("Digest username*=UTF-8''J%C3%B8rgen, realm="),
            "{header}"
        );
    }

    #[test]
    fn unanswerable_challenges_say_why() {
        let read = |value: &str| {
            DigestChallenge::from_challenge(&parse_challenges([value]).expect("p")[0])
        };
        assert_eq!(
            read(r#"Digest realm="r", nonce="n", algorithm=SHA3"#),
            Err(DigestError::UnsupportedAlgorithm("SHA3".into()))
        );
        assert_eq!(
            read(r#"Digest realm="r", nonce="n", qop="auth-conf""#),
            Err(DigestError::UnsupportedQop("auth-conf".into()))
        );
        assert_eq!(
            read(r#"Digest realm="r""#),
            Err(DigestError::Missing("nonce"))
        );
        assert_eq!(read(r#"Basic realm="r""#), Err(DigestError::NotDigest));
        let stale = read(r#"Digest realm="r", nonce="n", stale=TRUE, domain="/a /b""#).expect("ok");
        assert!(stale.stale);
        assert_eq!(stale.domain, ["/a", "/b"]);
        assert_eq!(
            DigestAlgorithm::parse("sha-256-SESS"),
            Some(DigestAlgorithm::Sha256Sess)
        );
    }
}
