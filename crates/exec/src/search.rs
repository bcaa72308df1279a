//! Matching events against a `search` expression, with Splunk's rules:
//! - values match case-insensitively, `*` is a wildcard; field names are case-sensitive
//!   (https://docs.splunk.com/Documentation/Splunk/latest/Search/Usethesearchcommand: "field names are case sensitive, field values are not");
//! - `f!=v` matches only events that have `f` with a value other than `v`, while `NOT f=v` also
//!   matches events without `f` (https://docs.splunk.com/Documentation/Splunk/latest/Search/NOTexpressions);
//! - `<`, `>`, `<=`, `>=` compare numerically when both sides are numbers, else lexicographically;
//! - a multivalue field matches when any of its values does;
//! - a bare term matches anywhere in `_raw`.

use crate::eval::Row;
use crate::value::{compare, Value};
use spelunk_syntax::ast::{CmpOp, SearchExpr};
use std::cmp::Ordering;

/// A search value compiled for matching.
#[derive(Debug, Clone)]
pub struct Pattern {
    lower: String,
    has_wildcard: bool,
}

impl Pattern {
    pub fn new(text: &str) -> Self {
        Pattern { lower: text.to_lowercase(), has_wildcard: text.contains('*') }
    }

    pub fn matches(&self, text: &str) -> bool {
        if !self.has_wildcard {
            return if text.is_ascii() { text.eq_ignore_ascii_case(&self.lower) } else { text.to_lowercase() == self.lower };
        }
        spelunk_plan::pushdown::wildcard_match_ci(&self.lower, text)
    }

    /// Substring match for bare terms against `_raw`.
    pub fn contained_in(&self, raw: &str) -> bool {
        let hay = raw.to_lowercase();
        if !self.has_wildcard {
            return hay.contains(&self.lower);
        }
        spelunk_plan::pushdown::wildcard_match_ci(&format!("*{}*", self.lower), &hay)
    }
}

pub fn matches(e: &SearchExpr, row: &dyn Row) -> bool {
    match e {
        SearchExpr::And(items, _) => items.iter().all(|x| matches(x, row)),
        SearchExpr::Or(items, _) => items.iter().any(|x| matches(x, row)),
        SearchExpr::Not(x, _) => !matches(x, row),
        SearchExpr::Group(x, _) => matches(x, row),
        SearchExpr::Term(v) => {
            if v.text == "*" {
                return true;
            }
            match row.get("_raw").to_text() {
                Some(raw) => Pattern::new(&v.text).contained_in(&raw),
                None => false,
            }
        }
        SearchExpr::In { field, values, .. } => {
            let f = row.get(&field.name);
            values.iter().any(|v| {
                let p = Pattern::new(&v.text);
                f.values().iter().any(|x| p.matches(&x.to_text().unwrap_or_default()))
            })
        }
        SearchExpr::Compare { field, op, value, .. } => {
            let f = row.get(&field.name);
            if f.is_null() {
                return false;
            }
            let vals = f.values();
            match op {
                CmpOp::Eq => {
                    let p = Pattern::new(&value.text);
                    vals.iter().any(|x| p.matches(&x.to_text().unwrap_or_default()))
                }
                CmpOp::Ne => {
                    let p = Pattern::new(&value.text);
                    !vals.iter().any(|x| p.matches(&x.to_text().unwrap_or_default()))
                }
                _ => {
                    let rhs = Value::Str(value.text.clone());
                    vals.iter().any(|x| {
                        let o = compare(x, &rhs);
                        match op {
                            CmpOp::Lt => o == Ordering::Less,
                            CmpOp::Le => o != Ordering::Greater,
                            CmpOp::Gt => o == Ordering::Greater,
                            CmpOp::Ge => o != Ordering::Less,
                            _ => false,
                        }
                    })
                }
            }
        }
    }
}
