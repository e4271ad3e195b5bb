//! `arkiv verify`: link integrity, WARC integrity, mirror/WARC agreement and the notice.
//!
//! The verifier is independent of the code that wrote the archive (ARCHITECTURE.md: "The verifier is independent"): it
//! parses HTML with `scraper` (html5ever) where the rewriter uses lol_html, reads WARC files with
//! its own member-by-member reader (`warc_reader`), and finds CSS URLs with its own scanner. It
//! works against the output folder contract only, so it also catches bugs shared by the writers.

pub mod archive;
pub mod consistency;
pub mod css_refs;
pub mod files;
pub mod gzip_member;
pub mod html_refs;
pub mod links;
pub mod notice;
pub mod render;
pub mod report;
pub mod warc;
pub mod warc_reader;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

pub use render::{Format, render};
pub use report::{Check, Counts, Finding, Severity, VerifyReport};

/// What `verify` checks: a whole arkiv output folder, or any folder of static pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// An arkiv output folder: links, WARC, CDXJ, manifest and notice.
    #[default]
    Full,
    /// Link integrity (and the notice, when given) of a plain folder of pages.
    MirrorOnly,
}

/// The notice every archived HTML page must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeSpec {
    /// The text, compared after decoding entities and collapsing whitespace.
    pub text: String,
    /// The exact `href` of an `<a>` on the page.
    pub link: String,
}

/// Resolved settings for one run (the CLI builds this; the library never sees a clap type).
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The arkiv output folder (full mode) or the folder of pages (mirror-only mode).
    pub target: PathBuf,
    pub mode: Mode,
    /// Missing `#fragments` become errors instead of warnings.
    pub strict: bool,
    /// The notice to check; `None` in full mode falls back to `[notice]` in `arkiv.toml`.
    pub notice: Option<NoticeSpec>,
    /// Pages whose URL (mirror-only: relative path) matches one of these need no notice. Added to
    /// the `exempt` list of `arkiv.toml`.
    pub notice_exempt: Vec<Regex>,
    /// Full mode: write `verify.json` and `junit.xml` into `<target>/reports/` [default: true via
    /// `VerifyOptions::new`].
    pub write_reports: bool,
}

impl VerifyOptions {
    /// Options with the defaults a user expects: not strict, notice from `arkiv.toml`, reports written.
    pub fn new(target: impl Into<PathBuf>, mode: Mode) -> Self {
        Self {
            target: target.into(),
            mode,
            write_reports: true,
            ..Self::default()
        }
    }
}

/// Progress for a caller that draws a bar: each check announces its amount of work, then steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressEvent {
    Start { check: Check, total: u64 },
    Advance { check: Check, by: u64 },
    Finish { check: Check },
}

/// Why verify could not run at all (exit status 2). Findings are never errors.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0} does not exist or is not a folder")]
    NoTarget(PathBuf),
    #[error(
        "{0} is not an arkiv output folder (no arkiv.toml or mirror/)\nhint: use --mirror-only to check a plain folder of pages"
    )]
    NotAnArchive(PathBuf),
    #[error("cannot read {path}: {message}")]
    BadConfig { path: PathBuf, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Runs every check that applies to `options.mode` and returns what it found.
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    verify_with_progress(options, &|_| {})
}

