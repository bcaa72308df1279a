//! Running SPL on Apache DataFusion.
//!
//! The path of a query: spelunk's [`LogicalPlan`] --[`lower::lower`]--> DataFusion logical
//! plan over the events table --DataFusion's optimizer and physical planner--> partitioned,
//! vectorized execution on every core, with memory accounted in a pool (`--memory-limit`).
//!
//! - [`schema`]: the table's one schema (the fields the plan needs, typed before reading) and
//!   how each scanned batch is made to fit it;
//! - [`lower`]: one arm per SPL command; what has no exact lowering yet is `Unsupported` and
//!   the query runs on the row engine (`crate::engine`) instead, so the answer never changes;
//! - [`udf`]: SPL's scalar semantics (search matching, eval, bin, convert, rex) as DataFusion
//!   scalar functions over whole arrays;
//! - [`udaf`]: SPL aggregations without an exact DataFusion twin (`values`, `dc` of
//!   multivalues) with mergeable states.
//!
//! The scan itself is spelunk-io's table source (`spelunk_io::table`): files and byte ranges
//! of big NDJSON files as partitions, projection and the raw-text prefilter applied while
//! reading; [`transform`] gives it the search-time fields (props.conf) and the schema fit.
//!
//! Adding a command: its parser rule (spelunk-syntax), its registry entry, its plan node
//! (spelunk-plan), one arm in [`lower::Lowering::command`] (a DataFusion node, or an extension
//! node of its own file), and a golden case in `tests/golden/<command>/`.

pub mod lower;
pub mod schema;
pub mod udaf;
pub mod udf;

use crate::ops::ExecError;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use spelunk_plan::{LogicalPlan, Planner};
use std::collections::BTreeSet;
use std::sync::Arc;

pub use lower::Unsupported;

/// What each scanned batch goes through before DataFusion sees it (spelunk-io's
/// `table::Transform`): `(sourcetype, batch)` to a batch of the table's schema.
pub type Transform = Arc<dyn Fn(&str, RecordBatch) -> Result<RecordBatch, String> + Send + Sync>;

/// How a DataFusion run is set up.
#[derive(Debug, Clone)]
pub struct DfOptions {
    /// Partitions (threads) to execute with.
    pub threads: usize,
    /// Memory the query's operators may hold (bytes); past it they spill or fail clearly.
    pub memory_limit: usize,
    /// The time the search runs (epoch seconds).
    pub now: f64,
    /// The time range, epoch seconds: `earliest <= _time < latest`.
    pub range: (Option<f64>, Option<f64>),
}

/// Default memory limit of a query's operators (`--memory-limit`): 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 2 << 30;

/// The batch transform for the scan: search-time fields of the batch's sourcetype (only the
/// ones the plan needs), then the table schema.
pub fn transform(planner: Arc<Planner>, plan: &LogicalPlan, schema: SchemaRef, now: f64) -> Transform {
    let wanted: Option<BTreeSet<String>> = match &plan.projection {
        spelunk_plan::Projection::All => None,
        spelunk_plan::Projection::Fields(f) => Some(f.clone()),
    };
    Arc::new(move |sourcetype: &str, batch: RecordBatch| {
        let mut batch = batch;
        if let Some(p) = planner.props.get(sourcetype) {
            let cx = crate::eval::EvalContext::new(now);
            batch = crate::props::apply(p, batch, wanted.as_ref(), &cx).map_err(|e| e.message)?;
        }
        schema::conform(&schema, &batch)
    })
}

/// Execute a plan over `table` (the events). `Ok(None)`: the plan is not lowered yet (the
/// caller runs the row engine).
pub fn execute(plan: &LogicalPlan, table: Arc<dyn TableProvider>, opts: &DfOptions) -> Result<Result<Vec<RecordBatch>, Unsupported>, ExecError> {
    let scan = LogicalPlanBuilder::scan("events", datafusion::datasource::provider_as_source(table), None).map_err(df_error)?;
    let lowered = match lower::lower(plan, scan, opts.range, opts.now) {
        Ok(p) => p,
        Err(u) => return Ok(Err(u)),
    };
    let ctx = context(opts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(opts.threads.max(1)).thread_stack_size(64 << 20).build().map_err(|e| ExecError::msg(format!("cannot start the engine's threads: {e}")))?;
    let batches = runtime.block_on(async move {
        let frame = ctx.execute_logical_plan(lowered).await?;
        frame.collect().await
    });
    batches.map(Ok).map_err(df_error)
}

fn context(opts: &DfOptions) -> Result<SessionContext, ExecError> {
    let config = SessionConfig::new().with_target_partitions(opts.threads.max(1)).with_batch_size(8192);
    let runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(FairSpillPool::new(opts.memory_limit))).build_arc().map_err(df_error)?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

fn df_error(e: datafusion::error::DataFusionError) -> ExecError {
    let text = e.to_string();
    if text.contains("Resources exhausted") || text.contains("ResourcesExhausted") {
        return ExecError::msg(format!("the query needs more memory than --memory-limit allows ({text}); raise --memory-limit or narrow the search"));
    }
    ExecError::msg(text)
}
