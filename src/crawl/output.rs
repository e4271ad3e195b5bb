//! Runs a whole crawl into an output folder: prepares the folder, crawls, builds the mirror, and
//! says how it went.

use std::fmt::Write as _;

use anyhow::Context as _;
use std::path::{Path, PathBuf};

use super::config::Config;
use super::progress::Progress;
use super::recover::recover;
use super::resume::plan;
use super::scheduler::{CrawlResult, resume_crawl, run_crawl};
use super::settings::Settings;
use super::state;
use crate::exit::Exit;
use crate::lock::OutLock;

/// What `arkiv crawl` reports when it ends.
#[derive(Debug)]
pub struct CrawlOutcome {
    pub out: PathBuf,
    pub result: CrawlResult,
    /// The mirror built after the crawl (`None` with `--no-mirror`).
    pub mirror: Option<crate::mirror::MirrorReport>,
}

impl CrawlOutcome {
    /// 0 when every URL taken ended in an archived response, 1 when some could not be archived
    /// (each in the summary), 130 after Ctrl-C.
    pub fn exit(&self) -> Exit {
        if self.result.interrupted {
            Exit::Interrupted
        } else if self.result.complete() {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }

    /// The human summary printed on stdout.
    pub fn render_summary(&self) -> String {
        let s = &self.result.archive.summary;
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
            if self.result.interrupted {
                " (interrupted)"
            } else {
                ""
            }
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

/// Prepares `config.out`, crawls, writes reports, and returns how it went.
pub async fn crawl(
    config: Config,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<CrawlOutcome> {
    // Taken before the folder is checked, so two crawls started at once cannot both pass.
    let _lock = OutLock::acquire(&config.out, "crawl")?;
    prepare_out(&config.out)?;
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Settings::from_config(&config, &started).write(&config.out.join("arkiv.toml"))?;
    let out = config.out.clone();
    let build = config.mirror;
    let result = run_crawl(config, &started, progress, stop).await?;
    let mirror = if build {
        let dir = out.clone();
        Some(tokio::task::spawn_blocking(move || crate::mirror::build_mirror(&dir)).await??)
    } else {
        None
    };
    Ok(CrawlOutcome {
        out,
        result,
        mirror,
    })
}

/// What a resume may change in the crawl's settings.
#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    /// URL families to release from the trap guard (`--not-a-trap`): what they declined is
    /// taken, and they stay exempt (saved in `arkiv.toml`).
    pub not_a_trap: Vec<String>,
}

/// Continues the crawl in `out` after Ctrl-C, `kill -9` or power loss, with the settings in its
/// `arkiv.toml`: seals truncated WARC tails, fetches what is not archived yet, then rebuilds the
/// CDXJ index over all WARC files, the summary (recomputed from the WARC for what was archived
/// before, plus this run's counts) and the mirror.
pub async fn resume(
    out: &Path,
    options: ResumeOptions,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<CrawlOutcome> {
    let settings_path = out.join("arkiv.toml");
    if !settings_path.is_file() {
        anyhow::bail!(
            "{} holds no crawl to resume (no arkiv.toml); start one with `arkiv crawl URL --out DIR`",
            out.display()
        );
    }
    let _lock = OutLock::acquire(out, "crawl --resume")?;
    let mut settings = Settings::read(&settings_path)
        .with_context(|| format!("reading {}", settings_path.display()))?;
    if let Some(resume) = settings.resume.as_mut() {
        let added: Vec<String> = options
            .not_a_trap
            .into_iter()
            .filter(|shape| !resume.not_a_trap.contains(shape))
            .collect();
        if !added.is_empty() {
            resume.not_a_trap.extend(added);
            settings.write(&settings_path)?;
        }
    }
    let config = settings.to_config(out)?;
    for dir in ["warc", "indexes", "reports", "mirror", "state", "state/tmp"] {
        fs_err::create_dir_all(out.join(dir))?;
    }
    // Spool files of fetches that were in flight belong to no one now.
    if let Ok(entries) = fs_err::read_dir(out.join("state").join("tmp")) {
        for entry in entries.flatten() {
            let _ = fs_err::remove_file(entry.path());
        }
    }
    let recovered = recover(out, &config.warc_prefix)?;
    for (file, removed, partial) in &recovered.sealed {
        progress.println(&format!(
            "sealed {}: cut {removed} bytes of a record the crash left unfinished (kept in {})",
            file.display(),
            partial.display()
        ));
    }
    let stored = state::load(out)?;
    let restored = plan(&recovered, stored);
    let started = settings.crawl.started.clone();
    let build = config.mirror;
    let result = resume_crawl(config, &started, progress, stop, restored).await?;
    let mirror = if build {
        let dir = out.to_path_buf();
        Some(tokio::task::spawn_blocking(move || crate::mirror::build_mirror(&dir)).await??)
    } else {
        None
    };
    Ok(CrawlOutcome {
        out: out.to_path_buf(),
        result,
        mirror,
    })
}

/// Creates the folder layout; refuses a folder that already holds a crawl, so nothing archived
/// is ever overwritten.
fn prepare_out(out: &Path) -> anyhow::Result<()> {
    if out.join("arkiv.toml").exists()
        || out
            .join("warc")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    {
        anyhow::bail!(
            "{} already holds a crawl; choose a new --out folder, or continue that crawl with \
             `arkiv crawl --resume {}` (nothing was changed)",
            out.display(),
            out.display()
        );
    }
    for dir in ["warc", "indexes", "reports", "mirror", "state", "state/tmp"] {
        let path = out.join(dir);
        // Never follow a link planted inside the output folder: everything arkiv writes stays in it.
        crate::lock::refuse_symlink(&path)?;
        fs_err::create_dir_all(&path)?;
    }
    Ok(())
}
