//! SPL's scalar semantics as DataFusion scalar functions, each over whole Arrow arrays.
//!
//! One function type, [`SplFn`], with one variant per SPL function family ([`Kind`]):
//! - [`Kind::Search`]: a `search` expression (case-insensitive wildcard values, multivalue
//!   "any value", `f!=v` needing `f`, bare terms in `_raw`), evaluated column by column with
//!   the patterns compiled once per query (`crate::search::Compiled`);
//! - [`Kind::Eval`]: an `eval`/`where` expression through the SPL evaluator (`crate::eval`),
//!   so every eval function keeps exactly its row-engine semantics while it waits for its own
//!   vectorized kernel; its result type is inferred statically by the lowering;
//! - [`Kind::Num`]: text to number as SPL reads numbers (`sum`, `avg`, sort keys);
//! - [`Kind::NumClass`]: 0 for a value that reads as a number, 1 otherwise (sort keys:
//!   numbers before text);
//! - [`Kind::BinTime`]: `bin _time span=W` (the bucket start, without floating-point drift);
//! - [`Kind::Ctime`]: `convert ctime(f)` with a `timeformat` (UTC);
//! - [`Kind::Rex`]: one named group of `rex`'s first match.
//!
//! A function's identity (what DataFusion compares and hashes) is its display name, which
//! includes its parameters.

use crate::columns::value_at;
use crate::eval::{eval, EvalContext, Row};
use crate::search::Compiled;
use crate::value::{parse_number, Value};
use arrow::array::{Array, ArrayRef, BooleanBuilder, Float64Array, Float64Builder, Int64Builder, ListArray, ListBuilder, StringArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, Expr as DfExpr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use spelunk_syntax::ast::Expr;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What a [`SplFn`] computes.
#[derive(Debug)]
pub enum Kind {
    Search { compiled: Compiled, fields: Vec<String> },
    Eval { expr: Expr, fields: Vec<String>, now: f64, as_filter: bool },
    Num,
    NumClass,
    BinTime { width: f64 },
    Ctime { format: String },
    Rex { regex: regex::Regex, group: String },
}

/// One SPL scalar function instance.
#[derive(Debug)]
pub struct SplFn {
    name: String,
    kind: Kind,
    ret: DataType,
    sig: Signature,
}

impl PartialEq for SplFn {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.ret == o.ret
    }
}
impl Eq for SplFn {}
impl Hash for SplFn {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.name.hash(h);
    }
}

impl SplFn {
    /// The function as a DataFusion expression over `args`.
    pub fn call(name: String, kind: Kind, ret: DataType, args: Vec<DfExpr>) -> DfExpr {
        let f = SplFn { name, kind, ret, sig: Signature::variadic_any(Volatility::Immutable) };
        ScalarUDF::new_from_impl(f).call(args)
    }
}

