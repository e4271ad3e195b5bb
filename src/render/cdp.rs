//! The DevTools Protocol over Chromium's `--remote-debugging-pipe`: NUL-terminated JSON commands
//! written to its fd 3, replies and events read from its fd 4.
//!
//! One reader task owns the read side: a reply goes to the call waiting for its id, an event to
//! the [`EventSink`] registered for its session (sessions are "flattened": one pipe, every
//! target's messages tagged with a `sessionId`). A sink runs on the reader task, so it never
//! waits; what it wants sent in answer (dismiss a dialog, watch a new frame's network) it
//! returns, and the reader writes it. A session that attaches to a child target (an
//! out-of-process frame, a worker) hands the child's events to the same sink.
//!
//! When Chromium exits the pipe closes: every waiting call fails at once with
//! [`CdpError::Closed`] instead of running into its timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{oneshot, watch};

/// Largest message accepted from Chromium: a full-page screenshot of a long page is tens of
/// megabytes of base64, the DOM of a huge page as much again.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;
/// Longest wait for Chromium to take a command an event sink sends (it reads its pipe at once
/// unless it is wedged).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a command got no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    #[error("Chromium has exited (its DevTools pipe closed)")]
    Closed,
    #[error("Chromium did not answer {method} within {after:?}")]
    Timeout { method: String, after: Duration },
    #[error("{method}: {message}")]
    Protocol { method: String, message: String },
}

/// A command a sink wants sent in answer to an event (its reply is not awaited).
#[derive(Debug, Clone)]
pub struct Command {
    pub method: &'static str,
    pub params: Value,
    pub session: String,
}

/// Receives the events of a session and of the child sessions it attaches to.
pub trait EventSink: Send + Sync {
    /// One event; returns the commands to send in answer. Runs on the reader: must not block.
    fn event(&self, session: &str, method: &str, params: &Value) -> Vec<Command>;
}

type Reply = Result<Value, CdpError>;

struct Registered {
    /// The session the sink was registered for (children point at their root).
    root: String,
    sink: Arc<dyn EventSink>,
}

struct Shared {
    pending: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    sinks: Mutex<HashMap<String, Registered>>,
    closed: AtomicBool,
    closed_tx: watch::Sender<bool>,
}

/// One DevTools connection.
pub struct Cdp {
    writer: tokio::sync::Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Cdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cdp")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A sink that panicked leaves plain maps behind, still consistent.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cdp {
    /// Starts the reader on `reader` (Chromium's fd 4) and writes commands to `writer` (its fd 3).
    pub fn start(
        writer: impl AsyncWrite + Send + Unpin + 'static,
        reader: impl AsyncRead + Send + Unpin + 'static,
    ) -> Arc<Cdp> {
        let (closed_tx, _) = watch::channel(false);
        let cdp = Arc::new(Cdp {
            writer: tokio::sync::Mutex::new(Box::new(writer)),
            shared: Arc::new(Shared {
                pending: Mutex::new(HashMap::new()),
                sinks: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                closed_tx,
            }),
            next_id: AtomicU64::new(1),
        });
        // The reader holds the connection only weakly, so dropping the last `Arc<Cdp>` closes
        // the write side, which makes Chromium quit, which ends the reader.
        tokio::spawn(read_loop(
            reader,
            Arc::downgrade(&cdp),
            Arc::clone(&cdp.shared),
        ));
        cdp
    }

