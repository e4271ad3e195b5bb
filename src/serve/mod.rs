//! `arkiv serve`: an output folder over HTTP on 127.0.0.1, for browsers that restrict what a
//! `file://` page may load, and with `--replay` the archive itself.
//!
//! Routes, first match wins:
//! - with `--replay`: `/<timestamp>/<url>` and `/<timestamp>id_/<url>` replay from the WARC files
//!   through the CDXJ index ([`replay`]); `/<name>.wacz` is the folder's package (`arkiv wacz`
//!   writes it there), with ranges, as ReplayWeb.page reads it; `/replay/` is ReplayWeb.page over
//!   that package, `/replay/ui.js` and `/replay/sw.js` its files ([`replaywebpage`]);
//! - everything else is a file of `mirror/` ([`safe_path`]), with ranges, and the archived
//!   `Content-Type` where the manifest names the file ([`media_type`]). A miss whose `Referer` is
//!   a replay page is sent to the replay of the same path on the page's site (a root-relative
//!   URL a script made), as pywb does.
//!
//! Only `GET` and `HEAD`. Architecture invariant: a response body comes from a file below
//! `mirror/`, from the WARC files named by the index (inside `warc/`), from the package or from the
//! ReplayWeb.page folder, never from a path a request spells; a request never writes anything.

pub mod archived;
pub mod body;
pub mod capture_index;
pub mod media_type;
pub mod range;
pub mod replay;
pub mod replay_links;
pub mod replaywebpage;
pub mod safe_path;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LOCATION, RANGE,
    REFERER,
};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use body::{Body, bytes_response, file_response, not_found, text};
use capture_index::CaptureIndex;
use safe_path::Resolved;

/// How long a client may take to send a request head (a silent connection must not pin a task).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the requests in flight may take to finish after Ctrl-C.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The output folder of a crawl.
    pub dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Also serve the replay routes.
    pub replay: bool,
    /// Where ReplayWeb.page's `ui.js` and `sw.js` are (used with `replay`).
    pub replaywebpage: Option<PathBuf>,
}

/// A mirror file the manifest describes.
#[derive(Debug, Clone)]
struct MirrorFile {
    mime: Option<String>,
    kind: crate::mirror::manifest::ManifestKind,
    warc: Option<String>,
    offset: Option<u64>,
}

/// What every request reads.
struct Site {
    mirror: PathBuf,
    warc_dir: PathBuf,
    manifest: HashMap<String, MirrorFile>,
    replay: Option<Replay>,
}

/// The replay's share of [`Site`].
struct Replay {
    index: CaptureIndex,
    /// `/<name>.wacz` and the file it serves.
    wacz_route: String,
    wacz_file: PathBuf,
    /// ReplayWeb.page's folder when both files are there, else where it was looked for.
    rwp: Result<PathBuf, Option<PathBuf>>,
    /// The page ReplayWeb.page opens at: URL and 14-digit timestamp.
    main: Option<(String, String)>,
    title: String,
}

/// A bound server, not yet answering.
pub struct Server {
    listener: TcpListener,
    site: Arc<Site>,
}

