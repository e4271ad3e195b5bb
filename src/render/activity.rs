//! What one page is doing, from its DevTools events: requests in flight, when the network last
//! moved, whether the load event fired, and every request it made.
//!
//! Events arrive for the page's own session and for its children (out-of-process frames,
//! workers), each of which gets its network watched and is then let run. Waiters are woken on
//! every change.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::cdp::{Command, EventSink};

/// Requests recorded per page at most (in-flight tracking goes on past it).
const MAX_RECORDED_REQUESTS: usize = 10_000;

/// One request a page made, as the browser saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub url: String,
    /// DevTools' resource type: `Document`, `Stylesheet`, `Image`, `Font`, `Script`, `Fetch`, …
    pub resource_type: String,
    /// The response status; `None` when none came (failed, cancelled, still in flight).
    pub status: Option<u16>,
    /// Why it failed (`net::ERR_…`), when it did.
    pub error: Option<String>,
}

#[derive(Debug)]
struct State {
    main_session: String,
    inflight: HashSet<(String, String)>,
    last_activity: Instant,
    loaded: bool,
    crashed: bool,
    requests: Vec<PageRequest>,
    /// (session, requestId) → index into `requests` of its latest hop.
    by_id: HashMap<(String, String), usize>,
}

/// The sink for one page's sessions.
#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Activity {
    pub fn new(main_session: &str) -> Self {
        Activity {
            state: Mutex::new(State {
                main_session: main_session.to_owned(),
                inflight: HashSet::new(),
                last_activity: Instant::now(),
                loaded: false,
                crashed: false,
                requests: Vec::new(),
                by_id: HashMap::new(),
            }),
            changed: watch::channel(0).0,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts as network activity now (after a scroll, so that the quiet period starts again).
    pub fn touch(&self) {
        self.state().last_activity = Instant::now();
        self.changed.send_modify(|n| *n += 1);
    }

    /// Whether the main frame's load event has fired.
    #[cfg(test)]
    pub fn loaded(&self) -> bool {
        self.state().loaded
    }

    /// Whether the page's renderer crashed.
    pub fn crashed(&self) -> bool {
        self.state().crashed
    }

    /// Every request so far, in the order they were made.
    pub fn requests(&self) -> Vec<PageRequest> {
        self.state().requests.clone()
    }

    /// URLs still in flight.
    pub fn pending(&self) -> Vec<String> {
        let state = self.state();
        let mut pending: Vec<String> = state
            .inflight
            .iter()
            .filter_map(|key| state.by_id.get(key))
            .map(|&i| state.requests[i].url.clone())
            .collect();
        pending.sort();
        pending
    }

    /// Waits until the load event has fired (or the page crashed); `false` if `deadline` came first.
    pub async fn wait_loaded(&self, deadline: Instant) -> bool {
        self.wait(deadline, |state, _| {
            (state.loaded || state.crashed).then_some(())
        })
        .await
        .is_some()
    }

    /// Waits until no request has been in flight and nothing has moved for `quiet`; `false` if
    /// `deadline` came first.
    pub async fn wait_quiet(&self, quiet: Duration, deadline: Instant) -> bool {
        self.wait(deadline, |state, now| {
            if state.crashed {
                return Some(());
            }
            let since = now.saturating_duration_since(state.last_activity);
            (state.inflight.is_empty() && since >= quiet).then_some(())
        })
        .await
        .is_some()
    }

    /// Waits until `done` holds, re-checking on every event and at least every 50 ms (quiet
    /// periods end without an event).
    async fn wait<T>(
        &self,
        deadline: Instant,
        done: impl Fn(&State, Instant) -> Option<T>,
    ) -> Option<T> {
        let mut changed = self.changed.subscribe();
        loop {
            let now = Instant::now();
            if let Some(value) = done(&self.state(), now) {
                return Some(value);
            }
            if now >= deadline {
                return None;
            }
            let tick = (now + Duration::from_millis(50)).min(deadline);
            let _ = tokio::time::timeout_at(tick, changed.changed()).await;
        }
    }
}

impl EventSink for Activity {
    fn event(&self, session: &str, method: &str, params: &Value) -> Vec<Command> {
        let mut follow_up = Vec::new();
        {
            let mut state = self.state();
            let state = &mut *state;
            if method.starts_with("Network.") {
                state.last_activity = Instant::now();
            }
            let key = || {
                (
                    session.to_owned(),
                    text(params, "requestId").unwrap_or_default().to_owned(),
                )
            };
            match method {
                "Network.requestWillBeSent" => {
                    let key = key();
                    if let Some(redirect) = params.get("redirectResponse")
                        && let Some(&i) = state.by_id.get(&key)
                    {
                        state.requests[i].status = status(redirect);
                    }
                    let url = params
                        .pointer("/request/url")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    // data: and blob: URLs are no network requests; they are still waited for.
                    let network = !(url.starts_with("data:") || url.starts_with("blob:"));
                    if network && state.requests.len() < MAX_RECORDED_REQUESTS {
                        state.requests.push(PageRequest {
                            url: url.to_owned(),
                            resource_type: text(params, "type").unwrap_or("Other").to_owned(),
                            status: None,
                            error: None,
                        });
                        state.by_id.insert(key.clone(), state.requests.len() - 1);
                    }
                    state.inflight.insert(key);
                }
                "Network.responseReceived" => {
                    if let (Some(&i), Some(response)) =
                        (state.by_id.get(&key()), params.get("response"))
                    {
                        state.requests[i].status = status(response);
                    }
                }
                "Network.loadingFinished" => {
                    state.inflight.remove(&key());
                }
                "Network.loadingFailed" => {
                    let key = key();
                    if let Some(&i) = state.by_id.get(&key) {
                        let mut error = text(params, "errorText").unwrap_or("failed").to_owned();
                        if let Some(reason) = text(params, "blockedReason") {
                            error.push_str(&format!(" (blocked: {reason})"));
                        }
                        state.requests[i].error = Some(error);
                    }
                    state.inflight.remove(&key);
                }
                "Page.loadEventFired" if session == state.main_session => state.loaded = true,
                "Inspector.targetCrashed" if session == state.main_session => {
                    state.crashed = true;
                }
                "Target.detachedFromTarget" => {
                    // A frame or worker that went away finishes nothing more.
                    if let Some(child) = text(params, "sessionId") {
                        state.inflight.retain(|(s, _)| s != child);
                    }
                }
                _ => {}
            }
        }
        match method {
            // An alert() or confirm() would hold the page until its timeout.
            "Page.javascriptDialogOpening" => follow_up.push(Command {
                method: "Page.handleJavaScriptDialog",
                params: json!({"accept": false}),
                session: session.to_owned(),
            }),
            "Target.attachedToTarget" => {
                if let Some(child) = text(params, "sessionId") {
                    follow_up.extend(watch_child(child));
                }
            }
            _ => {}
        }
        self.changed.send_modify(|n| *n += 1);
        follow_up
    }
}

/// What a child session (a frame in another process, a worker) needs: its network watched like
/// the page's, its own children too, then to be let run (it waits for us when it starts).
fn watch_child(session: &str) -> Vec<Command> {
    let command = |method, params| Command {
        method,
        params,
        session: session.to_owned(),
    };
    vec![
        command("Network.enable", json!({})),
        command("Network.setCacheDisabled", json!({"cacheDisabled": true})),
        command("Page.enable", json!({})),
        command(
            "Target.setAutoAttach",
            json!({"autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true}),
        ),
        command("Runtime.runIfWaitingForDebugger", json!({})),
    ]
}

fn text<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

fn status(response: &Value) -> Option<u16> {
    response
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(activity: &Activity, session: &str, id: &str, url: &str) {
        activity.event(
            session,
            "Network.requestWillBeSent",
            &json!({"requestId": id, "type": "Image", "request": {"url": url}}),
        );
    }

    #[tokio::test]
    async fn quiet_needs_nothing_in_flight_for_the_whole_period() {
        let activity = Activity::new("S");
        request(&activity, "S", "1", "http://x/a.png");
        request(&activity, "C", "1", "http://x/b.png");
        request(&activity, "S", "2", "data:image/png;base64,AAAA");
        let soon = Instant::now() + Duration::from_millis(200);
        assert!(!activity.wait_quiet(Duration::from_millis(10), soon).await);
        assert_eq!(activity.pending(), ["http://x/a.png", "http://x/b.png"]);
        activity.event("S", "Network.loadingFinished", &json!({"requestId": "1"}));
        activity.event("S", "Network.loadingFinished", &json!({"requestId": "2"}));
        activity.event(
            "C",
            "Network.loadingFailed",
            &json!({"requestId": "1", "errorText": "net::ERR_FAILED"}),
        );
        let started = Instant::now();
        let later = started + Duration::from_secs(10);
        assert!(activity.wait_quiet(Duration::from_millis(100), later).await);
        assert!(started.elapsed() >= Duration::from_millis(90));
        let requests = activity.requests();
        assert_eq!(
            requests.len(),
            2,
            "data: URLs are not requests: {requests:?}"
        );
        assert_eq!(requests[1].error.as_deref(), Some("net::ERR_FAILED"));
    }

    #[tokio::test]
    async fn redirects_keep_one_request_in_flight_and_record_each_hop() {
        let activity = Activity::new("S");
        request(&activity, "S", "7", "http://x/old");
        activity.event(
            "S",
            "Network.requestWillBeSent",
            &json!({"requestId": "7", "type": "Document", "request": {"url": "http://x/new"},
                    "redirectResponse": {"status": 301}}),
        );
        activity.event(
            "S",
            "Network.responseReceived",
            &json!({"requestId": "7", "response": {"status": 200}}),
        );
        assert_eq!(activity.pending(), ["http://x/new"]);
        let statuses: Vec<Option<u16>> = activity.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Some(301), Some(200)]);
    }

    #[test]
    fn dialogs_are_dismissed_and_children_are_watched_then_released() {
        let activity = Activity::new("S");
        let answer = activity.event("C", "Page.javascriptDialogOpening", &json!({}));
        assert_eq!(answer[0].method, "Page.handleJavaScriptDialog");
        assert_eq!(answer[0].session, "C");
        let answer = activity.event("S", "Target.attachedToTarget", &json!({"sessionId": "K"}));
        let methods: Vec<&str> = answer.iter().map(|c| c.method).collect();
        assert_eq!(methods.first(), Some(&"Network.enable"));
        assert_eq!(methods.last(), Some(&"Runtime.runIfWaitingForDebugger"));
        assert!(answer.iter().all(|c| c.session == "K"));
    }

    #[test]
    fn only_the_main_frames_load_event_counts() {
        let activity = Activity::new("S");
        activity.event("C", "Page.loadEventFired", &json!({}));
        assert!(!activity.loaded());
        activity.event("S", "Page.loadEventFired", &json!({}));
        assert!(activity.loaded());
    }
}
