//! Integration test: a seed that redirects to another site takes that site into the scope, and
//! a resumed crawl still has it there.

use url::Url;

use super::{
    assert_no_double_responses, assert_same_archive, crawl_command, resume_command, run, run_ok,
    server, verify_code,
};
use crate::support::tiny_site::serve;

/// A site that answers every request with a 301 to `target`, as an old domain pointing at a
/// site's new home does.
fn redirecting_server(target: &Url) -> Url {
    let location = target.to_string();
    serve(move |_, _| {
        (
            "301 Moved Permanently",
            format!("Location: {location}\r\n\r\n"),
        )
    })
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
    run_ok(crawl_command(site, &old_home, &baseline));
    let log = fs_err::read_to_string(baseline.join("reports/crawl.log")).expect("crawl.log");
    let pages = log.lines().filter(|l| l.contains("text/html")).count();
    assert!(pages > 5, "the redirect target's site was crawled: {log}");
    let mut stopped = crawl_command(site, &old_home, &out);
    stopped.env(arkiv::crawl::archive::DISK_FULL_ENV, "8");
    let (code, stderr) = run(stopped);
    assert_eq!(code, Some(2), "stopped by the injected error: {stderr}");
    run_ok(resume_command(&out));
    assert_same_archive(site, &baseline, &out);
    assert_no_double_responses(&out);
    let (code, report) = verify_code(&out);
    assert_eq!(code, Some(0), "{report}");
}
