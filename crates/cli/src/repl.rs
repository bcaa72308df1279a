//! The interactive prompt: `spelunk repl --data PATH ...` (and `spelunk` alone).
//!
//! [`Session`] holds the state (planner, data paths, field catalogue, output settings, the
//! last result) and turns one input (a query or a dot-command) into the text to print, so it
//! is tested without a terminal. [`run`] wraps it in rustyline: history in the user's data
//! directory, multi-line input ([`is_incomplete`]), highlighting ([`highlight`]), hints from
//! history and Tab completion ([`complete`]) from the one registry of commands and functions,
//! the loaded fields and the macros.
//!
//! Data: `.load` scans the files once to build the field catalogue (`.fields`, completion);
//! each query then reads the files again through the runner (gzip is decompressed each time).

use crate::output::{self, Format, OutputOptions};
use crate::{explain, runner};
use arrow::record_batch::RecordBatch;
use spelunk_exec::columns::BatchView;
use spelunk_plan::Planner;
use spelunk_syntax::registry::{self, FunctionKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Distinct values kept per field for `.fields` (beyond it the count shows as `N+`).
const DISTINCT_CAP: usize = 1000;
/// Example values kept per field.
const EXAMPLES: usize = 3;

pub const DOT_COMMANDS: &[(&str, &str)] = &[
    (".load", ".load PATH        add a file or folder of logs and scan its fields"),
    (".sources", ".sources          the loaded paths, files and events per sourcetype"),
    (".fields", ".fields [PATTERN] fields of the loaded data: count, distinct values, examples (PATTERN may use *)"),
    (".macros", ".macros           the macros queries can call"),
    (".format", ".format FORMAT    output format: table, csv, json or ndjson"),
    (".timer", ".timer on|off     show how long each query took"),
    (".explain", ".explain QUERY    macros expanded, the plan and rewrites"),
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
}

impl Session {
    pub fn new(planner: Planner) -> Session {
        Session {
            planner,
            data: Vec::new(),
            sourcetype: None,
            fields: BTreeMap::new(),
            sourcetypes: BTreeMap::new(),
            files: 0,
            format: Format::Table,
            timer: false,
            out_opts: OutputOptions::default(),
            last: Vec::new(),
            done: false,
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
                if arg.is_empty() {
                    return "usage: .load PATH\n".into();
                }
                let p = PathBuf::from(expand_home(arg));
                if !p.exists() {
                    return format!("error: {}: no such file or folder\n", p.display());
                }
                self.data.push(p);
                match self.scan() {
                    Ok(()) => format!("loaded {}: {} file(s), {} event(s), {} field(s)\n", arg, self.files, self.sourcetypes.values().sum::<u64>(), self.fields.len()),
                    Err(e) => {
                        self.data.pop();
                        format!("error: {e}\n")
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
                s.push_str(&format!("{} file(s)\n", self.files));
                for (st, n) in &self.sourcetypes {
                    s.push_str(&format!("  {st}: {n} event(s)\n"));
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
            ".explain" => {
                if arg.is_empty() {
                    return "usage: .explain QUERY\n".into();
                }
                match self.planner.plan(arg) {
                    Ok(p) => format!("{}{}", crate::lint_report(&p, "<query>", arg), explain::render(&p)),
                    Err(e) => render_error(e.error.with_source("<query>", e.text)),
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

    fn query(&mut self, text: &str) -> String {
        let started = Instant::now();
        let planned = match self.planner.plan(text) {
            Ok(p) => p,
            Err(e) => return render_error(e.error.with_source("<query>", e.text)),
        };
        let mut s = crate::lint_report(&planned, "<query>", text);
        let cfg = runner::RunConfig { data: self.data.clone(), sourcetype: self.sourcetype.clone(), ..Default::default() };
        let outcome = match runner::execute(&self.planner, &planned, &cfg) {
            Ok(o) => o,
            Err(runner::Failure::NoData) => return s + "no data loaded: .load PATH (a file or folder of logs)\n",
            Err(runner::Failure::Exec(e)) => {
                return s + &match e.span {
                    Some(span) => render_error(spelunk_syntax::SplError::new(spelunk_syntax::ErrorCode::Runtime, planned.expanded.map_span(span), e.message.clone()).with_source("<query>", text)),
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
            let events = outcome.stats.as_ref().map(|st| format!(", {} event(s) read", st.events_read)).unwrap_or_default();
            s.push_str(&format!("{n} row(s) in {:.3} s{events}\n", started.elapsed().as_secs_f64()));
        } else if n == 0 {
            s.push_str("no results\n");
        }
        self.last = outcome.batches;
        s
    }

    /// Read every loaded path once and catalogue its fields (search-time fields included).
    pub fn scan(&mut self) -> Result<(), String> {
        self.fields.clear();
        self.sourcetypes.clear();
        self.files = 0;
        if self.data.is_empty() {
            return Ok(());
        }
        let planned = self.planner.plan("*").map_err(|e| e.error.message)?;
        let opts = spelunk_io::ScanOptions { projection: spelunk_io::Projection::All, sourcetype: self.sourcetype.clone(), host: runner::hostname(), ..Default::default() };
        let mut scanner = spelunk_io::scan(&self.data, opts).map_err(|e| e.to_string())?;
        let exec_opts = spelunk_exec::ExecOptions::default();
        let n = planned.plan.nodes.len();
        let mut ex = spelunk_exec::Execution::new_prefix(&self.planner, &planned.plan, n, &exec_opts).map_err(|e| e.to_string())?;
        let mut fields = BTreeMap::new();
        let mut sourcetypes = BTreeMap::new();
        for eb in scanner.by_ref() {
            let eb = eb.map_err(|e| e.to_string())?;
            *sourcetypes.entry(eb.sourcetype.clone()).or_insert(0u64) += eb.batch.num_rows() as u64;
            ex.push_events(&eb.sourcetype, eb.batch).map_err(|e| e.to_string())?;
            for b in ex.take_output() {
                summarise(&b, &mut fields);
            }
        }
        self.files = scanner.files().len();
        self.fields = fields;
        self.sourcetypes = sourcetypes;
        Ok(())
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
            let ex: Vec<String> = f.examples.iter().map(|e| shorten(e, 40)).collect();
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
        s = format!("{}\n\n  {}\n\n{}\n\n{}\n\nExample:\n  {}\n", c.name, c.syntax, c.summary, c.description, c.example);
    }
    for f in registry::FUNCTIONS.iter().filter(|f| f.name.eq_ignore_ascii_case(name)) {
        s.push_str(&format!("{} ({:?} function)\n\n  {}\n\n{}\n\nExample:\n  {}\n", f.name, f.kind, f.syntax, f.summary, f.example));
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
        if let Some(_) = st.macro_start {
            if c == b'`' {
                st.macro_start = None;
            }
            i += 1;
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

fn filter<'a>(cands: impl IntoIterator<Item = String>, prefix: &str) -> Vec<String> {
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
        if rest.starts_with("```") {
            let end = rest[3..].find("```").map(|k| k + 6).unwrap_or(rest.len());
            paint(&mut out, C_COMMENT, &rest[..end]);
            i += end;
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
    colour: bool,
}

impl ReplHelper {
    pub fn new(vocab: Vocab, colour: bool) -> Self {
        ReplHelper { vocab, hinter: HistoryHinter::new(), colour }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
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

/// The interactive loop. Ctrl-C clears the line, Ctrl-D (or `.quit`) leaves.
pub fn run(mut session: Session) -> ExitCode {
    use rustyline::error::ReadlineError;
    use rustyline::{CompletionType, Config, EditMode, Editor};
    let config = Config::builder().completion_type(CompletionType::List).edit_mode(EditMode::Emacs).auto_add_history(false).history_ignore_space(true).build();
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spelunk: cannot start the prompt: {e}");
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
    println!("spelunk {}: SPL over {} . `.help` for help, Ctrl-D to leave.", env!("CARGO_PKG_VERSION"), if session.data.is_empty() { "no data yet (.load PATH)".to_string() } else { format!("{} event(s)", session.sourcetypes.values().sum::<u64>()) });
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
                print!("{out}");
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
                eprintln!("spelunk: {e}");
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
        let src = s.handle_line(".sources");
        assert!(src.contains("aws:cloudtrail") && src.contains("file(s)"), "{src}");
        assert!(s.handle_line(".macros").contains("`cloudtrail` = sourcetype=aws:cloudtrail"));
        let e = s.handle_line(".explain `cloudtrail` | stats count by user");
        assert!(e.contains("== plan") && e.contains("one row per distinct (user)"), "{e}");
        assert!(s.handle_line(".help").contains(".fields [PATTERN]"));
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

    #[test]
    fn history_lives_in_the_data_dir() {
        let p = history_path().unwrap();
        assert!(p.ends_with("spelunk/history"));
    }
}
