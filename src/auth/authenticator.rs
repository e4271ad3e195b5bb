//! Answers one origin's challenges (or one proxy's) with one user's credentials, and remembers what
//! worked so that later requests carry the answer up front.
//!
//! Rules, chosen for a crawler that archives every response it gets:
//! - Of the challenges offered, Digest goes before Basic (Basic puts the password on the wire), and
//!   of several Digest challenges the strongest algorithm wins (RFC 7616 §3.7).
//! - After a challenge was answered, requests into its protection space carry the answer without
//!   waiting for another 401, so the archive does not hold a 401 before every page. The space is
//!   the challenged URL's folder and everything below it for Basic (RFC 7617 §2.2), and the
//!   `domain` URIs of a Digest challenge. A Digest challenge without `domain` covers the whole
//!   origin by RFC 7616 §3.3; arkiv still sends it up front only below the challenged folder, so a
//!   site with several realms is not sent one realm's answer on every page of the others (going
//!   outside costs one more 401, after which that folder is covered too). Digest answers up front
//!   reuse the nonce with the next `nc`.
//! - A 401 that challenges the very realm a request answered means the credentials are wrong: the
//!   realm is given up for the rest of the run (no retry, then or later, so a wrong password is not
//!   tried again and again), unless it is a Digest `stale=true` with a new nonce, which is answered
//!   once more with that nonce. A 401 for another realm is answered as a first challenge.
//! - A Digest answer sent up front (a nonce reused with the next `nc`) that meets a 401 proves
//!   nothing about the password: a crawl runs requests side by side, so `nc` 3 may reach the
//!   server before `nc` 2, which a careful server then refuses as a replay, and servers forget
//!   nonces without saying `stale`. Such a 401 is answered as a first challenge, with its new
//!   nonce; only the refusal of an answer made for the challenge just received gives the realm up.
//!   A wrong password so costs at most one more request, never a loop.
//!
//! Architecture invariant: an `Authenticator` knows nothing of hosts. The caller keeps one per
//! origin the user allowed (`--auth-origin`) and never consults it for any other origin, so a
//! redirect to another host never receives the credentials.

use super::basic::basic_authorization;
use super::challenge::{ChallengeError, parse_challenges};
use super::credentials::Credentials;
use super::digest::{DigestChallenge, DigestSession};

/// What to do after a 401 (or 407).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send the request again with this `Authorization` (or `Proxy-Authorization`) value.
    Retry(String),
    /// Keep the response as the site sent it; the credentials cannot answer it.
    GiveUp(AuthFailure),
}

/// Why a challenge was not answered (the crawl logs it as `failed:auth`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("the server asked for credentials without a challenge")]
    NoChallenge,
    #[error("no challenge arkiv can answer (offered: {})", offered.join(", "))]
    Unsupported { offered: Vec<String> },
    #[error("the credentials were refused for realm {realm:?}")]
    Rejected { realm: String },
    #[error(transparent)]
    Unreadable(#[from] ChallengeError),
    #[error("the credentials cannot be sent: {0}")]
    Unusable(String),
}

/// See the module comment.
#[derive(Debug)]
pub struct Authenticator {
    credentials: Credentials,
    spaces: Vec<Space>,
    /// Realms whose challenges are no longer answered (`(lower-case scheme, realm)`).
    refused: Vec<(String, String)>,
}

#[derive(Debug)]
struct Space {
    /// Path prefixes the answer covers.
    prefixes: Vec<String>,
    realm: String,
    answer: Answer,
    /// The value that answered the challenge itself; for Digest, every other value of this space
    /// was sent up front.
    first: String,
}

#[derive(Debug)]
enum Answer {
    Basic(String),
    Digest(DigestSession),
}

impl Answer {
    fn scheme(&self) -> &'static str {
        match self {
            Answer::Basic(_) => "basic",
            Answer::Digest(_) => "digest",
        }
    }
}

