//! Running one planned query over data: builds the scan from the plan (projection, raw-text
//! prefilter), drives the engine, and collects the results and the scan statistics. The CLI's
//! `run`, the REPL and `explain --trace` all go through [`execute`].

use arrow::record_batch::RecordBatch;
use spelunk_exec::{ExecError, ExecOptions, Trace};
use spelunk_io::{EventBatch, IoError, ScanMonitor, ScanOptions, ScanStats};
use spelunk_plan::{Planned, Planner, Source};
use std::path::PathBuf;
use std::sync::Arc;

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
    /// Show a progress bar on stderr while scanning (the caller decides: see
    /// [`crate::progress::wanted`]).
    pub progress: bool,
    /// Progress counters and the cancellation flag the scan and the engine obey (a fresh one
    /// per run when `None`).
    pub monitor: Option<Arc<ScanMonitor>>,
    /// Events already in memory (the REPL's cache of `data`): read instead of the files.
    pub cached: Option<Arc<CachedEvents>>,
    /// Folders lookup table names resolve in (`--lookups`); empty: `./lookups` if it exists.
    pub lookups: Vec<PathBuf>,
    /// The time the search runs, when set by the caller (a subsearch runs at its parent's).
    pub now: Option<f64>,
    /// Which engine runs the query (`SPELUNK_ENGINE`; `explain --trace` asks for the row
    /// engine, whose per-stage counts it shows).
    pub engine: Engine,
    /// Memory the DataFusion engine's operators may hold, bytes (0: the default).
    pub memory_limit: usize,
}

/// The engine a query runs on while DataFusion takes over command by command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion when the plan is lowered, else the row engine (the default).
    #[default]
    Auto,
    /// Always the row engine.
    Row,
    /// DataFusion only: a plan that is not lowered yet is an error naming why.
    DataFusion,
}

impl Engine {
    /// From `SPELUNK_ENGINE` (`row`, `datafusion`, `auto`); `auto` when unset.
    pub fn from_env() -> Result<Engine, String> {
        match std::env::var("SPELUNK_ENGINE").as_deref() {
            Err(_) | Ok("") | Ok("auto") => Ok(Engine::Auto),
            Ok("row") => Ok(Engine::Row),
            Ok("datafusion") | Ok("df") => Ok(Engine::DataFusion),
            Ok(other) => Err(format!("SPELUNK_ENGINE={other}: expected row, datafusion or auto")),
        }
    }
}

/// Every event of the data, scanned once with all fields (no projection, no prefilter). Per
/// query, each batch is cut to what the query's scan would have read (its prefilter over `_raw`,
/// its projection), then search-time fields and the time range are applied by the engine,
/// exactly as for events fresh from a scan.
#[derive(Debug, Default)]
pub struct CachedEvents {
    pub batches: Vec<EventBatch>,
    /// The statistics of the scan that filled the cache.
    pub stats: ScanStats,
    /// Arrow memory of the batches, in bytes.
    pub memory: usize,
}

/// The most Arrow memory events read once may take: 1 GiB, or `SPELUNK_CACHE_MB` mebibytes
/// (0: never keep them).
pub fn cache_cap() -> usize {
    std::env::var("SPELUNK_CACHE_MB").ok().and_then(|v| v.trim().parse::<usize>().ok()).map_or(CACHE_CAP, |mb| mb.saturating_mul(1 << 20))
}

/// The default of [`cache_cap`], in bytes of Arrow memory.
pub const CACHE_CAP: usize = 1 << 30;

/// `1.5 MiB`.
pub fn mib(bytes: usize) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// How to read all of the data once ([`load_events`]).
pub struct LoadConfig<'a> {
    pub data: &'a [PathBuf],
    pub sourcetype: Option<String>,
    pub strict: bool,
    /// The most Arrow memory the kept events may take (0: keep nothing).
    pub cap: usize,
    pub progress: bool,
    pub monitor: Arc<ScanMonitor>,
    /// Read everything even past `cap` (the REPL catalogues every field); otherwise reading
    /// stops at the cap, and does not start when the plain files alone are larger.
    pub whole: bool,
    /// Files wholly outside this time range (epoch seconds) are not read (S3-layout CloudTrail).
    pub range: (Option<f64>, Option<f64>),
    /// Reader threads, for a batch run's read (`whole` reads stay on one thread).
    pub threads: usize,
    /// The fields to extract: everything for the REPL (any query may come), the union of the
    /// queries' needs for a batch run ([`shared_scan`]).
    pub projection: spelunk_io::Projection,
    /// Records whose raw text fails this are not parsed (empty: none skipped).
    pub prefilter: Vec<Vec<String>>,
}

