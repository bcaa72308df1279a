//! The interactive prompt: `spelunk repl --data PATH ...` (and `spelunk` alone).
//!
//! [`Session`] holds the state (planner, data paths, field catalogue, output settings, the
//! last result) and turns one input (a query or a dot-command) into the text to print, so it
//! is tested without a terminal. [`run`] wraps it in rustyline: history in the user's data
//! directory, multi-line input ([`is_incomplete`]), highlighting ([`highlight`]), hints from
//! history and Tab completion ([`complete`]) from the one registry of commands and functions,
//! the loaded fields and the macros.
//!
//! Data: `.load` (and `--data`) scans the files once, with every field, builds the field
//! catalogue (`.fields`, completion) and keeps the events in memory as Arrow batches per
//! sourcetype ([`runner::CachedEvents`]); each query then runs over those batches (search-time
//! fields and the time range are applied per query by the engine, as for a fresh scan). When
//! the batches would take more than [`Session::cache_cap`] bytes (1 GiB, or `SPELUNK_CACHE_MB`),
//! nothing is kept and each query reads the files again, with a progress bar when it is slow.
//! Ctrl-C while a query or a load runs cancels it ([`install_interrupt`]); at the prompt it
//! clears the line.

use crate::output::{self, Format, OutputOptions};
use crate::runner::{mib, CachedEvents};
use crate::{explain, progress, runner};
use arrow::record_batch::RecordBatch;
use spelunk_exec::columns::BatchView;
use spelunk_io::ScanMonitor;
use spelunk_plan::Planner;
use spelunk_syntax::registry::{self, FunctionKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Distinct values kept per field for `.fields` (beyond it the count shows as `N+`).
const DISTINCT_CAP: usize = 1000;
/// Example values kept per field.
const EXAMPLES: usize = 3;

pub const DOT_COMMANDS: &[(&str, &str)] = &[
    (".load", ".load [PATH]      add a file or folder of logs, read into memory (again: re-read all)"),
    (".sources", ".sources          the loaded paths, files, events per sourcetype, memory used"),
    (".fields", ".fields [PATTERN] fields of the loaded data: count, distinct values, examples (PATTERN may use *)"),
    (".macros", ".macros           the macros queries can call"),
    (".format", ".format FORMAT    output format: table, csv, json or ndjson"),
    (".timer", ".timer on|off     show how long each query took"),
    (".run", ".run FILE         run a query file (.spl, or a detection .yml's search)"),
    (".explain", ".explain QUERY|FILE macros expanded, the plan and rewrites"),
    (".save", ".save FILE        write the last result (format from the extension)"),
    (".help", ".help             this list"),
    (".quit", ".quit             leave (also Ctrl-D)"),
];

/// What is known about one field of the loaded data.
#[derive(Debug, Clone, Default)]
pub struct FieldInfo {
    /// Events that have the field.
    pub count: u64,
    pub distinct: BTreeSet<String>,
    /// More distinct values than [`DISTINCT_CAP`] were seen.
    pub capped: bool,
    pub examples: Vec<String>,
}

/// Names completion and highlighting draw on besides the registry.
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    pub fields: Vec<String>,
    pub macros: Vec<String>,
}

pub struct Session {
    pub planner: Planner,
    pub data: Vec<PathBuf>,
    pub sourcetype: Option<String>,
    /// Lookup folders for `lookup`/`inputlookup` (`--lookups`; empty: ./lookups).
    pub lookups: Vec<PathBuf>,
    pub fields: BTreeMap<String, FieldInfo>,
    /// Events per sourcetype, files read, from the last scan.
    pub sourcetypes: BTreeMap<String, u64>,
    pub files: usize,
    pub format: Format,
    pub timer: bool,
    pub out_opts: OutputOptions,
    pub last: Vec<RecordBatch>,
    /// Set by `.quit`.
    pub done: bool,
    /// The loaded events in memory (`None`: nothing loaded, or more than [`Session::cache_cap`]).
    pub cache: Option<Arc<CachedEvents>>,
    /// The most Arrow memory the cache may take, in bytes (0: never cache).
    pub cache_cap: usize,
    /// Why the loaded data is not in memory (said by `.load`, shown by `.sources`).
    pub cache_note: Option<String>,
    /// Show a progress bar on stderr for slow scans.
    pub progress: bool,
    /// The monitor of the query or load running now: Ctrl-C cancels it.
    pub running: Arc<Mutex<Option<Arc<ScanMonitor>>>>,
}

/// What one scan of the loaded paths found.
struct Loaded {
    fields: BTreeMap<String, FieldInfo>,
    sourcetypes: BTreeMap<String, u64>,
    files: usize,
    cache: Option<CachedEvents>,
    note: Option<String>,
    stats: spelunk_io::ScanStats,
}

/// Why a load did not finish.
enum LoadError {
    Cancelled,
    Failed(String),
}

impl Session {
    pub fn new(planner: Planner) -> Session {
        Session {
            planner,
            data: Vec::new(),
            sourcetype: None,
            lookups: Vec::new(),
            fields: BTreeMap::new(),
            sourcetypes: BTreeMap::new(),
            files: 0,
            format: Format::Table,
            timer: false,
            out_opts: OutputOptions::default(),
            last: Vec::new(),
            done: false,
            cache: None,
            cache_cap: runner::cache_cap(),
            cache_note: None,
            progress: false,
            running: Arc::new(Mutex::new(None)),
        }
    }

    /// A fresh monitor for a query or load, registered for Ctrl-C.
    fn begin_task(&self) -> Arc<ScanMonitor> {
        let m = Arc::new(ScanMonitor::default());
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = Some(m.clone());
        m
    }

    fn end_task(&self) {
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Cancel the query or load running now, if any (what Ctrl-C does); whether one was.
    pub fn interrupt(running: &Mutex<Option<Arc<ScanMonitor>>>) -> bool {
        match running.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(m) => {
                m.cancel();
                true
            }
            None => false,
        }
    }

    pub fn vocab(&self) -> Vocab {
        let mut macros: Vec<String> = self.planner.macros.names().map(str::to_string).collect();
        macros.sort();
        macros.dedup();
        Vocab { fields: self.fields.keys().cloned().collect(), macros }
    }

