//! What `arkiv crawl` says when it ends: the closing lines on stdout and the exit code.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::exit::Exit;
use crate::report::Summary;

/// What `arkiv crawl` reports when it ends.
#[derive(Debug)]
pub struct CrawlReport {
    pub out: PathBuf,
    /// What was written to `reports/summary.json`.
    pub summary: Summary,
    /// The mirror built after the crawl (`None` with `--no-mirror`).
    pub mirror: Option<crate::mirror::MirrorReport>,
}

impl CrawlReport {
    /// 0 when every URL taken ended in an archived response, 1 when some could not be archived
    /// (each in the summary), 130 after Ctrl-C.
    pub fn exit(&self) -> Exit {
        if self.summary.interrupted {
            Exit::Interrupted
        } else if self.summary.failures.is_empty() {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }

    /// The human summary printed on stdout.
    pub fn render_summary(&self) -> String {
        let s = &self.summary;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "crawled {} URLs in {:.1}s: {} responses ({} bytes), {} revisits, {} failures{}",
            s.urls_taken,
            s.duration_secs,
            s.responses,
            s.bytes,
            s.revisits,
            s.failures.len(),
            if s.interrupted { " (interrupted)" } else { "" }
        );
        let statuses: Vec<String> = s
            .by_status
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(text, "  by status: {}", statuses.join(", "));
        let outcomes: Vec<String> = s
            .by_outcome
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(text, "  by outcome: {}", outcomes.join(", "));
        for failure in &s.failures {
            let _ = writeln!(text, "  not archived: {} ({})", failure.url, failure.reason);
        }
        for trap in &s.traps {
            let how = if trap.lift.starts_with("--not-a-trap") {
                format!("arkiv crawl --resume {} {}", self.out.display(), trap.lift)
            } else {
                format!("a new crawl with {}", trap.lift)
            };
            let _ = writeln!(
                text,
                "  stopped as a trap: {} ({}): {} URLs not fetched, e.g. {}\n    to take them: {how}",
                trap.shape, trap.outcome, trap.declined, trap.example
            );
        }
        let _ = writeln!(text, "  WARC files: {}", self.out.join("warc").display());
        let _ = writeln!(
            text,
            "  index:      {}",
            self.out.join("indexes").join("index.cdxj").display()
        );
        let _ = writeln!(text, "  reports:    {}", self.out.join("reports").display());
        if let Some(mirror) = &self.mirror {
            let _ = writeln!(
                text,
                "  mirror:     {} ({} files: {} archived, {} redirects, {} not archived)",
                self.out.join("mirror").join("index.html").display(),
                mirror.files,
                mirror.archived,
                mirror.redirects.len(),
                mirror.not_archived.len()
            );
        }
        text
    }
}
