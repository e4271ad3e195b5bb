//! Finds and starts one headless Chromium with a fresh profile, kept off the network by itself.
//!
//! The DevTools pipe wants the browser's fd 3 and fd 4. Placing descriptors there needs code
//! between `fork` and `exec`, which safe Rust does not offer (the crate denies `unsafe_code`)
//! and which crates such as `command-fds` do with `unsafe` of their own; instead the browser is
//! started through `/bin/sh -c 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2'`: the shell moves the
//! two pipes we hand it as stdin and stdout onto 3 and 4 and then becomes Chromium (Debian's
//! `chromium` is itself such a shell script). When arkiv exits, however abruptly, the pipe closes
//! and Chromium quits by itself. It runs in its own process group, so a Ctrl-C meant for arkiv
//! does not kill it in the middle of a page.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::BrowserError;
use super::cdp::Cdp;

/// How the name of a browser's temporary profile folder starts.
pub const CHROMIUM_PROFILE_PREFIX: &str = "arkiv-chromium-";

/// Names tried on `PATH` when no executable is given, in this order.
pub const CHROMIUM_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
];
/// How to get Chromium, for the error when there is none.
pub const INSTALL_HINT: &str = "install Chromium (Debian and Ubuntu: `apt-get install chromium`; \
     Fedora: `dnf install chromium`; macOS: `brew install --cask chromium`) or name the browser with `--chromium PATH`";
/// Default wait for a new browser's first answer: a loaded 2-core machine has been seen to take
/// over 30 s.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Default starts tried before giving up (a start that never answers is retried from scratch).
pub const DEFAULT_STARTUP_ATTEMPTS: usize = 3;

/// Moves stdin and stdout onto fds 3 and 4, then becomes `$0` with the arguments `$@`.
const PIPE_SHIM: &str = r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#;

/// The flags every browser gets: headless, quiet, no network of its own. The proxy and pins
/// come from [`LaunchOptions`].
const QUIET_FLAGS: &[&str] = &[
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--metrics-recording-only",
    "--no-pings",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    "--password-store=basic",
    "--use-mock-keychain",
    // HttpsUpgrades would try https:// first for every http:// page, AutoupgradeMixedContent
    // would ask for https:// copies of a page's http:// images: requests the page never made.
    // The rest phone home or download models; the Aim* ones (Chromium 148 and later) ask
    // www.google.com whether "AI mode" may be offered, on every navigation and through the
    // page's own proxy address. Chromium still sends some requests of its own (update checks,
    // account probes): a crawl's proxy sees them on its main address, where no page's requests
    // arrive, and declines them. Names a version does not know are ignored.
    "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,AutoupgradeMixedContent,\
     Translate,MediaRouter,OptimizationHints,OptimizationGuideModelDownloading,\
     InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,\
     NetworkTimeServiceQuerying,AimEligibilityService,AimServerEligibilityEnabled,\
     AimEligibilityRefreshNavigationThrottle,AimServerRequestOnStartupEnabled,\
     AimServerRequestOnIdentityChangeEnabled,AiModeOmniboxEntryPoint",
    // WebRTC may not send UDP past the proxy.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    // Nothing resolves: with a proxy the browser needs no names, and what might bypass it
    // (a prefetch, a feature we did not think of) finds no host.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
];

/// How to start Chromium.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The executable; `None` looks for [`CHROMIUM_NAMES`] on `PATH`.
    pub executable: Option<PathBuf>,
    /// `--proxy-server` for the whole browser (`http://127.0.0.1:PORT`); loopback goes through
    /// it too. `None`: no proxy, and with the host resolver rules only 127.0.0.1 is reachable.
    pub proxy_server: Option<String>,
    /// `--ignore-certificate-errors-spki-list`: the proxy's key pins.
    pub spki_pins: Option<String>,
    /// Where the temporary profile folder is made (the crawl passes `<out>/state/tmp`, so nothing
    /// is written outside the output folder); `None`: the system's temp folder.
    pub temp_parent: Option<PathBuf>,
    /// Initial window size in CSS pixels.
    pub window: (u32, u32),
    /// More flags, after ours (a later flag wins in Chromium).
    pub extra_flags: Vec<String>,
    /// Wait for a new browser's first answer.
    pub startup_timeout: Duration,
    /// Starts tried before giving up.
    pub startup_attempts: usize,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions {
            executable: None,
            proxy_server: None,
            spki_pins: None,
            temp_parent: None,
            window: (1280, 800),
            extra_flags: Vec::new(),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            startup_attempts: DEFAULT_STARTUP_ATTEMPTS,
        }
    }
}

