//! Writes the mirror's report files whole, never through a symbolic link planted in their way.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::manifest::ManifestLine;

/// `manifest.jsonl`: one JSON object per line.
pub(crate) fn write_manifest(path: &Path, lines: &[ManifestLine]) -> anyhow::Result<()> {
    let mut out = Vec::new();
    for line in lines {
        serde_json::to_writer(&mut out, line)?;
        out.push(b'\n');
    }
    replace_file(path, &out)
}

/// Writes `path` whole or not at all: into `<path>.tmp` (whatever was there, a link included,
/// is removed first and the file created exclusively, so no planted link is ever followed), then
/// renamed over `path` (which replaces a link at `path` instead of writing through it).
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    let tmp = PathBuf::from(name);
    if tmp.symlink_metadata().is_ok() {
        fs_err::remove_file(&tmp)?;
    }
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs_err::rename(&tmp, path)?;
    Ok(())
}
