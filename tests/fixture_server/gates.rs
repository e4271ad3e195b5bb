//! The members site's gates on the wire: Basic, Digest (algorithms, nc, stale nonces, replays,
//! wrong answers) and the session cookie of its cookies.txt.

use std::time::SystemTime;

use arkiv::auth::{
    Credentials, DigestChallenge, DigestSession, Secret, basic_authorization, parse_challenges,
    parse_cookie_file,
};
use arkiv::fixture::{self, FixtureServer, ServeOptions};

use super::wire::{self, Response};

const USER: &str = "arkivar";
const PASSWORD: &str = "blåbær-grød 42";

fn members() -> FixtureServer {
    FixtureServer::start("members", ServeOptions::default()).expect("members site")
}

fn get(server: &FixtureServer, target: &str, headers: &[(String, String)]) -> Response {
    wire::parse_response(&wire::get_with(server.addr(), target, headers).bytes)
}

fn authorization(value: String) -> Vec<(String, String)> {
    vec![("Authorization".to_owned(), value)]
}

fn credentials(password: &str) -> Credentials {
    Credentials::new(USER, Secret::new(password))
}

/// A Digest session on the first (or `algorithm`'s) challenge of a 401.
fn session(denied: &Response, algorithm: Option<&str>) -> DigestSession {
    assert_eq!(denied.status(), 401, "{}", denied.status_line);
    let challenges = parse_challenges(denied.header_all("www-authenticate")).expect("parses");
    let chosen = challenges
        .iter()
        .find(|c| algorithm.is_none_or(|a| c.param("algorithm") == Some(a)))
        .expect("the algorithm is offered");
    DigestSession::new(DigestChallenge::from_challenge(chosen).expect("digest"))
}

fn answer(session: &mut DigestSession, password: &str, target: &str) -> Vec<(String, String)> {
    authorization(
        session
            .authorization(&credentials(password), "GET", target, b"")
            .expect("answer"),
    )
}

#[test]
fn basic_lets_the_right_password_in_and_nothing_else() {
    let server = members();
    let denied = get(&server, "/kontor/", &[]);
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.header_all("www-authenticate"),
        [r#"Basic realm="Kontoret", charset="UTF-8""#]
    );
    assert!(String::from_utf8_lossy(&denied.body).contains("401 Unauthorized"));
    let right = basic_authorization(&credentials(PASSWORD), true).expect("basic");
    let page = get(
        &server,
        "/kontor/referat-2019.html",
        &authorization(right.clone()),
    );
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.body,
        fixture::site_file("members", "root/kontor/referat-2019.html").expect("file")
    );
    let wrong = basic_authorization(&credentials("blabaer-grod 42"), true).expect("basic");
    assert_eq!(
        get(&server, "/kontor/", &authorization(wrong)).status(),
        401
    );
    assert_eq!(
        get(&server, "/kontor/", &authorization("Basic !!!".into())).status(),
        401
    );
    // Basic credentials do not open the Digest area.
    assert_eq!(get(&server, "/arkiv/", &authorization(right)).status(), 401);
    // The public pages ask for nothing; the front page sets the site's own cookie.
    let home = get(&server, "/", &[]);
    assert_eq!(home.status(), 200);
    assert_eq!(home.header("set-cookie"), Some("sprog=da; Path=/"));
}

#[test]
fn the_way_out_of_the_office_names_another_host() {
    let server = members();
    let pass = authorization(basic_authorization(&credentials(PASSWORD), true).expect("b"));
    let port = server.addr().port();
    let away = get(&server, "/kontor/ud", &pass);
    assert_eq!(away.status(), 302);
    assert_eq!(
        away.header("location"),
        Some(format!("http://localhost:{port}/offentlig/").as_str())
    );
    let picture = get(&server, "/kontor/billede.html", &pass);
    assert!(
        String::from_utf8_lossy(&picture.body)
            .contains(&format!("src=\"http://localhost:{port}/img/segl.png\""))
    );
}

#[test]
fn digest_offers_sha256_then_md5_and_checks_every_answer() {
    let server = members();
    let denied = get(&server, "/arkiv/", &[]);
    let offered = denied.header_all("www-authenticate");
    assert_eq!(offered.len(), 2);
    assert!(offered[0].contains("algorithm=SHA-256") && offered[1].contains("algorithm=MD5"));
    for algorithm in ["SHA-256", "MD5"] {
        let mut s = session(&get(&server, "/arkiv/", &[]), Some(algorithm));
        for target in ["/arkiv/", "/arkiv/1998.html", "/arkiv/1999.html"] {
            let page = get(&server, target, &answer(&mut s, PASSWORD, target));
            assert_eq!(page.status(), 200, "{algorithm} {target}");
        }
    }
    let md5_only = get(&server, "/arkiv-md5/", &[]);
    let offered = md5_only.header_all("www-authenticate");
    assert_eq!(offered.len(), 1);
    assert!(offered[0].contains("algorithm=MD5"));
    let mut s = session(&md5_only, None);
    let target = "/arkiv-md5/kirkebog.html";
    assert_eq!(
        get(&server, target, &answer(&mut s, PASSWORD, target)).status(),
        200
    );
}

