//! The REPL driven as a person would, through a pseudo-terminal: Tab completion (commands,
//! fields, paths), multi-line input, dot-commands, a table cut to the terminal's width, the
//! shipped CloudTrail detection, the progress bar and Ctrl-C (cancelling a load, clearing the
//! line at the prompt), `.quit` and Ctrl-D.
//!
//! Every wait is generous (CI has two cores and runs the debug build); a wait that times out
//! fails with the step it was at and everything the terminal showed since the previous step.

use rexpect::session::{spawn_with_options, Options, PtySession};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How long one expected output may take to appear.
const TIMEOUT_MS: u64 = 90_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Repl {
    p: PtySession,
    /// What the terminal showed, step by step, for failure messages.
    log: Vec<String>,
}

impl Repl {
    fn start(home: &Path, args: &[&str]) -> Repl {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spelunk"));
        cmd.arg("repl").args(args).current_dir(repo());
        cmd.env("HOME", home).env("XDG_DATA_HOME", home.join("data")).env("TERM", "xterm").env("NO_COLOR", "1").env("COLUMNS", "80");
        cmd.env_remove("SPELUNK_CACHE_MB").env_remove("SPELUNK_NO_PROGRESS");
        let opts = Options::new().timeout_ms(Some(TIMEOUT_MS)).strip_ansi_escape_codes(true);
        let p = spawn_with_options(cmd, opts).unwrap_or_else(|e| panic!("cannot start spelunk under a pty: {e}"));
        Repl { p, log: Vec::new() }
    }

    /// Wait for `needle`; on a timeout, fail with what was seen.
    fn expect(&mut self, step: &str, needle: &str) -> String {
        match self.p.exp_string(needle) {
            Ok(before) => {
                self.log.push(format!("[{step}] {before}{needle}"));
                before
            }
            Err(e) => panic!("step `{step}`: waiting for {needle:?}: {e}\n--- earlier steps:\n{}", self.log.join("\n")),
        }
    }

    fn send(&mut self, step: &str, text: &str) {
        if let Err(e) = self.p.send(text).and_then(|_| self.p.flush()) {
            panic!("step `{step}`: sending {text:?}: {e}\n--- earlier steps:\n{}", self.log.join("\n"));
        }
    }

    fn ctrl_c(&mut self, step: &str) {
        if let Err(e) = self.p.send_control('c') {
            panic!("step `{step}`: sending Ctrl-C: {e}");
        }
    }

    fn prompt(&mut self, step: &str) -> String {
        self.expect(step, "spl> ")
    }

    /// Send `input`, wait for `marker` (a regex matching only the output, not the echoed line:
    /// the line is redrawn, prompt and all, as it is typed) and then for the next prompt;
    /// everything seen from the input on. (The pty is read byte by byte as Latin-1: markers are
    /// ASCII.)
    fn run(&mut self, step: &str, input: &str, marker: &str) -> String {
        self.send(step, input);
        let (before, matched) = match self.p.exp_regex(marker) {
            Ok(m) => m,
            Err(e) => panic!("step `{step}`: waiting for /{marker}/: {e}\n--- earlier steps:\n{}", self.log.join("\n")),
        };
        let after = self.prompt(step);
        self.log.push(format!("[{step}] {before}{matched}{after}"));
        utf8(&format!("{before}{matched}{after}"))
    }
}

