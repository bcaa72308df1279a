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
    let threads = match cfg.threads {
        // SPELUNK_THREADS sets the default (benchmarks compare 1 and N threads with it)
        0 => std::env::var("SPELUNK_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
        n => n,
    };
    if threads > 1 {
        if let Some(k) = spelunk_exec::engine::parallel_split(&planned.plan) {
            return execute_parallel(planner, planned, cfg, opts, &exec_opts, k, threads);
        }
    }
    let (files, walk_stats) = input_files(planned, cfg, &exec_opts)?;
    let units = files.into_iter().map(|path| spelunk_io::WorkUnit { path, range: None }).collect();
    let mut scanner = spelunk_io::scan_units(units, opts);
    let mut events = scanner.by_ref().map(|r| r.map(|eb| (eb.sourcetype, eb.batch)));
    let (batches, trace) = spelunk_exec::run(planner, &planned.plan, &mut events, &exec_opts).map_err(|e| match e {
        spelunk_exec::RunError::Input(e) => Failure::Input(e),
        spelunk_exec::RunError::Exec(e) => Failure::Exec(e),
    })?;
    let mut stats = walk_stats;
    stats.merge(scanner.stats().clone());
    Ok(Outcome { batches, stats: Some(stats), trace })
}

/// The files to read: the `--data` paths walked, minus S3-layout CloudTrail files that lie
/// wholly outside the query's time range (`earliest=`/`latest=` or `--earliest`/`--latest`).
fn input_files(planned: &Planned, cfg: &RunConfig, exec_opts: &ExecOptions) -> Result<(Vec<PathBuf>, ScanStats), Failure> {
    let (files, mut stats) = spelunk_io::list_files(&cfg.data).map_err(Failure::Input)?;
    let resolve = |a: &Option<String>, b: &Option<String>, pick: fn(f64, f64) -> f64| {
        let r = |s: &Option<String>| s.as_ref().and_then(|t| spelunk_exec::time::relative_time(exec_opts.now, t));
        match (r(a), r(b)) {
            (Some(x), Some(y)) => Some(pick(x, y)),
            (x, y) => x.or(y),
        }
    };
    let earliest = resolve(&planned.plan.time_range.earliest, &cfg.earliest, f64::max);
    let latest = resolve(&planned.plan.time_range.latest, &cfg.latest, f64::min);
    let (kept, pruned) = spelunk_io::prune_by_time(files, earliest, latest);
    stats.files_pruned = pruned;
    Ok((kept, stats))
}

/// Bytes per work unit when a big plain NDJSON file is split for parallel scanning.
const CHUNK_BYTES: u64 = 32 << 20;

/// Partitions of the input run the streaming commands before the plan's `stats` (index `k`)
/// and aggregate partially on their own thread; the partial aggregates are merged, and the rest
/// of the plan runs on the merged result. Memory per thread: one batch plus its groups.
fn execute_parallel(
    planner: &Planner,
    planned: &Planned,
    cfg: &RunConfig,
    opts: ScanOptions,
    exec_opts: &ExecOptions,
    k: usize,
    threads: usize,
) -> Result<Outcome, Failure> {
    use spelunk_exec::ops::stats::Groups;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let plan = &planned.plan;
    let spelunk_plan::Op::Stats(spec) = &plan.nodes[k].op else {
        return Err(Failure::Exec(ExecError::msg("internal: parallel split is not at a stats command")));
    };
    let (files, mut stats) = input_files(planned, cfg, exec_opts)?;
    let units = spelunk_io::plan_units(&files, CHUNK_BYTES);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<(Groups, ScanStats, u64), Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(units.len()).max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(Groups, ScanStats, u64), Failure> {
                    let mut ex = spelunk_exec::Execution::new_prefix(planner, plan, k, exec_opts).map_err(Failure::Exec)?;
                    let mut groups = Groups::default();
                    let mut stats = ScanStats::default();
                    let mut rows = 0u64;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(unit) = units.get(i) else { break };
                        let mut scanner = spelunk_io::scan_units(vec![unit.clone()], opts.clone());
                        for eb in scanner.by_ref() {
                            let eb = eb.map_err(Failure::Input)?;
                            ex.push_events(&eb.sourcetype, eb.batch).map_err(Failure::Exec)?;
                            for b in ex.take_output() {
                                rows += b.num_rows() as u64;
                                groups.update_batch(spec, &b, ex.context()).map_err(Failure::Exec)?;
                            }
                        }
                        stats.merge(scanner.stats().clone());
                    }
                    let cx = spelunk_exec::eval::EvalContext::new(exec_opts.now);
                    let (rest, _) = ex.finish().map_err(Failure::Exec)?;
                    for b in rest {
                        rows += b.num_rows() as u64;
                        groups.update_batch(spec, &b, &cx).map_err(Failure::Exec)?;
                    }
                    Ok((groups, stats, rows))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(Failure::Exec(ExecError::msg("a worker thread panicked"))))).collect()
    });
    let mut merged = Groups::default();
    let mut rows_in = 0;
    for r in results {
        let (g, st, rows) = r?;
        merged.merge(g);
        stats.merge(st);
        rows_in += rows;
    }
    let table = merged.finish(spec).map_err(Failure::Exec)?;
    let mut ex = spelunk_exec::Execution::new_suffix(planner, plan, k + 1, exec_opts).map_err(Failure::Exec)?;
    ex.push(table).map_err(Failure::Exec)?;
    let (batches, mut trace) = ex.finish().map_err(Failure::Exec)?;
    trace.rows_in = rows_in;
    Ok(Outcome { batches, stats: Some(stats), trace })
}
