//! Operators that bring in data from outside the event stream: `append` and `join` (the results
//! of a subsearch) and `lookup` / `inputlookup` (a lookup table). The caller runs the
//! subsearches and reads the tables before the run and hands them over in [`Inputs`]; the
//! operators only combine.
//!
//! - `append`: the results pass through; the subsearch rows follow them (at most `maxout`).
//! - `join`: streaming over the results. Each result is merged with the subsearch rows whose
//!   join fields have the same text (case-sensitive), first `max` of them in subsearch order
//!   (one output row each); subsearch values replace the result's unless `overwrite=f`, the
//!   join fields keep the result's values. `type=inner` drops results without a match (also
//!   those lacking a join field), `type=left` keeps them unchanged.
//! - `lookup`: streaming. A result lacking an input field is left alone. Otherwise every table
//!   row whose match columns equal the result's values (each value of a multivalue field is
//!   looked up) is a match, up to `max_matches` per value, in file order; each output field
//!   gets the matches' non-empty cells (several: a multivalue field). `OUTPUT` replaces the
//!   field (no match: removes it); `OUTPUTNEW` only fills fields the result does not have.
//! - `inputlookup`: the table's rows (from `start`, at most `max`, then the `where` filter), one
//!   result per row with its non-empty cells, after the current results with `append=t`.

use super::{BatchRow, ExecError, Filter, Operator, Pred};
use crate::columns::{build_column, concat_batches, make_batch, set_column, value_at, BatchView};
use crate::eval::EvalContext;
use crate::search;
use crate::value::Value;
use arrow::array::{ArrayRef, BooleanArray, UInt32Array};
use arrow::record_batch::RecordBatch;
use spelunk_plan::{InputLookupSpec, JoinSpec, JoinType, LookupSpec, Op, PlanNode};
use spelunk_syntax::ast::{CmpOp, Ident, SearchExpr, Span, Value as AstValue};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Matching rows a lookup uses per looked-up value (transforms.conf `max_matches` default for
/// lookups that are not time-based).
pub const DEFAULT_MAX_MATCHES: usize = 100;

/// Combinations of multivalue input values looked up per result, at most (a guard against a
/// product of several long multivalue fields).
const MAX_COMBINATIONS: usize = 1000;

/// A lookup table as read from its file: the header and the rows' text cells (`""` = empty).
#[derive(Debug, Clone)]
pub struct LookupTable {
    /// Where the table came from, for messages.
    pub origin: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Match ignoring case (transforms.conf `case_sensitive_match = false`).
    pub case_insensitive: bool,
    /// Matching rows used per looked-up value (transforms.conf `max_matches`).
    pub max_matches: usize,
}

impl LookupTable {
    pub fn new(origin: impl Into<String>, columns: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        LookupTable { origin: origin.into(), columns, rows, case_insensitive: false, max_matches: DEFAULT_MAX_MATCHES }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn cell(&self, row: usize, col: usize) -> Option<&str> {
        self.rows.get(row).and_then(|r| r.get(col)).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }
}

/// What a plan needs from outside the event stream, resolved by the caller before the run.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The results of each subsearch of the plan, by its id ([`spelunk_plan::Subsearch::id`]).
    pub subsearches: Vec<Vec<RecordBatch>>,
    /// Lookup tables by the name the query gives them.
    pub lookups: HashMap<String, Arc<LookupTable>>,
}

/// The operator for `append`, `join`, `lookup` and `inputlookup` nodes (`None` for others).
pub fn build(node: &PlanNode, inputs: &Inputs) -> Option<Result<Box<dyn Operator>, ExecError>> {
    let op: Result<Box<dyn Operator>, ExecError> = match &node.op {
        Op::Append(sub) => subsearch_rows(inputs, sub.id, sub.maxout, node.span).map(|rows| Box::new(AppendOp { rows }) as Box<dyn Operator>),
        Op::SearchSubsearch { expr, sub } => subsearch_rows(inputs, sub.id, sub.maxout, node.span).and_then(|rows| {
            let formatted = format_results(&rows, node.span)?;
            let expr = substitute(expr, &formatted);
            Ok(Box::new(Filter { pred: Pred::Search(search::Compiled::new(&expr)) }) as Box<dyn Operator>)
        }),
        Op::Join { spec, sub } => {
            subsearch_rows(inputs, sub.id, sub.maxout, node.span).and_then(|rows| JoinOp::new(spec.clone(), &rows).map(|j| Box::new(j) as Box<dyn Operator>))
        }
        Op::Lookup(spec) => table(inputs, &spec.table, spec.table_span).and_then(|t| LookupOp::new(spec, t).map(|l| Box::new(l) as Box<dyn Operator>)),
        Op::InputLookup(spec) => table(inputs, &spec.table, spec.table_span).and_then(|t| InputLookupOp::new(spec, &t).map(|l| Box::new(l) as Box<dyn Operator>)),
        _ => return None,
    };
    Some(op)
}

/// The operator for a node whose inputs the caller did not provide: it fails when it runs.
pub fn unresolved(node: &PlanNode) -> Box<dyn Operator> {
    match build(node, &Inputs::default()) {
        Some(Ok(op)) => op,
        Some(Err(e)) => Box::new(Unresolved(e)),
        None => Box::new(Unresolved(ExecError { message: format!("internal: `{}` is not a combining command", node.op.name()), span: Some(node.span) })),
    }
}

struct Unresolved(ExecError);

impl Operator for Unresolved {
    fn push(&mut self, _batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Err(self.0.clone())
    }
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Err(self.0.clone())
    }
}

