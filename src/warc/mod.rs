//! WARC 1.1: records, our own writer (one gzip member per record), a reader, digests and the CDXJ index.

pub mod cdxj;
pub mod digest;
pub mod http_head;
pub mod reader;
pub mod record;
pub mod writer;

pub use cdxj::{CdxjEntry, CdxjError, index_warc, read_index, write_index};
pub use digest::{BlockDigester, sha1_digest};
pub use reader::{ReadError, RecordSummary, WarcReader, read_record_at};
pub use record::{
    RecordError, RecordType, Truncated, WarcHeaders, format_warc_date, new_record_id,
};
pub use writer::{
    Block, Hop, HttpRecordMeta, MetadataMeta, Outlink, RecordLocation, ResourceMeta, RevisitMeta,
    WarcWriter, WarcinfoFields, WriteError, WriterOptions, WrittenRecord,
};
