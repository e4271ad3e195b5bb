//! arkiv: preserve websites that have stopped changing.
//!
//! The flow (the map of the code is `ARCHITECTURE.md` at the repository's root): seeds →
//! frontier → fetcher → WARC writer → WARC files and CDXJ index (the preservation master) →
//! mirror builder → `mirror/` (derived, browsable offline). `verify` reads all of it back
//! independently.
// No unsafe code, except the one allocator call in `memory` (allowed there, and only there).
#![deny(unsafe_code)]

pub mod auth;
pub mod content;
pub mod crawl;
pub mod dedup;
pub mod demo;
pub mod diff;
pub mod exit;
pub mod extract;
pub mod fixture;
pub mod lock;
pub mod memory;
pub mod mirror;
pub mod outcome;
pub mod proxy;
pub mod recording_proxy;
pub mod render;
pub mod report;
pub mod run;
pub mod scope;
pub mod serve;
pub mod urls;
pub mod verify;
pub mod wacz;
pub mod warc;

/// The tool's name and version as it appears in User-Agent, warcinfo and reports.
pub const SOFTWARE: &str = concat!("arkiv/", env!("CARGO_PKG_VERSION"));
