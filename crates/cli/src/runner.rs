//! Running one planned query over data: builds the scan from the plan (projection, raw-text
//! prefilter), drives the engine, and collects the results and the scan statistics. The CLI's
//! `run`, the REPL and `explain --trace` all go through [`execute`].

use arrow::record_batch::RecordBatch;
use spelunk_exec::{ExecError, ExecOptions, Trace};
use spelunk_io::{IoError, ScanOptions, ScanStats};
use spelunk_plan::{Planned, Planner, Source};
use std::path::PathBuf;

/// Everything about a run besides the query.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    pub data: Vec<PathBuf>,
    pub sourcetype: Option<String>,
    pub strict: bool,
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    pub host: Option<String>,
}

/// The results of a run.
pub struct Outcome {
    pub batches: Vec<RecordBatch>,
    /// Scan statistics (none for queries that read no data).
    pub stats: Option<ScanStats>,
    pub trace: Trace,
}

#[derive(Debug)]
pub enum Failure {
    /// The query needs events but no `--data` was given.
    NoData,
    Input(IoError),
    Exec(ExecError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoData => write!(f, "no data: give --data PATH (a file or folder of logs)"),
            Failure::Input(e) => write!(f, "{e}"),
            Failure::Exec(e) => write!(f, "{e}"),
        }
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The scan options a plan asks for.
pub fn scan_options(planner: &Planner, planned: &Planned, cfg: &RunConfig) -> ScanOptions {
    ScanOptions {
        projection: match planner.scan_fields_any(&planned.plan.projection) {
            spelunk_plan::Projection::All => spelunk_io::Projection::All,
            spelunk_plan::Projection::Fields(f) => spelunk_io::Projection::Fields(f),
        },
        sourcetype: cfg.sourcetype.clone(),
        host: cfg.host.clone().unwrap_or_else(hostname),
        raw_prefilter: planned.prefilter.clone(),
        strict: cfg.strict,
        ..ScanOptions::default()
    }
}

/// Run a planned query.
pub fn execute(planner: &Planner, planned: &Planned, cfg: &RunConfig) -> Result<Outcome, Failure> {
    let exec_opts = ExecOptions { earliest: cfg.earliest.clone(), latest: cfg.latest.clone(), ..ExecOptions::default() };
    if planned.plan.source != Source::Events {
        let mut empty = std::iter::empty::<Result<(String, RecordBatch), IoError>>();
        let (batches, trace) = spelunk_exec::run(planner, &planned.plan, &mut empty, &exec_opts).map_err(|e| match e {
            spelunk_exec::RunError::Input(e) => Failure::Input(e),
            spelunk_exec::RunError::Exec(e) => Failure::Exec(e),
        })?;
        return Ok(Outcome { batches, stats: None, trace });
    }
    if cfg.data.is_empty() {
        return Err(Failure::NoData);
    }
    let opts = scan_options(planner, planned, cfg);
    let mut scanner = spelunk_io::scan(&cfg.data, opts).map_err(Failure::Input)?;
    let mut events = scanner.by_ref().map(|r| r.map(|eb| (eb.sourcetype, eb.batch)));
    let (batches, trace) = spelunk_exec::run(planner, &planned.plan, &mut events, &exec_opts).map_err(|e| match e {
        spelunk_exec::RunError::Input(e) => Failure::Input(e),
        spelunk_exec::RunError::Exec(e) => Failure::Exec(e),
    })?;
    Ok(Outcome { batches, stats: Some(scanner.stats().clone()), trace })
}
