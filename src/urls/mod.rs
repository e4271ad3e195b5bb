//! URLs: canonical form for de-duplication, and SURT keys for the CDXJ index.

pub mod canonical;
pub mod session;
pub mod surt;

use url::Url;

/// The key under which the crawl and the mirror count a URL as "the same page": canonical form,
/// session ids removed. One function for both, so that what the crawl skipped as seen is found
/// by the mirror under the same key.
pub fn dedup_key(url: &Url) -> String {
    canonical::canonical_key(&session::strip_session_ids(url))
}
