//! `stats`, `eventstats`, `streamstats`: aggregation with mergeable per-group state.
//!
//! Splunk doc "stats command" (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Stats)
//! and "Statistical and charting functions"
//! (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/CommonStatsFunctions):
//! events missing any BY field are dropped; `values()` is distinct and lexicographically
//! sorted; `list()` keeps order and the first 100 values; `count(f)` counts values of f.

use crate::columns::{build_column, make_batch, BatchView};
use crate::eval::{eval, EvalContext};
use crate::ops::{BatchRow, ExecError};
use crate::value::{parse_number, sort_order, Value};
use arrow::record_batch::RecordBatch;
use indexmap::IndexMap;
use spelunk_plan::{AggFunc, AggInput, AggSpec, StatsSpec};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// State of one aggregation for one group.
#[derive(Debug, Clone)]
pub enum Acc {
    Count(u64),
    Distinct(HashSet<String>),
    Values(BTreeSet<String>),
    List(Vec<Value>),
    MinMax { min: bool, num: Option<f64>, text: Option<String> },
    Sum { sum: f64, n: u64 },
    Avg { sum: f64, n: u64 },
    Moments { n: u64, mean: f64, m2: f64, sample: bool, std: bool },
    Numbers { vals: Vec<f64>, perc: Option<f64> },
    Mode(BTreeMap<String, (u64, usize)>),
    Range { lo: Option<f64>, hi: Option<f64> },
    First(Option<Value>),
    Last(Option<Value>),
    /// earliest/latest: (time, value)
    Timed { earliest: bool, best: Option<(f64, Value)> },
}

impl Acc {
    pub fn new(f: AggFunc) -> Acc {
        match f {
            AggFunc::Count => Acc::Count(0),
            AggFunc::DistinctCount => Acc::Distinct(HashSet::new()),
            AggFunc::Values => Acc::Values(BTreeSet::new()),
            AggFunc::List => Acc::List(Vec::new()),
            AggFunc::Min => Acc::MinMax { min: true, num: None, text: None },
            AggFunc::Max => Acc::MinMax { min: false, num: None, text: None },
            AggFunc::Sum => Acc::Sum { sum: 0.0, n: 0 },
            AggFunc::Avg => Acc::Avg { sum: 0.0, n: 0 },
            AggFunc::Stdev => Acc::Moments { n: 0, mean: 0.0, m2: 0.0, sample: true, std: true },
            AggFunc::Stdevp => Acc::Moments { n: 0, mean: 0.0, m2: 0.0, sample: false, std: true },
            AggFunc::Var => Acc::Moments { n: 0, mean: 0.0, m2: 0.0, sample: true, std: false },
            AggFunc::Varp => Acc::Moments { n: 0, mean: 0.0, m2: 0.0, sample: false, std: false },
            AggFunc::Median => Acc::Numbers { vals: Vec::new(), perc: Some(50.0) },
            AggFunc::Perc(p) => Acc::Numbers { vals: Vec::new(), perc: Some(p) },
            AggFunc::Mode => Acc::Mode(BTreeMap::new()),
            AggFunc::Range => Acc::Range { lo: None, hi: None },
            AggFunc::First => Acc::First(None),
            AggFunc::Last => Acc::Last(None),
            AggFunc::Earliest => Acc::Timed { earliest: true, best: None },
            AggFunc::Latest => Acc::Timed { earliest: false, best: None },
        }
    }

