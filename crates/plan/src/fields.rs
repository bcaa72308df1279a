//! Fields: which fields AST nodes read (for projection and props dependencies), and the
//! fields pass over a plan: for every node, the fields it needs and produces, and the fields
//! that can exist after it ([`Available`]), for `explain` and the lints.
//!
//! The pass is an upper bound: [`Available::Known`] lists every field a row *may* have (a row
//! can still lack one), [`Available::Unknown`] says a row may have any field the events have.
//! Events from the scan are `Unknown` (spelunk cannot know the data's fields without reading
//! it) until a command that replaces the rows or picks their columns (`stats`, `top`,
//! `table`, `fields`) makes the set `Known`. [`analyze_from`] starts from a known set of event
//! fields instead, for the lints that take the data's field names.

use crate::plan::*;
use spelunk_syntax::ast::{Expr, ExprKind, SearchExpr};
use spelunk_syntax::visit;
use std::collections::BTreeSet;
use std::fmt;

/// Every field an eval expression reads.
pub fn expr_fields(e: &Expr, out: &mut BTreeSet<String>) {
    visit::walk_expr(e, &mut |x| {
        if let ExprKind::Field { name, .. } = &x.kind {
            out.insert(name.clone());
        }
    });
}

/// Does the expression call a function that reads the whole event (`searchmatch`)?
pub fn expr_needs_raw(e: &Expr) -> bool {
    visit::any_expr(e, &mut |x| matches!(&x.kind, ExprKind::Call { name, .. } if name.name.eq_ignore_ascii_case("searchmatch")))
}

/// Fields a search expression reads; `_raw` for bare terms.
pub fn search_fields(e: &SearchExpr, out: &mut BTreeSet<String>) {
    visit::walk_search(e, &mut |x| match x {
        SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => {
            out.insert(field.name.clone());
        }
        SearchExpr::Term(_) => {
            out.insert("_raw".to_string());
        }
        SearchExpr::And(..) | SearchExpr::Or(..) | SearchExpr::Not(..) | SearchExpr::Group(..) => {}
    });
}

/// Does a field name (or `*` pattern) `pattern` cover the field `name`? Case-sensitive, as
/// Splunk field names are.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = name.chars().collect();
    crate::pushdown::glob(&p, &t, '*', None)
}

/// The fields that can exist at a point of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Available {
    /// At most these fields (names, or `*` patterns kept by `table`/`fields`).
    Known(BTreeSet<String>),
    /// Any field the events have, and any field earlier commands made, except `removed`
    /// (renamed away or removed by `fields -`).
    Unknown { removed: BTreeSet<String> },
}

impl Available {
    /// Any field of the events.
    pub fn any() -> Available {
        Available::Unknown { removed: BTreeSet::new() }
    }

    /// Exactly these fields.
    pub fn known<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Available {
        Available::Known(names.into_iter().map(Into::into).collect())
    }

    /// Can a row have a field of this name here?
    pub fn may_have(&self, name: &str) -> bool {
        match self {
            Available::Known(s) => s.contains(name) || s.iter().any(|p| p.contains('*') && name_matches(p, name)),
            Available::Unknown { removed } => !removed.contains(name),
        }
    }

    /// The known field names (not patterns), if the set is known.
    pub fn names(&self) -> Option<impl Iterator<Item = &str>> {
        match self {
            Available::Known(s) => Some(s.iter().filter(|n| !n.contains('*')).map(String::as_str)),
            Available::Unknown { .. } => None,
        }
    }

    fn add(&mut self, name: &str) {
        match self {
            Available::Known(s) => {
                s.insert(name.to_string());
            }
            Available::Unknown { removed } => {
                removed.remove(name);
            }
        }
    }

