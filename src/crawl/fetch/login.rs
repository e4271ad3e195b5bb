//! Who receives the user's credentials: an [`Authenticator`] for each origin the user allowed
//! (`--auth-origin`), never consulted for any other origin, and the secret headers
//! (`--header-env`) sent only there. A redirect or an image that leads to another host gets
//! neither.
//!
//! A `401` from an allowed origin is answered at most [`MAX_ANSWERS`] times per fetch (the first
//! challenge, and a Digest nonce that went stale or was refused as sent up front); the
//! authenticator gives a realm up after a refusal, so a wrong password costs one request per realm,
//! not a loop. A `401` from any other origin is kept as the site sent it, with a note (once per
//! origin) saying that the credentials do not go there.
//!
//! Digest answers count: each carries the next `nc` of its nonce, and a careful server refuses a
//! count lower than one it has seen. Requests run side by side, so two answers could reach the
//! server out of order, and the refused one would read as a wrong password. So a request that
//! carries a Digest answer takes its origin's [`Turn`] before the answer is computed and keeps it
//! until its exchange is over; so does the answer to a challenge. Other requests (Basic answers,
//! pages outside the Digest spaces) never wait.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use url::Url;

use crate::auth::{AuthRequest, Authenticator, Credentials, Decision, Secret};

/// Answers sent to the challenges of one fetch, at most.
pub const MAX_ANSWERS: usize = 2;

/// The login part of the fetcher's configuration.
#[derive(Debug, Clone, Default)]
pub struct LoginConfig {
    /// `--user` and its password.
    pub credentials: Option<Credentials>,
    /// The only origins that get the credentials and the secret headers.
    pub origins: Vec<url::Origin>,
    /// Headers sent to `origins` only.
    pub secret_headers: Vec<(String, Secret)>,
}

/// What to do about a `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Not for the credentials: no login for this origin. Kept as the site sent it.
    NotOurs,
    /// Send the request again with this `Authorization`.
    Retry(String),
    /// The credentials cannot answer it (refused, unsupported): `failed:auth` with this reason.
    Refused(String),
}

/// Held while a Digest answer of one origin is on its way (see the module comment).
pub(crate) type Turn<'a> = tokio::sync::MutexGuard<'a, ()>;

/// One origin that may receive the credentials.
#[derive(Debug)]
struct Allowed {
    origin: url::Origin,
    auth: Option<Mutex<Authenticator>>,
    turn: tokio::sync::Mutex<()>,
}

/// See the module comment.
#[derive(Debug)]
pub(crate) struct Login {
    origins: Vec<Allowed>,
    secret_headers: Vec<(String, Secret)>,
    /// Origins already told about (a 401 they send is not the credentials' to answer).
    noted: Mutex<HashSet<String>>,
}

impl Login {
    pub fn new(config: &LoginConfig) -> Login {
        Login {
            origins: config
                .origins
                .iter()
                .map(|origin| Allowed {
                    origin: origin.clone(),
                    auth: config
                        .credentials
                        .clone()
                        .map(|c| Mutex::new(Authenticator::new(c))),
                    turn: tokio::sync::Mutex::new(()),
                })
                .collect(),
            secret_headers: config.secret_headers.clone(),
            noted: Mutex::new(HashSet::new()),
        }
    }

    fn entry(&self, url: &Url) -> Option<&Allowed> {
        let origin = url.origin();
        self.origins.iter().find(|a| a.origin == origin)
    }

    fn authenticator(&self, url: &Url) -> Option<MutexGuard<'_, Authenticator>> {
        // A panic elsewhere leaves the spaces usable.
        self.entry(url)?
            .auth
            .as_ref()
            .map(|a| a.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether anything secret goes to `url` (credentials or secret headers).
    pub fn sends_secrets(&self, url: &Url) -> bool {
        self.entry(url)
            .is_some_and(|a| a.auth.is_some() || !self.secret_headers.is_empty())
    }

    /// The secret headers for a request to `url` (none outside the allowed origins).
    pub fn headers_for(&self, url: &Url) -> Vec<(String, String)> {
        if self.entry(url).is_none() {
            return Vec::new();
        }
        self.secret_headers
            .iter()
            .map(|(name, value)| (name.clone(), value.expose().to_owned()))
            .collect()
    }

    /// The `Authorization` to send up front, where an earlier challenge covers the request, and
    /// for a Digest answer the origin's turn, to keep until the exchange is over.
    pub async fn preemptive(
        &self,
        url: &Url,
        request: AuthRequest<'_>,
    ) -> (Option<String>, Option<Turn<'_>>) {
        let Some(allowed) = self.entry(url) else {
            return (None, None);
        };
        let digest = self
            .authenticator(url)
            .is_some_and(|auth| auth.digest_up_front(request.path));
        // The turn first, then the answer: counts go out in the order they are given.
        let turn = match digest {
            true => Some(allowed.turn.lock().await),
            false => None,
        };
        let value = self
            .authenticator(url)
            .and_then(|mut auth| auth.preemptive(request));
        (value, turn)
    }

    /// Decides about a `401` to `request` for `url`; `sent` is the `Authorization` it carried.
    /// A Digest answer comes with the origin's turn, to keep until the exchange is over.
    pub async fn challenged<'a>(
        &self,
        url: &Url,
        request: AuthRequest<'_>,
        challenges: impl IntoIterator<Item = &'a str>,
        sent: Option<&str>,
    ) -> (Reply, Option<Turn<'_>>) {
        let turn = match self.entry(url) {
            Some(allowed) if allowed.auth.is_some() => Some(allowed.turn.lock().await),
            _ => None,
        };
        let reply = self.decide(url, request, challenges, sent);
        let digest = matches!(&reply, Reply::Retry(value) if value.starts_with("Digest "));
        (reply, turn.filter(|_| digest))
    }

