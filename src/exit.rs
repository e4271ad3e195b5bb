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
