//! The proxy's listening sockets on 127.0.0.1: the main address and the labelled doors.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

use super::connection::serve_connection;
use super::{CertAuthority, ProxyError, ProxyOptions, Upstream};

/// What every connection of one proxy shares.
pub(super) struct Shared {
    pub upstream: Arc<dyn Upstream>,
    pub authority: CertAuthority,
    pub options: ProxyOptions,
    /// One permit per open connection, over all listeners.
    pub connections: Arc<Semaphore>,
}

/// A running recording proxy; dropping it closes the main address and its connections.
pub struct ProxyServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ProxyServer {
    /// Makes the CA and starts listening on `127.0.0.1:options.port`. Call within a Tokio runtime.
    pub fn start(upstream: Arc<dyn Upstream>, options: ProxyOptions) -> Result<Self, ProxyError> {
        let shared = Arc::new(Shared {
            upstream,
            authority: CertAuthority::new()?,
            connections: Arc::new(Semaphore::new(options.max_connections.max(1))),
            options,
        });
        let (addr, task) = listen(&shared, shared.options.port, None)?;
        Ok(ProxyServer { shared, addr, task })
    }

    /// The main address (requests through it carry no door label).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the value for Chromium's `--proxy-server`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The value for Chromium's `--ignore-certificate-errors-spki-list`.
    pub fn spki_pins(&self) -> &str {
        self.shared.authority.spki_pins()
    }

    /// The CA certificate (DER) that signs the proxy's leaves.
    pub fn ca_certificate_der(&self) -> &[u8] {
        self.shared.authority.ca_certificate_der()
    }

    /// Opens one more port on 127.0.0.1 whose requests carry `label` in
    /// [`ProxyRequest::door`](super::ProxyRequest::door); it closes when the [`Door`] is dropped.
    pub fn open_door(&self, label: impl Into<Arc<str>>) -> Result<Door, ProxyError> {
        let (addr, task) = listen(&self.shared, 0, Some(label.into()))?;
        Ok(Door { addr, task })
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A labelled port of the proxy; dropping it closes the port and ends its connections.
#[derive(Debug)]
pub struct Door {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Door {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for a browser context's `proxyServer`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn listen(
    shared: &Arc<Shared>,
    port: u16,
    door: Option<Arc<str>>,
) -> Result<(SocketAddr, JoinHandle<()>), ProxyError> {
    let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let bind_error = |source| ProxyError::Bind {
        addr: wanted,
        source,
    };
    let std_listener = std::net::TcpListener::bind(wanted).map_err(bind_error)?;
    std_listener.set_nonblocking(true).map_err(bind_error)?;
    let addr = std_listener.local_addr().map_err(bind_error)?;
    let listener = TcpListener::from_std(std_listener).map_err(bind_error)?;
    let task = tokio::spawn(accept(listener, Arc::clone(shared), door));
    Ok((addr, task))
}

/// Accepts connections while permits last; the connections live in a set owned by this task,
/// so aborting it ends them too.
async fn accept(listener: TcpListener, shared: Arc<Shared>, door: Option<Arc<str>>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&shared.connections).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!("recording proxy: accept failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            // Cannot happen on a 127.0.0.1 socket; refuse all the same rather than trust it.
            continue;
        }
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let door = door.clone();
        connections.spawn(async move {
            serve_connection(&shared, stream, door).await;
            drop(permit);
        });
    }
}
