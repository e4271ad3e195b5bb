//! What a response body is, read the same way everywhere (discovery, the mirror, resume, the
//! reports): which header a repeated field means ([`header`]), its media type, how its content
//! coding is undone ([`coding`]), and whether it is read as HTML, CSS or not at all ([`kind`]).
//!
//! Architecture invariant: depends only on `extract::sniff` (the byte-level sniffing rules);
//! the crawl and the mirror both use it, so they can never disagree on what a body is.

pub mod coding;
pub mod header;
pub mod kind;

pub use header::{header_value, media_type};
pub use kind::{BodyKind, SNIFF_BYTES, classify};
