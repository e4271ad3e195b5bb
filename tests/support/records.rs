//! Reading a crawl's WARC files back with the independent `warc` crate, every block digest
//! checked on the way.

use std::path::PathBuf;

use arkiv::warc::digest::sha1_digest;
use warc::WarcHeader;

/// One record as the `warc` crate reads it.
pub struct WarcRec {
    pub kind: String,
    pub id: String,
    pub target: Option<String>,
    pub concurrent_to: Option<String>,
    pub warcinfo_id: Option<String>,
    pub payload_digest: Option<String>,
    pub block: Vec<u8>,
    /// Which of `files` it came from, and whether it opens that file.
    pub file_index: usize,
    pub first_in_file: bool,
}

/// Every record of `files`, in order; panics on a record the crate cannot parse or whose
/// `WARC-Block-Digest` does not match its block.
pub fn warc_records(files: &[PathBuf]) -> Vec<WarcRec> {
    let mut all = Vec::new();
    for (file_index, path) in files.iter().enumerate() {
        let reader = warc::WarcReader::from_path_gzip(path).expect("warc crate opens our file");
        for (i, record) in reader.iter_records().enumerate() {
            let record = record.expect("warc crate parses every record");
            let header = |h: WarcHeader| record.header(h).map(|v| v.into_owned());
            let block = record.body().to_vec();
            assert_eq!(
                header(WarcHeader::BlockDigest).as_deref(),
                Some(sha1_digest(&block).as_str()),
                "block digest of {:?}",
                header(WarcHeader::TargetURI)
            );
            all.push(WarcRec {
                kind: header(WarcHeader::WarcType).unwrap_or_default(),
                id: record.warc_id().to_string(),
                target: header(WarcHeader::TargetURI),
                concurrent_to: header(WarcHeader::ConcurrentTo),
                warcinfo_id: header(WarcHeader::WarcInfoID),
                payload_digest: header(WarcHeader::PayloadDigest),
                block,
                file_index,
                first_in_file: i == 0,
            });
        }
    }
    all
}
