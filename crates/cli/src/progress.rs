//! A progress bar on stderr for long scans (`spelunk run`, the REPL's `.load` and re-scans).
//!
//! The scanners count what they read into a shared [`ScanMonitor`] (bytes per read block, events
//! per batch); a watcher thread shows them with indicatif. Nothing is drawn for scans that
//! finish within [`DELAY`], when stderr is not a terminal, or with `--quiet`. Dropping the
//! [`Progress`] stops the watcher and clears the bar, so results print on a clean line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spelunk_io::ScanMonitor;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a scan runs before the bar appears.
pub const DELAY: Duration = Duration::from_millis(300);
/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// Should a bar be shown at all: stderr is a terminal and the user did not ask for quiet.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal() && std::env::var_os("SPELUNK_NO_PROGRESS").is_none()
}

/// The total size of the files, in bytes (what [`ScanMonitor::bytes`] counts towards).
pub fn total_bytes(files: &[PathBuf]) -> u64 {
    files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum()
}

/// A running progress display (or none); stops and clears when dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

impl Progress {
    /// Nothing shown.
    pub fn none() -> Progress {
        Progress { stop: Arc::new(AtomicBool::new(false)), watcher: None }
    }

    /// Watch `monitor` and, after [`DELAY`], show bytes read of `total` and events per second.
    /// `show` false: nothing (see [`wanted`]).
    pub fn start(show: bool, label: &str, total: u64, monitor: Arc<ScanMonitor>) -> Progress {
        if !show {
            return Progress::none();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let label = label.to_string();
        let watcher = std::thread::Builder::new().name("spelunk-progress".into()).spawn(move || watch(&flag, &label, total, &monitor)).ok();
        Progress { stop, watcher }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            w.thread().unpark();
            let _ = w.join();
        }
    }
}

/// The watcher thread: wait for the delay (or the end), then draw until told to stop.
fn watch(stop: &AtomicBool, label: &str, total: u64, monitor: &ScanMonitor) {
    let started = Instant::now();
    while started.elapsed() < DELAY {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::park_timeout(DELAY.saturating_sub(started.elapsed()).min(TICK));
    }
    if stop.load(Ordering::Relaxed) || monitor.is_cancelled() {
        return;
    }
    let bar = ProgressBar::with_draw_target(Some(total.max(1)), ProgressDrawTarget::stderr_with_hz(10));
    let style = ProgressStyle::with_template("{prefix} {wide_bar} {bytes}/{total_bytes} ({percent}%) {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    loop {
        let bytes = monitor.bytes.load(Ordering::Relaxed);
        let events = monitor.events.load(Ordering::Relaxed);
        // a byte-range unit may read a buffer past its end: never show more than the total
        bar.set_position(bytes.min(total));
        bar.set_message(rate_message(events, started.elapsed()));
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::park_timeout(TICK);
    }
    bar.finish_and_clear();
}

/// `12,345 events, 6,789 events/s`.
pub fn rate_message(events: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { (events as f64 / secs) as u64 } else { 0 };
    format!("{} events, {} events/s", thousands(events), thousands(rate))
}

fn thousands(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_text() {
        assert_eq!(rate_message(0, Duration::ZERO), "0 events, 0 events/s");
        assert_eq!(rate_message(1_234_567, Duration::from_secs(2)), "1,234,567 events, 617,283 events/s");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn hidden_and_quick_scans_draw_nothing_and_stop_at_once() {
        let m = Arc::new(ScanMonitor::default());
        let started = Instant::now();
        drop(Progress::start(false, "scan", 10, m.clone()));
        // shown, but dropped before the delay: the watcher returns without drawing
        let p = Progress::start(true, "scan", 10, m);
        drop(p);
        assert!(started.elapsed() < DELAY, "dropping stops the watcher without waiting out the delay");
    }
}