    fn remove(&mut self, name: &str) {
        if name.contains('*') {
            // `fields - a*`: drop what the pattern covers where the names are known; an
            // unknown set cannot say which names those are, and stays an upper bound as it is
            if let Available::Known(s) = self {
                s.retain(|n| n.contains('*') || !name_matches(name, n));
            }
            return;
        }
        match self {
            Available::Known(s) => {
                s.remove(name);
            }
            Available::Unknown { removed } => {
                removed.insert(name.to_string());
            }
        }
    }

    /// Rows of either kind (`append`, `join`).
    fn union(&self, other: &Available) -> Available {
        match (self, other) {
            (Available::Known(a), Available::Known(b)) => Available::Known(a.union(b).cloned().collect()),
            (Available::Known(k), Available::Unknown { removed }) | (Available::Unknown { removed }, Available::Known(k)) => {
                Available::Unknown { removed: removed.iter().filter(|r| !k.contains(*r)).cloned().collect() }
            }
            (Available::Unknown { removed: a }, Available::Unknown { removed: b }) => Available::Unknown { removed: a.intersection(b).cloned().collect() },
        }
    }

    /// `table patterns` (`internal` false) or `fields patterns` (which keeps `_time` and `_raw`).
    fn keep_only(&self, patterns: &[String], internal: bool) -> Available {
        let mut out = BTreeSet::new();
        let literal_set = matches!(self, Available::Known(s) if !s.iter().any(|n| n.contains('*')));
        for p in patterns {
            if !p.contains('*') {
                if self.may_have(p) {
                    out.insert(p.clone());
                }
            } else if literal_set {
                if let Available::Known(s) = self {
                    out.extend(s.iter().filter(|n| name_matches(p, n)).cloned());
                }
            } else {
                out.insert(p.clone());
            }
        }
        if internal {
            for f in ["_time", "_raw"] {
                if self.may_have(f) {
                    out.insert(f.to_string());
                }
            }
        }
        Available::Known(out)
    }
}

impl fmt::Display for Available {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Available::Known(s) if s.is_empty() => f.write_str("no fields"),
            Available::Known(s) => write!(f, "only {}", s.iter().cloned().collect::<Vec<_>>().join(", ")),
            Available::Unknown { removed } if removed.is_empty() => f.write_str("any field of the events"),
            Available::Unknown { removed } => write!(f, "any field of the events but {}", removed.iter().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
}

/// What one plan node does to the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFields {
    /// Fields whose values it reads (`_raw` for bare search terms; `*` patterns possible).
    pub needs: BTreeSet<String>,
    /// It may read any field (`searchmatch`, `mvcombine`, `fillnull` without a list, `join`
    /// without fields, commands the pass does not know).
    pub needs_all: bool,
    /// Fields it creates or overwrites, in order.
    pub writes: Vec<String>,
    /// It also creates fields whose names come from the data (`spath` without a path,
    /// `lookup` without OUTPUT, `inputlookup`, commands the pass does not know).
    pub writes_unnamed: bool,
    /// Fields it removes by name (rename sources, `fields -`).
    pub drops: Vec<String>,
    /// `table`/`fields`: the only fields it keeps (in order, as written).
    pub keeps: Option<Vec<String>>,
    /// It replaces the rows with new ones made of `writes` only (`stats`, `top`).
    pub replaces_rows: bool,
    /// The fields that can exist after it.
    pub after: Available,
}

impl NodeFields {
    fn new(before: &Available) -> NodeFields {
        NodeFields { needs: BTreeSet::new(), needs_all: false, writes: Vec::new(), writes_unnamed: false, drops: Vec::new(), keeps: None, replaces_rows: false, after: before.clone() }
    }

    fn write(&mut self, name: &str) {
        if !self.writes.iter().any(|w| w == name) {
            self.writes.push(name.to_string());
        }
        self.after.add(name);
    }
}

/// The fields pass over a whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFields {
    /// The fields the source hands to the first node.
    pub input: Available,
    /// One entry per plan node, in order.
    pub nodes: Vec<NodeFields>,
}

impl PlanFields {
    /// The fields available before node `i`.
    pub fn before(&self, i: usize) -> &Available {
        match i.checked_sub(1).and_then(|j| self.nodes.get(j)) {
            Some(n) => &n.after,
            None => &self.input,
        }
    }

