//! The browsable offline mirror, derived from WARC records: URL to path mapping, rewriting, manifest.

pub mod path_map;
