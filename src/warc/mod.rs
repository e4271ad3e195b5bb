//! WARC 1.1: records, our own writer (one gzip member per record), a reader, digests and the CDXJ index.

pub mod cdxj;
pub mod dechunk;
pub mod digest;
pub mod gzip_member;
pub mod http_head;
mod precompressed;
pub mod reader;
pub mod record;
pub mod record_meta;
pub mod redact;
pub mod seal;
pub mod writer;

pub use cdxj::{CdxjEntry, CdxjError, index_warc, read_index, warc_date_to_timestamp, write_index};
pub use digest::{BlockDigester, sha1_digest};
pub use http_head::{HeadError, ResponseHead, parse_response_head};
pub use reader::{BlockReader, ReadError, RecordHead, RecordSummary, WarcReader, read_record_at};
pub use record::{
    RecordError, RecordFields, RecordType, Truncated, WarcHeaders, format_warc_date, new_record_id,
};
pub use record_meta::{OUTCOME_CONTENT_TYPE, OUTCOME_FIELD};
pub use seal::{SealReport, seal_truncated_tail};
pub use writer::{
    Block, DEFAULT_MAX_SIZE, Hop, HttpRecordMeta, MetadataMeta, Outlink,
    REVISIT_PROFILE_IDENTICAL_PAYLOAD, ReadSeek, RecordLocation, ResourceMeta, RevisitMeta,
    WarcWriter, WarcinfoFields, WriteError, WriterOptions, WrittenRecord,
};
