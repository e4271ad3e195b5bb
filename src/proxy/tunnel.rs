//! The `CONNECT` handshake that turns a connection to an HTTP proxy into a tunnel to an origin, for
//! https URLs (RFC 9110 §9.3.6). The fetcher runs it between the TCP connect to the proxy and the
//! TLS handshake with the origin; TLS then runs inside the tunnel, end to end, and the recorder sees
//! only the exchange with the site (the handshake is not part of the WARC record).
//!
//! The request is `CONNECT host:port HTTP/1.1` with `Host: host:port`, an optional
//! `Proxy-Authorization` and `User-Agent`. Any 2xx answer opens the tunnel; a 407 is
//! [`TunnelError::AuthRequired`] with the proxy's challenges, anything else
//! [`TunnelError::Refused`]. The head is read in pieces until its blank line and no further
//! (bounded to [`MAX_HEAD_BYTES`]); a proxy that sends bytes after a 2xx head, before the client
//! spoke, is broken ([`TunnelError::Protocol`]), since TLS has the client speak first. Time limits
//! are the caller's: wrap the call in its connect deadline.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::warc::http_head::{HeadError, parse_response_head};

/// The longest answer head read from a proxy.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What to ask the proxy for.
#[derive(Debug, Clone, Copy)]
pub struct TunnelRequest<'a> {
    /// The origin's `host:port` (an IPv6 address in brackets).
    pub authority: &'a str,
    /// `Proxy-Authorization` value, e.g. from [`super::Proxy::authorization`].
    pub proxy_authorization: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The proxy's 2xx answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    pub status: u16,
    /// The answer head as received.
    pub head: Vec<u8>,
}

