//! A small pool of idle keep-alive connections, keyed by origin (scheme, host, port).
//!
//! A connection goes back only after its response was read to the end, so the next exchange on it
//! starts on a clean boundary. Checkout hands out the most recently used one; the fetcher still
//! waits for hyper to call it ready and retries once on a fresh connection if the server had closed
//! it meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::connect::{Conn, Origin};

/// Idle connections older than this are dropped rather than reused: servers close idle
/// keep-alive connections after a few seconds (Apache's default is 5 s), and a reused dead one
/// costs a retry.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Idle {
    conn: Conn,
    since: Instant,
}

/// Idle connections by origin.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<Origin, Vec<Idle>>>,
    max_per_origin: usize,
}

impl Pool {
    pub fn new(max_per_origin: usize) -> Self {
        Pool {
            idle: Mutex::new(HashMap::new()),
            max_per_origin,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Vec<Idle>>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most recently returned live connection to `origin`, if any.
    pub fn checkout(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.lock();
        let list = idle.get_mut(origin)?;
        let mut found = None;
        while let Some(entry) = list.pop() {
            if !entry.conn.sender.is_closed() && entry.since.elapsed() < MAX_IDLE_AGE {
                found = Some(entry.conn);
                break;
            }
        }
        if list.is_empty() {
            idle.remove(origin);
        }
        found
    }

    /// Returns a connection whose last response was read completely.
    pub fn checkin(&self, origin: Origin, conn: Conn) {
        if self.max_per_origin == 0 || conn.sender.is_closed() {
            return;
        }
        let mut idle = self.lock();
        let list = idle.entry(origin).or_default();
        if list.len() >= self.max_per_origin {
            // Drop the oldest: the newest is the likeliest to still be open on the server.
            list.remove(0);
        }
        list.push(Idle {
            conn,
            since: Instant::now(),
        });
    }
}
