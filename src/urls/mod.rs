//! URLs: canonical form for de-duplication, and SURT keys for the CDXJ index.

pub mod canonical;
pub mod surt;
