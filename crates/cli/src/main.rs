//! The `spelunk` command: run SPL over log files, check and explain queries, get help.

/// `println!` that ignores write errors: output into a closed pipe (`spelunk run ... | head -1`)
/// ends quietly instead of panicking (Rust ignores SIGPIPE, so writes fail with EPIPE).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// `print!` that ignores write errors (see [`outln`]).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($t)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// The first error writing stdout (other than a closed pipe), for the exit status of
/// `check` and `explain`: output that could not be written is not success.
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn stdout_failed(e: std::io::Error) {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        if let Ok(mut slot) = STDOUT_ERROR.lock() {
            slot.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Exit status 2 (with a message) when stdout could not be written, else `code`.
fn unless_stdout_failed(code: ExitCode) -> ExitCode {
    if let Err(e) = std::io::Write::flush(&mut std::io::stdout()) {
        stdout_failed(e);
    }
    match STDOUT_ERROR.lock().ok().and_then(|s| s.clone()) {
        Some(e) => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("spelunk: writing the output failed: {e}\n").as_bytes());
            ExitCode::from(2)
        }
        None => code,
    }
}

/// `eprintln!` that ignores write errors (a closed stderr ends quietly too).
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `eprint!` that ignores write errors.
macro_rules! errout {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}

mod check;
mod explain;
mod output;
mod progress;
mod repl;
mod resolve;
mod runner;

