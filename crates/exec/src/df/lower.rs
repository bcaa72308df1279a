//! Lowering a spelunk [`LogicalPlan`] onto DataFusion's `LogicalPlanBuilder`: one arm per SPL
//! command in [`Lowering::command`]. What has no exact lowering yet is [`Unsupported`], with
//! the reason, and the query runs on the row engine instead (never answering differently).
//!
//! SPL rules the lowering keeps:
//! - event order: a plan that depends on the order events arrive in (raw event output,
//!   `head` or `dedup` over events, `list()`...) is not lowered yet; after `stats` the rows are
//!   in the order of the BY values, and every `sort` breaks its ties by the order before it
//!   (Splunk's sort keeps ties in the order they came), so [`Lowering::order`] carries the
//!   current row order and `head`, `sort` and the end of the plan sort by it;
//! - `stats ... BY f`: events without `f` are dropped; a multivalue BY field counts the event
//!   once per value (unnest); rows come out ordered by the BY values, numbers before text,
//!   numbers numerically, text byte-wise;
//! - the time range (`earliest=`/`latest=`, `--earliest`/`--latest`) keeps
//!   `earliest <= _time < latest`.

use super::schema::list_type;
use super::udaf::DistinctValues;
use super::udf::{Kind, SplFn};
use datafusion::common::{Column, ScalarValue};
use datafusion::functions_aggregate::expr_fn::{avg, count, count_distinct, max, min, sum};
use datafusion::logical_expr::{ident, lit, Expr as DfExpr, LogicalPlan as DfPlan, LogicalPlanBuilder, SortExpr};
use spelunk_plan::{AggFunc, AggInput, BinSpan, ConvertFunc, LogicalPlan, Op, Projection, SortMode, Source, StatsMode};
use spelunk_syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use std::collections::BTreeSet;
use arrow::datatypes::DataType;

/// Why a plan is not lowered (yet): it runs on the row engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn unsupported<T>(why: impl Into<String>) -> Result<T, Unsupported> {
    Err(Unsupported(why.into()))
}

fn df<T>(r: datafusion::error::Result<T>) -> Result<T, Unsupported> {
    r.map_err(|e| Unsupported(format!("datafusion: {e}")))
}

/// Whether a plan can run on DataFusion at all, before any table is built.
pub fn check(plan: &LogicalPlan) -> Result<(), Unsupported> {
    if plan.source != Source::Events {
        return unsupported("generated events (makeresults, inputlookup)");
    }
    if plan.projection == Projection::All {
        return unsupported("the query needs every field");
    }
    Ok(())
}

/// How a sort key orders values.
#[derive(Debug, Clone, PartialEq)]
struct OrderKey {
    field: String,
    descending: bool,
    mode: SortMode,
}

/// Prefix of the hidden columns that keep a row order whose columns were overwritten.
const HIDDEN: &str = "__spelunk_order";

struct Lowering {
    b: LogicalPlanBuilder,
    /// Hidden order columns made so far.
    hidden: usize,
    /// The current row order (None: undefined, e.g. events from the scan).
    order: Option<Vec<OrderKey>>,
    now: f64,
}