fn subsearch_rows(inputs: &Inputs, id: usize, maxout: usize, span: Span) -> Result<Vec<RecordBatch>, ExecError> {
    let Some(batches) = inputs.subsearches.get(id) else {
        return Err(ExecError { message: format!("internal: the results of subsearch {id} were not provided"), span: Some(span) });
    };
    Ok(first_rows(batches, maxout))
}

/// The first `n` rows of a list of batches.
fn first_rows(batches: &[RecordBatch], n: usize) -> Vec<RecordBatch> {
    let mut left = n;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let take = b.num_rows().min(left);
        if take > 0 {
            out.push(if take == b.num_rows() { b.clone() } else { b.slice(0, take) });
        }
        left -= take;
    }
    out
}

fn table(inputs: &Inputs, name: &str, span: Span) -> Result<Arc<LookupTable>, ExecError> {
    inputs
        .lookups
        .get(name)
        .cloned()
        .ok_or_else(|| ExecError { message: format!("internal: lookup table `{name}` was not loaded"), span: Some(span) })
}

// ---------------------------------------------------------------------------------------------
// append

struct AppendOp {
    rows: Vec<RecordBatch>,
}

impl Operator for AppendOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Ok(vec![batch])
    }
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Ok(std::mem::take(&mut self.rows))
    }
}

// ---------------------------------------------------------------------------------------------
// search [subsearch]

/// The subsearch's results as a search expression, as Splunk's `format` writes them (Search
/// Manual, "Change the format of subsearch results"): one `(f1="v1" AND f2="v2")` per row, the
/// rows ORed; a multivalue field ORs its values; fields starting with `_` are left out; a field
/// named `search` is read as search text and one named `query` as a term. Without any usable
/// row the result is `NOT ()`, `format`'s empty string: `()` holds no condition, so `NOT ()`
/// matches nothing. A search around an empty subsearch finds nothing, and `NOT [...]` of an
/// empty subsearch (an empty allow list) rules nothing out.
fn format_results(batches: &[RecordBatch], span: Span) -> Result<SearchExpr, ExecError> {
    let value = |text: String| AstValue { text, quoted: true, span, directive: None };
    let mut rows = Vec::new();
    for b in batches {
        let schema = b.schema();
        for r in 0..b.num_rows() {
            let mut terms = Vec::new();
            for (i, f) in schema.fields().iter().enumerate() {
                let name = f.name();
                if name.starts_with('_') {
                    continue;
                }
                let values: Vec<String> = match value_at(b.column(i).as_ref(), r) {
                    Value::Null => continue,
                    Value::Multi(vs) => vs.iter().filter_map(|v| v.to_text()).collect(),
                    v => v.to_text().into_iter().collect(),
                };
                let mut alts = Vec::new();
                for v in values {
                    alts.push(match name.as_str() {
                        "search" => match spelunk_syntax::parse_pipeline(&format!("search {v}")).ok().and_then(|p| p.commands.into_iter().next()).map(|c| c.kind) {
                            Some(spelunk_syntax::ast::CommandKind::Search(Some(e))) => SearchExpr::Group(Box::new(e), span),
                            _ => return Err(ExecError { message: format!("the subsearch's `search` field holds `{v}`, which is not a search expression"), span: Some(span) }),
                        },
                        "query" => SearchExpr::Term(value(v)),
                        _ => SearchExpr::Compare { field: Ident { name: name.clone(), span }, op: CmpOp::Eq, value: value(v), span },
                    });
                }
                match alts.len() {
                    0 => {}
                    1 => terms.extend(alts),
                    _ => terms.push(SearchExpr::Group(Box::new(SearchExpr::Or(alts, span)), span)),
                }
            }
            if !terms.is_empty() {
                rows.push(SearchExpr::Group(Box::new(SearchExpr::And(terms, span)), span));
            }
        }
    }
    Ok(if rows.is_empty() { SearchExpr::Not(Box::new(SearchExpr::And(Vec::new(), span)), span) } else { SearchExpr::Group(Box::new(SearchExpr::Or(rows, span)), span) })
}