/// One request as the authenticator needs it.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    pub method: &'a str,
    /// The URL's path (decides the protection space; `/` for a proxy).
    pub path: &'a str,
    /// The request-target exactly as sent on the request line (Digest's `uri`).
    pub target: &'a str,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Authenticator {
        Authenticator {
            credentials,
            spaces: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Where in `spaces` the space that covers `path` is (the longest matching prefix wins).
    fn space_for(&self, path: &str) -> Option<usize> {
        self.spaces
            .iter()
            .enumerate()
            .filter(|(_, s)| s.prefixes.iter().any(|p| path.starts_with(p)))
            .max_by_key(|(_, s)| {
                s.prefixes
                    .iter()
                    .filter(|p| path.starts_with(p.as_str()))
                    .map(|p| p.len())
                    .max()
            })
            .map(|(i, _)| i)
    }

    /// Whether the answer sent up front for `path` would be a Digest one (it counts `nc`, so a
    /// caller that runs requests side by side sends such answers one at a time, in order).
    pub fn digest_up_front(&self, path: &str) -> bool {
        self.space_for(path)
            .is_some_and(|i| matches!(self.spaces[i].answer, Answer::Digest(_)))
    }

    /// The value to send up front with `request`, if an earlier challenge covers its path.
    pub fn preemptive(&mut self, request: AuthRequest<'_>) -> Option<String> {
        let index = self.space_for(request.path)?;
        let credentials = &self.credentials;
        let space = &mut self.spaces[index];
        match &mut space.answer {
            Answer::Basic(value) => Some(value.clone()),
            Answer::Digest(session) => session
                .authorization(credentials, request.method, request.target, b"")
                .ok(),
        }
    }

    /// Decides what to do about a 401 (or 407) to `request`, given its `WWW-Authenticate` (or
    /// `Proxy-Authenticate`) values; `sent` is the `Authorization` value the request carried, if it
    /// carried one from this authenticator.
    pub fn challenged<'a>(
        &mut self,
        request: AuthRequest<'_>,
        challenge_values: impl IntoIterator<Item = &'a str>,
        sent: Option<&str>,
    ) -> Decision {
        let challenges = match parse_challenges(challenge_values) {
            Ok(c) => c,
            Err(err) => return Decision::GiveUp(err.into()),
        };
        if challenges.is_empty() {
            return Decision::GiveUp(AuthFailure::NoChallenge);
        }
        let mut digests: Vec<DigestChallenge> = challenges
            .iter()
            .filter_map(|c| DigestChallenge::from_challenge(c).ok())
            .filter(|d| !self.is_refused("digest", &d.realm))
            .collect();
        digests.sort_by_key(|d| std::cmp::Reverse(d.algorithm.strength()));
        let basic = challenges
            .iter()
            .filter(|c| c.is("basic"))
            .find(|c| !self.is_refused("basic", c.realm().unwrap_or("")));

        if let Some((sent_scheme, sent_realm, up_front)) =
            sent.and_then(|value| self.answered(value))
        {
            let same_space = |scheme: &str, realm: &str| {
                scheme.eq_ignore_ascii_case(&sent_scheme) && realm == sent_realm
            };
            // A stale nonce with right credentials: answer once more, with the new nonce.
            let stale = digests.iter().find(|d| {
                d.stale
                    && same_space("digest", &d.realm)
                    && self.spaces.iter().any(|s| match &s.answer {
                        Answer::Digest(old) => {
                            old.challenge().realm == d.realm && old.challenge().nonce != d.nonce
                        }
                        Answer::Basic(_) => false,
                    })
            });
            if let Some(fresh) = stale.cloned() {
                return self.answer_digest(request, fresh);
            }
            // A Digest answer sent up front may have been refused for its place in the count,
            // not for the password: answered afresh below.
            let refused = !(up_front && sent_scheme == "digest")
                && challenges
                    .iter()
                    .any(|c| same_space(&c.scheme, c.realm().unwrap_or("")));
            if refused {
                let scheme = sent_scheme.to_ascii_lowercase();
                self.spaces
                    .retain(|s| !(s.answer.scheme() == scheme && s.realm == sent_realm));
                self.refused.push((scheme, sent_realm.clone()));
                return Decision::GiveUp(AuthFailure::Rejected { realm: sent_realm });
            }
            // Another realm than the one answered: a first challenge of its own.
            digests.retain(|d| !self.is_refused("digest", &d.realm));
        }

        if let Some(digest) = digests.into_iter().next() {
            return self.answer_digest(request, digest);
        }
        if let Some(basic) = basic {
            let utf8 = basic
                .param("charset")
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("utf-8"));
            let value = match basic_authorization(&self.credentials, utf8) {
                Ok(v) => v,
                Err(err) => return Decision::GiveUp(AuthFailure::Unusable(err.to_string())),
            };
            let realm = basic.realm().unwrap_or("").to_owned();
            self.remember(Space {
                prefixes: vec![folder_of(request.path).to_owned()],
                realm,
                answer: Answer::Basic(value.clone()),
                first: value.clone(),
            });
            return Decision::Retry(value);
        }
        let refused = challenges.iter().find_map(|c| {
            let scheme = c.scheme.to_ascii_lowercase();
            self.is_refused(&scheme, c.realm().unwrap_or(""))
                .then(|| c.realm().unwrap_or("").to_owned())
        });
        if let Some(realm) = refused {
            return Decision::GiveUp(AuthFailure::Rejected { realm });
        }
        // Digest challenges that cannot be answered say why, before the list of schemes.
        if let Some(err) = challenges
            .iter()
            .filter(|c| c.is("digest"))
            .find_map(|c| DigestChallenge::from_challenge(c).err())
        {
            return Decision::GiveUp(AuthFailure::Unusable(err.to_string()));
        }
        Decision::GiveUp(AuthFailure::Unsupported {
            offered: challenges.iter().map(|c| c.scheme.clone()).collect(),
        })
    }

    /// The scheme and realm of a value this authenticator sent, if it is one of its answers, and
    /// whether it was sent up front rather than in answer to a challenge.
    fn answered(&self, value: &str) -> Option<(String, String, bool)> {
        self.spaces.iter().find_map(|space| {
            let ours = match &space.answer {
                Answer::Basic(basic) => basic == value,
                Answer::Digest(session) => {
                    value
                        .get(..7)
                        .is_some_and(|s| s.eq_ignore_ascii_case("digest "))
                        && parse_challenges([value]).ok().is_some_and(|parsed| {
                            parsed.first().and_then(|c| c.param("nonce"))
                                == Some(session.challenge().nonce.as_str())
                                && parsed.first().and_then(|c| c.realm())
                                    == Some(session.challenge().realm.as_str())
                        })
                }
            };
            ours.then(|| {
                (
                    space.answer.scheme().to_owned(),
                    space.realm.clone(),
                    value != space.first,
                )
            })
        })
    }

    fn answer_digest(&mut self, request: AuthRequest<'_>, challenge: DigestChallenge) -> Decision {
        let prefixes = if challenge.domain.is_empty() {
            vec![folder_of(request.path).to_owned()]
        } else {
            challenge.domain.iter().map(|uri| path_of(uri)).collect()
        };
        let realm = challenge.realm.clone();
        let mut session = DigestSession::new(challenge);
        match session.authorization(&self.credentials, request.method, request.target, b"") {
            Ok(value) => {
                self.remember(Space {
                    prefixes,
                    realm,
                    answer: Answer::Digest(session),
                    first: value.clone(),
                });
                Decision::Retry(value)
            }
            Err(err) => Decision::GiveUp(AuthFailure::Unusable(err.to_string())),
        }
    }

    /// Adds a space, replacing an earlier one of the same scheme and realm.
    fn remember(&mut self, space: Space) {
        self.spaces.retain(|s| {
            !(s.answer.scheme() == space.answer.scheme()
                && s.realm == space.realm
                && s.prefixes == space.prefixes)
        });
        self.spaces.push(space);
    }

    fn is_refused(&self, scheme: &str, realm: &str) -> bool {
        self.refused.iter().any(|(s, r)| s == scheme && r == realm)
    }
}

