//! Evaluation of eval/where expressions over one row, with Splunk's rules: arithmetic and
//! comparison with null give null; `=` compares numerically when both sides read as numbers,
//! else as case-sensitive text; a multivalue side compares true when any of its values does.
//!
//! Splunk doc "eval command" and "Evaluation functions"
//! (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Eval,
//! https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/CommonEvalFunctions).

use crate::functions;
use crate::value::{compare, Value};
use spelunk_syntax::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use std::cmp::Ordering;

/// A row as eval sees it.
pub trait Row {
    fn get(&self, field: &str) -> Value;
}

/// A runtime error with the span of the expression that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

/// Per-query evaluation context (the time the search started, compiled regexes).
pub struct EvalContext {
    pub now: f64,
    /// The search's time range in epoch seconds (`earliest=`/`latest=`, `--earliest`/`--latest`),
    /// for commands that refer to it (`bin aligntime=earliest`).
    pub time_range: (Option<f64>, Option<f64>),
    pub regex_cache: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>>,
    /// Search strings given to `searchmatch()`, parsed and compiled once.
    pub search_cache: std::cell::RefCell<std::collections::HashMap<String, std::sync::Arc<crate::search::Compiled>>>,
}

impl EvalContext {
    pub fn new(now: f64) -> Self {
        EvalContext { now, time_range: (None, None), regex_cache: Default::default(), search_cache: Default::default() }
    }

    /// A search string (as `searchmatch()` takes it) compiled; an unparsable one is an error at `span`.
    pub fn search(&self, text: &str, span: Span) -> Result<std::sync::Arc<crate::search::Compiled>, EvalError> {
        if let Some(c) = self.search_cache.borrow().get(text) {
            return Ok(c.clone());
        }
        let pipeline = spelunk_syntax::parse_pipeline(&format!("search {text}"))
            .map_err(|e| EvalError { message: format!("searchmatch: {}", e.message), span })?;
        let expr = match pipeline.commands.first().map(|c| &c.kind) {
            Some(spelunk_syntax::ast::CommandKind::Search(Some(e))) if pipeline.commands.len() == 1 => e.clone(),
            _ => return Err(EvalError { message: format!("searchmatch: {text:?} is not a search expression"), span }),
        };
        let compiled = std::sync::Arc::new(crate::search::Compiled::new(&expr));
        self.search_cache.borrow_mut().insert(text.to_string(), compiled.clone());
        Ok(compiled)
    }

    pub fn regex(&self, pattern: &str, span: Span) -> Result<regex::Regex, EvalError> {
        if let Some(r) = self.regex_cache.borrow().get(pattern) {
            return Ok(r.clone());
        }
        let r = compile_regex(pattern).map_err(|e| EvalError { message: format!("invalid regular expression {pattern:?}: {e}"), span })?;
        self.regex_cache.borrow_mut().insert(pattern.to_string(), r.clone());
        Ok(r)
    }
}

/// Compile a regular expression as SPL writes it (PCRE) with the regex crate. Every regex a
/// query holds is compiled here, at run time ([`EvalContext::regex`]) and by the static check
/// ([`crate::validate`]).
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&pcre_braces(pattern))
}

