//! Running a planned query: events flow from the scan through search-time fields, the time
//! range, and the operator chain, one batch at a time.

use crate::columns::{build_f64, make_batch, BatchView};
use crate::eval::EvalContext;
use crate::ops::{self, ExecError, Operator};
use crate::time;
use crate::value::Value;
use arrow::array::BooleanArray;
use arrow::record_batch::RecordBatch;
use spelunk_plan::{AggFunc, LogicalPlan, Op, Planner, Projection, Source, StatsMode};
use spelunk_syntax::ast::Span;
use std::collections::BTreeSet;

/// What the engine needs besides the plan.
pub struct ExecOptions {
    /// The time the search runs (epoch seconds): `now()`, relative time modifiers, makeresults.
    pub now: f64,
    /// Extra time bounds from the command line, as modifiers (`-24h`, epoch, ...).
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Subsearch results and lookup tables the plan's `append`, `join`, `lookup` and
    /// `inputlookup` use, resolved by the caller before the run.
    pub inputs: crate::ops::combine::Inputs,
}

impl Default for ExecOptions {
    fn default() -> Self {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as f64).unwrap_or(0.0);
        ExecOptions { now, earliest: None, latest: None, inputs: Default::default() }
    }
}

/// Per-row statistics of one stage, for `explain --trace`.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub rows_in: u64,
    pub rows_after: Vec<u64>,
}

/// A query being executed: push event batches in, then finish to get the results.
pub struct Execution<'p> {
    planner: &'p Planner,
    plan: &'p LogicalPlan,
    ops: Vec<Box<dyn Operator>>,
    /// The command each operator runs (none for the planner's time ordering): errors without
    /// a place of their own point at it.
    spans: Vec<Option<Span>>,
    cx: EvalContext,
    wanted: Option<BTreeSet<String>>,
    range: (Option<f64>, Option<f64>),
    output: Vec<RecordBatch>,
    pub trace: Trace,
}

/// Where a plan can run in parallel partitions: the index of a `stats` that follows only
/// streaming commands and whose aggregations merge regardless of event order. Each partition
/// runs the commands before it and keeps partial aggregates, which are then merged.
pub fn parallel_split(plan: &LogicalPlan) -> Option<usize> {
    if plan.source != Source::Events || plan.time_sort_position().is_some() {
        return None;
    }
    for (i, n) in plan.nodes.iter().enumerate() {
        match &n.op {
            Op::Stats(s) if s.mode == StatsMode::Stats => {
                let order_free = s.aggs.iter().all(|a| !matches!(a.func, AggFunc::First | AggFunc::Last | AggFunc::List));
                return order_free.then_some(i);
            }
            op if op.is_streaming() => {}
            _ => return None,
        }
    }
    None
}

impl<'p> Execution<'p> {
    pub fn new(planner: &'p Planner, plan: &'p LogicalPlan, opts: &ExecOptions) -> Result<Self, ExecError> {
        Self::build(planner, plan, 0..plan.nodes.len(), true, opts)
    }

    /// The commands before `upto` only (a parallel partition's share of the plan).
    pub fn new_prefix(planner: &'p Planner, plan: &'p LogicalPlan, upto: usize, opts: &ExecOptions) -> Result<Self, ExecError> {
        Self::build(planner, plan, 0..upto.min(plan.nodes.len()), false, opts)
    }

    /// The commands from `from` on, fed with [`Execution::push`] (after merged partials).
    pub fn new_suffix(planner: &'p Planner, plan: &'p LogicalPlan, from: usize, opts: &ExecOptions) -> Result<Self, ExecError> {
        Self::build(planner, plan, from.min(plan.nodes.len())..plan.nodes.len(), false, opts)
    }

    /// Take the result batches produced so far (streaming prefixes produce as they go).
    pub fn take_output(&mut self) -> Vec<RecordBatch> {
        std::mem::take(&mut self.output)
    }

    /// The evaluation context (for partial aggregation by the caller).
    pub fn context(&self) -> &EvalContext {
        &self.cx
    }

    fn build(planner: &'p Planner, plan: &'p LogicalPlan, nodes: std::ops::Range<usize>, time_sort: bool, opts: &ExecOptions) -> Result<Self, ExecError> {
        let mut ops: Vec<Box<dyn Operator>> = Vec::new();
        let mut spans: Vec<Option<Span>> = Vec::new();
        for n in &plan.nodes[nodes] {
            spans.push(Some(n.span));
            ops.push(match ops::combine::build(n, &opts.inputs) {
                Some(op) => op?,
                None => ops::build(n),
            });
        }
        if time_sort {
            if let Some(pos) = plan.time_sort_position() {
                ops.insert(pos, Box::new(crate::ops::Blocking::new(crate::ops::text::TimeOrder)));
                spans.insert(pos, None);
            }
        }
        let resolve = |s: &Option<String>, name: &str| -> Result<Option<f64>, ExecError> {
            match s {
                None => Ok(None),
                Some(t) => time::relative_time(opts.now, t).map(Some).ok_or_else(|| ExecError::msg(format!("invalid {name} time `{t}`: expected -24h, -7d@d, @h, now, epoch seconds or %m/%d/%Y:%H:%M:%S"))),
            }
        };
        let mut earliest = resolve(&plan.time_range.earliest, "earliest")?;
        let mut latest = resolve(&plan.time_range.latest, "latest")?;
        if let Some(e) = resolve(&opts.earliest, "earliest")? {
            earliest = Some(earliest.map_or(e, |x: f64| x.max(e)));
        }
        if let Some(l) = resolve(&opts.latest, "latest")? {
            latest = Some(latest.map_or(l, |x: f64| x.min(l)));
        }
        let wanted = match &plan.projection {
            Projection::All => None,
            Projection::Fields(f) => Some(f.clone()),
        };
        let n = ops.len();
        let mut cx = EvalContext::new(opts.now);
        cx.time_range = (earliest, latest);
        Ok(Execution { planner, plan, ops, spans, cx, wanted, range: (earliest, latest), output: Vec::new(), trace: Trace { rows_in: 0, rows_after: vec![0; n] } })
    }

