//! Reports written to `<out>/reports/`: crawl.log, summary.json.
