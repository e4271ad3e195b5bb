//! `arkiv wacz`: packs an output folder into a WACZ 1.1.1 file, the format web archives are
//! exchanged in (Browsertrix, ArchiveWeb.page, ReplayWeb.page, py-wacz).
//!
//! What goes in (the spec, `specs.webrecorder.net/wacz/1.1.1`, and what py-wacz validates):
//! - `archive/<name>.warc.gz`: every WARC file of `warc/`, byte for byte and **stored**, never
//!   deflated: each record is its own gzip member, so a reader seeks to an index offset inside
//!   the ZIP entry and inflates one record (HTTP Range on the `.wacz`).
//! - `indexes/index.cdxj`, rebuilt from the WARC files by [`crate::warc::index_warc`] (the WARC
//!   is the master, whatever the folder's own index says); above [`DEFAULT_ZIPNUM_ABOVE`] lines
//!   it becomes `indexes/index.cdx.gz` (stored gzip blocks of [`DEFAULT_ZIPNUM_BLOCK`] lines) plus
//!   `indexes/index.idx` (one line per block), the ZipNum layout ReplayWeb.page reads one block
//!   at a time instead of loading the whole index ([`zipnum`]).
//! - `pages/pages.jsonl`: the `json-pages-1.0` header and one line per archived HTML page (2xx),
//!   seeds first, with `url`, `ts`, `title` and the page's visible `text` ([`pages`]).
//! - `datapackage.json` with every file's path, sha256 hash and size, and
//!   `datapackage-digest.json` with the datapackage's own hash ([`datapackage`]).
//! - For a crawl made with `--dedup-from OLD`: `relation.requires` naming OLD's package, or with
//!   `--include-referred` the referred records of OLD in `archive/referred-<OLD>.warc.gz`,
//!   indexed like the rest ([`referred`]).
//!
//! Architecture invariant: the package is written under a hidden temporary name in the output
//! file's folder and renamed into place only when whole, so a run killed at any point never
//! leaves a half WACZ under the final name; nothing is written anywhere else.

pub mod datapackage;
pub mod page_text;
pub mod pages;
pub mod referred;
mod writer;
pub mod zipnum;

use std::path::{Path, PathBuf};

use crate::warc::CdxjEntry;

pub use datapackage::{DataPackage, DataPackageDigest, Resource};
pub use pages::PageEntry;

/// The WACZ version written (the one py-wacz 0.5 validates).
pub const WACZ_VERSION: &str = "1.1.1";

/// Index lines above which the index is written as ZipNum blocks instead of one CDXJ file.
/// A CDXJ of 10 000 lines is about 3 MB, which ReplayWeb.page loads at once without a wait.
pub const DEFAULT_ZIPNUM_ABOVE: u64 = 10_000;

/// Lines per gzip block of a ZipNum index (what py-wacz and ArchiveWeb.page write).
pub const DEFAULT_ZIPNUM_BLOCK: usize = 1024;

/// How to pack an output folder.
#[derive(Debug, Clone)]
pub struct WaczOptions {
    /// The output folder of a crawl (holds `warc/`).
    pub dir: PathBuf,
    /// The `.wacz` file to write; see [`default_output`].
    pub output: PathBuf,
    /// Index lines above which the ZipNum layout is used (0: always).
    pub zipnum_above: u64,
    /// Lines per ZipNum block.
    pub zipnum_block: usize,
    /// Pack copies of the earlier crawl's records that this crawl's revisits refer to
    /// (`--include-referred`) instead of naming the earlier crawl's package as required.
    pub include_referred: bool,
}

impl WaczOptions {
    /// Options with the defaults, writing to [`default_output`] of `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> WaczOptions {
        let dir = dir.into();
        WaczOptions {
            output: default_output(&dir),
            dir,
            zipnum_above: DEFAULT_ZIPNUM_ABOVE,
            zipnum_block: DEFAULT_ZIPNUM_BLOCK,
            include_referred: false,
        }
    }
}

/// Where `arkiv wacz DIR` writes without `-o`: `DIR/<name of DIR>.wacz`, inside the output
/// folder (arkiv writes nowhere the user did not name), where `arkiv serve --replay DIR` finds
/// it.
pub fn default_output(dir: &Path) -> PathBuf {
    dir.join(format!("{}.wacz", package_name(dir)))
}

/// The name of a package made of `dir`: the folder's own name (`archive/demo` → `demo`).
pub fn package_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute
        .components()
        .rev()
        .find_map(|c| match c {
            std::path::Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .filter(|name| !name.is_empty() && name != "." && name != "..")
        .unwrap_or_else(|| "archive".to_string())
}

/// What was packed.
#[derive(Debug, Clone)]
pub struct WaczSummary {
    pub output: PathBuf,
    /// Size of the `.wacz` file.
    pub bytes: u64,
    pub warc_files: usize,
    pub index_lines: usize,
    /// `Some(blocks)` when the index was written in the ZipNum layout.
    pub zipnum_blocks: Option<usize>,
    pub pages: usize,
    pub main_page: Option<String>,
}

/// Why a package could not be made. Nothing is left under the output name in any case.
#[derive(Debug, thiserror::Error)]
pub enum WaczError {
    #[error("{0} holds no warc/ folder (pass the --out folder of an `arkiv crawl`)")]
    NoWarcFolder(String),
    #[error("{0} holds no WARC files")]
    NoWarcFiles(String),
    #[error(
        "{file} ends in a cut-off record at offset {offset} (a crawl that was killed); \
         `arkiv crawl --resume {dir}` seals it, then pack again"
    )]
    TruncatedWarc {
        file: String,
        offset: u64,
        dir: String,
    },
    #[error("{0}")]
    Warc(#[from] crate::warc::ReadError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Zip {
        path: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot read the crawl: {0}")]
    Catalog(String),
    #[error("the output {0} would be inside warc/ or mirror/, which arkiv rebuilds")]
    OutputInside(String),
    #[error("the earlier crawl's records this crawl refers to cannot be packed: {0}")]
    Referred(String),
}

