//! Integration tests: the recording proxy (`arkiv::recording_proxy`) answering raw HTTP/1.1 clients, and
//! Chromium browsing fixture sites through it over HTTP and through CONNECT tunnels over TLS.

mod chromium;
mod raw;
