//! `arkiv verify`: link integrity, WARC integrity, mirror/WARC agreement and the notice.