impl WaczError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> WaczError {
        WaczError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Packs `options.dir` into `options.output` (see the module comment).
pub fn pack_wacz(options: &WaczOptions) -> Result<WaczSummary, WaczError> {
    let warc_dir = options.dir.join("warc");
    if !warc_dir.is_dir() {
        return Err(WaczError::NoWarcFolder(options.dir.display().to_string()));
    }
    refuse_output_inside(options)?;
    let warc_files = list_warc_files(&warc_dir)?;
    if warc_files.is_empty() {
        return Err(WaczError::NoWarcFiles(warc_dir.display().to_string()));
    }
    let catalog = crate::mirror::catalog::Catalog::read(&warc_dir)
        .map_err(|e| WaczError::Catalog(format!("{e:#}")))?;
    let mut warc_files = warc_files;
    let mut relation = None;
    // Beside the output, removed when packing ends (nothing is written into the folders).
    let mut _referred_dir = None;
    if let Some(old) = referred::earlier_folder(&catalog) {
        if options.include_referred {
            let out_dir = options
                .output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            fs_err::create_dir_all(out_dir).map_err(|e| WaczError::io(out_dir, e))?;
            let dir = tempfile::Builder::new()
                .prefix(".arkiv-wacz-referred-")
                .tempdir_in(out_dir)
                .map_err(|e| WaczError::io(out_dir, e))?;
            let path = dir.path().join(referred::referred_file_name(&old));
            if referred::write_referred_warc(&catalog, &path)? > 0 {
                warc_files.push(path);
            }
            _referred_dir = Some(dir);
        } else {
            relation = Some(referred::relation(&old)?);
        }
    }
    let index = build_index(&options.dir, &warc_files)?;
    let pages = pages::collect_pages(&catalog);
    writer::write_package(
        options,
        &warc_files,
        &index,
        &pages,
        &catalog.info,
        relation,
    )
}

/// The output must not land where arkiv deletes or rebuilds files (`warc/` is read as WARC
/// files, `mirror/` is replaced by `arkiv mirror`).
fn refuse_output_inside(options: &WaczOptions) -> Result<(), WaczError> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let output = absolute(&options.output);
    for reserved in ["warc", "mirror", "indexes", "state"] {
        if output.starts_with(absolute(&options.dir.join(reserved))) {
            return Err(WaczError::OutputInside(
                options.output.display().to_string(),
            ));
        }
    }
    Ok(())
}

/// `*.warc.gz` and `*.warc` in `warc/`, in name order (a `.partial` tail kept by a resume is
/// not WARC and stays out).
pub fn list_warc_files(warc_dir: &Path) -> Result<Vec<PathBuf>, WaczError> {
    let mut files = Vec::new();
    for entry in fs_err::read_dir(warc_dir).map_err(|e| WaczError::io(warc_dir, e))? {
        let entry = entry.map_err(|e| WaczError::io(warc_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map_err(|e| WaczError::io(&entry.path(), e))?;
        if kind.is_file() && (name.ends_with(".warc.gz") || name.ends_with(".warc")) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The CDXJ lines of every WARC file, sorted bytewise and without duplicates, as
/// [`crate::warc::write_index`] writes them. A WARC with a cut-off tail is refused: its last
/// record is lost until `--resume` seals it, and a package must not hide that.
fn build_index(dir: &Path, warc_files: &[PathBuf]) -> Result<Vec<String>, WaczError> {
    let mut lines = Vec::new();
    for file in warc_files {
        let entries: Vec<CdxjEntry> = match crate::warc::index_warc(file) {
            Ok(entries) => entries,
            Err(crate::warc::CdxjError::Warc { source, .. }) => {
                return Err(match source {
                    crate::warc::ReadError::Truncated { offset, .. } => WaczError::TruncatedWarc {
                        file: file.display().to_string(),
                        offset,
                        dir: dir.display().to_string(),
                    },
                    other => WaczError::Warc(other),
                });
            }
            Err(crate::warc::CdxjError::Io { path, source }) => {
                return Err(WaczError::Io { path, source });
            }
            Err(crate::warc::CdxjError::Parse { detail, .. }) => {
                return Err(WaczError::Catalog(detail));
            }
        };
        lines.extend(entries.iter().map(CdxjEntry::to_line));
    }
    lines.sort_unstable();
    lines.dedup();
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_output_is_named_after_the_folder_and_lies_inside_it() {
        assert_eq!(
            default_output(Path::new("archive/demo")),
            Path::new("archive/demo/demo.wacz")
        );
        assert_eq!(package_name(Path::new("/")), "archive");
        assert!(!package_name(Path::new(".")).is_empty());
    }

    #[test]
    fn an_output_inside_a_rebuilt_folder_is_refused() {
        let mut options = WaczOptions::new("out");
        options.output = PathBuf::from("out/mirror/x.wacz");
        assert!(matches!(
            refuse_output_inside(&options),
            Err(WaczError::OutputInside(_))
        ));
        options.output = PathBuf::from("out/x.wacz");
        assert!(refuse_output_inside(&options).is_ok());
    }
}
