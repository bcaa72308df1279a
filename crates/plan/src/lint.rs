//! Lints: valid SPL that probably does not mean what its author meant. Each finding is an
//! [`SplError`] with one of the `Lint*` codes (rendered as a warning, or as advice for
//! [`ErrorCode::is_advice`] codes), pointing into the macro-expanded query text (map it back
//! with [`crate::Expanded::map_span`]).
//!
//! From the query alone ([`lint`] on the tree, [`planned`] adding the plan's fields pass):
//! - `SPL0901` a lower-case `and`/`or`/`not` in `search` is a plain term, not a boolean
//!   (Splunk: "Boolean operators are case-sensitive"), so `a=1 or b=2` requires the word `or`.
//! - `SPL0902` `where f=word` compares `f` with the *field* `word`; a string needs quotes.
//! - `SPL0903` (advice) `f!=v` in `search` also drops the events that have no `f`; `NOT f=v`
//!   keeps them. Said when `f` is not a field every row has at that point (see
//!   [`always_present`]), so `sourcetype!=x` or `count!=0` after `stats count` stay quiet.
//! - `SPL0904` `*` inside a string compared with `=`/`!=` in where/eval is a literal star, not
//!   a wildcard: use `like(f, "a%")` or `searchmatch()`.
//! - `SPL0905` `stats ... BY f` (or `dedup f`) where no row can have `f`: every event is
//!   dropped and the result is empty.
//! - `SPL0906` `rename a AS b` where no row can have `a`: nothing is renamed.
//!
//! SPL0905 and SPL0906 are found from the query alone when an earlier command decides the
//! fields (`stats`, `table`, `fields`, `rename`); [`with_known_fields`] also finds them against
//! the field names of the data (`stats count by srcip` over data that only has `src_ip`).

use crate::fields::{self, Available, PlanFields};
use crate::plan::{LogicalPlan, Op, Source, StatsMode};
use crate::Planned;
use spelunk_syntax::ast::{Arg, BinaryOp, CmpOp, Command, CommandKind, Expr, ExprKind, Pipeline, SearchExpr, Span};
use spelunk_syntax::diagnostics::did_you_mean;
use spelunk_syntax::{visit, ErrorCode, SplError};
use std::collections::BTreeSet;

/// Fields the scan gives every event (the `!=` lint takes them as always there).
const EVENT_FIELDS: &[&str] = &["_time", "_raw", "source", "sourcetype", "host", "index"];
/// Splunk's default fields: every indexed event has them.
const DEFAULT_FIELDS: &[&str] = &["_time", "_raw", "_indextime", "source", "sourcetype", "host", "index", "splunk_server", "linecount", "punct"];

/// Every lint finding of the syntax tree alone, in text order (`SPL0901`, `SPL0902`, `SPL0904`).
pub fn lint(p: &Pipeline) -> Vec<SplError> {
    let mut out = Vec::new();
    lint_pipeline(p, &mut out);
    sort(&mut out);
    out
}

/// Every lint finding of a planned query that needs no data, in text order: those of [`lint`]
/// and those of the plan's fields pass (`SPL0903`, `SPL0905`, `SPL0906`).
pub fn planned(p: &Planned) -> Vec<SplError> {
    let mut out = lint(&p.ast);
    plan_lints(&p.ast, &p.plan, &Available::any(), None, &mut out);
    sort(&mut out);
    out
}

/// The findings that need the data's field names: `SPL0905`/`SPL0906` for fields that no event
/// of the data has (`known`: every field name seen in the data, search-time fields included).
/// Only what [`planned`] cannot find without the data is returned, so a caller prints
/// [`planned`] first and these once it has read the data (or its field catalogue).
pub fn with_known_fields(p: &Planned, known: &BTreeSet<String>) -> Vec<SplError> {
    let mut without = Vec::new();
    plan_lints(&p.ast, &p.plan, &Available::any(), None, &mut without);
    let mut events: BTreeSet<String> = known.clone();
    events.extend(EVENT_FIELDS.iter().map(|s| s.to_string()));
    let mut with = Vec::new();
    plan_lints(&p.ast, &p.plan, &Available::Known(events), Some(known), &mut with);
    with.retain(|w| !without.iter().any(|x| x.code == w.code && x.span == w.span));
    sort(&mut with);
    with
}

