//! Through the CLI, a crawl behind a login holds no secret in anything it writes: not the
//! password, the auth header values, the loaded cookie's value or a secret header's, in any WARC
//! (decompressed), the CDXJ, `arkiv.toml`, the reports, the manifest, the mirror, the state or a
//! WACZ of the crawl; the request records say what they mask, responses stay exact, warcio reads
//! every record; and secrets offered on the command line are refused.

use arkiv::warc::redact::{REDACTED, REDACTED_FIELD};
use arkiv::warc::{RecordType, WarcReader};

use super::members::{
    PASSWORD, PASSWORD_ENV, SESSION, USER, all_flags, basic_token, crawl, holds, members,
    warcio_accepts,
};
use crate::support::{arkiv, warc_records};

const TOKEN: &str = "tok-5d1c-arkivets-nøgle";
const TOKEN_ENV: &str = "ARKIV_TEST_MEMBERS_TOKEN";

#[test]
fn no_secret_in_any_output_file_and_every_reader_takes_the_warc() {
    let server = members();
    let base = server.url();
    let mut flags = all_flags();
    flags.extend([
        "--header-env".to_owned(),
        format!("X-Arkiv-Token={TOKEN_ENV}"),
        "--header".to_owned(),
        "Accept-Language: da".to_owned(),
    ]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let run = crawl(
        &[base.to_string()],
        &flags,
        &[(PASSWORD_ENV, PASSWORD), (TOKEN_ENV, TOKEN)],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let wacz = arkiv()
        .arg("wacz")
        .arg(&run.out)
        .output()
        .expect("arkiv wacz");
    assert!(
        wacz.status.success(),
        "{}",
        String::from_utf8_lossy(&wacz.stderr)
    );
    // verify holds; its reports are among the files searched below.
    let verify = arkiv()
        .arg("verify")
        .arg(&run.out)
        .output()
        .expect("verify");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // The site really got them: the test looks for values that were on the wire.
    let requests = server.requests();
    let sent = |needle: &str| {
        requests
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(needle)))
    };
    for value in [SESSION, TOKEN, &basic_token()] {
        assert!(sent(value), "{value} was sent");
    }
    // The token went to the auth origin only: not with the seal fetched from `localhost`.
    let port = base.port().expect("port");
    let elsewhere: Vec<_> = requests
        .iter()
        .filter(|r| r.header("host") == Some(format!("localhost:{port}").as_str()))
        .collect();
    assert!(!elsewhere.is_empty(), "the off-site image was fetched");
    assert!(
        elsewhere.iter().all(|r| r.header("x-arkiv-token").is_none()
            && r.header("authorization").is_none()
            && r.header("cookie").is_none_or(|c| !c.contains(SESSION))),
        "{elsewhere:?}"
    );
    let digest_answers: Vec<String> = requests
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter(|v| v.starts_with("Digest "))
        .map(str::to_owned)
        .collect();
    assert!(!digest_answers.is_empty());
    let response_values: Vec<String> = digest_answers
        .iter()
        .filter_map(|v| v.split("response=\"").nth(1))
        .filter_map(|v| v.split('"').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(response_values.len(), digest_answers.len());

    let outputs = run.every_output();
    let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "arkiv.toml",
        "indexes/index.cdxj",
        "manifest.jsonl",
        "reports/crawl.log",
        "reports/summary.json",
        "reports/verify.json",
        "state/crawl.sqlite3",
        "out.wacz",
        "out.wacz!datapackage.json",
        "out.wacz!pages/pages.jsonl",
    ] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }
    assert!(
        names.iter().any(|n| n.starts_with("out.wacz!archive/")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("mirror/")), "{names:?}");
    let mut secrets = vec![
        PASSWORD.to_owned(),
        SESSION.to_owned(),
        TOKEN.to_owned(),
        basic_token(),
    ];
    secrets.extend(response_values);
    for (name, bytes) in &outputs {
        for secret in &secrets {
            assert!(!holds(bytes, secret), "{secret:?} is in {name}");
        }
    }
    for stream in [&run.output.stdout, &run.output.stderr] {
        for secret in &secrets {
            assert!(!holds(stream, secret), "{secret:?} printed");
        }
    }

    // arkiv.toml names the user, the variables and the cookie file, never a value.
    let toml = fs_err::read_to_string(run.out.join("arkiv.toml")).expect("arkiv.toml");
    for line in [
        format!("user = \"{USER}\""),
        format!("password-env = \"{PASSWORD_ENV}\""),
        format!("header-env = [\"X-Arkiv-Token={TOKEN_ENV}\"]"),
        "header = [\"Accept-Language: da\"]".to_owned(),
        "load-cookies = [".to_owned(),
    ] {
        assert!(toml.contains(&line), "{line} in\n{toml}");
    }

    // Every request that carried a secret says so; what it masked is masked in place; the
    // warcinfo of every file names the rules.
    let mut requests_read = 0;
    let mut masked = 0;
    for file in run.warc_files() {
        let mut reader = WarcReader::open(&file).expect("open");
        let mut first = true;
        while let Some(head) = reader.next_record().expect("record") {
            let mut block = Vec::new();
            std::io::Read::read_to_end(&mut reader.block(), &mut block).expect("block");
            let text = String::from_utf8_lossy(&block).into_owned();
            if first {
                assert_eq!(head.headers.record_type(), Some(RecordType::Warcinfo));
                for rule in [
                    "arkiv-redacts: Authorization in request records",
                    "arkiv-redacts: Cookie medlem in request records",
                    "arkiv-redacts: X-Arkiv-Token in request records",
                    "arkiv-login: ",
                    "arkiv-auth-origin: ",
                ] {
                    assert!(text.contains(rule), "{rule} in\n{text}");
                }
                first = false;
            }
            if head.headers.record_type() != Some(RecordType::Request) {
                continue;
            }
            requests_read += 1;
            let field = head.headers.get(REDACTED_FIELD).map(str::to_owned);
            if text.contains("\r\nAuthorization: ") {
                assert!(
                    text.contains(&format!("\r\nAuthorization: Basic {REDACTED}\r\n"))
                        || text.contains(&format!("\r\nAuthorization: Digest {REDACTED}\r\n")),
                    "{text}"
                );
                assert!(
                    field
                        .as_deref()
                        .is_some_and(|f| f.contains("Authorization"))
                );
                masked += 1;
            }
            if text.contains("medlem=") {
                assert!(text.contains(&format!("medlem={REDACTED}")), "{text}");
                assert!(
                    field
                        .as_deref()
                        .is_some_and(|f| f.contains("Cookie medlem"))
                );
            }
            if text.contains("X-Arkiv-Token:") {
                assert!(
                    text.contains(&format!("X-Arkiv-Token: {REDACTED}\r\n")),
                    "{text}"
                );
            }
            // The site's own cookie and the plain header stay as sent.
            if text.contains("sprog=") {
                assert!(text.contains("sprog=da"), "{text}");
            }
            assert!(text.contains("Accept-Language: da\r\n"), "{text}");
        }
    }
    assert!(
        masked >= 3,
        "the three login areas were answered ({masked})"
    );

    // Responses are exact: the pages behind the gates as the site has them.
    let records = warc_records(&run.warc_files());
    for (path, file) in [
        ("kontor/referat-2019.html", "root/kontor/referat-2019.html"),
        ("arkiv/1998.html", "root/arkiv/1998.html"),
        ("medlemmer/adresser.html", "root/medlemmer/adresser.html"),
    ] {
        let url = base.join(path).expect("url").to_string();
        let body = arkiv::fixture::site_file("members", file).expect("fixture file");
        let response = records
            .iter()
            .rfind(|r| r.kind == "response" && r.target.as_deref() == Some(url.as_str()))
            .expect("a response");
        assert!(response.block.ends_with(body), "{url}");
        assert!(response.block.starts_with(b"HTTP/1.1 200 "), "{url}");
    }

    // The mirror shows the pages the login opened, not their challenges.
    let host = format!("127.0.0.1+{}", base.port().expect("port"));
    let office = fs_err::read_to_string(run.out.join(format!("mirror/{host}/kontor/index.html")))
        .expect("the office's page in the mirror");
    assert!(office.contains("<h1>Kontoret</h1>"), "{office}");

    // warcio reads every record, the masked requests among them.
    warcio_accepts(&run.warc_files(), requests_read);
    assert_eq!(
        records.iter().filter(|r| r.kind == "request").count(),
        requests_read
    );
}

