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

    /// Match a bare term or phrase against `_raw`. Splunk matches whole segments: the term must
    /// start and end at a breaker (anything but a letter or digit) or the edge of the text, so
    /// `fail` does not match `failed` (write `fail*`). A leading or trailing `*` lifts that end's
    /// boundary. (Search Manual, "Event segmentation and searching".)
    pub fn contained_in(&self, raw: &str) -> bool {
        let hay = raw.to_lowercase();
        let t = self.lower.as_str();
        let open_start = t.starts_with('*');
        let open_end = t.ends_with('*');
        let core = t.trim_matches('*');
        if core.is_empty() {
            return true;
        }
        if core.contains('*') {
            // inner wildcards: anchor each end by extending the pattern to token edges
            return hay
                .char_indices()
                .filter(|(i, _)| open_start || at_boundary_before(&hay, *i))
                .any(|(i, _)| {
                    let rest = &hay[i..];
                    (0..=rest.len()).rev().filter(|e| rest.is_char_boundary(*e)).any(|e| {
                        (open_end || at_boundary_after(&hay, i + e)) && spelunk_plan::pushdown::wildcard_match_ci(core, &rest[..e])
                    })
                });
        }
        let mut from = 0;
        while let Some(pos) = hay[from..].find(core) {
            let s = from + pos;
            let e = s + core.len();
            if (open_start || at_boundary_before(&hay, s)) && (open_end || at_boundary_after(&hay, e)) {
                return true;
            }
            from = s + hay[s..].chars().next().map_or(1, |c| c.len_utf8());
        }
        false
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn at_boundary_before(text: &str, i: usize) -> bool {
    text[..i].chars().next_back().is_none_or(|c| !is_word_char(c))
}

fn at_boundary_after(text: &str, i: usize) -> bool {
    text[i..].chars().next().is_none_or(|c| !is_word_char(c))
}

/// Match one row (compiles the expression each call; operators use [`Compiled`]).
pub fn matches(e: &SearchExpr, row: &dyn Row) -> bool {
    Compiled::new(e).matches(row)
}

/// A search expression with its values compiled once per query (lower-cased patterns,
/// comparison values), so matching a row allocates nothing for the expression itself.
#[derive(Debug, Clone)]
pub enum Compiled {
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
    Not(Box<Compiled>),
    Any,
    Term(Pattern),
    In { field: String, patterns: Vec<Pattern> },
    Eq { field: String, pattern: Pattern, negated: bool },
    Order { field: String, op: CmpOp, rhs: Value },
}

impl Compiled {
    pub fn new(e: &SearchExpr) -> Compiled {
        match e {
            SearchExpr::And(items, _) => Compiled::And(items.iter().map(Compiled::new).collect()),
            SearchExpr::Or(items, _) => Compiled::Or(items.iter().map(Compiled::new).collect()),
            SearchExpr::Not(x, _) => Compiled::Not(Box::new(Compiled::new(x))),
            SearchExpr::Group(x, _) => Compiled::new(x),
            SearchExpr::Term(v) if v.text == "*" => Compiled::Any,
            SearchExpr::Term(v) => Compiled::Term(Pattern::new(&v.text)),
            SearchExpr::In { field, values, .. } => Compiled::In { field: field.name.clone(), patterns: values.iter().map(|v| Pattern::new(&v.text)).collect() },
            SearchExpr::Compare { field, op: op @ (CmpOp::Eq | CmpOp::Ne), value, .. } => {
                Compiled::Eq { field: field.name.clone(), pattern: Pattern::new(&value.text), negated: *op == CmpOp::Ne }
            }
            SearchExpr::Compare { field, op, value, .. } => Compiled::Order { field: field.name.clone(), op: *op, rhs: Value::Str(value.text.clone()) },
        }
    }

    pub fn matches(&self, row: &dyn Row) -> bool {
        match self {
            Compiled::And(items) => items.iter().all(|x| x.matches(row)),
            Compiled::Or(items) => items.iter().any(|x| x.matches(row)),
            Compiled::Not(x) => !x.matches(row),
            Compiled::Any => true,
            Compiled::Term(p) => match row.get("_raw").to_text() {
                Some(raw) => p.contained_in(&raw),
                None => false,
            },
            Compiled::In { field, patterns } => {
                let f = row.get(field);
                patterns.iter().any(|p| f.values().iter().any(|x| p.matches(&x.to_text().unwrap_or_default())))
            }
            Compiled::Eq { field, pattern, negated } => {
                // `f!=v` needs f to exist: a missing field matches neither `=` nor `!=`
                let f = row.get(field);
                if f.is_null() {
                    return false;
                }
                let any = f.values().iter().any(|x| pattern.matches(&x.to_text().unwrap_or_default()));
                any != *negated
            }
            Compiled::Order { field, op, rhs } => {
                let f = row.get(field);
                f.values().iter().any(|x| {
                    let o = compare(x, rhs);
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

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn terms_match_whole_segments() {
        let raw = r#"{"msg":"Login FAILED for bob_admin at 10.0.0.1"}"#;
        assert!(Pattern::new("failed").contained_in(raw));
        assert!(!Pattern::new("fail").contained_in(raw));
        assert!(Pattern::new("fail*").contained_in(raw));
        assert!(Pattern::new("*ailed").contained_in(raw));
        assert!(Pattern::new("bob").contained_in(raw));
        assert!(Pattern::new("10.0.0.1").contained_in(raw));
        assert!(Pattern::new("10.0.0").contained_in(raw));
        assert!(Pattern::new("login failed").contained_in(raw));
        assert!(Pattern::new("l*n").contained_in(raw));
        assert!(!Pattern::new("ogi").contained_in(raw));
    }
}
