//! `streamstats`: each event gets the statistics of the events before it (and itself, unless
//! `current=false`), in pipeline order, per tuple of the BY fields.
//!
//! Splunk doc "streamstats" (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Streamstats):
//! - `window=N`: the last N events only. With BY and `global=true` (the default) that is one
//!   window of the last N events, each event seeing those of its own group; with `global=false`
//!   each group has its own window of N.
//! - `time_window=<span>`: only events less than the span away in `_time` (with `window=`, at
//!   most N of them). The input must be in time order, ascending or descending.
//! - `reset_on_change=true`: every statistic restarts when the BY values differ from the last
//!   event that had all BY fields (events missing one are ignored for this).
//! - `reset_before="(expr)"` / `reset_after="(expr)"`: every statistic restarts before / after
//!   an event for which the eval expression is true (evaluated on the incoming event).
//!
//! Events missing a BY field get no statistics. Without a window each group keeps running
//! accumulators (constant work per event); with one the window's events are kept and folded.

use super::{stats, BatchRow, ExecError, Operator};
use crate::columns::{build_column, set_column, value_at, BatchView};
use crate::eval::{eval, EvalContext};
use crate::value::Value;
use arrow::record_batch::RecordBatch;
use spelunk_plan::{AggFunc, StatsSpec};
use spelunk_syntax::ast::Span;
use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

/// One event in a window: its group, the inputs of the aggregations, its time.
struct Entry {
    key: Vec<String>,
    inputs: Vec<Option<Value>>,
    time: Option<f64>,
}

pub struct StreamStats {
    spec: StatsSpec,
    /// The command, for errors.
    span: Span,
    /// Without a window: per group, the running accumulators and how many events fed them.
    running: HashMap<Vec<String>, (Vec<stats::Acc>, u64)>,
    /// With a window: the events in it, per group (`global=false`, or only `time_window=`).
    windows: HashMap<Vec<String>, VecDeque<Entry>>,
    /// With `window=` and `global=true`: the last N events across groups.
    global: VecDeque<Entry>,
    /// `reset_on_change`: the BY values of the last event that had all of them.
    last_key: Option<Vec<String>>,
    /// `time_window`: the previous event's time and the order of the input so far.
    last_time: Option<f64>,
    direction: Option<Ordering>,
    /// With a window: per group, running totals of the events in it (count, sum, avg only,
    /// while every number is a whole number, so taking one off is exact) and how many events
    /// of the group it holds. `None`: the window is refolded for each event.
    totals: Option<HashMap<Vec<String>, (Vec<stats::Acc>, u64)>>,
}

/// Add (`sign` 1) or take off (-1) one entry's inputs to its group's running totals; false
/// when the totals cannot stay exact (a fraction or a huge number).
fn adjust(totals: &mut HashMap<Vec<String>, (Vec<stats::Acc>, u64)>, aggs: &[spelunk_plan::AggSpec], e: &Entry, sign: i64) -> bool {
    let (accs, n) = totals.entry(e.key.clone()).or_insert_with(|| (aggs.iter().map(|a| stats::Acc::new(a.func)).collect(), 0));
    *n = (*n as i64 + sign) as u64;
    for (acc, v) in accs.iter_mut().zip(&e.inputs) {
        match (acc, v) {
            (stats::Acc::Count(c), None) => *c = (*c as i64 + sign) as u64,
            (_, None) => {}
            (_, Some(v)) if v.is_null() => {}
            (stats::Acc::Count(c), Some(v)) => *c = (*c as i64 + sign * v.values().len() as i64) as u64,
            (stats::Acc::Sum { sum, n } | stats::Acc::Avg { sum, n }, Some(v)) => {
                for f in v.values().iter().filter_map(|x| x.as_f64()) {
                    if f.fract() != 0.0 || f.abs() > 1e15 {
                        return false;
                    }
                    *sum += sign as f64 * f;
                    *n = (*n as i64 + sign) as u64;
                }
            }
            _ => return false,
        }
    }
    true
}

