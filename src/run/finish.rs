//! What a crawl's output folder gets once the crawl is over, in this order: the CDXJ index over
//! every WARC file, `reports/summary.json` (record counts from the archive thread, how every
//! URL ended from the crawl state, the trap families), then the mirror.

use std::path::Path;

use anyhow::Context as _;
use url::Url;

use super::report::CrawlReport;
use crate::crawl::recover::warc_files;
use crate::crawl::scheduler::CrawlResult;
use crate::crawl::state;
use crate::report::Summary;
use crate::report::summary::RunFacts;
use crate::warc::cdxj;

/// Indexes, summarizes and mirrors the crawl in `out`.
pub async fn finish(
    out: &Path,
    seeds: &[Url],
    result: CrawlResult,
    build_mirror: bool,
) -> anyhow::Result<CrawlReport> {
    let warc = warc_files(&out.join("warc"))?;
    index(out, &warc, &result)?;
    let tally = state::tally(out)?;
    let facts = RunFacts {
        seeds: seeds.iter().map(Url::to_string).collect(),
        started: result.started.to_rfc3339(),
        finished: chrono::Utc::now().to_rfc3339(),
        duration_secs: result.duration.as_secs_f64(),
        interrupted: result.interrupted,
        warc_files: warc
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
    };
    let summary = Summary::assemble(facts, result.records, tally, result.traps);
    let summary_path = out.join("reports").join("summary.json");
    fs_err::write(&summary_path, serde_json::to_vec_pretty(&summary)?)?;
    let mirror = if build_mirror {
        // The crawl's freed memory goes back before the mirror build takes its own.
        crate::memory::release_freed();
        let dir = out.to_path_buf();
        Some(tokio::task::spawn_blocking(move || crate::mirror::build_mirror(&dir)).await??)
    } else {
        None
    };
    Ok(CrawlReport {
        out: out.to_path_buf(),
        summary,
        mirror,
    })
}

/// Writes the CDXJ index over every WARC file: the lines the writer made as it wrote this run's
/// files, and the files of earlier runs read back (a resumed crawl's), sorted in bounded memory.
fn index(
    out: &Path,
    warc_files: &[std::path::PathBuf],
    result: &CrawlResult,
) -> anyhow::Result<()> {
    let mut builder = cdxj::IndexBuilder::new(&out.join("state").join("tmp"));
    for file in warc_files.iter().filter(|f| !result.written.contains(f)) {
        for entry in
            cdxj::index_warc(file).with_context(|| format!("indexing {}", file.display()))?
        {
            builder.add(entry.to_line())?;
        }
    }
    if !result.written.is_empty() {
        builder.add_file(&result.index_lines)?;
    }
    builder.finish(&out.join("indexes").join("index.cdxj"))?;
    let _ = fs_err::remove_file(&result.index_lines);
    Ok(())
}
