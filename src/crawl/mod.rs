//! The crawl: configuration, scope, robots.txt, frontier, fetching and the scheduler that ties them.

pub mod access;
pub mod archive;
pub mod browse;
pub mod config;
pub mod discover;
pub mod fetch;
pub mod frontier;
pub mod keys;
pub mod options;
pub mod progress;
pub mod recover;
pub mod resume;
pub mod robots;
pub mod scheduler;
pub mod settings;
pub mod state;
pub mod task;
pub mod traps;

pub use config::{Config, ScopeMode};