/// Could [`with_known_fields`] find anything for this query? When not, there is no need to
/// read the data's field names.
pub fn wants_data_fields(p: &Planned) -> bool {
    fn plan_wants(plan: &LogicalPlan) -> bool {
        plan.nodes.iter().any(|n| match &n.op {
            Op::Stats(s) => plan.source == Source::Events && s.mode == StatsMode::Stats && !s.by.is_empty(),
            Op::Dedup { keepempty: false, .. } => plan.source == Source::Events,
            Op::Rename(pairs) => plan.source == Source::Events && pairs.iter().any(|(a, _)| !a.contains('*')),
            op => op.subsearch().is_some_and(|s| plan_wants(&s.plan)),
        })
    }
    plan_wants(&p.plan)
}

fn sort(out: &mut [SplError]) {
    out.sort_by_key(|e| (e.span.start, e.span.end, e.code.code()));
}

// ---------------------------------------------------------------------------------------------
// lints of the syntax tree

fn lint_pipeline(p: &Pipeline, out: &mut Vec<SplError>) {
    for c in &p.commands {
        match &c.kind {
            CommandKind::Search(Some(e)) => lint_search(e, out),
            CommandKind::Where(e) => {
                lint_where_bare_word(e, out);
                lint_expr_wildcard(e, out);
            }
            CommandKind::Eval(assignments) => {
                for a in assignments {
                    lint_expr_wildcard(&a.value, out);
                }
            }
            CommandKind::Generic(args) => visit::walk_subsearches(args, &mut |sub| lint_pipeline(sub, out)),
            _ => {}
        }
    }
}

fn lint_search(e: &SearchExpr, out: &mut Vec<SplError>) {
    visit::walk_search(e, &mut |x| {
        if let SearchExpr::Term(v) = x {
            if !v.quoted && v.directive.is_none() && matches!(v.text.as_str(), "and" | "or" | "not" | "And" | "Or" | "Not") {
                let upper = v.text.to_ascii_uppercase();
                out.push(
                    SplError::new(ErrorCode::LintLowercaseBoolean, v.span, format!("`{}` in a search is the plain word \"{}\", not the boolean {upper}", v.text, v.text))
                        .with_label("a search term")
                        .with_help(format!("write `{upper}` in capitals for the boolean, or \"{}\" in quotes to search for the word", v.text)),
                );
            }
        }
    });
}

