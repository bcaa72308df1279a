//! `Display` for every AST node, printing canonical SPL.
//!
//! The contract: for any tree `t` produced by the parser, parsing `t.to_string()` gives back
//! `t` up to spans (see [`crate::normalize`]). Canonical form: one line, commands joined by
//! ` | `, single spaces between arguments, spaces around eval operators, upper-case keywords,
//! `as`/`by` in lower case. Parentheses come from `Group`/`Paren` nodes; for trees built by
//! hand the printer adds the parentheses precedence needs.

use crate::ast::*;
use crate::parser::lexer;
use std::fmt::{self, Display, Formatter, Write};

// ---------------------------------------------------------------------------------------------
// names and values

/// Does a field name need quotes to be read back as one name in a command argument?
fn ident_needs_quotes(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('\'')
        || lexer::word_len(name, |c| lexer::is_hard_stop(c) || matches!(c, ',' | '='), false) != name.len()
        || name.eq_ignore_ascii_case("as")
        || name.eq_ignore_ascii_case("by")
}

impl Display for Ident {
    /// A field or function name as a command argument, double-quoted when needed.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if ident_needs_quotes(&self.name) {
            f.write_str(&lexer::quote(&self.name, '"'))
        } else {
            f.write_str(&self.name)
        }
    }
}

impl Display for Value {
    /// A value as written: quoted when it was quoted (or cannot be read back bare).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_value(f, self, |_| false, false)
    }
}

/// Write a value; quote it when it was quoted, or when read back bare it would stop early (at
/// a character for which `stop` holds, or at `!=` when `stop_at_ne`).
fn write_value(f: &mut Formatter<'_>, v: &Value, stop: fn(char) -> bool, stop_at_ne: bool) -> fmt::Result {
    write_value_as(f, v, stop, stop_at_ne, false)
}

/// A value in a search expression: bare words there resolve `\"` and `\\` escapes
/// ([`lexer::unescape_bare`]), so a bare value is printed with them.
fn write_search_value(f: &mut Formatter<'_>, v: &Value, stop: fn(char) -> bool, stop_at_ne: bool) -> fmt::Result {
    write_value_as(f, v, stop, stop_at_ne, true)
}

fn write_value_as(f: &mut Formatter<'_>, v: &Value, stop: fn(char) -> bool, stop_at_ne: bool, escape: bool) -> fmt::Result {
    if let Some(d) = v.directive {
        // `TERM(...)` / `CASE(...)`: inside, only the hard stops end a bare word
        let inner = Value { directive: None, ..v.clone() };
        write!(f, "{}(", d.keyword())?;
        write_value_as(f, &inner, |_| false, false, escape)?;
        return f.write_char(')');
    }
    let bare = if escape { lexer::escape_bare(&v.text) } else { v.text.clone() };
    let bare_ok = !bare.is_empty() && lexer::word_len(&bare, |c| lexer::is_hard_stop(c) || stop(c), stop_at_ne) == bare.len();
    if v.quoted || !bare_ok {
        f.write_str(&lexer::quote(&v.text, '"'))
    } else {
        f.write_str(&bare)
    }
}

fn comma(c: char) -> bool {
    c == ','
}

fn term_stop(c: char) -> bool {
    matches!(c, '=' | '<' | '>')
}

fn generic_stop(c: char) -> bool {
    matches!(c, ',' | '=' | '<' | '>')
}

impl Display for OptionArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.key.name)?;
        write_value(f, &self.value, comma, false)
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for UnaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnaryOp::Not => "NOT",
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// pipelines and commands

