//! Field references of AST nodes, for projection and props dependencies.

use spelunk_syntax::ast::{Expr, ExprKind, SearchExpr};
use std::collections::BTreeSet;

/// Every field an eval expression reads.
pub fn expr_fields(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Field { name, .. } => {
            out.insert(name.clone());
        }
        ExprKind::Str(_) | ExprKind::Num { .. } => {}
        ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => expr_fields(expr, out),
        ExprKind::Binary { left, right, .. } => {
            expr_fields(left, out);
            expr_fields(right, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| expr_fields(a, out)),
        ExprKind::In { expr, list, .. } => {
            expr_fields(expr, out);
            list.iter().for_each(|a| expr_fields(a, out));
        }
    }
}

/// Does the expression call a function that reads the whole event (`searchmatch`, `spath` without input)?
pub fn expr_needs_raw(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, args } => {
            name.name.eq_ignore_ascii_case("searchmatch") || args.iter().any(expr_needs_raw)
        }
        ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => expr_needs_raw(expr),
        ExprKind::Binary { left, right, .. } => expr_needs_raw(left) || expr_needs_raw(right),
        ExprKind::In { expr, list, .. } => expr_needs_raw(expr) || list.iter().any(expr_needs_raw),
        _ => false,
    }
}

/// Fields a search expression reads; `_raw` for bare terms.
pub fn search_fields(e: &SearchExpr, out: &mut BTreeSet<String>) {
    match e {
        SearchExpr::And(v, _) | SearchExpr::Or(v, _) => v.iter().for_each(|x| search_fields(x, out)),
        SearchExpr::Not(x, _) | SearchExpr::Group(x, _) => search_fields(x, out),
        SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => {
            out.insert(field.name.clone());
        }
        SearchExpr::Term(_) => {
            out.insert("_raw".to_string());
        }
    }
}