fn lint_where_bare_word(e: &Expr, out: &mut Vec<SplError>) {
    visit::walk_expr(e, &mut |x| {
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
    visit::walk_expr(e, &mut |x| {
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

// ---------------------------------------------------------------------------------------------
// lints of the plan's fields pass

/// `data`: the data's field names when `events` comes from them (for the messages).
fn plan_lints(ast: &Pipeline, plan: &LogicalPlan, events: &Available, data: Option<&BTreeSet<String>>, out: &mut Vec<SplError>) {
    let pass = fields::analyze_from(plan, events);
    let present = always_present(plan, &pass);
    for (i, node) in plan.nodes.iter().enumerate() {
        let before = pass.before(i);
        let cmd = find_command(ast, node.span);
        match &node.op {
            Op::Search(e) => lint_not_equal(e, &present[i], out),
            Op::Stats(s) if s.mode == StatsMode::Stats => {
                for f in s.by.iter().filter(|f| !before.may_have(f)) {
                    let span = cmd.and_then(|c| match &c.kind {
                        CommandKind::Stats(sc) => sc.by.iter().find(|b| &b.name == f).map(|b| b.span),
                        _ => None,
                    });
                    let why = why_missing(plan, &pass, i, f, data);
                    out.push(
                        SplError::new(ErrorCode::LintGroupByMissingField, span.unwrap_or(node.span), format!("no event can have `{f}` here, so `{} ... by {f}` drops every event and the result is empty", node.op.name()))
                            .with_label("never set at this point")
                            .with_help(format!("{why}; stats leaves out the events that lack a BY field (to keep them, give it a value first: `fillnull value=unknown {f}`).{}", suggestion(&pass, i, f, data))),
                    );
                }
            }
            Op::Dedup { fields, keepempty: false, .. } => {
                for f in fields.iter().filter(|f| !before.may_have(f)) {
                    let span = cmd.and_then(|c| word_span(c, f));
                    let why = why_missing(plan, &pass, i, f, data);
                    out.push(
                        SplError::new(ErrorCode::LintGroupByMissingField, span.unwrap_or(node.span), format!("no result can have `{f}` here, so `dedup {f}` drops every result"))
                            .with_label("never set at this point")
                            .with_help(format!("{why}; dedup drops the results that lack the field unless `keepempty=true`.{}", suggestion(&pass, i, f, data))),
                    );
                }
            }
            Op::Rename(pairs) => {
                let mut earlier: Vec<&str> = Vec::new();
                for (from, to) in pairs {
                    if !from.contains('*') && !before.may_have(from) && !earlier.contains(&from.as_str()) {
                        let span = cmd.and_then(|c| match &c.kind {
                            CommandKind::Rename(ps) => ps.iter().find(|p| &p.from.name == from).map(|p| p.from.span),
                            _ => None,
                        });
                        let why = why_missing(plan, &pass, i, from, data);
                        out.push(
                            SplError::new(ErrorCode::LintRenameMissingField, span.unwrap_or(node.span), format!("there is no `{from}` to rename here, so `rename {from} as {to}` does nothing"))
                                .with_label("never set at this point")
                                .with_help(format!("{why}.{}", suggestion(&pass, i, from, data))),
                        );
                    }
                    earlier.push(to);
                }
            }
            op => {
                if let Some(sub) = op.subsearch() {
                    plan_lints(ast, &sub.plan, events, data, out);
                }
            }
        }
    }
}

/// For every node of the plan, the fields every row has when it reaches the node: the fields
/// every event has (Splunk's default fields), then those `eval` and `fillnull` set on every
/// row, and the rows of `stats`/`top` (made of their own fields). Fields that only some rows
/// get (`rex` groups, `lookup` outputs, `spath`, `bin`/`convert` of a field some rows lack)
/// are not in it.
pub fn always_present(plan: &LogicalPlan, pass: &PlanFields) -> Vec<BTreeSet<String>> {
    let mut present: BTreeSet<String> = match plan.source {
        Source::Events => DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
        Source::MakeResults { .. } => pass.input.names().map(|n| n.map(str::to_string).collect()).unwrap_or_default(),
    };
    let mut out = Vec::with_capacity(plan.nodes.len());
    for (node, f) in plan.nodes.iter().zip(&pass.nodes) {
        out.push(present.clone());
        match &node.op {
            Op::Eval(_) | Op::FillNull { .. } => present.extend(f.writes.iter().cloned()),
            Op::Rename(pairs) => {
                for (from, to) in pairs {
                    if present.remove(from) {
                        present.insert(to.clone());
                    } else {
                        present.remove(to);
                    }
                }
            }
            // every event the search keeps has the fields it requires
            Op::Search(e) => present.extend(required(e, true)),
            _ if f.replaces_rows => present = f.writes.iter().cloned().collect(),
            _ => {}
        }
        // what the node keeps or removes
        present.retain(|p| f.after.may_have(p));
    }
    out
}

/// The fields every event matching `e` has: those of its comparisons (`f=v`, `f>v`,
/// `f IN (...)`, and `f!=v` when `with_ne`) that every match must pass.
fn required(e: &SearchExpr, with_ne: bool) -> BTreeSet<String> {
    match e {
        SearchExpr::Compare { op: CmpOp::Ne, .. } if !with_ne => BTreeSet::new(),
        SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => BTreeSet::from([field.name.clone()]),
        SearchExpr::And(v, _) => v.iter().flat_map(|x| required(x, with_ne)).collect(),
        SearchExpr::Or(v, _) => {
            let mut sets = v.iter().map(|x| required(x, with_ne));
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
        }
        SearchExpr::Group(x, _) => required(x, with_ne),
        SearchExpr::Not(..) | SearchExpr::Term(_) => BTreeSet::new(),
    }
}

/// `SPL0903`: `f!=v` (not under `NOT`) on a field some rows may lack: not a field every row
/// has (`present`), nor one the same search requires otherwise (`f=* f!=x`). Said once per
/// field and command.
fn lint_not_equal(e: &SearchExpr, present: &BTreeSet<String>, out: &mut Vec<SplError>) {
    let mut quiet: BTreeSet<String> = present.iter().cloned().chain(required(e, false)).collect();
    visit::walk_search_negated(e, &mut |x, negated| {
        let SearchExpr::Compare { field, op: CmpOp::Ne, value, span } = x else { return };
        if negated || !quiet.insert(field.name.clone()) {
            return;
        }
        let f = &field.name;
        let w = if !value.quoted && value.text == "*" {
            SplError::new(ErrorCode::LintNeVsNot, *span, format!("`{f}!=*` matches no event: every value of {f} matches `*`, and events without {f} are dropped"))
                .with_label("keeps nothing")
                .with_help(format!("to keep the events that have no {f}, write `NOT {f}=*`"))
        } else {
            SplError::new(ErrorCode::LintNeVsNot, *span, format!("`{f}!={value}` also drops the events that have no {f} field"))
                .with_label(format!("needs {f} to exist"))
                .with_help(format!("`{f}!={value}` keeps events whose {f} has another value; `NOT {f}={value}` keeps those and the events without {f}: write that if they should stay"))
        };
        out.push(w);
    });
}

/// Why field `f` cannot exist before node `i`, in words.
fn why_missing(plan: &LogicalPlan, pass: &PlanFields, i: usize, f: &str, data: Option<&BTreeSet<String>>) -> String {
    let mut why = None;
    for j in (0..i).rev() {
        let (node, nf) = (&plan.nodes[j], &pass.nodes[j]);
        if nf.drops.iter().any(|d| fields::name_matches(d, f)) && !nf.after.may_have(f) {
            why = Some(format!("`{}` removed it", short(&node.text)));
            break;
        }
        if (nf.replaces_rows || nf.keeps.is_some()) && !nf.after.may_have(f) {
            why = Some(format!("after `{}` the rows have {}", short(&node.text), nf.after));
            break;
        }
    }
    why.unwrap_or_else(|| match (plan.source.clone(), data) {
        (Source::Events, Some(d)) => format!("none of the {} fields seen in the data (search-time fields included) is named {f}", d.len()),
        (Source::Events, None) => format!("no event has {f}"),
        (Source::MakeResults { .. }, _) => format!("the generated rows have {}", pass.input),
    })
}

/// ` Did you mean `x`?` with a field close to `f` that can exist before node `i`, or nothing.
fn suggestion(pass: &PlanFields, i: usize, f: &str, data: Option<&BTreeSet<String>>) -> String {
    let before = pass.before(i);
    let candidates: Vec<&str> = match (before.names(), data) {
        (Some(names), _) => names.collect(),
        (None, Some(d)) => d.iter().map(String::as_str).collect(),
        (None, None) => Vec::new(),
    };
    // one- and two-letter names are one edit from too many others to suggest one
    match did_you_mean(f, candidates).filter(|_| f.chars().count() >= 3) {
        Some(s) => format!(" Did you mean `{s}`?"),
        None => String::new(),
    }
}

/// A command's text, cut to a readable length.
fn short(text: &str) -> String {
    if text.chars().count() <= 48 {
        return text.to_string();
    }
    format!("{} ...", text.chars().take(44).collect::<String>().trim_end())
}

/// The command of the tree (subsearches included) a plan node came from.
fn find_command(p: &Pipeline, span: Span) -> Option<&Command> {
    for c in &p.commands {
        if c.span == span {
            return Some(c);
        }
        if let CommandKind::Generic(args) = &c.kind {
            let mut found = None;
            visit::walk_subsearches(args, &mut |sub| found = found.or_else(|| find_command(sub, span)));
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// The span of the bare word `w` among a generic command's arguments.
fn word_span(c: &Command, w: &str) -> Option<Span> {
    let CommandKind::Generic(args) = &c.kind else { return None };
    args.iter().find_map(|a| match a {
        Arg::Word(v) if v.text == w => Some(v.span),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Planner;

    fn codes(q: &str) -> Vec<(ErrorCode, String)> {
        let p = spelunk_syntax::parse_pipeline(q).unwrap();
        lint(&p).into_iter().map(|e| (e.code, q[e.span.start..e.span.end].to_string())).collect()
    }

    fn plan(q: &str) -> Planned {
        Planner::builtin().expect("conf").plan(q).unwrap_or_else(|e| panic!("{q}: {}", e.error.message))
    }

    /// Findings of [`planned`] with the text they point at.
    fn all(q: &str) -> Vec<(ErrorCode, String)> {
        let p = plan(q);
        planned(&p).into_iter().map(|e| (e.code, p.expanded.text[e.span.start..e.span.end].to_string())).collect()
    }

    fn with_data(q: &str, known: &[&str]) -> Vec<SplError> {
        let p = plan(q);
        with_known_fields(&p, &known.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn lower_case_boolean_in_search() {
        assert_eq!(codes("a=1 or b=2"), vec![(ErrorCode::LintLowercaseBoolean, "or".into())]);
        assert!(codes("a=1 OR b=2").is_empty());
        assert!(codes("a=1 \"or\" b=2").is_empty());
        assert_eq!(codes("| append [search a=1 or b=2]"), vec![(ErrorCode::LintLowercaseBoolean, "or".into())]);
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

    // Splunk Search Manual, "Difference between != and NOT": `Location!="Calaveras Farms"`
    // returns only events that have a Location; `NOT Location="Calaveras Farms"` also returns
    // the events without one.
    // https://docs.splunk.com/Documentation/Splunk/9.0.2/Search/NOTexpressions
    #[test]
    fn not_equal_on_a_field_events_may_lack() {
        assert_eq!(all("status!=200"), vec![(ErrorCode::LintNeVsNot, "status!=200".into())]);
        assert_eq!(all("* | search user!=\"bob smith\""), vec![(ErrorCode::LintNeVsNot, "user!=\"bob smith\"".into())]);
        let p = plan("Location!=\"Calaveras Farms\"");
        let w = planned(&p);
        assert!(w[0].help.as_deref().unwrap_or("").contains("NOT Location=\"Calaveras Farms\""), "{:?}", w[0].help);
        // `f!=*` keeps nothing at all
        let w = planned(&plan("user!=*"));
        assert!(w[0].message.contains("matches no event") && w[0].help.as_deref().unwrap_or("").contains("NOT user=*"), "{w:?}");
        assert!(ErrorCode::LintNeVsNot.is_advice());
    }

    #[test]
    fn not_equal_on_a_field_every_row_has_is_quiet() {
        // NOT f=v is the form that keeps events without f; NOT f!=v is deliberate
        assert!(all("NOT status=200").is_empty());
        assert!(all("NOT status!=200").is_empty());
        // every event has the default fields
        assert!(all("sourcetype!=aws:cloudtrail host!=web01").is_empty());
        // stats rows all have their BY fields and counts
        assert!(all("* | stats count by user | search user!=root count!=1").is_empty());
        // eval and fillnull set the field on every row
        assert!(all("* | eval x=1 | search x!=2").is_empty());
        assert!(all("* | fillnull value=none user | search user!=root").is_empty());
        // ... but rex sets its groups only where the regex matches
        assert_eq!(all("* | rex \"u=(?<user>\\w+)\" | search user!=root"), vec![(ErrorCode::LintNeVsNot, "user!=root".into())]);
        // a renamed always-present field stays present; the table keeps it
        assert!(all("* | stats count by user | rename user as u | table u | search u!=x").is_empty());
        // `where` follows eval rules, not search rules: not this lint
        assert!(all("* | where status!=200").is_empty());
        // the search (or an earlier one) already requires the field
        assert!(all("user=* user!=root").is_empty());
        assert!(all("(user=a* OR user=b*) user!=ab").is_empty());
        assert!(all("user=* | search user!=root").is_empty());
        assert_eq!(all("(user=a* OR x=1) user!=ab"), vec![(ErrorCode::LintNeVsNot, "user!=ab".into())]);
        // once per field and command
        assert_eq!(all("ip!=10.* ip!=192.168.*"), vec![(ErrorCode::LintNeVsNot, "ip!=10.*".into())]);
        assert_eq!(all("ip!=10.* | search ip!=192.168.*"), vec![(ErrorCode::LintNeVsNot, "ip!=10.*".into())], "the first search left only events with ip");
    }

    // Splunk Search Reference, stats: "If a BY clause is used, one row is returned for each
    // distinct value specified in the BY clause": an event without a value for the BY field
    // has no group (fillnull gives it one).
    // https://help.splunk.com/splunk-enterprise/spl-search-reference/9.3/search-commands/stats
    // https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/fillnull
    #[test]
    fn stats_by_a_field_an_earlier_stage_removed() {
        let w = all("* | stats count by user | stats count by src");
        assert_eq!(w, vec![(ErrorCode::LintGroupByMissingField, "src".into())]);
        let p = plan("* | stats count by user | stats count by usr");
        let w = planned(&p);
        let help = w[0].help.clone().unwrap_or_default();
        assert!(help.contains("after `stats count by user` the rows have only count, user") && help.contains("Did you mean `user`?"), "{help}");
        assert_eq!(all("* | rename src as src_ip | stats count by src"), vec![(ErrorCode::LintGroupByMissingField, "src".into())]);
        assert_eq!(all("* | fields - src | dedup src"), vec![(ErrorCode::LintGroupByMissingField, "src".into())]);
        assert_eq!(all("* | table user | stats count by user, src"), vec![(ErrorCode::LintGroupByMissingField, "src".into())]);
    }

    #[test]
    fn stats_by_a_field_that_can_exist_is_quiet() {
        assert!(all("* | stats count by src").is_empty());
        assert!(all("* | stats count by user | eval src=\"x\" | stats count by src").is_empty());
        assert!(all("* | table user* | stats count by user_name").is_empty());
        assert!(all("* | stats count by user | eventstats count as n by user").is_empty());
        assert!(all("* | table user | dedup keepempty=true src").is_empty());
        // eventstats keeps every event: not this lint
        assert!(all("* | stats count by user | eventstats count as n by src").is_empty());
        assert!(all("| makeresults | eval a=1 | stats count by a").is_empty());
        assert_eq!(all("| makeresults | stats count by a"), vec![(ErrorCode::LintGroupByMissingField, "a".into())]);
    }

    #[test]
    fn rename_of_a_field_that_cannot_exist() {
        assert_eq!(all("* | stats count by user | rename src as x"), vec![(ErrorCode::LintRenameMissingField, "src".into())]);
        assert!(all("* | stats count by user | rename user as u, u as v").is_empty());
        assert!(all("* | rename src as x").is_empty(), "the events may have src");
        assert!(all("* | stats count by user | rename user* as u*").is_empty());
        let w = planned(&plan("* | table a, b | rename c as d"));
        assert_eq!(w[0].help.as_deref(), Some("after `table a, b` the rows have only a, b."));
    }

    #[test]
    fn with_the_fields_of_the_data() {
        let w = with_data("* | stats count by srcip", &["src_ip", "user"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, ErrorCode::LintGroupByMissingField);
        let help = w[0].help.clone().unwrap_or_default();
        assert!(help.contains("none of the 2 fields seen in the data") && help.contains("Did you mean `src_ip`?"), "{help}");
        assert!(with_data("* | stats count by src_ip", &["src_ip"]).is_empty());
        assert!(with_data("* | stats count by host, sourcetype, _time", &[]).is_empty(), "the scan gives every event these");
        assert_eq!(with_data("* | rename src as s", &["dest"]).len(), 1);
        assert!(with_data("* | rename src as s", &["src"]).is_empty());
        // a field an earlier command makes is there whatever the data has
        assert!(with_data("* | eval src=\"x\" | stats count by src", &[]).is_empty());
        assert!(with_data("* | rename a as src | stats count by src", &["a"]).is_empty());
        assert_eq!(with_data("* | rename a as src | stats count by src", &["b"]).len(), 2, "a cannot be renamed, src never exists");
        // what the query alone shows is not repeated
        assert!(with_data("* | stats count by user | stats count by src", &["user", "src"]).is_empty());
        // fields of unknown names (spath without a path) may be anything
        assert!(with_data("* | spath | stats count by anything", &["_raw"]).is_empty());
        // subsearches read the same data
        assert_eq!(with_data("* | append [search * | stats count by srcip]", &["src_ip"]).len(), 1);
    }

    #[test]
    fn when_the_data_matters() {
        assert!(wants_data_fields(&plan("* | stats count by user")));
        assert!(wants_data_fields(&plan("* | rename a as b")));
        assert!(!wants_data_fields(&plan("* | stats count")));
        assert!(!wants_data_fields(&plan("* | where a=1 | table a")));
        assert!(!wants_data_fields(&plan("| makeresults | stats count by a")));
    }
}