    #[cfg_attr(not(test), allow(dead_code))]
    /// Tab completion at `pos` of `line`: where the replaced word starts and the candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        complete(line, pos, &self.vocab())
    }

    /// Run one input (a query or a dot-command); the text to print.
    pub fn handle_line(&mut self, line: &str) -> String {
        let t = line.trim();
        if t.is_empty() {
            return String::new();
        }
        if t.starts_with('.') && !t.starts_with("..") {
            let (cmd, arg) = t.split_once(char::is_whitespace).map(|(c, a)| (c, a.trim())).unwrap_or((t, ""));
            return self.dot(cmd, arg);
        }
        self.query(t)
    }

    fn dot(&mut self, cmd: &str, arg: &str) -> String {
        match cmd {
            ".quit" | ".exit" | ".q" => {
                self.done = true;
                String::new()
            }
            ".help" | ".h" => {
                let mut s = String::from("Type SPL and press Enter (a line ending in `|` or inside an open bracket or quote continues).\nTab completes commands, functions, fields, macros (inside backticks) and command options.\n\n");
                for (_, h) in DOT_COMMANDS {
                    s.push_str(&format!("  {h}\n"));
                }
                s.push_str("\n`spelunk help NAME` (or `.help NAME`) describes a command or function.\n");
                if !arg.is_empty() {
                    return help_text(arg);
                }
                s
            }
            ".load" => {
                if arg.is_empty() && self.data.is_empty() {
                    return "usage: .load PATH\n".into();
                }
                // a path loaded before (or none): read everything again
                let added = if arg.is_empty() {
                    false
                } else {
                    let p = PathBuf::from(expand_home(arg));
                    if !p.exists() {
                        return format!("error: {}: no such file or folder\n", p.display());
                    }
                    let known = self.data.contains(&p);
                    if !known {
                        self.data.push(p);
                    }
                    !known
                };
                let what = if arg.is_empty() { "reloaded".to_string() } else { format!("loaded {arg}") };
                match self.load() {
                    Ok(stats) => {
                        let mut s = format!("{what}: {} file(s), {} event(s), {} field(s)", self.files, self.sourcetypes.values().sum::<u64>(), self.fields.len());
                        match (&self.cache, &self.cache_note) {
                            (Some(c), _) => s.push_str(&format!(", {} in memory\n", mib(c.memory))),
                            (None, Some(note)) => s.push_str(&format!("\nnote: {note}\n")),
                            (None, None) => s.push('\n'),
                        }
                        if !stats.skipped.is_empty() {
                            s.push_str(&format!("{}\n", stats.summary_line()));
                        }
                        s
                    }
                    Err(e) => {
                        if added {
                            self.data.pop();
                        }
                        match e {
                            LoadError::Cancelled if added => format!("load cancelled: {arg} not loaded\n"),
                            LoadError::Cancelled => "load cancelled: the data loaded before is kept\n".into(),
                            LoadError::Failed(e) => format!("error: {e}\n"),
                        }
                    }
                }
            }
            ".sources" => {
                if self.data.is_empty() {
                    return "no data loaded: .load PATH\n".into();
                }
                let mut s = String::new();
                for d in &self.data {
                    s.push_str(&format!("{}\n", d.display()));
                }
                s.push_str(&format!("{} file(s), {} event(s)\n", self.files, self.sourcetypes.values().sum::<u64>()));
                for (st, n) in &self.sourcetypes {
                    s.push_str(&format!("  {st}: {n} event(s)\n"));
                }
                match (&self.cache, &self.cache_note) {
                    (Some(c), _) => s.push_str(&format!("in memory: {} batch(es), {} (limit {}); .load re-reads the files\n", c.batches.len(), mib(c.memory), mib(self.cache_cap))),
                    (None, Some(note)) => s.push_str(&format!("not in memory: {note}\n")),
                    (None, None) => s.push_str("not in memory: each query reads the files\n"),
                }
                s
            }
            ".fields" => self.fields_text(arg),
            ".macros" => {
                let mut defs: Vec<_> = self.planner.macros.iter().collect();
                defs.sort_by(|a, b| (&a.name, a.args.len()).cmp(&(&b.name, b.args.len())));
                let mut s = String::new();
                for d in defs {
                    let head = if d.args.is_empty() { d.name.clone() } else { format!("{}({})", d.name, d.args.join(", ")) };
                    s.push_str(&format!("`{head}` = {}\n", d.definition.trim()));
                }
                s
            }
            ".format" => match arg.parse::<Format>() {
                Ok(f) => {
                    self.format = f;
                    format!("format: {}\n", arg.to_ascii_lowercase())
                }
                Err(_) if arg.is_empty() => format!("format: {:?}\n", self.format).to_lowercase(),
                Err(e) => format!("error: {e}\n"),
            },
            ".timer" => match arg {
                "on" => {
                    self.timer = true;
                    "timer on\n".into()
                }
                "off" => {
                    self.timer = false;
                    "timer off\n".into()
                }
                _ => "usage: .timer on|off\n".into(),
            },
            ".run" => {
                if arg.is_empty() {
                    return "usage: .run FILE\n".into();
                }
                match crate::check::read_query_file(&PathBuf::from(expand_home(arg))) {
                    Ok(text) => self.query(text.trim()),
                    Err(e) => format!("error: {e}\n"),
                }
            }
            ".explain" => {
                if arg.is_empty() {
                    return "usage: .explain QUERY|FILE\n".into();
                }
                // a query file, when the argument names one
                let path = PathBuf::from(expand_home(arg));
                let (name, text) = match path.is_file().then(|| crate::check::read_query_file(&path)) {
                    Some(Ok(t)) => (path.display().to_string(), t),
                    Some(Err(e)) => return format!("error: {e}\n"),
                    None => ("<query>".to_string(), arg.to_string()),
                };
                match crate::check::plan(&self.planner, &text) {
                    Ok(p) => format!("{}{}{}", crate::lint_report(&p, &name, &text), self.data_lints(&p, &text), explain::render(&p)),
                    Err(e) => render_error(e.error.with_source(name, e.text)),
                }
            }
            ".save" => {
                if arg.is_empty() {
                    return "usage: .save FILE\n".into();
                }
                let path = PathBuf::from(expand_home(arg));
                let fmt = Format::from_path(&path);
                let res = std::fs::File::create(&path).and_then(|mut f| output::write_results(&self.last, fmt, &mut f, &self.out_opts));
                match res {
                    Ok(()) => format!("saved {} row(s) to {}\n", rows(&self.last), path.display()),
                    Err(e) => format!("error: {}: {e}\n", path.display()),
                }
            }
            other => {
                let names = DOT_COMMANDS.iter().map(|(n, _)| *n);
                match spelunk_syntax::diagnostics::did_you_mean(other, names) {
                    Some(s) => format!("unknown command {other}; did you mean {s}? (.help)\n"),
                    None => format!("unknown command {other} (.help)\n"),
                }
            }
        }
    }

    /// Lints that need the loaded data's field names (`stats BY` / `rename` of a field no
    /// event has); nothing before data is loaded.
    fn data_lints(&self, planned: &spelunk_plan::Planned, text: &str) -> String {
        if self.fields.is_empty() {
            return String::new();
        }
        let known: BTreeSet<String> = self.fields.iter().filter(|(_, i)| i.count > 0).map(|(n, _)| n.clone()).collect();
        crate::data_lint_report(planned, "<query>", text, &known)
    }

    fn query(&mut self, text: &str) -> String {
        let started = Instant::now();
        let planned = match crate::check::plan(&self.planner, text) {
            Ok(p) => p,
            Err(e) => return render_error(e.error.with_source("<query>", e.text)),
        };
        let mut s = crate::lint_report(&planned, "<query>", text);
        s += &self.data_lints(&planned, text);
        let monitor = self.begin_task();
        let cached = self.cache.is_some();
        let cfg = runner::RunConfig { data: self.data.clone(), sourcetype: self.sourcetype.clone(), progress: self.progress, monitor: Some(monitor), cached: self.cache.clone(), lookups: self.lookups.clone(), ..Default::default() };
        // a bug in the engine must end the query, never the session: a panic becomes an error
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner::execute(&self.planner, &planned, &cfg)));
        self.end_task();
        let result = match result {
            Ok(r) => r,
            Err(p) => {
                let what = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
                return s + &format!("internal error (please report it): {what}\n");
            }
        };
        let outcome = match result {
            Ok(o) => o,
            Err(runner::Failure::NoData) => return s + "no data loaded: .load PATH (a file or folder of logs)\n",
            Err(runner::Failure::Cancelled) => return s + "query cancelled\n",
            Err(runner::Failure::Exec(e)) => {
                return s + &match e.span {
                    Some(span) => render_error(planned.expanded.locate(spelunk_syntax::SplError::new(spelunk_syntax::ErrorCode::Runtime, span, e.message.clone())).with_source("<query>", text)),
                    None => format!("error: {}\n", e.message),
                }
            }
            Err(e) => return s + &format!("error: {e}\n"),
        };
        let mut buf = Vec::new();
        let mut opts = self.out_opts.clone();
        if opts.max_width.is_none() && self.format == Format::Table {
            opts.max_width = terminal_width();
        }
        if let Err(e) = output::write_results(&outcome.batches, self.format, &mut buf, &opts) {
            s.push_str(&format!("error: writing results: {e}\n"));
        }
        s.push_str(&String::from_utf8_lossy(&buf));
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        let n = rows(&outcome.batches);
        if self.timer {
            let from = if cached { "in memory" } else { "read" };
            let events = outcome.stats.as_ref().map(|st| format!(", {} event(s) {from}", st.events_read)).unwrap_or_default();
            s.push_str(&format!("{n} row(s) in {:.3} s{events}\n", started.elapsed().as_secs_f64()));
        } else if n == 0 {
            s.push_str("no results\n");
        }
        self.last = outcome.batches;
        s
    }

    /// Read every loaded path once: catalogue its fields (search-time fields included) and keep
    /// the events in memory when they fit. The session changes only when the scan completes.
    fn load(&mut self) -> Result<spelunk_io::ScanStats, LoadError> {
        if self.data.is_empty() {
            self.fields.clear();
            self.sourcetypes.clear();
            self.files = 0;
            self.cache = None;
            self.cache_note = None;
            return Ok(spelunk_io::ScanStats::default());
        }
        let monitor = self.begin_task();
        let result = self.read_all(&monitor);
        self.end_task();
        let loaded = match result {
            Ok(l) => l,
            Err(_) if monitor.is_cancelled() => return Err(LoadError::Cancelled),
            Err(e) => return Err(LoadError::Failed(e)),
        };
        self.fields = loaded.fields;
        self.sourcetypes = loaded.sourcetypes;
        self.files = loaded.files;
        self.cache = loaded.cache.map(Arc::new);
        self.cache_note = loaded.note;
        Ok(loaded.stats)
    }

    fn read_all(&self, monitor: &Arc<ScanMonitor>) -> Result<Loaded, String> {
        let planned = self.planner.plan("*").map_err(|e| e.error.message)?;
        let exec_opts = spelunk_exec::ExecOptions::default();
        let n = planned.plan.nodes.len();
        let mut ex = spelunk_exec::Execution::new_prefix(&self.planner, &planned.plan, n, &exec_opts).map_err(|e| e.to_string())?;
        let mut fields = BTreeMap::new();
        let mut sourcetypes = BTreeMap::new();
        let cfg = runner::LoadConfig {
            data: &self.data,
            sourcetype: self.sourcetype.clone(),
            strict: false,
            cap: self.cache_cap,
            progress: self.progress,
            monitor: monitor.clone(),
            whole: true,
            range: (None, None),
            threads: 1,
            // any query may come next: every field, every record
            projection: spelunk_io::Projection::All,
            prefilter: Vec::new(),
        };
        let loaded = runner::load_events(&cfg, |eb| {
            *sourcetypes.entry(eb.sourcetype.clone()).or_insert(0u64) += eb.batch.num_rows() as u64;
            ex.push_events(&eb.sourcetype, eb.batch.clone()).map_err(|e| e.to_string())?;
            for b in ex.take_output() {
                summarise(&b, &mut fields);
            }
            Ok(())
        })?;
        Ok(Loaded { fields, sourcetypes, files: loaded.files, cache: loaded.cache, note: loaded.note, stats: loaded.stats })
    }

    fn fields_text(&self, pattern: &str) -> String {
        if self.fields.is_empty() {
            return "no fields: .load PATH first\n".into();
        }
        let matches = |name: &str| pattern.is_empty() || wildcard_match(pattern, name);
        let rows: Vec<_> = self.fields.iter().filter(|(n, _)| matches(n)).collect();
        if rows.is_empty() {
            return format!("no field matches `{pattern}`\n");
        }
        let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(5).max(5);
        let mut s = format!("{:<width$}  {:>8}  {:>8}  examples\n", "field", "count", "distinct");
        for (name, f) in rows {
            let distinct = if f.capped { format!("{}+", DISTINCT_CAP) } else { f.distinct.len().to_string() };
            // `_time` as the results show it (ISO-8601 in the chosen time zone), not epoch seconds
            let shown = |e: &String| match (name.as_str(), e.parse::<f64>()) {
                ("_time", Ok(t)) => output::format_time(t, self.out_opts.tz),
                _ => e.clone(),
            };
            let ex: Vec<String> = f.examples.iter().map(|e| shorten(&shown(e), 40)).collect();
            s.push_str(&format!("{name:<width$}  {:>8}  {distinct:>8}  {}\n", f.count, ex.join(" | ")));
        }
        s
    }
}