/// rexpect hands over each byte as a char: the text as UTF-8 again.
fn utf8(latin1: &str) -> String {
    let bytes: Vec<u8> = latin1.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn a_session_at_the_terminal() {
    let home = tempfile::tempdir().expect("temp home");
    let mut r = Repl::start(home.path(), &["--data", "testdata/cloudtrail"]);
    let banner = r.expect("start", "Ctrl-D to leave.");
    assert!(banner.contains("loaded testdata/cloudtrail: 40 file(s), 488 event(s)") && banner.contains("in memory"), "{banner}");
    r.prompt("start");

    // Tab completes a command after `|`, then a field name (the line is redrawn as typed, so
    // the completed words show up in the echo)
    r.send("complete a command", "`cloudtrail` errorCode=AccessDenied | sta\t");
    r.expect("complete a command", "| stats");
    r.send("complete a field", " count by user_na\t");
    r.expect("complete a field", "by user_name");
    // a table fitted to the terminal's width (COLUMNS=80): long cells cut with `…`
    let out = r.run("run the completed query", "\r", r"user_name {3,}count");
    assert!(out.contains("ReadOnlyAuditor") && out.contains("GitHubActionsDeploy"), "{out}");
    let table: Vec<&str> = out.lines().map(|l| l.trim_end_matches('\r')).filter(|l| l.starts_with(['┌', '│', '╞', '└'])).collect();
    assert!(table.len() > 20 && table.iter().all(|l| l.chars().count() <= 80), "no line wider than the terminal:\n{out}");
    assert!(table.iter().any(|l| l.contains("arn:aws:iam::123456789012:user/* because") && l.contains('…')), "{out}");

    // a line ending in `|` continues on the next
    r.run(".format", ".format csv\r", "format: csv");
    r.send("multi-line", "`cloudtrail` errorCode=AccessDenied |\r");
    r.run("multi-line", "stats count as denied\r", r"denied\r?\n90\r?\n");

    // dot-commands
    let out = r.run(".fields", ".fields event*\r", "examples");
    assert!(out.contains("eventName") && out.contains("eventSource") && !out.contains("errorCode"), "{out}");
    let out = r.run(".help", ".help\r", "this list");
    assert!(out.contains(".fields [PATTERN]") && out.contains("leave (also Ctrl-D)"), "{out}");
    r.run(".timer", ".timer on\r", r"\ntimer on");

    // the shipped CloudTrail detection, typed on one line
    let q = std::fs::read_to_string(repo().join("queries/aws_iam_accessdenied_discovery_events.spl")).expect("query file");
    let one_line = q.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let out = r.run("detection", &format!("{one_line}\r"), r"6 row\(s\) in");
    assert!(out.contains("src,user,vendor_account,vendor_region,vendor_product,failures"), "{out}");
    assert!(out.contains("488 event(s) in memory"), "{out}");

    // Ctrl-C at the prompt clears the line and does not leave
    r.send("Ctrl-C at the prompt", "this is not run");
    r.ctrl_c("Ctrl-C at the prompt");
    // the abandoned line stays on screen, and a fresh prompt follows
    r.expect("Ctrl-C at the prompt", "this is not run\r\n");
    r.prompt("Ctrl-C at the prompt");
    let out = r.run("Ctrl-C at the prompt", ".sources\r", "in memory: [0-9]+ batch");
    assert!(!out.contains("SPL0") && !out.contains("error"), "the abandoned line was not run: {out}");

    // Tab completes paths after .load; loading a second path reads everything again
    r.send(".load", ".load testdata/asl/ocsf_api\t");
    r.expect(".load", "ocsf_api_activity.ndjson");
    let out = r.run(".load", "\r", r"loaded testdata/asl/ocsf_api_activity\.ndjson: 41 file\(s\), 602 event\(s\)");
    assert!(out.contains("in memory"), "{out}");

    r.send(".quit", ".quit\r");
    if let Err(e) = r.p.exp_eof() {
        panic!("step `.quit`: the REPL did not end: {e}\n--- earlier steps:\n{}", r.log.join("\n"));
    }
    match r.p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, 0)) => {}
        other => panic!("step `.quit`: exit status {other:?}"),
    }
    let history = std::fs::read_to_string(home.path().join("data/spelunk/history")).expect("history in XDG_DATA_HOME");
    assert!(history.contains(".fields event*"), "{history}");
}

#[test]
fn ctrl_c_cancels_a_slow_load_and_the_prompt_goes_on() {
    let home = tempfile::tempdir().expect("temp home");
    // slow enough that the progress bar shows (after 300 ms) in a debug build
    let big = home.path().join("big.json");
    let n = if cfg!(debug_assertions) { 300_000 } else { 3_000_000 };
    let lines: Vec<String> = (0..n).map(|i| format!("{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"i\":{i},\"msg\":\"hello\"}}")).collect();
    std::fs::write(&big, lines.join("\n")).expect("write big.json");
    let mut r = Repl::start(home.path(), &[]);
    r.prompt("start");
    r.send("slow load", &format!(".load {}\r", big.display()));
    // the progress bar: bytes of the total and the event rate
    let bar = r.expect("progress bar", "events/s");
    assert!(bar.contains("load") && bar.contains("MiB"), "{bar}");
    r.ctrl_c("cancel the load");
    r.expect("cancel the load", "load cancelled");
    r.prompt("cancel the load");
    r.send("still alive", ".sources\r");
    r.expect("still alive", "no data loaded");
    r.prompt("still alive");
    r.send("Ctrl-D", "\x04");
    if let Err(e) = r.p.exp_eof() {
        panic!("step `Ctrl-D`: the REPL did not end: {e}");
    }
    if std::env::var_os("SPELUNK_PTY_LOG").is_some() {
        eprintln!("{}", r.log.join("\n"));
    }
}
