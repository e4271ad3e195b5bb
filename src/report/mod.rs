//! Reports written to `<out>/reports/`: `crawl.log` (one line per URL) and `summary.json`.

pub mod crawl_log;
pub mod summary;

pub use crawl_log::{CrawlLog, LogLine};
pub use summary::Summary;
