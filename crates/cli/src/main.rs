//! The `spelunk` command: run SPL over log files, check and explain queries, get help.

mod output;
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
    /// A macros.conf file whose macros add to or override the built-in ones.
    #[arg(long = "macros", value_name = "FILE")]
    macros: Vec<PathBuf>,
    /// A props.conf file whose search-time fields add to or override the built-in ones.
    #[arg(long = "props", value_name = "FILE")]
    props: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run queries (.spl files, or -e TEXT) over log files and folders.
    Run {
        /// Query files (.spl).
        files: Vec<PathBuf>,
        /// A query given on the command line.
        #[arg(short = 'e', long = "expr", value_name = "SPL")]
        expr: Option<String>,
        /// Files or folders of logs (folders are walked recursively; .gz is read transparently).
        #[arg(long = "data", value_name = "PATH")]
        data: Vec<PathBuf>,
        /// Output format: table, csv, json or ndjson.
        #[arg(long, default_value = "table")]
        format: String,
        /// Treat every event as this sourcetype instead of detecting it.
        #[arg(long)]
        sourcetype: Option<String>,
        #[command(flatten)]
        conf: ConfArgs,
        /// Fail (exit 1) on any skipped input instead of reporting it and going on.
        #[arg(long)]
        strict: bool,
        /// Only events at or after this time (epoch, -24h, -7d@d, ...).
        #[arg(long)]
        earliest: Option<String>,
        /// Only events before this time.
        #[arg(long)]
        latest: Option<String>,
        /// Do not print the run summary on stderr.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Show how spelunk reads a query: macros expanded, the plan, the rewrites.
    Explain {
        /// A query file or query text.
        query: String,
        #[command(flatten)]
        conf: ConfArgs,
    },
    /// Parse, expand macros and validate queries without data.
    Check {
        files: Vec<PathBuf>,
        #[command(flatten)]
        conf: ConfArgs,
    },
    /// Help on a command or function, or the list of all.
    Help { name: Option<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run { files, expr, data, format, sourcetype, conf, strict, earliest, latest, quiet }) => {
            run(files, expr, data, &format, sourcetype, &conf, strict, earliest, latest, quiet)
        }
        Some(Command::Explain { query, conf }) => explain(&query, &conf),
        Some(Command::Check { files, conf }) => check(&files, &conf),
        Some(Command::Help { name }) => help(name.as_deref()),
        None => {
            eprintln!("spelunk: give a command: run, explain, check or help (`spelunk --help`)");
            ExitCode::from(2)
        }
    }
}

fn load_planner(conf: &ConfArgs) -> Result<Planner, String> {
    let mut p = Planner::builtin().map_err(|e| format!("built-in configuration: {e}"))?;
    for f in &conf.macros {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        p.macros.load_conf(&text, &f.display().to_string()).map_err(|e| e.to_string())?;
    }
    for f in &conf.props {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        p.props.load_conf(&text, &f.display().to_string()).map_err(|e| e.to_string())?;
    }
    Ok(p)
}

/// Print a diagnostic pointing into `text`.
fn report(err: impl Diagnostic + Send + Sync + 'static) {
    eprintln!("{:?}", Report::new(err));
}

fn plan_or_report(planner: &Planner, name: &str, text: &str) -> Option<Planned> {
    match planner.plan(text) {
        Ok(p) => Some(p),
        Err(e) => {
            report(e.error.with_source(name, e.text));
            None
        }
    }
}


