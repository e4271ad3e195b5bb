//! Canonical URL form used for de-duplication.
