//! Lints: valid SPL that probably does not mean what its author meant. Each finding is an
//! [`SplError`] with one of the `Lint*` codes (rendered as a warning), pointing into the
//! macro-expanded query text (map it back with [`crate::Expanded::map_span`]).
//!
//! - `SPL0901` a lower-case `and`/`or`/`not` in `search` is a plain term, not a boolean
//!   (Splunk: "Boolean operators are case-sensitive"), so `a=1 or b=2` requires the word `or`.
//! - `SPL0902` `where f=word` compares `f` with the *field* `word`; a string needs quotes.
//! - `SPL0904` `*` inside a string compared with `=`/`!=` in where/eval is a literal star, not
//!   a wildcard: use `like(f, "a%")` or `searchmatch()`.

use spelunk_syntax::ast::{Arg, BinaryOp, Command, CommandKind, Expr, ExprKind, Pipeline, SearchExpr};
use spelunk_syntax::{ErrorCode, SplError};

/// Every lint finding in a parsed (expanded) pipeline, in text order.
pub fn lint(p: &Pipeline) -> Vec<SplError> {
    let mut out = Vec::new();
    lint_pipeline(p, &mut out);
    out.sort_by_key(|e| (e.span.start, e.span.end));
    out
}

fn lint_pipeline(p: &Pipeline, out: &mut Vec<SplError>) {
    for c in &p.commands {
        lint_command(c, out);
    }
}

fn lint_command(c: &Command, out: &mut Vec<SplError>) {
    match &c.kind {
        CommandKind::Search(Some(e)) => lint_search(e, out),
        CommandKind::Search(None) => {}
        CommandKind::Where(e) => {
            lint_where_bare_word(e, out);
            lint_expr_wildcard(e, out);
        }
        CommandKind::Eval(assignments) => {
            for a in assignments {
                lint_expr_wildcard(&a.value, out);
            }
        }
        CommandKind::Generic(args) => lint_args(args, out),
        _ => {}
    }
}

fn lint_args(args: &[Arg], out: &mut Vec<SplError>) {
    for a in args {
        match a {
            Arg::Subsearch(p) => lint_pipeline(p, out),
            Arg::Group { args, .. } | Arg::Call { args, .. } => lint_args(args, out),
            _ => {}
        }
    }
}

fn lint_search(e: &SearchExpr, out: &mut Vec<SplError>) {
    match e {
        SearchExpr::And(v, _) | SearchExpr::Or(v, _) => v.iter().for_each(|x| lint_search(x, out)),
        SearchExpr::Not(x, _) | SearchExpr::Group(x, _) => lint_search(x, out),
        SearchExpr::Term(v) if !v.quoted && matches!(v.text.as_str(), "and" | "or" | "not" | "And" | "Or" | "Not") => {
            let upper = v.text.to_ascii_uppercase();
            out.push(
                SplError::new(ErrorCode::LintLowercaseBoolean, v.span, format!("`{}` in a search is the plain word \"{}\", not the boolean {upper}", v.text, v.text))
                    .with_label("a search term")
                    .with_help(format!("write `{upper}` in capitals for the boolean, or \"{}\" in quotes to search for the word", v.text)),
            );
        }
        _ => {}
    }
}

fn lint_where_bare_word(e: &Expr, out: &mut Vec<SplError>) {
    walk_expr(e, &mut |x| {
        if let ExprKind::Binary { op: BinaryOp::Eq | BinaryOp::Ne, left, right } = &x.kind {
            if let (ExprKind::Field { .. }, ExprKind::Field { name, quoted: false }) = (&left.kind, &right.kind) {
                out.push(
                    SplError::new(ErrorCode::LintWhereBareWord, right.span, format!("`{name}` here is the field named {name}, not the string \"{name}\""))
                        .with_label("a field name")
                        .with_help(format!("to compare with the text, quote it: \"{name}\"; to compare two fields on purpose, write '{name}'")),
                );
            }
        }
    });
}

fn lint_expr_wildcard(e: &Expr, out: &mut Vec<SplError>) {
    walk_expr(e, &mut |x| {
        if let ExprKind::Binary { op: BinaryOp::Eq | BinaryOp::Ne, left, right } = &x.kind {
            for side in [left, right] {
                if let ExprKind::Str(s) = &side.kind {
                    if s.contains('*') {
                        let pattern = s.replace('*', "%");
                        out.push(
                            SplError::new(ErrorCode::LintWildcardInWhere, side.span, format!("`*` in \"{s}\" is a literal star here: `=` in where/eval does not match wildcards"))
                                .with_label("compared literally")
                                .with_help(format!("use like(field, \"{pattern}\") or searchmatch(\"field={s}\")")),
                        );
                    }
                }
            }
        }
    });
}

/// Visit every sub-expression, parents first.
fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => walk_expr(expr, f),
        ExprKind::Binary { left, right, .. } => {
            walk_expr(left, f);
            walk_expr(right, f);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| walk_expr(a, f)),
        ExprKind::In { expr, list, .. } => {
            walk_expr(expr, f);
            list.iter().for_each(|a| walk_expr(a, f));
        }
        ExprKind::Field { .. } | ExprKind::Str(_) | ExprKind::Num { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(q: &str) -> Vec<(ErrorCode, String)> {
        let p = spelunk_syntax::parse_pipeline(q).unwrap();
        lint(&p).into_iter().map(|e| (e.code, q[e.span.start..e.span.end].to_string())).collect()
    }

    #[test]
    fn lower_case_boolean_in_search() {
        assert_eq!(codes("a=1 or b=2"), vec![(ErrorCode::LintLowercaseBoolean, "or".into())]);
        assert!(codes("a=1 OR b=2").is_empty());
        assert!(codes("a=1 \"or\" b=2").is_empty());
    }

    #[test]
    fn where_bare_word() {
        assert_eq!(codes("| where user=admin"), vec![(ErrorCode::LintWhereBareWord, "admin".into())]);
        assert!(codes("| where user=\"admin\"").is_empty());
        assert!(codes("| where user='admin'").is_empty());
        assert!(codes("| where n>=5 and m>1").is_empty());
    }

    #[test]
    fn wildcard_in_where_and_eval() {
        assert_eq!(codes("| where user=\"adm*\""), vec![(ErrorCode::LintWildcardInWhere, "\"adm*\"".into())]);
        assert_eq!(codes("| eval x=if(a=\"*b\",1,0)"), vec![(ErrorCode::LintWildcardInWhere, "\"*b\"".into())]);
        assert!(codes("| where like(user, \"adm%\")").is_empty());
    }
}
