//! Sealing a WARC file that a crash cut short: trimming it back to the end of its last whole record.
//!
//! The writer appends whole gzip members, so a crash leaves at most one partial member at a file's
//! tail. Replay tools stop (or worse, guess) at such a tail, so `resume` trims it. Only a
//! truncated *tail* is trimmed: a malformed record with data after it is reported, never cut,
//! because that would destroy archived records.

use std::path::Path;

use super::reader::{ReadError, WarcReader};

/// What sealing found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealReport {
    /// Whole records in the file.
    pub records: u64,
    /// The file's length after sealing.
    pub kept_len: u64,
    /// Bytes of the partial record that were removed (0 when the file was whole).
    pub removed_bytes: u64,
}

/// Trims a truncated tail off `path` (and fsyncs it); a whole file is left untouched.
pub fn seal_truncated_tail(path: &Path) -> Result<SealReport, ReadError> {
    let io_err = |offset, source| ReadError::Io {
        file: path.display().to_string(),
        offset,
        source,
    };
    let file_len = fs_err::metadata(path).map_err(|e| io_err(0, e))?.len();
    let mut reader = WarcReader::open(path)?;
    let mut records = 0;
    let mut end = 0;
    loop {
        let step = reader.next_record().and_then(|head| match head {
            Some(_) => reader.finish_record().map(Some),
            None => Ok(None),
        });
        match step {
            Ok(Some(summary)) => {
                records += 1;
                end = summary.offset + summary.length;
            }
            Ok(None) => {
                return Ok(SealReport {
                    records,
                    kept_len: file_len,
                    removed_bytes: 0,
                });
            }
            Err(ReadError::Truncated { .. }) => break,
            Err(other) => return Err(other),
        }
    }
    let file = fs_err::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_err(end, e))?;
    file.set_len(end).map_err(|e| io_err(end, e))?;
    file.sync_all().map_err(|e| io_err(end, e))?;
    Ok(SealReport {
        records,
        kept_len: end,
        removed_bytes: file_len - end,
    })
}