/// The most term groups a combined prefilter may have before it is dropped (the OR of several
/// queries' prefilters multiplies their groups).
const SHARED_PREFILTER_GROUPS: usize = 64;

/// What one read of the data must give so that every one of these queries can run over it: the
/// union of the fields their scans would extract (with `_raw` when a query prefilters on it:
/// each query's own prefilter is applied to the kept events, [`as_scanned`]) and a prefilter
/// letting through every record any of them wants (the OR of theirs; none when one of them
/// has none). Queries with subsearches get everything: the subsearches' needs are not
/// summarised here.
pub fn shared_scan(planner: &Planner, planned: &[&Planned]) -> (spelunk_io::Projection, Vec<Vec<String>>) {
    let everything = (spelunk_io::Projection::All, Vec::new());
    let readers: Vec<&&Planned> = planned.iter().filter(|p| p.plan.source == Source::Events).collect();
    if readers.is_empty() || planned.iter().any(|p| p.plan.nodes.iter().any(|n| n.op.subsearch().is_some())) {
        return everything;
    }
    let mut fields = std::collections::BTreeSet::new();
    let mut all = false;
    for p in &readers {
        match planner.scan_fields_any(&p.plan.projection) {
            spelunk_plan::Projection::All => all = true,
            spelunk_plan::Projection::Fields(f) => fields.extend(f),
        }
    }
    if readers.iter().any(|p| !p.prefilter.is_empty()) {
        fields.insert("_raw".to_string());
    }
    let projection = if all { spelunk_io::Projection::All } else { spelunk_io::Projection::Fields(fields) };
    // (A1 and A2) or (B1) = (A1 or B1) and (A2 or B1): every pair of groups, their terms merged
    let mut prefilter: Vec<Vec<String>> = Vec::new();
    for (i, p) in readers.iter().enumerate() {
        if p.prefilter.is_empty() {
            return (projection, Vec::new());
        }
        if i == 0 {
            prefilter = p.prefilter.clone();
            continue;
        }
        let mut next = Vec::new();
        for a in &prefilter {
            for b in &p.prefilter {
                let mut g = a.clone();
                g.extend(b.iter().filter(|t| !a.contains(t)).cloned());
                next.push(g);
            }
        }
        if next.len() > SHARED_PREFILTER_GROUPS {
            return (projection, Vec::new());
        }
        prefilter = next;
    }
    (projection, prefilter)
}

/// What reading all of the data once gave.
pub struct Loaded {
    /// The events, when they fit in the memory limit.
    pub cache: Option<CachedEvents>,
    /// Why they are not in memory (`None` when they are).
    pub note: Option<String>,
    pub stats: ScanStats,
    /// Files found.
    pub files: usize,
}

