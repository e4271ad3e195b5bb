//! A connection wrapper that copies every byte hyper writes and reads, so the WARC gets the wire bytes.
//!
//! hyper owns the stream (inside its connection task) while the fetcher owns the [`Tape`]; they
//! share it through a mutex. The fetcher arms the tape before sending a request and takes it back
//! when the response is done. HTTP/1.1 without pipelining means the bytes read while the tape is
//! armed are exactly that response; bytes hyper reads while the connection idles in the pool
//! (normally none, or the EOF of a server-side close) are not recorded.
//!
//! Spooling a large response to its temp file happens inside `poll_read`: these are buffered writes
//! to a local file, which we accept on the async path rather than add a channel and a thread.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::spool::SpoolWriter;

/// The most head bytes kept aside for parsing (hyper's own head limit is smaller than this).
const HEAD_COPY_LIMIT: usize = 1024 * 1024;

/// What one exchange wrote and read.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    armed: bool,
    sent: Vec<u8>,
    /// The first bytes received, kept in memory for head parsing even when `received` spools.
    head: Vec<u8>,
    /// Set once the fetcher took `head`: the body must not be copied into memory too.
    head_taken: bool,
    received: Option<SpoolWriter>,
    received_len: u64,
    error: Option<io::Error>,
}

/// The recording of one finished (or abandoned) exchange.
#[derive(Debug)]
pub(crate) struct Recording {
    pub sent: Vec<u8>,
    pub received: Option<SpoolWriter>,
    pub error: Option<io::Error>,
}

/// A shared handle on a connection's tape.
#[derive(Debug, Clone, Default)]
pub(crate) struct TapeHandle(Arc<Mutex<Tape>>);

impl TapeHandle {
    fn lock(&self) -> MutexGuard<'_, Tape> {
        // A panic while holding the lock leaves plain byte buffers behind; they are still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts recording a new exchange, discarding anything left from before.
    pub fn arm(&self, received: SpoolWriter) {
        let mut tape = self.lock();
        *tape = Tape {
            armed: true,
            received: Some(received),
            ..Tape::default()
        };
    }

    /// The first bytes received so far (for head parsing and error reports); copying stops here,
    /// so a large body is held only by the spool.
    pub fn take_head(&self) -> Vec<u8> {
        let mut tape = self.lock();
        tape.head_taken = true;
        std::mem::take(&mut tape.head)
    }

    /// How many bytes were received since the tape was armed.
    pub fn received_len(&self) -> u64 {
        self.lock().received_len
    }

    /// Stops recording and hands over what was recorded.
    pub fn take(&self) -> Recording {
        let mut tape = self.lock();
        let tape = std::mem::take(&mut *tape);
        Recording {
            sent: tape.sent,
            received: tape.received,
            error: tape.error,
        }
    }

    fn on_sent(&self, bytes: &[u8]) {
        let mut tape = self.lock();
        if tape.armed {
            tape.sent.extend_from_slice(bytes);
        }
    }

    fn on_received(&self, bytes: &[u8]) {
        let mut tape = self.lock();
        if !tape.armed || bytes.is_empty() {
            return;
        }
        tape.received_len += bytes.len() as u64;
        if !tape.head_taken {
            let room = HEAD_COPY_LIMIT.saturating_sub(tape.head.len());
            let copy = &bytes[..room.min(bytes.len())];
            tape.head.extend_from_slice(copy);
        }
        let Tape {
            received, error, ..
        } = &mut *tape;
        if let (Some(writer), None) = (received.as_mut(), error.as_ref())
            && let Err(err) = writer.write_all(bytes)
        {
            *error = Some(err);
        }
    }
}

/// An `AsyncRead + AsyncWrite` that passes everything through and copies it onto a [`Tape`].
#[derive(Debug)]
pub(crate) struct Recorder<S> {
    inner: S,
    tape: TapeHandle,
}

impl<S> Recorder<S> {
    pub fn new(inner: S, tape: TapeHandle) -> Self {
        Recorder { inner, tape }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            this.tape.on_received(&buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = result {
            // Only what the stream accepted: a partial write is retried by hyper with the rest.
            this.tape.on_sent(&data[..written.min(data.len())]);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn records_only_while_armed() {
        let (client, mut server) = tokio::io::duplex(64);
        let tape = TapeHandle::default();
        let mut recorder = Recorder::new(client, tape.clone());
        recorder.write_all(b"ignored").await.expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        tape.arm(SpoolWriter::new(1024, dir.path()));
        recorder
            .write_all(b"GET / HTTP/1.1\r\n\r\n")
            .await
            .expect("write");
        server
            .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 64];
        let n = recorder.read(&mut buf).await.expect("read");
        let recording = tape.take();
        assert_eq!(recording.sent, b"GET / HTTP/1.1\r\n\r\n");
        let received = recording.received.expect("armed").finish().expect("finish");
        assert_eq!(received.bytes(), Some(&buf[..n]));
    }
}