use clap::{Parser, Subcommand};
use miette::{Diagnostic, NamedSource, Report};
use output::{Format, OutputOptions};
use spelunk_plan::{Planned, Planner};
use spelunk_syntax::registry;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "spelunk", version, about = "Run Splunk's SPL offline over log files on your own disk", disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Clone, Default)]
struct ConfArgs {
    /// A macros.conf file, or a folder of security_content macro YAMLs, whose macros add to or
    /// override the built-in ones.
    #[arg(long = "macros", value_name = "FILE")]
    macros: Vec<PathBuf>,
    /// A props.conf file whose search-time fields add to or override the built-in ones.
    #[arg(long = "props", value_name = "FILE")]
    props: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run queries (.spl files, or -e TEXT) over log files and folders.
    ///
    /// With several queries (files, folders of .spl files, -e) the data is read once and kept
    /// in memory for all of them (up to 1 GiB of events, SPELUNK_CACHE_MB changes the limit;
    /// beyond it each query reads the files, as the summary says). Each query's results are
    /// labelled: `--format json` prints one JSON object whose keys are the query names (the
    /// file paths, `<query>` for -e) and whose values are the arrays of rows; table output has
    /// a `== NAME` line before each query's rows; csv and ndjson print each query's results as
    /// for one query, with the `== NAME: N row(s)` label on stderr (use --out for one file per
    /// query). One summary line on stderr ends the run: queries run, rows, what was read,
    /// time taken.
    Run {
        /// Query files (.spl, or security_content detection .yml), or folders of .spl files.
        files: Vec<PathBuf>,
        /// A query given on the command line.
        #[arg(short = 'e', long = "expr", value_name = "SPL")]
        expr: Option<String>,
        /// Files or folders of logs (folders are walked recursively; .gz is read transparently).
        #[arg(long = "data", value_name = "PATH")]
        data: Vec<PathBuf>,
        /// Output format: table, csv, json or ndjson (with several queries, json is one object
        /// keyed by query name; see above).
        #[arg(long, default_value = "table")]
        format: String,
        /// Treat every event as this sourcetype instead of detecting it.
        #[arg(long)]
        sourcetype: Option<String>,
        #[command(flatten)]
        conf: ConfArgs,
        /// Fail (exit 2) on any skipped input instead of reporting it and going on.
        #[arg(long)]
        strict: bool,
        /// Only events at or after this time: a time modifier as in the query (-24h, -7d@d,
        /// @h, epoch seconds, 01/15/2024:10:00:00) or an ISO-8601 time (2024-01-15T10:00:00Z).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        earliest: Option<String>,
        /// Only events before this time (same forms as --earliest).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        latest: Option<String>,
        /// Print only results and errors: no run summary, lint warnings, skipped-input
        /// warnings, query labels or progress bar on stderr.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Worker threads (default: one per core, or SPELUNK_THREADS).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Memory the engine's operators may hold (aggregation groups, sorts): 512MB, 2GB, ...
        /// (default 2GB). A query that needs more fails with a message saying so, never an
        /// out-of-memory kill.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        memory_limit: Option<usize>,
        /// Write results to FILE instead of stdout, in the format its extension names
        /// (.csv, .json, .ndjson/.jsonl, else a table). With several queries, one file per
        /// query: `out.csv` becomes `out.<query>.csv`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 1 when any query returned rows (for CI and cron).
        #[arg(long)]
        fail_on_results: bool,
        /// CSV output: prefix every cell that starts with = + - @ (or a tab or carriage return)
        /// with `'`, so a spreadsheet shows it as text instead of running it as a formula
        /// (OWASP's advice against CSV injection). Off by default: the data is written as is.
        #[arg(long)]
        csv_safe: bool,
        /// Time zone `_time` is shown in: UTC (default), an offset (+02:00, -0530) or a zone name
        /// (Europe/Paris, with its daylight saving time). Eval's time functions stay in UTC.
        #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
        tz: Option<String>,
        /// A folder of lookup tables for `lookup` and `inputlookup`: CSV files (`NAME`,
        /// `NAME.csv`, `NAME.csv.gz`) and transforms.conf stanzas with `filename =`.
        /// Repeatable, searched in order (default: ./lookups when it exists).
        #[arg(long = "lookups", value_name = "DIR")]
        lookups: Vec<PathBuf>,
        /// Run as if the search started at TIME (epoch seconds or ISO-8601): `now()`, relative
        /// `earliest=`/`latest=` (-24h, @d, ...) and makeresults use it. For reproducible runs.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        now: Option<String>,
    },
    /// Interactive SPL prompt over loaded data (also `spelunk` without arguments).
    Repl {
        /// Files or folders of logs.
        #[arg(long = "data", value_name = "PATH")]
        data: Vec<PathBuf>,
        /// Treat every event as this sourcetype instead of detecting it.
        #[arg(long)]
        sourcetype: Option<String>,
        #[command(flatten)]
        conf: ConfArgs,
        /// Time zone `_time` is shown in: UTC (default), an offset (+02:00, -0530) or a zone name
        /// (Europe/Paris, with its daylight saving time). Eval's time functions stay in UTC.
        #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
        tz: Option<String>,
        /// A folder of lookup tables for `lookup` and `inputlookup` (repeatable; default:
        /// ./lookups when it exists).
        #[arg(long = "lookups", value_name = "DIR")]
        lookups: Vec<PathBuf>,
    },
    /// Show how spelunk reads a query: macros expanded, the plan, the rewrites.
    Explain {
        /// A query file (.spl or detection .yml) or query text.
        query: String,
        #[command(flatten)]
        conf: ConfArgs,
        /// Run the query over --data and show the row count after every stage.
        #[arg(long)]
        trace: bool,
        /// Files or folders of logs (for --trace, and to warn about fields the query groups by
        /// or renames that the data does not have).
        #[arg(long = "data", value_name = "PATH")]
        data: Vec<PathBuf>,
        /// A folder of lookup tables (for --trace; see `run --lookups`).
        #[arg(long = "lookups", value_name = "DIR")]
        lookups: Vec<PathBuf>,
    },
    /// Parse, expand macros and validate queries without data: exit 0 when every query can
    /// run, 1 when one uses commands or functions spelunk does not run yet, 2 on an error.
    Check {
        /// Query files (.spl or security_content detection .yml), or folders: every .spl, .yml
        /// and .yaml file in them and their subfolders.
        files: Vec<PathBuf>,
        /// A query given on the command line (checked as `<query>`, before any files).
        #[arg(short = 'e', long = "expr", value_name = "SPL")]
        expr: Option<String>,
        #[command(flatten)]
        conf: ConfArgs,
    },
    /// Compile a query to one SQL statement (Spark, Trino/Athena or DuckDB) over a table of
    /// CloudTrail, Security Lake (OCSF) or NDJSON events. What cannot be written exactly in the
    /// dialect is refused, naming the command or function (exit 1).
    Compile {
        /// A query file (.spl); or use -e.
        file: Option<PathBuf>,
        /// A query given on the command line.
        #[arg(short = 'e', long = "expr", value_name = "SPL")]
        expr: Option<String>,
        /// spark, trino (also for Athena) or duckdb.
        #[arg(long)]
        dialect: String,
        /// The table (or view) to read, as the SQL should name it.
        #[arg(long)]
        table: String,
        /// How the table holds events: cloudtrail (AWS's Athena CloudTrail table), ocsf
        /// (Security Lake) or ndjson (one column per top-level key).
        #[arg(long, default_value = "cloudtrail")]
        layout: String,
        /// ndjson layout: the table's columns, `a,b,c` (`name:json` for a column holding JSON text).
        #[arg(long)]
        columns: Option<String>,
        /// A column giving the events' input order (ties in _time, head/dedup/top before any sort).
        #[arg(long = "order-column", value_name = "COLUMN")]
        order_column: Option<String>,
        #[command(flatten)]
        conf: ConfArgs,
    },
    /// Help on a command or function, or the list of all.
    Help { name: Option<String> },
}