    /// Add one event's value (`None` for a plain `count`), at time `t`.
    pub fn update(&mut self, v: Option<&Value>, t: Option<f64>) {
        if let (Acc::Count(n), None) = (&mut *self, v) {
            *n += 1;
            return;
        }
        let Some(v) = v else { return };
        if v.is_null() {
            return;
        }
        match self {
            Acc::Count(n) => *n += v.values().len() as u64,
            Acc::Distinct(s) => v.values().iter().filter_map(|x| x.to_text()).for_each(|x| {
                s.insert(x);
            }),
            Acc::Values(s) => v.values().iter().filter_map(|x| x.to_text()).for_each(|x| {
                s.insert(x);
            }),
            Acc::List(l) => {
                for x in v.values() {
                    if l.len() < 100 {
                        l.push(x.clone());
                    }
                }
            }
            Acc::MinMax { min, num, text } => {
                for x in v.values() {
                    match x.as_f64() {
                        Some(f) => *num = Some(match num {
                            Some(c) if (*min && *c <= f) || (!*min && *c >= f) => *c,
                            _ => f,
                        }),
                        None => {
                            let s = x.to_text().unwrap_or_default();
                            *text = Some(match text.take() {
                                Some(c) if (*min && c <= s) || (!*min && c >= s) => c,
                                _ => s,
                            });
                        }
                    }
                }
            }
            Acc::Sum { sum, n } | Acc::Avg { sum, n } => {
                for f in v.values().iter().filter_map(|x| x.as_f64()) {
                    *sum += f;
                    *n += 1;
                }
            }
            Acc::Moments { n, mean, m2, .. } => {
                for f in v.values().iter().filter_map(|x| x.as_f64()) {
                    *n += 1;
                    let d = f - *mean;
                    *mean += d / *n as f64;
                    *m2 += d * (f - *mean);
                }
            }
            Acc::Numbers { vals, .. } => vals.extend(v.values().iter().filter_map(|x| x.as_f64())),
            Acc::Mode(m) => {
                let next = m.len();
                for x in v.values().iter().filter_map(|x| x.to_text()) {
                    m.entry(x).or_insert((0, next)).0 += 1;
                }
            }
            Acc::Range { lo, hi } => {
                for f in v.values().iter().filter_map(|x| x.as_f64()) {
                    *lo = Some(lo.map_or(f, |c| c.min(f)));
                    *hi = Some(hi.map_or(f, |c| c.max(f)));
                }
            }
            Acc::First(slot) => {
                if slot.is_none() {
                    *slot = Some(v.clone());
                }
            }
            Acc::Last(slot) => *slot = Some(v.clone()),
            Acc::Timed { earliest, best } => {
                let t = t.unwrap_or(0.0);
                let better = match best {
                    None => true,
                    Some((bt, _)) => (*earliest && t < *bt) || (!*earliest && t >= *bt),
                };
                if better {
                    *best = Some((t, v.clone()));
                }
            }
        }
    }

    /// Merge another partition's state for the same group into this one (the other came later).
    pub fn merge(&mut self, other: Acc) {
        match (self, other) {
            (Acc::Count(a), Acc::Count(b)) => *a += b,
            (Acc::Distinct(a), Acc::Distinct(b)) => a.extend(b),
            (Acc::Values(a), Acc::Values(b)) => a.extend(b),
            (Acc::List(a), Acc::List(b)) => a.extend(b.into_iter().take(100usize.saturating_sub(a.len()))),
            (Acc::MinMax { min, num, text }, Acc::MinMax { num: n2, text: t2, .. }) => {
                if let Some(f) = n2 {
                    *num = Some(match num {
                        Some(c) if (*min && *c <= f) || (!*min && *c >= f) => *c,
                        _ => f,
                    });
                }
                if let Some(s) = t2 {
                    *text = Some(match text.take() {
                        Some(c) if (*min && c <= s) || (!*min && c >= s) => c,
                        _ => s,
                    });
                }
            }
            (Acc::Sum { sum, n }, Acc::Sum { sum: s2, n: n2 }) | (Acc::Avg { sum, n }, Acc::Avg { sum: s2, n: n2 }) => {
                *sum += s2;
                *n += n2;
            }
            (Acc::Moments { n, mean, m2, .. }, Acc::Moments { n: nb, mean: mb, m2: m2b, .. }) => {
                if nb == 0 {
                    return;
                }
                let na = *n as f64;
                let nbf = nb as f64;
                let tot = na + nbf;
                let d = mb - *mean;
                *mean += d * nbf / tot;
                *m2 += m2b + d * d * na * nbf / tot;
                *n += nb;
            }
            (Acc::Numbers { vals, .. }, Acc::Numbers { vals: v2, .. }) => vals.extend(v2),
            (Acc::Mode(a), Acc::Mode(b)) => {
                for (k, (c, o)) in b {
                    let e = a.entry(k).or_insert((0, o + 1_000_000));
                    e.0 += c;
                }
            }
            (Acc::Range { lo, hi }, Acc::Range { lo: l2, hi: h2 }) => {
                if let Some(l) = l2 {
                    *lo = Some(lo.map_or(l, |c| c.min(l)));
                }
                if let Some(h) = h2 {
                    *hi = Some(hi.map_or(h, |c| c.max(h)));
                }
            }
            (Acc::First(a), Acc::First(b)) if a.is_none() => *a = b,
            (Acc::Last(a), Acc::Last(b)) if b.is_some() => *a = b,
            (Acc::Timed { earliest, best }, Acc::Timed { best: Some((t, v)), .. }) => {
                let better = match best {
                    None => true,
                    Some((bt, _)) => (*earliest && t < *bt) || (!*earliest && t >= *bt),
                };
                if better {
                    *best = Some((t, v));
                }
            }
            _ => {}
        }
    }

