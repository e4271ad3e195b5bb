//! Crawl progress on stderr: an indicatif bar on a terminal, plain periodic lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, periodic lines otherwise.
    Auto,
    /// Nothing (quiet runs and tests).
    Hidden,
}

/// How often a plain progress line is printed when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Counters {
    done: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    queued: AtomicU64,
}

/// Cheap to clone; every clone reports to the same display.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    lines: bool,
    counters: Arc<Counters>,
    started: Instant,
    last_line: Arc<std::sync::Mutex<Instant>>,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (mode == ProgressMode::Auto && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            lines: mode == ProgressMode::Auto && !terminal,
            counters: Arc::default(),
            started: Instant::now(),
            last_line: Arc::new(std::sync::Mutex::new(Instant::now())),
        }
    }

    pub fn fetched(&self, bytes: u64) {
        self.counters.done.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn failed(&self) {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Refreshes the display with the frontier's state.
    pub fn update(&self, queued: u64, inflight: u64) {
        self.counters.queued.store(queued, Ordering::Relaxed);
        let text = self.text(inflight);
        if let Some(bar) = &self.bar {
            bar.set_message(text);
        } else if self.lines {
            let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() >= LINE_EVERY {
                *last = Instant::now();
                eprintln!("progress: {text}");
            }
        }
    }

    fn text(&self, inflight: u64) -> String {
        let c = &self.counters;
        let done = c.done.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "{done} done, {} queued, {inflight} in flight, {} failed, {}, {:.1} URLs/s",
            c.queued.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            HumanBytes(c.bytes.load(Ordering::Relaxed)),
            done as f64 / secs
        )
    }

    /// Prints a line above the bar (or plainly).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