/// Read every event of the data once, with the fields and prefilter of `cfg`, keeping
/// the batches in memory while they take at most `cfg.cap` bytes; `each` sees every batch
/// read. The REPL's `.load` and `run` with several queries (or subsearches) read through this.
pub fn load_events(cfg: &LoadConfig, mut each: impl FnMut(&EventBatch) -> Result<(), String>) -> Result<Loaded, String> {
    let (files, walk_stats) = spelunk_io::list_files(cfg.data).map_err(|e| e.to_string())?;
    let (files, pruned) = spelunk_io::prune_by_time(files, cfg.range.0, cfg.range.1);
    let nfiles = files.len();
    let over = |what: String| format!("{what} more than {} of memory: not kept, each query reads the files (SPELUNK_CACHE_MB raises the limit)", mib(cfg.cap));
    let off = (cfg.cap == 0).then(|| "keeping events in memory is off (SPELUNK_CACHE_MB=0): each query reads the files".to_string());
    if off.is_some() && !cfg.whole {
        return Ok(Loaded { cache: None, note: off, stats: walk_stats, files: nfiles });
    }
    if !cfg.whole && cfg.prefilter.is_empty() && cfg.projection == spelunk_io::Projection::All {
        // Arrow memory is at least the size of the text it holds: plain files larger than the
        // limit cannot fit whole, whatever their compressed neighbours hold
        let plain: u64 = files.iter().filter(|f| !f.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))).filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        if plain > cfg.cap as u64 {
            return Ok(Loaded { cache: None, note: Some(over(format!("the files hold {},", mib(plain as usize)))), stats: walk_stats, files: nfiles });
        }
    }
    let _progress = crate::progress::Progress::start(cfg.progress, "load", crate::progress::total_bytes(&files), cfg.monitor.clone());
    let opts = ScanOptions {
        projection: cfg.projection.clone(),
        raw_prefilter: cfg.prefilter.clone(),
        sourcetype: cfg.sourcetype.clone(),
        host: hostname(),
        monitor: Some(cfg.monitor.clone()),
        strict: cfg.strict,
        ..Default::default()
    };
    if cfg.strict {
        // unreadable entries met while walking the folders fail a strict read
        if let Some(w) = walk_stats.warnings.first() {
            return Err(w.to_string());
        }
    }
    if !cfg.whole && cfg.threads > 1 {
        return load_in_parallel(cfg, &files, opts, walk_stats, pruned, over);
    }
    let units = files.into_iter().map(|path| spelunk_io::WorkUnit { path, range: None }).collect();
    let mut scanner = spelunk_io::scan_units(units, opts);
    let mut kept: Option<Vec<EventBatch>> = (cfg.cap > 0).then(Vec::new);
    let mut memory = 0usize;
    let mut note = off;
    for eb in scanner.by_ref() {
        let eb = eb.map_err(|e| e.to_string())?;
        if let Some(k) = kept.as_mut() {
            memory += eb.batch.get_array_memory_size();
            if memory > cfg.cap {
                kept = None;
                note = Some(over("the events take".to_string()));
                if !cfg.whole {
                    return Ok(Loaded { cache: None, note, stats: walk_stats, files: nfiles });
                }
            } else {
                k.push(eb.clone());
            }
        }
        each(&eb)?;
    }
    let mut stats = walk_stats;
    stats.merge(scanner.stats().clone());
    stats.files_pruned += pruned;
    let cache = kept.map(|batches| CachedEvents { batches, stats: stats.clone(), memory });
    Ok(Loaded { cache, note, stats, files: nfiles })
}

