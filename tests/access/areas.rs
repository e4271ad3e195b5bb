//! Through the CLI, the members site's areas: each archived whole with the flags that open it and
//! only with them, a refused password ending `failed:auth` without a loop, and credentials that
//! never reach another host (a redirect to `localhost`, an image from there).

use arkiv::fixture::LoggedRequest;

use super::members::{
    PAGES, PASSWORD, PASSWORD_ENV, SESSION, USER, all_flags, basic_token, cookies_txt, crawl,
    members,
};

/// The requests the server received that carried the account's credentials or the session.
fn secret_requests(requests: &[LoggedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| {
            r.header("authorization").is_some()
                || r.header("cookie").is_some_and(|c| c.contains(SESSION))
        })
        .map(|r| format!("{} {}", r.header("host").unwrap_or("?"), r.target))
        .collect()
}

#[test]
fn without_credentials_the_gates_are_archived_as_the_site_sent_them() {
    let server = members();
    let base = server.url();
    let run = crawl(&[base.to_string()], &[], &[]);
    assert_eq!(
        run.code(),
        Some(0),
        "a 401 visitors saw is archived faithfully"
    );
    for (path, status) in [
        ("kontor/", "401"),
        ("arkiv/", "401"),
        ("arkiv-md5/", "401"),
        ("medlemmer/", "403"),
        ("offentlig/", "200"),
    ] {
        let url = base.join(path).expect("url").to_string();
        assert_eq!(
            run.lines_for(&url),
            [(status.to_owned(), "archived".to_owned())],
            "{url}"
        );
    }
    // What lies behind the gates is not even known.
    let log = run.log();
    assert!(
        !log.iter()
            .any(|f| f[4].contains("referat") || f[4].contains("1998")),
        "{log:?}"
    );
    assert!(secret_requests(&server.requests()).is_empty());
}

#[test]
fn each_area_opens_with_its_own_flag_and_only_with_it() {
    let server = members();
    let base = server.url();
    let env = [(PASSWORD_ENV, PASSWORD)];
    let login = crawl(
        &[base.to_string()],
        &["--user", USER, "--password-env", PASSWORD_ENV],
        &env,
    );
    assert_eq!(login.code(), Some(0), "{}", login.stderr());
    let cookies = cookies_txt().display().to_string();
    let session = crawl(&[base.to_string()], &["--load-cookies", &cookies], &[]);
    assert_eq!(session.code(), Some(0), "{}", session.stderr());
    for (path, status) in PAGES {
        let url = base.join(path).expect("url").to_string();
        let behind_login = path.starts_with("/kontor/") || path.starts_with("/arkiv");
        let members_only = path.starts_with("/medlemmer/");
        let last = |run: &super::members::Run| run.last_for(&url).map(|(s, _)| s);
        let want = status.to_string();
        if members_only {
            assert_eq!(
                last(&session).as_ref(),
                Some(&want),
                "{url} with the cookies"
            );
            let without = login.last_for(&url);
            assert!(
                without.is_none() || without == Some(("403".into(), "archived".into())),
                "{url} without the cookies: {without:?}"
            );
        } else if behind_login {
            assert_eq!(last(&login).as_ref(), Some(&want), "{url} with --user");
            let without = session.last_for(&url);
            assert!(
                without.is_none() || without == Some(("401".into(), "archived".into())),
                "{url} without --user: {without:?}"
            );
        } else {
            // Public, though the seal is only shown on the office's pages.
            assert_eq!(last(&login).as_ref(), Some(&want), "{url}");
            let with_session = last(&session);
            assert!(
                with_session.is_none() || with_session.as_ref() == Some(&want),
                "{url}: {with_session:?}"
            );
        }
    }
    // One challenge per protection space, then answers up front: the office's Basic space
    // costs one 401 for three pages, the old archive one for two; the archive's nonce goes
    // stale after four answers, which costs one more.
    let challenges = |prefix: &str| {
        login
            .log()
            .iter()
            .filter(|f| {
                f[4].starts_with(&format!("{base}{prefix}")) && f.last().unwrap() == "challenged"
            })
            .count()
    };
    assert_eq!(challenges("kontor/"), 1);
    assert_eq!(challenges("arkiv-md5/"), 1);
    assert!(
        (1..=4).contains(&challenges("arkiv/")),
        "{}",
        challenges("arkiv/")
    );
    for run in [&login, &session] {
        assert!(
            !run.log()
                .iter()
                .any(|f| f.last().unwrap().starts_with("failed")),
            "{:?}",
            run.log()
        );
    }
    // Every challenge is archived beside the page it guarded (request and response).
    let text = login.warc_text();
    assert!(text.contains("HTTP/1.1 401 Unauthorized\r\n"));
    assert!(text.contains("WWW-Authenticate: Basic realm=\"Kontoret\""));
}