/// Stack size of the thread that parses, plans and runs the queries (the parallel scan workers
/// have their own, `runner::WORKER_STACK`). Long operator chains (`1+1+...+1`, one tree level per
/// operator) are walked in loops and nesting is capped by the parser
/// (`spelunk_syntax::parser::MAX_DEPTH`), but an expression nested to that cap still recurses
/// through every precedence level, and an unoptimised build's frames are large: the big stack is
/// a margin for that (it is only address space until used).
const WORK_STACK: usize = 256 << 20;

fn main() -> ExitCode {
    match std::thread::Builder::new().name("spelunk".into()).stack_size(WORK_STACK).spawn(real_main) {
        // a panic has already been reported by the panic hook: exit as a panicking main would
        Ok(worker) => worker.join().unwrap_or(ExitCode::from(101)),
        Err(_) => real_main(),
    }
}

fn real_main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run { files, expr, data, format, sourcetype, conf, strict, earliest, latest, quiet, threads, memory_limit, out, fail_on_results, csv_safe, tz, lookups, now }) => {
            let now = match now.as_deref().map(|t| spelunk_exec::time::parse_any_time(t).ok_or(t)).transpose() {
                Ok(n) => n,
                Err(t) => {
                    errln!("spelunk: --now {t:?}: expected epoch seconds or an ISO-8601 time such as 2024-01-15T10:00:00Z");
                    return ExitCode::from(2);
                }
            };
            let (earliest, latest) = match (time_arg("earliest", earliest), time_arg("latest", latest)) {
                (Ok(e), Ok(l)) => (e, l),
                (Err(m), _) | (_, Err(m)) => {
                    errln!("spelunk: {m}");
                    return ExitCode::from(2);
                }
            };
            let opts = RunOpts { format, sourcetype, strict, earliest, latest, quiet, threads, memory_limit, out, fail_on_results, csv_safe, tz, lookups, now };
            run(files, expr, data, &conf, &opts)
        }
        Some(Command::Repl { data, sourcetype, conf, tz, lookups }) => start_repl(data, sourcetype, lookups, &conf, tz.as_deref()),
        Some(Command::Explain { query, conf, trace, data, lookups }) => unless_stdout_failed(explain(&query, &conf, trace, data, lookups)),
        Some(Command::Check { files, expr, conf }) => unless_stdout_failed(check(&files, expr, &conf)),
        Some(Command::Help { name }) => help(name.as_deref()),
        Some(Command::Compile { file, expr, dialect, table, layout, columns, order_column, conf }) => compile(file, expr, &dialect, table, &layout, columns, order_column, &conf),
        None => start_repl(Vec::new(), None, Vec::new(), &ConfArgs::default(), None),
    }
}

/// `--earliest`/`--latest`: a time modifier as the query's `earliest=` takes it (kept as
/// written: relative ones resolve against the run's time), or an ISO-8601 time as `--now`
/// takes it ([`spelunk_exec::time::parse_any_time`]), passed on as epoch seconds.
fn time_arg(flag: &str, value: Option<String>) -> Result<Option<String>, String> {
    let Some(t) = value else { return Ok(None) };
    if spelunk_exec::time::relative_time(0.0, &t).is_some() {
        return Ok(Some(t));
    }
    match spelunk_exec::time::parse_any_time(t.trim()) {
        Some(epoch) => Ok(Some(epoch.to_string())),
        None => Err(format!("--{flag} {t:?}: expected a time modifier (-24h, -7d@d, @h, now, epoch seconds, 01/15/2024:10:00:00) or an ISO-8601 time such as 2024-01-15T10:00:00Z")),
    }
}