/// `/a/b/c.html` → `/a/b/`; `/a/b/` stays.
fn folder_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    }
}

/// The path of a `domain` URI, which may be absolute (`http://h/p`) or a path.
fn path_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) => url.path().to_owned(),
        Err(_) if uri.starts_with('/') => uri.to_owned(),
        Err(_) => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::credentials::Secret;

    fn auth() -> Authenticator {
        Authenticator::new(Credentials::new("arkivar", Secret::new("hemmelig")))
    }

    fn request(path: &str) -> AuthRequest<'_> {
        AuthRequest {
            method: "GET",
            path,
            target: path,
        }
    }

    fn retry(decision: Decision) -> String {
        match decision {
            Decision::Retry(value) => value,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn digest_beats_basic_and_the_strongest_algorithm_wins() {
        let mut a = auth();
        let value = retry(a.challenged(
            request("/a/"),
            [
                r#"Basic realm="m""#,
                r#"Digest realm="m", nonce="n", algorithm=MD5, qop="auth""#,
                r#"Digest realm="m", nonce="n", algorithm=SHA-256, qop="auth""#,
            ],
            None,
        ));
        assert!(value.starts_with("Digest ") && value.contains("algorithm=SHA-256"));
        // Up front from now on below the challenged folder, counting nc.
        let next = a.preemptive(request("/a/page")).expect("preemptive");
        assert!(next.contains("nc=00000002"), "{next}");
        assert!(next.contains(r#"uri="/a/page""#), "{next}");
        assert!(a.digest_up_front("/a/page") && !a.digest_up_front("/other/"));
        assert_eq!(a.preemptive(request("/other/")), None);
    }

    #[test]
    fn basic_covers_the_challenged_folder_only() {
        let mut a = auth();
        let value = retry(a.challenged(
            request("/medlemmer/side.html"),
            [r#"Basic realm="Medlemmer", charset="UTF-8""#],
            None,
        ));
        assert_eq!(value, "Basic YXJraXZhcjpoZW1tZWxpZw==");
        assert_eq!(
            a.preemptive(request("/medlemmer/under/x.html")),
            Some(value)
        );
        assert_eq!(a.preemptive(request("/offentlig/")), None);
        assert_eq!(a.preemptive(request("/medlemmerx")), None);
    }

    #[test]
    fn a_refused_answer_is_never_tried_again() {
        let mut a = auth();
        let challenge = [r#"Basic realm="m""#];
        let sent = retry(a.challenged(request("/a"), challenge, None));
        assert_eq!(
            a.challenged(request("/a"), challenge, Some(&sent)),
            Decision::GiveUp(AuthFailure::Rejected { realm: "m".into() })
        );
        assert_eq!(a.preemptive(request("/a")), None, "space forgotten");
        // A later page of the same realm: not answered either.
        assert_eq!(
            a.challenged(request("/b"), challenge, None),
            Decision::GiveUp(AuthFailure::Rejected { realm: "m".into() })
        );
        // Another realm still is.
        retry(a.challenged(request("/c"), [r#"Basic realm="other""#], None));
    }

    #[test]
    fn a_stale_nonce_is_answered_once_with_the_new_one() {
        let mut a = auth();
        let first = retry(a.challenged(
            request("/"),
            [r#"Digest realm="m", nonce="one", qop="auth""#],
            None,
        ));
        let again = retry(a.challenged(
            request("/"),
            [r#"Digest realm="m", nonce="two", qop="auth", stale=true"#],
            Some(&first),
        ));
        assert!(again.contains(r#"nonce="two""#) && again.contains("nc=00000001"));
        // The same nonce called stale again is a refusal, not a loop.
        assert!(matches!(
            a.challenged(
                request("/"),
                [r#"Digest realm="m", nonce="two", qop="auth", stale=true"#],
                Some(&again),
            ),
            Decision::GiveUp(AuthFailure::Rejected { .. })
        ));
    }

    #[test]
    fn what_cannot_be_answered_says_why() {
        let mut a = auth();
        assert_eq!(
            a.challenged(request("/"), Vec::<&str>::new(), None),
            Decision::GiveUp(AuthFailure::NoChallenge)
        );
        assert_eq!(
            a.challenged(request("/"), ["Negotiate, NTLM"], None),
            Decision::GiveUp(AuthFailure::Unsupported {
                offered: vec!["Negotiate".into(), "NTLM".into()]
            })
        );
        assert!(matches!(
            a.challenged(
                request("/"),
                [r#"Digest realm="m", nonce="n", algorithm=SHA3"#],
                None
            ),
            Decision::GiveUp(AuthFailure::Unusable(_))
        ));
        assert!(matches!(
            a.challenged(request("/"), [r#"Basic realm="x"#], None),
            Decision::GiveUp(AuthFailure::Unreadable(_))
        ));
        let mut colon = Authenticator::new(Credentials::new("a:b", Secret::new("p")));
        assert!(matches!(
            colon.challenged(request("/"), [r#"Basic realm="m""#], None),
            Decision::GiveUp(AuthFailure::Unusable(_))
        ));
    }

    #[test]
    fn a_refused_up_front_digest_answer_is_answered_afresh_then_judged() {
        let mut a = auth();
        retry(a.challenged(
            request("/arkiv/"),
            [r#"Digest realm="m", nonce="one", qop="auth""#],
            None,
        ));
        let second = a.preemptive(request("/arkiv/a")).expect("nc 2");
        let _third = a.preemptive(request("/arkiv/b")).expect("nc 3");
        // nc 3 reached the server first, so nc 2 is refused as a replay: not the password's fault.
        let fresh = retry(a.challenged(
            request("/arkiv/a"),
            [r#"Digest realm="m", nonce="two", qop="auth""#],
            Some(&second),
        ));
        assert!(
            fresh.contains(r#"nonce="two""#) && fresh.contains("nc=00000001"),
            "{fresh}"
        );
        // The answer made for that very challenge refused: now it is the password.
        assert_eq!(
            a.challenged(
                request("/arkiv/a"),
                [r#"Digest realm="m", nonce="three", qop="auth""#],
                Some(&fresh),
            ),
            Decision::GiveUp(AuthFailure::Rejected { realm: "m".into() })
        );
    }

    #[test]
    fn digest_domain_limits_the_space() {
        let mut a = auth();
        retry(a.challenged(
            request("/api/x"),
            [r#"Digest realm="m", nonce="n", qop="auth", domain="/api/ http://h/docs/""#],
            None,
        ));
        assert!(a.preemptive(request("/api/y")).is_some());
        assert!(a.preemptive(request("/docs/z")).is_some());
        assert!(a.preemptive(request("/")).is_none());
    }

    #[test]
    fn a_challenge_for_another_realm_is_a_first_challenge() {
        let mut a = auth();
        let arkiv = retry(a.challenged(
            request("/arkiv/"),
            [r#"Digest realm="Arkivet", nonce="a", qop="auth""#],
            None,
        ));
        // A request that carried the archive's answer meets another realm: answered afresh.
        let old = retry(a.challenged(
            request("/arkiv-md5/"),
            [r#"Digest realm="Det gamle arkiv", nonce="b", qop="auth", algorithm=MD5"#],
            Some(&arkiv),
        ));
        assert!(old.contains(r#"realm="Det gamle arkiv""#), "{old}");
        let up_front = a.preemptive(request("/arkiv/1998.html")).expect("archive");
        assert!(up_front.contains(r#"realm="Arkivet""#), "{up_front}");
        let up_front = a.preemptive(request("/arkiv-md5/x")).expect("old archive");
        assert!(
            up_front.contains(r#"realm="Det gamle arkiv""#),
            "{up_front}"
        );
        // A value this authenticator never sent is no refusal of anything.
        assert!(matches!(
            a.challenged(
                request("/x/"),
                [r#"Basic realm="r""#],
                Some("Basic Zm9vOmJhcg==")
            ),
            Decision::Retry(_)
        ));
    }
}
