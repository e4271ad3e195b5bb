//! A raw-TCP test server: scripted bytes out, recorded request heads in, nothing interpreted.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// A raw-TCP server on `127.0.0.1:0` that runs `handler` for each connection it accepts.
pub(super) struct Server {
    pub(super) addr: SocketAddr,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    pub(super) fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("test URL")
    }

    pub(super) fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().expect("lock").clone()
    }

    pub(super) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// One accepted connection, seen from the server.
pub(super) struct Peer {
    pub(super) stream: TcpStream,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Peer {
    /// Reads one request head (up to and including the blank line) and records it.
    pub(super) async fn request(&mut self) -> std::io::Result<Vec<u8>> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            // One byte at a time: never swallow bytes of a following request.
            if self.stream.read(&mut byte).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            head.push(byte[0]);
        }
        self.requests.lock().expect("lock").push(head.clone());
        Ok(head)
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }
}

pub(super) async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let server = Server {
        addr,
        requests: requests.clone(),
        connections: connections.clone(),
    };
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            connections.fetch_add(1, Ordering::SeqCst);
            let peer = Peer {
                stream,
                requests: requests.clone(),
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = handler(peer).await;
            });
        }
    });
    server
}

/// A server answering every request on a connection with the same bytes (keep-alive).
pub(super) async fn serve_bytes(response: Vec<u8>) -> Server {
    let response = Arc::new(response);
    serve(move |mut peer| {
        let response = response.clone();
        async move {
            loop {
                peer.request().await?;
                peer.send(&response).await?;
            }
        }
    })
    .await
}
