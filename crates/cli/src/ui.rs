//! How a run shows its progress: on a terminal, a live ratatui dashboard;
//! otherwise (or with `--no-tui`) plain lines on stderr.

mod dashboard;
mod plain;

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::watch;
use weft_gen::progress::ProgressSink;
use weft_llm::UsageCounter;

/// Whether stdout is a terminal (the dashboard's condition).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Puts the terminal back the way it was, when a dashboard holds it.
pub fn restore_terminal() {
    if dashboard::ACTIVE.load(Ordering::SeqCst) {
        ratatui::restore();
    }
}

/// The progress display of one run.
pub enum Display {
    /// Lines on stderr.
    Plain(Arc<plain::Plain>),
    /// The dashboard.
    Tui(dashboard::Dashboard),
}

impl Display {
    /// Starts the display (`tui`: the dashboard; else plain lines).
    pub fn start(tui: bool, usage: UsageCounter, stop: Arc<watch::Sender<bool>>) -> Self {
        if tui {
            Display::Tui(dashboard::Dashboard::start(usage, stop))
        } else {
            Display::Plain(Arc::new(plain::Plain::new(usage)))
        }
    }

    /// Where the run sends its events.
    pub fn sink(&self) -> ProgressSink {
        match self {
            Display::Plain(plain) => {
                let plain = plain.clone();
                Arc::new(move |event| plain.show(&event))
            }
            Display::Tui(dashboard) => dashboard.sink(),
        }
    }

    /// Ends the display (the dashboard gives the terminal back).
    pub async fn finish(self) {
        if let Display::Tui(dashboard) = self {
            let _ = tokio::task::spawn_blocking(move || dashboard.finish()).await;
        }
    }
}