impl Display for Pipeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, cmd) in self.commands.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            } else if !is_implicit_search(cmd) && !cmd.name.name.eq_ignore_ascii_case("search") {
                f.write_str("| ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

/// The implicit search at the start of a query: named `search` with an empty span.
pub fn is_implicit_search(cmd: &Command) -> bool {
    cmd.name.span.is_empty() && cmd.name.name == "search" && matches!(cmd.kind, CommandKind::Search(_))
}

impl Display for Command {
    /// The command without a leading `|`. An implicit search prints as its expression only.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = &self.name.name;
        match &self.kind {
            CommandKind::Search(e) => {
                let body = match e {
                    Some(e) => e.to_string(),
                    None => "*".to_string(),
                };
                // An implicit search whose text starts with a command name would read back as
                // that command inside a subsearch (`[stats (x)]`): name it explicitly then.
                let first_word = body.split(char::is_whitespace).next().unwrap_or("");
                let ambiguous = first_word.eq_ignore_ascii_case("search") || crate::registry::command(first_word).is_some();
                if is_implicit_search(self) && !ambiguous {
                    f.write_str(&body)
                } else if is_implicit_search(self) {
                    write!(f, "search {body}")
                } else {
                    write!(f, "{name} {body}")
                }
            }
            CommandKind::Where(e) => write!(f, "{name} {e}"),
            CommandKind::Eval(assignments) => {
                write!(f, "{name} ")?;
                for (i, a) in assignments.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                Ok(())
            }
            CommandKind::Stats(s) => {
                f.write_str(name)?;
                for o in &s.options {
                    write!(f, " {o}")?;
                }
                for a in &s.aggs {
                    write!(f, " {a}")?;
                }
                if !s.by.is_empty() {
                    f.write_str(" by ")?;
                    write_list(f, &s.by, ", ")?;
                }
                Ok(())
            }
            CommandKind::Bin(b) => {
                f.write_str(name)?;
                for o in &b.options {
                    write!(f, " {o}")?;
                }
                write!(f, " {}", b.field)?;
                if let Some(a) = &b.alias {
                    write!(f, " as {a}")?;
                }
                Ok(())
            }
            CommandKind::Rename(pairs) => {
                write!(f, "{name} ")?;
                write_list(f, pairs, ", ")
            }
            CommandKind::Convert(c) => {
                f.write_str(name)?;
                for o in &c.options {
                    write!(f, " {o}")?;
                }
                for conv in &c.conversions {
                    write!(f, " {conv}")?;
                }
                Ok(())
            }
            CommandKind::Generic(args) => {
                f.write_str(name)?;
                if !args.is_empty() {
                    f.write_char(' ')?;
                    write_args(f, args)?;
                }
                Ok(())
            }
        }
    }
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl Display for Assignment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field, self.value)
    }
}

impl Display for Aggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.func.name)?;
        if let Some(arg) = &self.arg {
            write!(f, "({arg})")?;
        }
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        Ok(())
    }
}

impl Display for AggArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            AggArg::Field(i) => write!(f, "{i}"),
            AggArg::Eval(e) => write!(f, "eval({e})"),
        }
    }
}

impl Display for RenamePair {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} as {}", self.from, self.to)
    }
}

impl Display for Conversion {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.func.name, self.field)?;
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        Ok(())
    }
}

/// Generic arguments separated by single spaces, commas attached to the word before.
fn write_args(f: &mut Formatter<'_>, args: &[Arg]) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Arg::Comma(_)) {
            f.write_char(' ')?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Option(o) => write!(f, "{o}"),
            Arg::Word(v) => write_value(f, v, generic_stop, true),
            Arg::Comma(_) => f.write_char(','),
            Arg::Call { name, args, .. } => {
                write!(f, "{}(", name.name)?;
                write_args(f, args)?;
                f.write_char(')')
            }
            Arg::Group { args, .. } => {
                f.write_char('(')?;
                write_args(f, args)?;
                f.write_char(')')
            }
            Arg::Subsearch(p) => write!(f, "[{p}]"),
            Arg::Operator { op, .. } => f.write_str(op),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// search expressions

impl Display for SearchExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SearchExpr::And(items, _) => {
                for (i, x) in items.iter().enumerate() {
                    // `a IN (b)` would read as a field list: a bare term `IN` before a group
                    // keeps its explicit AND (`a IN AND (b)`)
                    let in_before_group = i > 0
                        && matches!(&items[i - 1], SearchExpr::Term(v) if !v.quoted && v.directive.is_none() && v.text.eq_ignore_ascii_case("in"))
                        && matches!(x, SearchExpr::Group(..));
                    if in_before_group {
                        f.write_str(" AND ")?;
                    } else if i > 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
            SearchExpr::Or(items, _) => {
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    // AND binds looser than OR in search: an AND inside an OR needs parentheses.
                    if matches!(x, SearchExpr::And(..)) {
                        write!(f, "({x})")?;
                    } else {
                        write!(f, "{x}")?;
                    }
                }
                Ok(())
            }
            SearchExpr::Not(x, _) => {
                if matches!(**x, SearchExpr::And(..) | SearchExpr::Or(..)) {
                    write!(f, "NOT ({x})")
                } else {
                    write!(f, "NOT {x}")
                }
            }
            SearchExpr::Compare { field, op, value, .. } => {
                if !value.quoted && value.text.starts_with(['=', '<', '>', '!']) {
                    // `a = =x` must not print as `a==x`; quote the field so that the spaced form
                    // still reads as a comparison.
                    write!(f, "{} {op} ", lexer::quote(&field.name, '"'))?;
                } else {
                    write_search_field(f, field)?;
                    write!(f, "{op}")?;
                }
                write_search_value(f, value, |_| false, false)
            }
            SearchExpr::In { field, values, .. } => {
                write_search_field(f, field)?;
                f.write_str(" IN (")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_search_value(f, v, comma, false)?;
                }
                f.write_char(')')
            }
            SearchExpr::Term(v) => {
                if !v.quoted && v.directive.is_none() && ["AND", "OR", "NOT"].contains(&v.text.as_str()) {
                    f.write_str(&lexer::quote(&v.text, '"'))
                } else {
                    write_search_value(f, v, term_stop, true)
                }
            }
            SearchExpr::Group(x, _) => write!(f, "({x})"),
        }
    }
}