impl StreamStats {
    pub fn new(spec: StatsSpec, span: Span) -> Self {
        let exact = !spec.stream.unbounded() && spec.aggs.iter().all(|a| matches!(a.func, AggFunc::Count | AggFunc::Sum | AggFunc::Avg));
        let totals = exact.then(HashMap::new);
        StreamStats { spec, span, running: HashMap::new(), windows: HashMap::new(), global: VecDeque::new(), last_key: None, last_time: None, direction: None, totals }
    }

    fn reset(&mut self) {
        self.running.clear();
        self.windows.clear();
        self.global.clear();
        if let Some(t) = &mut self.totals {
            t.clear();
        }
    }

    fn error(&self, message: &str) -> ExecError {
        ExecError { message: message.to_string(), span: Some(self.span) }
    }

    /// `time_window=` needs every event's `_time`, in one order throughout.
    fn check_order(&mut self, t: Option<f64>) -> Result<(), ExecError> {
        let Some(t) = t else {
            return Err(self.error("streamstats `time_window=` needs `_time` on every event"));
        };
        if let Some(prev) = self.last_time {
            let d = t.partial_cmp(&prev).unwrap_or(Ordering::Equal);
            if d != Ordering::Equal {
                match self.direction {
                    None => self.direction = Some(d),
                    Some(x) if x != d => {
                        return Err(self.error("streamstats `time_window=` needs the events in time order (newest or oldest first); add `sort 0 _time` or `sort 0 -_time` before it"))
                    }
                    Some(_) => {}
                }
            }
        }
        self.last_time = Some(t);
        Ok(())
    }

    /// The statistics for one event of group `key`, updating the state.
    fn step(&mut self, key: Vec<String>, inputs: Vec<Option<Value>>, time: Option<f64>) -> Vec<Value> {
        let o = &self.spec.stream;
        let aggs = &self.spec.aggs;
        let results = |accs: &[stats::Acc], n: u64| -> Vec<Value> {
            // no event in the window: only count has a value (0)
            aggs.iter().zip(accs).map(|(a, acc)| if n == 0 && a.func != AggFunc::Count { Value::Null } else { acc.result() }).collect()
        };
        if o.unbounded() {
            let (accs, n) = self.running.entry(key).or_insert_with(|| (aggs.iter().map(|a| stats::Acc::new(a.func)).collect(), 0));
            let before = (!o.current).then(|| results(accs, *n));
            for (acc, v) in accs.iter_mut().zip(&inputs) {
                acc.update(v.as_ref(), time);
            }
            *n += 1;
            return before.unwrap_or_else(|| results(accs, *n));
        }
        let limit = o.window.filter(|w| *w > 0);
        let deque = if limit.is_some() && o.global { &mut self.global } else { self.windows.entry(key.clone()).or_default() };
        let totals = &mut self.totals;
        let mut exact = totals.is_some();
        let leave = |totals: &mut Option<HashMap<Vec<String>, (Vec<stats::Acc>, u64)>>, e: &Entry| {
            if let Some(t) = totals.as_mut() {
                if !adjust(t, aggs, e, -1) {
                    *totals = None;
                }
            }
        };
        if let (Some(tw), Some(t)) = (o.time_window, time) {
            while deque.front().is_some_and(|e| e.time.is_none_or(|et| (t - et).abs() >= tw)) {
                if let Some(e) = deque.pop_front() {
                    leave(totals, &e);
                }
            }
        }
        let push = |totals: &mut Option<HashMap<Vec<String>, (Vec<stats::Acc>, u64)>>, deque: &mut VecDeque<Entry>, e: Entry| {
            if let Some(t) = totals.as_mut() {
                if !adjust(t, aggs, &e, 1) {
                    *totals = None;
                }
            }
            deque.push_back(e);
            if let Some(w) = limit {
                while deque.len() > w {
                    if let Some(e) = deque.pop_front() {
                        leave(totals, &e);
                    }
                }
            }
        };
        let group = key.clone();
        let mut entry = Some(Entry { key, inputs, time });
        if o.current {
            if let Some(e) = entry.take() {
                push(totals, deque, e);
            }
        }
        exact &= totals.is_some();
        let out = match totals.as_ref().and_then(|t| t.get(&group)).filter(|_| exact) {
            Some((accs, n)) => results(accs, *n),
            None if exact => results(&aggs.iter().map(|a| stats::Acc::new(a.func)).collect::<Vec<_>>(), 0),
            None => {
                let mut accs: Vec<stats::Acc> = aggs.iter().map(|a| stats::Acc::new(a.func)).collect();
                let mut n = 0;
                for e in deque.iter().filter(|e| e.key == group) {
                    for (acc, v) in accs.iter_mut().zip(&e.inputs) {
                        acc.update(v.as_ref(), e.time);
                    }
                    n += 1;
                }
                results(&accs, n)
            }
        };
        if let Some(e) = entry {
            push(totals, deque, e);
        }
        out
    }
}