#[test]
fn secrets_on_the_command_line_are_refused_and_never_echoed() {
    let server = members();
    let base = server.url().to_string();
    for (args, expect) in [
        (
            vec!["--header", "Authorization: Basic c2VjcmV0LXZhbHVl"],
            "--header-env",
        ),
        (
            vec!["--header", "Cookie: medlem=c2VjcmV0LXZhbHVl"],
            "--load-cookies",
        ),
        (
            vec!["--proxy", "http://bruger:c2VjcmV0LXZhbHVl@127.0.0.1:9"],
            "--proxy-user",
        ),
        (vec!["--password-env", "ARKIV_TEST_NO_USER"], "--user"),
        (
            vec!["--user", USER, "--password-env", "ARKIV_TEST_SURELY_UNSET"],
            "ARKIV_TEST_SURELY_UNSET",
        ),
        (
            vec!["--auth-origin", "http://127.0.0.1:1/kontor/"],
            "origin",
        ),
    ] {
        let run = crawl(std::slice::from_ref(&base), &args, &[]);
        assert_eq!(run.code(), Some(2), "{args:?}: {}", run.stderr());
        let stderr = run.stderr();
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert!(!stderr.contains("c2VjcmV0LXZhbHVl"), "{stderr}");
        assert!(!run.out.join("arkiv.toml").exists(), "nothing written");
    }
    assert!(server.requests().is_empty(), "nothing was fetched");
}

