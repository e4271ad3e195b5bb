//! Integration tests: fixture_server.
