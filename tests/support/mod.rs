//! Shared test support: temp folders, running the CLI, reading outputs.
