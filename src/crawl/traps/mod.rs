//! Guards against crawler traps: URLs a generated site can produce without end.
//!
//! Two kinds of evidence, kept apart: a URL can be a trap by itself ([`url_limits`]: too long,
//! too deep, repeating segments), or belong to a family of pages that keeps producing more of
//! itself while adding nothing ([`family_guard`], judged on what the fetched pages contain).

pub mod family;
pub mod family_guard;
pub mod fingerprint;
pub mod url_limits;

pub use family::{family_of, shape_of};
pub use family_guard::{FamilyGuard, FamilyRecord, Observed};
pub use fingerprint::Fingerprint;
pub use url_limits::{Trap, UrlLimits};