#[allow(clippy::too_many_arguments)]
fn run(
    files: Vec<PathBuf>,
    expr: Option<String>,
    data: Vec<PathBuf>,
    format: &str,
    sourcetype: Option<String>,
    conf: &ConfArgs,
    strict: bool,
    earliest: Option<String>,
    latest: Option<String>,
    quiet: bool,
) -> ExitCode {
    let format: Format = match format.parse() {
        Ok(f) => f,
        Err(_) => {
            eprintln!("spelunk: unknown format `{format}`: use table, csv, json or ndjson");
            return ExitCode::from(2);
        }
    };
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut queries: Vec<(String, String)> = Vec::new();
    if let Some(e) = expr {
        queries.push(("<query>".into(), e));
    }
    for f in &files {
        match std::fs::read_to_string(f) {
            Ok(t) => queries.push((f.display().to_string(), t)),
            Err(e) => {
                eprintln!("spelunk: cannot read query file {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    if queries.is_empty() {
        eprintln!("spelunk: no query: give a .spl file or -e 'SPL'");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    let labelled = queries.len() > 1;
    for (name, text) in &queries {
        let Some(planned) = plan_or_report(&planner, name, text) else {
            status = ExitCode::from(2);
            continue;
        };
        let cfg = runner::RunConfig { data: data.clone(), sourcetype: sourcetype.clone(), strict, earliest: earliest.clone(), latest: latest.clone(), threads: 0, host: None };
        let outcome = match runner::execute(&planner, &planned, &cfg) {
            Ok(o) => o,
            Err(runner::Failure::Exec(e)) => {
                match e.span {
                    Some(span) => {
                        let err = spelunk_syntax::SplError::new(spelunk_syntax::ErrorCode::Runtime, planned.expanded.map_span(span), e.message.clone());
                        report(err.with_source(name.clone(), text.clone()));
                    }
                    None => eprintln!("spelunk: {name}: {}", e.message),
                }
                status = ExitCode::from(2);
                continue;
            }
            Err(e) => {
                eprintln!("spelunk: {name}: {e}");
                return ExitCode::from(2);
            }
        };
        let batches = outcome.batches;
        if let Some(stats) = &outcome.stats {
            if !quiet {
                let warnings = &stats.warnings;
                for w in warnings.iter().take(50) {
                    eprintln!("warning: {w}");
                }
                if warnings.len() > 50 {
                    eprintln!("warning: ... and {} more", warnings.len() - 50);
                }
                eprintln!("{}", stats.summary_line());
            }
        }
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if labelled {
            let _ = writeln!(out, "== {name}");
        }
        let opts = OutputOptions { utc_offset_seconds: 0, max_width: None };
        if let Err(e) = output::write_results(&batches, format, &mut out, &opts) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("spelunk: writing results: {e}");
                return ExitCode::from(2);
            }
        }
    }
    status
}

fn read_query_arg(q: &str) -> (String, String) {
    let p = Path::new(q);
    if p.is_file() {
        if let Ok(t) = std::fs::read_to_string(p) {
            return (p.display().to_string(), t);
        }
    }
    ("<query>".into(), q.to_string())
}

fn explain(query: &str, conf: &ConfArgs) -> ExitCode {
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let (name, text) = read_query_arg(query);
    let Some(planned) = plan_or_report(&planner, &name, &text) else {
        return ExitCode::from(2);
    };
    println!("== query (macros expanded)\n{}\n", planned.expanded.text.trim());
    if !planned.expanded.expansions.is_empty() {
        println!("== macros");
        for e in &planned.expanded.expansions {
            println!("{}`{}` -> {}", "  ".repeat(e.depth), e.call, e.text.trim());
        }
        println!();
    }
    println!("== plan\n{}", planned.plan);
    ExitCode::SUCCESS
}

fn check(files: &[PathBuf], conf: &ConfArgs) -> ExitCode {
    let planner = match load_planner(conf) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spelunk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut worst = 0u8;
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("spelunk: {}: {e}", f.display());
                worst = 2;
                continue;
            }
        };
        match planner.plan(&text) {
            Ok(_) => println!("{}: ok", f.display()),
            Err(e) if e.error.code == spelunk_syntax::ErrorCode::UnsupportedCommand => {
                println!("{}: unsupported: {}", f.display(), e.error.message);
                worst = worst.max(1);
            }
            Err(e) => {
                report(e.error.with_source(f.display().to_string(), e.text));
                worst = 2;
            }
        }
    }
    ExitCode::from(worst)
}

fn help(name: Option<&str>) -> ExitCode {
    match name {
        None => {
            println!("Commands:");
            for c in registry::COMMANDS {
                println!("  {:<14} {}{}", c.name, c.summary, if c.implemented { "" } else { " (parse only)" });
            }
            println!("\nFunctions: `spelunk help <name>`; eval: {}", registry::function_names(registry::FunctionKind::Eval).collect::<Vec<_>>().join(" "));
            println!("aggregations: {}", registry::function_names(registry::FunctionKind::Aggregate).collect::<Vec<_>>().join(" "));
            ExitCode::SUCCESS
        }
        Some(n) => {
            if let Some(c) = registry::command(n) {
                println!("{}\n\n  {}\n\n{}\n\n{}\n\nExample:\n  {}", c.name, c.syntax, c.summary, c.description, c.example);
                return ExitCode::SUCCESS;
            }
            let mut found = false;
            for f in registry::FUNCTIONS.iter().filter(|f| f.name.eq_ignore_ascii_case(n)) {
                println!("{} ({:?} function)\n\n  {}\n\n{}\n\nExample:\n  {}\n", f.name, f.kind, f.syntax, f.summary, f.example);
                found = true;
            }
            if found {
                return ExitCode::SUCCESS;
            }
            let all = registry::command_names().chain(registry::FUNCTIONS.iter().map(|f| f.name));
            match spelunk_syntax::diagnostics::did_you_mean(n, all) {
                Some(s) => eprintln!("spelunk: no command or function `{n}`; did you mean `{s}`?"),
                None => eprintln!("spelunk: no command or function `{n}`"),
            }
            ExitCode::from(2)
        }
    }
}

#[allow(dead_code)]
fn _source(name: &str, text: &str) -> NamedSource<String> {
    NamedSource::new(name, text.to_string())
}