impl Server {
    /// Reads what the folder holds and binds 127.0.0.1:`port`.
    pub async fn bind(options: &ServeOptions) -> anyhow::Result<Server> {
        let dir = &options.dir;
        let mirror = dir.join("mirror");
        if !mirror.is_dir() && !options.replay {
            anyhow::bail!(
                "{} holds no mirror/ folder (build it with `arkiv mirror {}`, or serve the archive with --replay)",
                dir.display(),
                dir.display()
            );
        }
        let manifest = read_manifest(&dir.join("manifest.jsonl"));
        let replay = if options.replay {
            Some(Replay::open(options)?)
        } else {
            None
        };
        let site = Arc::new(Site {
            mirror,
            warc_dir: dir.join("warc"),
            manifest,
            replay,
        });
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
        Ok(Server { listener, site })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The routes worth printing for a user: (what, URL).
    pub fn routes(&self) -> Vec<(String, String)> {
        let Ok(addr) = self.local_addr() else {
            return Vec::new();
        };
        let base = format!("http://{addr}");
        let mut routes = Vec::new();
        if self.site.mirror.join("index.html").is_file() {
            routes.push(("mirror".to_string(), format!("{base}/")));
        }
        if let Some(replay) = &self.site.replay {
            if let Some((url, ts)) = &replay.main {
                routes.push(("replay".to_string(), format!("{base}/{ts}/{url}")));
            }
            if replay.wacz_file.is_file() {
                routes.push(("wacz".to_string(), format!("{base}{}", replay.wacz_route)));
                if replay.rwp.is_ok() {
                    routes.push(("ReplayWeb.page".to_string(), format!("{base}/replay/")));
                }
            }
        }
        routes
    }

    /// Whether ReplayWeb.page can be offered: (package present, files installed, looked where).
    pub fn replaywebpage_state(&self) -> Option<(bool, bool, Option<PathBuf>)> {
        let replay = self.site.replay.as_ref()?;
        let looked = match &replay.rwp {
            Ok(folder) => Some(folder.clone()),
            Err(folder) => folder.clone(),
        };
        Some((replay.wacz_file.is_file(), replay.rwp.is_ok(), looked))
    }

    /// Answers until `shutdown` resolves, then lets the requests in flight finish (for a few
    /// seconds at most) and returns.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, _) = match accepted {
                        Ok(pair) => pair,
                        Err(err) => {
                            // Out of file descriptors, say: wait a moment instead of spinning.
                            tracing::warn!("accept failed: {err}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let site = self.site.clone();
                    let service = hyper::service::service_fn(move |request| {
                        let site = site.clone();
                        async move { Ok::<_, Infallible>(handle(&site, request).await) }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service);
                    let watched = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(err) = watched.await {
                            tracing::debug!("connection ended: {err}");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::debug!("requests still open after {DRAIN_TIMEOUT:?}; closing them");
        }
        Ok(())
    }
}

impl Replay {
    fn open(options: &ServeOptions) -> anyhow::Result<Replay> {
        let dir = &options.dir;
        if !dir.join("warc").is_dir() {
            anyhow::bail!(
                "{} holds no warc/ folder (pass the --out folder of an `arkiv crawl`)",
                dir.display()
            );
        }
        let index = CaptureIndex::load(dir)?;
        let name = crate::wacz::package_name(dir);
        let folder = options
            .replaywebpage
            .clone()
            .or_else(replaywebpage::default_folder);
        let rwp = match folder {
            Some(folder) if replaywebpage::is_installed(&folder) => Ok(folder),
            other => Err(other),
        };
        let main = main_page(dir, &index);
        Ok(Replay {
            index,
            wacz_route: format!("/{}.wacz", encode_segment(&name)),
            wacz_file: crate::wacz::default_output(dir),
            rwp,
            main,
            title: name,
        })
    }
}

/// The page a replay opens at: the crawl's first seed (from the first WARC file's warcinfo
/// record, so that starting the server reads one record, not the archive) at its latest capture,
/// else the first HTML page of the index. (URL, 14-digit timestamp.)
fn main_page(dir: &Path, index: &CaptureIndex) -> Option<(String, String)> {
    use std::io::Read as _;
    let seed = (|| {
        let first = crate::wacz::list_warc_files(&dir.join("warc"))
            .ok()?
            .into_iter()
            .next()?;
        let mut reader = crate::warc::WarcReader::open(&first).ok()?;
        let head = reader.next_record().ok()??;
        if head.headers.get("WARC-Type") != Some("warcinfo") {
            return None;
        }
        let mut block = Vec::new();
        reader
            .block()
            .take(256 * 1024)
            .read_to_end(&mut block)
            .ok()?;
        let text = String::from_utf8_lossy(&block).into_owned();
        text.lines()
            .find_map(|line| line.strip_prefix("arkiv-seed:"))
            .and_then(|seed| url::Url::parse(seed.trim()).ok())
    })();
    if let Some(seed) = seed
        && let Some(entry) = index.nearest(&seed, "99991231235959")
    {
        return Some((seed.to_string(), entry.timestamp.clone()));
    }
    index
        .pages()
        .first()
        .map(|e| (e.url.clone(), e.timestamp.clone()))
}

/// A name as one URL path segment.
fn encode_segment(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2E", ".")
        .replace("%2D", "-")
        .replace("%5F", "_")
}

fn read_manifest(path: &Path) -> HashMap<String, MirrorFile> {
    let Ok(text) = fs_err::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<crate::mirror::manifest::ManifestLine>(line).ok())
        .map(|line| {
            (
                line.path,
                MirrorFile {
                    mime: line.mime,
                    kind: line.kind,
                    warc: line.warc,
                    offset: line.offset,
                },
            )
        })
        .collect()
}

async fn handle(site: &Arc<Site>, request: Request<Incoming>) -> Response<Body> {
    let head_only = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head_only {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let range = request
        .headers()
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let referer = request
        .headers()
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let range = range.as_deref();
    if let Some(replay) = &site.replay
        && let Some(response) =
            replay_route(site, replay, &path, query.as_deref(), range, head_only).await
    {
        return response;
    }
    let response = mirror_file(site, &path, range, head_only).await;
    if response.status() == StatusCode::NOT_FOUND
        && site.replay.is_some()
        && let Some(to) = referer
            .as_deref()
            .and_then(|r| from_replay_page(r, &path, query.as_deref()))
    {
        return redirect(StatusCode::TEMPORARY_REDIRECT, &to);
    }
    response
}

async fn replay_route(
    site: &Arc<Site>,
    replay: &Replay,
    path: &str,
    query: Option<&str>,
    range: Option<&str>,
    head_only: bool,
) -> Option<Response<Body>> {
    if path == replay.wacz_route {
        if !replay.wacz_file.is_file() {
            return Some(text(
                StatusCode::NOT_FOUND,
                &format!(
                    "no package yet: `arkiv wacz {}` writes {}",
                    site.warc_dir.parent().unwrap_or(Path::new(".")).display(),
                    replay.wacz_file.display()
                ),
            ));
        }
        let mut response = file_response(&replay.wacz_file, "application/wacz", range, head_only)
            .await
            .unwrap_or_else(|_| not_found());
        response
            .headers_mut()
            .insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        return Some(response);
    }
    if path == "/replay" {
        return Some(redirect(StatusCode::MOVED_PERMANENTLY, "/replay/"));
    }
    if path == "/replay/" || path == "/replay/index.html" {
        let page = match (&replay.rwp, &replay.main) {
            (Ok(_), Some((url, ts))) if replay.wacz_file.is_file() => {
                replaywebpage::host_page(&replay.title, &replay.wacz_route, url, ts)
            }
            (Ok(_), _) => {
                return Some(text(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no package to open: `arkiv wacz` writes {}",
                        replay.wacz_file.display()
                    ),
                ));
            }
            (Err(looked), _) => {
                let mut response = bytes_response(
                    replaywebpage::missing_page(looked.as_deref()).into(),
                    "text/html; charset=utf-8",
                    None,
                    head_only,
                );
                *response.status_mut() = StatusCode::NOT_FOUND;
                return Some(response);
            }
        };
        return Some(bytes_response(
            page.into(),
            "text/html; charset=utf-8",
            None,
            head_only,
        ));
    }
    if let Some(file) = path.strip_prefix("/replay/") {
        let Ok(folder) = &replay.rwp else {
            return Some(not_found());
        };
        if !replaywebpage::FILES.contains(&file) {
            return Some(not_found());
        }
        let mut response = file_response(
            &folder.join(file),
            "text/javascript; charset=utf-8",
            range,
            head_only,
        )
        .await
        .unwrap_or_else(|_| not_found());
        // The service worker must be fetched fresh, or an old one would keep answering.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Some(response);
    }
    let target = replay::parse_target(path, query)?;
    let site = site.clone();
    let range = range.map(str::to_string);
    let answer = tokio::task::spawn_blocking(move || {
        let replay = site.replay.as_ref()?;
        Some(replay::respond(
            &site.warc_dir,
            &replay.index,
            &target,
            range.as_deref(),
            head_only,
        ))
    })
    .await
    .ok()
    .flatten();
    Some(answer.unwrap_or_else(|| text(StatusCode::INTERNAL_SERVER_ERROR, "replay failed")))
}

async fn mirror_file(
    site: &Arc<Site>,
    path: &str,
    range: Option<&str>,
    head_only: bool,
) -> Response<Body> {
    let mirror = site.mirror.clone();
    let raw = path.to_string();
    let resolved = tokio::task::spawn_blocking(move || safe_path::resolve(&mirror, &raw))
        .await
        .ok()
        .flatten();
    let (file, relative) = match resolved {
        Some(Resolved::File { path, relative }) => (path, relative),
        Some(Resolved::AddSlash) => {
            return redirect(StatusCode::MOVED_PERMANENTLY, &format!("{path}/"));
        }
        None => return not_found(),
    };
    let content_type = content_type_of(site, &file, &relative).await;
    file_response(&file, &content_type, range, head_only)
        .await
        .unwrap_or_else(|_| not_found())
}

/// See [`media_type`]: the archived type (and charset) for archived files, UTF-8 HTML for
/// arkiv's own pages, else by extension.
async fn content_type_of(site: &Arc<Site>, file: &Path, relative: &str) -> String {
    use crate::mirror::manifest::ManifestKind;
    let Some(entry) = site.manifest.get(relative).cloned() else {
        return media_type::by_extension(file).to_string();
    };
    match entry.kind {
        ManifestKind::Archived => {}
        _ => return "text/html; charset=utf-8".to_string(),
    }
    let Some(mime) = entry.mime.filter(|m| !m.is_empty()) else {
        return media_type::by_extension(file).to_string();
    };
    let (Some(warc), Some(offset)) = (entry.warc, entry.offset) else {
        return mime;
    };
    let warc_dir = site.warc_dir.clone();
    let archived_type =
        tokio::task::spawn_blocking(move || archived_content_type(&warc_dir, &warc, offset))
            .await
            .ok()
            .flatten();
    media_type::with_archived_charset(&mime, archived_type.as_deref())
}

/// The `Content-Type` of the archived response at `warc`:`offset`.
fn archived_content_type(warc_dir: &Path, warc: &str, offset: u64) -> Option<String> {
    use std::io::Read as _;
    let path = capture_index::warc_path(warc_dir, warc)?;
    let mut reader = crate::warc::WarcReader::open_at(&path, offset).ok()?;
    reader.next_record().ok()??;
    let mut head = Vec::new();
    reader.block().take(64 * 1024).read_to_end(&mut head).ok()?;
    crate::warc::parse_response_head(&head).ok()?.content_type()
}

/// Where a missed root-relative request belongs when a replay page made it.
fn from_replay_page(referer: &str, path: &str, query: Option<&str>) -> Option<String> {
    let referer = url::Url::parse(referer).ok()?;
    let page = replay::parse_target(referer.path(), referer.query())?;
    let mut missed = page.url.join(path).ok()?;
    missed.set_query(query);
    Some(replay_links::replay_path(&page.timestamp, &missed))
}

fn redirect(status: StatusCode, to: &str) -> Response<Body> {
    let mut response = text(status, &format!("see {to}"));
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_made_root_relative_url_goes_back_into_the_replay() {
        assert_eq!(
            from_replay_page(
                "http://127.0.0.1:9/2026/http://h:1/a/page.html",
                "/assets/x.js",
                Some("v=1")
            )
            .as_deref(),
            Some("/2026/http://h:1/assets/x.js?v=1")
        );
        assert_eq!(
            from_replay_page("http://127.0.0.1:9/h/index.html", "/x", None),
            None
        );
    }

    #[test]
    fn package_routes_are_one_segment() {
        assert_eq!(encode_segment("demo"), "demo");
        assert_eq!(encode_segment("my crawl.v2"), "my%20crawl.v2");
    }
}