/// Without a terminal to ask on, `--user` without `--password-env` says how to give the password.
#[test]
fn no_terminal_no_prompt_and_a_hint() {
    // `setsid` starts arkiv without a controlling terminal, as cron or CI would.
    if std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("setsid not installed: skipped");
        return;
    }
    let server = members();
    let dir = tempfile::tempdir().expect("temp");
    let mut command = std::process::Command::new("setsid");
    for name in crate::support::PROXY_VARIABLES {
        command.env_remove(name);
    }
    let output = command
        .arg("--wait")
        .arg(env!("CARGO_BIN_EXE_arkiv"))
        .args([
            "--quiet",
            "crawl",
            server.url().as_str(),
            "--user",
            USER,
            "--out",
        ])
        .arg(dir.path().join("out"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no terminal"), "{stderr}");
    assert!(stderr.contains("--password-env"), "{stderr}");
}

/// A secret in a URL stays (the URL is the capture's identity), and the crawl says so.
#[test]
fn a_secret_in_a_url_is_kept_and_warned_about() {
    let server = members();
    // The password, percent-encoded in a query, as a careless link would carry it.
    let seed = server
        .url()
        .join("offentlig/?pw=bl%C3%A5b%C3%A6r-gr%C3%B8d%2042")
        .expect("url")
        .to_string();
    let run = crawl(
        std::slice::from_ref(&seed),
        &["--user", USER, "--password-env", PASSWORD_ENV],
        &[(PASSWORD_ENV, PASSWORD)],
    );
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains(&seed) && stderr.contains("is in its URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(PASSWORD),
        "the warning does not repeat it: {stderr}"
    );
    assert!(
        run.warc_text()
            .contains("?pw=bl%C3%A5b%C3%A6r-gr%C3%B8d%2042"),
        "the URL as sent"
    );
}
