//! The live dashboard (ratatui): progress with rate and ETA, samples
//! ok/failed, LLM calls and tokens, the tool-call event log, the last error.
//!
//! It draws from a thread of its own ten times a second, so the run never
//! waits on the terminal. The terminal is in raw mode, so Ctrl-C arrives as a
//! key: `q`, `Esc` or Ctrl-C asks the run to stop (a second time exits).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Gauge, List, ListItem, Paragraph};
use tokio::sync::watch;
use weft_gen::progress::Event;
use weft_llm::UsageCounter;

const LOG_LINES: usize = 200;

/// Whether a dashboard owns the terminal (for [`super::restore_terminal`]).
pub static ACTIVE: AtomicBool = AtomicBool::new(false);

#[derive(Default)]
pub struct State {
    total: u64,
    resumed: u64,
    ok: u64,
    failed: u64,
    retries: u64,
    tool_calls: u64,
    tool_errors: u64,
    log: VecDeque<(String, bool)>,
    last_error: Option<String>,
    stopping: bool,
}

/// A running dashboard.
pub struct Dashboard {
    state: Arc<Mutex<State>>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    pub fn start(usage: UsageCounter, stop: Arc<watch::Sender<bool>>) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, done) = (state.clone(), done.clone());
            std::thread::spawn(move || draw_loop(&state, &done, &usage, &stop))
        };
        Self { state, done, thread: Some(thread) }
    }

    pub fn show(state: &Mutex<State>, event: &Event) {
        let Ok(mut state) = state.lock() else { return };
        match event {
            Event::Planned { total, done } => {
                state.total = *total;
                state.resumed = *done;
            }
            Event::ToolExecuted { success, .. } => {
                state.tool_calls += 1;
                if !success {
                    state.tool_errors += 1;
                }
                let line = event.log_line();
                push(&mut state.log, line, *success);
            }
            Event::SampleRetried { .. } => {
                state.retries += 1;
                state.last_error = Some(event.log_line());
            }
            Event::SampleWritten { .. } => state.ok += 1,
            Event::SampleFailed { .. } => {
                state.failed += 1;
                state.last_error = Some(event.log_line());
                push(&mut state.log, event.log_line(), false);
            }
        }
    }

    pub fn sink(&self) -> weft_gen::progress::ProgressSink {
        let state = self.state.clone();
        Arc::new(move |event| Self::show(&state, &event))
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn push(log: &mut VecDeque<(String, bool)>, line: String, ok: bool) {
    if log.len() == LOG_LINES {
        log.pop_front();
    }
    log.push_back((line, ok));
}

fn draw_loop(state: &Mutex<State>, done: &AtomicBool, usage: &UsageCounter, stop: &watch::Sender<bool>) {
    let mut terminal = ratatui::init();
    ACTIVE.store(true, Ordering::SeqCst);
    let started = Instant::now();
    while !done.load(Ordering::SeqCst) {
        let snapshot = usage.snapshot();
        if let Ok(state) = state.lock() {
            let _ = terminal.draw(|frame| render(frame, &state, started.elapsed(), &snapshot));
        }
        if event::poll(Duration::from_millis(100)).unwrap_or(false)
            && let Ok(TermEvent::Key(key)) = event::read()
            && key.kind == KeyEventKind::Press
        {
            let quit = matches!(key.code, KeyCode::Char('q') | KeyCode::Esc)
                || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL));
            if quit {
                if *stop.borrow() {
                    ratatui::restore();
                    eprintln!("interrupted twice: exiting now");
                    std::process::exit(130);
                }
                stop.send_replace(true);
                if let Ok(mut state) = state.lock() {
                    state.stopping = true;
                }
            }
        }
    }
    ratatui::restore();
    ACTIVE.store(false, Ordering::SeqCst);
}

fn render(frame: &mut ratatui::Frame, state: &State, elapsed: Duration, usage: &weft_llm::UsageSnapshot) {
    let [header, gauge, stats, log, error] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(3),
    ])
    .areas(frame.area());
    let title = if state.stopping {
        "weft generate — stopping: finishing samples in flight (press q again to exit now)"
    } else {
        "weft generate — q to stop"
    };
    frame.render_widget(Paragraph::new(title.bold()), header);

    let finished = state.resumed + state.ok;
    let ratio = if state.total == 0 { 0.0 } else { (finished as f64 / state.total as f64).min(1.0) };
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let rate = state.ok as f64 / seconds;
    let remaining = state.total.saturating_sub(finished + state.failed);
    let eta = if rate > 0.0 { format!("{:.0}s", remaining as f64 / rate) } else { "—".to_owned() };
    let label =
        format!("{finished}/{} samples · {rate:.1}/s · ETA {eta} · {:.0}s elapsed", state.total, seconds);
    frame.render_widget(
        Gauge::default()
            .block(Block::bordered().title(" progress "))
            .gauge_style(Style::default().fg(Color::Green))
            .ratio(ratio)
            .label(label),
        gauge,
    );

    let line = Line::from(vec![
        format!("ok {}", state.ok).green(),
        "  ".into(),
        format!("failed {}", state.failed).red(),
        format!("  retries {}  ", state.retries).into(),
        format!("tool calls {} ({} errors)  ", state.tool_calls, state.tool_errors).into(),
        format!("LLM calls {}  tokens {}  LLM retries {}", usage.calls, usage.total_tokens(), usage.retries)
            .into(),
    ]);
    frame.render_widget(Paragraph::new(line).block(Block::bordered().title(" totals ")), stats);

    let height = log.height.saturating_sub(2) as usize;
    let items: Vec<ListItem> = state
        .log
        .iter()
        .rev()
        .take(height)
        .rev()
        .map(|(text, ok)| {
            let style = if *ok { Style::default() } else { Style::default().fg(Color::Red) };
            ListItem::new(text.as_str()).style(style)
        })
        .collect();
    frame.render_widget(List::new(items).block(Block::bordered().title(" tool calls ")), log);

    let last = state.last_error.as_deref().unwrap_or("none");
    frame.render_widget(
        Paragraph::new(last.to_owned()).block(Block::bordered().title(" last error ")).red(),
        error,
    );
}
