//! Response bodies: bytes in memory, or a file streamed in blocks; both honour a `Range`.

use std::io::SeekFrom;
use std::path::Path;

use bytes::Bytes;
use http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::range::{RangeAnswer, answer, content_range};

/// Every response's body type.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Bytes read from a file per frame.
const BLOCK: usize = 64 * 1024;

/// A body of bytes in memory.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// A short plain-text answer (errors, hints).
pub fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(full(format!("{message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `404 Not Found`, saying nothing about why.
pub fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found")
}

/// Bytes in memory as a `200`, or the part a `Range` asks for.
pub fn bytes_response(
    bytes: Bytes,
    content_type: &str,
    range: Option<&str>,
    head_only: bool,
) -> Response<Body> {
    let len = bytes.len() as u64;
    let (status, part) = match answer(range, len) {
        RangeAnswer::Whole => (StatusCode::OK, 0..len),
        RangeAnswer::Partial(part) => (StatusCode::PARTIAL_CONTENT, part),
        RangeAnswer::Unsatisfiable => return unsatisfiable(len),
    };
    let body = if head_only {
        empty()
    } else {
        full(bytes.slice(part.start as usize..part.end as usize))
    };
    with_length(Response::new(body), status, content_type, &part, len)
}

/// A file as a `200`, or the part a `Range` asks for, streamed.
pub async fn file_response(
    path: &Path,
    content_type: &str,
    range: Option<&str>,
    head_only: bool,
) -> std::io::Result<Response<Body>> {
    let mut file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    let (status, part) = match answer(range, len) {
        RangeAnswer::Whole => (StatusCode::OK, 0..len),
        RangeAnswer::Partial(part) => (StatusCode::PARTIAL_CONTENT, part),
        RangeAnswer::Unsatisfiable => return Ok(unsatisfiable(len)),
    };
    let body = if head_only {
        empty()
    } else {
        file.seek(SeekFrom::Start(part.start)).await?;
        let remaining = part.end - part.start;
        let stream =
            futures_util::stream::unfold((file, remaining), |(mut file, left)| async move {
                if left == 0 {
                    return None;
                }
                let mut buf = vec![0u8; BLOCK.min(usize::try_from(left).unwrap_or(BLOCK))];
                match file.read(&mut buf).await {
                    // The file shrank under us: end the body; the client sees it short.
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(Frame::data(Bytes::from(buf))), (file, left - n as u64)))
                    }
                    Err(err) => Some((Err(err), (file, 0))),
                }
            });
        StreamBody::new(stream).boxed()
    };
    Ok(with_length(
        Response::new(body),
        status,
        content_type,
        &part,
        len,
    ))
}

fn with_length(
    mut response: Response<Body>,
    status: StatusCode,
    content_type: &str,
    part: &std::ops::Range<u64>,
    len: u64,
) -> Response<Body> {
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(part.end - part.start));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(value) = HeaderValue::from_str(&content_range(part, len))
    {
        headers.insert(CONTENT_RANGE, value);
    }
    response
}

fn unsatisfiable(len: u64) -> Response<Body> {
    let mut response = text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable");
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
        response.headers_mut().insert(CONTENT_RANGE, value);
    }
    response
}