    /// The time range as epoch seconds (for pruning files and folders).
    pub fn time_range(&self) -> (Option<f64>, Option<f64>) {
        self.range
    }

    /// Events that the plan's source generates itself (makeresults), in slices of at most
    /// [`GENERATED_SLICE`] rows made on demand: memory is bounded by the slice, not the count.
    pub fn generated(&self) -> Option<Generated> {
        match self.plan.source {
            Source::MakeResults { count } => Some(Generated { left: count, now: self.cx.now.floor() }),
            Source::Events => None,
        }
    }

    /// Push one batch of scanned events.
    pub fn push_events(&mut self, sourcetype: &str, batch: RecordBatch) -> Result<(), ExecError> {
        let mut batch = batch;
        if let Some(p) = self.planner.props.get(sourcetype) {
            batch = crate::props::apply(p, batch, self.wanted.as_ref(), &self.cx)?;
        }
        if self.range.0.is_some() || self.range.1.is_some() {
            let view = BatchView::new(&batch);
            let mask: Vec<bool> = (0..batch.num_rows())
                .map(|r| {
                    let t = view.get("_time", r).as_f64();
                    match t {
                        Some(t) => self.range.0.is_none_or(|e| t >= e) && self.range.1.is_none_or(|l| t < l),
                        None => false,
                    }
                })
                .collect();
            batch = arrow::compute::filter_record_batch(&batch, &BooleanArray::from(mask)).map_err(ExecError::arrow)?;
        }
        self.push(batch)
    }

    /// Push a batch into the operator chain (after search-time fields).
    pub fn push(&mut self, batch: RecordBatch) -> Result<(), ExecError> {
        self.trace.rows_in += batch.num_rows() as u64;
        self.run_from(0, vec![batch])?;
        Ok(())
    }

    fn run_from(&mut self, start: usize, mut batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>, ExecError> {
        for i in start..self.ops.len() {
            let mut next = Vec::new();
            for b in batches {
                if b.num_rows() == 0 && i > 0 {
                    continue;
                }
                next.extend(self.ops[i].push(b, &self.cx).map_err(|e| self.at(i, e))?);
            }
            self.trace.rows_after[i] += next.iter().map(|b| b.num_rows() as u64).sum::<u64>();
            batches = next;
            if batches.is_empty() {
                break;
            }
        }
        if !batches.is_empty() {
            self.output.extend(batches.clone());
        }
        Ok(batches)
    }

    /// An operator's error without a place of its own points at the operator's command.
    fn at(&self, i: usize, mut e: ExecError) -> ExecError {
        e.span = e.span.or(self.spans.get(i).copied().flatten());
        e
    }

    /// Flush every blocking operator in order and return the results.
    pub fn finish(mut self) -> Result<(Vec<RecordBatch>, Trace), ExecError> {
        for i in 0..self.ops.len() {
            let out = self.ops[i].finish(&self.cx).map_err(|e| self.at(i, e))?;
            if out.is_empty() {
                continue;
            }
            self.trace.rows_after[i] += out.iter().map(|b| b.num_rows() as u64).sum::<u64>();
            if i + 1 < self.ops.len() {
                self.run_from(i + 1, out)?;
            } else {
                self.output.extend(out);
            }
        }
        let out = std::mem::take(&mut self.output).into_iter().filter(|b| b.num_rows() > 0).collect();
        Ok((out, self.trace))
    }
}

/// Run a plan over a stream of `(sourcetype, batch)` events (or its own generated events).
pub fn run<E>(
    planner: &Planner,
    plan: &LogicalPlan,
    events: &mut dyn Iterator<Item = Result<(String, RecordBatch), E>>,
    opts: &ExecOptions,
) -> Result<(Vec<RecordBatch>, Trace), RunError<E>> {
    let mut ex = Execution::new(planner, plan, opts).map_err(RunError::Exec)?;
    if let Some(slices) = ex.generated() {
        for b in slices {
            ex.push(b.map_err(RunError::Exec)?).map_err(RunError::Exec)?;
        }
    } else {
        for item in events {
            let (st, b) = item.map_err(RunError::Input)?;
            ex.push_events(&st, b).map_err(RunError::Exec)?;
        }
    }
    ex.finish().map_err(RunError::Exec)
}

/// Rows per slice of generated results.
pub const GENERATED_SLICE: usize = 8192;

/// The results of `makeresults`, made one slice at a time (see [`Execution::generated`]).
pub struct Generated {
    left: usize,
    now: f64,
}

impl Iterator for Generated {
    type Item = Result<RecordBatch, ExecError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let n = self.left.min(GENERATED_SLICE);
        self.left -= n;
        let t = vec![Value::number(self.now); n];
        Some(make_batch(vec![("_time".to_string(), build_f64(&t))], n).map_err(ExecError::arrow))
    }
}

/// Errors of a run: reading input, or executing.
#[derive(Debug)]
pub enum RunError<E> {
    Input(E),
    Exec(ExecError),
}

impl<E: std::fmt::Display> std::fmt::Display for RunError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Input(e) => write!(f, "{e}"),
            RunError::Exec(e) => write!(f, "{e}"),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for RunError<E> {}