impl ScalarUDFImpl for SplFn {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.ret.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(n)).collect::<Result<_>>()?;
        let out: ArrayRef = match &self.kind {
            Kind::Search { compiled, fields } => {
                let cols: HashMap<&str, &ArrayRef> = fields.iter().map(|f| f.as_str()).zip(arrays.iter()).collect();
                let m = search_mask(compiled, &cols, n);
                let mut b = BooleanBuilder::with_capacity(n);
                b.append_slice(&m);
                Arc::new(b.finish())
            }
            Kind::Eval { expr, fields, now, as_filter } => eval_rows(expr, fields, &arrays, n, *now, *as_filter, &self.ret)?,
            Kind::Num => {
                let a = arg(&arrays, 0)?;
                match a.as_any().downcast_ref::<StringArray>() {
                    Some(s) => Arc::new(s.iter().map(|v| v.and_then(parse_number)).collect::<Float64Array>()),
                    None => Arc::new((0..a.len()).map(|i| value_at(a.as_ref(), i).as_f64()).collect::<Float64Array>()),
                }
            }
            Kind::NumClass => {
                let a = arg(&arrays, 0)?;
                let mut b = Int64Builder::with_capacity(a.len());
                match a.as_any().downcast_ref::<StringArray>() {
                    // text: parsed in place, no value built per cell
                    Some(s) => s.iter().for_each(|v| b.append_value(if v.and_then(parse_number).is_some() { 0 } else { 1 })),
                    None => (0..a.len()).for_each(|i| b.append_value(if value_at(a.as_ref(), i).as_f64().is_some() { 0 } else { 1 })),
                }
                Arc::new(b.finish())
            }
            Kind::BinTime { width } => {
                let a = arg(&arrays, 0)?;
                let f = arrow::compute::cast(a, &DataType::Float64)?;
                let f = f.as_any().downcast_ref::<Float64Array>().ok_or_else(|| DataFusionError::Internal("bin: not a number column".into()))?;
                let w = *width;
                Arc::new(f.iter().map(|x| x.map(|x| time_bucket(x, w))).collect::<Float64Array>())
            }
            Kind::Ctime { format } => {
                let a = arg(&arrays, 0)?;
                let mut b = StringBuilder::with_capacity(a.len(), a.len() * 20);
                for i in 0..a.len() {
                    match value_at(a.as_ref(), i) {
                        Value::Null => b.append_null(),
                        v => match v.as_f64().and_then(|t| crate::time::strftime(t, format, 0)) {
                            Some(s) => b.append_value(s),
                            // not a time: the value stays as it was
                            None => b.append_option(v.to_text()),
                        },
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Rex { regex, group } => {
                let a = arg(&arrays, 0)?;
                let s = a.as_any().downcast_ref::<StringArray>().ok_or_else(|| DataFusionError::Internal("rex: not a text column".into()))?;
                let mut b = StringBuilder::with_capacity(s.len(), s.len() * 8);
                for v in s.iter() {
                    b.append_option(v.and_then(|t| regex.captures(t)).and_then(|c| c.name(group).map(|m| m.as_str().to_string())));
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

fn arg(arrays: &[ArrayRef], i: usize) -> Result<&ArrayRef> {
    arrays.get(i).ok_or_else(|| DataFusionError::Internal("missing argument".into()))
}

/// The start of `x`'s bucket of width `w` from the epoch. `x/w` carries `x`'s rounding error
/// (a millisecond time such as 1705312800.123 is stored as ...122.99998 ms): a quotient within
/// that error below a boundary belongs to the bucket starting there (the row engine's rule).
pub fn time_bucket(x: f64, w: f64) -> f64 {
    let q = x / w;
    let err = x.abs() * 8.0 * f64::EPSILON / w;
    let k = if q.round() > q && q.round() - q <= err { q.round() } else { q.floor() };
    k * w
}

/// The rows of `arrays` as SPL rows, field by field.
struct ArrayRow<'a> {
    index: &'a HashMap<&'a str, usize>,
    arrays: &'a [ArrayRef],
    row: usize,
}

impl Row for ArrayRow<'_> {
    fn get(&self, field: &str) -> Value {
        match self.index.get(field) {
            Some(i) => value_at(self.arrays[*i].as_ref(), self.row),
            None => Value::Null,
        }
    }
}

fn eval_rows(expr: &Expr, fields: &[String], arrays: &[ArrayRef], n: usize, now: f64, as_filter: bool, ret: &DataType) -> Result<ArrayRef> {
    let index: HashMap<&str, usize> = fields.iter().enumerate().map(|(i, f)| (f.as_str(), i)).collect();
    let cx = EvalContext::new(now);
    let mut vals = Vec::with_capacity(n);
    for row in 0..n {
        let r = ArrayRow { index: &index, arrays, row };
        let v = eval(expr, &r, &cx).map_err(|e| DataFusionError::Execution(e.message))?;
        vals.push(v);
    }
    if as_filter {
        let mut b = BooleanBuilder::with_capacity(n);
        vals.iter().for_each(|v| b.append_value(v.is_true()));
        return Ok(Arc::new(b.finish()));
    }
    Ok(match ret {
        DataType::Float64 => {
            let mut b = Float64Builder::with_capacity(n);
            for v in &vals {
                match v {
                    Value::Int(i) => b.append_value(*i as f64),
                    Value::Num(f) => b.append_value(*f),
                    Value::Null => b.append_null(),
                    other => return Err(DataFusionError::Internal(format!("eval: {other:?} where the plan expects a number"))),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for v in &vals {
                match v {
                    Value::Multi(_) => return Err(DataFusionError::Internal("eval: a multivalue where the plan expects one value".into())),
                    v => b.append_option(v.to_text()),
                }
            }
            Arc::new(b.finish())
        }
        _ => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in &vals {
                if v.is_null() {
                    b.append(false);
                } else {
                    for x in v.values() {
                        b.values().append_option(x.to_text());
                    }
                    b.append(true);
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// Evaluate a compiled search expression over columns (by field name).
fn search_mask(c: &Compiled, cols: &HashMap<&str, &ArrayRef>, n: usize) -> Vec<bool> {
    match c {
        Compiled::Any => vec![true; n],
        Compiled::And(items) => {
            let mut m = vec![true; n];
            for x in items {
                let o = search_mask(x, cols, n);
                m.iter_mut().zip(o).for_each(|(a, b)| *a &= b);
            }
            m
        }
        Compiled::Or(items) => {
            let mut m = vec![false; n];
            for x in items {
                let o = search_mask(x, cols, n);
                m.iter_mut().zip(o).for_each(|(a, b)| *a |= b);
            }
            m
        }
        Compiled::Not(x) => search_mask(x, cols, n).into_iter().map(|b| !b).collect(),
        Compiled::Term(p) => match cols.get("_raw") {
            None => vec![false; n],
            Some(a) => match a.as_any().downcast_ref::<StringArray>() {
                Some(s) => s.iter().map(|v| v.is_some_and(|t| p.contained_in(t))).collect(),
                None => (0..n).map(|i| value_at(a.as_ref(), i).to_text().is_some_and(|t| p.contained_in(&t))).collect(),
            },
        },
        Compiled::Eq { field, pattern, negated } => per_value(cols.get(field.as_str()), n, |mut vals: &mut dyn Iterator<Item = &str>, present| {
            // `f!=v` needs f to exist: a missing field matches neither `=` nor `!=`
            present && (Iterator::any(&mut vals, |v| pattern.matches(v)) != *negated)
        }),
        Compiled::Set { field, values } => per_value(cols.get(field.as_str()), n, |mut vals, _| {
            Iterator::any(&mut vals, |t| crate::search::set_contains(values, t))
        }),
        Compiled::In { field, patterns } => per_value(cols.get(field.as_str()), n, |mut vals, _| Iterator::any(&mut vals, |v| patterns.iter().any(|p| p.matches(v)))),
        Compiled::Order { field, op, rhs } => per_value(cols.get(field.as_str()), n, |mut vals, _| {
            Iterator::any(&mut vals, |v| crate::search::order_holds(*op, &Value::Str(v.to_string()), rhs))
        }),
    }
}

/// For each row, `f(values of the field as text, whether the field is present)`.
fn per_value(col: Option<&&ArrayRef>, n: usize, f: impl Fn(&mut dyn Iterator<Item = &str>, bool) -> bool) -> Vec<bool> {
    let Some(a) = col else {
        return (0..n).map(|_| f(&mut std::iter::empty(), false)).collect();
    };
    if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
        return s
            .iter()
            .map(|v| match v {
                Some(t) => f(&mut std::iter::once(t), true),
                None => f(&mut std::iter::empty(), false),
            })
            .collect();
    }
    if let Some(l) = a.as_any().downcast_ref::<ListArray>() {
        if let Some(items) = l.values().as_any().downcast_ref::<StringArray>() {
            let offsets = l.value_offsets();
            return (0..n)
                .map(|i| {
                    if l.is_null(i) {
                        return f(&mut std::iter::empty(), false);
                    }
                    let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
                    let mut it = (s..e).filter(|j| !items.is_null(*j)).map(|j| items.value(j));
                    f(&mut it, e > s)
                })
                .collect();
        }
    }
    (0..n)
        .map(|i| {
            let v = value_at(a.as_ref(), i);
            let texts: Vec<String> = v.values().iter().filter_map(|x| x.to_text()).collect();
            f(&mut texts.iter().map(|s| s.as_str()), !v.is_null())
        })
        .collect()
}