/// [`load_events`] for a batch run on several cores: `threads` workers read the work units
/// (files, and byte ranges of big NDJSON files), the batches are put back in the units' order
/// (the order one reader gives), and reading stops on every worker once the kept events pass
/// the memory cap.
fn load_in_parallel(cfg: &LoadConfig, files: &[PathBuf], opts: ScanOptions, walk_stats: ScanStats, pruned: usize, over: impl Fn(String) -> String) -> Result<Loaded, String> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let nfiles = files.len();
    let units = spelunk_io::plan_units(files, CHUNK_BYTES);
    let (next, memory, full) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicBool::new(false));
    type Part = (usize, Vec<EventBatch>, ScanStats);
    let parts: Vec<Result<Vec<Part>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cfg.threads.min(units.len()).max(1))
            .map(|_| {
                std::thread::Builder::new().name("spelunk-load".into()).stack_size(WORKER_STACK).spawn_scoped(scope, || -> Result<Vec<Part>, String> {
                    let mut mine = Vec::new();
                    while !full.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(unit) = units.get(i) else { break };
                        let mut scanner = spelunk_io::scan_units(vec![unit.clone()], opts.clone());
                        let mut batches = Vec::new();
                        for eb in scanner.by_ref() {
                            let eb = eb.map_err(|e| e.to_string())?;
                            if memory.fetch_add(eb.batch.get_array_memory_size(), Ordering::Relaxed) + eb.batch.get_array_memory_size() > cfg.cap {
                                full.store(true, Ordering::Relaxed);
                                break;
                            }
                            batches.push(eb);
                        }
                        mine.push((i, batches, scanner.stats().clone()));
                    }
                    Ok(mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|_| Err("a reader thread panicked".to_string())),
                Err(e) => Err(format!("cannot start a reader thread: {e}")),
            })
            .collect()
    });
    let mut all: Vec<Part> = Vec::new();
    for p in parts {
        all.extend(p?);
    }
    all.sort_by_key(|(i, _, _)| *i);
    let mut stats = walk_stats;
    let mut batches = Vec::new();
    for (_, b, st) in all {
        stats.merge(st);
        batches.extend(b);
    }
    stats.files_pruned += pruned;
    let memory = memory.into_inner();
    if full.into_inner() {
        return Ok(Loaded { cache: None, note: Some(over("the events take".to_string())), stats, files: nfiles });
    }
    let cache = CachedEvents { batches, stats: stats.clone(), memory };
    Ok(Loaded { cache: Some(cache), note: None, stats, files: nfiles })
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
    /// Stopped through the run's [`ScanMonitor`] (Ctrl-C in the REPL).
    Cancelled,
}

