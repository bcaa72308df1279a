//! `spelunk explain` (and the REPL's `.explain`): the query with its macros expanded, each
//! expansion with the macro it came from, the logical plan one operator a line, the rewrites;
//! with `--trace`, the row count after every stage of a real run.

use spelunk_exec::Trace;
use spelunk_plan::{Planned, Source};
use std::fmt::Write;

/// The explanation of a planned query (no data needed).
pub fn render(planned: &Planned) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== query (macros expanded)\n{}\n", planned.expanded.text.trim());
    if !planned.expanded.expansions.is_empty() {
        let _ = writeln!(s, "== macros");
        for e in &planned.expanded.expansions {
            let _ = writeln!(s, "{}`{}` -> {}", "  ".repeat(e.depth), e.call, e.text.trim());
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "== plan\n{}", planned.plan);
    s
}

/// Rows after every stage of a run. The engine may add one stage of its own (sorting events
/// newest first, as Splunk hands them to the pipeline) before the first order-sensitive
/// command, or at the end when the result is raw events: it is shown where it ran.
pub fn render_trace(planned: &Planned, trace: &Trace) -> String {
    let plan = &planned.plan;
    let mut s = String::new();
    let _ = writeln!(s, "== trace (rows after each stage)");
    let source = match plan.source {
        Source::Events => "events in (past the raw-text prefilter, with search-time fields, in the time range)".to_string(),
        Source::MakeResults { count } => format!("makeresults ({count} generated)"),
    };
    let _ = writeln!(s, "{:>10}  {source}", trace.rows_in);
    let extra = trace.rows_after.len() > plan.nodes.len();
    let sort_at = if extra { spelunk_exec::engine::time_sort_position(plan).or(Some(plan.nodes.len())) } else { None };
    let mut counts = trace.rows_after.iter();
    for i in 0..=plan.nodes.len() {
        if sort_at == Some(i) {
            if let Some(n) = counts.next() {
                let _ = writeln!(s, "{n:>10}  (sort events newest first, as Splunk delivers them)");
            }
        }
        let Some(node) = plan.nodes.get(i) else { break };
        match counts.next() {
            Some(n) => {
                let _ = writeln!(s, "{n:>10}  | {}", node.text);
            }
            None => {
                let _ = writeln!(s, "{:>10}  | {}", "-", node.text);
            }
        }
    }
    s
}
