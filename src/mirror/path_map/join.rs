//! `safe_join`: the only way from a `MirrorPath` to a real path under the mirror root.
//!
//! The folders are created one at a time so that each can be inspected before anything goes into
//! it: a symlink (or a file) where a folder should be stops the write instead of sending it
//! outside the root. Not defended: another process swapping a folder for a link between this
//! check and the write (no `openat` without `unsafe` or another dependency); the mirror folder
//! is ours while it is being built.

use std::io;
use std::path::{Component, Path, PathBuf};

use super::{MirrorPath, PathError, name};

/// The absolute-or-root-relative path of `rel` below `root`, with its parent folders created.
///
/// Fails when `rel` is not a valid relative mirror path, when an existing component below `root`
/// is a symlink (links are never followed) or a folder is taken by a file, or on I/O errors.
/// `root` itself is created when missing and may be a link (the user chose it).
pub fn safe_join(root: &Path, rel: &MirrorPath) -> Result<PathBuf, PathError> {
    check_relative(rel)?;
    fs_err::create_dir_all(root).map_err(|source| PathError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let segments: Vec<&str> = rel.segments().collect();
    let Some((file, dirs)) = segments.split_last() else {
        return Err(invalid(rel, "empty path"));
    };
    let mut path = root.to_path_buf();
    for dir in dirs {
        path.push(dir);
        ensure_real_dir(&path)?;
    }
    path.push(file);
    match fs_err::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(PathError::Symlink { path }),
        Ok(meta) if meta.is_dir() => Err(PathError::NotAFile { path }),
        Ok(_) => Ok(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(path),
        Err(source) => Err(PathError::Io { path, source }),
    }
}

/// Re-checks what the type promises, so a bug elsewhere cannot turn into a write outside the root.
fn check_relative(rel: &MirrorPath) -> Result<(), PathError> {
    for segment in rel.segments() {
        if let Some(reason) = name::problem(segment) {
            return Err(invalid(rel, reason));
        }
    }
    let all_normal = Path::new(rel.as_str())
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !all_normal {
        return Err(invalid(rel, "not a plain relative path"));
    }
    Ok(())
}

fn invalid(rel: &MirrorPath, reason: &'static str) -> PathError {
    PathError::Invalid {
        path: rel.as_str().to_string(),
        reason,
    }
}

/// Makes `path` an existing real folder, creating it if missing; never through a link.
fn ensure_real_dir(path: &Path) -> Result<(), PathError> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) => check_dir_meta(path, &meta),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            match fs_err::create_dir(path) {
                Ok(()) => Ok(()),
                // Someone made it meanwhile: look again at what it is.
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = fs_err::symlink_metadata(path).map_err(|source| PathError::Io {
                        path: path.to_path_buf(),
                        source,
                    })?;
                    check_dir_meta(path, &meta)
                }
                Err(source) => Err(PathError::Io {
                    path: path.to_path_buf(),
                    source,
                }),
            }
        }
        Err(source) => Err(PathError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn check_dir_meta(path: &Path, meta: &std::fs::Metadata) -> Result<(), PathError> {
    if meta.file_type().is_symlink() {
        Err(PathError::Symlink {
            path: path.to_path_buf(),
        })
    } else if meta.is_dir() {
        Ok(())
    } else {
        Err(PathError::NotADirectory {
            path: path.to_path_buf(),
        })
    }
}
