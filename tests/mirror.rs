//! Integration tests: mirror.
