//! Physical operators over Arrow record batches, one per plan [`Op`]. Streaming operators
//! transform each batch as it comes; blocking ones (stats, sort, tail, ...) keep state and emit
//! on `finish`. Memory: streaming operators hold one batch; `stats` holds one entry per group.

pub mod combine;
pub mod json;
pub mod stats;
pub mod streamstats;
pub mod text;
pub mod top;

use crate::columns::{build_column, concat_batches, drop_columns, make_batch, set_column, value_at, BatchView};
use crate::eval::{eval, EvalContext, EvalError, Row};
use crate::search;
use crate::time;
use crate::value::{sort_order, Value};
use arrow::array::{ArrayRef, BooleanArray};
use arrow::record_batch::RecordBatch;
use spelunk_plan::*;
// field-name patterns with `*` (case-sensitive), shared with the planner's field analysis
use spelunk_plan::fields::{fill_captures as fill_pattern, name_captures as name_match, name_matches};
use spelunk_syntax::ast::Span;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// An execution error, with the span of the command or expression at fault when known.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecError {
    pub message: String,
    pub span: Option<Span>,
}

impl ExecError {
    pub fn msg(m: impl Into<String>) -> Self {
        ExecError { message: m.into(), span: None }
    }
    pub fn arrow(e: arrow::error::ArrowError) -> Self {
        ExecError::msg(format!("internal Arrow error: {e}"))
    }
}

impl From<EvalError> for ExecError {
    fn from(e: EvalError) -> Self {
        ExecError { message: e.message, span: Some(e.span) }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}

/// One row of a batch, as eval and search see it.
pub struct BatchRow<'a, 'b> {
    pub view: &'a BatchView<'b>,
    pub row: usize,
}

impl Row for BatchRow<'_, '_> {
    fn get(&self, field: &str) -> Value {
        self.view.get(field, self.row)
    }
}

pub trait Operator: Send {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError>;
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        Ok(Vec::new())
    }
}

/// A command that needs every row before it can emit any (sort, tail, top, mvcombine, the
/// time order): [`Blocking`] buffers the batches and hands them over as one table at the end.
pub trait TableOp: Send {
    fn table(&mut self, all: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError>;
    /// Drop buffered batches that can no longer matter (e.g. `tail n` keeps only the last rows).
    fn trim(&self, _batches: &mut Vec<RecordBatch>) {}
}

pub struct Blocking<T> {
    op: T,
    batches: Vec<RecordBatch>,
}

impl<T: TableOp> Blocking<T> {
    pub fn new(op: T) -> Self {
        Blocking { op, batches: Vec::new() }
    }
}

impl<T: TableOp> Operator for Blocking<T> {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        self.batches.push(batch);
        self.op.trim(&mut self.batches);
        Ok(Vec::new())
    }

    fn finish(&mut self, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        match concat_batches(&std::mem::take(&mut self.batches)).map_err(ExecError::arrow)? {
            Some(all) => self.op.table(all, cx),
            None => Ok(Vec::new()),
        }
    }
}

