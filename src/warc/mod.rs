//! WARC 1.1: records, our own writer (one gzip member per record), a reader, digests and the CDXJ index.
