//! `top` and `rare`: the most (least) common value tuples of the fields, with their count and
//! percentage, per tuple of the BY fields.
//!
//! Splunk doc "top" (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Top)
//! and "rare" (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Rare):
//! `limit=` (or top's leading N) rows per group, 0 for all; `showcount=`/`showperc=` drop the
//! columns; top's `useother=true` adds a row for the values past the limit, labelled `otherstr`.

use super::{stats, ExecError, TableOp};
use crate::columns::{build_column, make_batch, BatchView};
use crate::eval::EvalContext;
use crate::value::{sort_order, Value};
use arrow::record_batch::RecordBatch;
use spelunk_plan::TopSpec;
use std::collections::HashMap;

pub struct Top {
    pub spec: TopSpec,
}

/// One output row: the BY values, the field values, the count.
type Row = (Vec<Value>, Vec<Value>, u64);

impl TableOp for Top {
    fn table(&mut self, all: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let t = &self.spec;
        let view = BatchView::new(&all);
        let mut counts: indexmap::IndexMap<(Vec<String>, Vec<String>), Row> = indexmap::IndexMap::new();
        let mut totals: HashMap<Vec<String>, u64> = HashMap::new();
        for row in 0..all.num_rows() {
            let bk = stats::group_keys(&view, row, &t.by)?;
            let fk = stats::group_keys(&view, row, &t.fields)?;
            if bk.len().saturating_mul(fk.len()) > stats::MAX_KEYS_PER_EVENT {
                return Err(ExecError::msg(format!("one event has {} x {} combinations of multivalue values, more than the {} spelunk counts one event in", bk.len(), fk.len(), stats::MAX_KEYS_PER_EVENT)));
            }
            for b in &bk {
                for f in &fk {
                    let e = counts.entry((stats::key_text(b), stats::key_text(f))).or_insert_with(|| (b.clone(), f.clone(), 0));
                    e.2 += 1;
                    *totals.entry(stats::key_text(b)).or_insert(0) += 1;
                }
            }
        }
        let mut rows: Vec<Row> = counts.into_values().collect();
        // group by the BY tuple, then by count (desc for top, asc for rare); stable for ties
        rows.sort_by(|a, b| {
            let mut o = std::cmp::Ordering::Equal;
            for (x, y) in a.0.iter().zip(&b.0) {
                o = o.then(sort_order(x, y));
            }
            o.then(if t.rare { a.2.cmp(&b.2) } else { b.2.cmp(&a.2) })
        });
        let mut out: Vec<Row> = Vec::new();
        // per BY group: rows kept so far, and the count of the rows past the limit
        let mut kept: HashMap<Vec<String>, usize> = HashMap::new();
        let mut other: indexmap::IndexMap<Vec<String>, (Vec<Value>, u64)> = indexmap::IndexMap::new();
        for r in rows {
            let key = stats::key_text(&r.0);
            let c = kept.entry(key.clone()).or_insert(0);
            if t.limit == 0 || *c < t.limit {
                *c += 1;
                out.push(r);
            } else if t.useother {
                other.entry(key).or_insert_with(|| (r.0.clone(), 0)).1 += r.2;
            }
        }
        if !other.is_empty() {
            // each group's OTHER row right after the group's rows
            let label = vec![Value::Str(t.otherstr.clone()); t.fields.len()];
            let mut merged = Vec::with_capacity(out.len() + other.len());
            let mut rest = out.into_iter().peekable();
            while let Some(r) = rest.next() {
                let key = stats::key_text(&r.0);
                let last_of_group = rest.peek().is_none_or(|n| stats::key_text(&n.0) != key);
                merged.push(r);
                if last_of_group {
                    if let Some((by, n)) = other.shift_remove(&key) {
                        merged.push((by, label.clone(), n));
                    }
                }
            }
            out = merged;
        }
        let m = out.len();
        let mut cols = Vec::new();
        for (i, f) in t.by.iter().enumerate() {
            let v: Vec<Value> = out.iter().map(|r| r.0[i].clone()).collect();
            cols.push((f.clone(), build_column(f, &v)));
        }
        for (i, f) in t.fields.iter().enumerate() {
            let v: Vec<Value> = out.iter().map(|r| r.1[i].clone()).collect();
            cols.push((f.clone(), build_column(f, &v)));
        }
        if t.showcount {
            let c: Vec<Value> = out.iter().map(|r| Value::Int(r.2 as i64)).collect();
            cols.push((t.countfield.clone(), build_column(&t.countfield, &c)));
        }
        if t.showperc {
            let p: Vec<Value> = out
                .iter()
                .map(|r| {
                    let total = totals.get(&stats::key_text(&r.0)).copied().unwrap_or(1).max(1);
                    // Splunk shows the percentage with six decimals
                    Value::number(((r.2 as f64) * 100.0 / total as f64 * 1e6).round() / 1e6)
                })
                .collect();
            cols.push((t.percentfield.clone(), build_column(&t.percentfield, &p)));
        }
        Ok(vec![make_batch(cols, m).map_err(ExecError::arrow)?])
    }
}