/// Lower `plan` over `scan` (the events table), keeping `earliest <= _time < latest`.
pub fn lower(plan: &LogicalPlan, scan: LogicalPlanBuilder, range: (Option<f64>, Option<f64>), now: f64) -> Result<DfPlan, Unsupported> {
    check(plan)?;
    let mut l = Lowering { b: scan, hidden: 0, order: None, now };
    let mut cond: Option<DfExpr> = None;
    if let Some(e) = range.0 {
        cond = Some(ident("_time").gt_eq(lit(e)));
    }
    if let Some(t) = range.1 {
        let c = ident("_time").lt(lit(t));
        cond = Some(match cond {
            Some(x) => x.and(c),
            None => c,
        });
    }
    if let Some(c) = cond {
        l.b = df(l.b.filter(c))?;
    }
    // the scan's columns under their own names (unqualified from here on)
    let names = l.names();
    l.select(names.iter().map(|n| ident(n.clone()).alias(n.clone())).collect())?;
    let time_sort = plan.time_sort_position();
    for (i, node) in plan.nodes.iter().enumerate() {
        if time_sort == Some(i) {
            l.time_order()?;
        }
        l.command(&node.op)?;
    }
    if time_sort == Some(plan.nodes.len()) {
        l.time_order()?;
    }
    if let Some(order) = l.order.clone() {
        let exprs = l.sort_exprs(&order)?;
        if !exprs.is_empty() {
            l.b = df(l.b.sort(exprs))?;
        }
    }
    if l.names().iter().any(|n| n.starts_with(HIDDEN)) {
        let visible: Vec<DfExpr> = l.names().into_iter().filter(|n| !n.starts_with(HIDDEN)).map(|n| ident(n.clone()).alias(n)).collect();
        l.select(visible)?;
    }
    df(l.b.build())
}

