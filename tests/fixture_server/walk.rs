//! Walks every route and every file of every embedded site and checks each answers as promised.

use std::io::Read;

use arkiv::auth::{
    Credentials, DigestChallenge, DigestSession, Secret, basic_authorization, parse_challenges,
};
use arkiv::fixture::{
    self, AuthScheme, FixtureServer, Generator, Route, ServeOptions, SiteConfig, routes,
    site_files, site_names,
};

use super::wire::{self, Response};

#[test]
fn every_route_of_every_site_answers_as_its_entry_promises() {
    assert!(
        site_names().contains(&"test-server"),
        "the server's own test site is embedded"
    );
    for site in site_names() {
        let config = routes(site).unwrap_or_else(|e| panic!("{e}"));
        let server = FixtureServer::start(site, ServeOptions::default()).expect("start");
        for (index, route) in config.routes.iter().enumerate() {
            let target = reachable_target(&config, index).unwrap_or_else(|| {
                panic!(
                    "{site}: route #{} ({route:?}) is shadowed by an earlier one",
                    index + 1
                )
            });
            let failures = route.fail_times.unwrap_or(0);
            for _ in 0..failures {
                let pass = pass_gates(site, &server, route, &target);
                check_route(site, &server, route, &target, true, &pass);
            }
            let pass = pass_gates(site, &server, route, &target);
            check_route(
                site,
                &server,
                route,
                &target,
                route.fail_times.is_none(),
                &pass,
            );
        }
    }
}

#[test]
fn every_file_below_root_is_served_at_its_path() {
    for site in site_names() {
        let config = routes(site).unwrap_or_else(|e| panic!("{e}"));
        let server = FixtureServer::start(site, ServeOptions::default()).expect("start");
        let files = site_files(site).expect("files");
        assert!(!files.is_empty(), "{site} has files below root/");
        for file in files {
            let target = encode_path(file.path);
            if config.route_for(&target, None).is_some() {
                continue; // A route answers this path instead; the route walk checks it.
            }
            let response = wire::parse_response(&wire::get_closing(server.addr(), &target).bytes);
            let context = format!("{site} {target}");
            assert_eq!(response.status(), 200, "{context}");
            assert_eq!(response.body, file.contents, "{context}");
            assert_eq!(
                response.header("content-type"),
                Some(fixture::guess_type(file.path)),
                "{context}"
            );
            assert_eq!(
                response.header("last-modified"),
                Some(config.last_modified()),
                "{context}"
            );
            assert!(response.header("date").is_some(), "{context}");
        }
    }
}

/// A request target that the route itself answers (not an earlier one), if there is one.
fn reachable_target(config: &SiteConfig, index: usize) -> Option<String> {
    let route = &config.routes[index];
    let path = encode_path(
        route
            .path
            .as_deref()
            .or(route.prefix.as_deref())
            .unwrap_or("/"),
    );
    let queries: Vec<Option<&str>> = match route.query.as_deref() {
        Some("") => vec![None],
        Some(q) => vec![Some(q)],
        None => vec![None, Some("arkiv-walk=1")],
    };
    queries
        .into_iter()
        .find(|q| config.route_for(&path, *q) == Some(index))
        .map(|q| match q {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        })
}

