//! Tiny purpose-built sites for one test each: a plain TCP server on 127.0.0.1 that answers every
//! request through a closure, a thread per connection (so one slow page does not hold the others
//! up), until the test process ends.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::Arc;

use url::Url;

/// What a test site answers: a status line and an HTML body. A body that starts with header
/// lines (`Name: value`, no markup) up to a blank line sends those as headers.
pub type Answer = (&'static str, String);

/// Serves `answer(request target, request head)`; returns the site's root URL.
pub fn serve(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url =
        Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = Arc::clone(&answer);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                let mut head = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    head.push_str(&line);
                    line.clear();
                }
                let target = request_line.split(' ').nth(1).unwrap_or("/");
                let (status, body) = answer(target, &head);
                let (headers, body) = match body.split_once("\r\n\r\n") {
                    Some((headers, body)) if headers.contains(": ") && !headers.contains('<') => {
                        (format!("{headers}\r\n"), body.to_string())
                    }
                    _ => (String::new(), body),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{headers}\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

pub fn not_found() -> Answer {
    (
        "404 Not Found",
        "<!doctype html><title>Ikke fundet</title>".to_string(),
    )
}
