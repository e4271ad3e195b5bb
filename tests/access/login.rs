//! The authenticator visits the members site's areas page by page as a crawl would: one 401 per
//! protection space, answers up front after that, a stale nonce renewed, a wrong password given up
//! at once and never retried.

use arkiv::auth::{AuthFailure, AuthRequest, Authenticator, Credentials, Decision, Secret};
use arkiv::fixture::{FixtureServer, ServeOptions};

use crate::fixture_server::wire;

const PASSWORD: &str = "blåbær-grød 42";

/// What visiting one page came to.
#[derive(Debug)]
struct Visit {
    status: u16,
    /// 401s received on the way.
    challenges: usize,
    failure: Option<AuthFailure>,
}

fn visit(server: &FixtureServer, auth: &mut Authenticator, target: &str) -> Visit {
    let request = AuthRequest {
        method: "GET",
        path: target,
        target,
    };
    let mut value = auth.preemptive(request);
    // A crawl allows one answer per challenge; three rounds would already be a loop.
    for challenges in 0..3 {
        let headers: Vec<(String, String)> = value
            .iter()
            .map(|v| ("Authorization".to_owned(), v.clone()))
            .collect();
        let response = wire::parse_response(&wire::get_with(server.addr(), target, &headers).bytes);
        if response.status() != 401 {
            return Visit {
                status: response.status(),
                challenges,
                failure: None,
            };
        }
        let challenges = challenges + 1;
        match auth.challenged(
            request,
            response.header_all("www-authenticate"),
            value.as_deref(),
        ) {
            Decision::Retry(next) => value = Some(next),
            Decision::GiveUp(failure) => {
                return Visit {
                    status: 401,
                    challenges,
                    failure: Some(failure),
                };
            }
        }
    }
    panic!("{target}: still challenged after three answers");
}

fn members() -> FixtureServer {
    FixtureServer::start("members", ServeOptions::default()).expect("members site")
}

fn arkivar(password: &str) -> Authenticator {
    Authenticator::new(Credentials::new("arkivar", Secret::new(password)))
}

#[test]
fn each_area_costs_one_challenge_and_a_stale_nonce_one_more() {
    let server = members();
    let mut auth = arkivar(PASSWORD);
    let office = [
        "/kontor/",
        "/kontor/referat-2019.html",
        "/kontor/billede.html",
    ];
    let visits: Vec<Visit> = office
        .iter()
        .map(|t| visit(&server, &mut auth, t))
        .collect();
    assert!(visits.iter().all(|v| v.status == 200), "{visits:?}");
    assert_eq!(visits.iter().map(|v| v.challenges).sum::<usize>(), 1);

    // Digest: SHA-256 chosen; nonce_uses = 4, so the sixth page meets a stale nonce.
    let archive = [
        "/arkiv/",
        "/arkiv/1998.html",
        "/arkiv/1999.html",
        "/arkiv/2000.html",
        "/arkiv/2001.html",
        "/arkiv/2002.html",
    ];
    let visits: Vec<Visit> = archive
        .iter()
        .map(|t| visit(&server, &mut auth, t))
        .collect();
    assert!(visits.iter().all(|v| v.status == 200), "{visits:?}");
    let challenged: Vec<usize> = visits.iter().map(|v| v.challenges).collect();
    assert_eq!(
        challenged,
        [1, 0, 0, 0, 1, 0],
        "first page, then the stale nonce"
    );
    let answers: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/arkiv/"))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(answers.iter().all(|a| a.contains("algorithm=SHA-256")));
    assert!(answers.iter().any(|a| a.contains("nc=00000004")));

    let old = visit(&server, &mut auth, "/arkiv-md5/kirkebog.html");
    assert_eq!((old.status, old.challenges), (200, 1));
}

#[test]
fn a_wrong_password_is_tried_once_per_realm_and_never_again() {
    let server = members();
    let mut auth = arkivar("forkert");
    let first = visit(&server, &mut auth, "/kontor/");
    assert_eq!(first.status, 401);
    assert_eq!(first.challenges, 2, "the challenge, then the refusal");
    assert_eq!(
        first.failure,
        Some(AuthFailure::Rejected {
            realm: "Kontoret".into()
        })
    );
    let second = visit(&server, &mut auth, "/kontor/referat-2019.html");
    assert_eq!(
        (second.status, second.challenges),
        (401, 1),
        "no answer sent"
    );
    let sent: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(sent, ["/kontor/"], "one wrong answer in all");
    // Another realm is still tried (once).
    let digest = visit(&server, &mut auth, "/arkiv/");
    assert_eq!((digest.status, digest.challenges), (401, 2));
}

#[test]
fn credentials_answer_only_challenges_and_public_pages_get_none() {
    let server = members();
    let mut auth = arkivar(PASSWORD);
    for page in ["/", "/offentlig/", "/kontor/", "/offentlig/"] {
        assert_eq!(visit(&server, &mut auth, page).status, 200, "{page}");
    }
    let with_credentials: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(with_credentials, ["/kontor/"], "the office's folder only");
}
