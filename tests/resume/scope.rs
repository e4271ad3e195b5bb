//! Integration test: a seed that redirects to another site takes that site into the scope, and
//! a resumed crawl still has it there.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

use url::Url;

use super::{
    assert_no_double_responses, assert_same_archive, crawl_command, resume_command, run, server,
    verify_code,
};

/// A server on its own port that answers every request with a 301 to `target`, as an old domain
/// pointing at a site's new home does. Runs until the test process ends.
fn redirecting_server(target: &Url) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url =
        Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    let location = target.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            // Read the request head; the answer does not depend on it.
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n\
                 Connection: close\r\n\r\n"
            );
        }
    });
    url
}

/// The crawl is stopped early (an injected full disk after a few records: deterministic, unlike
/// a kill), after the seed's redirect was archived; the resume must still treat the target site
/// as in scope and end with the archive of a crawl that was never stopped.
#[test]
fn a_seed_redirect_keeps_its_target_in_scope_across_a_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline");
    let out = dir.path().join("out");
    let site = "collective-impact";
    let server = server(site);
    let old_home = redirecting_server(&server.url());
    let (code, stderr) = run(crawl_command(site, &old_home, &baseline));
    assert_eq!(code, Some(0), "{stderr}");
    let log = fs_err::read_to_string(baseline.join("reports/crawl.log")).expect("crawl.log");
    let pages = log.lines().filter(|l| l.contains("text/html")).count();
    assert!(pages > 5, "the redirect target's site was crawled: {log}");
    let mut stopped = crawl_command(site, &old_home, &out);
    stopped.env(arkiv::crawl::archive::DISK_FULL_ENV, "8");
    let (code, stderr) = run(stopped);
    assert_eq!(code, Some(2), "stopped by the injected error: {stderr}");
    let (code, stderr) = run(resume_command(&out));
    assert_eq!(code, Some(0), "{stderr}");
    assert_same_archive(site, &baseline, &out);
    assert_no_double_responses(&out);
    let (code, report) = verify_code(&out);
    assert_eq!(code, Some(0), "{report}");
}