fn start_repl(data: Vec<PathBuf>, sourcetype: Option<String>, lookups: Vec<PathBuf>, conf: &ConfArgs, tz: Option<&str>) -> ExitCode {
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let offset = match tz.map(output::DisplayTz::parse).transpose() {
        Ok(o) => o.unwrap_or_default(),
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut session = repl::Session::new(planner);
    session.sourcetype = sourcetype;
    session.lookups = lookups;
    session.out_opts.tz = offset;
    repl::install_interrupt(&mut session);
    for d in data {
        errout!("{}", session.handle_line(&format!(".load {}", d.display())));
    }
    repl::run(session)
}

/// `spelunk compile`: print the query as one SQL statement.
#[allow(clippy::too_many_arguments)]
fn compile(file: Option<PathBuf>, expr: Option<String>, dialect: &str, table: String, layout: &str, columns: Option<String>, order_column: Option<String>, conf: &ConfArgs) -> ExitCode {
    let query = match (file, expr) {
        (_, Some(e)) => e,
        (Some(f), None) => match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                errln!("spelunk: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => {
            errln!("spelunk compile: give a query file or -e QUERY");
            return ExitCode::from(2);
        }
    };
    let (dialect, kind) = match (dialect.parse::<spelunk_sql::DialectName>(), layout.parse::<spelunk_sql::LayoutKind>()) {
        (Ok(d), Ok(l)) => (d, l),
        (Err(m), _) | (_, Err(m)) => {
            errln!("spelunk compile: {m}");
            return ExitCode::from(2);
        }
    };
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut layout = spelunk_sql::Layout::new(kind);
    if let Some(c) = columns {
        layout.columns = spelunk_sql::Layout::parse_columns(&c);
    }
    layout.seq_column = order_column;
    match spelunk_sql::compile(&query, &planner, &spelunk_sql::Options { dialect, table, layout }) {
        Ok(sql) => {
            outln!("{sql}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("spelunk compile: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn load_planner(conf: &ConfArgs) -> Result<Planner, String> {
    let mut p = Planner::builtin().map_err(|e| format!("built-in configuration: {e}"))?;
    p.macros.set_evaluator(spelunk_exec::eval::const_eval);
    for f in &conf.macros {
        check::load_macros(&mut p, f)?;
    }
    for f in &conf.props {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        p.props.load_conf(&text, &f.display().to_string()).map_err(|e| e.to_string())?;
    }
    Ok(p)
}

/// Print a diagnostic pointing into `text`.
fn report(err: impl Diagnostic + Send + Sync + 'static) {
    errln!("{:?}", Report::new(err));
}

/// Plan a query and check what needs no data ([`check::plan`]); print its lint warnings
/// unless `quiet`, or its error.
fn plan_or_report(planner: &Planner, name: &str, text: &str, quiet: bool) -> Option<Planned> {
    match check::plan(planner, text) {
        Ok(p) => {
            if !quiet {
                errout!("{}", full_lint_report(&p, name, text));
            }
            Some(p)
        }
        Err(e) => {
            report(e.error.with_source(name, e.text));
            None
        }
    }
}

/// A lint finding rendered as a miette warning (advice for the codes that are only notes).
#[derive(Debug)]
struct Warning(spelunk_syntax::diagnostics::SourcedError);

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Warning {}

impl Diagnostic for Warning {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.0.error.code.is_advice() { miette::Severity::Advice } else { miette::Severity::Warning })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
}

/// The lint warnings of a planned query that need no data, rendered (empty when there are
/// none); spans point into the user's text (macro expansions mapped back). This is the REPL's:
/// it leaves out the notes ([`spelunk_syntax::ErrorCode::is_advice`]), which
/// [`full_lint_report`] adds for `check`, `run` and `explain`.
pub(crate) fn lint_report(planned: &Planned, name: &str, text: &str) -> String {
    let lints = spelunk_plan::lint::planned(planned).into_iter().filter(|w| !w.code.is_advice()).collect();
    render_lints(planned, lints, name, text)
}

/// Every lint finding of a planned query that needs no data (warnings and notes), rendered.
pub(crate) fn full_lint_report(planned: &Planned, name: &str, text: &str) -> String {
    render_lints(planned, spelunk_plan::lint::planned(planned), name, text)
}

/// The lint findings that need the data's field names (`known`: every field name of the
/// loaded data, search-time fields included), rendered; print [`lint_report`] first, these add
/// to it. The REPL calls it with its field catalogue.
pub(crate) fn data_lint_report(planned: &Planned, name: &str, text: &str, known: &std::collections::BTreeSet<String>) -> String {
    render_lints(planned, spelunk_plan::lint::with_known_fields(planned, known), name, text)
}

/// [`data_lint_report`] for `run` and `explain`: reads the field names of `data` when the
/// query has a check that needs them (nothing otherwise, and nothing when the data cannot be
/// read: the run says why).
fn data_lints_of(planner: &Planner, planned: &Planned, name: &str, text: &str, data: &[PathBuf], sourcetype: Option<String>, cached: Option<&runner::CachedEvents>) -> String {
    if data.is_empty() || !spelunk_plan::lint::wants_data_fields(planned) {
        return String::new();
    }
    let enough = spelunk_plan::fields::mentioned(&planned.plan);
    match explain::data_fields(planner, data, sourcetype, &enough, cached) {
        Ok(known) => data_lint_report(planned, name, text, &known),
        Err(_) => String::new(),
    }
}

fn render_lints(planned: &Planned, lints: Vec<spelunk_syntax::SplError>, name: &str, text: &str) -> String {
    let mut out = String::new();
    for mut w in lints {
        w.span = planned.expanded.map_span(w.span);
        out.push_str(&format!("{:?}\n", Report::new(Warning(w.with_source(name, text)))));
    }
    out
}

/// Every query named on the command line: files as given, folders as their query files,
/// sorted by path: for `run`, the `.spl` files in the folder; for `check` (`recursive`), every
/// `.spl`, `.yml` and `.yaml` file in it and its subfolders.
fn expand_query_paths(files: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read query folder {}: {e}", dir.display()))?;
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let ext = p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
            if p.is_dir() && recursive {
                walk(&p, recursive, out)?;
            } else if p.is_file() && (ext.as_deref() == Some("spl") || check::is_yaml(&p)) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut v = Vec::new();
            walk(f, recursive, &mut v)?;
            v.sort();
            if v.is_empty() {
                return Err(format!("no .spl or .yml files in {}", f.display()));
            }
            out.extend(v);
        } else {
            out.push(f.clone());
        }
    }
    Ok(out)
}

struct RunOpts {
    format: String,
    sourcetype: Option<String>,
    strict: bool,
    earliest: Option<String>,
    latest: Option<String>,
    quiet: bool,
    threads: usize,
    memory_limit: Option<usize>,
    out: Option<PathBuf>,
    fail_on_results: bool,
    csv_safe: bool,
    tz: Option<String>,
    lookups: Vec<PathBuf>,
    now: Option<f64>,
}

/// `out.csv` for query `a/b.spl` with several queries: `out.b.csv`.
fn per_query_out(out: &Path, query_name: &str) -> PathBuf {
    let q = Path::new(query_name).file_stem().and_then(|s| s.to_str()).unwrap_or("query").to_string();
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let name = match out.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}.{q}.{ext}"),
        None => format!("{stem}.{q}"),
    };
    out.with_file_name(name)
}


