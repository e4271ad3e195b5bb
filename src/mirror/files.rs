//! Writes the mirror's report files whole, never through a symbolic link planted in their way.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::manifest::WrittenLine;

/// `manifest.jsonl`: one JSON object per line, streamed to the file (never whole in memory).
pub(crate) fn write_manifest(
    path: &Path,
    lines: impl Iterator<Item = anyhow::Result<WrittenLine>>,
) -> anyhow::Result<()> {
    replace_file_with(path, |out| {
        for line in lines {
            out.write_all(line?.json.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// Writes `path` whole or not at all: into `<path>.tmp` (whatever was there, a link included,
/// is removed first and the file created exclusively, so no planted link is ever followed), then
/// renamed over `path` (which replaces a link at `path` instead of writing through it).
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    replace_file_with(path, |out| Ok(out.write_all(bytes)?))
}

/// [`replace_file`] with the bytes written by `write` through a buffer.
fn replace_file_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    let tmp = PathBuf::from(name);
    let file = create_fresh(&tmp)?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    fs_err::rename(&tmp, path)?;
    Ok(())
}

/// A new, empty file at `path`, open for reading and writing: whatever was there, a planted link
/// included, is removed first and the file created exclusively, so no link is ever followed.
pub(super) fn create_fresh(path: &Path) -> anyhow::Result<fs_err::File> {
    if path.symlink_metadata().is_ok() {
        fs_err::remove_file(path)?;
    }
    Ok(fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?)
}
