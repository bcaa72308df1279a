//! Applying a sourcetype's search-time fields to a batch, in Splunk's order: field aliases,
//! then calculated fields, each calculated field evaluated against the event as it was before
//! any of them ran (see spelunk_plan::props for the doc reference).

use crate::columns::{build_column, set_column, BatchView};
use crate::eval::{eval, EvalContext};
use crate::ops::{BatchRow, ExecError};
use crate::value::Value;
use arrow::record_batch::RecordBatch;
use spelunk_plan::props::SourcetypeProps;
use std::collections::BTreeSet;

/// Derive the wanted aliases and calculated fields (`None` = all of them).
pub fn apply(props: &SourcetypeProps, batch: RecordBatch, wanted: Option<&BTreeSet<String>>, cx: &EvalContext) -> Result<RecordBatch, ExecError> {
    let want = |f: &str| wanted.is_none_or(|w| w.contains(f));
    let mut batch = batch;
    // aliases; needed also when a wanted calculated field reads an alias target
    let mut needed_aliases: BTreeSet<String> = BTreeSet::new();
    for e in &props.evals {
        if want(&e.field) {
            spelunk_plan::fields::expr_fields(&e.expr, &mut needed_aliases);
        }
    }
    for a in &props.aliases {
        if !(want(&a.to) || needed_aliases.contains(&a.to)) {
            continue;
        }
        let col = BatchView::new(&batch).column(&a.from).cloned();
        if let Some(col) = col {
            batch = set_column(&batch, &a.to, col).map_err(ExecError::arrow)?;
        }
    }
    let mut computed: Vec<(String, Vec<Value>)> = Vec::new();
    {
        let view = BatchView::new(&batch);
        for e in props.evals.iter().filter(|e| want(&e.field)) {
            let mut vals = Vec::with_capacity(batch.num_rows());
            for row in 0..batch.num_rows() {
                let v = eval(&e.expr, &BatchRow { view: &view, row }, cx).map_err(|err| ExecError {
                    message: format!("calculated field EVAL-{} (props.conf): {}", e.field, err.message),
                    span: None,
                })?;
                vals.push(match v {
                    Value::Bool(b) => Value::Str(if b { "true".into() } else { "false".into() }),
                    x => x,
                });
            }
            computed.push((e.field.clone(), vals));
        }
    }
    for (f, vals) in computed {
        batch = set_column(&batch, &f, build_column(&f, &vals)).map_err(ExecError::arrow)?;
    }
    Ok(batch)
}