/// `expr` with the subsearch's placeholder term replaced by its formatted results.
fn substitute(expr: &SearchExpr, formatted: &SearchExpr) -> SearchExpr {
    let again = |e: &SearchExpr| substitute(e, formatted);
    match expr {
        SearchExpr::Term(v) if v.text == spelunk_plan::SUBSEARCH_PLACEHOLDER && !v.quoted => formatted.clone(),
        SearchExpr::And(xs, s) => SearchExpr::And(xs.iter().map(again).collect(), *s),
        SearchExpr::Or(xs, s) => SearchExpr::Or(xs.iter().map(again).collect(), *s),
        SearchExpr::Not(x, s) => SearchExpr::Not(Box::new(again(x)), *s),
        SearchExpr::Group(x, s) => SearchExpr::Group(Box::new(again(x)), *s),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// join

/// The subsearch results column by column.
struct SubTable {
    names: Vec<String>,
    columns: Vec<Vec<Value>>,
    rows: usize,
}

impl SubTable {
    fn new(batches: &[RecordBatch]) -> Result<Self, ExecError> {
        let Some(all) = concat_batches(batches).map_err(ExecError::arrow)? else {
            return Ok(SubTable { names: Vec::new(), columns: Vec::new(), rows: 0 });
        };
        let schema = all.schema();
        let names = schema.fields().iter().map(|f| f.name().clone()).collect();
        let columns = all.columns().iter().map(|a| (0..all.num_rows()).map(|r| value_at(a.as_ref(), r)).collect()).collect();
        Ok(SubTable { names, columns, rows: all.num_rows() })
    }

    fn column(&self, name: &str) -> Option<&[Value]> {
        self.names.iter().position(|n| n == name).map(|i| self.columns[i].as_slice())
    }
}

/// Row numbers by the text of their key fields, in row order.
type KeyIndex = HashMap<Vec<String>, Vec<usize>>;

/// The text of each join field, or `None` when one is missing.
fn join_key(values: impl Iterator<Item = Value>) -> Option<Vec<String>> {
    values.map(|v| v.to_text()).collect()
}

struct JoinOp {
    spec: JoinSpec,
    sub: SubTable,
    /// Join fields and the subsearch rows by their values, once the fields are known.
    index: Option<(Vec<String>, KeyIndex)>,
    /// Results held until the end when the join fields are the common ones (no field list).
    held: Vec<RecordBatch>,
}

impl JoinOp {
    fn new(spec: JoinSpec, rows: &[RecordBatch]) -> Result<Self, ExecError> {
        let sub = SubTable::new(rows)?;
        let mut op = JoinOp { spec, sub, index: None, held: Vec::new() };
        if !op.spec.fields.is_empty() {
            op.index = Some(op.index_on(op.spec.fields.clone()));
        }
        Ok(op)
    }

    fn index_on(&self, fields: Vec<String>) -> (Vec<String>, KeyIndex) {
        let cols: Option<Vec<&[Value]>> = fields.iter().map(|f| self.sub.column(f)).collect();
        let mut index = KeyIndex::new();
        if let Some(cols) = cols {
            for r in 0..self.sub.rows {
                if let Some(k) = join_key(cols.iter().map(|c| c[r].clone())) {
                    index.entry(k).or_default().push(r);
                }
            }
        }
        (fields, index)
    }

    /// May subsearch row `s` join with a result at time `t` (`usetime=t`)? Same second counts.
    fn in_time(&self, t: Option<f64>, s: usize) -> bool {
        let st = self.sub.column("_time").and_then(|c| c[s].as_f64());
        match (t, st) {
            (Some(t), Some(st)) => {
                if self.spec.earlier {
                    st.floor() <= t.floor()
                } else {
                    st.floor() >= t.floor()
                }
            }
            _ => false,
        }
    }

    fn join_batch(&self, batch: &RecordBatch) -> Result<Option<RecordBatch>, ExecError> {
        let Some((fields, index)) = &self.index else { return Ok(Some(batch.clone())) };
        let view = BatchView::new(batch);
        // (result row, subsearch row it joins with)
        let mut pairs: Vec<(u32, Option<usize>)> = Vec::new();
        for row in 0..batch.num_rows() {
            let mut matched = 0usize;
            let candidates = join_key(fields.iter().map(|f| view.get(f, row))).and_then(|k| index.get(&k));
            if let Some(cands) = candidates {
                let t = if self.spec.usetime { view.get("_time", row).as_f64() } else { None };
                for &s in cands {
                    if self.spec.usetime && !self.in_time(t, s) {
                        continue;
                    }
                    pairs.push((row as u32, Some(s)));
                    matched += 1;
                    if self.spec.max > 0 && matched >= self.spec.max {
                        break;
                    }
                }
            }
            if matched == 0 && self.spec.kind == JoinType::Left {
                pairs.push((row as u32, None));
            }
        }
        if pairs.is_empty() {
            return Ok(None);
        }
        let take_idx = UInt32Array::from(pairs.iter().map(|(m, _)| *m).collect::<Vec<u32>>());
        let schema = batch.schema();
        let mut cols: Vec<(String, ArrayRef)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (f, arr) in schema.fields().iter().zip(batch.columns()) {
            let name = f.name().as_str();
            seen.insert(name);
            let sub_col = self.sub.column(name).filter(|_| !fields.iter().any(|j| j == name));
            let col = match sub_col {
                None => arrow::compute::take(arr.as_ref(), &take_idx, None).map_err(ExecError::arrow)?,
                Some(sc) => {
                    let vals: Vec<Value> = pairs
                        .iter()
                        .map(|(m, s)| {
                            let mine = value_at(arr.as_ref(), *m as usize);
                            match s.map(|s| &sc[s]) {
                                Some(theirs) if !theirs.is_null() && (self.spec.overwrite || mine.is_null()) => theirs.clone(),
                                _ => mine,
                            }
                        })
                        .collect();
                    build_column(name, &vals)
                }
            };
            cols.push((name.to_string(), col));
        }
        for (name, sc) in self.sub.names.iter().zip(&self.sub.columns) {
            if seen.contains(name.as_str()) {
                continue;
            }
            let vals: Vec<Value> = pairs.iter().map(|(_, s)| s.map(|s| sc[s].clone()).unwrap_or(Value::Null)).collect();
            if vals.iter().all(|v| v.is_null()) {
                continue;
            }
            cols.push((name.clone(), build_column(name, &vals)));
        }
        make_batch(cols, pairs.len()).map(Some).map_err(ExecError::arrow)
    }
}

impl Operator for JoinOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if self.index.is_none() {
            self.held.push(batch);
            return Ok(Vec::new());
        }
        Ok(self.join_batch(&batch)?.into_iter().collect())
    }

    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if self.index.is_some() {
            return Ok(Vec::new());
        }
        // no field list: join on every field both sides have (internal `_` fields aside)
        let held = std::mem::take(&mut self.held);
        let mut common: Vec<String> = Vec::new();
        for b in &held {
            for f in b.schema_ref().fields() {
                let n = f.name();
                if !n.starts_with('_') && self.sub.names.contains(n) && !common.contains(n) {
                    common.push(n.clone());
                }
            }
        }
        if common.is_empty() {
            return Ok(if self.spec.kind == JoinType::Left { held } else { Vec::new() });
        }
        self.index = Some(self.index_on(common));
        let mut out = Vec::new();
        for b in &held {
            out.extend(self.join_batch(b)?);
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// lookup

struct LookupOp {
    table: Arc<LookupTable>,
    /// (table column, event field) to match.
    inputs: Vec<(usize, String)>,
    /// (table column, event field) to fill.
    outputs: Vec<(usize, String)>,
    output_new: bool,
    index: KeyIndex,
}

fn missing_column(t: &LookupTable, name: &str, spec: &LookupSpec) -> ExecError {
    ExecError {
        message: format!("lookup table `{}` ({}) has no field `{name}`; its fields: {}", spec.table, t.origin, t.columns.join(", ")),
        span: Some(spec.table_span),
    }
}

impl LookupOp {
    fn new(spec: &LookupSpec, table: Arc<LookupTable>) -> Result<Self, ExecError> {
        let mut inputs = Vec::new();
        for (lf, ef) in &spec.inputs {
            let c = table.column(lf).ok_or_else(|| missing_column(&table, lf, spec))?;
            inputs.push((c, ef.clone()));
        }
        let outputs = match &spec.outputs {
            Some(o) => o.iter().map(|(lf, ef)| table.column(lf).map(|c| (c, ef.clone())).ok_or_else(|| missing_column(&table, lf, spec))).collect::<Result<Vec<_>, _>>()?,
            None => table.columns.iter().enumerate().filter(|(i, _)| !inputs.iter().any(|(c, _)| c == i)).map(|(i, n)| (i, n.clone())).collect(),
        };
        let mut index = KeyIndex::new();
        for r in 0..table.rows.len() {
            let key: Option<Vec<String>> = inputs.iter().map(|(c, _)| table.cell(r, *c).map(|s| norm(&table, s))).collect();
            if let Some(k) = key {
                index.entry(k).or_default().push(r);
            }
        }
        Ok(LookupOp { table, inputs, outputs, output_new: spec.output_new, index })
    }

    /// The matching table rows for one result, in file order; `None` when the result lacks an
    /// input field (no lookup is done).
    fn matches(&self, view: &BatchView, row: usize) -> Option<Vec<usize>> {
        let mut per_field: Vec<Vec<String>> = Vec::with_capacity(self.inputs.len());
        for (_, ef) in &self.inputs {
            let v = view.get(ef, row);
            let texts: Vec<String> = v.values().into_iter().filter_map(|x| x.to_text()).map(|s| norm(&self.table, &s)).collect();
            if texts.is_empty() {
                return None;
            }
            per_field.push(texts);
        }
        let mut out: Vec<usize> = Vec::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut combo = vec![0usize; per_field.len()];
        for _ in 0..MAX_COMBINATIONS {
            let key: Vec<String> = combo.iter().zip(&per_field).map(|(i, vals)| vals[*i].clone()).collect();
            if let Some(rows) = self.index.get(&key) {
                for &r in rows.iter().take(self.table.max_matches) {
                    if seen.insert(r) {
                        out.push(r);
                    }
                }
            }
            // next combination, last field fastest
            let mut k = per_field.len();
            loop {
                if k == 0 {
                    out.sort_unstable();
                    return Some(out);
                }
                k -= 1;
                combo[k] += 1;
                if combo[k] < per_field[k].len() {
                    break;
                }
                combo[k] = 0;
            }
        }
        out.sort_unstable();
        Some(out)
    }
}

fn norm(t: &LookupTable, s: &str) -> String {
    if t.case_insensitive {
        s.to_lowercase()
    } else {
        s.to_string()
    }
}

impl Operator for LookupOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let mut new_cols: Vec<(String, ArrayRef)> = Vec::new();
        {
            let view = BatchView::new(&batch);
            let matches: Vec<Option<Vec<usize>>> = (0..batch.num_rows()).map(|r| self.matches(&view, r)).collect();
            if matches.iter().all(|m| m.is_none()) {
                return Ok(vec![batch]);
            }
            for (col, dest) in &self.outputs {
                let exists = view.column(dest).is_some();
                let vals: Vec<Value> = matches
                    .iter()
                    .enumerate()
                    .map(|(r, m)| {
                        let current = view.get(dest, r);
                        match m {
                            None => current,
                            Some(_) if self.output_new && !current.is_null() => current,
                            Some(rows) => Value::from_values(rows.iter().filter_map(|&t| self.table.cell(t, *col)).map(Value::str).collect()),
                        }
                    })
                    .collect();
                if !exists && vals.iter().all(|v| v.is_null()) {
                    continue;
                }
                new_cols.push((dest.clone(), build_column(dest, &vals)));
            }
        }
        let mut batch = batch;
        for (name, arr) in new_cols {
            batch = set_column(&batch, &name, arr).map_err(ExecError::arrow)?;
        }
        Ok(vec![batch])
    }
}