/// How many times a plan reads the events: its own search (unless it generates its rows) and
/// each subsearch's.
fn reads_of(plan: &spelunk_plan::LogicalPlan) -> usize {
    let own = usize::from(plan.source == spelunk_plan::Source::Events);
    own + plan.nodes.iter().filter_map(|n| n.op.subsearch()).map(|s| reads_of(&s.plan)).sum::<usize>()
}

fn run(files: Vec<PathBuf>, expr: Option<String>, data: Vec<PathBuf>, conf: &ConfArgs, o: &RunOpts) -> ExitCode {
    let started = std::time::Instant::now();
    let format: Format = match o.format.parse() {
        Ok(f) => f,
        Err(_) => {
            errln!("spelunk: unknown format `{}`: use table, csv, json or ndjson", o.format);
            return ExitCode::from(2);
        }
    };
    let display_tz = match o.tz.as_deref().map(output::DisplayTz::parse).transpose() {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let files = match expand_query_paths(&files, false) {
        Ok(f) => f,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut queries: Vec<(String, String)> = Vec::new();
    if let Some(e) = expr {
        queries.push(("<query>".into(), e));
    }
    for f in &files {
        match check::read_query_file(f) {
            Ok(t) => queries.push((f.display().to_string(), t)),
            Err(e) => {
                errln!("spelunk: query file: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if queries.is_empty() {
        errln!("spelunk: no query: give a .spl file or -e 'SPL'");
        return ExitCode::from(2);
    }
    if let Some(out) = &o.out {
        if let Some(d) = out_inside_data(out, &data) {
            errln!("spelunk: --out {} is inside --data {}: the next run would read the results back as events; write them elsewhere", out.display(), d.display());
            return ExitCode::from(2);
        }
    }
    // plan and check every query before any data is read
    let mut status = 0u8;
    let mut planned: Vec<(&str, &str, Planned)> = Vec::new();
    for (name, text) in &queries {
        match plan_or_report(&planner, name, text, o.quiet) {
            Some(p) => planned.push((name, text, p)),
            None => status = 2,
        }
    }
    let progress = progress::wanted(o.quiet);
    // several searches over the data (queries, subsearches): read it once, keep it in memory
    let mut cache: Option<std::sync::Arc<runner::CachedEvents>> = None;
    let mut cache_note = None;
    if !data.is_empty() && planned.iter().map(|(_, _, p)| reads_of(&p.plan)).sum::<usize>() > 1 {
        let now = o.now.unwrap_or_else(|| spelunk_exec::ExecOptions::default().now);
        let bound = |t: &Option<String>| t.as_deref().and_then(|t| spelunk_exec::time::relative_time(now, t));
        // only what the queries need: the union of their fields, the OR of their prefilters
        let (projection, prefilter) = runner::shared_scan(&planner, &planned.iter().map(|(_, _, p)| p).collect::<Vec<_>>());
        let cfg = runner::LoadConfig {
            data: &data,
            sourcetype: o.sourcetype.clone(),
            strict: o.strict,
            cap: runner::cache_cap(),
            progress,
            monitor: Default::default(),
            whole: false,
            range: (bound(&o.earliest), bound(&o.latest)),
            threads: runner::thread_count(o.threads),
            projection,
            prefilter,
        };
        match runner::load_events(&cfg, |_| Ok(())) {
            Ok(loaded) => match loaded.cache {
                Some(c) => {
                    if !o.quiet {
                        print_warnings(&c.stats.warnings, &mut Default::default());
                    }
                    cache = Some(std::sync::Arc::new(c));
                }
                None => cache_note = loaded.note,
            },
            Err(e) => {
                errln!("spelunk: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let labelled = queries.len() > 1;
    // several queries in JSON: one object, the query names as keys
    let json_object = labelled && o.out.is_none() && format == Format::Json;
    let mut keys = std::collections::HashSet::new();
    let mut out_paths = std::collections::HashSet::new();
    let mut warned = std::collections::HashSet::new();
    let mut read = spelunk_io::ScanStats::default();
    let (mut reads, mut ran, mut rows_total, mut any_rows) = (0usize, 0usize, 0usize, false);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut closed = false;
    if json_object {
        closed |= write!(out, "{{").is_err();
    }
    for (name, text, planned) in &planned {
        if closed {
            break;
        }
        let cfg = runner::RunConfig {
            data: data.clone(),
            sourcetype: o.sourcetype.clone(),
            strict: o.strict,
            earliest: o.earliest.clone(),
            latest: o.latest.clone(),
            threads: o.threads,
            progress,
            lookups: o.lookups.clone(),
            now: o.now,
            cached: cache.clone(),
            memory_limit: o.memory_limit.unwrap_or(0),
            ..Default::default()
        };
        let outcome = match runner::execute(&planner, planned, &cfg) {
            Ok(o) => o,
            Err(runner::Failure::Exec(e)) => {
                match e.span {
                    Some(span) => {
                        let err = planned.expanded.locate(spelunk_syntax::SplError::new(spelunk_syntax::ErrorCode::Runtime, span, e.message.clone()));
                        report(err.with_source(name.to_string(), text.to_string()));
                    }
                    None => errln!("spelunk: {name}: {}", e.message),
                }
                status = 2;
                continue;
            }
            Err(e) => {
                // the data cannot be read: no other query would fare better
                errln!("spelunk: {name}: {e}");
                status = 2;
                break;
            }
        };
        ran += 1;
        let batches = outcome.batches;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        rows_total += rows;
        any_rows |= rows > 0;
        if rows == 0 && !o.quiet {
            // no results: say so when a field the query groups by or renames is not in the data
            errout!("{}", data_lints_of(&planner, planned, name, text, &data, o.sourcetype.clone(), cache.as_deref()));
        }
        if let (Some(stats), None) = (&outcome.stats, &cache) {
            if !o.quiet {
                print_warnings(&stats.warnings, &mut warned);
            }
            read.merge(stats.clone());
            reads += 1;
        }
        let opts = OutputOptions { tz: display_tz, max_width: None, csv_safe: o.csv_safe };
        if let Some(file) = &o.out {
            let mut path = if labelled { per_query_out(file, name) } else { file.clone() };
            // two queries with the same file name (a/x.spl, b/x.spl): never overwrite the first
            let mut n = 1;
            while !out_paths.insert(path.clone()) {
                n += 1;
                // (`per_query_out` takes the query's file stem: `same.2.spl` gives `same.2`)
                path = per_query_out(file, &format!("{}.{n}.spl", Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("query")));
            }
            let fmt = Format::from_path(&path);
            let written = std::fs::File::create(&path).and_then(|mut f| output::write_results(&batches, fmt, &mut f, &opts));
            if let Err(e) = written {
                errln!("spelunk: writing {}: {e}", path.display());
                status = 2;
                break;
            }
            if !o.quiet {
                errln!("{name}: {rows} row(s) written to {}", path.display());
            }
            continue;
        }
        let written = if json_object {
            let mut key = name.to_string();
            let mut n = 1;
            while !keys.insert(key.clone()) {
                n += 1;
                key = format!("{name} ({n})");
            }
            let mut buf = Vec::new();
            output::write_results(&batches, Format::Json, &mut buf, &opts)
                .and_then(|_| write!(out, "{}\n{}: {}", if keys.len() > 1 { "," } else { "" }, serde_json::Value::String(key), String::from_utf8_lossy(&buf).trim_end()))
        } else {
            if labelled {
                if format == Format::Table {
                    let _ = writeln!(out, "== {name}");
                } else if !o.quiet {
                    errln!("== {name}: {rows} row(s)");
                }
            }
            output::write_results(&batches, format, &mut out, &opts)
        };
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                // the reader has gone (`| head`): stop quietly
                closed = true;
            } else {
                errln!("spelunk: writing results: {e}");
                status = 2;
                break;
            }
        }
    }
    if json_object && !closed {
        let _ = writeln!(out, "{}}}", if keys.is_empty() { "" } else { "\n" });
    }
    let _ = out.flush();
    if !o.quiet {
        let failed = queries.len() - ran;
        let mut line = format!("{ran} quer{} run", if ran == 1 { "y" } else { "ies" });
        if failed > 0 {
            line.push_str(&format!(" ({failed} failed)"));
        }
        line.push_str(&format!(", {rows_total} row(s)"));
        match (&cache, reads) {
            (Some(c), _) => line.push_str(&format!("; one read for all queries ({} kept in memory): {}", runner::mib(c.memory), c.stats.summary_line())),
            (None, 0) => {}
            (None, 1) => line.push_str(&format!("; {}", read.summary_line())),
            (None, n) => {
                line.push_str(&format!("; in {n} reads of the data: {}", read.summary_line()));
                if let Some(note) = &cache_note {
                    line.push_str(&format!("; {note}"));
                }
            }
        }
        line.push_str(&format!("; {:.2} s", started.elapsed().as_secs_f64()));
        errln!("{line}");
    }
    // a run that could read nothing (every input empty, unreadable, corrupt or skipped) is an
    // error, not an empty answer; records ruled out by the prefilter or files outside the time
    // range were there, so an empty answer over them stands
    let scanned = cache.as_ref().map(|c| &c.stats).or((reads > 0).then_some(&read));
    if let Some(st) = scanned {
        if st.events_read == 0 && st.prefiltered == 0 && st.files_pruned == 0 {
            errln!("spelunk: no events read from --data ({}): every input was empty, unreadable, corrupt or skipped", st.summary_line());
            status = status.max(2);
        }
    }
    if status == 0 && o.fail_on_results && any_rows {
        return ExitCode::from(1);
    }
    ExitCode::from(status)
}

/// The `--data` path that `out` (or a per-query file beside it) would be written inside.
fn out_inside_data(out: &Path, data: &[PathBuf]) -> Option<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&parent).ok()?;
    let target = dir.join(out.file_name()?);
    data.iter().find(|d| match std::fs::canonicalize(d) {
        Ok(c) if c.is_dir() => dir.starts_with(&c),
        Ok(c) => c == target,
        Err(_) => false,
    }).cloned()
}

/// Skipped-input warnings on stderr, each once (`shown` remembers them), at most 50 in all.
fn print_warnings(warnings: &[spelunk_io::IoWarning], shown: &mut std::collections::HashSet<String>) {
    const MAX: usize = 50;
    let mut more = 0;
    for w in warnings {
        let text = w.to_string();
        if shown.contains(&text) {
            continue;
        }
        if shown.len() >= MAX {
            more += 1;
            continue;
        }
        errln!("warning: {text}");
        shown.insert(text);
    }
    if more > 0 {
        errln!("warning: ... and {more} more");
    }
}

fn read_query_arg(q: &str) -> (String, String) {
    let p = Path::new(q);
    if p.is_file() {
        if let Ok(t) = check::read_query_file(p) {
            return (p.display().to_string(), t);
        }
    }
    ("<query>".into(), q.to_string())
}

fn explain(query: &str, conf: &ConfArgs, trace: bool, data: Vec<PathBuf>, lookups: Vec<PathBuf>) -> ExitCode {
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let (name, text) = read_query_arg(query);
    let Some(planned) = plan_or_report(&planner, &name, &text, false) else {
        return ExitCode::from(2);
    };
    errout!("{}", data_lints_of(&planner, &planned, &name, &text, &data, None, None));
    out!("{}", explain::render(&planned));
    if trace {
        let cfg = runner::RunConfig { data, threads: 1, lookups, engine: runner::Engine::Row, ..Default::default() };
        match runner::execute(&planner, &planned, &cfg) {
            Ok(outcome) => out!("\n{}", explain::render_trace(&planned, &outcome.trace)),
            Err(e) => {
                errln!("spelunk: {name}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

fn check(files: &[PathBuf], expr: Option<String>, conf: &ConfArgs) -> ExitCode {
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let files = match expand_query_paths(files, true) {
        Ok(f) if f.is_empty() && expr.is_none() => {
            errln!("spelunk: no query: give -e QUERY, .spl or detection .yml files, or folders of them");
            return ExitCode::from(2);
        }
        Ok(f) => f,
        Err(e) => {
            errln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut worst = 0u8;
    let queries = expr.map(|q| ("<query>".to_string(), Ok(q))).into_iter().chain(files.iter().map(|f| (f.display().to_string(), check::read_query_file(f))));
    for (name, text) in queries {
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                errln!("spelunk: {e}");
                worst = 2;
                continue;
            }
        };
        match check::classify(&planner, &text) {
            check::Verdict::Ok(p) => {
                errout!("{}", full_lint_report(&p, &name, &text));
                outln!("{name}: ok");
            }
            v @ check::Verdict::Unsupported { .. } => {
                worst = worst.max(v.exit_code());
                if let check::Verdict::Unsupported { names, error } = v {
                    let why = error.map(|e| e.error.message).unwrap_or_else(|| "eval functions spelunk does not run yet".into());
                    outln!("{name}: unsupported: {} ({why})", names.join(", "));
                }
            }
            check::Verdict::Error(e) => {
                report(e.error.with_source(name.clone(), e.text));
                outln!("{name}: error");
                worst = 2;
            }
        }
    }
    ExitCode::from(worst)
}

fn help(name: Option<&str>) -> ExitCode {
    match name {
        None => {
            outln!("Commands (`spelunk help NAME` for syntax, details and an example):");
            for c in registry::COMMANDS {
                let aliases = if c.aliases.is_empty() { String::new() } else { format!(" (also {})", c.aliases.join(", ")) };
                outln!("  {:<14} {}{}{}", c.name, c.summary, aliases, if c.implemented { "" } else { " [parse only]" });
            }
            for (kind, title) in [(registry::FunctionKind::Eval, "eval/where functions"), (registry::FunctionKind::Aggregate, "stats functions")] {
                outln!("\n{title}:");
                for f in registry::FUNCTIONS.iter().filter(|f| f.kind == kind) {
                    outln!("  {:<14} {}{}", f.name, f.summary, if f.implemented { "" } else { " [parse only]" });
                }
            }
            ExitCode::SUCCESS
        }
        Some(n) => {
            // a name can be a command and functions at once (`replace`, `spath`, `min`): show all
            let entries: Vec<String> =
                registry::command(n).map(command_help).into_iter().chain(registry::FUNCTIONS.iter().filter(|f| f.name.eq_ignore_ascii_case(n)).map(function_help)).collect();
            if !entries.is_empty() {
                out!("{}", entries.join("\n"));
                return ExitCode::SUCCESS;
            }
            let all = registry::command_names().chain(registry::FUNCTIONS.iter().map(|f| f.name));
            match spelunk_syntax::diagnostics::did_you_mean(n, all) {
                Some(s) => errln!("spelunk: no command or function `{n}`; did you mean `{s}`?"),
                None => errln!("spelunk: no command or function `{n}`"),
            }
            ExitCode::from(2)
        }
    }
}

/// `spelunk help NAME` for a command: name, syntax, summary, description, example.
pub(crate) fn command_help(c: &registry::CommandSpec) -> String {
    let status = if c.implemented { "" } else { " [parse only: spelunk does not run it yet]" };
    format!("{}{status}\n\n  {}\n\n{}\n\n{}\n\nExample:\n  {}\n", c.name, c.syntax, c.summary, c.description, c.example)
}

/// `spelunk help NAME` for a function: name and kind, syntax, summary, description, example.
pub(crate) fn function_help(f: &registry::FunctionSpec) -> String {
    let kind = match f.kind {
        registry::FunctionKind::Eval => "eval/where function",
        registry::FunctionKind::Aggregate => "stats function",
    };
    let status = if f.implemented { "" } else { " [parse only: spelunk does not run it yet]" };
    format!("{} ({kind}){status}\n\n  {}\n\n{}\n\n{}\n\nExample:\n  {}\n", f.name, f.syntax, f.summary, f.description, f.example)
}

#[allow(dead_code)]
fn _source(name: &str, text: &str) -> NamedSource<String> {
    NamedSource::new(name, text.to_string())
}

/// A size with an optional unit (KB, MB, GB: powers of 1024; a bare number is bytes).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_uppercase();
    let (num, mult) = [("KB", 1usize << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        .iter()
        .find_map(|(u, m)| t.strip_suffix(u).map(|n| (n.trim().to_string(), *m)))
        .unwrap_or((t.clone(), 1));
    let n: f64 = num.parse().map_err(|_| format!("{s:?}: expected a size such as 512MB or 2GB"))?;
    if !(n.is_finite() && n >= 1.0) {
        return Err(format!("{s:?}: expected a size such as 512MB or 2GB"));
    }
    Ok((n * mult as f64).min(usize::MAX as f64 / 2.0) as usize)
}
