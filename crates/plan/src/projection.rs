//! Which fields the scan must materialise for a plan (projection pushdown).
//!
//! Conservative: every field named anywhere in the query, plus `_time`; `All` when the result
//! is raw events or a command can reach fields it does not name (wildcards).

use crate::fields::{expr_fields, expr_needs_raw, search_fields};
use crate::plan::*;
use std::collections::BTreeSet;

pub fn compute(plan: &LogicalPlan) -> Projection {
    let mut f = BTreeSet::new();
    f.insert("_time".to_string());
    let mut transformed = false;
    for n in &plan.nodes {
        match &n.op {
            Op::Search(e) => search_fields(e, &mut f),
            // searchmatch("...") may test any field named in its string
            Op::Where(e) | Op::HeadWhile { expr: e, .. } if expr_needs_raw(e) => return Projection::All,
            // the subsearch's results name the fields to match only when it has run
            Op::SearchSubsearch { .. } => return Projection::All,
            Op::Where(e) | Op::HeadWhile { expr: e, .. } => expr_fields(e, &mut f),
            Op::Eval(a) => {
                for (_, e) in a {
                    if expr_needs_raw(e) {
                        return Projection::All;
                    }
                    expr_fields(e, &mut f);
                }
            }
            Op::Bin(b) => {
                f.insert(b.field.clone());
            }
            Op::Rename(pairs) => {
                for (a, _) in pairs {
                    if a.contains('*') {
                        return Projection::All;
                    }
                    f.insert(a.clone());
                }
            }
            Op::Stats(s) => {
                for a in &s.aggs {
                    match &a.input {
                        Some(AggInput::Field(x)) => {
                            if x.contains('*') {
                                return Projection::All;
                            }
                            f.insert(x.clone());
                        }
                        Some(AggInput::Eval(e)) => expr_fields(e, &mut f),
                        None => {}
                    }
                }
                f.extend(s.by.iter().cloned());
                for e in s.stream.reset_before.iter().chain(&s.stream.reset_after) {
                    if expr_needs_raw(e) {
                        return Projection::All;
                    }
                    expr_fields(e, &mut f);
                }
                if s.mode == StatsMode::Stats {
                    transformed = true;
                    break;
                }
            }
            Op::Top(t) => {
                f.extend(t.fields.iter().cloned());
                f.extend(t.by.iter().cloned());
                transformed = true;
                break;
            }
            Op::Convert(c) => {
                for cv in &c.conversions {
                    if cv.field.contains('*') {
                        return Projection::All;
                    }
                    f.insert(cv.field.clone());
                }
            }
            Op::Fields { remove: false, patterns } | Op::Table(patterns) => {
                if patterns.iter().any(|p| p.contains('*')) {
                    return Projection::All;
                }
                f.extend(patterns.iter().cloned());
                // after fields/table only these (and what earlier commands read) matter
                transformed = true;
                break;
            }
            Op::Fields { remove: true, .. } => {}
            Op::Sort { keys, .. } => f.extend(keys.iter().map(|k| k.field.clone())),
            Op::Dedup { fields, sortby, .. } => f.extend(fields.iter().cloned().chain(sortby.iter().map(|k| k.field.clone()))),
            Op::FillNull { fields, .. } => {
                if fields.is_empty() {
                    return Projection::All;
                }
                f.extend(fields.iter().cloned());
            }
            Op::Head(_) | Op::Tail(_) | Op::Reverse | Op::TimeOrder => {}
            Op::MvExpand { field, .. } | Op::MakeMv { field, .. } | Op::Rex { field, .. } | Op::Regex { field, .. } => {
                f.insert(field.clone());
            }
            Op::Spath { input, .. } => {
                f.insert(input.clone());
            }
            // compares every other field of the results
            Op::MvCombine { .. } => return Projection::All,
            // the subsearch plans its own scan; appended rows need nothing from this one
            Op::Append(_) | Op::InputLookup(_) => {}
            Op::Join { spec, .. } => {
                // without a field list the join compares every field the two sides share
                if spec.fields.is_empty() {
                    return Projection::All;
                }
                f.extend(spec.fields.iter().cloned());
            }
            Op::Lookup(l) => {
                f.extend(l.inputs.iter().map(|(_, event_field)| event_field.clone()));
                // OUTPUTNEW keeps the values events already have
                if l.output_new {
                    match &l.outputs {
                        Some(o) => f.extend(o.iter().map(|(_, event_field)| event_field.clone())),
                        None => return Projection::All,
                    }
                }
            }
        }
    }
    if !transformed {
        return Projection::All;
    }
    Projection::Fields(f)
}