/// A search field name: bare when it reads back as one word, else double-quoted (Splunk reads
/// `"name"=value` as a field comparison).
fn write_search_field(f: &mut Formatter<'_>, field: &Ident) -> fmt::Result {
    let n = &field.name;
    let bare = lexer::escape_bare(n);
    // `AND`, or `AND+` (the parser reads the keyword, then `+`): such names are quoted
    let keyword_first = ["AND", "OR", "NOT"].iter().any(|k| n.strip_prefix(k).is_some_and(|rest| rest.chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))));
    let bare_ok = !n.is_empty()
        && !keyword_first
        && !n.eq_ignore_ascii_case("search")
        && !bare.ends_with('!')
        && lexer::word_len(&bare, |c| lexer::is_hard_stop(c) || term_stop(c), true) == bare.len();
    if bare_ok {
        f.write_str(&bare)
    } else {
        f.write_str(&lexer::quote(n, '"'))
    }
}

// ---------------------------------------------------------------------------------------------
// eval expressions

/// Binding strength, loosest = 1 (see the grammar in `parser/eval.rs`).
fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Xor => 1,
        BinaryOp::Or => 2,
        BinaryOp::And => 3,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Like => 5,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Concat => 6,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
    }
}

const PREC_NOT: u8 = 4;
const PREC_CMP: u8 = 5;
const PREC_UNARY: u8 = 8;
const PREC_ATOM: u8 = 9;

fn expr_prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary { op: UnaryOp::Not, .. } => PREC_NOT,
        ExprKind::Unary { .. } => PREC_UNARY,
        ExprKind::In { .. } => PREC_CMP,
        _ => PREC_ATOM,
    }
}

/// Write `e`, in parentheses when it binds looser than `min`.
fn write_operand(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if expr_prec(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// Can `name` be written as a bare eval field name?
fn bare_eval_name(name: &str) -> bool {
    matches!(lexer::eval_ident(name), Ok(("", _))) && !crate::parser::is_eval_keyword(name)
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Field { name, quoted } => {
                if *quoted || !bare_eval_name(name) {
                    f.write_str(&lexer::quote(name, '\''))
                } else {
                    f.write_str(name)
                }
            }
            ExprKind::Str(s) => f.write_str(&lexer::quote(s, '"')),
            ExprKind::Num { text, value } => {
                if matches!(lexer::number(text), Ok(("", _))) {
                    f.write_str(text)
                } else {
                    write!(f, "{value}")
                }
            }
            ExprKind::Unary { op, expr } => match op {
                UnaryOp::Not => {
                    f.write_str("NOT ")?;
                    write_operand(f, expr, PREC_NOT)
                }
                UnaryOp::Neg | UnaryOp::Plus => {
                    write!(f, "{op}")?;
                    write_operand(f, expr, PREC_UNARY)
                }
            },
            ExprKind::Binary { .. } => {
                // A left-nested chain (`1+1+...+1`) is as deep as it is long: walk down its left
                // spine in a loop instead of recursing, then print it bottom up. A left operand
                // that needs parentheses (binds looser than its parent) ends the spine.
                let mut spine = vec![self];
                while let Some(ExprKind::Binary { op, left, .. }) = spine.last().map(|e| &e.kind) {
                    if !matches!(left.kind, ExprKind::Binary { .. }) || expr_prec(left) < binary_prec(*op) {
                        break;
                    }
                    spine.push(left);
                }
                for (i, e) in spine.iter().rev().enumerate() {
                    let ExprKind::Binary { op, left, right } = &e.kind else { continue };
                    let p = binary_prec(*op);
                    if i == 0 {
                        write_operand(f, left, p)?;
                    }
                    write!(f, " {op} ")?;
                    write_operand(f, right, p + 1)?;
                }
                Ok(())
            }
            ExprKind::Call { name, args } => {
                write!(f, "{}(", name.name)?;
                write_list(f, args, ", ")?;
                f.write_char(')')
            }
            ExprKind::In { expr, list, negated } => {
                write_operand(f, expr, PREC_CMP)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                write_list(f, list, ", ")?;
                f.write_char(')')
            }
            ExprKind::Paren(e) => write!(f, "({e})"),
        }
    }
}