    fn decide<'a>(
        &self,
        url: &Url,
        request: AuthRequest<'_>,
        challenges: impl IntoIterator<Item = &'a str>,
        sent: Option<&str>,
    ) -> Reply {
        let Some(mut auth) = self.authenticator(url) else {
            if self.sends_secrets(url) {
                return Reply::Refused(
                    "the site refused the --header-env headers, and there is no --user to answer \
                     its challenge (the 401 is archived as sent)"
                        .to_owned(),
                );
            }
            self.note_unanswered(url);
            return Reply::NotOurs;
        };
        match auth.challenged(request, challenges, sent) {
            Decision::Retry(value) => Reply::Retry(value),
            Decision::GiveUp(failure) => {
                Reply::Refused(format!("{failure} (the 401 is archived as sent)"))
            }
        }
    }

    /// Says once per origin why its 401s are archived unanswered.
    fn note_unanswered(&self, url: &Url) {
        let origin = url.origin().ascii_serialization();
        let first = self
            .noted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(origin.clone());
        if !first {
            return;
        }
        if self.origins.iter().any(|a| a.auth.is_some()) {
            let allowed: Vec<String> = self
                .origins
                .iter()
                .map(|a| a.origin.ascii_serialization())
                .collect();
            tracing::warn!(
                "{origin} asks for credentials (401, archived as sent); they go only to {} \
                 (add --auth-origin {origin} to answer it)",
                allowed.join(", ")
            );
        } else {
            tracing::info!(
                "{origin} asks for credentials (401, archived as sent); to log in, give --user \
                 and --password-env"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Login {
        Login::new(&LoginConfig {
            credentials: Some(Credentials::new("arkivar", Secret::new("pw"))),
            origins: vec![Url::parse("http://127.0.0.1:8080/").unwrap().origin()],
            secret_headers: vec![("X-Token".into(), Secret::new("t"))],
        })
    }

    fn get(target: &str) -> AuthRequest<'_> {
        AuthRequest {
            method: "GET",
            path: target,
            target,
        }
    }

    #[tokio::test]
    async fn another_origin_gets_nothing() {
        let login = login();
        let home = Url::parse("http://127.0.0.1:8080/kontor/").unwrap();
        for other in [
            "http://localhost:8080/kontor/",
            "https://127.0.0.1:8080/kontor/",
            "http://127.0.0.1:8081/kontor/",
        ] {
            let other = Url::parse(other).unwrap();
            assert!(login.headers_for(&other).is_empty(), "{other}");
            let (reply, turn) = login
                .challenged(&other, get("/kontor/"), [r#"Basic realm="k""#], None)
                .await;
            assert_eq!(reply, Reply::NotOurs, "{other}");
            assert!(turn.is_none());
        }
        assert_eq!(login.headers_for(&home).len(), 1);
        let (Reply::Retry(value), None) = login
            .challenged(&home, get("/kontor/"), [r#"Basic realm="k""#], None)
            .await
        else {
            panic!("the allowed origin is answered, and Basic takes no turn");
        };
        let (up_front, turn) = login.preemptive(&home, get("/kontor/x")).await;
        assert_eq!(up_front, Some(value.clone()));
        assert!(turn.is_none());
        let elsewhere = Url::parse("http://localhost:8080/kontor/x").unwrap();
        assert_eq!(login.preemptive(&elsewhere, get("/kontor/x")).await.0, None);
        assert!(matches!(
            login
                .challenged(&home, get("/kontor/"), [r#"Basic realm="k""#], Some(&value))
                .await
                .0,
            Reply::Refused(_)
        ));
    }

    #[tokio::test]
    async fn digest_answers_take_turns() {
        let login = login();
        let home = Url::parse("http://127.0.0.1:8080/arkiv/").unwrap();
        let challenge = [r#"Digest realm="a", nonce="n", qop="auth""#];
        let (reply, turn) = login
            .challenged(&home, get("/arkiv/"), challenge, None)
            .await;
        assert!(matches!(reply, Reply::Retry(_)));
        assert!(turn.is_some(), "the answer holds the turn");
        let page = Url::parse("http://127.0.0.1:8080/arkiv/1998.html").unwrap();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            login.preemptive(&page, get("/arkiv/1998.html")),
        )
        .await;
        assert!(waiting.is_err(), "an answer up front waits for the turn");
        drop(turn);
        let (value, turn) = login.preemptive(&page, get("/arkiv/1998.html")).await;
        assert!(value.is_some_and(|v| v.contains("nc=00000002")));
        assert!(turn.is_some());
    }
}
