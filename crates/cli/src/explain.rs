//! `spelunk explain` (and the REPL's `.explain`): the query with its macros expanded, each
//! expansion with the macro it came from, the logical plan one operator a line with the fields
//! it needs and produces, the rewrites; with `--trace`, the row count after every stage of a
//! real run. Also the field names of the data, for the lints that need them.

use arrow::array::Array;
use spelunk_exec::Trace;
use spelunk_plan::fields::{self, Available, NodeFields};
use spelunk_plan::{LogicalPlan, Planned, Planner, Source};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

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
    let _ = writeln!(s, "== plan\n{}", annotate(&planned.plan));
    s
}

/// The plan as it prints itself, with a `fields:` line under every operator: the fields it
/// reads, sets, removes or keeps, and what can exist after it when that changes (see
/// [`spelunk_plan::fields`]).
fn annotate(plan: &LogicalPlan) -> String {
    let text = plan.to_string();
    let pass = fields::analyze(plan);
    let mut out = String::new();
    let mut next = 0;
    for line in text.lines() {
        let _ = writeln!(out, "{line}");
        let (Some(node), Some(nf)) = (plan.nodes.get(next), pass.nodes.get(next)) else { continue };
        if line.strip_prefix("   | ") == Some(node.text.as_str()) {
            let _ = writeln!(out, "   fields: {}", fields_line(pass.before(next), nf));
            next += 1;
        }
    }
    // the plan printed its operators in a shape this does not know: list the fields apart
    if next < plan.nodes.len() {
        let _ = writeln!(out, "fields per operator:");
        for (i, (node, nf)) in plan.nodes.iter().zip(&pass.nodes).enumerate().skip(next) {
            let _ = writeln!(out, "  {}: {}", node.op.name(), fields_line(pass.before(i), nf));
        }
    }
    out
}

/// One operator's fields in a line: `needs a, b; sets c; removes d; after: ...`.
fn fields_line(before: &Available, n: &NodeFields) -> String {
    let list = |v: &mut dyn Iterator<Item = &String>| v.map(String::as_str).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    if n.needs_all {
        parts.push("needs any field".to_string());
    } else if !n.needs.is_empty() {
        parts.push(format!("needs {}", list(&mut n.needs.iter())));
    }
    let unnamed = if n.writes_unnamed { "fields named by the data" } else { "" };
    match (n.writes.is_empty(), n.replaces_rows) {
        (false, true) => parts.push(format!("makes new rows of {}", list(&mut n.writes.iter()))),
        (false, false) if n.writes_unnamed => parts.push(format!("sets {} and {unnamed}", list(&mut n.writes.iter()))),
        (false, false) => parts.push(format!("sets {}", list(&mut n.writes.iter()))),
        (true, _) if n.writes_unnamed => parts.push(format!("sets {unnamed}")),
        (true, _) => {}
    }
    if !n.drops.is_empty() {
        parts.push(format!("removes {}", list(&mut n.drops.iter())));
    }
    if let Some(k) = &n.keeps {
        parts.push(format!("keeps only {}", list(&mut k.iter())));
    }
    // what can exist after it, when that changed and the parts above do not already say it
    let said = n.replaces_rows || n.keeps.as_ref().is_some_and(|k| n.after == Available::known(k.iter().cloned()));
    if &n.after != before && !said {
        parts.push(format!("after: {}", n.after));
    }
    if parts.is_empty() {
        parts.push("reads and changes no field".to_string());
    }
    parts.join("; ")
}

/// The field names the events of `data` have, search-time fields included (the names with a
/// value in at least one event). Reading stops once every name of `enough` has been seen: the
/// lints only ask about the fields a query names (see [`spelunk_plan::fields::mentioned`]).
/// With `cached`, the events in memory are looked at instead of the files.
pub fn data_fields(planner: &Planner, data: &[PathBuf], sourcetype: Option<String>, enough: &BTreeSet<String>, cached: Option<&crate::runner::CachedEvents>) -> Result<BTreeSet<String>, String> {
    let all = planner.plan("*").map_err(|e| e.error.message)?;
    let mut scanner: Box<dyn Iterator<Item = Result<spelunk_io::EventBatch, String>>> = match cached {
        Some(c) => Box::new(c.batches.iter().cloned().map(Ok)),
        None => {
            let opts = spelunk_io::ScanOptions { projection: spelunk_io::Projection::All, sourcetype, host: crate::runner::hostname(), ..Default::default() };
            Box::new(spelunk_io::scan(data, opts).map_err(|e| e.to_string())?.map(|r| r.map_err(|e| e.to_string())))
        }
    };
    // the empty plan of `*` only applies the search-time fields
    let mut ex = spelunk_exec::Execution::new_prefix(planner, &all.plan, all.plan.nodes.len(), &spelunk_exec::ExecOptions::default()).map_err(|e| e.to_string())?;
    let mut seen = BTreeSet::new();
    let note = |batches: Vec<arrow::record_batch::RecordBatch>, seen: &mut BTreeSet<String>| {
        for b in batches {
            for (f, col) in b.schema().fields().iter().zip(b.columns()) {
                if col.logical_null_count() < col.len() {
                    seen.insert(f.name().clone());
                }
            }
        }
    };
    for eb in scanner.by_ref() {
        let eb = eb?;
        ex.push_events(&eb.sourcetype, eb.batch).map_err(|e| e.to_string())?;
        note(ex.take_output(), &mut seen);
        if !enough.is_empty() && enough.is_subset(&seen) {
            return Ok(seen);
        }
    }
    let (rest, _) = ex.finish().map_err(|e| e.to_string())?;
    note(rest, &mut seen);
    Ok(seen)
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
    let sort_at = if extra { plan.time_sort_position().or(Some(plan.nodes.len())) } else { None };
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