/// Why no tunnel was opened.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("the proxy asks for credentials (407 {reason})")]
    AuthRequired {
        reason: String,
        /// The `Proxy-Authenticate` values.
        challenges: Vec<String>,
        head: Vec<u8>,
    },
    #[error("the proxy refused the tunnel to {authority}: {status} {reason}")]
    Refused {
        authority: String,
        status: u16,
        reason: String,
        head: Vec<u8>,
    },
    #[error("the proxy closed the connection before it answered CONNECT")]
    Closed,
    #[error("the proxy's answer to CONNECT is broken: {0}")]
    Protocol(String),
    #[error("the request cannot be sent: {0}")]
    Request(&'static str),
    #[error("talking to the proxy failed")]
    Io(#[from] std::io::Error),
}

/// Sends `CONNECT` on `stream` and reads the answer; on `Ok` the stream is the tunnel.
pub async fn open_tunnel<S>(
    stream: &mut S,
    request: &TunnelRequest<'_>,
) -> Result<Tunnel, TunnelError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let clean = |s: &str| !s.bytes().any(|b| b.is_ascii_control());
    if request.authority.is_empty()
        || request.authority.contains([' ', '/'])
        || !clean(request.authority)
    {
        return Err(TunnelError::Request("the authority is not host:port"));
    }
    if !request.proxy_authorization.is_none_or(clean) || !request.user_agent.is_none_or(clean) {
        return Err(TunnelError::Request(
            "a header value holds a control character",
        ));
    }
    let mut head = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n",
        authority = request.authority
    );
    if let Some(agent) = request.user_agent {
        head.push_str(&format!("User-Agent: {agent}\r\n"));
    }
    if let Some(auth) = request.proxy_authorization {
        head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await?;

    let mut received = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let answer = loop {
        match parse_response_head(&received) {
            Ok(answer) => break answer,
            Err(HeadError::Incomplete) => {}
            Err(HeadError::Malformed(why)) => return Err(TunnelError::Protocol(why)),
        }
        if received.len() > MAX_HEAD_BYTES {
            return Err(TunnelError::Protocol(format!(
                "no end of the head within {MAX_HEAD_BYTES} bytes"
            )));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(if received.is_empty() {
                TunnelError::Closed
            } else {
                TunnelError::Protocol("the connection closed mid-head".into())
            });
        }
        received.extend_from_slice(&chunk[..n]);
    };
    let head_bytes = received[..answer.len].to_vec();
    match answer.status {
        200..=299 => {
            if received.len() > answer.len {
                return Err(TunnelError::Protocol(format!(
                    "{} bytes arrived after the {} answer, before the client spoke",
                    received.len() - answer.len,
                    answer.status
                )));
            }
            Ok(Tunnel {
                status: answer.status,
                head: head_bytes,
            })
        }
        407 => Err(TunnelError::AuthRequired {
            reason: answer.reason,
            challenges: answer
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("proxy-authenticate"))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .collect(),
            head: head_bytes,
        }),
        status => Err(TunnelError::Refused {
            authority: request.authority.to_owned(),
            status,
            reason: answer.reason,
            head: head_bytes,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the handshake against a scripted proxy that answers `reply`; returns the result and
    /// what the proxy received.
    async fn handshake(
        request: TunnelRequest<'_>,
        reply: &'static [u8],
    ) -> (Result<Tunnel, TunnelError>, Vec<u8>) {
        let (mut client, mut proxy) = tokio::io::duplex(4096);
        let server = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(b"\r\n\r\n") {
                let n = proxy.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            // Piecemeal, to exercise the head reading.
            for piece in reply.chunks(7) {
                proxy.write_all(piece).await.expect("write");
                proxy.flush().await.expect("flush");
            }
            drop(proxy);
            got
        });
        let result = open_tunnel(&mut client, &request).await;
        (result, server.await.expect("proxy task"))
    }

    fn to(authority: &str) -> TunnelRequest<'_> {
        TunnelRequest {
            authority,
            proxy_authorization: None,
            user_agent: None,
        }
    }

    #[tokio::test]
    async fn sends_connect_with_host_and_credentials() {
        let request = TunnelRequest {
            authority: "[::1]:8443",
            proxy_authorization: Some("Basic dTpw"),
            user_agent: Some("arkiv/0.1.0"),
        };
        let (result, sent) =
            handshake(request, b"HTTP/1.1 200 Connection established\r\n\r\n").await;
        assert_eq!(
            String::from_utf8_lossy(&sent),
            "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nUser-Agent: arkiv/0.1.0\r\n\
             Proxy-Authorization: Basic dTpw\r\n\r\n"
        );
        let tunnel = result.expect("tunnel");
        assert_eq!(tunnel.status, 200);
        assert_eq!(tunnel.head, b"HTTP/1.1 200 Connection established\r\n\r\n");
    }

    #[tokio::test]
    async fn a_407_carries_the_challenges_and_others_are_refusals() {
        let (result, _) = handshake(
            to("h:443"),
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\
              Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        match result {
            Err(TunnelError::AuthRequired { challenges, .. }) => {
                assert_eq!(
                    challenges,
                    [r#"Basic realm="p""#, r#"Digest realm="p", nonce="n""#]
                );
            }
            other => panic!("{other:?}"),
        }
        let (result, _) = handshake(
            to("h:443"),
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!",
        )
        .await;
        let err = result.expect_err("refused");
        assert!(matches!(err, TunnelError::Refused { status: 403, .. }));
        assert_eq!(
            err.to_string(),
            "the proxy refused the tunnel to h:443: 403 Forbidden"
        );
    }

    #[tokio::test]
    async fn broken_proxies_are_errors_not_tunnels() {
        let (result, _) = handshake(to("h:443"), b"").await;
        assert!(matches!(result, Err(TunnelError::Closed)));
        let (result, _) = handshake(to("h:443"), b"HTTP/1.1 200 OK\r\nX: y").await;
        assert!(matches!(result, Err(TunnelError::Protocol(_))));
        let (result, _) = handshake(to("h:443"), b"SSH-2.0-OpenSSH\r\n\r\n").await;
        assert!(matches!(result, Err(TunnelError::Protocol(_))));
        let (result, _) = handshake(to("h:443"), b"HTTP/1.1 200 OK\r\n\r\nearly").await;
        assert!(matches!(result, Err(TunnelError::Protocol(m)) if m.contains("5 bytes")));
        let (mut a, _b) = tokio::io::duplex(64);
        let bad = TunnelRequest {
            authority: "h:443\r\nX: y",
            ..to("")
        };
        assert!(matches!(
            open_tunnel(&mut a, &bad).await,
            Err(TunnelError::Request(_))
        ));
    }
}