fn rows(b: &[RecordBatch]) -> usize {
    b.iter().map(|b| b.num_rows()).sum()
}

fn shorten(s: &str, n: usize) -> String {
    let one_line = s.replace('\n', " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}...", one_line.chars().take(n).collect::<String>())
    }
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

/// `*` matches any run of characters; matching is case-insensitive.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let n = name.to_ascii_lowercase();
    if !p.contains('*') {
        return n.contains(&p);
    }
    let parts: Vec<&str> = p.split('*').collect();
    let mut rest = n.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(k) => rest = &rest[k + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

fn summarise(b: &RecordBatch, fields: &mut BTreeMap<String, FieldInfo>) {
    let view = BatchView::new(b);
    for f in b.schema().fields() {
        let name = f.name();
        let info = fields.entry(name.clone()).or_default();
        for r in 0..b.num_rows() {
            let v = view.get(name, r);
            if v.is_null() {
                continue;
            }
            info.count += 1;
            for x in v.values() {
                let Some(t) = x.to_text() else { continue };
                if info.distinct.contains(&t) {
                    continue;
                }
                if info.examples.len() < EXAMPLES {
                    info.examples.push(t.clone());
                }
                if info.distinct.len() < DISTINCT_CAP {
                    info.distinct.insert(t);
                } else {
                    info.capped = true;
                }
            }
        }
    }
}

fn render_error(e: impl miette::Diagnostic + Send + Sync + 'static) -> String {
    format!("{:?}\n", miette::Report::new(e))
}

fn help_text(name: &str) -> String {
    let mut s = String::new();
    if let Some(c) = registry::command(name) {
        s = crate::command_help(c);
    }
    for f in registry::FUNCTIONS.iter().filter(|f| f.name.eq_ignore_ascii_case(name)) {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(&crate::function_help(f));
    }
    if s.is_empty() {
        s = format!("no command or function `{name}`\n");
    }
    s
}

/// The terminal's width in columns, when stdout is a terminal.
fn terminal_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()) {
        return Some(c);
    }
    // SAFETY: TIOCGWINSZ writes a winsize into the struct we pass; nothing else is touched.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return Some(ws.ws_col as usize);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// lexing helpers shared by completion, validation and highlighting

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | ':' | '*' | '@' | '-' | '$')
}

