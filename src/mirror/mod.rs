//! The browsable offline mirror, derived from WARC records: URL to path mapping, rewriting, manifest.

pub mod builder;
pub mod catalog;
pub mod files;
pub mod manifest;
pub mod pages;
pub mod path_map;
pub mod payload;
pub mod rewrite;
pub mod snapshot;
mod spill;
mod survey;
mod text_hash;

pub use builder::{MirrorReport, build_mirror};
