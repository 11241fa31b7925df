//! How a run shows its progress: plain lines on stderr, or (on a terminal)
//! a live dashboard.

mod plain;

use std::io::IsTerminal;
use std::sync::Arc;

use tokio::sync::watch;
use weft_gen::progress::ProgressSink;
use weft_llm::UsageCounter;

/// Whether stdout is a terminal (the dashboard's condition).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Puts the terminal back the way it was (after a dashboard), if needed.
pub fn restore_terminal() {}

/// The progress display of one run.
pub struct Display {
    plain: Arc<plain::Plain>,
}

impl Display {
    /// Starts the display (`tui`: the dashboard; else plain lines).
    pub fn start(_tui: bool, usage: UsageCounter, _stop: Arc<watch::Sender<bool>>) -> Self {
        Self { plain: Arc::new(plain::Plain::new(usage)) }
    }

    /// Where the run sends its events.
    pub fn sink(&self) -> ProgressSink {
        let plain = self.plain.clone();
        Arc::new(move |event| plain.show(&event))
    }

    /// Ends the display.
    pub async fn finish(self) {}
}