    pub fn result(&self) -> Value {
        match self {
            Acc::Count(n) => Value::Int(*n as i64),
            Acc::Distinct(s) => Value::Int(s.len() as i64),
            Acc::Values(s) => Value::from_values(s.iter().map(|x| Value::Str(x.clone())).collect()),
            Acc::List(l) => Value::from_values(l.clone()),
            Acc::MinMax { num, text, .. } => match (num, text) {
                (Some(f), _) => Value::number(*f),
                (None, Some(s)) => Value::Str(s.clone()),
                _ => Value::Null,
            },
            Acc::Sum { sum, n } => {
                if *n == 0 {
                    Value::Null
                } else {
                    Value::number(*sum)
                }
            }
            Acc::Avg { sum, n } => {
                if *n == 0 {
                    Value::Null
                } else {
                    Value::Num(*sum / *n as f64)
                }
            }
            Acc::Moments { n, m2, sample, std, .. } => {
                let denom = if *sample { n.saturating_sub(1) } else { *n };
                if denom == 0 {
                    return Value::Null;
                }
                let var = m2 / denom as f64;
                Value::Num(if *std { var.sqrt() } else { var })
            }
            Acc::Numbers { vals, perc } => {
                if vals.is_empty() {
                    return Value::Null;
                }
                let mut v = vals.clone();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                let p = perc.unwrap_or(50.0);
                // Splunk's default `perc_method = nearest-rank` (limits.conf, [stats]): the value
                // of 0-based rank floor(p/100 * count); for p=50 and an even count, the upper of
                // the two middle values. (Splunk approximates past 1000 distinct values; spelunk
                // stays exact.)
                let idx = ((p / 100.0) * v.len() as f64).floor() as usize;
                Value::number(v[idx.min(v.len() - 1)])
            }
            Acc::Mode(m) => m
                .iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
                .map(|(k, _)| match parse_number(k) {
                    Some(_) => Value::Str(k.clone()),
                    None => Value::Str(k.clone()),
                })
                .unwrap_or(Value::Null),
            Acc::Range { lo, hi } => match (lo, hi) {
                (Some(l), Some(h)) => Value::number(h - l),
                _ => Value::Null,
            },
            Acc::First(v) | Acc::Last(v) => v.clone().unwrap_or(Value::Null),
            Acc::Timed { best, .. } => best.as_ref().map(|(_, v)| v.clone()).unwrap_or(Value::Null),
        }
    }
}

/// Group state for `stats`: one entry per distinct BY tuple, in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub map: IndexMap<Vec<String>, (Vec<Value>, Vec<Acc>)>,
}

/// The most BY tuples one event may contribute to (the cross product of its multivalue BY
/// fields); beyond it the query is refused rather than building millions of groups per event.
pub const MAX_KEYS_PER_EVENT: usize = 100_000;

/// The BY tuples an event contributes to: none when any BY field is missing; the cross
/// product of the values of multivalue BY fields (at most [`MAX_KEYS_PER_EVENT`]).
pub fn group_keys(view: &BatchView, row: usize, by: &[String]) -> Result<Vec<Vec<Value>>, ExecError> {
    let mut per_field = Vec::with_capacity(by.len());
    let mut total: usize = 1;
    for f in by {
        let v = view.get(f, row);
        if v.is_null() {
            return Ok(Vec::new());
        }
        let vals = v.into_values();
        total = total.saturating_mul(vals.len());
        per_field.push(vals);
    }
    if total > MAX_KEYS_PER_EVENT {
        let sizes = per_field.iter().map(|v| v.len().to_string()).collect::<Vec<_>>().join(" x ");
        return Err(ExecError::msg(format!(
            "grouping by {}: one event has {sizes} = {total} combinations of multivalue values, more than the {MAX_KEYS_PER_EVENT} spelunk groups one event into (mvexpand or mvdedup the fields first, or group by fewer)",
            by.join(", ")
        )));
    }
    let mut keys: Vec<Vec<Value>> = vec![Vec::with_capacity(by.len())];
    for vals in per_field {
        if vals.len() == 1 {
            let v = vals.into_iter().next().unwrap_or(Value::Null);
            for k in &mut keys {
                k.push(v.clone());
            }
        } else {
            let mut next = Vec::with_capacity(keys.len() * vals.len());
            for k in &keys {
                for x in &vals {
                    let mut k2 = k.clone();
                    k2.push(x.clone());
                    next.push(k2);
                }
            }
            keys = next;
        }
    }
    Ok(keys)
}

