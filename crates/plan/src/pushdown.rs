//! Predicate pushdown below parsing: terms that every matching event's raw text must contain.
//!
//! For the first `search` of a query, each top-level conjunct `field=value` (or bare term) whose
//! value has a literal run of at least 3 safe characters yields that run as a required term, and
//! a conjunct `a=x OR b=y OR ...` whose every alternative yields a term gives an any-of group,
//! provided the field's value always comes verbatim from the raw record: it is an extracted
//! field, an alias of one, or a calculated field whose every possible result is such a field or
//! a literal that cannot match. The reader then skips, before JSON parsing, every record whose
//! bytes lack a required term (ASCII case-insensitively, as search values match; records that
//! spell a term character as a JSON `\\uXXXX` escape or a non-ASCII case variant are always
//! read: see spelunk-io's prefilter module).

use crate::plan::*;
use crate::props::Props;
use spelunk_syntax::ast::{CmpOp, Expr, ExprKind, SearchExpr};

/// Required raw terms for a plan, as groups that must each have one term present (empty = no prefilter).
pub fn raw_prefilter(plan: &LogicalPlan, props: &Props) -> Vec<Vec<String>> {
    if plan.source != Source::Events {
        return Vec::new();
    }
    let Some(PlanNode { op: Op::Search(expr), .. }) = plan.nodes.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let conjuncts: Vec<&SearchExpr> = match expr {
        SearchExpr::And(items, _) => items.iter().collect(),
        e => vec![e],
    };
    for c in conjuncts {
        let alternatives: Vec<&SearchExpr> = match unwrap_group(c) {
            SearchExpr::Or(items, _) => items.iter().collect(),
            e => vec![e],
        };
        let terms: Option<Vec<String>> = alternatives.into_iter().map(|a| required_term(unwrap_group(a), props)).collect();
        if let Some(mut t) = terms {
            t.sort();
            t.dedup();
            out.push(t);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn unwrap_group(mut e: &SearchExpr) -> &SearchExpr {
    while let SearchExpr::Group(inner, _) = e {
        e = inner;
    }
    e
}

/// The term the raw text must contain for this one comparison or bare term to match.
fn required_term(e: &SearchExpr, props: &Props) -> Option<String> {
    match e {
        SearchExpr::Compare { field, op: CmpOp::Eq, value, .. } => {
            let term = literal_run(&value.text)?;
            field_is_verbatim(&field.name, &value.text, props).then_some(term)
        }
        SearchExpr::Term(v) => literal_run(&v.text),
        _ => None,
    }
}

fn safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@' | ' ')
}

/// The longest run of safe literal characters between wildcards, if at least 3 long.
fn literal_run(pattern: &str) -> Option<String> {
    pattern
        .split('*')
        .filter(|s| s.chars().all(safe))
        .max_by_key(|s| s.len())
        .filter(|s| s.len() >= 3)
        .map(|s| s.to_string())
}

const INTERNAL: &[&str] = &["source", "sourcetype", "host", "index", "_time", "_raw", "splunk_server", "linecount", "punct"];

/// Could `field` hold a value matching `pattern` that does not occur verbatim in the raw text?
fn field_is_verbatim(field: &str, pattern: &str, props: &Props) -> bool {
    if INTERNAL.contains(&field) {
        return false;
    }
    for st in props.sourcetypes.values() {
        if let Some(calc) = st.evals.iter().find(|e| e.field == field) {
            if !expr_is_verbatim(&calc.expr, pattern) {
                return false;
            }
        }
        // aliases copy an extracted value: verbatim
    }
    true
}

fn expr_is_verbatim(e: &Expr, pattern: &str) -> bool {
    match &e.kind {
        ExprKind::Field { name, .. } => !INTERNAL.contains(&name.as_str()),
        ExprKind::Str(s) => !wildcard_match_ci(pattern, s),
        ExprKind::Num { text, .. } => !wildcard_match_ci(pattern, text),
        ExprKind::Paren(x) => expr_is_verbatim(x, pattern),
        ExprKind::Call { name, args } => match name.name.to_ascii_lowercase().as_str() {
            "null" => true,
            "coalesce" => args.iter().all(|a| expr_is_verbatim(a, pattern)),
            "if" => args.iter().skip(1).all(|a| expr_is_verbatim(a, pattern)),
            "case" => args.iter().skip(1).step_by(2).all(|a| expr_is_verbatim(a, pattern)),
            _ => false,
        },
        _ => false,
    }
}

/// Splunk search-value matching: `*` matches any run, case-insensitive.
pub fn wildcard_match_ci(pattern: &str, text: &str) -> bool {
    glob_str(&pattern.to_lowercase(), &text.to_lowercase(), '*')
}

/// The one matcher for patterns whose only wildcard is `any` (a run of any characters): the
/// text must start with the first literal segment, end with the last, and hold the others in
/// order between them. Taking each middle segment at its leftmost place is never worse, so the
/// match is linear in the text (no backtracking).
pub fn glob_str(p: &str, t: &str, any: char) -> bool {
    let mut segs = p.split(any);
    let first = segs.next().unwrap_or("");
    let rest: Vec<&str> = segs.collect();
    let Some((last, middle)) = rest.split_last() else { return p == t };
    if t.len() < first.len() + last.len() || !t.starts_with(first) || !t.ends_with(last) {
        return false;
    }
    let end = t.len() - last.len();
    find_in_order(t, first.len(), end, middle).is_some()
}

/// Find `segs` in order, each at its leftmost place, in `t[from..end]`; the end of the last.
pub fn find_in_order(t: &str, from: usize, end: usize, segs: &[&str]) -> Option<usize> {
    let mut at = from;
    for m in segs.iter().filter(|m| !m.is_empty()) {
        at += t.get(at..end)?.find(m)? + m.len();
    }
    Some(at)
}

/// The general wildcard matcher: `any` matches any run of characters, `one` (if given) exactly
/// one. Eval's `like()` uses it with `%` and `_`; patterns with only `any` go to the linear
/// [`glob_str`].
pub fn glob(p: &[char], t: &[char], any: char, one: Option<char>) -> bool {
    if one.is_none_or(|o| !p.contains(&o)) {
        let (p, t): (String, String) = (p.iter().collect(), t.iter().collect());
        return glob_str(&p, &t, any);
    }
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != any && (Some(p[pi]) == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == any {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match_ci("*.amazonaws.com", "EC2.AmazonAWS.com"));
        assert!(wildcard_match_ci("*Unauthorized*", "Client.UnauthorizedOperation"));
        assert!(!wildcard_match_ci("AccessDenied", "AccessDeniedException"));
        assert!(wildcard_match_ci("*", ""));
        assert!(wildcard_match_ci("a*b*a", "aba"));
        assert!(!wildcard_match_ci("ab*ba", "aba"));
        assert!(wildcard_match_ci("a**b", "ab"));
        assert!(!wildcard_match_ci("a*b", "a"));
        assert!(wildcard_match_ci("ÉT*", "étÉ"));
    }

    #[test]
    fn wildcards_are_linear() {
        let long = "a".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(!wildcard_match_ci("*a*a*a*a*a*a*a*a*b*", &long));
        assert!(!glob_str("a*a*a*a*a*a*a*a*a*a*b", &long, '*'));
        assert!(started.elapsed().as_secs_f64() < 1.0, "{:?}", started.elapsed());
    }

    #[test]
    fn literal_runs() {
        assert_eq!(literal_run("*Unauthorized*").as_deref(), Some("Unauthorized"));
        assert_eq!(literal_run("ab*"), None);
        assert_eq!(literal_run("a/b/c"), None);
    }
}
