//! A site whose content a test can swap between two crawls: a plain TCP server on 127.0.0.1 that
//! answers from a map of paths to resources (any bytes, any headers), a thread per connection.
//! Every answer carries a `Date` and a request counter, as real servers' answers differ in their
//! headers from one crawl to the next.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use url::Url;

/// One answer of the site.
#[derive(Debug, Clone)]
pub struct Resource {
    pub status: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// An HTML page (UTF-8) with a doctype around `body`.
pub fn page(title: &str, body: &str) -> Resource {
    Resource {
        status: "200 OK",
        headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
        body: format!("<!doctype html>\n<html lang=\"da\"><head><title>{title}</title></head>\n<body>\n{body}\n</body></html>\n").into_bytes(),
    }
}

/// A file of any type.
pub fn file(content_type: &str, body: &[u8]) -> Resource {
    Resource {
        status: "200 OK",
        headers: vec![("Content-Type", content_type.into())],
        body: body.to_vec(),
    }
}

/// A redirect without a body.
pub fn redirect(status: &'static str, location: &str) -> Resource {
    Resource {
        status,
        headers: vec![("Location", location.into())],
        body: Vec::new(),
    }
}

/// Path (with query) → what it answers; anything else is a 404.
pub type Site = BTreeMap<&'static str, Resource>;

/// A running site; [`SiteServer::set`] swaps what it serves.
pub struct SiteServer {
    url: Url,
    site: Arc<RwLock<Site>>,
}

impl SiteServer {
    pub fn serve(site: Site) -> SiteServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url =
            Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
        let site = Arc::new(RwLock::new(site));
        let shared = Arc::clone(&site);
        let counter = Arc::new(AtomicU64::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let site = Arc::clone(&shared);
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || answer(stream, &site, &counter));
            }
        });
        SiteServer { url, site }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// What the site serves from now on.
    pub fn set(&self, site: Site) {
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = site;
    }
}

fn answer(stream: std::net::TcpStream, site: &RwLock<Site>, counter: &AtomicU64) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    let resource = site
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(target.as_str())
        .cloned()
        .unwrap_or_else(|| Resource {
            status: "404 Not Found",
            ..page("Ikke fundet", "<p>Siden findes ikke.</p>")
        });
    let mut head = format!(
        "HTTP/1.1 {}\r\nDate: {}\r\nX-Request: {}\r\n",
        resource.status,
        httpdate::fmt_http_date(std::time::SystemTime::now()),
        counter.fetch_add(1, Ordering::Relaxed)
    );
    for (name, value) in &resource.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        resource.body.len()
    ));
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&resource.body);
}
