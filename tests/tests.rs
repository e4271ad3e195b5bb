//! All integration tests, built into one binary (one `mod` per capability).

mod support;

mod access;
mod architecture;
mod browser_crawl;
mod cli;
mod completeness;
mod crawl;
mod dedup;
mod diff;
mod extract_links;
mod fetch_exact;
mod fixture_server;
mod hostile;
mod https;
mod mirror;
mod path_map;
mod recording_proxy;
mod reference;
mod render;
mod replay;
mod replaywebpage;
mod resume;
mod serve;
mod traps;
mod verify;
mod verify_real;
mod wacz;
mod warc_format;