/// Build the operator for a plan node.
pub fn build(node: &PlanNode) -> Box<dyn Operator> {
    let op = node.op.clone();
    match op {
        Op::Search(e) => Box::new(Filter { pred: Pred::Search(search::Compiled::new(&e)) }),
        Op::Where(e) => Box::new(Filter { pred: Pred::Where(e) }),
        Op::Eval(a) => Box::new(EvalOp { assignments: a }),
        Op::Bin(b) => Box::new(BinOp { spec: b, held: Vec::new(), range: None, span: node.span }),
        Op::Rename(p) => Box::new(RenameOp { pairs: p }),
        Op::Convert(c) => Box::new(ConvertOp { spec: c }),
        Op::Stats(s) => match s.mode {
            StatsMode::Stats => Box::new(StatsOp { spec: s, groups: stats::Groups::default() }),
            StatsMode::EventStats => Box::new(EventStatsOp { spec: s, batches: Vec::new() }),
            StatsMode::StreamStats => Box::new(streamstats::StreamStats::new(s, node.span)),
        },
        Op::Fields { remove, patterns } => Box::new(FieldsOp { remove, patterns, table: false }),
        Op::Table(patterns) => Box::new(FieldsOp { remove: false, patterns, table: true }),
        Op::Head(n) => Box::new(HeadOp { left: n }),
        Op::HeadWhile { expr, null, keeplast, limit } => Box::new(HeadWhileOp { expr, null, keeplast, left: limit, done: false }),
        Op::Tail(n) => Box::new(Blocking::new(Collect { kind: CollectKind::Tail(n) })),
        Op::Reverse => Box::new(Blocking::new(Collect { kind: CollectKind::Reverse })),
        Op::Sort { keys, limit } => Box::new(Blocking::new(Collect { kind: CollectKind::Sort(keys, limit) })),
        Op::Dedup { fields, keep, keepempty, consecutive, sortby } => Box::new(DedupOp {
            fields,
            keep,
            keepempty,
            consecutive,
            seen: HashMap::new(),
            last: None,
            sortby: (!sortby.is_empty()).then(|| Blocking::new(Collect { kind: CollectKind::Sort(sortby, None) })),
        }),
        Op::FillNull { value, fields } => Box::new(FillNullOp { value, fields, seen: Vec::new(), batches: Vec::new() }),
        Op::Top(spec) => Box::new(Blocking::new(top::Top { spec })),
        Op::TimeOrder => Box::new(Blocking::new(text::TimeOrder)),
        Op::MvExpand { field, limit } => Box::new(text::MvExpand { field, limit }),
        Op::MvCombine { field, .. } => Box::new(Blocking::new(text::MvCombine { field })),
        Op::MakeMv { field, delim, tokenizer, allowempty } => Box::new(text::MakeMv { field, delim, tokenizer, allowempty, span: node.span }),
        Op::Rex { field, regex, max_match, sed } => Box::new(text::Rex { field, regex, max_match, sed, span: node.span }),
        Op::Regex { field, regex, negate } => Box::new(text::RegexFilter { field, regex, negate, span: node.span }),
        Op::Spath { input, output, path } => Box::new(text::Spath { input, output, path }),
        // built by the engine from the run's inputs (subsearch results, lookup tables)
        Op::Append(_) | Op::Join { .. } | Op::SearchSubsearch { .. } | Op::Lookup(_) | Op::InputLookup(_) => combine::unresolved(node),
    }
}

// ---------------------------------------------------------------------------------------------

/// What a [`Filter`] keeps: rows matching a search, or rows where an expression is true.
pub(crate) enum Pred {
    Search(search::Compiled),
    Where(spelunk_syntax::ast::Expr),
}

/// `search` and `where` (and `search ... [subsearch]` once its results are known).
pub(crate) struct Filter {
    pub(crate) pred: Pred,
}

impl Operator for Filter {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        let mut mask = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let r = BatchRow { view: &view, row };
            mask.push(match &self.pred {
                Pred::Search(c) => c.matches(&r),
                Pred::Where(e) => eval(e, &r, cx)?.is_true(),
            });
        }
        if mask.iter().all(|m| *m) {
            return Ok(vec![batch]);
        }
        if !mask.iter().any(|m| *m) {
            return Ok(Vec::new());
        }
        let out = arrow::compute::filter_record_batch(&batch, &BooleanArray::from(mask)).map_err(ExecError::arrow)?;
        Ok(vec![out])
    }
}

struct EvalOp {
    assignments: Vec<(String, spelunk_syntax::ast::Expr)>,
}

impl Operator for EvalOp {
    fn push(&mut self, mut batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        for (field, expr) in &self.assignments {
            let vals = {
                let view = BatchView::new(&batch);
                (0..batch.num_rows()).map(|row| eval(expr, &BatchRow { view: &view, row }, cx)).collect::<Result<Vec<_>, _>>()?
            };
            let vals: Vec<Value> = vals
                .into_iter()
                .map(|v| match v {
                    // booleans can't be stored in fields; Splunk stores them as text
                    Value::Bool(b) => Value::Str(if b { "true".into() } else { "false".into() }),
                    x => x,
                })
                .collect();
            batch = set_column(&batch, field, build_column(field, &vals)).map_err(ExecError::arrow)?;
        }
        Ok(vec![batch])
    }
}

struct BinOp {
    spec: BinSpec,
    /// With an automatic span: the batches held until the data's range is known.
    held: Vec<RecordBatch>,
    range: Option<(f64, f64)>,
    /// The command, for errors.
    span: Span,
}

