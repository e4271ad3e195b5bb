//! What the archive thread derives from an exchange for its records and crawl.log: the HTTP
//! message's length, its head, media type and outlink hop letters.

use crate::crawl::fetch::Exchange;
use crate::warc::writer::Hop as WarcHop;

/// The length of the HTTP message in the received bytes. A server that sends more than its
/// `Content-Length` announced has sent bytes that belong to no response; they are not part of this
/// record (the payload digest, like every reader, stops at the announced length). Chunked and
/// close-delimited bodies end where the fetcher stopped reading.
pub(super) fn message_len(exchange: &Exchange) -> u64 {
    let received = exchange.response.len();
    let chunked = exchange.header("transfer-encoding").is_some_and(|v| {
        String::from_utf8_lossy(v)
            .to_ascii_lowercase()
            .contains("chunked")
    });
    let announced = exchange.header("content-length").is_some();
    let message = exchange.head_len as u64 + exchange.payload.len();
    if announced && !chunked && exchange.truncated.is_none() && received > message {
        message
    } else {
        received
    }
}

pub(super) fn head_bytes(exchange: &Exchange) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = vec![0; exchange.head_len];
    exchange.response.reader()?.read_exact(&mut head)?;
    Ok(head)
}

/// The media type without parameters, lower-cased (`text/html`).
pub fn mime_of(exchange: &Exchange) -> String {
    exchange
        .header("content-type")
        .map(|v| crate::content::media_type(&String::from_utf8_lossy(v)))
        .unwrap_or_default()
}

/// The hop letter an outlink line carries (Heritrix's: L, E, R).
pub(super) fn outlink_hop(hop: crate::crawl::task::Hop) -> WarcHop {
    match hop {
        crate::crawl::task::Hop::Embed => WarcHop::Embed,
        crate::crawl::task::Hop::Redirect => WarcHop::Redirect,
        crate::crawl::task::Hop::Prerequisite => WarcHop::Prerequisite,
        _ => WarcHop::Link,
    }
}