// ---------------------------------------------------------------------------------------------
// inputlookup

struct InputLookupOp {
    rows: Option<RecordBatch>,
    append: bool,
}

impl InputLookupOp {
    fn new(spec: &InputLookupSpec, table: &LookupTable) -> Result<Self, ExecError> {
        let rows: Vec<&Vec<String>> = table.rows.iter().skip(spec.start).take(spec.max).collect();
        let n = rows.len();
        let mut cols = Vec::new();
        for (i, name) in table.columns.iter().enumerate() {
            let vals: Vec<Value> = rows.iter().map(|r| r.get(i).filter(|s| !s.is_empty()).map(|s| Value::str(s.clone())).unwrap_or(Value::Null)).collect();
            if vals.iter().all(|v| v.is_null()) {
                continue;
            }
            cols.push((name.clone(), build_column(name, &vals)));
        }
        let mut batch = make_batch(cols, n).map_err(ExecError::arrow)?;
        if let Some(filter) = &spec.filter {
            let compiled = search::Compiled::new(filter);
            let view = BatchView::new(&batch);
            let mask: Vec<bool> = (0..n).map(|row| compiled.matches(&BatchRow { view: &view, row })).collect();
            batch = arrow::compute::filter_record_batch(&batch, &BooleanArray::from(mask)).map_err(ExecError::arrow)?;
        }
        Ok(InputLookupOp { rows: (batch.num_rows() > 0).then_some(batch), append: spec.append })
    }
}