/// Spans `bin` picks from for `_time` when no `span=` is given: the span thresholds the
/// timechart documentation lists ("Spans used when minspan is specified"), in seconds.
const TIME_SPANS: [f64; 11] = [1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0, 2592000.0];

/// The width of one span in seconds (months counted as 30 days), to compare with minspan.
fn span_seconds(s: BinSpan) -> f64 {
    match s {
        BinSpan::Width(w) => w,
        BinSpan::Months(m) => m as f64 * 2592000.0,
        BinSpan::Log(..) => 0.0,
    }
}

/// The span `bins=N` gives over values from `lo` to `hi` (Splunk's Search Manual, "Search using
/// time bins and spans"): for numbers the least power of ten (…, 0.1, 1, 10, 100, …) that fits
/// the range into at most N bins; for `_time` the least of 1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m,
/// 1h, 1d, 30d that does (past that, whole multiples of 30 days). Never smaller than `minspan=`.
pub fn auto_span(is_time: bool, lo: f64, hi: f64, bins: usize, minspan: Option<BinSpan>) -> BinSpan {
    let bins = bins.max(1) as f64;
    let min = minspan.map(span_seconds).unwrap_or(0.0);
    let range = (hi - lo).max(0.0);
    if is_time {
        for w in TIME_SPANS {
            if w >= min && range / w <= bins {
                return BinSpan::Width(w);
            }
        }
        let month = 2592000.0;
        return BinSpan::Width(month * (range / bins / month).ceil().max((min / month).ceil()).max(1.0));
    }
    let mut exp = if range > 0.0 { (range / bins).log10().ceil() as i32 } else { 0 };
    while 10f64.powi(exp) < min {
        exp += 1;
    }
    // floating error: 10^exp a hair under range/bins
    if range / 10f64.powi(exp) > bins {
        exp += 1;
    }
    BinSpan::Width(10f64.powi(exp))
}

impl BinOp {
    /// Where buckets start (`aligntime=`): epoch 0 by default, else the search's earliest or
    /// latest time, or a time specifier resolved against the search's `now`.
    fn align(&self, cx: &EvalContext) -> Result<f64, ExecError> {
        let err = |m: String| ExecError { message: m, span: Some(self.span) };
        match &self.spec.aligntime {
            None => Ok(0.0),
            Some(AlignTime::Earliest) => cx.time_range.0.ok_or_else(|| err("`bin aligntime=earliest` needs the search's earliest time: add earliest=<time> to the search or pass --earliest".into())),
            Some(AlignTime::Latest) => cx.time_range.1.ok_or_else(|| err("`bin aligntime=latest` needs the search's latest time: add latest=<time> to the search or pass --latest".into())),
            Some(AlignTime::Time(t)) => time::relative_time(cx.now, t)
                .ok_or_else(|| err(format!("invalid `aligntime={t}`: expected earliest, latest, epoch seconds, a relative time such as @d+3h, or %m/%d/%Y:%H:%M:%S"))),
        }
    }

    fn apply(&self, batch: RecordBatch, span: BinSpan, align: f64) -> Result<RecordBatch, ExecError> {
        let view = BatchView::new(&batch);
        let Some(col) = view.column(&self.spec.field) else {
            return Ok(batch);
        };
        let is_time = self.spec.field == "_time";
        // a power-of-ten span below 1: divide by 10^d rather than multiply by 0.1 (exact labels)
        let decimals = match span {
            BinSpan::Width(w) if w < 1.0 && w > 0.0 && (w.log10() - w.log10().round()).abs() < 1e-9 => Some(10f64.powi(-w.log10().round() as i32)),
            _ => None,
        };
        let vals: Vec<Value> = (0..batch.num_rows())
            .map(|row| {
                let v = value_at(col.as_ref(), row);
                let Some(x) = v.as_f64() else { return v };
                match span {
                    BinSpan::Width(w) => {
                        // x/w carries x's rounding error (a millisecond time such as
                        // 1705312800.123 is stored as ...122.99998 ms): a quotient within that
                        // error below a boundary belongs to the bucket starting there
                        let q = (x - align) / w;
                        let err = (x.abs() + align.abs()) * 8.0 * f64::EPSILON / w;
                        let k = if q.round() > q && q.round() - q <= err { q.round() } else { q.floor() };
                        let (b, hi) = match decimals {
                            Some(d) => (k / d + align, (k + 1.0) / d + align),
                            None => (k * w + align, k * w + w + align),
                        };
                        if is_time {
                            Value::Num(b)
                        } else {
                            Value::Str(format!("{}-{}", crate::value::format_number(b), crate::value::format_number(hi)))
                        }
                    }
                    BinSpan::Months(m) => time::month_bucket(x, m).map(Value::Num).unwrap_or(v),
                    BinSpan::Log(..) => v,
                }
            })
            .collect();
        let out = self.spec.alias.clone().unwrap_or_else(|| self.spec.field.clone());
        let arr = if is_time && out == "_time" { crate::columns::build_f64(&vals) } else { build_column(&out, &vals) };
        set_column(&batch, &out, arr).map_err(ExecError::arrow)
    }
}