    /// Whether the pipe has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// Resolves once the pipe has closed.
    pub async fn closed(&self) {
        let mut rx = self.shared.closed_tx.subscribe();
        // `wait_for` returns at once if it is already closed; an error means the sender is gone,
        // which happens only with the connection itself.
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Sends `method` (to `session`, or to the browser) and waits up to `timeout` for its result.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        session: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.pending).insert(id, tx);
        if self.is_closed() {
            lock(&self.shared.pending).remove(&id);
            return Err(CdpError::Closed);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        if let Err(err) = self.write(id, method, params, session, timeout).await {
            lock(&self.shared.pending).remove(&id);
            return Err(err);
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(reply)) => reply.map_err(|err| match err {
                CdpError::Protocol { message, .. } => CdpError::Protocol {
                    method: method.to_owned(),
                    message,
                },
                other => other,
            }),
            Ok(Err(_)) => Err(CdpError::Closed),
            Err(_) => {
                lock(&self.shared.pending).remove(&id);
                Err(if self.is_closed() {
                    CdpError::Closed
                } else {
                    CdpError::Timeout {
                        method: method.to_owned(),
                        after: timeout,
                    }
                })
            }
        }
    }

    /// Sends a command without waiting for its reply.
    pub async fn send(&self, command: &Command) -> Result<(), CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.write(
            id,
            command.method,
            command.params.clone(),
            Some(&command.session),
            WRITE_TIMEOUT,
        )
        .await
    }

    /// Hands the events of `session` (and of the children it attaches to) to `sink`.
    pub fn register(&self, session: &str, sink: Arc<dyn EventSink>) {
        lock(&self.shared.sinks).insert(
            session.to_owned(),
            Registered {
                root: session.to_owned(),
                sink,
            },
        );
    }

    /// Stops delivering the events of `session` and of its children.
    pub fn unregister(&self, session: &str) {
        lock(&self.shared.sinks).retain(|_, r| r.root != session);
    }

    /// Writes one command whole within `limit`. A write that fails or cannot finish leaves the
    /// pipe holding half a message, so the connection counts as closed from then on (the
    /// browser behind it is replaced).
    async fn write(
        &self,
        id: u64,
        method: &str,
        params: Value,
        session: Option<&str>,
        limit: Duration,
    ) -> Result<(), CdpError> {
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = Value::from(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("a JSON value serialises");
        bytes.push(0);
        let written = async {
            let mut writer = self.writer.lock().await;
            writer.write_all(&bytes).await?;
            writer.flush().await
        };
        match tokio::time::timeout(limit, written).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => {
                self.mark_closed();
                Err(CdpError::Closed)
            }
            Err(_) => {
                self.mark_closed();
                Err(CdpError::Timeout {
                    method: method.to_owned(),
                    after: limit,
                })
            }
        }
    }

    fn mark_closed(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.closed_tx.send_replace(true);
    }
}

async fn read_loop(
    mut reader: impl AsyncRead + Unpin,
    cdp: std::sync::Weak<Cdp>,
    shared: Arc<Shared>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 256 * 1024];
    let mut scanned = 0;
    'read: loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf[scanned..]
            .iter()
            .position(|b| *b == 0)
            .map(|p| p + scanned)
        {
            let message: Option<Value> = serde_json::from_slice(&buf[..end]).ok();
            buf.drain(..=end);
            scanned = 0;
            // A garbled message is dropped, never fatal.
            if let Some(message) = message {
                for command in dispatch(&shared, message) {
                    let Some(cdp) = cdp.upgrade() else {
                        break 'read;
                    };
                    if cdp.send(&command).await.is_err() {
                        break 'read;
                    }
                }
            }
        }
        scanned = buf.len();
        if buf.len() > MAX_MESSAGE {
            tracing::warn!("Chromium sent a DevTools message over {MAX_MESSAGE} bytes; closing");
            break;
        }
    }
    shared.closed.store(true, Ordering::SeqCst);
    for (_, waiting) in lock(&shared.pending).drain() {
        let _ = waiting.send(Err(CdpError::Closed));
    }
    lock(&shared.sinks).clear();
    shared.closed_tx.send_replace(true);
}

