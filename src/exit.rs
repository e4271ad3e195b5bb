//! The process exit codes, in one place (documented in the README).

/// What the process tells its caller. Every command maps its outcome to exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything held: the crawl archived every URL it took, verify found nothing.
    Ok = 0,
    /// The command ran and has findings: URLs that could not be archived, checks that failed.
    Findings = 1,
    /// The command could not run: bad usage, unreadable input, an I/O error.
    CouldNotRun = 2,
    /// Stopped by Ctrl-C (SIGINT) after closing its files cleanly (128 + 2, as shells expect).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// An error as one line for the user: its chain of causes joined by ": ", each cause left out
/// when an earlier message already says it (wrappers such as `fs_err` repeat their source's
/// text, and a path printed three times hides what went wrong).
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Whether the error comes from the storage under the output folder (a failed read or write,
/// in our files or in SQLite's), which freeing space or fixing the disk can cure.
pub fn is_io_failure(err: &anyhow::Error) -> bool {
    is_disk_full(err)
        || err.chain().any(|cause| {
            cause.is::<std::io::Error>()
                || matches!(
                    cause.downcast_ref::<rusqlite::Error>(),
                    Some(rusqlite::Error::SqliteFailure(failure, _))
                        if failure.code == rusqlite::ErrorCode::SystemIoFailure
                )
        })
}

/// Whether the error comes from a full disk (or a full quota), anywhere in its chain.
pub fn is_disk_full(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(cause);
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                // ENOSPC and EDQUOT; `StorageFull` covers the first where the platform maps it.
                if io.kind() == std::io::ErrorKind::StorageFull
                    || matches!(io.raw_os_error(), Some(28 | 122))
                {
                    return true;
                }
                next = io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static));
            } else if let Some(rusqlite::Error::SqliteFailure(failure, _)) =
                e.downcast_ref::<rusqlite::Error>()
            {
                // SQLite reports ENOSPC as its own code.
                return failure.code == rusqlite::ErrorCode::DiskFull;
            } else {
                next = None;
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_cause_is_printed_once() {
        let os = std::io::Error::from_raw_os_error(28);
        let wrapped =
            std::io::Error::new(os.kind(), format!("failed to write to file `w.gz`: {os}"));
        let err = anyhow::Error::new(wrapped)
            .context("w.gz: failed to write to file `w.gz`: No space left on device (os error 28)");
        let line = error_line(&err);
        assert_eq!(line.matches("No space left").count(), 1, "{line}");
        assert!(is_disk_full(&err), "{line}");
    }

    #[test]
    fn sqlite_full_is_a_full_disk() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None);
        let err = anyhow::Error::new(full).context("crawl state x");
        assert!(is_disk_full(&err));
    }

    #[test]
    fn other_errors_are_not_a_full_disk() {
        let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            .context("opening x");
        assert!(!is_disk_full(&err));
        assert!(
            error_line(&err).starts_with("opening x: "),
            "{}",
            error_line(&err)
        );
    }
}