impl Lowering {
    fn names(&self) -> Vec<String> {
        self.b.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    fn ty(&self, name: &str) -> Option<DataType> {
        self.b.schema().fields().iter().find(|f| f.name() == name).map(|f| f.data_type().clone())
    }

    fn select(&mut self, exprs: Vec<DfExpr>) -> Result<(), Unsupported> {
        let b = std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false));
        self.b = df(b.project(exprs))?;
        Ok(())
    }

    /// Set (in place) or add a column.
    fn set_column(&mut self, name: &str, e: DfExpr) -> Result<(), Unsupported> {
        self.forget_order_of(name)?;
        let mut exprs = Vec::new();
        let mut done = false;
        for n in self.names() {
            if n == name {
                exprs.push(e.clone().alias(name));
                done = true;
            } else {
                exprs.push(ident(n.clone()).alias(n));
            }
        }
        if !done {
            exprs.push(e.alias(name));
        }
        self.select(exprs)
    }

    /// A column is about to change or go: when the row order is computed from it, keep its
    /// current values in a hidden column (`__ordN`, dropped at the end) and order by that.
    fn forget_order_of(&mut self, name: &str) -> Result<(), Unsupported> {
        if !self.order.as_ref().is_some_and(|o| o.iter().any(|k| k.field == name)) {
            return Ok(());
        }
        let hidden = format!("{HIDDEN}{}", self.hidden);
        self.hidden += 1;
        let mut exprs: Vec<DfExpr> = self.names().into_iter().map(|n| ident(n.clone()).alias(n)).collect();
        exprs.push(ident(name).alias(hidden.clone()));
        self.select(exprs)?;
        if let Some(o) = &mut self.order {
            o.iter_mut().filter(|k| k.field == name).for_each(|k| k.field = hidden.clone());
        }
        Ok(())
    }

    /// The hidden order columns.
    fn hidden_columns(&self) -> Vec<DfExpr> {
        self.names().into_iter().filter(|n| n.starts_with(HIDDEN)).map(|n| ident(n.clone()).alias(n)).collect()
    }

    /// The column, or a null text column when no event has the field.
    fn field(&self, name: &str) -> DfExpr {
        match self.ty(name) {
            Some(_) => ident(name),
            None => lit(ScalarValue::Utf8(None)),
        }
    }

    fn sort_exprs(&self, keys: &[OrderKey]) -> Result<Vec<SortExpr>, Unsupported> {
        let mut out = Vec::new();
        for k in keys {
            let asc = !k.descending;
            let Some(ty) = self.ty(&k.field) else { continue };
            let c = ident(k.field.clone());
            match (ty, k.mode) {
                (DataType::Float64 | DataType::Int64 | DataType::UInt64, SortMode::Auto | SortMode::Num) => out.push(c.sort(asc, false)),
                (DataType::Utf8, SortMode::Auto) => {
                    // numbers before text (ascending; after it descending), numbers
                    // numerically, text byte-wise; results missing the field last either way
                    out.push(c.clone().is_null().sort(true, false));
                    out.push(SplFn::call("spl_num_class".into(), Kind::NumClass, DataType::Int64, vec![c.clone()]).sort(asc, false));
                    out.push(SplFn::call("spl_num".into(), Kind::Num, DataType::Float64, vec![c.clone()]).sort(asc, false));
                    out.push(c.sort(asc, false));
                }
                (DataType::Utf8, SortMode::Str) => {
                    out.push(c.clone().is_null().sort(true, false));
                    out.push(c.sort(asc, false));
                }
                (ty, mode) => return unsupported(format!("sort {mode:?} over a {ty} field")),
            }
        }
        Ok(out)
    }

    fn command(&mut self, op: &Op) -> Result<(), Unsupported> {
        match op {
            Op::Search(e) => {
                let mut fields = BTreeSet::new();
                spelunk_plan::fields::search_fields(e, &mut fields);
                let compiled = crate::search::Compiled::new(e);
                if has_term(&compiled) {
                    fields.insert("_raw".into());
                }
                let fields: Vec<String> = fields.into_iter().collect();
                let args: Vec<DfExpr> = fields.iter().map(|f| self.field(f)).collect();
                let args = if args.is_empty() { vec![lit(0i64)] } else { args };
                let f = SplFn::call(format!("spl_search({e})"), Kind::Search { compiled, fields }, DataType::Boolean, args);
                self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).filter(f))?;
            }
            Op::Where(e) => {
                let f = self.eval_call(e, DataType::Boolean, true);
                self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).filter(f))?;
            }
            Op::Eval(assignments) => {
                for (name, e) in assignments {
                    let ty = match self.infer(e) {
                        Ty::Num => DataType::Float64,
                        Ty::Text | Ty::Null => DataType::Utf8,
                        Ty::Multi => list_type(),
                        Ty::Bool | Ty::Unknown => return unsupported(format!("eval {name}: the type of {e} is known only at run time")),
                    };
                    let f = self.eval_call(e, ty, false);
                    self.set_column(name, f)?;
                }
            }
            Op::Bin(spec) => {
                let plain = spec.field == "_time" && spec.bins.is_none() && spec.start.is_none() && spec.end.is_none() && spec.aligntime.is_none() && spec.minspan.is_none();
                match spec.span {
                    Some(BinSpan::Width(w)) if plain && w >= 1.0 && w.fract() == 0.0 && self.ty("_time") == Some(DataType::Float64) => {
                        let out = spec.alias.clone().unwrap_or_else(|| spec.field.clone());
                        let f = SplFn::call(format!("spl_bin(span={w})"), Kind::BinTime { width: w }, DataType::Float64, vec![ident("_time")]);
                        self.set_column(&out, f)?;
                    }
                    _ => return unsupported("this form of bin"),
                }
            }
            Op::Rename(pairs) => {
                for (from, to) in pairs {
                    if from.contains('*') || to.contains('*') {
                        return unsupported("rename with wildcards");
                    }
                    if self.ty(from).is_none() {
                        // no event has `from`: `to` is absent (null) in every result
                        if self.ty(to).is_some() {
                            self.forget_order_of(to)?;
                            let keep: Vec<DfExpr> = self.names().into_iter().filter(|n| n != to).map(|n| ident(n.clone()).alias(n)).collect();
                            self.select(keep)?;
                        }
                        continue;
                    }
                    if from == to {
                        continue;
                    }
                    self.forget_order_of(to)?;
                    let exprs: Vec<DfExpr> = self
                        .names()
                        .into_iter()
                        .filter(|n| n != to)
                        .map(|n| if &n == from { ident(n).alias(to.clone()) } else { ident(n.clone()).alias(n) })
                        .collect();
                    if let Some(o) = &mut self.order {
                        o.iter_mut().filter(|k| &k.field == from).for_each(|k| k.field = to.clone());
                    }
                    self.select(exprs)?;
                }
            }
            Op::Stats(spec) if spec.mode == StatsMode::Stats => self.stats(spec)?,
            Op::Convert(c) => {
                for conv in &c.conversions {
                    if conv.func != ConvertFunc::Ctime || conv.field.contains('*') {
                        return unsupported("this convert function");
                    }
                    if self.ty(&conv.field).is_none() {
                        continue;
                    }
                    let out = conv.alias.clone().unwrap_or_else(|| conv.field.clone());
                    let f = SplFn::call(format!("spl_ctime({:?})", c.timeformat), Kind::Ctime { format: c.timeformat.clone() }, DataType::Utf8, vec![ident(conv.field.clone())]);
                    self.set_column(&out, f)?;
                }
            }
            Op::Table(patterns) => {
                if patterns.iter().any(|p| p.contains('*')) {
                    return unsupported("table with wildcards");
                }
                let gone: Vec<String> = self.order.iter().flatten().map(|k| k.field.clone()).filter(|f| !patterns.contains(f) && !f.starts_with(HIDDEN)).collect();
                for f in gone {
                    self.forget_order_of(&f)?;
                }
                let mut seen = BTreeSet::new();
                let mut exprs: Vec<DfExpr> = patterns.iter().filter(|p| seen.insert(p.as_str())).map(|p| self.field(p).alias(p.clone())).collect();
                exprs.extend(self.hidden_columns());
                self.select(exprs)?;
            }
            Op::Head(n) => {
                let Some(order) = self.order.clone() else { return unsupported("head without a known row order") };
                let exprs = self.sort_exprs(&order)?;
                let b = std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false));
                self.b = df(if exprs.is_empty() { b.limit(0, Some(*n)) } else { b.sort_with_limit(exprs, Some(*n)) })?;
            }
            Op::Sort { keys, limit } => {
                let Some(order) = self.order.clone() else { return unsupported("sort without a known row order for ties") };
                let mut all: Vec<OrderKey> = keys.iter().map(|k| OrderKey { field: k.field.clone(), descending: k.descending, mode: k.mode }).collect();
                all.extend(order);
                let exprs = self.sort_exprs(&all)?;
                self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).sort_with_limit(exprs, *limit))?;
                self.order = Some(all);
            }
            Op::TimeOrder => self.time_order()?,
            Op::Rex { field, regex, max_match, sed } => {
                if *sed || *max_match != 1 {
                    return unsupported("rex mode=sed or max_match");
                }
                let Ok(re) = crate::eval::compile_regex(regex) else { return unsupported("rex: the regex does not compile") };
                match self.ty(field) {
                    // no event has the field: nothing matches, every field keeps its value
                    None => return Ok(()),
                    Some(DataType::Utf8) => {}
                    Some(_) => return unsupported("rex over a multivalue field"),
                }
                let names: Vec<String> = re.capture_names().flatten().map(|s| s.to_string()).collect();
                // every group is computed from the input as it was before any of them is set
                let mut updates = Vec::new();
                for n in &names {
                    let got = SplFn::call(format!("spl_rex({regex:?}, {n})"), Kind::Rex { regex: re.clone(), group: n.clone() }, DataType::Utf8, vec![ident(field.clone())]);
                    // no match: the field keeps the value it had
                    let e = match self.ty(n) {
                        Some(DataType::Utf8) => datafusion::logical_expr::when(got.clone().is_not_null(), got).otherwise(ident(n.clone())).map_err(|e| Unsupported(e.to_string()))?,
                        Some(_) => return unsupported("rex into a field that is not single-valued text"),
                        None => got,
                    };
                    updates.push((n.clone(), e));
                }
                if updates.len() > 1 {
                    return unsupported("rex with several named groups");
                }
                for (n, e) in updates {
                    self.set_column(&n, e)?;
                }
            }
            other => return unsupported(format!("`{}` is not lowered yet", other.name())),
        }
        Ok(())
    }

    /// Events newest first, as Splunk hands them to the pipeline: descending `_time`, ties in
    /// the order they were read.
    fn time_order(&mut self) -> Result<(), Unsupported> {
        if self.ty("_time").is_none() || self.ty(super::schema::SEQUENCE).is_none() {
            return unsupported("time order without _time");
        }
        self.order = Some(vec![
            OrderKey { field: "_time".into(), descending: true, mode: SortMode::Auto },
            OrderKey { field: super::schema::SEQUENCE.into(), descending: false, mode: SortMode::Auto },
        ]);
        Ok(())
    }

    fn eval_call(&self, e: &Expr, ret: DataType, as_filter: bool) -> DfExpr {
        let mut fields = BTreeSet::new();
        spelunk_plan::fields::expr_fields(e, &mut fields);
        let fields: Vec<String> = fields.into_iter().collect();
        let args: Vec<DfExpr> = fields.iter().map(|f| self.field(f)).collect();
        let args = if args.is_empty() { vec![lit(0i64)] } else { args };
        let name = if as_filter { format!("spl_where({e})") } else { format!("spl_eval({e})") };
        SplFn::call(name, Kind::Eval { expr: e.clone(), fields, now: self.now, as_filter }, ret, args)
    }

    fn stats(&mut self, spec: &spelunk_plan::StatsSpec) -> Result<(), Unsupported> {
        for f in &spec.by {
            match self.ty(f) {
                None => return unsupported(format!("stats BY {f}: no such column")),
                Some(DataType::List(_)) => {
                    self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).unnest_column(Column::new_unqualified(f.clone())))?;
                }
                Some(_) => {}
            }
        }
        // events missing a BY field are dropped
        if let Some(c) = spec.by.iter().map(|f| ident(f.clone()).is_not_null()).reduce(|a, b| a.and(b)) {
            self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).filter(c))?;
        }
        let mut aggs = Vec::new();
        for (i, a) in spec.aggs.iter().enumerate() {
            let input = match &a.input {
                None => None,
                Some(AggInput::Field(f)) => Some((f.clone(), self.ty(f).ok_or_else(|| Unsupported(format!("{}: no column {f}", a.name)))?)),
                Some(AggInput::Eval(_)) => return unsupported("aggregation of an eval expression"),
            };
            let e = match (a.func, input) {
                (AggFunc::Count, None) => count(lit(1i64)),
                (AggFunc::Count, Some((f, DataType::Utf8 | DataType::Float64))) => count(ident(f)),
                (AggFunc::DistinctCount, Some((f, DataType::Utf8))) => count_distinct(ident(f)),
                (AggFunc::DistinctCount, Some((f, _))) => DistinctValues::call(true, ident(f)),
                (AggFunc::Values, Some((f, _))) => DistinctValues::call(false, ident(f)),
                (AggFunc::Min, Some((f, DataType::Float64))) => min(ident(f)),
                (AggFunc::Max, Some((f, DataType::Float64))) => max(ident(f)),
                (AggFunc::Sum, Some((f, DataType::Utf8))) => sum(SplFn::call("spl_num".into(), Kind::Num, DataType::Float64, vec![ident(f)])),
                (AggFunc::Sum, Some((f, DataType::Float64))) => sum(ident(f)),
                (AggFunc::Avg, Some((f, DataType::Utf8))) => avg(SplFn::call("spl_num".into(), Kind::Num, DataType::Float64, vec![ident(f)])),
                (AggFunc::Avg, Some((f, DataType::Float64))) => avg(ident(f)),
                (func, input) => return unsupported(format!("{func:?} over {:?}", input.map(|i| i.1))),
            };
            aggs.push(e.alias(format!("__agg{i}")));
        }
        let groups: Vec<DfExpr> = spec.by.iter().map(|f| ident(f.clone())).collect();
        self.b = df(std::mem::replace(&mut self.b, LogicalPlanBuilder::empty(false)).aggregate(groups, aggs))?;
        // BY columns, then the aggregations; a later one of the same name replaces the column
        let mut cols: Vec<(String, DfExpr)> = spec.by.iter().map(|f| (f.clone(), ident(f.clone()))).collect();
        for (i, a) in spec.aggs.iter().enumerate() {
            cols.retain(|(n, _)| n != &a.name);
            cols.push((a.name.clone(), ident(format!("__agg{i}"))));
        }
        self.select(cols.into_iter().map(|(n, e)| e.alias(n)).collect())?;
        let order: Vec<OrderKey> = spec.by.iter().filter(|f| self.ty(f).is_some()).map(|f| OrderKey { field: f.clone(), descending: false, mode: SortMode::Auto }).collect();
        self.order = Some(order);
        Ok(())
    }

    fn infer(&self, e: &Expr) -> Ty {
        infer(e, &|f| self.ty(f))
    }
}

