//! The one walker over the tree: every pass that looks at all sub-expressions of an eval/where
//! expression or of a search expression (field references, lints, function names) goes
//! through these functions instead of matching on every node kind itself, so a new node kind
//! is added in one place.
//!
//! ```
//! use spelunk_syntax::{ast::ExprKind, visit};
//! let e = spelunk_syntax::parse_expr("if(a > 1, b, lower(c))").unwrap();
//! let mut fields = Vec::new();
//! visit::walk_expr(&e, &mut |x| {
//!     if let ExprKind::Field { name, .. } = &x.kind {
//!         fields.push(name.clone());
//!     }
//! });
//! assert_eq!(fields, ["a", "b", "c"]);
//! ```

use crate::ast::{Arg, Expr, ExprKind, Pipeline, SearchExpr};

/// Visit `e` and every sub-expression, parents before children, left to right.
///
/// Iterative (an explicit stack, not recursion): a chain such as `1+1+...+1` parses into a
/// tree as deep as the chain is long, and must not overflow the call stack.
pub fn walk_expr<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        f(e);
        // children pushed last-first, so that the first child is visited next
        match &e.kind {
            ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => todo.push(expr),
            ExprKind::Binary { left, right, .. } => {
                todo.push(right);
                todo.push(left);
            }
            ExprKind::Call { args, .. } => todo.extend(args.iter().rev()),
            ExprKind::In { expr, list, .. } => {
                todo.extend(list.iter().rev());
                todo.push(expr);
            }
            ExprKind::Field { .. } | ExprKind::Str(_) | ExprKind::Num { .. } => {}
        }
    }
}

/// Does any sub-expression of `e` (itself included) satisfy `pred`?
pub fn any_expr(e: &Expr, pred: &mut impl FnMut(&Expr) -> bool) -> bool {
    let mut found = false;
    walk_expr(e, &mut |x| found = found || pred(x));
    found
}

/// Visit `e` and every sub-expression of a search expression, parents first.
pub fn walk_search<'a>(e: &'a SearchExpr, f: &mut impl FnMut(&'a SearchExpr)) {
    walk_search_negated(e, &mut |x, _| f(x));
}

/// Like [`walk_search`], also telling whether the node sits under an odd number of `NOT`s
/// (so `NOT f!=v` can be told from `f!=v`).
pub fn walk_search_negated<'a>(e: &'a SearchExpr, f: &mut impl FnMut(&'a SearchExpr, bool)) {
    fn go<'a>(e: &'a SearchExpr, negated: bool, f: &mut impl FnMut(&'a SearchExpr, bool)) {
        f(e, negated);
        match e {
            SearchExpr::And(v, _) | SearchExpr::Or(v, _) => v.iter().for_each(|x| go(x, negated, f)),
            SearchExpr::Not(x, _) => go(x, !negated, f),
            SearchExpr::Group(x, _) => go(x, negated, f),
            SearchExpr::Compare { .. } | SearchExpr::In { .. } | SearchExpr::Term(_) => {}
        }
    }
    go(e, false, f)
}

/// Visit every subsearch pipeline in the arguments of a generic command, outermost first
/// (recursing through `name(...)` calls and `( ... )` groups, not into the subsearches
/// themselves: walk their commands as needed).
pub fn walk_subsearches<'a>(args: &'a [Arg], f: &mut impl FnMut(&'a Pipeline)) {
    for a in args {
        match a {
            Arg::Subsearch(p) => f(p),
            Arg::Group { args, .. } | Arg::Call { args, .. } => walk_subsearches(args, f),
            Arg::Option(_) | Arg::Word(_) | Arg::Comma(_) | Arg::Operator { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::CommandKind;

    #[test]
    fn expressions_parents_first() {
        let e = crate::parse_expr("a + f(b, c IN (d, 1))").unwrap();
        let mut seen = Vec::new();
        walk_expr(&e, &mut |x| seen.push(x.to_string()));
        assert_eq!(seen, ["a + f(b, c IN (d, 1))", "a", "f(b, c IN (d, 1))", "b", "c IN (d, 1)", "c", "d", "1"]);
        assert!(any_expr(&e, &mut |x| matches!(&x.kind, ExprKind::Num { .. })));
        assert!(!any_expr(&e, &mut |x| matches!(&x.kind, ExprKind::Str(_))));
    }

    #[test]
    fn search_with_negation() {
        let p = crate::parse_pipeline("a!=1 NOT (b!=2 OR NOT c!=3)").unwrap();
        let CommandKind::Search(Some(e)) = &p.commands[0].kind else { panic!("a search") };
        let mut seen = Vec::new();
        walk_search_negated(e, &mut |x, neg| {
            if let SearchExpr::Compare { field, .. } = x {
                seen.push((field.name.clone(), neg));
            }
        });
        assert_eq!(seen, [("a".to_string(), false), ("b".to_string(), true), ("c".to_string(), false)]);
        let mut n = 0;
        walk_search(e, &mut |_| n += 1);
        assert!(n >= 7, "{n}");
    }

    #[test]
    fn subsearches_in_arguments() {
        let p = crate::parse_pipeline("| append [search a=1 | head 1] | join x [| makeresults]").unwrap();
        let mut n = 0;
        for c in &p.commands {
            if let CommandKind::Generic(args) = &c.kind {
                walk_subsearches(args, &mut |_| n += 1);
            }
        }
        assert_eq!(n, 2);
    }
}
