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