#[test]
fn digest_refuses_wrong_passwords_replays_and_answers_for_another_uri() {
    let server = members();
    let mut s = session(&get(&server, "/arkiv/", &[]), None);
    let wrong = get(&server, "/arkiv/", &answer(&mut s, "forkert", "/arkiv/"));
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .header_all("www-authenticate")
            .iter()
            .all(|c| !c.contains("stale")),
        "a wrong password is not stale"
    );

    let mut s = session(&get(&server, "/arkiv/", &[]), None);
    let first = answer(&mut s, PASSWORD, "/arkiv/");
    assert_eq!(get(&server, "/arkiv/", &first).status(), 200);
    assert_eq!(get(&server, "/arkiv/", &first).status(), 401, "replayed nc");

    let for_other = answer(&mut s, PASSWORD, "/arkiv/1998.html");
    assert_eq!(get(&server, "/arkiv/1999.html", &for_other).status(), 401);
}

#[test]
fn a_used_up_or_unknown_nonce_is_stale_and_a_fresh_one_works() {
    let server = members();
    let mut s = session(&get(&server, "/arkiv/", &[]), None);
    // nonce_uses = 4 in site.toml.
    for year in ["1998", "1999", "2000", "2001"] {
        let target = format!("/arkiv/{year}.html");
        assert_eq!(
            get(&server, &target, &answer(&mut s, PASSWORD, &target)).status(),
            200
        );
    }
    let fifth = get(
        &server,
        "/arkiv/2002.html",
        &answer(&mut s, PASSWORD, "/arkiv/2002.html"),
    );
    assert_eq!(fifth.status(), 401);
    let challenges = parse_challenges(fifth.header_all("www-authenticate")).expect("parses");
    let fresh = DigestChallenge::from_challenge(&challenges[0]).expect("digest");
    assert!(fresh.stale, "{challenges:?}");
    assert_ne!(fresh.nonce, s.challenge().nonce);
    let mut renewed = DigestSession::new(fresh);
    let target = "/arkiv/2002.html";
    assert_eq!(
        get(&server, target, &answer(&mut renewed, PASSWORD, target)).status(),
        200
    );

    // A right answer with a nonce the server never issued (as after a restart): stale.
    let issued = session(&get(&server, "/arkiv/", &[]), None);
    let mut forged = issued.challenge().clone();
    forged.nonce = "0000feedface".into();
    let mut unknown = DigestSession::new(forged);
    let response = get(
        &server,
        "/arkiv/",
        &answer(&mut unknown, PASSWORD, "/arkiv/"),
    );
    assert_eq!(response.status(), 401);
    assert!(response.header_all("www-authenticate")[0].ends_with(", stale=true"));
    // The same with a wrong password is no stale nonce, just a refusal.
    let mut forged = issued.challenge().clone();
    forged.nonce = "0000feedface".into();
    let mut unknown = DigestSession::new(forged);
    let response = get(
        &server,
        "/arkiv/",
        &answer(&mut unknown, "forkert", "/arkiv/"),
    );
    assert!(!response.header_all("www-authenticate")[0].contains("stale"));
}

#[test]
fn the_members_pages_need_the_cookie_from_cookies_txt() {
    let server = members();
    let denied = get(&server, "/medlemmer/", &[]);
    assert_eq!(denied.status(), 403);
    assert!(String::from_utf8_lossy(&denied.body).contains("Log in first"));
    let file = fixture::site_file("members", "cookies.txt").expect("cookies.txt");
    let cookies = parse_cookie_file(file, SystemTime::now()).expect("a valid cookie file");
    assert!(cookies.skipped.is_empty());
    let pairs: Vec<String> = cookies
        .cookies
        .iter()
        .filter(|c| c.domain == "127.0.0.1")
        .map(|c| format!("{}={}", c.name, c.value.expose()))
        .collect();
    assert_eq!(pairs.len(), 1);
    let header = vec![("Cookie".to_owned(), format!("sprog=da; {}", pairs[0]))];
    for page in [
        "/medlemmer/",
        "/medlemmer/kalender.html",
        "/medlemmer/adresser.html",
    ] {
        assert_eq!(get(&server, page, &header).status(), 200, "{page}");
    }
    let wrong = vec![("Cookie".to_owned(), "medlem=gaet".to_owned())];
    assert_eq!(get(&server, "/medlemmer/", &wrong).status(), 403);
}

#[test]
fn gate_keys_are_checked_with_clear_errors() {
    let parse = |route: &str| {
        fixture::SiteConfig::parse(
            "t",
            &format!("[site]\ntitle = \"t\"\n[[route]]\nprefix = \"/a/\"\n{route}\n"),
            |_| true,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let gate = |extra: &str| {
        format!(
            "auth = {{ scheme = \"digest\", user = \"u\", password = \"p\", realm = \"r\"{extra} }}"
        )
    };
    assert!(parse(&gate("")).is_ok());
    assert!(
        parse(&gate(
            ", algorithms = [\"SHA-512-256-sess\"], nonce_uses = 2"
        ))
        .is_ok()
    );
    for (route, expected) in [
        (gate(", algorithms = [\"SHA-1\"]"), "\"SHA-1\" is none of"),
        (gate(", nonce_uses = 0"), "at least 1"),
        (
            "auth = { scheme = \"basic\", user = \"u:v\", password = \"p\", realm = \"r\" }"
                .to_owned(),
            "no ':'",
        ),
        (
            "auth = { scheme = \"basic\", user = \"u\", password = \"p\", realm = \"r\", nonce_uses = 1 }"
                .to_owned(),
            "go with scheme \"digest\"",
        ),
        (
            "auth = { scheme = \"ntlm\", user = \"u\", password = \"p\", realm = \"r\" }".to_owned(),
            "ntlm",
        ),
        ("require_cookie = \"no-equals\"".to_owned(), "one name=value pair"),
        ("require_cookie = \"a=1; b=2\"".to_owned(), "one name=value pair"),
    ] {
        let err = parse(&route).expect_err(&route);
        assert!(err.contains(expected), "{route}: {err}");
    }
}
