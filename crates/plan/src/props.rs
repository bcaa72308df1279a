//! Search-time fields per sourcetype, from a props.conf-style file: `FIELDALIAS-<name> = a AS b`
//! and `EVAL-<name> = <eval expression>`.
//!
//! Splunk's search-time operation sequence (Splunk doc "The sequence of search-time operations",
//! https://docs.splunk.com/Documentation/Splunk/latest/Knowledge/Searchtimeoperationssequence):
//! field extraction, then field aliasing, then calculated fields. Every calculated field is
//! evaluated against the event as it was before any calculated field ran ("calculated fields
//! can't reference other calculated fields"), and replaces an extracted field of the same name.

use crate::macros::{parse_conf, ConfError};
use indexmap::IndexMap;
use spelunk_syntax::ast::Expr;
use std::collections::BTreeSet;

/// The props shipped with spelunk (`queries/props.conf`), compiled in.
pub const DEFAULT_PROPS: &str = include_str!("../../../queries/props.conf");

/// `FIELDALIAS-x = from AS to`
#[derive(Debug, Clone, PartialEq)]
pub struct FieldAlias {
    pub class: String,
    pub from: String,
    pub to: String,
}

/// `EVAL-field = expr`
#[derive(Debug, Clone, PartialEq)]
pub struct CalculatedField {
    pub field: String,
    pub source: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcetypeProps {
    pub aliases: Vec<FieldAlias>,
    pub evals: Vec<CalculatedField>,
}

impl SourcetypeProps {
    /// Fields this sourcetype derives (alias targets and calculated fields).
    pub fn derived_fields(&self) -> impl Iterator<Item = &str> {
        self.aliases.iter().map(|a| a.to.as_str()).chain(self.evals.iter().map(|e| e.field.as_str()))
    }

    /// Close a set of wanted fields over the dependencies of aliases and calculated fields:
    /// the result is the set of *extracted* fields the reader must produce.
    pub fn extracted_dependencies(&self, wanted: &BTreeSet<String>) -> BTreeSet<String> {
        let mut need: BTreeSet<String> = wanted.clone();
        // calculated fields read the event after aliasing
        for e in &self.evals {
            if wanted.contains(&e.field) {
                crate::fields::expr_fields(&e.expr, &mut need);
            }
        }
        for a in &self.aliases {
            if need.contains(&a.to) {
                need.insert(a.from.clone());
            }
        }
        need
    }
}

/// All sourcetypes' search-time fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props {
    pub sourcetypes: IndexMap<String, SourcetypeProps>,
}

impl Props {
    pub fn builtin() -> Result<Props, ConfError> {
        let mut p = Props::default();
        p.load_conf(DEFAULT_PROPS, "built-in queries/props.conf")?;
        Ok(p)
    }

    pub fn get(&self, sourcetype: &str) -> Option<&SourcetypeProps> {
        self.sourcetypes.get(sourcetype)
    }

    /// Add a props.conf text; a class (`EVAL-user`, `FIELDALIAS-src`) defined again replaces the earlier one.
    pub fn load_conf(&mut self, text: &str, origin: &str) -> Result<(), ConfError> {
        for st in parse_conf(text, origin)? {
            let entry = self.sourcetypes.entry(st.name.clone()).or_default();
            for (key, value) in &st.keys {
                let line = st.key_lines.get(key).copied().unwrap_or(st.line);
                let err = |m: String| ConfError { origin: origin.to_string(), line, message: m };
                if let Some(class) = key.strip_prefix("FIELDALIAS-") {
                    entry.aliases.retain(|a| a.class != class);
                    let words: Vec<&str> = value.split_whitespace().collect();
                    if words.len() < 3 || !words.len().is_multiple_of(3) {
                        return Err(err(format!("expected `field AS alias ...` in {}", key)));
                    }
                    for w in words.chunks(3) {
                        if !(w[1].eq_ignore_ascii_case("as") || w[1].eq_ignore_ascii_case("asnew")) {
                            return Err(err(format!("expected `AS` between field names in {}, found `{}`", key, w[1])));
                        }
                        entry.aliases.push(FieldAlias {
                            class: class.to_string(),
                            from: unquote(w[0]),
                            to: unquote(w[2]),
                        });
                    }
                } else if let Some(field) = key.strip_prefix("EVAL-") {
                    let expr = spelunk_syntax::parse_expr(value)
                        .map_err(|e| err(format!("EVAL-{}: {} at {}..{}", field, e.message, e.span.start, e.span.end)))?;
                    entry.evals.retain(|e| e.field != field);
                    entry.evals.push(CalculatedField { field: field.to_string(), source: value.clone(), expr });
                }
                // other props keys (KV_MODE, TIME_FORMAT, ...) are not ours to interpret
            }
        }
        Ok(())
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').trim_matches('\'').to_string()
}