impl Operator for BinOp {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if let Some(span) = self.spec.span {
            return Ok(vec![self.apply(batch, span, self.align(cx)?)?]);
        }
        if let Some(col) = BatchView::new(&batch).column(&self.spec.field) {
            for row in 0..batch.num_rows() {
                if let Some(x) = value_at(col.as_ref(), row).as_f64() {
                    self.range = Some(match self.range {
                        Some((lo, hi)) => (lo.min(x), hi.max(x)),
                        None => (x, x),
                    });
                }
            }
        }
        self.held.push(batch);
        Ok(Vec::new())
    }

    fn finish(&mut self, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let held = std::mem::take(&mut self.held);
        let Some((mut lo, mut hi)) = self.range else { return Ok(held) };
        // start=/end= widen the range, never narrow it
        lo = self.spec.start.map_or(lo, |s| s.min(lo));
        hi = self.spec.end.map_or(hi, |e| e.max(hi));
        let span = auto_span(self.spec.field == "_time", lo, hi, self.spec.bins.unwrap_or(100), self.spec.minspan);
        // aligntime is ignored for spans of a day or more (Splunk's bin page)
        let align = if span_seconds(span) >= 86400.0 { 0.0 } else { self.align(cx)? };
        held.into_iter().map(|b| self.apply(b, span, align)).collect()
    }
}

struct RenameOp {
    pairs: Vec<(String, String)>,
}

impl Operator for RenameOp {
    fn push(&mut self, mut batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        for (from, to) in &self.pairs {
            let schema = batch.schema();
            let mut cols: Vec<(String, ArrayRef)> = schema.fields().iter().zip(batch.columns()).map(|(f, a)| (f.name().clone(), a.clone())).collect();
            let mut renamed: Vec<(usize, String)> = Vec::new();
            for (i, (name, _)) in cols.iter().enumerate() {
                if let Some(caps) = name_match(from, name) {
                    renamed.push((i, fill_pattern(to, &caps)));
                }
            }
            if renamed.is_empty() {
                continue;
            }
            let targets: HashSet<&String> = renamed.iter().map(|(_, t)| t).collect();
            let sources: HashSet<usize> = renamed.iter().map(|(i, _)| *i).collect();
            // renaming onto an existing field replaces it
            let mut next = Vec::new();
            for (i, (name, arr)) in cols.drain(..).enumerate() {
                if let Some((_, t)) = renamed.iter().find(|(j, _)| *j == i) {
                    next.push((t.clone(), arr));
                } else if targets.contains(&name) && !sources.contains(&i) {
                    continue;
                } else {
                    next.push((name, arr));
                }
            }
            batch = make_batch(next, batch.num_rows()).map_err(ExecError::arrow)?;
        }
        Ok(vec![batch])
    }
}

struct ConvertOp {
    spec: ConvertSpec,
}

impl Operator for ConvertOp {
    fn push(&mut self, mut batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        for c in &self.spec.conversions {
            let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).filter(|n| name_matches(&c.field, n)).collect();
            for name in names {
                let vals: Vec<Value> = {
                    let view = BatchView::new(&batch);
                    (0..batch.num_rows()).map(|row| convert_value(c.func, view.get(&name, row), &self.spec.timeformat)).collect()
                };
                let out = c.alias.clone().unwrap_or_else(|| name.clone());
                let arr = if out == "_time" { crate::columns::build_array(&vals) } else { build_column(&out, &vals) };
                batch = set_column(&batch, &out, arr).map_err(ExecError::arrow)?;
            }
        }
        Ok(vec![batch])
    }
}