impl Operator for InputLookupOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        // as the first command there are no results before it (the engine's empty source batch)
        Ok(if self.append && batch.num_rows() > 0 { vec![batch] } else { Vec::new() })
    }
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Ok(self.rows.take().into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::build_array;
    use spelunk_plan::{LogicalPlan, Projection, Source, Subsearch, TimeRange};

    fn batch(cols: &[(&str, Vec<Value>)]) -> RecordBatch {
        let n = cols.first().map(|c| c.1.len()).unwrap_or(0);
        make_batch(cols.iter().map(|(name, v)| (name.to_string(), build_array(v))).collect(), n).unwrap()
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    /// Rows as `field=value` text, fields in column order, missing fields left out.
    fn rows(batches: &[RecordBatch]) -> Vec<String> {
        let mut out = Vec::new();
        for b in batches {
            let view = BatchView::new(b);
            for r in 0..b.num_rows() {
                let cells: Vec<String> = b
                    .schema()
                    .fields()
                    .iter()
                    .filter_map(|f| view.get(f.name(), r).to_text().map(|t| format!("{}={}", f.name(), t.replace('\n', "|"))))
                    .collect();
                out.push(cells.join(" "));
            }
        }
        out
    }

    fn node(op: Op) -> PlanNode {
        PlanNode { op, span: Span::default(), text: String::new() }
    }

    fn sub(id: usize) -> Subsearch {
        let plan = LogicalPlan { source: Source::Events, nodes: Vec::new(), projection: Projection::All, time_range: TimeRange::default(), rewrites: Vec::new() };
        Subsearch { id, plan: Box::new(plan), maxout: 50_000 }
    }

    fn run(op: &mut Box<dyn Operator>, input: Vec<RecordBatch>) -> Vec<String> {
        let cx = EvalContext::new(0.0);
        let mut out = Vec::new();
        for b in input {
            out.extend(op.push(b, &cx).unwrap());
        }
        out.extend(op.finish(&cx).unwrap());
        rows(&out)
    }

    fn join_spec(fields: &[&str], kind: JoinType, max: usize) -> JoinSpec {
        JoinSpec { fields: fields.iter().map(|f| f.to_string()).collect(), kind, max, overwrite: true, usetime: false, earlier: true }
    }

    fn users() -> RecordBatch {
        batch(&[("user", vec![s("a"), s("b"), s("a")]), ("dept", vec![s("x"), s("y"), s("z")])])
    }

    #[test]
    fn inner_join_takes_the_first_match_and_drops_the_rest() {
        let inputs = Inputs { subsearches: vec![vec![users()]], ..Default::default() };
        let mut op = build(&node(Op::Join { spec: join_spec(&["user"], JoinType::Inner, 1), sub: sub(0) }), &inputs).unwrap().unwrap();
        let main = batch(&[("user", vec![s("a"), s("c"), s("b")]), ("n", vec![Value::Int(1), Value::Int(2), Value::Int(3)])]);
        assert_eq!(run(&mut op, vec![main]), ["user=a n=1 dept=x", "user=b n=3 dept=y"]);
    }

    #[test]
    fn left_join_max_0_keeps_unmatched_and_joins_every_match() {
        let inputs = Inputs { subsearches: vec![vec![users()]], ..Default::default() };
        let mut op = build(&node(Op::Join { spec: join_spec(&["user"], JoinType::Left, 0), sub: sub(0) }), &inputs).unwrap().unwrap();
        let main = batch(&[("user", vec![s("a"), s("c")])]);
        assert_eq!(run(&mut op, vec![main]), ["user=a dept=x", "user=a dept=z", "user=c"]);
    }

    #[test]
    fn join_overwrite_false_keeps_the_results_values() {
        let inputs = Inputs { subsearches: vec![vec![users()]], ..Default::default() };
        let mut spec = join_spec(&["user"], JoinType::Inner, 1);
        spec.overwrite = false;
        let mut op = build(&node(Op::Join { spec: spec.clone(), sub: sub(0) }), &inputs).unwrap().unwrap();
        let main = batch(&[("user", vec![s("a"), s("b")]), ("dept", vec![s("mine"), Value::Null])]);
        assert_eq!(run(&mut op, vec![main.clone()]), ["user=a dept=mine", "user=b dept=y"]);
        spec.overwrite = true;
        let mut op = build(&node(Op::Join { spec, sub: sub(0) }), &inputs).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main]), ["user=a dept=x", "user=b dept=y"]);
    }

    #[test]
    fn join_without_fields_uses_the_common_ones_and_numbers_match_text() {
        let inputs = Inputs { subsearches: vec![vec![batch(&[("k", vec![s("1")]), ("v", vec![s("one")])])]], ..Default::default() };
        let mut op = build(&node(Op::Join { spec: join_spec(&[], JoinType::Inner, 1), sub: sub(0) }), &inputs).unwrap().unwrap();
        let main = batch(&[("_time", vec![Value::Int(5)]), ("k", vec![Value::Int(1)])]);
        assert_eq!(run(&mut op, vec![main]), ["_time=5 k=1 v=one"]);
    }

    #[test]
    fn join_usetime_keeps_earlier_subsearch_rows() {
        let subrows = batch(&[("_time", vec![Value::Int(10), Value::Int(30)]), ("k", vec![s("a"), s("a")]), ("v", vec![s("early"), s("late")])]);
        let inputs = Inputs { subsearches: vec![vec![subrows]], ..Default::default() };
        let mut spec = join_spec(&["k"], JoinType::Inner, 0);
        spec.usetime = true;
        spec.overwrite = false;
        let main = batch(&[("_time", vec![Value::Int(20)]), ("k", vec![s("a")])]);
        let mut op = build(&node(Op::Join { spec: spec.clone(), sub: sub(0) }), &inputs).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main.clone()]), ["_time=20 k=a v=early"]);
        spec.earlier = false;
        let mut op = build(&node(Op::Join { spec, sub: sub(0) }), &inputs).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main]), ["_time=20 k=a v=late"]);
    }

    #[test]
    fn append_adds_the_subsearch_rows_at_the_end_up_to_maxout() {
        let subrows = batch(&[("b", vec![Value::Int(1), Value::Int(2), Value::Int(3)])]);
        let inputs = Inputs { subsearches: vec![vec![subrows]], ..Default::default() };
        let mut sb = sub(0);
        sb.maxout = 2;
        let mut op = build(&node(Op::Append(sb)), &inputs).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![batch(&[("a", vec![s("x")])])]), ["a=x", "b=1", "b=2"]);
    }

    #[test]
    fn missing_subsearch_results_are_an_error_not_a_panic() {
        let r = build(&node(Op::Append(sub(3))), &Inputs::default()).unwrap();
        assert!(r.is_err());
    }

    fn table() -> Arc<LookupTable> {
        let rows = vec![vec!["a".into(), "sales".into(), "".into()], vec!["b".into(), "it".into(), "boss".into()], vec!["a".into(), "ops".into(), "lead".into()]];
        Arc::new(LookupTable::new("test", vec!["user".into(), "dept".into(), "title".into()], rows))
    }

    fn lookup(inputs: &[(&str, &str)], outputs: Option<&[(&str, &str)]>, output_new: bool) -> LookupSpec {
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        LookupSpec { table: "t".into(), table_span: Span::default(), inputs: pairs(inputs), outputs: outputs.map(pairs), output_new }
    }

    fn lookup_inputs() -> Inputs {
        Inputs { lookups: [("t".to_string(), table())].into_iter().collect(), ..Default::default() }
    }

    #[test]
    fn lookup_copies_every_other_column_and_several_matches_are_multivalue() {
        let mut op = build(&node(Op::Lookup(lookup(&[("user", "u")], None, false))), &lookup_inputs()).unwrap().unwrap();
        let main = batch(&[("u", vec![s("a"), s("b"), s("zz"), Value::Null])]);
        assert_eq!(run(&mut op, vec![main]), ["u=a dept=sales|ops title=lead", "u=b dept=it title=boss", "u=zz", ""]);
    }

    #[test]
    fn lookup_output_replaces_and_outputnew_only_fills() {
        let main = || batch(&[("user", vec![s("b"), s("b"), s("nomatch"), Value::Null]), ("dept", vec![s("old"), Value::Null, s("old"), s("old")])]);
        let mut op = build(&node(Op::Lookup(lookup(&[("user", "user")], Some(&[("dept", "dept")]), false))), &lookup_inputs()).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main()]), ["user=b dept=it", "user=b dept=it", "user=nomatch", "dept=old"]);
        let mut op = build(&node(Op::Lookup(lookup(&[("user", "user")], Some(&[("dept", "dept")]), true))), &lookup_inputs()).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main()]), ["user=b dept=old", "user=b dept=it", "user=nomatch dept=old", "dept=old"]);
    }

    #[test]
    fn lookup_multivalue_input_and_case_rules() {
        let mut op = build(&node(Op::Lookup(lookup(&[("user", "user")], Some(&[("dept", "d")]), false))), &lookup_inputs()).unwrap().unwrap();
        let main = batch(&[("user", vec![Value::Multi(vec![s("b"), s("a")]), s("A")])]);
        assert_eq!(run(&mut op, vec![main.clone()]), ["user=b|a d=sales|it|ops", "user=A"]);
        let mut t = (*table()).clone();
        t.case_insensitive = true;
        t.max_matches = 1;
        let inputs = Inputs { lookups: [("t".to_string(), Arc::new(t))].into_iter().collect(), ..Default::default() };
        let mut op = build(&node(Op::Lookup(lookup(&[("user", "user")], Some(&[("dept", "d")]), false))), &inputs).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![main]), ["user=b|a d=sales|it", "user=A d=sales"]);
    }

    #[test]
    fn lookup_unknown_column_is_an_error_naming_the_columns() {
        let r = build(&node(Op::Lookup(lookup(&[("nosuch", "user")], None, false))), &lookup_inputs()).unwrap();
        let e = r.err().map(|e| e.message).unwrap_or_default();
        assert!(e.contains("no field `nosuch`") && e.contains("user, dept, title"), "{e}");
    }

    fn lowered(q: &str) -> LogicalPlan {
        let ast = spelunk_syntax::parse_pipeline(q).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        let mut p = spelunk_plan::lower::lower(&ast).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        p.projection = spelunk_plan::projection::compute(&p);
        p
    }

    #[test]
    fn parallel_partitions_never_split_across_a_subsearch() {
        use crate::engine::parallel_split;
        assert_eq!(parallel_split(&lowered("a=1 | eval x=1 | stats count by x")), Some(2));
        // lookup is streaming: each partition gets the table
        assert_eq!(parallel_split(&lowered("a=1 | lookup t k | stats count by x")), Some(2));
        assert_eq!(parallel_split(&lowered("a=1 | join k [search b] | stats count by x")), None);
        assert_eq!(parallel_split(&lowered("a=1 | append [search b] | stats count by x")), None);
        assert_eq!(parallel_split(&lowered("a=1 | inputlookup append=t t | stats count by x")), None);
    }

    #[test]
    fn the_engine_sorts_events_newest_first_before_appending() {
        let planner = spelunk_plan::Planner { macros: spelunk_plan::MacroSet::default(), props: spelunk_plan::Props::default() };
        let plan = lowered("n=* | append [search m=*]");
        let subrows = batch(&[("m", vec![s("sub")])]);
        let opts = crate::ExecOptions { inputs: Inputs { subsearches: vec![vec![subrows]], ..Default::default() }, ..Default::default() };
        let mut ex = crate::Execution::new(&planner, &plan, &opts).unwrap();
        ex.push_events("_json", batch(&[("_time", vec![Value::Int(1), Value::Int(2)]), ("n", vec![s("old"), s("new")])])).unwrap();
        let (out, _) = ex.finish().unwrap();
        assert_eq!(rows(&out), ["_time=2 n=new", "_time=1 n=old", "m=sub"]);
        // without its inputs the run fails with an error, not a panic
        assert!(crate::Execution::new(&planner, &plan, &crate::ExecOptions::default()).is_err());
    }

    #[test]
    fn inputlookup_rows_start_max_and_append() {
        let spec = InputLookupSpec { table: "t".into(), table_span: Span::default(), start: 1, max: 1, append: false, filter: None };
        let mut op = build(&node(Op::InputLookup(spec.clone())), &lookup_inputs()).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![batch(&[("x", vec![s("dropped")])])]), ["user=b dept=it title=boss"]);
        let spec = InputLookupSpec { start: 0, max: 10, append: true, ..spec };
        let mut op = build(&node(Op::InputLookup(spec)), &lookup_inputs()).unwrap().unwrap();
        assert_eq!(run(&mut op, vec![batch(&[("x", vec![s("kept")])])]), ["x=kept", "user=a dept=sales", "user=b dept=it title=boss", "user=a dept=ops title=lead"]);
    }
}
