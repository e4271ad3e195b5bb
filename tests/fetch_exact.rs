//! Integration tests: fetch_exact.