/// One `convert` function on one value; values that can't be converted stay as they are.
pub fn convert_value(f: ConvertFunc, v: Value, timeformat: &str) -> Value {
    let each = |x: &Value| -> Value {
        let text = x.to_text().unwrap_or_default();
        match f {
            ConvertFunc::Ctime => match x.as_f64() {
                Some(t) => time::strftime(t, timeformat, 0).map(Value::Str).unwrap_or_else(|| x.clone()),
                None => x.clone(),
            },
            ConvertFunc::Mktime => time::strptime(&text, timeformat).map(Value::number).unwrap_or_else(|| x.clone()),
            ConvertFunc::Num | ConvertFunc::Auto => match crate::value::parse_number(&text) {
                Some(n) => Value::number(n),
                None => {
                    if f == ConvertFunc::Auto {
                        x.clone()
                    } else {
                        // num() leaves non-numbers null
                        Value::Null
                    }
                }
            },
            ConvertFunc::Rmcomma => match crate::value::parse_number(&text.replace(',', "")) {
                Some(n) => Value::number(n),
                None => x.clone(),
            },
            ConvertFunc::Rmunit => {
                let end = text.trim_start().find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(text.len());
                match crate::value::parse_number(&text.trim_start()[..end]) {
                    Some(n) => Value::number(n),
                    None => x.clone(),
                }
            }
            ConvertFunc::Memk => {
                let t = text.trim();
                let (n, mult) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
                    Some('k') => (&t[..t.len() - 1], 1.0),
                    Some('m') => (&t[..t.len() - 1], 1024.0),
                    Some('g') => (&t[..t.len() - 1], 1024.0 * 1024.0),
                    _ => (t, 1.0),
                };
                match crate::value::parse_number(n) {
                    Some(v) => Value::number(v * mult),
                    None => x.clone(),
                }
            }
            ConvertFunc::Dur2sec => {
                let (days, rest) = match text.split_once('+') {
                    Some((d, r)) => (d.parse::<f64>().ok(), r),
                    None => (Some(0.0), text.as_str()),
                };
                let parts: Vec<Option<f64>> = rest.split(':').map(|p| p.parse::<f64>().ok()).collect();
                match (days, parts.as_slice()) {
                    (Some(d), [Some(h), Some(m), Some(s)]) => Value::number(d * 86400.0 + h * 3600.0 + m * 60.0 + s),
                    (Some(d), [Some(m), Some(s)]) => Value::number(d * 86400.0 + m * 60.0 + s),
                    _ => x.clone(),
                }
            }
            ConvertFunc::Sec2dur => match x.as_f64() {
                Some(s) => {
                    let s = s as i64;
                    let (d, h, m, sec) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60);
                    Value::Str(if d > 0 { format!("{d}+{h:02}:{m:02}:{sec:02}") } else { format!("{h:02}:{m:02}:{sec:02}") })
                }
                None => x.clone(),
            },
            ConvertFunc::None => x.clone(),
        }
    };
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => Value::from_values(vs.iter().map(each).collect()),
        x => each(&x),
    }
}

struct StatsOp {
    spec: StatsSpec,
    groups: stats::Groups,
}

impl Operator for StatsOp {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        self.groups.update_batch(&self.spec, &batch, cx)?;
        Ok(Vec::new())
    }
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let g = std::mem::take(&mut self.groups);
        Ok(vec![g.finish(&self.spec)?])
    }
}

struct EventStatsOp {
    spec: StatsSpec,
    batches: Vec<RecordBatch>,
}

