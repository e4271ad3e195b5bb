//! Integration tests: `arkiv::render` loading the `scripted` fixture site in headless Chromium
//! through the recording proxy: what scripts build is in the DOM, every request they make reaches
//! the proxy, pages that never settle are cut at their timeout, a dead browser comes back.

mod lifecycle;
mod scripted;