fn has_term(c: &crate::search::Compiled) -> bool {
    use crate::search::Compiled as C;
    match c {
        C::Term(_) => true,
        C::And(v) | C::Or(v) => v.iter().any(has_term),
        C::Not(x) => has_term(x),
        _ => false,
    }
}

/// The static type of an eval expression's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Num,
    Text,
    Multi,
    Bool,
    /// Always null (`null()`, a field no event has).
    Null,
    /// Depends on the data.
    Unknown,
}

fn unify(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Null, x) | (x, Ty::Null) => x,
        (x, y) if x == y => x,
        _ => Ty::Unknown,
    }
}

fn infer(e: &Expr, ty: &dyn Fn(&str) -> Option<DataType>) -> Ty {
    match &e.kind {
        ExprKind::Field { name, .. } => match ty(name) {
            None => Ty::Null,
            Some(DataType::Float64 | DataType::Int64 | DataType::UInt64) => Ty::Num,
            Some(DataType::Utf8) => Ty::Text,
            Some(DataType::List(_)) => Ty::Multi,
            Some(_) => Ty::Unknown,
        },
        ExprKind::Str(_) => Ty::Text,
        ExprKind::Num { .. } => Ty::Num,
        ExprKind::Paren(x) => infer(x, ty),
        ExprKind::Unary { op: UnaryOp::Not, .. } => Ty::Bool,
        ExprKind::Unary { .. } => Ty::Unknown,
        ExprKind::In { .. } => Ty::Bool,
        ExprKind::Binary { op, left, right } => match op {
            BinaryOp::Or | BinaryOp::Xor | BinaryOp::And | BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Like => Ty::Bool,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                if infer(left, ty) == Ty::Num && infer(right, ty) == Ty::Num {
                    Ty::Num
                } else {
                    Ty::Unknown
                }
            }
            BinaryOp::Concat => {
                if infer(left, ty) != Ty::Multi && infer(right, ty) != Ty::Multi {
                    Ty::Text
                } else {
                    Ty::Unknown
                }
            }
        },
        ExprKind::Call { name, args } => {
            let n = name.name.to_ascii_lowercase();
            let arg = |i: usize| args.get(i).map(|a| infer(a, ty)).unwrap_or(Ty::Null);
            match n.as_str() {
                "if" => unify(arg(1), arg(2)),
                "case" => args.iter().skip(1).step_by(2).map(|a| infer(a, ty)).fold(Ty::Null, unify),
                "coalesce" => args.iter().map(|a| infer(a, ty)).fold(Ty::Null, unify),
                "null" => Ty::Null,
                "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "substr" | "replace" | "urldecode" | "tostring" | "printf" | "strftime" | "md5" | "sha1" | "sha256" | "sha512" | "typeof" | "mvjoin" => {
                    if args.iter().all(|a| infer(a, ty) != Ty::Multi) {
                        Ty::Text
                    } else {
                        Ty::Unknown
                    }
                }
                "len" | "abs" | "round" | "floor" | "ceil" | "ceiling" | "sqrt" | "pow" | "ln" | "log" | "exp" | "now" | "time" | "tonumber" | "strptime" | "relative_time" | "mvcount" | "pi" => Ty::Num,
                "split" => Ty::Multi,
                "isnull" | "isnotnull" | "like" | "match" | "cidrmatch" | "searchmatch" | "in" | "true" | "false" | "isnum" | "isstr" | "isint" => Ty::Bool,
                _ => Ty::Unknown,
            }
        }
    }
}