impl Operator for EventStatsOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        self.batches.push(batch);
        Ok(Vec::new())
    }
    fn finish(&mut self, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let mut groups = stats::Groups::default();
        for b in &self.batches {
            groups.update_batch(&self.spec, b, cx)?;
        }
        let results: HashMap<Vec<String>, Vec<Value>> = groups.map.into_iter().map(|(k, (_, accs))| (k, accs.iter().map(|a| a.result()).collect())).collect();
        let empty: Vec<Value> = if self.spec.by.is_empty() { self.spec.aggs.iter().map(|a| stats::Acc::new(a.func).result()).collect() } else { Vec::new() };
        let mut out = Vec::new();
        for b in std::mem::take(&mut self.batches) {
            let view = BatchView::new(&b);
            let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(b.num_rows()); self.spec.aggs.len()];
            for row in 0..b.num_rows() {
                let key = stats::first_group_key(&view, row, &self.spec.by);
                let res = key.as_ref().and_then(|k| results.get(&stats::key_text(k))).or(if self.spec.by.is_empty() { results.get(&Vec::new()).or(Some(&empty)) } else { None });
                for (i, c) in cols.iter_mut().enumerate() {
                    c.push(res.map(|r| r[i].clone()).unwrap_or(Value::Null));
                }
            }
            let mut nb = b.clone();
            for (a, vals) in self.spec.aggs.iter().zip(cols) {
                nb = set_column(&nb, &a.name, build_column(&a.name, &vals)).map_err(ExecError::arrow)?;
            }
            out.push(nb);
        }
        Ok(out)
    }
}

struct FieldsOp {
    remove: bool,
    patterns: Vec<String>,
    table: bool,
}

impl Operator for FieldsOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let schema = batch.schema();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        if self.remove {
            let drop: Vec<&str> = names.iter().filter(|n| self.patterns.iter().any(|p| name_matches(p, n))).map(|s| s.as_str()).collect();
            return Ok(vec![drop_columns(&batch, &drop).map_err(ExecError::arrow)?]);
        }
        // keep in pattern order (table) or pattern order too for fields (Splunk shows them in the order listed)
        let mut cols: Vec<(String, ArrayRef)> = Vec::new();
        // names already kept (a set: a linear search per field was quadratic in wide data)
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        for p in &self.patterns {
            for (i, n) in names.iter().enumerate() {
                if name_matches(p, n) && !taken.contains(n) {
                    taken.insert(n.clone());
                    cols.push((n.clone(), batch.column(i).clone()));
                }
            }
            // `table` shows a column for every field it names, even one no result has
            if self.table && !p.contains('*') && !taken.contains(p) {
                taken.insert(p.clone());
                cols.push((p.clone(), arrow::array::new_null_array(&arrow::datatypes::DataType::Utf8, batch.num_rows())));
            }
        }
        if !self.table {
            // fields keeps internal fields (_time, _raw) unless removed explicitly
            for keep in ["_time", "_raw"] {
                if let Some(i) = names.iter().position(|n| n == keep) {
                    if !taken.contains(keep) {
                        cols.push((keep.to_string(), batch.column(i).clone()));
                    }
                }
            }
        }
        Ok(vec![make_batch(cols, batch.num_rows()).map_err(ExecError::arrow)?])
    }
}

struct HeadOp {
    left: usize,
}

/// `head (<eval-expression>)`: rows pass while the expression is true (a null result counts as
/// `null`); the first row where it is not ends the command (kept with `keeplast`).
struct HeadWhileOp {
    expr: spelunk_syntax::ast::Expr,
    null: bool,
    keeplast: bool,
    left: Option<usize>,
    done: bool,
}

impl Operator for HeadWhileOp {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if self.done {
            return Ok(Vec::new());
        }
        let view = BatchView::new(&batch);
        let mut n = 0;
        while n < batch.num_rows() {
            if self.left == Some(0) {
                self.done = true;
                break;
            }
            let v = eval(&self.expr, &BatchRow { view: &view, row: n }, cx)?;
            let pass = match v {
                Value::Null => self.null,
                v => v.is_true(),
            };
            if !pass {
                self.done = true;
                if self.keeplast {
                    n += 1;
                }
                break;
            }
            n += 1;
            self.left = self.left.map(|l| l - 1);
        }
        Ok(if n == 0 { Vec::new() } else { vec![batch.slice(0, n)] })
    }
}

impl Operator for HeadOp {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if self.left == 0 {
            return Ok(Vec::new());
        }
        let n = batch.num_rows().min(self.left);
        self.left -= n;
        Ok(vec![batch.slice(0, n)])
    }
}

struct DedupOp {
    fields: Vec<String>,
    keep: usize,
    keepempty: bool,
    consecutive: bool,
    seen: HashMap<Vec<String>, usize>,
    last: Option<Vec<String>>,
    /// `sortby`: the kept rows are sorted at the end.
    sortby: Option<Blocking<Collect>>,
}

