//! A crawl made with `--dedup-from OLD` holds revisits whose payload is in OLD. Its package
//! either names OLD's package in `relation.requires` (as Browsertrix does for deduplicated
//! crawls) or, with `--include-referred`, holds copies of the referred records in one more WARC
//! file, `archive/referred-<OLD's name>.warc.gz`, so that it replays on its own.
//!
//! The copies are byte-exact: each record is its own gzip member in OLD, copied whole, after the
//! warcinfo record of the OLD file it came from (which describes the crawl that made it).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::datapackage::{Relation, Requirement, sha256_label};
use super::{WaczError, default_output, package_name};
use crate::dedup::DEDUP_FROM_FIELD;
use crate::mirror::catalog::{Catalog, Entry, REFERRED_MISSING};
use crate::warc::reader::WarcReader;

/// The earlier crawl a catalog's revisits refer to, if any of them does.
pub fn earlier_folder(catalog: &Catalog) -> Option<PathBuf> {
    let old = catalog.info.get(DEDUP_FROM_FIELD)?;
    let refers_out = catalog.entries.values().any(|entry| match entry {
        Entry::Archived(c) | Entry::Redirect { capture: c, .. } => {
            c.payload_at.file.folder.is_some()
        }
        Entry::NotArchived { reason, .. } => reason.starts_with(REFERRED_MISSING),
    });
    refers_out.then(|| PathBuf::from(old))
}

/// Whether any revisit's payload could not be found in the earlier crawl.
pub fn missing_referred(catalog: &Catalog) -> Option<String> {
    catalog.entries.values().find_map(|entry| match entry {
        Entry::NotArchived { url, reason } if reason.starts_with(REFERRED_MISSING) => {
            Some(format!(
                "{url}: {}",
                reason
                    .strip_prefix(REFERRED_MISSING)
                    .unwrap_or(reason)
                    .trim_start_matches(": ")
            ))
        }
        _ => None,
    })
}

/// `relation.requires` naming the package of the earlier crawl in `old` (its hash and size when
/// `arkiv wacz OLD` has made it already).
pub fn relation(old: &Path) -> Result<Relation, WaczError> {
    let package = default_output(old);
    let filename = package
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (hash, size) = if package.is_file() {
        let (hash, size) = sha256_of(&package)?;
        (Some(hash), Some(size))
    } else {
        (None, None)
    };
    Ok(Relation {
        requires: vec![Requirement {
            filename,
            hash,
            size,
            crawl_id: package_name(old),
            folder: old.display().to_string(),
        }],
    })
}

fn sha256_of(path: &Path) -> Result<(String, u64), WaczError> {
    let mut file = fs_err::File::open(path).map_err(|e| WaczError::io(path, e))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher).map_err(|e| WaczError::io(path, e))?;
    Ok((sha256_label(&hasher.finalize()), size))
}

/// The name of the extra WARC file that holds the referred records.
pub fn referred_file_name(old: &Path) -> String {
    format!("referred-{}.warc.gz", package_name(old))
}

/// Writes the records the catalog's captures take their payload from in the earlier crawl to
/// `path`, each source file's warcinfo first; returns how many records were copied (0: none
/// referred, and nothing written).
pub fn write_referred_warc(catalog: &Catalog, path: &Path) -> Result<usize, WaczError> {
    if let Some(missing) = missing_referred(catalog) {
        return Err(WaczError::Referred(missing));
    }
    // Source file → offsets, in order: the copy reads each file front to back.
    let mut wanted: BTreeMap<PathBuf, Vec<u64>> = BTreeMap::new();
    for entry in catalog.entries.values() {
        let (Entry::Archived(c) | Entry::Redirect { capture: c, .. }) = entry else {
            continue;
        };
        if let Some(folder) = &c.payload_at.file.folder {
            wanted
                .entry(folder.join(&*c.payload_at.file.name))
                .or_default()
                .push(c.payload_at.offset);
        }
    }
    if wanted.is_empty() {
        return Ok(0);
    }
    let mut out =
        std::io::BufWriter::new(fs_err::File::create(path).map_err(|e| WaczError::io(path, e))?);
    let mut copied = 0;
    for (source, mut offsets) in wanted {
        offsets.sort_unstable();
        offsets.dedup();
        copied += offsets.len();
        // The file's warcinfo first (an arkiv WARC file opens with it).
        if offsets.first() != Some(&0) {
            copy_member(&source, 0, &mut out)?;
        }
        for offset in offsets {
            copy_member(&source, offset, &mut out)?;
        }
    }
    out.flush().map_err(|e| WaczError::io(path, e))?;
    out.get_ref()
        .sync_all()
        .map_err(|e| WaczError::io(path, e))?;
    Ok(copied)
}

/// Copies the gzip member of the record at `offset` of `source` byte for byte.
fn copy_member(source: &Path, offset: u64, out: &mut impl Write) -> Result<(), WaczError> {
    let mut reader = WarcReader::open_at(source, offset)?;
    if reader.next_record()?.is_none() {
        return Err(WaczError::Referred(format!(
            "{}: no record at offset {offset}",
            source.display()
        )));
    }
    let length = reader.finish_record()?.length;
    let mut file = fs_err::File::open(source).map_err(|e| WaczError::io(source, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| WaczError::io(source, e))?;
    let n = std::io::copy(&mut file.take(length), out).map_err(|e| WaczError::io(source, e))?;
    if n != length {
        return Err(WaczError::io(
            source,
            std::io::Error::other(format!(
                "the record at offset {offset} ends early ({n} of {length} bytes)"
            )),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_referred_file_is_named_after_the_earlier_crawl() {
        assert_eq!(
            referred_file_name(Path::new("/a/crawl-2026")),
            "referred-crawl-2026.warc.gz"
        );
    }

    #[test]
    fn a_requirement_names_the_earlier_package() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        fs_err::create_dir_all(&old).unwrap();
        let unmade = relation(&old).unwrap();
        assert_eq!(unmade.requires[0].filename, "old.wacz");
        assert_eq!(unmade.requires[0].crawl_id, "old");
        assert_eq!(unmade.requires[0].hash, None);
        fs_err::write(old.join("old.wacz"), b"abc").unwrap();
        let made = relation(&old).unwrap();
        assert_eq!(made.requires[0].size, Some(3));
        assert_eq!(
            made.requires[0].hash.as_deref(),
            Some("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