#[test]
fn a_wrong_password_ends_failed_auth_once_per_area_and_the_crawl_goes_on() {
    let server = members();
    let base = server.url();
    let run = crawl(
        &[base.to_string()],
        &["--user", USER, "--password-env", PASSWORD_ENV],
        &[(PASSWORD_ENV, "forkert")],
    );
    assert_eq!(
        run.code(),
        Some(1),
        "URLs behind a refused login are findings"
    );
    for area in ["kontor/", "arkiv/", "arkiv-md5/"] {
        let url = base.join(area).expect("url").to_string();
        assert_eq!(
            run.lines_for(&url),
            [
                ("401".to_owned(), "challenged".to_owned()),
                ("401".to_owned(), "failed:auth".to_owned())
            ],
            "{url}: the challenge, one answer, its refusal"
        );
    }
    // The public pages are archived all the same.
    let public = base.join("offentlig/").expect("url").to_string();
    assert_eq!(
        run.last_for(&public),
        Some(("200".into(), "archived".into()))
    );
    // One wrong answer per realm reached the server, no more.
    let answered: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(answered.len(), 3, "{answered:?}");
    let summary: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(run.out.join("reports/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["by_outcome"]["failed:auth"], 3, "{summary}");
    let reasons = summary["failures"].to_string();
    assert!(
        reasons.contains("the credentials were refused for realm"),
        "{reasons}"
    );
    assert!(!reasons.contains("forkert"), "{reasons}");
    // The WARC says why the 401 stands for the page, and its mirror page is the 401 as sent.
    assert!(run.warc_text().contains("arkiv-outcome: failed:auth"));
    assert!(run.stderr().contains("failed") || run.stderr().contains("refused"));
}

#[test]
fn credentials_never_reach_another_host() {
    let server = members();
    let base = server.url();
    let port = base.port().expect("port");
    // A seed that redirects to `localhost` brings that host into the crawl's scope, so its pages
    // (and its own gates) are fetched: credentials must still not go there.
    let seeds = [
        base.to_string(),
        base.join("kontor/ud").expect("url").to_string(),
    ];
    let env = [(PASSWORD_ENV, PASSWORD)];
    let run = crawl(
        &seeds,
        &all_flags().iter().map(String::as_str).collect::<Vec<_>>(),
        &env,
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let other = format!("localhost:{port}");
    let requests = server.requests();
    let to_other: Vec<&LoggedRequest> = requests
        .iter()
        .filter(|r| r.header("host") == Some(other.as_str()))
        .collect();
    let paths: Vec<&str> = to_other.iter().map(|r| r.path()).collect();
    for wanted in ["/offentlig/", "/img/segl.png", "/kontor/"] {
        assert!(paths.contains(&wanted), "{wanted} on {other}: {paths:?}");
    }
    let leaked: Vec<String> = secret_requests(&requests)
        .into_iter()
        .filter(|r| !r.starts_with(&format!("127.0.0.1:{port} ")))
        .collect();
    assert!(leaked.is_empty(), "credentials sent elsewhere: {leaked:?}");
    assert!(
        !to_other
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(&basic_token()))),
        "no Basic answer on another host"
    );
    // Its gate is archived as it answered, and the operator is told how to allow it.
    let gate = format!("http://{other}/kontor/");
    assert_eq!(run.last_for(&gate), Some(("401".into(), "archived".into())));
    assert!(
        run.stderr()
            .contains(&format!("--auth-origin http://{other}")),
        "{}",
        run.stderr()
    );
    // The home origin's gates opened.
    let office = base
        .join("kontor/referat-2019.html")
        .expect("url")
        .to_string();
    assert_eq!(
        run.last_for(&office),
        Some(("200".into(), "archived".into()))
    );

    // Named with --auth-origin, the other host is answered too.
    let mut flags = all_flags();
    flags.extend([
        "--auth-origin".to_owned(),
        format!("http://127.0.0.1:{port}"),
        "--auth-origin".to_owned(),
        format!("http://{other}/"),
    ]);
    let both = crawl(
        &seeds,
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
        &env,
    );
    assert_eq!(both.code(), Some(0), "{}", both.stderr());
    let (status, outcome) = both.last_for(&gate).expect("the other host's gate");
    // The same page as on the home origin: a revisit of its payload.
    assert_eq!(status, "200");
    assert!(
        matches!(outcome.as_str(), "archived" | "revisit"),
        "{outcome}"
    );
}

#[test]
fn a_session_cookie_from_the_environment_opens_the_members_pages() {
    let server = members();
    let base = server.url();
    let cookie = format!("medlem={SESSION}");
    let run = crawl(
        &[base.to_string()],
        &["--header-env", "Cookie=ARKIV_TEST_MEMBERS_COOKIE"],
        &[("ARKIV_TEST_MEMBERS_COOKIE", &cookie)],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let page = base
        .join("medlemmer/adresser.html")
        .expect("url")
        .to_string();
    assert_eq!(run.last_for(&page), Some(("200".into(), "archived".into())));
    let text = run.warc_text();
    assert!(!text.contains(SESSION));
    assert!(
        text.contains("Cookie: medlem=ARKIV-REDACTED"),
        "masked as a loaded cookie"
    );
    assert!(text.contains("arkiv-redacts: Cookie medlem"));
    let toml = fs_err::read_to_string(run.out.join("arkiv.toml")).expect("arkiv.toml");
    assert!(
        toml.contains("header-env = [\"Cookie=ARKIV_TEST_MEMBERS_COOKIE\"]"),
        "{toml}"
    );
    assert!(!toml.contains(SESSION), "{toml}");
}
