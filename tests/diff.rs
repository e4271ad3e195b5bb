//! Integration tests: `arkiv diff` through the CLI, on crawls of purpose-built sites whose content
//! changes between two crawls (and on the committed reference archive): what is reported as
//! added, removed, changed or unchanged, in text, JSON and JUnit, and the exit codes.

#[path = "diff/changed_copy.rs"]
mod changed_copy;
#[path = "diff/handmade.rs"]
mod handmade;
#[path = "diff/inputs.rs"]
mod inputs;
#[path = "diff/live.rs"]
mod live;
#[path = "diff/records.rs"]
mod records;
#[path = "diff/site.rs"]
pub(crate) mod site;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use url::Url;

use crate::support::arkiv;

/// `arkiv crawl` of `url` into `out` (no mirror: diff reads the WARC and the index).
fn crawl(url: &Url, out: &Path) {
    let output = arkiv()
        .args(["--quiet", "crawl", url.as_str(), "--no-mirror", "--out"])
        .arg(out)
        .output()
        .expect("run arkiv crawl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One `arkiv diff` run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// `(change, path)` of every change of a JSON report, relative to `site`.
    fn changes(&self, site: &Url) -> BTreeSet<(String, String)> {
        let json = self.json();
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| {
                let url = c["url"].as_str().expect("url");
                (
                    c["change"].as_str().expect("change").to_string(),
                    url.strip_prefix(site.as_str().trim_end_matches('/'))
                        .unwrap_or(url)
                        .to_string(),
                )
            })
            .collect()
    }

    fn dump(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Run {
    let output = arkiv()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .expect("run arkiv diff");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}