impl Operator for StreamStats {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        let times = view.column("_time").cloned();
        let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(batch.num_rows()); self.spec.aggs.len()];
        for row in 0..batch.num_rows() {
            let r = BatchRow { view: &view, row };
            if let Some(e) = &self.spec.stream.reset_before {
                if eval(e, &r, cx)?.is_true() {
                    self.reset();
                }
            }
            let key = stats::first_group_key(&view, row, &self.spec.by).map(|k| stats::key_text(&k));
            if self.spec.stream.reset_on_change && !self.spec.by.is_empty() {
                if let Some(k) = &key {
                    if self.last_key.as_ref().is_some_and(|last| last != k) {
                        self.reset();
                    }
                    self.last_key = Some(k.clone());
                }
            }
            let t = times.as_ref().and_then(|c| value_at(c.as_ref(), row).as_f64());
            if self.spec.stream.time_window.is_some() {
                self.check_order(t)?;
            }
            match key {
                None => cols.iter_mut().for_each(|c| c.push(Value::Null)),
                Some(k) => {
                    let inputs = stats::agg_inputs(&self.spec.aggs, &view, row, cx)?;
                    for (c, v) in cols.iter_mut().zip(self.step(k, inputs, t)) {
                        c.push(v);
                    }
                }
            }
            if let Some(e) = &self.spec.stream.reset_after {
                if eval(e, &r, cx)?.is_true() {
                    self.reset();
                    self.last_key = None;
                }
            }
        }
        let mut nb = batch.clone();
        for (a, vals) in self.spec.aggs.iter().zip(cols) {
            nb = set_column(&nb, &a.name, build_column(&a.name, &vals)).map_err(ExecError::arrow)?;
        }
        Ok(vec![nb])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::make_batch;
    use spelunk_plan::{AggInput, AggSpec, StatsMode};

    /// `window=10000` over 60,000 events: count, sum and avg are kept as running totals of the
    /// window (added as events enter, taken off as they leave), not refolded over the whole
    /// window at every event (600 million updates).
    #[test]
    fn windows_are_not_recomputed_from_scratch() {
        let n = 60_000;
        let vals: Vec<Value> = (0..n).map(|i| Value::Int(i as i64 % 7)).collect();
        let batch = make_batch(vec![("x".into(), build_column("x", &vals))], n).unwrap();
        let mut spec = StatsSpec {
            mode: StatsMode::StreamStats,
            aggs: vec![
                AggSpec { func: AggFunc::Count, input: None, name: "c".into() },
                AggSpec { func: AggFunc::Sum, input: Some(AggInput::Field("x".into())), name: "s".into() },
                AggSpec { func: AggFunc::Avg, input: Some(AggInput::Field("x".into())), name: "a".into() },
            ],
            by: Vec::new(),
            stream: Default::default(),
        };
        spec.stream.window = Some(10_000);
        let mut op = StreamStats::new(spec, Span::default());
        let started = std::time::Instant::now();
        let out = op.push(batch, &EvalContext::new(0.0)).unwrap();
        assert!(started.elapsed().as_secs_f64() < 5.0, "{:?}", started.elapsed());
        let view = BatchView::new(&out[0]);
        let last = n - 1;
        let want: i64 = (n - 10_000..n).map(|i| i as i64 % 7).sum();
        assert_eq!(view.get("c", last), Value::Int(10_000));
        assert_eq!(view.get("s", last).as_f64(), Some(want as f64));
        assert_eq!(view.get("a", last).as_f64(), Some(want as f64 / 10_000.0));
        assert_eq!(view.get("c", 2), Value::Int(3));
    }
}