    /// The fields of the final results.
    pub fn output(&self) -> &Available {
        self.before(self.nodes.len())
    }
}

/// The fields pass with events of unknown fields.
pub fn analyze(plan: &LogicalPlan) -> PlanFields {
    analyze_from(plan, &Available::any())
}

/// The fields pass with events that have the fields `events` (subsearches over the same data
/// included). `makeresults` starts with `_time` only, `inputlookup` with no fields.
pub fn analyze_from(plan: &LogicalPlan, events: &Available) -> PlanFields {
    let input = match plan.source {
        Source::Events => events.clone(),
        Source::MakeResults { .. } if matches!(plan.nodes.first(), Some(PlanNode { op: Op::InputLookup(_), .. })) => Available::known(Vec::<String>::new()),
        Source::MakeResults { .. } => Available::known(["_time"]),
    };
    let mut nodes: Vec<NodeFields> = Vec::with_capacity(plan.nodes.len());
    for n in &plan.nodes {
        let before = nodes.last().map(|x| &x.after).unwrap_or(&input);
        nodes.push(step(&n.op, before, events));
    }
    PlanFields { input, nodes }
}

/// Every field name the plan mentions (read, written, kept, renamed or dropped by name,
/// subsearches included): the lints that take the data's fields only ask about these.
pub fn mentioned(plan: &LogicalPlan) -> BTreeSet<String> {
    let pass = analyze(plan);
    let mut out = BTreeSet::new();
    for (n, f) in plan.nodes.iter().zip(&pass.nodes) {
        let names = f.needs.iter().chain(&f.writes).chain(&f.drops).chain(f.keeps.iter().flatten());
        out.extend(names.filter(|x| !x.contains('*')).cloned());
        if let Some(sub) = n.op.subsearch() {
            out.extend(mentioned(&sub.plan));
        }
    }
    out
}