/// The browser executable: `explicit` if given (it must exist), else the first of
/// [`CHROMIUM_NAMES`] on `PATH`.
pub fn find_chromium(explicit: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(path) = explicit {
        // A bare name is looked up on PATH, as a shell would.
        let found = if path.components().count() == 1 && !path.is_file() {
            on_path(&path.to_string_lossy())
        } else {
            Some(path.to_path_buf()).filter(|p| is_executable(p))
        };
        return found.ok_or_else(|| BrowserError::NotFound {
            tried: path.display().to_string(),
        });
    }
    CHROMIUM_NAMES
        .iter()
        .find_map(|name| on_path(name))
        .ok_or_else(|| BrowserError::NotFound {
            tried: format!("{} on PATH", CHROMIUM_NAMES.join(", ")),
        })
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Chromium refuses to run as root with its sandbox (and a container rarely allows it).
fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        // /proc/self belongs to the process's effective user.
        fs_err::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The whole command line after the executable.
pub fn chromium_args(options: &LaunchOptions, profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = QUIET_FLAGS.iter().map(|f| (*f).to_owned()).collect();
    if running_as_root() {
        args.push("--no-sandbox".to_owned());
    }
    let (width, height) = options.window;
    args.push(format!("--window-size={width},{height}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    match &options.proxy_server {
        Some(proxy) => {
            args.push(format!("--proxy-server={proxy}"));
            // Chromium sends loopback addresses past any proxy unless told not to.
            args.push("--proxy-bypass-list=<-loopback>".to_owned());
        }
        None => args.push("--no-proxy-server".to_owned()),
    }
    if let Some(pins) = &options.spki_pins {
        args.push(format!("--ignore-certificate-errors-spki-list={pins}"));
    }
    args.extend(options.extra_flags.iter().cloned());
    // No page of its own: pages come from Target.createTarget.
    args.push("about:blank".to_owned());
    args
}

/// One running Chromium and its DevTools connection; killed when dropped.
pub struct Chromium {
    cdp: Arc<Cdp>,
    child: tokio::sync::Mutex<Child>,
    version: String,
    /// The profile and Chromium's log, removed on drop.
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Chromium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chromium")
            .field("version", &self.version)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// Time Chromium gets to quit by itself before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

impl Chromium {
    /// Starts Chromium, trying again from scratch when a start does not answer in time.
    pub async fn launch(options: &LaunchOptions) -> Result<Chromium, BrowserError> {
        let executable = find_chromium(options.executable.as_deref())?;
        let mut failures = Vec::new();
        for attempt in 1..=options.startup_attempts.max(1) {
            match Chromium::launch_once(&executable, options).await {
                Ok(chromium) => return Ok(chromium),
                Err(BrowserError::Start { detail, .. }) => {
                    tracing::warn!(
                        "Chromium start {attempt} of {} failed: {}",
                        options.startup_attempts,
                        detail.lines().next().unwrap_or_default()
                    );
                    failures.push(format!("attempt {attempt}: {detail}"));
                }
                Err(other) => return Err(other),
            }
        }
        Err(BrowserError::Start {
            executable,
            detail: failures.join("\n"),
        })
    }

    async fn launch_once(
        executable: &Path,
        options: &LaunchOptions,
    ) -> Result<Chromium, BrowserError> {
        let temp = |source| BrowserError::TempDir {
            parent: options.temp_parent.clone(),
            source,
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(CHROMIUM_PROFILE_PREFIX);
        let dir = match &options.temp_parent {
            Some(parent) => {
                fs_err::create_dir_all(parent).map_err(temp)?;
                builder.tempdir_in(parent)
            }
            None => builder.tempdir(),
        }
        .map_err(temp)?;
        let log_path = dir.path().join("chromium.log");
        let log = fs_err::File::create(&log_path).map_err(temp)?;
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(PIPE_SHIM)
            .arg(executable)
            .args(chromium_args(options, &dir.path().join("profile")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.into_parts().0))
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let start_error = |detail: String| BrowserError::Start {
            executable: executable.to_path_buf(),
            detail,
        };
        let mut child = command
            .spawn()
            .map_err(|err| start_error(format!("cannot run /bin/sh: {err}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(start_error("no pipes to the browser".to_owned()));
        };
        let cdp = Cdp::start(stdin, stdout);
        let version = cdp
            .call(
                "Browser.getVersion",
                json!({}),
                None,
                options.startup_timeout,
            )
            .await;
        let version = match version {
            Ok(version) => version,
            Err(err) => {
                let _ = child.start_kill();
                let _ = tokio::time::timeout(CLOSE_GRACE, child.wait()).await;
                let tail = log_tail(&log_path);
                return Err(start_error(format!("{err}{tail}")));
            }
        };
        let product = version
            .get("product")
            .and_then(Value::as_str)
            .unwrap_or("Chromium")
            .to_owned();
        // Downloads a page starts (a PDF link clicked by a script) go nowhere.
        let _ = cdp
            .call(
                "Browser.setDownloadBehavior",
                json!({"behavior": "deny"}),
                None,
                options.startup_timeout,
            )
            .await;
        Ok(Chromium {
            cdp,
            child: tokio::sync::Mutex::new(child),
            version: product,
            dir,
        })
    }

    /// The DevTools connection.
    pub fn cdp(&self) -> &Arc<Cdp> {
        &self.cdp
    }

    /// `Chrome/<version>` as the browser reports it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the browser is still there (its pipe open).
    pub fn is_alive(&self) -> bool {
        !self.cdp.is_closed()
    }

    /// The process id (for tests that kill it to see it restarted).
    pub async fn pid(&self) -> Option<u32> {
        self.child.lock().await.id()
    }

    /// Asks Chromium to quit, then kills it if it has not within a few seconds.
    pub async fn close(&self) {
        if self.is_alive() {
            let _ = self
                .cdp
                .call("Browser.close", json!({}), None, CLOSE_GRACE)
                .await;
        }
        let mut child = self.child.lock().await;
        if !matches!(
            tokio::time::timeout(CLOSE_GRACE, child.wait()).await,
            Ok(Ok(_))
        ) {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(CLOSE_GRACE, child.wait()).await;
        }
    }
}

/// The last lines of Chromium's log, for an error message.
fn log_tail(path: &Path) -> String {
    let Ok(text) = fs_err::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    if tail.is_empty() {
        String::new()
    } else {
        format!("\nChromium's log ends:\n{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_takes_loopback_too_and_the_pins_are_passed() {
        let options = LaunchOptions {
            proxy_server: Some("http://127.0.0.1:4711".to_owned()),
            spki_pins: Some("AAAA,BBBB".to_owned()),
            extra_flags: vec!["--lang=da".to_owned()],
            ..LaunchOptions::default()
        };
        let args = chromium_args(&options, Path::new("/tmp/p"));
        for wanted in [
            "--headless",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-default-apps",
            "--remote-debugging-pipe",
            "--user-data-dir=/tmp/p",
            "--proxy-server=http://127.0.0.1:4711",
            "--proxy-bypass-list=<-loopback>",
            "--ignore-certificate-errors-spki-list=AAAA,BBBB",
        ] {
            assert!(args.iter().any(|a| a == wanted), "{wanted} in {args:?}");
        }
        assert!(
            args.iter()
                .any(|a| a.starts_with("--host-resolver-rules=MAP * ~NOTFOUND"))
        );
        let extra = args.iter().position(|a| a == "--lang=da").expect("extra");
        let proxy = args
            .iter()
            .position(|a| a.starts_with("--proxy-server"))
            .expect("proxy");
        assert!(extra > proxy, "extra flags come last and so win");
        assert_eq!(running_as_root(), args.iter().any(|a| a == "--no-sandbox"));
    }

    #[test]
    fn without_a_proxy_the_browser_is_told_to_use_none() {
        let args = chromium_args(&LaunchOptions::default(), Path::new("/tmp/p"));
        assert!(args.iter().any(|a| a == "--no-proxy-server"));
        assert!(
            !args
                .iter()
                .any(|a| a.starts_with("--ignore-certificate-errors"))
        );
    }

    #[test]
    fn a_missing_browser_is_a_typed_error_with_a_hint() {
        let err = find_chromium(Some(Path::new("/nonexistent/chromium"))).expect_err("missing");
        assert!(matches!(err, BrowserError::NotFound { .. }));
        let text = err.to_string();
        assert!(text.contains("/nonexistent/chromium"), "{text}");
        assert!(text.contains("apt-get install chromium"), "{text}");
        let err = find_chromium(Some(Path::new("arkiv-no-such-browser"))).expect_err("missing");
        assert!(err.to_string().contains("arkiv-no-such-browser"));
    }
}
