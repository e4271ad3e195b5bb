//! The crawl: configuration, scope, robots.txt, frontier, fetching and the scheduler that ties them.

pub mod robots;
