//! Integration tests: warc_format.
