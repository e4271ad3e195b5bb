//! `arkiv crawl` and `arkiv crawl --resume`: prepare (or reopen) the output folder, crawl into
//! it, then make what is derived from the closed WARC files and the crawl state.

use std::path::Path;

use anyhow::Context as _;

use super::finish::finish;
use super::report::CrawlReport;
use crate::crawl::config::Config;
use crate::crawl::progress::Progress;
use crate::crawl::recover::recover;
use crate::crawl::resume::plan;
use crate::crawl::scheduler::{resume_crawl, run_crawl};
use crate::crawl::settings::Settings;
use crate::crawl::state;
use crate::lock::OutLock;
use crate::render::{CHROMIUM_PROFILE_PREFIX, find_chromium};

/// Prepares `config.out`, crawls, writes reports, and returns how it went.
pub async fn crawl(
    config: Config,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<CrawlReport> {
    // A crawl in the browser without a browser stops here, before anything is written.
    if config.browser {
        find_chromium(config.chromium.as_deref())?;
    }
    // Taken before the folder is checked, so two crawls started at once cannot both pass.
    let _lock = OutLock::acquire(&config.out, "crawl")?;
    prepare_out(&config.out)?;
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Settings::from_config(&config, &started).write(&config.out.join("arkiv.toml"))?;
    let out = config.out.clone();
    let seeds = config.seeds.clone();
    let build = config.mirror;
    let result = run_crawl(config, &started, progress, stop).await?;
    finish(&out, &seeds, result, build).await
}

/// What a resume may change in the crawl's settings.
#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    /// URL families to release from the trap guard (`--not-a-trap`): what they declined is
    /// taken, and they stay exempt (saved in `arkiv.toml`).
    pub not_a_trap: Vec<String>,
    /// Where the passwords are this time (`--password-env`, `--proxy-password-env`), instead of
    /// the variables `arkiv.toml` names or a prompt (saved in `arkiv.toml`).
    pub password_env: Option<String>,
    pub proxy_password_env: Option<String>,
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
) -> anyhow::Result<CrawlReport> {
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
    let added: Vec<String> = options
        .not_a_trap
        .into_iter()
        .filter(|shape| !settings.crawl.not_a_trap.contains(shape))
        .collect();
    let mut changed = !added.is_empty();
    settings.crawl.not_a_trap.extend(added);
    for (given, saved) in [
        (options.password_env, &mut settings.crawl.password_env),
        (
            options.proxy_password_env,
            &mut settings.crawl.proxy_password_env,
        ),
    ] {
        if given.is_some() && given != *saved {
            *saved = given;
            changed = true;
        }
    }
    // Every secret is read again here (the variables arkiv.toml names, or a prompt); only a
    // crawl that can go on has its changed settings saved.
    let config = settings.to_config(out)?;
    if config.browser {
        find_chromium(config.chromium.as_deref())?;
    }
    if changed {
        settings.write(&settings_path)?;
    }
    for dir in ["warc", "indexes", "reports", "mirror", "state", "state/tmp"] {
        fs_err::create_dir_all(out.join(dir))?;
    }
    // Spool files of fetches that were in flight belong to no one now, nor does the profile of
    // a browser killed with the crawl (`--browser`).
    clear_tmp(out);
    let recovered = recover(out, &config.warc_prefix)?;
    for (file, removed, partial) in &recovered.sealed {
        progress.println(&format!(
            "sealed {}: cut {removed} bytes of a record the crash left unfinished (kept in {})",
            file.display(),
            partial.display()
        ));
    }
    let stored = state::load(out)?;
    let restored = plan(&recovered, stored, config.browser);
    let started = settings
        .started()
        .map(str::to_string)
        .unwrap_or_else(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let seeds = config.seeds.clone();
    let build = config.mirror;
    let result = resume_crawl(config, &started, progress, stop, restored).await?;
    // A browser killed with the last run may still have been writing its profile a moment ago.
    clear_tmp(out);
    finish(out, &seeds, result, build).await
}

/// Empties `<out>/state/tmp` of what a stopped run left: spool files and browser profiles.
fn clear_tmp(out: &Path) {
    let Ok(entries) = fs_err::read_dir(out.join("state").join("tmp")) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let profile = entry
            .file_name()
            .to_string_lossy()
            .starts_with(CHROMIUM_PROFILE_PREFIX);
        // Never follow a link: only a real folder of ours is removed with its contents.
        let folder = fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if profile && folder {
            let _ = fs_err::remove_dir_all(&path);
        } else if !folder {
            let _ = fs_err::remove_file(&path);
        }
    }
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
