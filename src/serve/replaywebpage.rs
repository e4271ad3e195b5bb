//! ReplayWeb.page, Webrecorder's replay in the browser, over the package of the served folder:
//! `/replay/` is a page with its `<replay-web-page>` element, `/replay/ui.js` and
//! `/replay/sw.js` its two self-contained files (the service worker's scope is `/replay/`, and
//! the archived page shows in a frame below `/replay/w/`).
//!
//! arkiv does not ship ReplayWeb.page (AGPL-3.0, its own release cycle): the files come from the
//! npm package `replaywebpage`, installed once by the user ([`INSTALL_HINT`]) into a folder named
//! with `--replaywebpage`, `$ARKIV_REPLAYWEBPAGE`, or the default [`default_folder`]. Nothing is
//! fetched at run time.

use std::path::{Path, PathBuf};

/// The ReplayWeb.page release the tests and the hint name.
pub const VERSION: &str = "2.5.3";

/// The files served from the installed folder.
pub const FILES: [&str; 2] = ["ui.js", "sw.js"];

/// How to install the files, for the page and the log when they are missing.
pub const INSTALL_HINT: &str = "npm pack replaywebpage@2.5.3 && tar -xzf replaywebpage-2.5.3.tgz package/ui.js package/sw.js && mkdir -p ~/.local/share/arkiv/replaywebpage && mv package/ui.js package/sw.js ~/.local/share/arkiv/replaywebpage/ (or name another folder with --replaywebpage)";

/// `~/.local/share/arkiv/replaywebpage` (`$XDG_DATA_HOME/arkiv/replaywebpage` when set).
pub fn default_folder() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("arkiv/replaywebpage"))
}

/// Whether `folder` holds both files.
pub fn is_installed(folder: &Path) -> bool {
    FILES.iter().all(|f| folder.join(f).is_file())
}

/// The page at `/replay/`: the package `wacz_path` opened at `url` (and `ts`, 14 digits).
pub fn host_page(title: &str, wacz_path: &str, url: &str, ts: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} (ReplayWeb.page)</title>\n\
         <script src=\"/replay/ui.js\"></script>\n\
         <style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ height: 100vh; }}</style>\n\
         </head>\n<body>\n\
         <replay-web-page source=\"{source}\" url=\"{url}\" ts=\"{ts}\" replaybase=\"/replay/\" \
         embed=\"replayonly\"></replay-web-page>\n</body>\n</html>\n",
        title = escape(title),
        source = escape(wacz_path),
        url = escape(url),
        ts = escape(ts),
    )
}

/// The page at `/replay/` when the files are missing: what to do about it.
pub fn missing_page(folder: Option<&Path>) -> String {
    let looked = folder.map_or_else(
        || "no folder (set --replaywebpage)".to_string(),
        |f| f.display().to_string(),
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>ReplayWeb.page is not installed</title>\n</head>\n<body>\n\
         <h1>ReplayWeb.page is not installed</h1>\n\
         <p>arkiv looked for <code>ui.js</code> and <code>sw.js</code> in <code>{}</code>.</p>\n\
         <p>Install them once with:</p>\n<pre>{}</pre>\n\
         <p>The archive still replays here without it: <code>/&lt;timestamp&gt;/&lt;url&gt;</code>.</p>\n\
         </body>\n</html>\n",
        escape(&looked),
        escape(INSTALL_HINT)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_page_names_the_package_and_the_replay_base() {
        let page = host_page(
            "Demo",
            "/demo.wacz",
            "http://127.0.0.1:1/?a=1&b=\"2\"",
            "2026",
        );
        assert!(page.contains("source=\"/demo.wacz\""), "{page}");
        assert!(page.contains("replaybase=\"/replay/\""), "{page}");
        assert!(
            page.contains("url=\"http://127.0.0.1:1/?a=1&amp;b=&quot;2&quot;\""),
            "{page}"
        );
        assert!(page.contains("<script src=\"/replay/ui.js\">"), "{page}");
    }

    #[test]
    fn the_missing_page_says_how_to_install() {
        let page = missing_page(Some(Path::new("/x/rwp")));
        assert!(page.contains("npm pack replaywebpage@2.5.3"), "{page}");
        assert!(page.contains("/x/rwp"), "{page}");
    }
}