/// Scan `text`, returning (open bracket depth, inside a double-quoted string, inside a macro
/// call, inside a triple-backtick comment, byte offset after the last top-level `|` or `[`,
/// whether that boundary was a `|`/`[` at all, offset of the opening backtick if inside one).
struct Scan {
    depth: i32,
    in_string: bool,
    in_comment: bool,
    macro_start: Option<usize>,
    segment_start: usize,
    segment_is_command: bool,
}

fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let mut st = Scan { depth: 0, in_string: false, in_comment: false, macro_start: None, segment_start: 0, segment_is_command: false };
    // brackets are tracked per nesting so `[` segments end at their `]`
    let mut seg_stack: Vec<(usize, bool)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if st.in_comment {
            if text[i..].starts_with("```") {
                st.in_comment = false;
                i += 3;
                continue;
            }
            i += 1;
            continue;
        }
        if st.in_string {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                st.in_string = false;
            }
            i += 1;
            continue;
        }
        if st.macro_start.is_some() {
            if c == b'`' {
                st.macro_start = None;
            }
            i += 1;
            continue;
        }
        // a backslash escapes the next character outside strings too (`a=*\"x\"*`)
        if c == b'\\' && matches!(b.get(i + 1), Some(b'"' | b'\\')) {
            i += 2;
            continue;
        }
        match c {
            b'`' if text[i..].starts_with("```") => {
                st.in_comment = true;
                i += 3;
                continue;
            }
            b'`' => st.macro_start = Some(i),
            b'"' => st.in_string = true,
            b'(' => st.depth += 1,
            b')' => st.depth -= 1,
            b'[' => {
                st.depth += 1;
                seg_stack.push((st.segment_start, st.segment_is_command));
                st.segment_start = i + 1;
                st.segment_is_command = true;
            }
            b']' => {
                st.depth -= 1;
                if let Some((s, c)) = seg_stack.pop() {
                    st.segment_start = s;
                    st.segment_is_command = c;
                }
            }
            b'|' => {
                st.segment_start = i + 1;
                st.segment_is_command = true;
            }
            _ => {}
        }
        i += 1;
    }
    st
}

/// Does the input continue on the next line? A trailing `|`, an open bracket, quote, macro
/// call or triple-backtick comment. Dot-commands are always one line.
pub fn is_incomplete(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.starts_with('.') {
        return false;
    }
    let st = scan(t);
    st.in_string || st.in_comment || st.macro_start.is_some() || st.depth > 0 || t.ends_with('|')
}

// ---------------------------------------------------------------------------------------------
// completion

fn filter(cands: impl IntoIterator<Item = String>, prefix: &str) -> Vec<String> {
    let p = prefix.to_ascii_lowercase();
    let mut v: Vec<String> = cands.into_iter().filter(|c| c.to_ascii_lowercase().starts_with(&p)).collect();
    v.sort();
    v.dedup();
    v
}

/// Candidates for the word ending at `pos`: (start of the word, replacements).
pub fn complete(line: &str, pos: usize, v: &Vocab) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let before = &line[..pos];
    let lead = before.len() - before.trim_start().len();
    let t = before.trim_start();
    if t.starts_with('.') {
        let Some((cmd, rest)) = t.split_once(char::is_whitespace) else {
            return (lead, filter(DOT_COMMANDS.iter().map(|(n, _)| n.to_string()), t));
        };
        let arg_start = pos - rest.trim_start().len();
        let arg = &before[arg_start..];
        return match cmd {
            ".format" => (arg_start, filter(["table", "csv", "json", "ndjson"].map(String::from), arg)),
            ".timer" => (arg_start, filter(["on", "off"].map(String::from), arg)),
            ".fields" => (arg_start, filter(v.fields.iter().cloned(), arg)),
            ".help" => (arg_start, filter(registry::command_names().chain(registry::FUNCTIONS.iter().map(|f| f.name)).map(String::from), arg)),
            ".explain" => {
                let (s, c) = complete(&line[arg_start..], pos - arg_start, v);
                (s + arg_start, c)
            }
            _ => (pos, Vec::new()),
        };
    }
    let st = scan(before);
    if let Some(m) = st.macro_start {
        let word = &before[m + 1..];
        if word.contains('(') {
            return (pos, Vec::new());
        }
        return (m + 1, filter(v.macros.iter().cloned(), word));
    }
    if st.in_string || st.in_comment {
        return (pos, Vec::new());
    }
    let start = before.char_indices().rev().take_while(|(_, c)| is_word_char(*c)).last().map(|(i, _)| i).unwrap_or(pos);
    let word = &before[start..];
    let seg = &before[st.segment_start.min(start)..start];
    let seg_words: Vec<&str> = seg.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty()).collect();
    if seg.trim().is_empty() && st.segment_is_command {
        return (start, filter(registry::command_names().map(String::from), word));
    }
    let command = if st.segment_is_command { seg_words.first().map(|w| w.to_ascii_lowercase()).unwrap_or_default() } else { "search".to_string() };
    let spec = registry::command(&command);
    let prev = before[..start].trim_end().chars().last();
    let fields = v.fields.iter().cloned();
    let mut cands: Vec<String> = Vec::new();
    let canonical = spec.map(|s| s.name).unwrap_or("");
    match canonical {
        "eval" | "where" | "fieldformat" => {
            cands.extend(registry::function_names(FunctionKind::Eval).map(|f| format!("{f}(")));
            cands.extend(fields);
        }
        "stats" | "eventstats" | "streamstats" | "chart" | "timechart" | "tstats" => {
            if prev != Some('(') {
                cands.extend(registry::function_names(FunctionKind::Aggregate).map(String::from));
                cands.extend(["by", "as"].map(String::from));
            }
            cands.extend(fields);
        }
        _ => cands.extend(fields),
    }
    if let Some(spec) = spec {
        if prev != Some('(') {
            cands.extend(spec.options.iter().map(|o| format!("{o}=")));
        }
    }
    (start, filter(cands, word))
}

// ---------------------------------------------------------------------------------------------
// highlighting