/// A scan error as a failure (a cancelled scan is a cancelled query).
fn input_failure(e: IoError) -> Failure {
    match e {
        IoError::Cancelled => Failure::Cancelled,
        e => Failure::Input(e),
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoData => write!(f, "no data: give --data PATH (a file or folder of logs)"),
            Failure::Input(e) => write!(f, "{e}"),
            Failure::Exec(e) => write!(f, "{e}"),
            Failure::Cancelled => write!(f, "query cancelled"),
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

/// The threads to use: `requested` (`--threads`), else `SPELUNK_THREADS` (benchmarks compare 1
/// and N threads with it), else one per core.
pub fn thread_count(requested: usize) -> usize {
    match requested {
        0 => std::env::var("SPELUNK_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
        n => n,
    }
}

/// Run a planned query.
pub fn execute(planner: &Planner, planned: &Planned, cfg: &RunConfig) -> Result<Outcome, Failure> {
    let mut exec_opts = ExecOptions { earliest: cfg.earliest.clone(), latest: cfg.latest.clone(), ..ExecOptions::default() };
    exec_opts.now = cfg.now.unwrap_or(exec_opts.now);
    // subsearch results and lookup tables, before the main search (as Splunk runs subsearches first)
    exec_opts.inputs = crate::resolve::inputs(planner, planned, cfg, exec_opts.now)?;
    let monitor = cfg.monitor.clone().unwrap_or_default();
    if planned.plan.source != Source::Events {
        let mut ex = spelunk_exec::Execution::new(planner, &planned.plan, &exec_opts).map_err(Failure::Exec)?;
        if let Some(slices) = ex.generated() {
            // slice by slice, so that a cancel (Ctrl-C in the REPL) is seen between them
            for b in slices {
                if monitor.is_cancelled() {
                    return Err(Failure::Cancelled);
                }
                ex.push(b.map_err(Failure::Exec)?).map_err(Failure::Exec)?;
            }
        }
        let (batches, trace) = ex.finish().map_err(Failure::Exec)?;
        return Ok(Outcome { batches, stats: None, trace });
    }
    if cfg.data.is_empty() {
        return Err(Failure::NoData);
    }
    let threads = thread_count(cfg.threads);
    if let Some(cache) = &cfg.cached {
        return execute_cached(planner, planned, cache, &exec_opts, &monitor, threads);
    }
    let mut opts = scan_options(planner, planned, cfg);
    opts.monitor = Some(monitor.clone());
    let engine = if cfg.engine == Engine::Auto { Engine::from_env().map_err(|e| Failure::Exec(ExecError::msg(e)))? } else { cfg.engine };
    if engine != Engine::Row {
        match execute_df(planner, planned, cfg, opts.clone(), &exec_opts, threads)? {
            Ok(outcome) => return Ok(outcome),
            Err(why) if engine == Engine::DataFusion => return Err(Failure::Exec(ExecError::msg(format!("not run on DataFusion yet: {why}")))),
            Err(_) => {}
        }
    }
    if threads > 1 {
        if let Some(k) = spelunk_exec::engine::parallel_split(&planned.plan) {
            return execute_parallel(planner, planned, cfg, opts, &exec_opts, k, threads);
        }
    }
    let (files, walk_stats) = input_files(planned, cfg, &exec_opts)?;
    let _progress = crate::progress::Progress::start(cfg.progress, "scan", crate::progress::total_bytes(&files), monitor.clone());
    let units = files.into_iter().map(|path| spelunk_io::WorkUnit { path, range: None }).collect();
    let mut scanner = spelunk_io::scan_units(units, opts);
    let mut events = scanner.by_ref().map(|r| r.map(|eb| (eb.sourcetype, eb.batch)));
    let (batches, trace) = spelunk_exec::run(planner, &planned.plan, &mut events, &exec_opts).map_err(|e| match e {
        spelunk_exec::RunError::Input(e) => input_failure(e),
        spelunk_exec::RunError::Exec(e) => Failure::Exec(e),
    })?;
    if monitor.is_cancelled() {
        return Err(Failure::Cancelled);
    }
    let mut stats = walk_stats;
    stats.merge(scanner.stats().clone());
    Ok(Outcome { batches, stats: Some(stats), trace })
}

/// Run a planned query on DataFusion over a scan of the files; `Ok(Err(why))` when the plan is
/// not lowered yet (nothing has been read then).
fn execute_df(planner: &Planner, planned: &Planned, cfg: &RunConfig, opts: ScanOptions, exec_opts: &ExecOptions, threads: usize) -> Result<Result<Outcome, String>, Failure> {
    use spelunk_exec::df;
    let plan = &planned.plan;
    if let Err(u) = df::lower::check(plan) {
        return Ok(Err(u.0));
    }
    let Some(schema) = df::schema::scan_schema(planner, &plan.projection) else { return Ok(Err("the query needs every field".into())) };
    let range = spelunk_exec::Execution::new(planner, plan, exec_opts).map_err(Failure::Exec)?.time_range();
    let (files, walk_stats) = input_files(planned, cfg, exec_opts)?;
    let monitor = opts.monitor.clone().unwrap_or_default();
    let _progress = crate::progress::Progress::start(cfg.progress, "scan", crate::progress::total_bytes(&files), monitor.clone());
    let units = spelunk_io::plan_units(&files, CHUNK_BYTES);
    let transform = df::transform(Arc::new(planner.clone()), plan, schema.clone(), exec_opts.now);
    let (table, source) = spelunk_io::table::event_table(schema, units, opts, transform, threads).map_err(|e| Failure::Exec(ExecError::msg(e.to_string())))?;
    let memory_limit = if cfg.memory_limit == 0 { df::DEFAULT_MEMORY_LIMIT } else { cfg.memory_limit };
    let dopts = df::DfOptions { threads, memory_limit, now: exec_opts.now, range };
    let result = df::execute(plan, table, &dopts);
    if let Some(e) = source.take_error() {
        return Err(input_failure(e));
    }
    if monitor.is_cancelled() {
        return Err(Failure::Cancelled);
    }
    let batches = match result.map_err(Failure::Exec)? {
        Ok(b) => b,
        Err(u) => return Ok(Err(u.0)),
    };
    let mut stats = walk_stats;
    stats.merge(source.stats());
    let trace = Trace { rows_in: stats.events_read, rows_after: vec![0; plan.nodes.len()] };
    Ok(Ok(Outcome { batches: batches.into_iter().filter(|b| b.num_rows() > 0).collect(), stats: Some(stats), trace }))
}

/// Run a planned query over the cached events (checking for cancellation between batches).
/// Each batch is first cut down as the scan would have read it: rows whose `_raw` lacks the
/// plan's prefilter terms dropped, columns the plan does not need dropped; the engine then
/// applies search-time fields and the time range as for a fresh scan.
fn execute_cached(planner: &Planner, planned: &Planned, cache: &CachedEvents, exec_opts: &ExecOptions, monitor: &ScanMonitor, threads: usize) -> Result<Outcome, Failure> {
    use std::sync::atomic::Ordering;
    let projection = match planner.scan_fields_any(&planned.plan.projection) {
        spelunk_plan::Projection::All => None,
        spelunk_plan::Projection::Fields(f) => Some(f),
    };
    let prefilter = spelunk_io::Prefilter::new(&planned.prefilter);
    // an aggregation that merges regardless of event order: the kept batches split across cores
    if let Some(k) = spelunk_exec::engine::parallel_split(&planned.plan).filter(|_| threads > 1 && cache.batches.len() > 1) {
        let feed = |i: usize, push: &mut dyn FnMut(&str, RecordBatch) -> Result<(), Failure>| -> Result<Option<ScanStats>, Failure> {
            let Some(eb) = cache.batches.get(i) else { return Ok(None) };
            monitor.events.fetch_add(eb.batch.num_rows() as u64, Ordering::Relaxed);
            let b = as_scanned(&eb.batch, projection.as_ref(), prefilter.as_ref()).map_err(|e| Failure::Exec(ExecError::arrow(e)))?;
            let prefiltered = (eb.batch.num_rows() - b.num_rows()) as u64;
            if b.num_rows() > 0 {
                push(&eb.sourcetype, b)?;
            }
            Ok(Some(ScanStats { prefiltered, ..ScanStats::default() }))
        };
        let (batches, trace, read) = aggregate_in_parallel(planner, &planned.plan, exec_opts, k, threads.min(cache.batches.len()), monitor, &feed)?;
        let stats = ScanStats { warnings: Vec::new(), skipped: Default::default(), prefiltered: read.prefiltered, ..cache.stats.clone() };
        return Ok(Outcome { batches, stats: Some(stats), trace });
    }
    let mut prefiltered = 0u64;
    let mut events = cache.batches.iter().filter_map(|eb| {
        if monitor.is_cancelled() {
            return Some(Err(Failure::Cancelled));
        }
        monitor.events.fetch_add(eb.batch.num_rows() as u64, Ordering::Relaxed);
        match as_scanned(&eb.batch, projection.as_ref(), prefilter.as_ref()) {
            Ok(b) => {
                prefiltered += (eb.batch.num_rows() - b.num_rows()) as u64;
                // a scan yields no empty batches
                (b.num_rows() > 0).then(|| Ok((eb.sourcetype.clone(), b)))
            }
            Err(e) => Some(Err(Failure::Exec(ExecError::arrow(e)))),
        }
    });
    let (batches, trace) = spelunk_exec::run(planner, &planned.plan, &mut events, exec_opts).map_err(|e| match e {
        spelunk_exec::RunError::Input(f) => f,
        spelunk_exec::RunError::Exec(e) => Failure::Exec(e),
    })?;
    if monitor.is_cancelled() {
        return Err(Failure::Cancelled);
    }
    // the load's counts; its warnings were shown when it ran
    let stats = ScanStats { warnings: Vec::new(), skipped: Default::default(), prefiltered, ..cache.stats.clone() };
    Ok(Outcome { batches, stats: Some(stats), trace })
}

/// A cached batch as a scan with this projection and prefilter would have produced it.
fn as_scanned(batch: &RecordBatch, fields: Option<&std::collections::BTreeSet<String>>, prefilter: Option<&spelunk_io::Prefilter>) -> Result<RecordBatch, arrow::error::ArrowError> {
    use arrow::array::{Array, AsArray, BooleanArray};
    let schema = batch.schema();
    let wanted = |name: &str| fields.is_none_or(|f| f.contains(name));
    // the needed columns, and `_raw` while the prefilter needs it
    let keep: Vec<usize> = (0..schema.fields().len()).filter(|i| wanted(schema.field(*i).name()) || (prefilter.is_some() && schema.field(*i).name() == "_raw")).collect();
    let mut b = if keep.len() == schema.fields().len() { batch.clone() } else { batch.project(&keep)? };
    if let Some(p) = prefilter {
        if let Some(raw) = b.column_by_name("_raw").and_then(|c| c.as_string_opt::<i32>()) {
            let mask: BooleanArray = (0..raw.len()).map(|i| Some(!raw.is_null(i) && p.is_match(raw.value(i).as_bytes()))).collect();
            b = arrow::compute::filter_record_batch(&b, &mask)?;
        }
        if !wanted("_raw") {
            if let Ok(i) = b.schema().index_of("_raw") {
                let rest: Vec<usize> = (0..b.num_columns()).filter(|j| *j != i).collect();
                b = b.project(&rest)?;
            }
        }
    }
    Ok(b)
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

/// Stack size of the parallel scan workers: they evaluate expressions, which may nest up to the
/// parser's limit (`spelunk_syntax::parser::MAX_DEPTH`) through every precedence level at each
/// level; an unoptimised build's frames make that more than the default 2 MB. (Long flat chains
/// such as `1+1+...+1` are evaluated in a loop and need no stack.)
const WORKER_STACK: usize = 64 << 20;

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
    let (files, mut stats) = input_files(planned, cfg, exec_opts)?;
    let monitor = opts.monitor.clone().unwrap_or_default();
    let _progress = crate::progress::Progress::start(cfg.progress, "scan", crate::progress::total_bytes(&files), monitor.clone());
    let units = spelunk_io::plan_units(&files, CHUNK_BYTES);
    let feed = |i: usize, push: &mut dyn FnMut(&str, RecordBatch) -> Result<(), Failure>| -> Result<Option<ScanStats>, Failure> {
        let Some(unit) = units.get(i) else { return Ok(None) };
        let mut scanner = spelunk_io::scan_units(vec![unit.clone()], opts.clone());
        for eb in scanner.by_ref() {
            let eb = eb.map_err(input_failure)?;
            push(&eb.sourcetype, eb.batch)?;
        }
        Ok(Some(scanner.stats().clone()))
    };
    let (batches, trace, read) = aggregate_in_parallel(planner, &planned.plan, exec_opts, k, threads.min(units.len()).max(1), &monitor, &feed)?;
    stats.merge(read);
    Ok(Outcome { batches, stats: Some(stats), trace })
}

/// Work unit `i` of a parallel run: its event batches pushed (sourcetype, batch), its scan
/// statistics returned; `None` past the last unit.
type Feed<'a> = dyn Fn(usize, &mut dyn FnMut(&str, RecordBatch) -> Result<(), Failure>) -> Result<Option<ScanStats>, Failure> + Sync + 'a;

/// The parallel half of a plan split at its `stats` (index `k`): `threads` workers take work
/// units by index from `feed` (which pushes each unit's event batches and returns its scan
/// statistics, or `None` past the last unit), run the commands before `k` and aggregate
/// partially; the partials are merged and the rest of the plan runs on the merged table.
fn aggregate_in_parallel(
    planner: &Planner,
    plan: &spelunk_plan::LogicalPlan,
    exec_opts: &ExecOptions,
    k: usize,
    threads: usize,
    monitor: &ScanMonitor,
    feed: &Feed,
) -> Result<(Vec<RecordBatch>, Trace, ScanStats), Failure> {
    use spelunk_exec::ops::stats::Groups;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let spelunk_plan::Op::Stats(spec) = &plan.nodes[k].op else {
        return Err(Failure::Exec(ExecError::msg("internal: parallel split is not at a stats command")));
    };
    // errors of the stats itself point at the stats command
    let stats_span = plan.nodes[k].span;
    let at_stats = |mut e: ExecError| {
        e.span = e.span.or(Some(stats_span));
        Failure::Exec(e)
    };
    let next = AtomicUsize::new(0);
    let results: Vec<Result<(Groups, ScanStats, u64), Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                std::thread::Builder::new().name("spelunk-worker".into()).stack_size(WORKER_STACK).spawn_scoped(scope, || -> Result<(Groups, ScanStats, u64), Failure> {
                    let mut ex = spelunk_exec::Execution::new_prefix(planner, plan, k, exec_opts).map_err(Failure::Exec)?;
                    let mut groups = Groups::default();
                    let mut stats = ScanStats::default();
                    let mut rows = 0u64;
                    loop {
                        if monitor.is_cancelled() {
                            return Err(Failure::Cancelled);
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let mut push = |sourcetype: &str, batch: RecordBatch| -> Result<(), Failure> {
                            ex.push_events(sourcetype, batch).map_err(Failure::Exec)?;
                            for b in ex.take_output() {
                                rows += b.num_rows() as u64;
                                groups.update_batch(spec, &b, ex.context()).map_err(at_stats)?;
                            }
                            Ok(())
                        };
                        match feed(i, &mut push)? {
                            Some(st) => stats.merge(st),
                            None => break,
                        }
                    }
                    let cx = spelunk_exec::eval::EvalContext::new(exec_opts.now);
                    let (rest, _) = ex.finish().map_err(Failure::Exec)?;
                    for b in rest {
                        rows += b.num_rows() as u64;
                        groups.update_batch(spec, &b, &cx).map_err(at_stats)?;
                    }
                    Ok((groups, stats, rows))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|_| Err(Failure::Exec(ExecError::msg("a worker thread panicked")))),
                Err(e) => Err(Failure::Exec(ExecError::msg(format!("cannot start a worker thread: {e}")))),
            })
            .collect()
    });
    let mut merged = Groups::default();
    let mut stats = ScanStats::default();
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
    Ok((batches, trace, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(planner: &Planner, q: &str) -> Planned {
        planner.plan(q).unwrap_or_else(|e| panic!("{q}: {}", e.error.message))
    }

    /// `makeresults` rows reach the pipeline in slices: the results are those of one batch, and
    /// a cancel (Ctrl-C in the REPL) is seen between slices.
    #[test]
    fn generated_rows_go_in_slices_and_can_be_cancelled() {
        let planner = Planner::builtin().expect("built-in configuration");
        let q = planned(&planner, "| makeresults count=20000 | streamstats count as n | stats max(n) as top, count");
        let out = execute(&planner, &q, &RunConfig::default()).expect("runs");
        let b = &out.batches[0];
        assert_eq!(spelunk_exec::columns::value_at(b.column(0).as_ref(), 0).as_f64(), Some(20000.0));
        let monitor = Arc::new(ScanMonitor::default());
        monitor.cancel();
        let cfg = RunConfig { monitor: Some(monitor), ..Default::default() };
        assert!(matches!(execute(&planner, &q, &cfg), Err(Failure::Cancelled)));
    }

    /// One read for several queries extracts what any of them needs and skips only the records
    /// none of them wants.
    #[test]
    fn a_shared_read_unites_fields_and_ors_prefilters() {
        let planner = Planner::builtin().expect("built-in configuration");
        let a = planned(&planner, "errorCode=AccessDenied | stats count by user_name");
        let b = planned(&planner, "eventName=GetUser userAgent=aws-cli* | table eventName");
        let (projection, prefilter) = shared_scan(&planner, &[&a, &b]);
        let spelunk_io::Projection::Fields(f) = projection else { panic!("all fields") };
        for name in ["errorCode", "user_name", "eventName", "userAgent", "_raw"] {
            assert!(f.contains(name), "{name} in {f:?}");
        }
        // (AccessDenied) or (GetUser and aws-cli*...): every pair of groups merged
        assert!(!prefilter.is_empty());
        for g in &prefilter {
            assert!(g.iter().any(|t| t.eq_ignore_ascii_case("AccessDenied")), "{prefilter:?}");
        }
        // a query without a prefilter lets every record through
        let c = planned(&planner, "* | stats count");
        assert!(shared_scan(&planner, &[&a, &c]).1.is_empty());
        // a subsearch's needs are not summarised: everything is read
        let d = planned(&planner, "a | append [search b]");
        assert!(matches!(shared_scan(&planner, &[&a, &d]), (spelunk_io::Projection::All, p) if p.is_empty()));
    }
}