/// PCRE reads a `{` that does not open a quantifier (`{3}`, `{2,}`, `{2,5}`) as a literal
/// brace, as in `(?<json>{.+})` or `^\\{[0-9a-f]{8}`; the regex crate rejects it. Escape those.
fn pcre_braces(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains('{') {
        return pattern.into();
    }
    let quantifier = |rest: &str| -> bool {
        let Some(body) = rest.strip_prefix('{').and_then(|r| r.split_once('}')).map(|(b, _)| b) else { return false };
        let (min, max) = body.split_once(',').unwrap_or((body, "0"));
        !min.is_empty() && min.bytes().all(|b| b.is_ascii_digit()) && max.bytes().all(|b| b.is_ascii_digit())
    };
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.char_indices().peekable();
    let mut class = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((j, n)) = chars.next() {
                    out.push(n);
                    // `\x{202E}`, `\p{L}` and the like: the braces belong to the escape
                    let rest = &pattern[j + n.len_utf8()..];
                    if matches!(n, 'x' | 'p' | 'P' | 'g' | 'k' | 'o' | 'N' | 'u') && rest.starts_with('{') {
                        if let Some(end) = rest.find('}') {
                            out.push_str(&rest[..=end]);
                            while chars.peek().is_some_and(|(k, _)| *k <= j + n.len_utf8() + end) {
                                chars.next();
                            }
                        }
                    }
                }
            }
            '[' if !class => {
                class = true;
                out.push(c);
                // a `]` first in a class (after an optional `^`) is a literal
                if let Some((_, '^')) = chars.peek() {
                    out.push('^');
                    chars.next();
                }
                if let Some((_, ']')) = chars.peek() {
                    out.push(']');
                    chars.next();
                }
            }
            '[' if class && pattern[i..].starts_with("[:") => {
                // a POSIX class such as [:alpha:] inside a class
                match pattern[i..].find(":]") {
                    Some(end) => {
                        out.push_str(&pattern[i..i + end + 2]);
                        while chars.peek().is_some_and(|(j, _)| *j < i + end + 2) {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            ']' if class => {
                class = false;
                out.push(c);
            }
            '{' if !class && !quantifier(&pattern[i..]) => out.push_str("\\{"),
            c => out.push(c),
        }
    }
    out.into()
}

pub fn eval(e: &Expr, row: &dyn Row, cx: &EvalContext) -> Result<Value, EvalError> {
    Ok(match &e.kind {
        ExprKind::Field { name, .. } => row.get(name),
        ExprKind::Str(s) => Value::Str(s.clone()),
        ExprKind::Num { value, text } => {
            if text.contains(['.', 'e', 'E']) {
                Value::Num(*value)
            } else {
                Value::number(*value)
            }
        }
        ExprKind::Paren(x) => eval(x, row, cx)?,
        ExprKind::Unary { op, expr } => {
            let v = eval(expr, row, cx)?;
            match op {
                UnaryOp::Not => match truth(&v) {
                    Some(b) => Value::Bool(!b),
                    None => Value::Null,
                },
                UnaryOp::Neg => match v.as_f64() {
                    Some(f) => Value::number(-f),
                    None => Value::Null,
                },
                UnaryOp::Plus => match v.as_f64() {
                    Some(f) => Value::number(f),
                    None => Value::Null,
                },
            }
        }
        ExprKind::Binary { op, left, right } => {
            if left_spine_longer_than(left, SHORT_CHAIN) {
                chain(e, row, cx)?
            } else {
                let a = eval(left, row, cx)?;
                binary(*op, a, right, row, cx)?
            }
        }
        ExprKind::In { expr, list, negated } => {
            let v = eval(expr, row, cx)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut found = false;
            for item in list {
                let w = eval(item, row, cx)?;
                if any_pair(&v, &w, eq) {
                    found = true;
                    break;
                }
            }
            Value::Bool(found != *negated)
        }
        ExprKind::Call { name, args } => functions::call(name, args, e.span, row, cx)?,
    })
}

/// Boolean reading of a value: a boolean is itself; other values are not booleans (null).
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Equality of single values: numeric when both read as numbers, else exact text.
pub fn eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a.to_text() == b.to_text(),
    }
}

fn any_pair(a: &Value, b: &Value, f: impl Fn(&Value, &Value) -> bool) -> bool {
    a.values().iter().any(|x| b.values().iter().any(|y| f(x, y)))
}

/// Left spines up to this long are evaluated by plain recursion (no allocation per row).
const SHORT_CHAIN: usize = 16;

/// Is `e` the top of more than `n` left-nested binary operations?
fn left_spine_longer_than(mut e: &Expr, n: usize) -> bool {
    for _ in 0..n {
        match &e.kind {
            ExprKind::Binary { left, .. } => e = left,
            _ => return false,
        }
    }
    matches!(e.kind, ExprKind::Binary { .. })
}

/// A long left-nested chain (`1+1+...+1`, `a . b . c ...`): the tree is as deep as the chain is
/// long, so walk down its left spine in a loop and apply the operators bottom up, instead of
/// recursing once per operator.
fn chain(e: &Expr, row: &dyn Row, cx: &EvalContext) -> Result<Value, EvalError> {
    let mut spine: Vec<(BinaryOp, &Expr)> = Vec::new();
    let mut cur = e;
    while let ExprKind::Binary { op, left, right } = &cur.kind {
        spine.push((*op, right));
        cur = left;
    }
    let mut acc = eval(cur, row, cx)?;
    for (op, right) in spine.into_iter().rev() {
        acc = binary(op, acc, right, row, cx)?;
    }
    Ok(acc)
}

/// `a op r`, the left operand already evaluated (`r` is evaluated only when needed: `AND` and
/// `OR` short-circuit).
fn binary(op: BinaryOp, a: Value, r: &Expr, row: &dyn Row, cx: &EvalContext) -> Result<Value, EvalError> {
    match op {
        BinaryOp::And => {
            let a = truth(&a);
            if a == Some(false) {
                return Ok(Value::Bool(false));
            }
            let b = truth(&eval(r, row, cx)?);
            return Ok(match (a, b) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            });
        }
        BinaryOp::Or => {
            let a = truth(&a);
            if a == Some(true) {
                return Ok(Value::Bool(true));
            }
            let b = truth(&eval(r, row, cx)?);
            return Ok(match (a, b) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            });
        }
        BinaryOp::Xor => {
            let a = truth(&a);
            let b = truth(&eval(r, row, cx)?);
            return Ok(match (a, b) {
                (Some(x), Some(y)) => Value::Bool(x != y),
                _ => Value::Null,
            });
        }
        _ => {}
    }
    let b = eval(r, row, cx)?;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(match op {
        BinaryOp::Eq => Value::Bool(any_pair(&a, &b, eq)),
        BinaryOp::Ne => Value::Bool(any_pair(&a, &b, |x, y| !eq(x, y))),
        BinaryOp::Lt => Value::Bool(any_pair(&a, &b, |x, y| compare(x, y) == Ordering::Less)),
        BinaryOp::Le => Value::Bool(any_pair(&a, &b, |x, y| compare(x, y) != Ordering::Greater)),
        BinaryOp::Gt => Value::Bool(any_pair(&a, &b, |x, y| compare(x, y) == Ordering::Greater)),
        BinaryOp::Ge => Value::Bool(any_pair(&a, &b, |x, y| compare(x, y) != Ordering::Less)),
        BinaryOp::Like => {
            let pat = b.to_text().unwrap_or_default();
            Value::Bool(a.values().iter().any(|x| like(&x.to_text().unwrap_or_default(), &pat)))
        }
        BinaryOp::Concat => Value::Str(format!("{}{}", a.to_text().unwrap_or_default(), b.to_text().unwrap_or_default())),
        BinaryOp::Add => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Value::number(x + y),
            // `+` on text concatenates in Splunk
            _ => Value::Str(format!("{}{}", a.to_text().unwrap_or_default(), b.to_text().unwrap_or_default())),
        },
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Ok(Value::Null);
            };
            match op {
                BinaryOp::Sub => Value::number(x - y),
                BinaryOp::Mul => Value::number(x * y),
                BinaryOp::Div if y == 0.0 => Value::Null,
                BinaryOp::Div => Value::number(x / y),
                BinaryOp::Mod if y == 0.0 => Value::Null,
                _ => Value::number(x % y),
            }
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Value::Null,
    })
}