/// As [`verify`], reporting progress to `progress` (called from several threads).
pub fn verify_with_progress(
    options: &VerifyOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<VerifyReport, VerifyError> {
    let target = options.target.as_path();
    if !target.is_dir() {
        return Err(VerifyError::NoTarget(target.to_path_buf()));
    }
    let report = match options.mode {
        Mode::MirrorOnly => verify_folder(options, progress)?,
        Mode::Full => verify_archive(options, progress)?,
    };
    if options.mode == Mode::Full && options.write_reports {
        write_reports(target, &report)?;
    }
    Ok(report)
}

fn verify_folder(
    options: &VerifyOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<VerifyReport, VerifyError> {
    let root = options.target.as_path();
    let files = files::FileSet::walk(root)?;
    let mut report = VerifyReport::new(root, Mode::MirrorOnly);
    report.counts.mirror_files = files.len() as u64;
    let ctx = links::LinkContext {
        root,
        display_prefix: String::new(),
        files: &files,
        origins: &[],
        notice_link: options.notice.as_ref().map(|n| n.link.as_str()),
        strict: options.strict,
        html_files: files.with_extension(&["html", "htm", "xhtml", "shtml"]),
        css_files: files.with_extension(&["css"]),
        stubs: Default::default(),
    };
    links::check_links(&ctx, &mut report, progress)?;
    if let Some(notice) = &options.notice {
        let pages: Vec<notice::MirrorPage> = ctx
            .html_files
            .iter()
            .filter(|p| !options.notice_exempt.iter().any(|re| re.is_match(p)))
            .map(|p| notice::MirrorPage {
                path: p.clone(),
                url: None,
                mime_charset: None,
            })
            .collect();
        notice::check_mirror_pages(root, "", &pages, notice, &mut report, progress);
    }
    report.finish();
    Ok(report)
}

fn verify_archive(
    options: &VerifyOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<VerifyReport, VerifyError> {
    let out = options.target.as_path();
    let archive = archive::Archive::open(out)?;
    let mut report = VerifyReport::new(out, Mode::Full);

    let mirror_root = out.join("mirror");
    let files = files::FileSet::walk(&mirror_root)?;
    report.counts.mirror_files = files.len() as u64;
    let manifest = archive::read_manifest(out, &mut report)?;
    report.counts.manifest_lines = manifest.len() as u64;

    // The manifest's mime decides what is HTML (a `.php` page stays `.php`); extensions otherwise.
    // Sets, not vectors: a 100,000-file mirror must not be searched once per manifest line.
    let mut html_set: BTreeSet<String> = files
        .with_extension(&["html", "htm", "xhtml", "shtml"])
        .into_iter()
        .collect();
    let mut css_set: BTreeSet<String> = files.with_extension(&["css"]).into_iter().collect();
    let mut stubs = std::collections::HashSet::new();
    for line in &manifest {
        let mime = line.mime.as_deref().unwrap_or("").to_ascii_lowercase();
        if files.contains(&line.path) {
            if mime.starts_with("text/html") {
                html_set.insert(line.path.clone());
            }
            if mime.starts_with("text/css") {
                css_set.insert(line.path.clone());
            }
        }
        if matches!(line.kind.as_str(), "landing" | "not-archived") {
            stubs.insert(line.path.clone());
        }
    }
    stubs.insert(archive::LANDING.to_string());

    let index = warc::check_warc_files(&archive, &mut report, progress)?;
    warc::check_cdxj(&archive, &index, &mut report)?;

    let notice = archive.notice(options);
    let ctx = links::LinkContext {
        root: &mirror_root,
        display_prefix: "mirror/".to_string(),
        files: &files,
        origins: &archive.origins,
        notice_link: notice.as_ref().map(|n| n.link.as_str()),
        strict: options.strict,
        html_files: html_set.into_iter().collect(),
        css_files: css_set.into_iter().collect(),
        stubs,
    };
    links::check_links(&ctx, &mut report, progress)?;

    consistency::check(&archive, &files, &manifest, &index, &mut report, progress);

    if let Some(notice) = &notice {
        let exempt: Vec<&Regex> = options
            .notice_exempt
            .iter()
            .chain(archive.notice_exempt.iter())
            .collect();
        notice::check_archive(
            &archive,
            &manifest,
            &index,
            notice,
            &exempt,
            &mut report,
            progress,
        );
    }
    report.finish();
    Ok(report)
}

fn write_reports(out: &Path, report: &VerifyReport) -> Result<(), VerifyError> {
    let dir = out.join("reports");
    fs_err::create_dir_all(&dir)?;
    fs_err::write(dir.join("verify.json"), render(report, Format::Json))?;
    fs_err::write(dir.join("junit.xml"), render(report, Format::Junit))?;
    Ok(())
}
