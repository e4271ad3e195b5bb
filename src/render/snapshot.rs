//! Reads a rendered page out of the browser: the DOM of its main frame and its same-origin
//! frames, serialised, and a screenshot.
//!
//! The DOM is read from an isolated world (a script context of our own on the page's DOM), so
//! that a page that replaced `XMLSerializer` or the `outerHTML` getter cannot change what we
//! read. Frames are read through `contentDocument`, which the browser allows for same-origin
//! frames only; at most [`MAX_FRAMES`] of them, [`MAX_FRAME_DEPTH`] deep.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::RenderError;
use super::cdp::{Cdp, CdpError};
use super::page::COMMAND_TIMEOUT;

/// Frames read per page at most.
pub const MAX_FRAMES: usize = 50;
/// Frames within frames read this deep at most.
pub const MAX_FRAME_DEPTH: usize = 5;
/// Chromium cannot paint a texture much taller than this; taller pages are cut in the PNG.
const MAX_SHOT_HEIGHT: f64 = 16384.0;

/// A same-origin frame as rendered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RenderedFrame {
    /// The frame document's `location.href` (`about:srcdoc` for a `srcdoc` frame).
    pub url: String,
    /// The frame element's `src` attribute as written, if it has one.
    pub src: Option<String>,
    /// Its doctype and `documentElement.outerHTML`.
    pub html: String,
    /// 1 for a frame of the page, 2 for a frame in that frame, …
    pub depth: usize,
}

/// What the snapshot script returns.
#[derive(Debug, Deserialize)]
pub(super) struct Dom {
    pub url: String,
    pub title: String,
    pub html: String,
    pub frames: Vec<RenderedFrame>,
}

const SNAPSHOT_JS: &str = r#"(() => {
  const serialize = (doc) => {
    const root = doc.documentElement;
    if (!root) return '';
    const doctype = doc.doctype ? new XMLSerializer().serializeToString(doc.doctype) + '\n' : '';
    return doctype + root.outerHTML;
  };
  const frames = [];
  const walk = (doc, depth) => {
    if (depth >= MAX_DEPTH) return;
    for (const element of doc.querySelectorAll('iframe, frame')) {
      if (frames.length >= MAX_FRAMES) return;
      let inner = null;
      try { inner = element.contentDocument; } catch (e) { inner = null; }
      if (!inner || !inner.documentElement) continue;
      frames.push({url: String(inner.location.href), src: element.getAttribute('src'),
                   html: serialize(inner), depth: depth + 1});
      walk(inner, depth + 1);
    }
  };
  walk(document, 0);
  return {url: String(location.href), title: String(document.title), html: serialize(document), frames};
})()"#;

/// Reads the DOM of the page's main frame (`frame_id`; empty: ask the page which it is).
pub(super) async fn read_dom(cdp: &Cdp, session: &str, frame_id: &str) -> Result<Dom, RenderError> {
    let script = SNAPSHOT_JS
        .replace("MAX_DEPTH", &MAX_FRAME_DEPTH.to_string())
        .replace("MAX_FRAMES", &MAX_FRAMES.to_string());
    // A page that navigates itself (a meta refresh, location.replace) destroys the world we made
    // between two commands; the next document gets a new one.
    let mut last_error = None;
    for _ in 0..3 {
        let frame = if frame_id.is_empty() {
            main_frame(cdp, session).await?
        } else {
            frame_id.to_owned()
        };
        let world = cdp
            .call(
                "Page.createIsolatedWorld",
                json!({"frameId": frame, "worldName": "arkiv-snapshot"}),
                Some(session),
                COMMAND_TIMEOUT,
            )
            .await?;
        let Some(context) = world.get("executionContextId").and_then(Value::as_i64) else {
            return Err(protocol(
                "Page.createIsolatedWorld",
                "no executionContextId",
            ));
        };
        let reply = cdp
            .call(
                "Runtime.evaluate",
                json!({"expression": script, "contextId": context, "returnByValue": true}),
                Some(session),
                COMMAND_TIMEOUT,
            )
            .await;
        match reply {
            Ok(reply) => {
                if let Some(details) = reply.get("exceptionDetails") {
                    return Err(protocol("Runtime.evaluate", &details.to_string()));
                }
                let value = reply
                    .pointer("/result/value")
                    .cloned()
                    .unwrap_or(Value::Null);
                return serde_json::from_value(value)
                    .map_err(|err| protocol("Runtime.evaluate", &err.to_string()));
            }
            Err(CdpError::Protocol { message, .. }) => last_error = Some(message),
            Err(other) => return Err(other.into()),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(protocol(
        "Runtime.evaluate",
        &last_error.unwrap_or_default(),
    ))
}

async fn main_frame(cdp: &Cdp, session: &str) -> Result<String, RenderError> {
    let tree = cdp
        .call(
            "Page.getFrameTree",
            json!({}),
            Some(session),
            COMMAND_TIMEOUT,
        )
        .await?;
    tree.pointer("/frameTree/frame/id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| protocol("Page.getFrameTree", "no main frame"))
}

/// A PNG of the whole page at the viewport's `width`, from the top.
pub(super) async fn screenshot(
    cdp: &Cdp,
    session: &str,
    width: u32,
) -> Result<Vec<u8>, RenderError> {
    let metrics = cdp
        .call(
            "Page.getLayoutMetrics",
            json!({}),
            Some(session),
            COMMAND_TIMEOUT,
        )
        .await?;
    let height = metrics
        .pointer("/cssContentSize/height")
        .and_then(Value::as_f64)
        .unwrap_or(800.0)
        .clamp(1.0, MAX_SHOT_HEIGHT)
        .ceil();
    let shot = cdp
        .call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}),
            Some(session),
            COMMAND_TIMEOUT * 2,
        )
        .await?;
    let data = shot
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| protocol("Page.captureScreenshot", "no data"))?;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|err| protocol("Page.captureScreenshot", &err.to_string()))
}

fn protocol(method: &str, message: &str) -> RenderError {
    RenderError::Cdp(CdpError::Protocol {
        method: method.to_owned(),
        message: message.to_owned(),
    })
}
