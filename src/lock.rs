//! One arkiv run per output folder: an advisory lock on `<out>/state/lock`, held for the run.
//!
//! Two crawls (or a crawl and `arkiv mirror`) writing one folder would interleave WARC records
//! under one serial and swap each other's mirror away. The lock is an OS file lock (`flock` on
//! Unix), so it ends with the process however the process ends: a `kill -9` or a power loss
//! leaves no stale lock for `--resume` to trip over.

use std::fs::TryLockError;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// Where the lock lives below an output folder.
pub const LOCK_PATH: &str = "state/lock";

/// Held while this process works in an output folder; released on drop or process exit.
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
    _file: std::fs::File,
}

/// Why an output folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{out} is in use by another arkiv run{holder}; wait for it to end or stop it, then try \
         again (nothing was changed)"
    )]
    Busy { out: String, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl OutLock {
    /// Takes the lock of `out` (creating `out/state/` if needed), or says who holds it.
    /// `what` names this run in the lock file (e.g. "crawl"), for the message another run shows.
    pub fn acquire(out: &Path, what: &str) -> Result<OutLock, LockError> {
        let path = out.join(LOCK_PATH);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            refuse_symlink(dir).map_err(io)?;
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        refuse_symlink(&path).map_err(io)?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let text = text.trim();
                return Err(LockError::Busy {
                    out: out.display().to_string(),
                    holder: if text.is_empty() {
                        String::new()
                    } else {
                        format!(" ({text})")
                    },
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // Who holds it, for the other run's message. Best effort: the lock itself is what counts.
        let note = format!(
            "{what}, process {}, since {}",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(note.as_bytes()));
        Ok(OutLock { path, _file: file })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Everything arkiv writes stays inside the output folder: a planted link is refused.
pub(crate) fn refuse_symlink(path: &Path) -> std::io::Result<()> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; arkiv writes only into real folders",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().expect("temp");
        let first = OutLock::acquire(dir.path(), "crawl").expect("first lock");
        assert!(first.path().ends_with(LOCK_PATH));
        let err = OutLock::acquire(dir.path(), "mirror").expect_err("second lock");
        let text = err.to_string();
        assert!(text.contains("in use by another arkiv run"), "{text}");
        assert!(
            text.contains(&format!("crawl, process {}", std::process::id())),
            "{text}"
        );
        drop(first);
        OutLock::acquire(dir.path(), "mirror").expect("free again after drop");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_state_folder_is_refused() {
        let dir = tempfile::tempdir().expect("temp");
        let elsewhere = tempfile::tempdir().expect("temp");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("state")).expect("link");
        let err = OutLock::acquire(dir.path(), "crawl").expect_err("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!elsewhere.path().join("lock").exists());
    }
}
