//! Integration tests: extract_links.