/// Routes one message; returns what its sink wants sent.
fn dispatch(shared: &Shared, message: Value) -> Vec<Command> {
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        if let Some(waiting) = lock(&shared.pending).remove(&id) {
            let reply = match message.get("error") {
                Some(error) => Err(CdpError::Protocol {
                    method: String::new(),
                    message: error
                        .get("message")
                        .and_then(Value::as_str)
                        .map_or_else(|| error.to_string(), str::to_owned),
                }),
                None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = waiting.send(reply);
        }
        return Vec::new();
    }
    let (Some(method), Some(session)) = (
        message.get("method").and_then(Value::as_str),
        message.get("sessionId").and_then(Value::as_str),
    ) else {
        return Vec::new();
    };
    let params = message.get("params").unwrap_or(&Value::Null);
    let sink = {
        let mut sinks = lock(&shared.sinks);
        let Some(registered) = sinks.get(session) else {
            return Vec::new();
        };
        let (root, sink) = (registered.root.clone(), Arc::clone(&registered.sink));
        match method {
            "Target.attachedToTarget" => {
                if let Some(child) = params.get("sessionId").and_then(Value::as_str) {
                    sinks.insert(
                        child.to_owned(),
                        Registered {
                            root,
                            sink: Arc::clone(&sink),
                        },
                    );
                }
            }
            "Target.detachedFromTarget" => {
                if let Some(child) = params.get("sessionId").and_then(Value::as_str)
                    && child != root
                {
                    sinks.remove(child);
                }
            }
            _ => {}
        }
        sink
    };
    sink.event(session, method, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pretend Chromium on the other end of two in-memory pipes.
    struct FakeChromium {
        commands: tokio::io::BufReader<tokio::io::DuplexStream>,
        events: tokio::io::DuplexStream,
    }

    impl FakeChromium {
        async fn next_command(&mut self) -> Value {
            use tokio::io::AsyncBufReadExt;
            let mut raw = Vec::new();
            self.commands.read_until(0, &mut raw).await.expect("read");
            assert_eq!(raw.pop(), Some(0), "commands end with NUL");
            serde_json::from_slice(&raw).expect("command is JSON")
        }

        async fn say(&mut self, message: Value) {
            let mut bytes = serde_json::to_vec(&message).expect("json");
            bytes.push(0);
            // Split in two writes so that the reader must join pieces.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            self.events.write_all(a).await.expect("write");
            self.events.flush().await.expect("flush");
            self.events.write_all(b).await.expect("write");
        }
    }

    fn connect() -> (Arc<Cdp>, FakeChromium) {
        let (ours_w, theirs_r) = tokio::io::duplex(1 << 16);
        let (theirs_w, ours_r) = tokio::io::duplex(1 << 16);
        let cdp = Cdp::start(ours_w, ours_r);
        (
            cdp,
            FakeChromium {
                commands: tokio::io::BufReader::new(theirs_r),
                events: theirs_w,
            },
        )
    }

    struct Recorder(Mutex<Vec<(String, String)>>);

    impl EventSink for Recorder {
        fn event(&self, session: &str, method: &str, _: &Value) -> Vec<Command> {
            lock(&self.0).push((session.to_owned(), method.to_owned()));
            if method == "Page.javascriptDialogOpening" {
                return vec![Command {
                    method: "Page.handleJavaScriptDialog",
                    params: json!({"accept": false}),
                    session: session.to_owned(),
                }];
            }
            Vec::new()
        }
    }

    #[tokio::test]
    async fn replies_find_their_call_and_errors_name_the_method() {
        let (cdp, mut chromium) = connect();
        let call = {
            let cdp = Arc::clone(&cdp);
            tokio::spawn(async move {
                cdp.call(
                    "Browser.getVersion",
                    json!({}),
                    None,
                    Duration::from_secs(5),
                )
                .await
            })
        };
        let command = chromium.next_command().await;
        assert_eq!(command["method"], "Browser.getVersion");
        assert!(command.get("sessionId").is_none());
        // An event and an unknown reply first: neither is the answer.
        chromium
            .say(json!({"method": "Target.targetCreated", "params": {}}))
            .await;
        chromium.say(json!({"id": 999, "result": {}})).await;
        chromium
            .say(json!({"id": command["id"], "result": {"product": "Chrome/1"}}))
            .await;
        let reply = call.await.expect("task").expect("reply");
        assert_eq!(reply["product"], "Chrome/1");

        let call = {
            let cdp = Arc::clone(&cdp);
            tokio::spawn(async move {
                cdp.call(
                    "Page.navigate",
                    json!({"url": "x"}),
                    Some("S1"),
                    Duration::from_secs(5),
                )
                .await
            })
        };
        let command = chromium.next_command().await;
        assert_eq!(command["sessionId"], "S1");
        chromium
            .say(json!({"id": command["id"], "error": {"code": -32000, "message": "Invalid URL"}}))
            .await;
        let err = call.await.expect("task").expect_err("protocol error");
        assert_eq!(err.to_string(), "Page.navigate: Invalid URL");
    }

    #[tokio::test]
    async fn events_reach_the_sink_of_their_session_and_its_children() {
        let (cdp, mut chromium) = connect();
        let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
        cdp.register("S1", Arc::clone(&recorder) as Arc<dyn EventSink>);
        chromium
            .say(
                json!({"sessionId": "S1", "method": "Target.attachedToTarget",
                        "params": {"sessionId": "C1"}}),
            )
            .await;
        chromium
            .say(json!({"sessionId": "C1", "method": "Network.requestWillBeSent", "params": {}}))
            .await;
        chromium
            .say(json!({"sessionId": "OTHER", "method": "Network.requestWillBeSent", "params": {}}))
            .await;
        chromium
            .say(json!({"sessionId": "C1", "method": "Page.javascriptDialogOpening", "params": {}}))
            .await;
        // The sink's answer is written by the reader.
        let answer = chromium.next_command().await;
        assert_eq!(answer["method"], "Page.handleJavaScriptDialog");
        assert_eq!(answer["sessionId"], "C1");
        assert_eq!(
            *lock(&recorder.0),
            [
                ("S1".to_owned(), "Target.attachedToTarget".to_owned()),
                ("C1".to_owned(), "Network.requestWillBeSent".to_owned()),
                ("C1".to_owned(), "Page.javascriptDialogOpening".to_owned()),
            ]
        );
        cdp.unregister("S1");
        chromium
            .say(json!({"sessionId": "C1", "method": "Network.loadingFinished", "params": {}}))
            .await;
        // A round trip proves the event above has been dispatched (to nobody).
        let probe = {
            let cdp = Arc::clone(&cdp);
            tokio::spawn(async move {
                cdp.call("X.y", json!({}), None, Duration::from_secs(5))
                    .await
            })
        };
        let command = chromium.next_command().await;
        chromium
            .say(json!({"id": command["id"], "result": {}}))
            .await;
        probe.await.expect("task").expect("probe");
        assert_eq!(
            lock(&recorder.0).len(),
            3,
            "unregistered sessions get nothing"
        );
    }

    #[tokio::test]
    async fn a_closed_pipe_fails_waiting_and_later_calls_at_once() {
        let (cdp, mut chromium) = connect();
        let call = {
            let cdp = Arc::clone(&cdp);
            tokio::spawn(async move {
                cdp.call(
                    "Page.captureScreenshot",
                    json!({}),
                    None,
                    Duration::from_secs(60),
                )
                .await
            })
        };
        chromium.next_command().await;
        drop(chromium);
        let started = std::time::Instant::now();
        assert!(matches!(call.await.expect("task"), Err(CdpError::Closed)));
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no wait for the timeout"
        );
        cdp.closed().await;
        assert!(cdp.is_closed());
        assert!(matches!(
            cdp.call("Browser.close", json!({}), None, Duration::from_secs(60))
                .await,
            Err(CdpError::Closed)
        ));
    }
}
