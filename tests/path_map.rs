//! Integration tests: path_map.