/// SQL LIKE: `%` any run, `_` one character; case-sensitive, as Splunk's like().
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    spelunk_plan::pushdown::glob(&p, &t, '%', Some('_'))
}

/// A row with no fields, for constant expressions.
struct NoFields;

impl Row for NoFields {
    fn get(&self, _field: &str) -> Value {
        Value::Null
    }
}

/// Evaluate an eval expression that reads no fields (a macro's `iseval` definition or
/// `validation`): handed to the planner's macro set as its evaluator.
pub fn const_eval(text: &str) -> Result<spelunk_plan::macros::ConstValue, String> {
    use spelunk_plan::macros::ConstValue;
    let expr = spelunk_syntax::parse_expr(text).map_err(|e| e.message)?;
    let cx = EvalContext::new(crate::engine::ExecOptions::default().now);
    match eval(&expr, &NoFields, &cx).map_err(|e| e.message)? {
        Value::Null => Ok(ConstValue::Null),
        Value::Bool(b) => Ok(ConstValue::Bool(b)),
        v => Ok(v.to_text().map(ConstValue::Text).unwrap_or(ConstValue::Null)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_text(src: &str) -> Result<Value, EvalError> {
        let e = spelunk_syntax::parse_expr(src).map_err(|e| EvalError { message: e.message, span: e.span })?;
        eval(&e, &NoFields, &EvalContext::new(0.0))
    }

    /// `1+1+...+1` nests one level per operator: a 50,000-term chain must evaluate (and parse,
    /// and drop) on an ordinary thread's stack.
    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let n = 50_000;
        let sum = vec!["1"; n].join(" + ");
        assert_eq!(eval_text(&sum).map(|v| v.to_text()), Ok(Some(n.to_string())));
        let concat = vec!["\"ab\""; n].join(" . ");
        assert_eq!(eval_text(&concat).map(|v| v.to_text().map(|t| t.len())), Ok(Some(2 * n)));
        let ors = (0..n).map(|i| format!("{i}={}", n - 1)).collect::<Vec<_>>().join(" OR ");
        assert_eq!(eval_text(&ors), Ok(Value::Bool(true)));
        let mixed = (0..n).map(|i| format!("{}*2", i % 7)).collect::<Vec<_>>().join(" - ");
        let expected: i64 = (1..n as i64).map(|i| (i % 7) * 2).fold(0, |a, x| a - x);
        assert_eq!(eval_text(&mixed).map(|v| v.to_text()), Ok(Some(expected.to_string())));
    }

    /// Long chains are folded in a loop; the result and the short-circuiting of AND/OR are the
    /// same as for short ones (an invalid regex is only an error when evaluated).
    #[test]
    fn long_and_short_chains_agree() {
        for n in [3, SHORT_CHAIN + 5] {
            let tail = vec!["match(\"a\", \"(\")"; n].join(" OR ");
            assert_eq!(eval_text(&format!("true() OR {tail}")), Ok(Value::Bool(true)), "{n}");
            assert!(eval_text(&format!("false() OR {tail}")).is_err(), "{n}");
            let ands = vec!["1=1"; n].join(" AND ");
            assert_eq!(eval_text(&format!("{ands} AND 1=2")), Ok(Value::Bool(false)));
            let nulls = vec!["1"; n].join(" + ");
            assert_eq!(eval_text(&format!("{nulls} + null()")), Ok(Value::Null));
            assert_eq!(eval_text(&format!("\"x\" + {nulls}")).map(|v| v.to_text()), Ok(Some(format!("x{}", "1".repeat(n)))));
        }
    }

    #[test]
    fn like_patterns() {
        assert!(like("ListUser", "%User"));
        assert!(like("PutObject", "Put%"));
        assert!(!like("putobject", "Put%"));
        assert!(like("abc", "a_c"));
    }
}