/// Named capture groups of a regex (`(?<name>...)`, `(?P<name>...)`): the fields `rex` sets.
fn named_groups(re: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = re.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        let rest = &re[i..];
        let start = ["(?<", "(?P<"].iter().find(|p| rest.starts_with(**p)).map(|p| p.len());
        if let Some(skip) = start {
            let name: String = rest[skip..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && rest[skip + name.len()..].starts_with('>') && !out.contains(&name) {
                out.push(name);
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// What `op` does to the fields `before`; `events` is what a subsearch's scan starts from.
#[allow(unreachable_patterns)] // the catch-all keeps new operators conservative until they get an arm
fn step(op: &Op, before: &Available, events: &Available) -> NodeFields {
    let mut n = NodeFields::new(before);
    match op {
        Op::Search(e) => search_fields(e, &mut n.needs),
        Op::SearchSubsearch { expr, .. } => {
            search_fields(expr, &mut n.needs);
            // the subsearch's results name more fields, known only when it has run
            n.needs_all = true;
        }
        Op::Where(e) | Op::HeadWhile { expr: e, .. } => {
            expr_fields(e, &mut n.needs);
            n.needs_all = expr_needs_raw(e);
        }
        Op::Eval(assignments) => {
            for (name, e) in assignments {
                let mut read = BTreeSet::new();
                expr_fields(e, &mut read);
                // a field an earlier assignment of the same eval set is not read from the rows
                n.needs.extend(read.into_iter().filter(|f| !n.writes.contains(f)));
                n.needs_all |= expr_needs_raw(e);
                n.write(name);
            }
        }
        Op::Bin(b) => {
            n.needs.insert(b.field.clone());
            n.write(b.alias.as_deref().unwrap_or(&b.field));
        }
        Op::Rename(pairs) => {
            for (from, to) in pairs {
                n.needs.insert(from.clone());
                n.drops.push(from.clone());
                n.writes.push(to.clone());
                if from.contains('*') || to.contains('*') {
                    n.after = rename_wildcard(&n.after, from, to);
                } else if n.after.may_have(from) {
                    // renaming onto an existing field replaces it
                    n.after.remove(from);
                    n.after.add(to);
                }
            }
        }
        Op::Stats(s) => {
            for a in &s.aggs {
                match &a.input {
                    Some(AggInput::Field(x)) => {
                        n.needs.insert(x.clone());
                    }
                    Some(AggInput::Eval(e)) => {
                        expr_fields(e, &mut n.needs);
                        n.needs_all |= expr_needs_raw(e);
                    }
                    None => {}
                }
            }
            n.needs.extend(s.by.iter().cloned());
            for e in s.stream.reset_before.iter().chain(&s.stream.reset_after) {
                expr_fields(e, &mut n.needs);
                n.needs_all |= expr_needs_raw(e);
            }
            if s.stream.time_window.is_some() {
                n.needs.insert("_time".into());
            }
            if s.mode == StatsMode::Stats {
                n.after = Available::known(Vec::<String>::new());
                n.replaces_rows = true;
                for b in &s.by {
                    n.write(b);
                }
            }
            for a in &s.aggs {
                n.write(&a.name);
            }
        }
        Op::Top(t) => {
            n.needs.extend(t.fields.iter().chain(&t.by).cloned());
            n.after = Available::known(Vec::<String>::new());
            n.replaces_rows = true;
            for f in t.by.iter().chain(&t.fields) {
                n.write(f);
            }
            if t.showcount {
                n.write(&t.countfield);
            }
            if t.showperc {
                n.write(&t.percentfield);
            }
        }
        Op::Convert(c) => {
            for cv in &c.conversions {
                n.needs.insert(cv.field.clone());
                n.write(cv.alias.as_deref().unwrap_or(&cv.field));
            }
        }
        Op::Fields { remove: false, patterns } => {
            n.keeps = Some(patterns.clone());
            n.after = before.keep_only(patterns, true);
        }
        Op::Table(patterns) => {
            n.keeps = Some(patterns.clone());
            n.after = before.keep_only(patterns, false);
        }
        Op::Fields { remove: true, patterns } => {
            for p in patterns {
                n.drops.push(p.clone());
                n.after.remove(p);
            }
        }
        Op::Head(_) | Op::Tail(_) | Op::Reverse => {}
        Op::TimeOrder => {
            n.needs.insert("_time".into());
        }
        Op::Sort { keys, .. } => n.needs.extend(keys.iter().map(|k| k.field.clone())),
        Op::Dedup { fields, sortby, .. } => n.needs.extend(fields.iter().cloned().chain(sortby.iter().map(|k| k.field.clone()))),
        Op::FillNull { fields, .. } if fields.is_empty() => n.needs_all = true,
        Op::FillNull { fields, .. } => {
            for f in fields {
                n.needs.insert(f.clone());
                n.write(f);
            }
        }
        Op::MvExpand { field, .. } | Op::MakeMv { field, .. } | Op::Rex { field, sed: true, .. } => {
            n.needs.insert(field.clone());
            n.write(field);
        }
        Op::MvCombine { field, .. } => {
            // rows are merged when every other field is equal
            n.needs_all = true;
            n.write(field);
        }
        Op::Rex { field, regex, .. } => {
            n.needs.insert(field.clone());
            for g in named_groups(regex) {
                n.write(&g);
            }
        }
        Op::Regex { field, .. } => {
            n.needs.insert(field.clone());
        }
        Op::Spath { input, output, path } => {
            n.needs.insert(input.clone());
            match (output, path) {
                (Some(o), _) => n.write(o),
                (None, Some(p)) => n.write(p),
                (None, None) => {
                    n.writes_unnamed = true;
                    n.after = before.union(&Available::any());
                }
            }
        }
        Op::Append(sub) => {
            n.after = before.union(analyze_from(&sub.plan, events).output());
        }
        Op::Join { spec, sub } => {
            n.needs.extend(spec.fields.iter().cloned());
            n.needs_all = spec.fields.is_empty();
            n.after = before.union(analyze_from(&sub.plan, events).output());
        }
        Op::Lookup(l) => {
            n.needs.extend(l.inputs.iter().map(|(_, event_field)| event_field.clone()));
            match &l.outputs {
                Some(outputs) => {
                    for (_, event_field) in outputs {
                        n.write(event_field);
                    }
                }
                None => {
                    n.writes_unnamed = true;
                    n.after = before.union(&Available::any());
                }
            }
        }
        Op::InputLookup(l) => {
            n.writes_unnamed = true;
            n.after = if l.append { before.union(&Available::any()) } else { Available::any() };
        }
        // an operator this pass does not know yet: it may read and make anything
        _ => {
            n.needs_all = true;
            n.writes_unnamed = true;
            n.after = before.union(&Available::any());
        }
    }
    n
}

/// `rename a* as b*`: exact where the names are known, else any field.
fn rename_wildcard(before: &Available, from: &str, to: &str) -> Available {
    match before {
        Available::Known(s) if !s.iter().any(|n| n.contains('*')) && from.matches('*').count() == to.matches('*').count() => {
            let mut out = BTreeSet::new();
            for name in s {
                match name_captures(from, name) {
                    Some(caps) => out.insert(fill_captures(to, &caps)),
                    None => out.insert(name.clone()),
                };
            }
            Available::Known(out)
        }
        _ => Available::any(),
    }
}

/// The text each `*` of the field pattern `pattern` matched in `name` (each inner part at its
/// first place), as `rename a* as b*` carries it over; `None` when the pattern does not cover
/// the name. (The plan crate's one copy: the engine's rename can use it with [`fill_captures`].)
pub fn name_captures(pattern: &str, name: &str) -> Option<Vec<String>> {
    if !name_matches(pattern, name) {
        return None;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name.strip_prefix(parts[0])?;
    let mut caps = Vec::new();
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            caps.push(rest.strip_suffix(p)?.to_string());
            rest = "";
        } else {
            let at = rest.find(p)?;
            caps.push(rest[..at].to_string());
            rest = &rest[at + p.len()..];
        }
    }
    rest.is_empty().then_some(caps)
}

/// `pattern` with its `*`s replaced by `caps` in order (missing captures are empty).
pub fn fill_captures(pattern: &str, caps: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in pattern.split('*').enumerate() {
        if i > 0 {
            out.push_str(caps.get(i - 1).map(String::as_str).unwrap_or(""));
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Planner;

    fn pass(q: &str) -> (LogicalPlan, PlanFields) {
        let planned = Planner::builtin().expect("conf").plan(q).unwrap_or_else(|e| panic!("{q}: {}", e.error.message));
        let f = analyze(&planned.plan);
        (planned.plan, f)
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stats_keeps_only_its_outputs() {
        let (_, f) = pass("a=1 | stats count by user");
        assert_eq!(f.input, Available::any());
        assert_eq!(f.nodes[0].needs, set(&["a"]));
        assert_eq!(f.nodes[0].after, Available::any());
        assert_eq!(f.nodes[1].needs, set(&["user"]));
        assert_eq!(f.nodes[1].writes, ["user", "count"]);
        assert!(f.nodes[1].replaces_rows);
        assert_eq!(f.output(), &Available::known(["count", "user"]));
    }

    #[test]
    fn eval_rename_and_fields() {
        let (plan, f) = pass("* | eval x=a+1, y=x*2 | rename a as b | fields - c | table b, x, z");
        // the planner sorts events newest first before `rename` (it could hide _time)
        assert_eq!(plan.nodes.iter().map(|n| n.op.name()).collect::<Vec<_>>(), ["eval", "time order", "rename", "fields", "table"]);
        assert_eq!(f.nodes[0].needs, set(&["a"]), "x is set by the same eval before y reads it");
        assert_eq!(f.nodes[0].writes, ["x", "y"]);
        assert_eq!(f.nodes[1].needs, set(&["_time"]));
        assert_eq!((f.nodes[2].drops.clone(), f.nodes[2].writes.clone()), (vec!["a".to_string()], vec!["b".to_string()]));
        assert_eq!(f.nodes[2].after, Available::Unknown { removed: set(&["a"]) });
        assert_eq!(f.nodes[3].after, Available::Unknown { removed: set(&["a", "c"]) });
        assert_eq!(f.output(), &Available::known(["b", "x", "z"]));
        assert!(!f.output().may_have("a"));
    }

    #[test]
    fn fields_keeps_internal_fields_and_patterns() {
        let (_, f) = pass("* | fields user*");
        assert_eq!(f.output(), &Available::known(["_raw", "_time", "user*"]));
        assert!(f.output().may_have("user_name") && !f.output().may_have("src"));
        let (_, f) = pass("* | stats count by user, src | table user* count");
        assert_eq!(f.output(), &Available::known(["count", "user"]));
        let (_, f) = pass("* | stats count by user_a, user_b | rename user_* as u_*");
        assert_eq!(f.output(), &Available::known(["count", "u_a", "u_b"]));
    }

    #[test]
    fn rename_of_a_missing_field_changes_nothing() {
        let (_, f) = pass("* | stats count by user | rename src as x");
        assert_eq!(f.output(), &Available::known(["count", "user"]));
    }

    #[test]
    fn makeresults_starts_with_time() {
        let (_, f) = pass("| makeresults | eval a=1");
        assert_eq!(f.input, Available::known(["_time"]));
        assert_eq!(f.output(), &Available::known(["_time", "a"]));
    }

    #[test]
    fn top_rex_spath_and_known_events() {
        let (_, f) = pass("* | top limit=3 user by src");
        assert_eq!(f.output(), &Available::known(["count", "percent", "src", "user"]));
        let (_, f) = pass("* | stats count by msg | rex field=msg \"(?<user>\\w+) from (?P<ip>[\\d.]+)\"");
        assert_eq!(f.output(), &Available::known(["count", "ip", "msg", "user"]));
        let (_, f) = pass("* | stats count by msg | spath input=msg");
        assert_eq!(f.output(), &Available::any());
        let (plan, _) = pass("* | rename a as b");
        let f = analyze_from(&plan, &Available::known(["a", "c"]));
        assert_eq!(f.output(), &Available::known(["b", "c"]));
    }

    #[test]
    fn union_of_sets() {
        let k = Available::known(["a"]);
        let u = Available::Unknown { removed: set(&["a", "b"]) };
        assert_eq!(k.union(&u), Available::Unknown { removed: set(&["b"]) });
        assert_eq!(k.union(&Available::known(["b"])), Available::known(["a", "b"]));
        assert_eq!(u.union(&Available::Unknown { removed: set(&["b", "c"]) }), Available::Unknown { removed: set(&["b"]) });
    }

    #[test]
    fn mentioned_names_every_field() {
        let (plan, _) = pass("a=1 x | rename b as c | stats count by d | table count, d");
        assert_eq!(mentioned(&plan), set(&["_raw", "a", "b", "c", "count", "d"]));
    }

    #[test]
    fn walkers_collect_fields() {
        let e = spelunk_syntax::parse_expr("if(searchmatch(\"x\"), a, b IN (c, 1))").unwrap();
        let mut f = BTreeSet::new();
        expr_fields(&e, &mut f);
        assert_eq!(f, set(&["a", "b", "c"]));
        assert!(expr_needs_raw(&e));
        assert_eq!(named_groups(r"\(?<no>x)(?<yes>y)"), ["yes"]);
        assert_eq!(name_captures("a*b*", "a1b2b3"), Some(vec!["1".to_string(), "2b3".to_string()]));
        assert_eq!(name_captures("a*", "b"), None);
        assert_eq!(fill_captures("x*y*", &["1".to_string()]), "x1y");
    }
}
