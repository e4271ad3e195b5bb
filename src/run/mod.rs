//! The flow of each command that writes an output folder, composed in one place: `crawl` and
//! `crawl --resume` (crawl → index → summary → mirror), `mirror` (rebuild from the WARC alone).
//!
//! Architecture invariant: the stages below (`crawl`, `warc`, `mirror`, `report`) never call
//! one another across the flow; only this module strings them together.

mod crawl;
mod finish;
mod report;

pub use crawl::{ResumeOptions, crawl, resume};
pub use report::CrawlReport;