impl Operator for DedupOp {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        let mut mask = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let vals: Vec<Value> = self.fields.iter().map(|f| view.get(f, row)).collect();
            if vals.iter().any(|v| v.is_null()) {
                mask.push(self.keepempty);
                continue;
            }
            let key: Vec<String> = vals.iter().map(|v| v.to_text().unwrap_or_default()).collect();
            if self.consecutive {
                let keep = self.last.as_ref() != Some(&key);
                self.last = Some(key);
                mask.push(keep);
            } else {
                let c = self.seen.entry(key).or_insert(0);
                *c += 1;
                mask.push(*c <= self.keep);
            }
        }
        let kept = arrow::compute::filter_record_batch(&batch, &BooleanArray::from(mask)).map_err(ExecError::arrow)?;
        match &mut self.sortby {
            Some(sort) => sort.push(kept, cx),
            None => Ok(vec![kept]),
        }
    }

    fn finish(&mut self, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        match &mut self.sortby {
            Some(sort) => sort.finish(cx),
            None => Ok(Vec::new()),
        }
    }
}

struct FillNullOp {
    value: String,
    fields: Vec<String>,
    seen: Vec<String>,
    batches: Vec<RecordBatch>,
}

impl Operator for FillNullOp {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        if self.fields.is_empty() {
            // without a field list, fill every field seen in any result: needs all rows
            for f in batch.schema().fields() {
                if !self.seen.contains(f.name()) {
                    self.seen.push(f.name().clone());
                }
            }
            self.batches.push(batch);
            return Ok(Vec::new());
        }
        let _ = cx;
        fill(&batch, &self.fields, &self.value).map(|b| vec![b])
    }
    fn finish(&mut self, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let fields: Vec<String> = self.seen.iter().filter(|f| !f.starts_with('_')).cloned().collect();
        std::mem::take(&mut self.batches).iter().map(|b| fill(b, &fields, &self.value)).collect()
    }
}

fn fill(batch: &RecordBatch, fields: &[String], value: &str) -> Result<RecordBatch, ExecError> {
    let mut b = batch.clone();
    for f in fields {
        let vals: Vec<Value> = {
            let view = BatchView::new(&b);
            (0..b.num_rows())
                .map(|row| match view.get(f, row) {
                    Value::Null => Value::Str(value.to_string()),
                    x => x,
                })
                .collect()
        };
        b = set_column(&b, f, build_column(f, &vals)).map_err(ExecError::arrow)?;
    }
    Ok(b)
}

enum CollectKind {
    Tail(usize),
    Reverse,
    Sort(Vec<SortKey>, Option<usize>),
}

/// Blocking operators that need every row: tail, reverse, sort.
struct Collect {
    kind: CollectKind,
}

impl TableOp for Collect {
    fn trim(&self, batches: &mut Vec<RecordBatch>) {
        if let CollectKind::Tail(n) = self.kind {
            // keep memory bounded: drop batches that can no longer be in the last n
            let mut total: usize = batches.iter().map(|b| b.num_rows()).sum();
            while batches.len() > 1 && total - batches[0].num_rows() >= n {
                total -= batches[0].num_rows();
                batches.remove(0);
            }
        }
    }

