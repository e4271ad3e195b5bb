//! The verify progress bar (the binary's only; the library reports events, the CLI draws them).

use std::io::IsTerminal;
use std::time::Duration;

use arkiv::verify::ProgressEvent;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar on stderr when it is a terminal and output is not quieted; nothing otherwise.
pub struct VerifyBar {
    bar: Option<ProgressBar>,
}

impl VerifyBar {
    pub fn new(show: bool) -> VerifyBar {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        VerifyBar { bar }
    }

    pub fn event(&self, event: ProgressEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            ProgressEvent::Start { check, total } => {
                bar.set_message(check.name());
                bar.set_length(total);
                bar.set_position(0);
            }
            ProgressEvent::Advance { by, .. } => bar.inc(by),
            ProgressEvent::Finish { .. } => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