/// The first BY tuple of an event (the first value of each BY field; none when one is
/// missing), without building the cross product.
pub fn first_group_key(view: &BatchView, row: usize, by: &[String]) -> Option<Vec<Value>> {
    by.iter()
        .map(|f| {
            let v = view.get(f, row);
            if v.is_null() {
                None
            } else {
                v.into_values().into_iter().next()
            }
        })
        .collect()
}

pub fn key_text(k: &[Value]) -> Vec<String> {
    k.iter().map(|v| v.to_text().unwrap_or_default()).collect()
}

/// Evaluate the inputs of all aggregations for one row.
pub fn agg_inputs(aggs: &[AggSpec], view: &BatchView, row: usize, cx: &EvalContext) -> Result<Vec<Option<Value>>, ExecError> {
    aggs.iter()
        .map(|a| match &a.input {
            None => Ok(None),
            Some(AggInput::Field(f)) => Ok(Some(view.get(f, row))),
            Some(AggInput::Eval(e)) => {
                let r = BatchRow { view, row };
                let v = eval(e, &r, cx).map_err(ExecError::from)?;
                // count(eval(cond)) counts rows where cond is true
                Ok(Some(match v {
                    Value::Bool(true) => Value::Int(1),
                    Value::Bool(false) => Value::Null,
                    x => x,
                }))
            }
        })
        .collect()
}

impl Groups {
    pub fn update_batch(&mut self, spec: &StatsSpec, batch: &RecordBatch, cx: &EvalContext) -> Result<(), ExecError> {
        let view = BatchView::new(batch);
        let times = view.column("_time").cloned();
        for row in 0..batch.num_rows() {
            let keys = group_keys(&view, row, &spec.by)?;
            if keys.is_empty() {
                continue;
            }
            let inputs = agg_inputs(&spec.aggs, &view, row, cx)?;
            let t = times.as_ref().and_then(|c| crate::columns::value_at(c.as_ref(), row).as_f64());
            for k in keys {
                let kt = key_text(&k);
                let entry = self.map.entry(kt).or_insert_with(|| (k, spec.aggs.iter().map(|a| Acc::new(a.func)).collect()));
                for (acc, v) in entry.1.iter_mut().zip(&inputs) {
                    acc.update(v.as_ref(), t);
                }
            }
        }
        Ok(())
    }

    pub fn merge(&mut self, other: Groups) {
        for (k, (vals, accs)) in other.map {
            match self.map.get_mut(&k) {
                Some((_, mine)) => {
                    for (a, b) in mine.iter_mut().zip(accs) {
                        a.merge(b);
                    }
                }
                None => {
                    self.map.insert(k, (vals, accs));
                }
            }
        }
    }

    /// The result table: BY columns then aggregations; rows ordered by the BY values.
    pub fn finish(self, spec: &StatsSpec) -> Result<RecordBatch, ExecError> {
        let mut rows: Vec<(Vec<Value>, Vec<Acc>)> = self.map.into_values().collect();
        if rows.is_empty() && spec.by.is_empty() {
            rows.push((Vec::new(), spec.aggs.iter().map(|a| Acc::new(a.func)).collect()));
        }
        rows.sort_by(|a, b| {
            for (x, y) in a.0.iter().zip(&b.0) {
                let o = sort_order(x, y);
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        let n = rows.len();
        let mut cols = Vec::new();
        for (i, f) in spec.by.iter().enumerate() {
            let vals: Vec<Value> = rows.iter().map(|r| r.0[i].clone()).collect();
            cols.push((f.clone(), build_column(f, &vals)));
        }
        for (i, a) in spec.aggs.iter().enumerate() {
            let vals: Vec<Value> = rows.iter().map(|r| r.1[i].result()).collect();
            // a later aggregation with the same name replaces an earlier column
            cols.retain(|(n, _)| n != &a.name);
            cols.push((a.name.clone(), build_column(&a.name, &vals)));
        }
        make_batch(cols, n).map_err(ExecError::arrow)
    }
}