const C_COMMAND: &str = "\x1b[1;34m";
const C_UNKNOWN: &str = "\x1b[1;31m";
const C_FUNCTION: &str = "\x1b[36m";
const C_KEYWORD: &str = "\x1b[33m";
const C_STRING: &str = "\x1b[32m";
const C_MACRO: &str = "\x1b[35m";
const C_FIELD: &str = "\x1b[94m";
const C_COMMENT: &str = "\x1b[90m";
const C_PIPE: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The line with ANSI colours: commands after `|`, functions, keywords, strings, macros,
/// known field names, comments. Only escape codes are added (the display width is unchanged).
pub fn highlight(line: &str, v: &Vocab) -> String {
    if line.trim_start().starts_with('.') {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() * 2);
    let paint = |out: &mut String, colour: &str, text: &str| {
        out.push_str(colour);
        out.push_str(text);
        out.push_str(RESET);
    };
    let b = line.as_bytes();
    let mut i = 0;
    // the first word is a command after a `|`, after `[`, or when it is `search`
    let mut expect_command = false;
    let mut first = true;
    while i < line.len() {
        let rest = &line[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if let Some(after) = rest.strip_prefix("```") {
            let end = after.find("```").map(|k| k + 6).unwrap_or(rest.len());
            paint(&mut out, C_COMMENT, &rest[..end]);
            i += end;
            continue;
        }
        if c == '\\' && (rest[1..].starts_with('"') || rest[1..].starts_with('\\')) {
            // an escaped quote or backslash outside a string is plain text
            out.push_str(&rest[..2]);
            i += 2;
            first = false;
            continue;
        }
        match c {
            '"' => {
                let mut j = 1;
                while j < rest.len() {
                    match b[i + j] {
                        b'\\' => j += 2,
                        b'"' => {
                            j += 1;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let j = j.min(rest.len());
                paint(&mut out, C_STRING, &rest[..j]);
                i += j;
                first = false;
            }
            '`' => {
                let end = rest[1..].find('`').map(|k| k + 2).unwrap_or(rest.len());
                paint(&mut out, C_MACRO, &rest[..end]);
                i += end;
                first = false;
            }
            '|' => {
                paint(&mut out, C_PIPE, "|");
                expect_command = true;
                i += 1;
            }
            '[' => {
                out.push('[');
                expect_command = true;
                i += 1;
            }
            c if is_word_char(c) => {
                let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                let word = &rest[..len];
                let next = rest[len..].trim_start().chars().next();
                let is_cmd_pos = expect_command || (first && word.eq_ignore_ascii_case("search"));
                if is_cmd_pos {
                    let known = registry::command(word).is_some();
                    paint(&mut out, if known { C_COMMAND } else { C_UNKNOWN }, word);
                } else if next == Some('(') && (registry::function(word, FunctionKind::Eval).is_some() || registry::aggregate(word).is_some()) {
                    paint(&mut out, C_FUNCTION, word);
                } else if matches!(word, "AND" | "OR" | "NOT" | "XOR" | "IN" | "LIKE") || word.eq_ignore_ascii_case("by") || word.eq_ignore_ascii_case("as") {
                    paint(&mut out, C_KEYWORD, word);
                } else if v.fields.binary_search_by(|f| f.as_str().cmp(word)).is_ok() {
                    paint(&mut out, C_FIELD, word);
                } else {
                    out.push_str(word);
                }
                expect_command = false;
                first = false;
                i += len;
            }
            c => {
                out.push(c);
                if !c.is_whitespace() {
                    first = false;
                    expect_command = false;
                }
                i += c.len_utf8();
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// the rustyline loop

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;
use std::borrow::Cow;

pub struct ReplHelper {
    pub vocab: Vocab,
    hinter: HistoryHinter,
    files: rustyline::completion::FilenameCompleter,
    colour: bool,
}

impl ReplHelper {
    pub fn new(vocab: Vocab, colour: bool) -> Self {
        ReplHelper { vocab, hinter: HistoryHinter::new(), files: rustyline::completion::FilenameCompleter::new(), colour }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        // paths after `.load` and `.save`
        let t = line.trim_start();
        if t.starts_with(".load ") || t.starts_with(".save ") {
            return self.files.complete(line, pos, ctx);
        }
        let (start, c) = complete(line, pos, &self.vocab);
        Ok((start, c.into_iter().map(|s| Pair { display: s.clone(), replacement: s }).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour {
            Cow::Owned(highlight(line, &self.vocab))
        } else {
            Cow::Borrowed(line)
        }
    }
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("{C_COMMENT}{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }
    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) { ValidationResult::Incomplete } else { ValidationResult::Valid(None) })
    }
}

impl rustyline::Helper for ReplHelper {}

/// `$XDG_DATA_HOME/spelunk/history`, else `~/.local/share/spelunk/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local/share"),
    };
    Some(base.join("spelunk").join("history"))
}

/// Ready a session for the terminal: progress bars when stderr is a terminal, and Ctrl-C
/// (SIGINT) cancelling the query or load that runs instead of ending spelunk. At the prompt the
/// terminal is in raw mode and rustyline reads Ctrl-C as a key (it clears the line). Call
/// before the first `.load`; later calls do nothing.
pub fn install_interrupt(session: &mut Session) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    session.progress = progress::wanted(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let running = session.running.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        Session::interrupt(&running);
    }) {
        errln!("spelunk: Ctrl-C will end spelunk rather than cancel a query: {e}");
    }
}

/// The interactive loop. Ctrl-C cancels a running query and clears the line at the prompt,
/// Ctrl-D (or `.quit`) leaves.
pub fn run(mut session: Session) -> ExitCode {
    install_interrupt(&mut session);
    use rustyline::error::ReadlineError;
    use rustyline::{CompletionType, Config, EditMode, Editor};
    let config = Config::builder().completion_type(CompletionType::List).edit_mode(EditMode::Emacs).auto_add_history(false).history_ignore_space(true).build();
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            errln!("spelunk: cannot start the prompt: {e}");
            return ExitCode::from(2);
        }
    };
    let colour = std::env::var_os("NO_COLOR").is_none();
    rl.set_helper(Some(ReplHelper::new(session.vocab(), colour)));
    let history = history_path();
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.load_history(h);
    }
    outln!("spelunk {}: SPL over {} . `.help` for help, Ctrl-D to leave.", env!("CARGO_PKG_VERSION"), if session.data.is_empty() { "no data yet (.load PATH)".to_string() } else { format!("{} event(s)", session.sourcetypes.values().sum::<u64>()) });
    loop {
        match rl.readline("spl> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                    if let Some(h) = &history {
                        let _ = rl.save_history(h);
                    }
                }
                let out = session.handle_line(&line);
                out!("{out}");
                if session.done {
                    break;
                }
                if let Some(h) = rl.helper_mut() {
                    h.vocab = session.vocab();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                errln!("spelunk: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(p: &str) -> String {
        format!("{}/../../testdata/{p}", env!("CARGO_MANIFEST_DIR"))
    }

    fn session() -> Session {
        let mut s = Session::new(Planner::builtin().unwrap());
        let out = s.handle_line(&format!(".load {}", testdata("cloudtrail")));
        assert!(out.starts_with("loaded "), "{out}");
        s
    }

    fn cands(s: &Session, line: &str) -> Vec<String> {
        s.complete(line, line.len()).1
    }

    #[test]
    fn escaped_quotes_outside_strings_do_not_open_one() {
        assert!(!is_incomplete(r#"a=*\"privileged\":true* | `cloudtrail` | stats count"#));
        assert!(!is_incomplete(r#"a=x\\ b="y""#));
        assert!(is_incomplete(r#"a=*\"x\"* b="y"#));
    }

    #[test]
    fn completes_commands_after_a_pipe() {
        let s = session();
        let c = cands(&s, "`cloudtrail` | sta");
        assert!(c.contains(&"stats".to_string()), "{c:?}");
        assert!(!c.iter().any(|x| x == "eval"));
        let (start, c) = s.complete("* | ev", 6);
        assert_eq!(start, 4);
        assert!(c.contains(&"eval".to_string()) && c.contains(&"eventstats".to_string()), "{c:?}");
        // aliases are commands too; a subsearch starts a command
        assert!(cands(&s, "* | buck").contains(&"bucket".to_string()));
        assert!(cands(&s, "* | append [ sea").contains(&"search".to_string()));
    }

    #[test]
    fn completes_functions_in_eval_where_and_stats() {
        let s = session();
        assert!(cands(&s, "* | eval x=coal").contains(&"coalesce(".to_string()));
        assert!(cands(&s, "* | where isn").contains(&"isnull(".to_string()));
        let c = cands(&s, "* | stats d");
        assert!(c.contains(&"dc".to_string()), "{c:?}");
        assert!(!c.contains(&"coalesce(".to_string()), "eval functions are not aggregations");
    }

    #[test]
    fn completes_field_names_of_the_loaded_data() {
        let s = session();
        let c = cands(&s, "userIdentity.ty");
        assert!(c.contains(&"userIdentity.type".to_string()), "{c:?}");
        // search-time fields from props count too
        assert!(cands(&s, "* | stats count by vendor_").contains(&"vendor_account".to_string()));
        // inside an aggregation's parentheses: fields, not functions
        let c = cands(&s, "* | stats dc(eventN");
        assert_eq!(c, vec!["eventName".to_string()]);
        // `{}` names
        assert!(s.fields.keys().any(|f| f.contains("{}")), "multivalue fields are catalogued");
    }

    #[test]
    fn completes_macros_inside_backticks() {
        let s = session();
        let (start, c) = s.complete("`cloud", 6);
        assert_eq!(start, 1);
        assert_eq!(c, vec!["cloudtrail".to_string()]);
        assert!(cands(&s, "* | `security_").contains(&"security_content_ctime".to_string()));
        assert!(cands(&s, "* | `security_content_ctime(fir").is_empty(), "no macro names inside the arguments");
    }

    #[test]
    fn completes_option_keys_of_the_current_command() {
        let s = session();
        assert!(cands(&s, "* | bin sp").contains(&"span=".to_string()));
        assert!(cands(&s, "* | head li").contains(&"limit=".to_string()));
        assert!(cands(&s, "* | streamstats win").contains(&"window=".to_string()));
    }

    #[test]
    fn completes_dot_commands() {
        let s = session();
        assert_eq!(cands(&s, ".fo"), vec![".format".to_string()]);
        assert_eq!(cands(&s, ".format n"), vec!["ndjson".to_string()]);
        assert_eq!(cands(&s, ".timer o"), vec!["off".to_string(), "on".to_string()]);
    }

    #[test]
    fn multi_line_input() {
        assert!(is_incomplete("`cloudtrail` |"));
        assert!(is_incomplete("* | stats count by (src"));
        assert!(is_incomplete("* | eval x=\"abc"));
        assert!(is_incomplete("* | search [ search x"));
        assert!(is_incomplete("```a comment"));
        assert!(is_incomplete("`cloudtrail"));
        assert!(!is_incomplete("* | stats count by src"));
        assert!(!is_incomplete("* | eval x=\"a|\""));
        assert!(!is_incomplete("* | eval x=\"a(\\\"\""));
        assert!(!is_incomplete(".load foo|"));
        assert!(!is_incomplete(""));
        // continuation lines join with a newline, which SPL reads as whitespace
        let mut s = session();
        let out = s.handle_line("`cloudtrail` errorCode=AccessDenied |\n stats count");
        assert!(out.contains("count") && out.contains("90"), "{out}");
    }

    #[test]
    fn runs_queries_and_keeps_the_last_result() {
        let mut s = session();
        assert_eq!(s.handle_line(".format csv"), "format: csv\n");
        let out = s.handle_line("`cloudtrail` errorCode=AccessDenied | stats count by user_name | head 2");
        assert!(out.starts_with("user_name,count\n"), "{out}");
        assert_eq!(out.lines().count(), 3, "{out}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("last.json");
        let saved = s.handle_line(&format!(".save {}", f.display()));
        assert!(saved.starts_with("saved 2 row(s)"), "{saved}");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        // the shipped detection, in the REPL
        s.handle_line(".format json");
        let q = std::fs::read_to_string(format!("{}/../../queries/aws_iam_accessdenied_discovery_events.spl", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let out = s.handle_line(&q);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 6);
        assert!(s.handle_line(".timer on").contains("on"));
        assert!(s.handle_line("* | head 1 | table eventName").contains("1 row(s) in"));
    }

    #[test]
    fn dot_commands() {
        let mut s = session();
        let f = s.handle_line(".fields errorC*");
        assert!(f.starts_with("field"), "{f}");
        let line = f.lines().find(|l| l.starts_with("errorCode ")).expect("errorCode listed");
        assert!(line.contains("AccessDenied"), "{line}");
        assert!(!f.contains("eventName"));
        let t = s.handle_line(".fields _time");
        assert!(t.contains("T") && t.contains("+00:00"), "_time examples in ISO-8601: {t}");
        let src = s.handle_line(".sources");
        assert!(src.contains("aws:cloudtrail") && src.contains("file(s)"), "{src}");
        assert!(s.handle_line(".macros").contains("`cloudtrail` = sourcetype=aws:cloudtrail"));
        let e = s.handle_line(".explain `cloudtrail` | stats count by user");
        assert!(e.contains("== plan") && e.contains("one row per distinct (user)"), "{e}");
        assert!(s.handle_line(".help").contains(".fields [PATTERN]"));
        // a shipped detection, run and explained from its file
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../queries/aws_iam_accessdenied_discovery_events.spl");
        let r = s.handle_line(&format!(".run {root}"));
        assert!(r.contains("carol") && r.contains("mallory"), "{r}");
        let e = s.handle_line(&format!(".explain {root}"));
        assert!(e.contains("== macros") && e.contains("`cloudtrail`"), "{e}");
        assert!(s.handle_line(".run /no/such.spl").starts_with("error"));
        assert!(s.handle_line(".help stats").contains("Example:"));
        assert!(s.handle_line(".fromat csv").contains("did you mean .format"));
        assert!(s.handle_line(".format xml").starts_with("error"));
        let err = s.handle_line("* | stast count");
        assert!(err.contains("SPL0201"), "{err}");
        assert!(!s.done);
        s.handle_line(".quit");
        assert!(s.done);
    }

    #[test]
    fn no_data_is_explained() {
        let mut s = Session::new(Planner::builtin().unwrap());
        assert!(s.handle_line("* | stats count").contains("no data loaded"));
        assert!(s.handle_line("| makeresults | eval a=1").contains("a"));
        assert!(s.handle_line(".load /no/such/path").starts_with("error"));
    }

    #[test]
    fn stats_by_a_field_the_data_never_has_is_flagged() {
        let mut s = Session::new(Planner::builtin().unwrap());
        let loaded = s.handle_line(&format!(".load {}/../../testdata/cloudtrail", env!("CARGO_MANIFEST_DIR")));
        assert!(!loaded.starts_with("error"), "{loaded}");
        let out = s.handle_line("* | stats count by no_such_field");
        assert!(out.contains("SPL0905") && out.contains("no_such_field"), "{out}");
        let out = s.handle_line("* | stats count by eventName");
        assert!(!out.contains("SPL0905"), "{out}");
        assert!(s.handle_line(".explain * | stats count by no_such_field").contains("SPL0905"));
    }

    #[test]
    fn highlighting_only_adds_colours() {
        let v = Vocab { fields: vec!["src".into(), "user".into()], macros: vec![] };
        let line = "`cloudtrail` user=\"x\" OR src=y | stats count(src) by user | eval l=len(user) | bogus";
        let h = highlight(line, &v);
        let plain = regex_strip(&h);
        assert_eq!(plain, line);
        assert!(h.contains(&format!("{C_COMMAND}stats{RESET}")));
        assert!(h.contains(&format!("{C_FUNCTION}len{RESET}")));
        assert!(h.contains(&format!("{C_MACRO}`cloudtrail`{RESET}")));
        assert!(h.contains(&format!("{C_STRING}\"x\"{RESET}")));
        assert!(h.contains(&format!("{C_KEYWORD}OR{RESET}")));
        assert!(h.contains(&format!("{C_FIELD}src{RESET}")));
        assert!(h.contains(&format!("{C_UNKNOWN}bogus{RESET}")));
    }

    fn regex_strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for d in chars.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The results as NDJSON text.
    fn ndjson(batches: &[RecordBatch]) -> String {
        let mut buf = Vec::new();
        output::write_results(batches, Format::Ndjson, &mut buf, &OutputOptions::default()).expect("render");
        String::from_utf8(buf).expect("utf8")
    }

    fn query_file(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../../queries/{name}", env!("CARGO_MANIFEST_DIR"))).expect("query file")
    }

    #[test]
    fn events_in_memory_give_the_results_of_a_fresh_scan() {
        let mut s = Session::new(Planner::builtin().unwrap());
        for d in ["cloudtrail", "asl"] {
            let out = s.handle_line(&format!(".load {}", testdata(d)));
            assert!(out.starts_with("loaded ") && out.contains("in memory"), "{out}");
        }
        let cache = s.cache.clone().expect("testdata fits in memory");
        assert_eq!(cache.batches.iter().map(|b| b.batch.num_rows() as u64).sum::<u64>(), s.sourcetypes.values().sum::<u64>());
        let queries = [
            query_file("aws_iam_accessdenied_discovery_events.spl"),
            query_file("asl_aws_iam_accessdenied_discovery_events.spl"),
            "* | stats count min(_time) as first by sourcetype".to_string(),
            "`cloudtrail` errorCode=AccessDenied | stats count by user_name vendor_account vendor_region | sort - count".to_string(),
            "`cloudtrail` earliest=1709590000 latest=1709600000 | stats count dc(eventName) as names by src".to_string(),
            "`cloudtrail` | head 7 | table _time eventName user".to_string(),
            "`amazon_security_lake` api.response.error=AccessDenied | table _time api.operation actor.user.uid".to_string(),
            "AccessDenied iam | stats count by sourcetype eventSource".to_string(),
            "`cloudtrail` NOT errorCode=AccessDenied | stats count by eventName | sort - count eventName | head 5".to_string(),
            "`cloudtrail` eventName=List* | dedup user_name | table user_name eventName _time".to_string(),
            "`cloudtrail` | eval k=lower(eventName) | where like(k, \"get%\") | stats count by k".to_string(),
            "`cloudtrail` userIdentity.type=IAMUser \"s3.amazonaws.com\" | stats values(src) as srcs dc(eventName) as names by user_name".to_string(),
        ];
        for q in &queries {
            let planned = s.planner.plan(q).expect("plans");
            let mut fresh = Vec::new();
            for threads in [1, 2] {
                let cfg = runner::RunConfig { data: s.data.clone(), threads, ..Default::default() };
                fresh.push(ndjson(&runner::execute(&s.planner, &planned, &cfg).expect("fresh scan").batches));
            }
            assert_eq!(fresh[0], fresh[1], "{q}");
            let cfg = runner::RunConfig { data: s.data.clone(), cached: Some(cache.clone()), ..Default::default() };
            let outcome = runner::execute(&s.planner, &planned, &cfg).expect("from memory");
            assert_eq!(outcome.stats.as_ref().map(|st| st.events_read), Some(602));
            let from_memory = ndjson(&outcome.batches);
            assert!(!from_memory.is_empty(), "{q}: some rows");
            assert_eq!(from_memory, fresh[0], "{q}");
        }
        // and through the prompt
        s.handle_line(".format ndjson");
        assert_eq!(s.handle_line(&queries[0]).lines().count(), 6);
        assert!(s.handle_line(".timer on").contains("on"));
        assert!(s.handle_line("* | stats count").contains("602 event(s) in memory"));
        let src = s.handle_line(".sources");
        assert!(src.contains("in memory: ") && src.contains("602 event(s)"), "{src}");
        // loading a path again re-reads it, without counting it twice
        let again = s.handle_line(&format!(".load {}", testdata("asl")));
        assert!(again.contains("41 file(s), 602 event(s)"), "{again}");
        assert_eq!(s.data.len(), 2);
        assert!(s.handle_line(".load").starts_with("reloaded: 41 file(s)"));
    }

    #[test]
    fn data_over_the_memory_limit_is_read_per_query() {
        let mut s = Session::new(Planner::builtin().unwrap());
        s.cache_cap = 64 << 10;
        let out = s.handle_line(&format!(".load {}", testdata("cloudtrail")));
        assert!(out.contains("note: the events take more than 0.1 MiB"), "{out}");
        assert!(s.cache.is_none());
        assert!(s.handle_line(".sources").contains("not in memory: the events take more than"));
        s.handle_line(".format csv");
        let out = s.handle_line("`cloudtrail` errorCode=AccessDenied | stats count");
        assert_eq!(out, "count\n90\n");
        s.cache_cap = 0;
        assert!(s.handle_line(".load").contains("note: keeping events in memory is off"));
    }

    #[test]
    fn cancelled_runs_say_so() {
        let planner = Planner::builtin().unwrap();
        let planned = planner.plan("* | stats count").unwrap();
        let monitor = Arc::new(ScanMonitor::default());
        monitor.cancel();
        for threads in [1, 2] {
            let cfg = runner::RunConfig { data: vec![testdata("cloudtrail").into()], threads, monitor: Some(monitor.clone()), ..Default::default() };
            assert!(matches!(runner::execute(&planner, &planned, &cfg), Err(runner::Failure::Cancelled)));
        }
        let cfg = runner::RunConfig { data: vec![testdata("cloudtrail").into()], monitor: Some(monitor), cached: Some(Arc::new(CachedEvents::default())), ..Default::default() };
        // nothing to read, but the flag is still seen
        assert!(matches!(runner::execute(&planner, &planned, &cfg), Err(runner::Failure::Cancelled)));
        assert_eq!(runner::Failure::Cancelled.to_string(), "query cancelled");
    }

    /// Cancel whatever `s` runs next, as Ctrl-C does, from another thread.
    fn interrupter(running: Arc<Mutex<Option<Arc<ScanMonitor>>>>) -> std::thread::JoinHandle<bool> {
        std::thread::spawn(move || {
            let until = Instant::now() + std::time::Duration::from_secs(60);
            while Instant::now() < until {
                if Session::interrupt(&running) {
                    return true;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            false
        })
    }

    #[test]
    fn interrupting_a_load_or_a_query_cancels_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        let lines: Vec<String> = (0..200_000).map(|i| format!("{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"i\":{i},\"msg\":\"hello\"}}")).collect();
        std::fs::write(&big, lines.join("\n")).unwrap();
        let mut s = Session::new(Planner::builtin().unwrap());
        assert!(!Session::interrupt(&s.running), "nothing runs");
        let t = interrupter(s.running.clone());
        let out = s.handle_line(&format!(".load {}", big.display()));
        assert!(t.join().unwrap());
        assert!(out.starts_with("load cancelled"), "{out}");
        assert!(s.data.is_empty() && s.cache.is_none());
        s.cache_cap = 0;
        assert!(s.handle_line(&format!(".load {}", big.display())).starts_with("loaded "));
        let t = interrupter(s.running.clone());
        let out = s.handle_line("* | stats count");
        assert!(t.join().unwrap());
        assert_eq!(out, "query cancelled\n");
        s.handle_line(".format csv");
        assert_eq!(s.handle_line("* | stats count"), "count\n200000\n", "the next query runs");
    }

    #[test]
    fn history_lives_in_the_data_dir() {
        let p = history_path().unwrap();
        assert!(p.ends_with("spelunk/history"));
    }

    /// Hostile and random queries through the session core: every one ends with results or an
    /// error message, never a panic, and the session answers a plain query afterwards.
    #[test]
    fn hostile_and_random_queries_never_end_the_session() {
        let mut s = session();
        let hostile = [
            "| makeresults | eval x=tonumber(\"10\", 99)",
            "| makeresults | eval b=0 | eval x=tonumber(\"10\", b), y=tonumber(\"10\", -1), z=tonumber(\"10\", 1e300)",
            "| makeresults count=9999999999999999999",
            "| makeresults count=18446744073709551616",
            "| makeresults count=-1",
            "| makeresults count=5 | eval m=mvrange(0, 3000) | mvexpand m | stats count",
            "| makeresults | eval a=mvrange(0, 2000), b=mvrange(0, 2000) | stats count by a b",
            "| makeresults | eval a=mvrange(0, 2000), b=mvrange(0, 2000) | top a b",
            "| makeresults | eval a=mvrange(0, 2000), b=mvrange(0, 2000) | eventstats count by a b",
            "| makeresults | eval a=mvrange(0, 2000), b=mvrange(0, 2000) | streamstats count by a b",
            "| makeresults | streamstats window=99999999999 count",
            "| makeresults | eval x=substr(\"abc\", -99999999999, 99999999999), y=printf(\"%999999999d\", 1)",
            "| makeresults | eval x=mvindex(mvrange(0,3), 99999999999), y=mvrange(0, 1e300, 1e299)",
            "| makeresults | eval x=1/0, y=pow(10, 99999), z=exp(1e308), w=round(1.5, 99999999)",
            "| inputlookup ../../../../etc/passwd",
            "| inputlookup /etc/passwd",
            "| makeresults | bin _time span=0s",
            "| makeresults | bin _time span=-5m",
            "| makeresults | head -1 | tail 99999999999999999999",
            "* | rex field=_raw \"(?<a>.*)(?<b>.*)(?<c>.*)\" max_match=0 | stats count",
            "*a*b*c*d*e*f*g*h*i*j*k* | stats count",
            "| makeresults | eval x=replace(\"aaa\", \"(a*)*b\", \"\")",
            "| makeresults | eval x=strftime(1e300, \"%Y\"), y=strptime(\"x\", \"%Q%Q%Q\"), z=relative_time(0, \"-999999999999y@y\")",
            "| makeresults | eval x=printf(\"%.*s\", 5, \"a\")",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
            "| makeresults | eval x=((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
            "`nosuchmacro(1,2,3)`",
            "| makeresults | spath input=x path=a{99999999999}.b",
            "| makeresults | eval x=\"\u{1b}[2J\u{7}\r\" | table x",
            "| makeresults | dedup 99999999999999999999 _time",
            "| makeresults | sort 0 -_time | head 0",
            "| makeresults | fillnull value=x | makemv delim=\"\" x",
            "| makeresults | eval x=mvjoin(mvrange(0, 100000), \",\") | makemv delim=\",\" x | mvexpand x | stats dc(x)",
        ];
        // random token soup from SPL's vocabulary
        let words = ["|", "stats", "count", "by", "eval", "x=", "(", ")", "[", "]", "\"", "makeresults", "where", "search", "*", "NOT", "OR", "AND", "=", "!=", "mvexpand", "dedup", "sort", "-", "head", "table", "rex", "bin", "span=", "streamstats", "window=", "tonumber(", ",", "0", "-1", "99999999999999999999", "1e308", "`", "'", "\\", "eventName", "_time", "values(*)", "as", "*", "inputlookup", "join", "append", "top", "rename", "fields", "spath", "lookup", "makemv", "mvrange(", "\u{1b}", "\u{0}", "é"];
        let mut seed: u64 = 0x5eed_1234_abcd_0001;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut random = Vec::new();
        for _ in 0..300 {
            let n = 1 + (next() % 14) as usize;
            let mut q = String::new();
            for _ in 0..n {
                q.push_str(words[(next() % words.len() as u64) as usize]);
                if next() % 3 != 0 {
                    q.push(' ');
                }
            }
            random.push(q);
        }
        for q in hostile.iter().map(|q| q.to_string()).chain(random) {
            let started = Instant::now();
            let out = s.handle_line(&q);
            assert!(!out.contains("internal error"), "{q:?}: {out}");
            assert!(started.elapsed().as_secs() < 60, "{q:?} took {:?}", started.elapsed());
            assert!(!s.done, "{q:?} ended the session");
        }
        let out = s.handle_line("| makeresults count=2 | stats count");
        assert!(out.contains('2'), "{out}");
    }
}