    fn table(&mut self, all: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let n = all.num_rows();
        let take = |idx: Vec<usize>| -> Result<RecordBatch, ExecError> {
            let indices = arrow::array::UInt32Array::from(idx.into_iter().map(|i| i as u32).collect::<Vec<_>>());
            let cols = all.columns().iter().map(|c| arrow::compute::take(c.as_ref(), &indices, None)).collect::<Result<Vec<_>, _>>().map_err(ExecError::arrow)?;
            RecordBatch::try_new(all.schema(), cols).map_err(ExecError::arrow)
        };
        match &self.kind {
            CollectKind::Tail(k) => {
                // Splunk's tail returns the last k in reverse order
                let idx: Vec<usize> = (n.saturating_sub(*k)..n).rev().collect();
                Ok(vec![take(idx)?])
            }
            CollectKind::Reverse => Ok(vec![take((0..n).rev().collect())?]),
            CollectKind::Sort(keys, limit) => {
                let view = BatchView::new(&all);
                let cols: Vec<Vec<Value>> = keys.iter().map(|k| (0..n).map(|r| view.get(&k.field, r)).collect()).collect();
                let mut idx: Vec<usize> = (0..n).collect();
                idx.sort_by(|&a, &b| {
                    for (ki, k) in keys.iter().enumerate() {
                        let (x, y) = (&cols[ki][a], &cols[ki][b]);
                        // a missing value counts as the largest when ascending and the
                        // smallest when descending (Search Reference, sort): last either way
                        let o = match (matches!(x, Value::Null), matches!(y, Value::Null)) {
                            (true, true) => std::cmp::Ordering::Equal,
                            (true, false) => std::cmp::Ordering::Greater,
                            (false, true) => std::cmp::Ordering::Less,
                            (false, false) => {
                                let o = sort_cmp(x, y, k.mode);
                                if k.descending { o.reverse() } else { o }
                            }
                        };
                        if o != std::cmp::Ordering::Equal {
                            return o;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                if let Some(l) = limit {
                    idx.truncate(*l);
                }
                Ok(vec![take(idx)?])
            }
        }
    }
}

fn sort_cmp(a: &Value, b: &Value, mode: SortMode) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match mode {
        SortMode::Auto => sort_order(a, b),
        SortMode::Str => a.to_text().cmp(&b.to_text()),
        SortMode::Num => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            _ => a.to_text().cmp(&b.to_text()),
        },
        SortMode::Ip => {
            let parse = |v: &Value| v.to_text().and_then(|t| t.parse::<std::net::IpAddr>().ok());
            match (parse(a), parse(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => a.to_text().cmp(&b.to_text()),
            }
        }
    }
}

#[allow(dead_code)]
fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_span_is_the_least_power_of_ten_that_fits() {
        // the Search Manual's examples: 0..59 in 5 bins -> 100; 24 hours in 12 bins -> 10; in 24 -> 1
        assert_eq!(auto_span(false, 0.0, 59.0, 5, None), BinSpan::Width(100.0));
        assert_eq!(auto_span(false, 0.0, 24.0, 12, None), BinSpan::Width(10.0));
        assert_eq!(auto_span(false, 0.0, 24.0, 24, None), BinSpan::Width(1.0));
        assert_eq!(auto_span(false, 0.0, 0.5, 10, None), BinSpan::Width(0.1));
        assert_eq!(auto_span(false, 5.0, 5.0, 10, None), BinSpan::Width(1.0));
        assert_eq!(auto_span(false, 0.0, 59.0, 100, Some(BinSpan::Width(20.0))), BinSpan::Width(100.0));
    }

    #[test]
    fn auto_time_span_comes_from_the_list() {
        assert_eq!(auto_span(true, 0.0, 300.0, 10, None), BinSpan::Width(30.0));
        assert_eq!(auto_span(true, 0.0, 300.0, 100, None), BinSpan::Width(5.0));
        assert_eq!(auto_span(true, 0.0, 86400.0 * 7.0, 100, None), BinSpan::Width(86400.0));
        assert_eq!(auto_span(true, 0.0, 10.0, 100, Some(BinSpan::Width(900.0))), BinSpan::Width(1800.0));
        assert_eq!(auto_span(true, 0.0, 86400.0 * 3650.0, 100, None), BinSpan::Width(2592000.0 * 2.0));
    }

    /// Sparse wide data (every record with its own key) made `table *` quadratic in the number
    /// of fields (12.6 s for 10,000 records): keeping, merging and looking up columns is linear.
    #[test]
    fn table_star_over_many_fields_is_linear() {
        use crate::columns::{concat_batches, make_batch};
        let n = 20_000;
        let wide = |from: usize| {
            let cols: Vec<(String, ArrayRef)> = (from..from + n).map(|i| (format!("k{i}"), arrow::array::new_null_array(&arrow::datatypes::DataType::Utf8, 1))).collect();
            make_batch(cols, 1).unwrap()
        };
        let started = std::time::Instant::now();
        let mut op = FieldsOp { remove: false, patterns: vec!["*".into()], table: true };
        let out = op.push(wide(0), &EvalContext::new(0.0)).unwrap();
        assert_eq!(out[0].num_columns(), n);
        let merged = concat_batches(&[wide(0), wide(n)]).unwrap().unwrap();
        assert_eq!((merged.num_columns(), merged.num_rows()), (2 * n, 2));
        assert!(started.elapsed().as_secs_f64() < 3.0, "{:?}", started.elapsed());
    }
}
