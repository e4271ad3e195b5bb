//! Writes the ZIP: WARC files and gzip index blocks stored, the JSON and text files deflated,
//! each file hashed (sha256) while it is copied in, the datapackage last.
//!
//! Generated files (index, pages) are first written to a hidden staging folder beside the
//! output, so their sizes are known before they go in (a stored entry of 4 GiB or more needs the
//! ZIP64 flag up front); the ZIP itself goes to a hidden `.part` file there and is renamed to the
//! output name after it is complete and synced. Both are removed when the run ends, however it
//! ends short of `kill -9`; even then the output name never holds a partial package.

use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::datapackage::{DataPackage, DataPackageDigest, Relation, Resource, sha256_label};
use super::pages::{PageList, rfc3339_seconds, write_pages_jsonl};
use super::{WACZ_VERSION, WaczError, WaczOptions, WaczSummary, package_name, zipnum};
use crate::mirror::catalog::CrawlInfo;

/// Bytes copied per read.
const BUFFER: usize = 256 * 1024;

/// Entries at or above this size need ZIP64 sizes.
const ZIP64_LIMIT: u64 = u32::MAX as u64;

pub(super) fn write_package(
    options: &WaczOptions,
    warc_files: &[PathBuf],
    index_lines: &[String],
    pages: &PageList,
    info: &CrawlInfo,
    relation: Option<Relation>,
) -> Result<WaczSummary, WaczError> {
    let output = &options.output;
    let out_dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    fs_err::create_dir_all(&out_dir).map_err(|e| WaczError::io(&out_dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".arkiv-wacz-")
        .tempdir_in(&out_dir)
        .map_err(|e| WaczError::io(&out_dir, e))?;
    let warc_dir = options.dir.join("warc");
    let created = chrono::Utc::now();

    // The generated files, staged.
    let mut generated: Vec<(String, PathBuf, CompressionMethod)> = Vec::new();
    let zipnum_blocks = if index_lines.len() as u64 > options.zipnum_above {
        let data_path = staging.path().join("index.cdx.gz");
        let idx_path = staging.path().join("index.idx");
        let mut idx = Vec::new();
        let blocks = stage(&data_path, |data| {
            zipnum::write_zipnum(
                index_lines,
                options.zipnum_block,
                "index.cdx.gz",
                data,
                &mut idx,
            )
        })?;
        stage(&idx_path, |out| out.write_all(&idx))?;
        generated.push((
            "indexes/index.cdx.gz".into(),
            data_path,
            CompressionMethod::Stored,
        ));
        generated.push((
            "indexes/index.idx".into(),
            idx_path,
            CompressionMethod::Deflated,
        ));
        Some(blocks.len())
    } else {
        let path = staging.path().join("index.cdxj");
        stage(&path, |out| {
            for line in index_lines {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })?;
        generated.push((
            "indexes/index.cdxj".into(),
            path,
            CompressionMethod::Deflated,
        ));
        None
    };
    let pages_path = staging.path().join("pages.jsonl");
    let written = stage(&pages_path, |out| {
        write_pages_jsonl(&warc_dir, &pages.pages, out)
    })?;
    generated.push((
        "pages/pages.jsonl".into(),
        pages_path,
        CompressionMethod::Deflated,
    ));

    // The package.
    let name = package_name(&options.dir);
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".wacz.part");
    // A package is for sharing: readable by all, as any file the user makes (less the umask),
    // not private the way a temporary file starts out.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut part = builder
        .tempfile_in(&out_dir)
        .map_err(|e| WaczError::io(&out_dir, e))?;
    let part_path = part.path().to_path_buf();
    let zip_err = |source| WaczError::Zip {
        path: part_path.display().to_string(),
        source,
    };
    let time = zip_time(&created);
    let mut zip = ZipWriter::new(BufWriter::with_capacity(BUFFER, part.as_file_mut()));
    let mut resources = Vec::new();
    for file in warc_files {
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = format!("archive/{file_name}");
        resources.push(add_file(
            &mut zip,
            &entry,
            file,
            CompressionMethod::Stored,
            time,
        )?);
    }
    for (entry, path, method) in &generated {
        resources.push(add_file(&mut zip, entry, path, *method, time)?);
    }
    let main = pages.main.as_ref();
    let package = DataPackage {
        profile: "data-package".to_string(),
        wacz_version: WACZ_VERSION.to_string(),
        title: written
            .first_title
            .clone()
            .filter(|_| pages.pages.first().is_some_and(|p| p.seed))
            .or_else(|| main.map(|(url, _)| url.clone())),
        description: info.get("description").map(str::to_string),
        main_page_url: main.map(|(url, _)| url.clone()),
        main_page_date: main.map(|(_, date)| rfc3339_seconds(date)),
        created: created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        software: crate::SOFTWARE.to_string(),
        resources,
        relation,
    };
    let package_bytes = package.to_bytes();
    add_bytes(&mut zip, "datapackage.json", &package_bytes, time)?;
    add_bytes(
        &mut zip,
        "datapackage-digest.json",
        &DataPackageDigest::of(&package_bytes).to_bytes(),
        time,
    )?;
    let mut buffered = zip.finish().map_err(zip_err)?;
    buffered.flush().map_err(|e| WaczError::io(&part_path, e))?;
    drop(buffered);
    part.as_file()
        .sync_all()
        .map_err(|e| WaczError::io(&part_path, e))?;
    part.persist(output)
        .map_err(|e| WaczError::io(output, e.error))?;
    // The rename itself survives a power loss only once the folder is synced (best effort:
    // not every file system lets a folder be opened for that).
    if let Ok(dir) = fs_err::File::open(&out_dir) {
        let _ = dir.sync_all();
    }
    let bytes = fs_err::metadata(output)
        .map_err(|e| WaczError::io(output, e))?
        .len();
    Ok(WaczSummary {
        output: output.clone(),
        bytes,
        warc_files: warc_files.len(),
        index_lines: index_lines.len(),
        zipnum_blocks,
        pages: written.count,
        main_page: pages.main.as_ref().map(|(url, _)| url.clone()),
    })
}

/// Writes a staged file through `fill`.
fn stage<T>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<fs_err::File>) -> io::Result<T>,
) -> Result<T, WaczError> {
    let file = fs_err::File::create(path).map_err(|e| WaczError::io(path, e))?;
    let mut out = BufWriter::with_capacity(BUFFER, file);
    let value = fill(&mut out).map_err(|e| WaczError::io(path, e))?;
    out.flush().map_err(|e| WaczError::io(path, e))?;
    Ok(value)
}