/// Percent-encodes what cannot appear raw in a request target (spaces, non-ASCII, `#`, `?`).
fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_graphic() && byte != b'#' && byte != b'?' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Checks that a gated route refuses a request without what its gates ask for, as ROUTES.md
/// promises, and returns the headers that get a request through.
fn pass_gates(
    site: &str,
    server: &FixtureServer,
    route: &Route,
    target: &str,
) -> Vec<(String, String)> {
    let context = format!("{site} {target}");
    let mut pass = Vec::new();
    if let Some(gate) = &route.auth {
        let denied = wire::parse_response(&wire::get_closing(server.addr(), target).bytes);
        assert_eq!(denied.status(), 401, "{context}: without credentials");
        let challenges = denied.header_all("www-authenticate");
        let credentials = Credentials::new(&gate.user, Secret::new(&gate.password));
        let value = match gate.scheme {
            AuthScheme::Basic => {
                assert_eq!(
                    challenges,
                    [format!("Basic realm=\"{}\", charset=\"UTF-8\"", gate.realm)],
                    "{context}"
                );
                basic_authorization(&credentials, true).expect("basic")
            }
            AuthScheme::Digest => {
                let parsed = parse_challenges(challenges.iter().copied()).expect("challenges");
                let offered: Vec<&str> = parsed
                    .iter()
                    .map(|c| c.param("algorithm").unwrap_or(""))
                    .collect();
                assert_eq!(offered, gate.algorithms(), "{context}: one per algorithm");
                let digest = DigestChallenge::from_challenge(&parsed[0]).expect("digest");
                assert_eq!(digest.realm, gate.realm, "{context}");
                DigestSession::new(digest)
                    .authorization(&credentials, "GET", target, b"")
                    .expect("answer")
            }
        };
        pass.push(("Authorization".to_owned(), value));
    }
    if let Some(cookie) = &route.require_cookie {
        if route.auth.is_none() {
            let denied = wire::parse_response(&wire::get_closing(server.addr(), target).bytes);
            assert_eq!(denied.status(), 403, "{context}: without the cookie");
        }
        pass.push(("Cookie".to_owned(), format!("other=1; {cookie}")));
    }
    pass
}

/// `{port}` in a route's `location` or `body`, as the server fills it in.
fn with_port(text: &str, server: &FixtureServer) -> String {
    text.replace("{port}", &server.addr().port().to_string())
}

/// The body the route promises, when it is fixed.
fn expected_body(
    site: &str,
    server: &FixtureServer,
    route: &Route,
    target: &str,
) -> Option<Vec<u8>> {
    let root_file =
        |relative: &str| fixture::site_file(site, &format!("root/{relative}")).map(<[u8]>::to_vec);
    if let Some(file) = &route.file {
        return root_file(file);
    }
    if let Some(body) = &route.body {
        return Some(with_port(body, server).into_bytes());
    }
    match route.generator {
        Some(Generator::Bytes) => {
            return Some(fixture::pseudo_random_bytes(0, route.size? as usize));
        }
        Some(_) => return None,
        None => {}
    }
    let path = target.split('?').next().unwrap_or(target);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut relative = decoded.trim_start_matches('/').to_owned();
    if relative.is_empty() || relative.ends_with('/') {
        relative.push_str("index.html");
    }
    Some(root_file(&relative).unwrap_or_default())
}

fn check_route(
    site: &str,
    server: &FixtureServer,
    route: &Route,
    target: &str,
    failing: bool,
    pass: &[(String, String)],
) {
    let context = format!("{site} {target}");
    let exchange = wire::get_with(server.addr(), target, pass);
    let fault = &route.fault;
    if let Some(raw) = &route.raw {
        let stored = fixture::site_file(site, raw).expect("raw file");
        match fault.reset_after {
            Some(n) => assert!(
                stored.starts_with(&exchange.bytes) && exchange.bytes.len() as u64 <= n,
                "{context}"
            ),
            None => assert_eq!(exchange.bytes, stored, "{context}: raw bytes"),
        }
        return;
    }
    let response = wire::parse_response(&exchange.bytes);
    let (_, rest) = wire::split_head(&exchange.bytes).expect("head");
    match &fault.status_line {
        Some(line) => assert_eq!(response.status_line, line.trim_end(), "{context}"),
        None => {
            let status = if failing { route.status() } else { 200 };
            assert_eq!(
                response.status(),
                status,
                "{context}: {}",
                response.status_line
            );
            if let (Some(reason), true) = (&route.reason, failing) {
                assert_eq!(
                    response.status_line,
                    format!("HTTP/1.1 {status} {reason}"),
                    "{context}"
                );
            }
        }
    }
    check_headers(server, route, &response, failing, &context);
    if fault.close_after_headers {
        assert!(rest.is_empty(), "{context}: nothing after the headers");
        return;
    }
    let status = if failing { route.status() } else { 200 };
    let expected = if fixture::may_have_body(status) {
        expected_body(site, server, route, target)
    } else {
        Some(Vec::new())
    };
    if let Some(limit) = fault.reset_after {
        assert!(
            rest.len() as u64 <= limit,
            "{context}: {} bytes sent before the reset",
            rest.len()
        );
        if let Some(expected) = &expected {
            let complete = !route.gzip && !route.chunked && rest == expected.as_slice();
            assert!(
                !complete || expected.len() as u64 <= limit,
                "{context}: the reset cut the body"
            );
        }
        return;
    }
    if let Some(length) = fault.content_length {
        assert_eq!(
            response.header("content-length"),
            Some(length.to_string().as_str()),
            "{context}"
        );
        if let (Some(expected), false, false) = (&expected, route.gzip, route.chunked) {
            assert_eq!(
                rest,
                expected.as_slice(),
                "{context}: the whole body follows the false length"
            );
        }
        return;
    }
    assert!(exchange.error.is_none(), "{context}: {:?}", exchange.error);
    if route.chunked && fixture::may_have_body(status) {
        assert_eq!(
            response.header("transfer-encoding"),
            Some("chunked"),
            "{context}"
        );
        let sizes = wire::chunk_sizes(&response.wire_body);
        assert_eq!(
            sizes.last(),
            Some(&0),
            "{context}: chunked body ends with a last chunk"
        );
        assert!(
            sizes.iter().all(|s| *s <= route.chunk_size()),
            "{context}: chunk sizes {sizes:?}"
        );
    } else if fixture::may_have_body(status) {
        assert_eq!(
            response.header("content-length"),
            Some(response.body.len().to_string().as_str()),
            "{context}"
        );
    }
    let body = if route.gzip {
        assert_eq!(
            response.header("content-encoding"),
            Some("gzip"),
            "{context}"
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(response.body.as_slice())
            .read_to_end(&mut decoded)
            .expect("valid gzip");
        decoded
    } else {
        response.body.clone()
    };
    match (expected, route.generator) {
        (Some(expected), _) => assert!(
            body == expected,
            "{context}: body differs from the promised one"
        ),
        (None, Some(Generator::Calendar)) => {
            let text = String::from_utf8_lossy(&body);
            assert_eq!(
                text.matches("?m=").count(),
                2,
                "{context}: links to two months"
            );
        }
        (None, Some(Generator::Session)) => {
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains(";jsessionid=") && text.contains("?sid="),
                "{context}"
            );
        }
        (None, _) => {}
    }
}

fn check_headers(
    server: &FixtureServer,
    route: &Route,
    response: &Response,
    failing: bool,
    context: &str,
) {
    let extra_names: Vec<String> = route
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    let generated = |name: &str| !extra_names.contains(&name.to_owned());
    if generated("date") {
        assert!(response.header("date").is_some(), "{context}: Date");
    }
    if let Some(location) = route.location.as_deref().filter(|_| generated("location")) {
        let location = with_port(location, server);
        assert_eq!(
            response.header("location"),
            Some(location.as_str()),
            "{context}"
        );
    }
    if generated("retry-after") {
        let expected = route
            .retry_after
            .as_ref()
            .filter(|_| failing)
            .map(|r| r.header_value());
        assert_eq!(
            response.header("retry-after"),
            expected.as_deref(),
            "{context}"
        );
    }
    if let Some(kind) = route
        .content_type
        .as_deref()
        .filter(|_| generated("content-type"))
    {
        assert_eq!(response.header("content-type"), Some(kind), "{context}");
    }
    if generated("last-modified")
        && let Some(date) = &route.last_modified
    {
        assert_eq!(
            response.header("last-modified"),
            Some(date.as_str()),
            "{context}"
        );
    }
    if !route.headers.is_empty() {
        let lines: String = route
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}\r\n"))
            .collect();
        let head = String::from_utf8_lossy(&response.head);
        assert!(
            head.contains(&lines),
            "{context}: extra headers byte for byte and in order in {head}"
        );
    }
}