fn entry_options(method: CompressionMethod, size: u64, time: zip::DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(size >= ZIP64_LIMIT)
}

/// Copies `path` into the ZIP as `entry`, hashing what goes in.
fn add_file<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    entry: &str,
    path: &Path,
    method: CompressionMethod,
    time: zip::DateTime,
) -> Result<Resource, WaczError> {
    let mut file = fs_err::File::open(path).map_err(|e| WaczError::io(path, e))?;
    let size = file.metadata().map_err(|e| WaczError::io(path, e))?.len();
    zip.start_file(entry, entry_options(method, size, time))
        .map_err(|source| WaczError::Zip {
            path: path.display().to_string(),
            source,
        })?;
    let mut hasher = Sha256::new();
    let mut copied = 0u64;
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(WaczError::io(path, e)),
        };
        hasher.update(&buf[..n]);
        zip.write_all(&buf[..n])
            .map_err(|e| WaczError::io(path, e))?;
        copied += n as u64;
    }
    if copied != size {
        return Err(WaczError::io(
            path,
            io::Error::other(format!(
                "the file changed while it was packed ({size} bytes, then {copied})"
            )),
        ));
    }
    Ok(Resource::new(
        entry,
        sha256_label(&hasher.finalize()),
        copied,
    ))
}

fn add_bytes<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    entry: &str,
    bytes: &[u8],
    time: zip::DateTime,
) -> Result<(), WaczError> {
    zip.start_file(
        entry,
        entry_options(CompressionMethod::Deflated, bytes.len() as u64, time),
    )
    .map_err(|source| WaczError::Zip {
        path: entry.to_string(),
        source,
    })?;
    zip.write_all(bytes)
        .map_err(|e| WaczError::io(Path::new(entry), e))
}

/// The ZIP entries' time: when the package was made (ZIP times have no zone; this is UTC).
fn zip_time(created: &chrono::DateTime<chrono::Utc>) -> zip::DateTime {
    use chrono::{Datelike as _, Timelike as _};
    let year = u16::try_from(created.year()).unwrap_or(1980);
    zip::DateTime::from_date_and_time(
        year,
        created.month() as u8,
        created.day() as u8,
        created.hour() as u8,
        created.minute() as u8,
        created.second() as u8,
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_of_4_gib_or_more_need_zip64() {
        let time = zip::DateTime::default();
        let small = entry_options(CompressionMethod::Stored, ZIP64_LIMIT - 1, time);
        let large = entry_options(CompressionMethod::Stored, ZIP64_LIMIT, time);
        assert_ne!(format!("{small:?}"), format!("{large:?}"));
        assert!(
            format!("{large:?}").contains("large_file: true"),
            "{large:?}"
        );
    }
}
