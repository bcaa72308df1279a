//! The generation every dialect shares: one CTE per step, with the columns each step has known
//! statically (SPL name, SQL name, type), and the row order spelunk gives carried along as
//! ORDER BY terms.
//!
//! Values: text columns hold SPL values as text (a number reads as one where SPL compares or
//! computes: [`Dialect::to_number`]), number columns hold DOUBLEs (eval arithmetic, `count`,
//! `_time`), multivalue fields are arrays of text (null: the field is absent; never empty).

use crate::{refuse, Dialect, Options, SqlError};
use spelunk_plan::*;
use spelunk_syntax::ast::{BinaryOp, CmpOp, Directive, Expr, ExprKind, SearchExpr, UnaryOp};
use std::collections::{BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Num,
    /// Array of text.
    Mv,
    /// Only as an expression's type (comparisons, AND/OR), never a column's.
    Bool,
}

#[derive(Debug, Clone)]
struct Col {
    name: String,
    id: String,
    ty: Ty,
    /// Kept only to order rows (`table`/`fields` dropped it from the results).
    hidden: bool,
}

/// A typed SQL expression.
#[derive(Debug, Clone)]
struct E {
    sql: String,
    ty: Ty,
}

impl E {
    fn new(sql: impl Into<String>, ty: Ty) -> E {
        E { sql: sql.into(), ty }
    }
    fn null() -> E {
        E::new("NULL", Ty::Text)
    }
    fn is_null_lit(&self) -> bool {
        self.sql == "NULL"
    }
}

struct Gen<'a> {
    d: &'a dyn Dialect,
    opts: &'a Options,
    ctes: Vec<(String, String)>,
    cols: Vec<Col>,
    /// ORDER BY terms (over column ids) giving the current rows' order; empty: no order.
    order: Vec<String>,
    used: HashSet<String>,
    seq: Option<String>,
}

/// A DOUBLE literal.
pub fn num_lit(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("CAST({} AS DOUBLE)", v as i64)
    } else {
        format!("CAST({v:?} AS DOUBLE)")
    }
}

/// Splunk replacement text (`\1`) to the `$1` form of Java/Trino (`$` kept literal).
pub fn dollar_groups(repl: &str) -> String {
    let mut out = String::new();
    let mut it = repl.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' if it.peek().is_some_and(|n| n.is_ascii_digit()) => out.push('$'),
            '\\' => {
                out.push('\\');
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out
}

/// Only the strftime specifiers every dialect maps exactly.
pub fn check_strftime(fmt: &str, dialect: &str) -> Result<(), SqlError> {
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c == '%' {
            match it.next() {
                Some('Y' | 'm' | 'd' | 'H' | 'M' | 'S') => {}
                other => return Err(refuse(&format!("%{}", other.map(String::from).unwrap_or_default()), dialect, "time format specifier not mapped (only %Y %m %d %H %M %S)")),
            }
        } else if c.is_ascii_alphabetic() || c == '\'' {
            // letters are pattern letters in Spark's formats
            if dialect == "spark" && c == '\'' {
                return Err(refuse("timeformat", dialect, "a quote in the format"));
            }
        }
    }
    Ok(())
}

pub fn generate(plan: &LogicalPlan, planner: &Planner, opts: &Options) -> Result<String, SqlError> {
    let d = opts.dialect.dialect();
    let mut g = Gen { d, opts, ctes: Vec::new(), cols: Vec::new(), order: Vec::new(), used: HashSet::new(), seq: None };
    match &plan.source {
        Source::Events => {}
        Source::MakeResults { .. } => return Err(refuse("makeresults", d.name(), "generates events at run time (now()); run it in spelunk")),
    }
    if plan.time_range.earliest.is_some() || plan.time_range.latest.is_some() {
        return Err(refuse("earliest/latest", d.name(), "relative time ranges resolve against the time of the run; filter on _time in the SQL instead"));
    }
    g.scan(plan, planner)?;
    let sort_at = plan.time_sort_position();
    for (i, n) in plan.nodes.iter().enumerate() {
        if sort_at == Some(i) {
            g.time_order();
        }
        g.node(&n.op)?;
    }
    if sort_at == Some(plan.nodes.len()) {
        g.time_order();
    }
    Ok(g.finish())
}

fn sanitize(name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

impl<'a> Gen<'a> {
    fn dn(&self) -> &'static str {
        self.d.name()
    }

    fn new_id(&mut self, name: &str) -> String {
        let base = format!("f_{}", sanitize(name));
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        id
    }

    fn q(&self, id: &str) -> String {
        self.d.ident(id)
    }

    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name && !c.hidden)
    }

    /// The field's value in the current step (an absent field is NULL).
    fn field(&self, name: &str) -> E {
        match self.col(name) {
            Some(c) => E::new(self.q(&c.id), c.ty),
            None => E::null(),
        }
    }

    fn prev(&self) -> String {
        self.ctes.last().map(|c| c.0.clone()).unwrap_or_default()
    }

    fn push_cte(&mut self, body: String) {
        let name = format!("s{}", self.ctes.len());
        self.ctes.push((name, body));
    }

    /// A step: SELECT the current columns (those in `replace` replaced by their new SQL)
    /// followed by `added`, FROM the previous step, then `tail` (WHERE ...).
    fn step(&mut self, added: Vec<(Col, String)>, tail: &str) {
        let mut items: Vec<String> = Vec::new();
        let mut cols: Vec<Col> = Vec::new();
        let mut placed = vec![false; added.len()];
        for c in &self.cols {
            let repl = if c.hidden { None } else { added.iter().position(|(a, _)| a.name == c.name) };
            if let Some(i) = repl {
                // a replaced field keeps its place
                let (a, sql) = &added[i];
                items.push(format!("{sql} AS {}", self.q(&a.id)));
                cols.push(a.clone());
                placed[i] = true;
                // the order may still read the value it had
                if self.order.iter().any(|o| o.contains(&self.q(&c.id))) {
                    items.push(self.q(&c.id));
                    cols.push(Col { hidden: true, ..c.clone() });
                }
                continue;
            }
            items.push(self.q(&c.id));
            cols.push(c.clone());
        }
        for (i, (c, sql)) in added.iter().enumerate() {
            if !placed[i] {
                items.push(format!("{sql} AS {}", self.q(&c.id)));
                cols.push(c.clone());
            }
        }
        if items.is_empty() {
            items.push("1 AS _none".into());
        }
        let body = format!("SELECT {} FROM {}{}", items.join(", "), self.prev(), tail);
        self.push_cte(body);
        self.cols = cols;
    }

    fn finish(&self) -> String {
        let mut out = String::from("WITH\n");
        let n = self.ctes.len();
        for (i, (name, body)) in self.ctes.iter().enumerate() {
            out.push_str(&format!("{name} AS (\n  {body}\n){}\n", if i + 1 < n { "," } else { "" }));
        }
        let visible: Vec<String> = self.cols.iter().filter(|c| !c.hidden).map(|c| format!("{} AS {}", self.q(&c.id), self.d.ident(&c.name))).collect();
        out.push_str(&format!("SELECT {} FROM {}", if visible.is_empty() { "*".into() } else { visible.join(", ") }, self.prev()));
        if !self.order.is_empty() {
            out.push_str(&format!("\nORDER BY {}", self.order.join(", ")));
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // the scan: extracted fields, then aliases, then calculated fields (props.conf)

    fn scan(&mut self, plan: &LogicalPlan, planner: &Planner) -> Result<(), SqlError> {
        let d = self.d;
        let layout = &self.opts.layout;
        let st = layout.sourcetype();
        let props = planner.props.get(st).cloned().unwrap_or_default();
        // the fields the query reads, closed over the props' dependencies
        let wanted: BTreeSet<String> = match &plan.projection {
            Projection::Fields(f) => f.clone(),
            Projection::All => {
                let mut all: BTreeSet<String> = layout.all_fields().map_err(|m| refuse("search", self.dn(), &m))?.into_iter().collect();
                all.extend(props.derived_fields().map(String::from));
                all
            }
        };
        let extracted = props.extracted_dependencies(&wanted);
        if d.name() == "duckdb" {
            for (i, a) in layout.columns.iter().enumerate() {
                if layout.columns[..i].iter().any(|b| b.name.eq_ignore_ascii_case(&a.name)) {
                    return Err(refuse(&a.name, d.name(), "DuckDB column names are case-insensitive, and the table has two that differ only in case"));
                }
            }
        }
        let mut items = Vec::new();
        let mut cols = Vec::new();
        let tid = self.new_id("_time");
        items.push(format!("{} AS {}", layout.time(d), self.q(&tid)));
        cols.push(Col { name: "_time".into(), id: tid, ty: Ty::Num, hidden: false });
        if let Some(seq) = &layout.seq_column {
            let sid = self.new_id("_seq");
            items.push(format!("{} AS {}", d.ident(seq), self.q(&sid)));
            cols.push(Col { name: "\u{0}seq".into(), id: sid.clone(), ty: Ty::Num, hidden: true });
            self.seq = Some(sid);
        }
        for f in &extracted {
            if f == "_time" {
                continue;
            }
            let value = match f.as_str() {
                "sourcetype" => Some((d.str_lit(st), Ty::Text)),
                "index" => Some((d.str_lit("main"), Ty::Text)),
                _ => layout.field(d, f).map_err(|e| refuse(f, self.dn(), &e.message))?,
            };
            if let Some((sql, ty)) = value {
                let sql = if ty == Ty::Mv { self.mv_norm(&sql) } else { sql };
                let id = self.new_id(f);
                items.push(format!("{sql} AS {}", self.q(&id)));
                cols.push(Col { name: f.clone(), id, ty, hidden: false });
            }
        }
        let body = format!("SELECT {} FROM {}", items.join(", "), self.opts.table);
        self.push_cte(body);
        self.cols = cols;
        if let Some(s) = &self.seq {
            self.order = vec![self.q(s)];
        }
        // FIELDALIAS: all at once, against the extracted event
        let mut added = Vec::new();
        for a in &props.aliases {
            if !wanted.contains(&a.to) && !extracted.contains(&a.to) {
                continue;
            }
            let from = self.field(&a.from);
            if from.is_null_lit() {
                continue;
            }
            let id = self.new_id(&a.to);
            added.push((Col { name: a.to.clone(), id, ty: from.ty, hidden: false }, from.sql));
        }
        if !added.is_empty() {
            self.step(added, "");
        }
        // EVAL-: every one against the event before any of them ran
        let mut added = Vec::new();
        for e in &props.evals {
            if !wanted.contains(&e.field) {
                continue;
            }
            let v = self.expr(&e.expr)?;
            let v = self.value(v, &format!("EVAL-{}", e.field))?;
            let id = self.new_id(&e.field);
            added.push((Col { name: e.field.clone(), id, ty: v.ty, hidden: false }, v.sql));
        }
        if !added.is_empty() {
            self.step(added, "");
        }
        Ok(())
    }

    /// An array with no elements is an absent field.
    fn mv_norm(&self, arr: &str) -> String {
        format!("CASE WHEN {} > 0 THEN {arr} END", self.d.cardinality(arr))
    }

    fn time_order(&mut self) {
        let t = self.col("_time").map(|c| c.id.clone()).or_else(|| self.cols.iter().find(|c| c.name == "_time").map(|c| c.id.clone()));
        if let Some(t) = t {
            let mut o = vec![format!("{} DESC", self.q(&t))];
            o.extend(self.order.iter().filter(|x| !x.starts_with(&self.q(&t))).cloned());
            self.order = o;
        }
    }

    // -----------------------------------------------------------------------------------------
    // commands

    fn node(&mut self, op: &Op) -> Result<(), SqlError> {
        let dn = self.dn();
        match op {
            Op::Search(e) => {
                let c = self.search(e)?;
                self.step(Vec::new(), &format!(" WHERE {c}"));
            }
            Op::Where(e) => {
                let c = self.expr(e)?;
                let c = self.cond(c, "where")?;
                self.step(Vec::new(), &format!(" WHERE {c}"));
            }
            Op::Eval(assigns) => {
                let mut added: Vec<(Col, String)> = Vec::new();
                for (f, e) in assigns {
                    let mut reads = BTreeSet::new();
                    spelunk_plan::fields::expr_fields(e, &mut reads);
                    if added.iter().any(|(c, _)| reads.contains(&c.name)) {
                        self.step(std::mem::take(&mut added), "");
                    }
                    let v = self.expr(e)?;
                    let v = self.value(v, "eval")?;
                    added.retain(|(c, _)| &c.name != f);
                    let id = self.new_id(f);
                    added.push((Col { name: f.clone(), id, ty: v.ty, hidden: false }, v.sql));
                }
                self.step(added, "");
            }
            Op::Bin(b) => {
                let span = match (&b.span, b.bins, b.start, b.end, &b.aligntime, &b.minspan) {
                    (Some(BinSpan::Width(w)), None, None, None, None, None) => *w,
                    _ => return Err(refuse("bin", dn, "only `span=` with a fixed width (no months, bins=, start=, end=, aligntime=)")),
                };
                if span < 1.0 || span.fract() != 0.0 {
                    return Err(refuse("bin", dn, "spans that are not whole seconds (floating-point bucket edges)"));
                }
                if b.field != "_time" {
                    return Err(refuse("bin", dn, "only _time is binned (a number field's bins print as ranges)"));
                }
                let x = self.field(&b.field);
                if x.is_null_lit() {
                    return Ok(());
                }
                let n = self.num(&x)?;
                let sql = format!("floor({n} / {s}) * {s}", s = num_lit(span));
                let target = b.alias.clone().unwrap_or_else(|| b.field.clone());
                let id = self.new_id(&target);
                self.step(vec![(Col { name: target, id, ty: Ty::Num, hidden: false }, sql)], "");
            }
            Op::Rename(pairs) => {
                let mut expanded = Vec::new();
                for (from, to) in pairs {
                    if !from.contains('*') && !to.contains('*') {
                        expanded.push((from.clone(), to.clone()));
                        continue;
                    }
                    if from.matches('*').count() != 1 || to.matches('*').count() != 1 {
                        return Err(refuse("rename", dn, "wildcard renames with other than one `*` on each side"));
                    }
                    let (pre, suf) = from.split_once('*').unwrap();
                    for c in self.cols.iter().filter(|c| !c.hidden && !c.name.starts_with('\u{0}')) {
                        if c.name.len() >= pre.len() + suf.len() && c.name.starts_with(pre) && c.name.ends_with(suf) {
                            let mid = &c.name[pre.len()..c.name.len() - suf.len()];
                            expanded.push((c.name.clone(), to.replacen('*', mid, 1)));
                        }
                    }
                }
                for (from, to) in &expanded {
                    if self.col(from).is_none() {
                        continue;
                    }
                    if from == to {
                        continue;
                    }
                    self.cols.retain(|c| c.hidden || c.name != *to);
                    for c in self.cols.iter_mut() {
                        if !c.hidden && c.name == *from {
                            c.name = to.clone();
                        }
                    }
                }
            }
            Op::Stats(s) => match s.mode {
                StatsMode::Stats => self.stats(s)?,
                StatsMode::EventStats => self.eventstats(s)?,
                StatsMode::StreamStats => return Err(refuse("streamstats", dn, "running statistics in event order")),
            },
            Op::Convert(c) => self.convert(c)?,
            Op::Fields { remove, patterns } => {
                let keep: Vec<bool> = self
                    .cols
                    .iter()
                    .map(|c| {
                        if c.hidden {
                            return false;
                        }
                        let m = patterns.iter().any(|p| glob(p, &c.name));
                        if *remove {
                            !m
                        } else {
                            m || c.name == "_time"
                        }
                    })
                    .collect();
                if !*remove {
                    // in pattern order
                    let mut ordered: Vec<Col> = Vec::new();
                    for p in patterns {
                        for (c, k) in self.cols.iter().zip(&keep) {
                            if *k && glob(p, &c.name) && !ordered.iter().any(|o| o.id == c.id) {
                                ordered.push(c.clone());
                            }
                        }
                    }
                    for (c, k) in self.cols.iter().zip(&keep) {
                        if *k && !ordered.iter().any(|o| o.id == c.id) {
                            ordered.push(c.clone());
                        }
                    }
                    for c in self.cols.iter() {
                        if !ordered.iter().any(|o| o.id == c.id) {
                            ordered.push(Col { hidden: true, ..c.clone() });
                        }
                    }
                    self.cols = ordered;
                } else {
                    for (c, k) in self.cols.iter_mut().zip(keep) {
                        if !k {
                            c.hidden = true;
                        }
                    }
                }
            }
            Op::Table(patterns) => {
                let mut ordered: Vec<Col> = Vec::new();
                let mut added = Vec::new();
                for p in patterns {
                    let mut any = false;
                    for c in self.cols.iter() {
                        if !c.hidden && glob(p, &c.name) && !ordered.iter().any(|o| o.id == c.id) {
                            ordered.push(c.clone());
                            any = true;
                        }
                    }
                    if !any && !p.contains('*') && !ordered.iter().any(|o| o.name == *p) {
                        // a column for every field named, even one no row has
                        let id = self.new_id(p);
                        let c = Col { name: p.clone(), id, ty: Ty::Text, hidden: false };
                        added.push((c.clone(), format!("CAST(NULL AS {})", self.d.text_type())));
                        ordered.push(c);
                    }
                }
                if !added.is_empty() {
                    self.step(added, "");
                }
                for c in self.cols.iter() {
                    if !ordered.iter().any(|o| o.id == c.id) {
                        ordered.push(Col { hidden: true, ..c.clone() });
                    }
                }
                self.cols = ordered;
            }
            Op::Head(n) => self.limit(*n)?,
            Op::Sort { keys, limit } => {
                let mut o = Vec::new();
                for k in keys {
                    o.extend(self.sort_key(k)?);
                }
                o.extend(self.order.iter().cloned());
                self.order = o;
                if let Some(l) = limit {
                    self.limit(*l)?;
                }
            }
            Op::TimeOrder => self.time_order(),
            Op::Dedup { fields, keep, keepempty, consecutive, sortby } => {
                if *consecutive {
                    return Err(refuse("dedup consecutive=true", dn, "compares each row with the one before it"));
                }
                let mut parts = Vec::new();
                let mut conds = Vec::new();
                for f in fields {
                    let x = self.field(f);
                    if x.ty == Ty::Mv {
                        return Err(refuse("dedup", dn, &format!("multivalue field {f}")));
                    }
                    if x.is_null_lit() {
                        conds.push("FALSE".to_string());
                        continue;
                    }
                    conds.push(format!("{} IS NOT NULL", x.sql));
                    parts.push(self.text(&x)?);
                }
                let over = format!("PARTITION BY {} ORDER BY {}", if parts.is_empty() { "1".into() } else { parts.join(", ") }, self.order_or_refuse("dedup")?);
                let rn = self.new_id("_rn");
                if *keepempty {
                    // rows lacking a field are all kept
                    let some_null = if conds.is_empty() { "FALSE".to_string() } else { format!("NOT ({})", conds.join(" AND ")) };
                    self.step(vec![(Col { name: "\u{0}rn".into(), id: rn.clone(), ty: Ty::Num, hidden: true }, format!("CASE WHEN {some_null} THEN 0 ELSE row_number() OVER ({over}) END"))], "");
                } else {
                    self.step(vec![(Col { name: "\u{0}rn".into(), id: rn.clone(), ty: Ty::Num, hidden: true }, format!("row_number() OVER ({over})"))], &format!(" WHERE {}", if conds.is_empty() { "TRUE".into() } else { conds.join(" AND ") }));
                }
                self.step(Vec::new(), &format!(" WHERE {} <= {keep}", self.q(&rn)));
                if !sortby.is_empty() {
                    let mut o = Vec::new();
                    for k in sortby {
                        o.extend(self.sort_key(k)?);
                    }
                    o.extend(self.order.iter().cloned());
                    self.order = o;
                }
            }
            Op::FillNull { value, fields } => {
                let targets: Vec<String> = if fields.is_empty() { self.cols.iter().filter(|c| !c.hidden && !c.name.starts_with('\u{0}')).map(|c| c.name.clone()).collect() } else { fields.clone() };
                let mut added = Vec::new();
                for f in targets {
                    let x = self.field(&f);
                    let v = match x.ty {
                        Ty::Mv => format!("coalesce({}, {})", x.sql, self.d.array_of(&self.d.str_lit(value))),
                        Ty::Num => match value.parse::<f64>() {
                            Ok(n) => format!("coalesce({}, {})", x.sql, num_lit(n)),
                            Err(_) => format!("coalesce({}, {})", self.text(&x)?, self.d.str_lit(value)),
                        },
                        _ => format!("coalesce({}, {})", if x.is_null_lit() { format!("CAST(NULL AS {})", self.d.text_type()) } else { x.sql.clone() }, self.d.str_lit(value)),
                    };
                    let ty = if x.ty == Ty::Num && value.parse::<f64>().is_err() { Ty::Text } else if x.ty == Ty::Mv { Ty::Mv } else if x.ty == Ty::Num { Ty::Num } else { Ty::Text };
                    let id = self.new_id(&f);
                    added.push((Col { name: f.clone(), id, ty, hidden: false }, v));
                }
                self.step(added, "");
            }
            Op::Top(t) => self.top(t)?,
            Op::Rex { field, regex, max_match, sed } => {
                if *sed {
                    return Err(refuse("rex mode=sed", dn, "sed expressions are not mapped"));
                }
                if *max_match != 1 {
                    return Err(refuse("rex max_match", dn, "several matches make multivalue fields"));
                }
                let x = self.field(field);
                if x.ty == Ty::Mv {
                    return Err(refuse("rex", dn, &format!("multivalue field {field}")));
                }
                let (re, names) = plain_groups(regex).ok_or_else(|| refuse("rex", dn, "regular expression not understood"))?;
                if x.is_null_lit() {
                    return Ok(());
                }
                let xt = self.text(&x)?;
                let mut added = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    let Some(name) = name else { continue };
                    let old = self.field(name);
                    let old_sql = if old.is_null_lit() { "NULL".to_string() } else { self.text(&old)? };
                    let sql = format!("CASE WHEN {} THEN {} ELSE {old_sql} END", self.d.regex_like(&xt, &re), self.d.regex_extract(&xt, &re, i + 1));
                    let id = self.new_id(name);
                    added.push((Col { name: name.clone(), id, ty: Ty::Text, hidden: false }, sql));
                }
                self.step(added, "");
            }
            Op::Regex { field, regex, negate } => {
                let x = self.field(field);
                if x.ty == Ty::Mv {
                    return Err(refuse("regex", dn, "multivalue field"));
                }
                let c = if x.is_null_lit() { "FALSE".to_string() } else { format!("coalesce({}, FALSE)", self.d.regex_like(&self.text(&x)?, regex)) };
                let c = if *negate { format!("NOT {c}") } else { c };
                self.step(Vec::new(), &format!(" WHERE {c}"));
            }
            other => return Err(refuse(other.name(), dn, "command not compiled to SQL")),
        }
        Ok(())
    }

    fn order_or_refuse(&self, what: &str) -> Result<String, SqlError> {
        if self.order.is_empty() {
            return Err(refuse(what, self.dn(), "keeps rows by their order, which the table does not give (no order column)"));
        }
        Ok(self.order.join(", "))
    }

    fn limit(&mut self, n: usize) -> Result<(), SqlError> {
        let o = self.order_or_refuse("head")?;
        self.step(Vec::new(), &format!(" ORDER BY {o} LIMIT {n}"));
        Ok(())
    }

    /// ORDER BY terms for a sort key, as spelunk's sort orders: missing values last either way;
    /// `auto`: numbers before text, numbers numerically, text by code point; descending reverses.
    fn sort_key(&self, k: &SortKey) -> Result<Vec<String>, SqlError> {
        let x = self.field(&k.field);
        if x.is_null_lit() {
            return Ok(vec![]);
        }
        if x.ty == Ty::Mv || k.mode == SortMode::Ip {
            return Err(refuse("sort", self.dn(), "multivalue keys and ip sorting"));
        }
        let dir = if k.descending { "DESC" } else { "ASC" };
        let mut o = vec![format!("({} IS NULL) ASC", x.sql)];
        match (x.ty, k.mode) {
            (Ty::Num, _) => o.push(format!("{} {dir}", x.sql)),
            (_, SortMode::Str) => o.push(format!("{} {dir}", x.sql)),
            _ => {
                let n = self.d.to_number(&x.sql);
                o.push(format!("({n} IS NULL) {dir}"));
                o.push(format!("{n} {dir}"));
                o.push(format!("{} {dir}", x.sql));
            }
        }
        Ok(o)
    }

    fn convert(&mut self, c: &ConvertSpec) -> Result<(), SqlError> {
        let mut added = Vec::new();
        for conv in &c.conversions {
            if conv.field.contains('*') {
                return Err(refuse("convert", self.dn(), "wildcard fields"));
            }
            if conv.func != ConvertFunc::Ctime {
                return Err(refuse(&format!("convert {:?}", conv.func).to_lowercase(), self.dn(), "conversion not mapped"));
            }
            let x = self.field(&conv.field);
            if x.is_null_lit() {
                continue;
            }
            if x.ty == Ty::Mv {
                return Err(refuse("convert ctime", self.dn(), "multivalue field"));
            }
            let sql = match x.ty {
                Ty::Num => self.d.strftime(&x.sql, &c.timeformat)?,
                _ => {
                    let n = self.d.to_number(&x.sql);
                    format!("CASE WHEN {n} IS NULL THEN {} ELSE {} END", x.sql, self.d.strftime(&n, &c.timeformat)?)
                }
            };
            let target = conv.alias.clone().unwrap_or_else(|| conv.field.clone());
            let id = self.new_id(&target);
            added.push((Col { name: target, id, ty: Ty::Text, hidden: false }, sql));
        }
        self.step(added, "");
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // stats

    /// The SQL of one aggregation (over the previous step's rows), and its type.
    fn agg(&mut self, a: &AggSpec, window: Option<&str>) -> Result<E, SqlError> {
        let d = self.d;
        let dn = self.dn();
        let fname = format!("{:?}", a.func).to_lowercase();
        let input = match &a.input {
            None => None,
            Some(AggInput::Field(f)) => Some(self.field(f)),
            Some(AggInput::Eval(e)) => {
                let v = self.expr(e)?;
                Some(if v.ty == Ty::Bool { E::new(format!("CASE WHEN {} THEN CAST(1 AS DOUBLE) END", v.sql), Ty::Num) } else { v })
            }
        };
        let over = |s: String| match window {
            Some(w) => format!("{s} OVER ({w})"),
            None => s,
        };
        let Some(x) = input else {
            if a.func == AggFunc::Count {
                return Ok(E::new(over("count(*)".into()), Ty::Num));
            }
            return Err(refuse(&fname, dn, "needs a field"));
        };
        if x.is_null_lit() {
            return Ok(match a.func {
                AggFunc::Count | AggFunc::DistinctCount => E::new(over("count(*)".into()).replace("count(*)", "CAST(0 AS BIGINT)").replace(" OVER ()", ""), Ty::Num),
                _ => E::null(),
            });
        }
        let arr = |g: &Gen, x: &E| -> Result<String, SqlError> {
            // every value of x in the group, as text
            Ok(match (x.ty, window) {
                (Ty::Mv, None) => d.agg_flatten(&x.sql),
                (Ty::Mv, Some(_)) => return Err(refuse(&fname, dn, "multivalue input in eventstats")),
                (_, None) => d.agg_array(&g.text(x)?),
                (_, Some(w)) => d.window_array(&g.text(x)?, w),
            })
        };
        Ok(match a.func {
            AggFunc::Count => match x.ty {
                Ty::Mv => E::new(over(format!("coalesce(sum({}), 0)", d.cardinality(&x.sql))), Ty::Num),
                _ => E::new(over(format!("count({})", x.sql)), Ty::Num),
            },
            AggFunc::DistinctCount => match (x.ty, window) {
                (Ty::Mv, _) | (_, Some(_)) => E::new(format!("coalesce({}, 0)", d.cardinality(&format!("array_distinct({})", arr(self, &x)?)).replace("array_distinct", if dn == "duckdb" { "list_distinct" } else { "array_distinct" })), Ty::Num),
                _ => E::new(format!("count(DISTINCT {})", self.text(&x)?), Ty::Num),
            },
            AggFunc::Values => {
                let a = d.sort_distinct(&arr(self, &x)?);
                E::new(self.mv_norm(&a), Ty::Mv)
            }
            AggFunc::Min | AggFunc::Max => {
                let f = if a.func == AggFunc::Min { "min" } else { "max" };
                match x.ty {
                    Ty::Num => E::new(over(format!("{f}({})", x.sql)), Ty::Num),
                    Ty::Text => {
                        let n = d.to_number(&x.sql);
                        let numeric = over(format!("{f}({n})"));
                        let text = over(format!("{f}(CASE WHEN {n} IS NULL THEN {} END)", x.sql));
                        E::new(format!("coalesce({}, {text})", d.number_text(&numeric)), Ty::Text)
                    }
                    _ => return Err(refuse(&fname, dn, "multivalue input")),
                }
            }
            AggFunc::Sum | AggFunc::Avg | AggFunc::Stdev | AggFunc::Stdevp | AggFunc::Var | AggFunc::Varp | AggFunc::Range => {
                if x.ty == Ty::Mv {
                    return Err(refuse(&fname, dn, "multivalue input"));
                }
                let n = self.num(&x)?;
                let s = match a.func {
                    AggFunc::Sum => format!("sum({n})"),
                    AggFunc::Avg => format!("avg({n})"),
                    AggFunc::Stdev => format!("stddev_samp({n})"),
                    AggFunc::Stdevp => format!("stddev_pop({n})"),
                    AggFunc::Var => format!("var_samp({n})"),
                    AggFunc::Varp => format!("var_pop({n})"),
                    _ => return Ok(E::new(format!("{} - {}", over(format!("max({n})")), over(format!("min({n})"))), Ty::Num)),
                };
                E::new(over(s), Ty::Num)
            }
            AggFunc::Earliest | AggFunc::Latest => {
                if window.is_some() || x.ty == Ty::Mv {
                    return Err(refuse(&fname, dn, "in eventstats or over a multivalue field"));
                }
                let t = self.field("_time");
                if t.is_null_lit() {
                    return Err(refuse(&fname, dn, "no _time at this point"));
                }
                let v = x.sql.clone();
                E::new(d.arg_min_max(&v, &t.sql, a.func == AggFunc::Earliest), x.ty)
            }
            AggFunc::Median | AggFunc::Perc(_) if window.is_none() && x.ty != Ty::Mv => {
                // nearest rank (Splunk's perc_method default): 0-based rank floor(p/100 * n)
                let p = if let AggFunc::Perc(p) = a.func { p } else { 50.0 };
                let n = self.num(&x)?;
                let sorted = format!("array_sort({})", d.agg_array(&n)).replace("array_sort(", if dn == "duckdb" { "list_sort(" } else { "array_sort(" });
                let len = d.cardinality(&sorted);
                let idx = format!("CAST(least(floor({} * {len}), {len} - 1) AS INTEGER) + 1", num_lit(p / 100.0));
                let at = match dn {
                    "duckdb" => format!("list_extract({sorted}, {idx})"),
                    "spark" => format!("try_element_at({sorted}, {idx})"),
                    _ => format!("element_at({sorted}, {idx})"),
                };
                E::new(format!("CASE WHEN {len} > 0 THEN {at} END"), Ty::Num)
            }
            _ => return Err(refuse(&fname, dn, "aggregation not mapped (it depends on event order or approximates)")),
        })
    }

    fn stats(&mut self, s: &StatsSpec) -> Result<(), SqlError> {
        let mut keys = Vec::new();
        let mut conds = Vec::new();
        let mut out_cols = Vec::new();
        for b in &s.by {
            let x = self.field(b);
            if x.ty == Ty::Mv {
                return Err(refuse("stats", self.dn(), &format!("BY a multivalue field ({b}) splits events into groups")));
            }
            if x.is_null_lit() {
                conds.push("FALSE".to_string());
                continue;
            }
            conds.push(format!("{} IS NOT NULL", x.sql));
            keys.push((b.clone(), x));
        }
        let mut items = Vec::new();
        let mut order = Vec::new();
        for (b, x) in &keys {
            let id = self.new_id(b);
            items.push(format!("{} AS {}", x.sql, self.q(&id)));
            order.extend(self.sort_key_of(&self.q(&id), x.ty));
            out_cols.push(Col { name: b.clone(), id, ty: x.ty, hidden: false });
        }
        for a in &s.aggs {
            let e = self.agg(a, None)?;
            let id = self.new_id(&a.name);
            items.push(format!("{} AS {}", e.sql, self.q(&id)));
            out_cols.retain(|c| c.name != a.name);
            out_cols.push(Col { name: a.name.clone(), id, ty: e.ty, hidden: false });
        }
        let group = if keys.is_empty() { String::new() } else { format!(" GROUP BY {}", keys.iter().map(|(_, x)| x.sql.clone()).collect::<Vec<_>>().join(", ")) };
        let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        if items.is_empty() {
            items.push("1 AS _none".into());
        }
        let body = format!("SELECT {} FROM {}{filter}{group}", items.join(", "), self.prev());
        self.push_cte(body);
        self.cols = out_cols;
        self.order = order;
        Ok(())
    }

    fn sort_key_of(&self, sql: &str, ty: Ty) -> Vec<String> {
        match ty {
            Ty::Num => vec![format!("{sql} ASC")],
            _ => {
                let n = self.d.to_number(sql);
                vec![format!("({n} IS NULL) ASC"), format!("{n} ASC"), format!("{sql} ASC")]
            }
        }
    }

    fn eventstats(&mut self, s: &StatsSpec) -> Result<(), SqlError> {
        let mut parts = Vec::new();
        let mut conds = Vec::new();
        for b in &s.by {
            let x = self.field(b);
            if x.ty == Ty::Mv {
                return Err(refuse("eventstats", self.dn(), "BY a multivalue field"));
            }
            if x.is_null_lit() {
                conds.push("FALSE".to_string());
                continue;
            }
            conds.push(format!("{} IS NOT NULL", x.sql));
            parts.push(x.sql.clone());
        }
        let w = if parts.is_empty() { String::new() } else { format!("PARTITION BY {}", parts.join(", ")) };
        let mut added = Vec::new();
        for a in &s.aggs {
            let e = self.agg(a, Some(&w))?;
            let sql = if conds.is_empty() { e.sql } else { format!("CASE WHEN {} THEN {} END", conds.join(" AND "), e.sql) };
            added.retain(|(c, _): &(Col, String)| c.name != a.name);
            let id = self.new_id(&a.name);
            added.push((Col { name: a.name.clone(), id, ty: e.ty, hidden: false }, sql));
        }
        self.step(added, "");
        Ok(())
    }

    fn top(&mut self, t: &TopSpec) -> Result<(), SqlError> {
        let dn = self.dn();
        if t.useother {
            return Err(refuse("top useother=true", dn, "the OTHER row"));
        }
        let mut conds = Vec::new();
        let mut by = Vec::new();
        let mut fields = Vec::new();
        for (f, is_by) in t.by.iter().map(|f| (f, true)).chain(t.fields.iter().map(|f| (f, false))) {
            let x = self.field(f);
            if x.ty == Ty::Mv {
                return Err(refuse(if t.rare { "rare" } else { "top" }, dn, &format!("multivalue field {f}")));
            }
            if x.is_null_lit() {
                conds.push("FALSE".into());
                continue;
            }
            conds.push(format!("{} IS NOT NULL", x.sql));
            let tx = self.text(&x)?;
            if is_by {
                by.push((f.clone(), tx, x));
            } else {
                fields.push((f.clone(), tx, x));
            }
        }
        // first-seen rank of each row, for count ties
        let rank = match self.order.is_empty() {
            true => return Err(refuse(if t.rare { "rare" } else { "top" }, dn, "ties in count keep the order values were first seen, which the table does not give (no order column)")),
            false => format!("row_number() OVER (ORDER BY {})", self.order.join(", ")),
        };
        let rid = self.new_id("_rank");
        self.step(vec![(Col { name: "\u{0}rank".into(), id: rid.clone(), ty: Ty::Num, hidden: true }, rank)], &format!(" WHERE {}", if conds.is_empty() { "TRUE".into() } else { conds.join(" AND ") }));
        // recompute the texts over the new step
        let text_of = |g: &Gen, f: &str| -> Result<String, SqlError> { g.text(&g.field(f)) };
        let mut items = Vec::new();
        let mut group = Vec::new();
        let mut cols = Vec::new();
        for (f, _, _) in by.iter().chain(fields.iter()) {
            let tx = text_of(self, f)?;
            let id = self.new_id(f);
            items.push(format!("{tx} AS {}", self.q(&id)));
            group.push(tx);
            cols.push(Col { name: f.clone(), id, ty: Ty::Text, hidden: false });
        }
        let cid = self.new_id("_count");
        let fid = self.new_id("_first");
        items.push(format!("count(*) AS {}", self.q(&cid)));
        items.push(format!("min({}) AS {}", self.q(&rid), self.q(&fid)));
        self.push_cte(format!("SELECT {} FROM {} GROUP BY {}", items.join(", "), self.prev(), group.join(", ")));
        // count, percent and the rank within the BY group
        let by_ids: Vec<String> = cols[..by.len()].iter().map(|c| self.q(&c.id)).collect();
        let part = if by_ids.is_empty() { String::new() } else { format!("PARTITION BY {}", by_ids.join(", ")) };
        let dir = if t.rare { "ASC" } else { "DESC" };
        let pid = self.new_id(&t.percentfield);
        let nid = self.new_id("_n");
        let mut sel: Vec<String> = cols.iter().map(|c| self.q(&c.id)).collect();
        sel.push(self.q(&cid));
        sel.push(self.q(&fid));
        sel.push(format!("round(CAST({} AS DOUBLE) * 100 / sum({}) OVER ({part}), 6) AS {}", self.q(&cid), self.q(&cid), self.q(&pid)));
        sel.push(format!("row_number() OVER ({part} ORDER BY {} {dir}, {} ASC) AS {}", self.q(&cid), self.q(&fid), self.q(&nid)));
        self.push_cte(format!("SELECT {} FROM {}", sel.join(", "), self.prev()));
        if t.limit > 0 {
            let tail = format!(" WHERE {} <= {}", self.q(&nid), t.limit);
            let prev = self.prev();
            let all: Vec<String> = cols.iter().map(|c| self.q(&c.id)).chain([self.q(&cid), self.q(&fid), self.q(&pid), self.q(&nid)]).collect();
            self.push_cte(format!("SELECT {} FROM {prev}{tail}", all.join(", ")));
        }
        let mut order = Vec::new();
        for c in &cols[..by.len()] {
            order.extend(self.sort_key_of(&self.q(&c.id), Ty::Text));
        }
        order.push(format!("{} {dir}", self.q(&cid)));
        order.push(format!("{} ASC", self.q(&fid)));
        let mut out = cols;
        if t.showcount {
            out.push(Col { name: t.countfield.clone(), id: cid.clone(), ty: Ty::Num, hidden: false });
        } else {
            out.push(Col { name: "\u{0}count".into(), id: cid.clone(), ty: Ty::Num, hidden: true });
        }
        if t.showperc {
            out.push(Col { name: t.percentfield.clone(), id: pid, ty: Ty::Num, hidden: false });
        }
        out.push(Col { name: "\u{0}first".into(), id: fid, ty: Ty::Num, hidden: true });
        self.cols = out;
        self.order = order;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // search expressions: always TRUE or FALSE, never NULL (NOT must see a missing field as a
    // non-match)

    fn search(&self, e: &SearchExpr) -> Result<String, SqlError> {
        let dn = self.dn();
        Ok(match e {
            SearchExpr::And(items, _) => format!("({})", items.iter().map(|x| self.search(x)).collect::<Result<Vec<_>, _>>()?.join(" AND ")),
            SearchExpr::Or(items, _) => format!("({})", items.iter().map(|x| self.search(x)).collect::<Result<Vec<_>, _>>()?.join(" OR ")),
            SearchExpr::Not(x, _) => format!("(NOT {})", self.search(x)?),
            SearchExpr::Group(x, _) => self.search(x)?,
            SearchExpr::Term(v) if v.text == "*" && !v.quoted => "TRUE".into(),
            SearchExpr::Term(v) => {
                let raw = self.field("_raw");
                if raw.is_null_lit() {
                    return Err(refuse(&format!("search term {}", v.text), dn, "bare terms match segments of the raw event text (_raw), which the table does not hold"));
                }
                let case = v.directive == Some(Directive::Case);
                let breaker = if v.directive == Some(Directive::Term) { r#"[\s\[\]<>(){}|!;,'"*&?+]"# } else { r"[^\p{L}\p{N}]" };
                let t = if case { v.text.clone() } else { v.text.to_lowercase() };
                let core = t.trim_matches('*');
                if core.is_empty() {
                    return Ok(format!("({} IS NOT NULL)", raw.sql));
                }
                let body: Vec<String> = core.split('*').map(regex_escape).collect();
                let re = format!(
                    "{}{}{}",
                    if t.starts_with('*') { String::new() } else { format!("(^|{breaker})") },
                    body.join("[\\s\\S]*"),
                    if t.ends_with('*') { String::new() } else { format!("($|{breaker})") }
                );
                let hay = if case { raw.sql.clone() } else { format!("lower({})", raw.sql) };
                format!("coalesce({}, FALSE)", self.d.regex_like(&hay, &re))
            }
            SearchExpr::Compare { field, op, value, .. } => {
                let x = self.field(&field.name);
                if x.is_null_lit() {
                    return Ok("FALSE".into());
                }
                match op {
                    CmpOp::Eq | CmpOp::Ne => {
                        let m = self.value_match(&x, &value.text, value.directive == Some(Directive::Case))?;
                        if *op == CmpOp::Eq {
                            m
                        } else {
                            // `!=` needs the field
                            format!("({} IS NOT NULL AND NOT {m})", x.sql)
                        }
                    }
                    _ => {
                        if x.ty == Ty::Mv {
                            return Err(refuse("search", dn, "ordering comparison on a multivalue field"));
                        }
                        let rhs = E::new(self.d.str_lit(&value.text), Ty::Text);
                        let rhs = match spelunk_num(&value.text) {
                            Some(n) => E::new(num_lit(n), Ty::Num),
                            None => rhs,
                        };
                        let c = self.compare(&x, &rhs, op_of(*op))?;
                        format!("coalesce({}, FALSE)", c.sql)
                    }
                }
            }
            SearchExpr::In { field, values, .. } => {
                let x = self.field(&field.name);
                if x.is_null_lit() {
                    return Ok("FALSE".into());
                }
                let mut parts = Vec::new();
                for v in values {
                    parts.push(self.value_match(&x, &v.text, v.directive == Some(Directive::Case))?);
                }
                format!("({})", parts.join(" OR "))
            }
        })
    }

    /// Does a value of `x` match the search value (case-insensitive unless `case`, `*` any run)?
    fn value_match(&self, x: &E, value: &str, case: bool) -> Result<String, SqlError> {
        if value.contains('/') && !value.contains('*') && value.split('/').next().is_some_and(|a| a.trim().parse::<std::net::IpAddr>().is_ok()) {
            return Err(refuse("search field=CIDR", self.dn(), "CIDR blocks match IP addresses in the range"));
        }
        let test = |v: &str| -> String {
            let v = if case { v.to_string() } else { format!("lower({v})") };
            let pat = if case { value.to_string() } else { value.to_lowercase() };
            if pat.contains('*') {
                let like: String = pat.chars().map(|c| match c {
                    '*' => "%".to_string(),
                    '%' | '_' | '!' => format!("!{c}"),
                    c => c.to_string(),
                }).collect();
                self.d.like(&v, &like)
            } else {
                format!("({v} = {})", self.d.str_lit(&pat))
            }
        };
        Ok(match x.ty {
            Ty::Mv => format!("coalesce({}, FALSE)", self.d.exists(&x.sql, "v", &test("v"))),
            _ => format!("coalesce({}, FALSE)", test(&self.text(x)?)),
        })
    }

    // -----------------------------------------------------------------------------------------
    // eval expressions

    fn text(&self, x: &E) -> Result<String, SqlError> {
        Ok(match x.ty {
            Ty::Text => if x.is_null_lit() { format!("CAST(NULL AS {})", self.d.text_type()) } else { x.sql.clone() },
            Ty::Num => self.d.number_text(&x.sql),
            Ty::Bool => return Err(refuse("eval", self.dn(), "a boolean used as a value")),
            Ty::Mv => return Err(refuse("eval", self.dn(), "a multivalue field used where one value is expected")),
        })
    }

    fn num(&self, x: &E) -> Result<String, SqlError> {
        Ok(match x.ty {
            Ty::Num => x.sql.clone(),
            Ty::Text => if x.is_null_lit() { "CAST(NULL AS DOUBLE)".into() } else { self.d.to_number(&x.sql) },
            Ty::Bool => return Err(refuse("eval", self.dn(), "a boolean used as a number")),
            Ty::Mv => return Err(refuse("eval", self.dn(), "a multivalue field used as a number")),
        })
    }

    /// A condition (for where/if/case): must be boolean.
    fn cond(&self, x: E, what: &str) -> Result<String, SqlError> {
        match x.ty {
            Ty::Bool => Ok(x.sql),
            _ if x.is_null_lit() => Ok("CAST(NULL AS BOOLEAN)".into()),
            _ => Err(refuse(what, self.dn(), "the condition is not a comparison or boolean function")),
        }
    }

    /// A value to store in a field.
    fn value(&self, x: E, what: &str) -> Result<E, SqlError> {
        match x.ty {
            Ty::Bool => Err(refuse(what, self.dn(), "a boolean result cannot be assigned")),
            _ if x.is_null_lit() => Ok(E::new(format!("CAST(NULL AS {})", self.d.text_type()), Ty::Text)),
            _ => Ok(x),
        }
    }

    /// Values of several branches as one type: all numbers stay numbers; text and numbers become
    /// text; any multivalue makes the others one-element arrays.
    fn unify(&self, xs: Vec<E>) -> Result<(Vec<String>, Ty), SqlError> {
        let tys: Vec<Ty> = xs.iter().filter(|x| !x.is_null_lit()).map(|x| x.ty).collect();
        if tys.contains(&Ty::Bool) {
            return Err(refuse("eval", self.dn(), "a boolean used as a value"));
        }
        let ty = if tys.contains(&Ty::Mv) {
            Ty::Mv
        } else if !tys.is_empty() && tys.iter().all(|t| *t == Ty::Num) {
            Ty::Num
        } else {
            Ty::Text
        };
        let out = xs
            .iter()
            .map(|x| {
                if x.is_null_lit() {
                    return Ok(match ty {
                        Ty::Num => "CAST(NULL AS DOUBLE)".to_string(),
                        Ty::Mv => format!("CAST(NULL AS {})", self.d.text_array_type()),
                        _ => format!("CAST(NULL AS {})", self.d.text_type()),
                    });
                }
                Ok(match (ty, x.ty) {
                    (Ty::Mv, Ty::Mv) => x.sql.clone(),
                    (Ty::Mv, _) => {
                        let t = self.text(x)?;
                        format!("CASE WHEN {t} IS NOT NULL THEN {} END", self.d.array_of(&t))
                    }
                    (Ty::Num, _) => x.sql.clone(),
                    _ => self.text(x)?,
                })
            })
            .collect::<Result<Vec<_>, SqlError>>()?;
        Ok((out, ty))
    }

    /// Splunk's comparison: numeric when both sides read as numbers, else text (by code point).
    fn compare(&self, a: &E, b: &E, op: &str) -> Result<E, SqlError> {
        if a.is_null_lit() || b.is_null_lit() {
            return Ok(E::new("CAST(NULL AS BOOLEAN)", Ty::Bool));
        }
        if a.ty == Ty::Mv || b.ty == Ty::Mv {
            let (arr, other, flip) = if a.ty == Ty::Mv { (a, b, false) } else { (b, a, true) };
            if other.ty == Ty::Mv {
                return Err(refuse("eval", self.dn(), "comparison of two multivalue fields"));
            }
            let v = E::new("v", Ty::Text);
            let inner = if flip { self.compare(other, &v, op)? } else { self.compare(&v, other, op)? };
            return Ok(E::new(format!("CASE WHEN {} IS NULL OR {} IS NULL THEN NULL ELSE {} END", arr.sql, other.sql, self.d.exists(&arr.sql, "v", &inner.sql)), Ty::Bool));
        }
        if a.ty == Ty::Num && b.ty == Ty::Num {
            return Ok(E::new(format!("({} {op} {})", a.sql, b.sql), Ty::Bool));
        }
        let (na, nb) = (self.num(a)?, self.num(b)?);
        let (ta, tb) = (self.text(a)?, self.text(b)?);
        Ok(E::new(format!("CASE WHEN {na} IS NOT NULL AND {nb} IS NOT NULL THEN {na} {op} {nb} ELSE {ta} {op} {tb} END"), Ty::Bool))
    }

    fn expr(&self, e: &Expr) -> Result<E, SqlError> {
        let d = self.d;
        let dn = self.dn();
        Ok(match &e.kind {
            ExprKind::Field { name, .. } => self.field(name),
            ExprKind::Str(s) => E::new(d.str_lit(s), Ty::Text),
            ExprKind::Num { value, .. } => E::new(num_lit(*value), Ty::Num),
            ExprKind::Paren(x) => {
                let v = self.expr(x)?;
                E::new(format!("({})", v.sql), v.ty)
            }
            ExprKind::Unary { op, expr } => {
                let v = self.expr(expr)?;
                match op {
                    UnaryOp::Not => E::new(format!("(NOT {})", self.cond(v, "NOT")?), Ty::Bool),
                    UnaryOp::Neg => E::new(format!("(- {})", self.num(&v)?), Ty::Num),
                    UnaryOp::Plus => E::new(self.num(&v)?, Ty::Num),
                }
            }
            ExprKind::Binary { op, left, right } => {
                let (a, b) = (self.expr(left)?, self.expr(right)?);
                match op {
                    BinaryOp::And | BinaryOp::Or => E::new(format!("({} {} {})", self.cond(a, "AND/OR")?, op.as_str(), self.cond(b, "AND/OR")?), Ty::Bool),
                    BinaryOp::Xor => E::new(format!("({} <> {})", self.cond(a, "XOR")?, self.cond(b, "XOR")?), Ty::Bool),
                    BinaryOp::Eq => self.compare(&a, &b, "=")?,
                    BinaryOp::Ne => self.compare(&a, &b, "<>")?,
                    BinaryOp::Lt => self.compare(&a, &b, "<")?,
                    BinaryOp::Le => self.compare(&a, &b, "<=")?,
                    BinaryOp::Gt => self.compare(&a, &b, ">")?,
                    BinaryOp::Ge => self.compare(&a, &b, ">=")?,
                    BinaryOp::Like => self.like(&a, right)?,
                    BinaryOp::Concat => {
                        if a.is_null_lit() || b.is_null_lit() {
                            return Ok(E::null());
                        }
                        E::new(format!("({} || {})", self.text(&a)?, self.text(&b)?), Ty::Text)
                    }
                    BinaryOp::Add if a.ty == Ty::Num && b.ty == Ty::Num => E::new(format!("({} + {})", a.sql, b.sql), Ty::Num),
                    BinaryOp::Add => {
                        if a.is_null_lit() || b.is_null_lit() {
                            return Ok(E::null());
                        }
                        let (na, nb) = (self.num(&a)?, self.num(&b)?);
                        E::new(format!("CASE WHEN {na} IS NOT NULL AND {nb} IS NOT NULL THEN {} ELSE {} || {} END", d.number_text(&format!("({na} + {nb})")), self.text(&a)?, self.text(&b)?), Ty::Text)
                    }
                    BinaryOp::Sub | BinaryOp::Mul => E::new(format!("({} {} {})", self.num(&a)?, op.as_str(), self.num(&b)?), Ty::Num),
                    BinaryOp::Div | BinaryOp::Mod => {
                        let (na, nb) = (self.num(&a)?, self.num(&b)?);
                        E::new(format!("CASE WHEN {nb} = 0 THEN NULL ELSE {na} {} {nb} END", op.as_str()), Ty::Num)
                    }
                }
            }
            ExprKind::In { expr, list, negated } => {
                let x = self.expr(expr)?;
                let mut parts = Vec::new();
                for v in list {
                    parts.push(self.compare(&x, &self.expr(v)?, "=")?.sql);
                }
                let s = format!("({})", parts.join(" OR "));
                E::new(if *negated { format!("(NOT {s})") } else { s }, Ty::Bool)
            }
            ExprKind::Call { name, args } => self.call(&name.name.to_lowercase(), args)?,
        })
        .and_then(|x| {
            let _ = dn;
            Ok(x)
        })
    }

    fn like(&self, a: &E, pat: &Expr) -> Result<E, SqlError> {
        let ExprKind::Str(p) = &pat.kind else {
            return Err(refuse("like", self.dn(), "the pattern must be a string literal"));
        };
        let p: String = p.chars().map(|c| if c == '!' { "!!".to_string() } else { c.to_string() }).collect();
        if a.is_null_lit() {
            return Ok(E::new("CAST(NULL AS BOOLEAN)", Ty::Bool));
        }
        Ok(match a.ty {
            Ty::Mv => E::new(format!("CASE WHEN {} IS NOT NULL THEN {} END", a.sql, self.d.exists(&a.sql, "v", &self.d.like("v", &p))), Ty::Bool),
            _ => E::new(self.d.like(&self.text(a)?, &p), Ty::Bool),
        })
    }

    fn call(&self, f: &str, args: &[Expr]) -> Result<E, SqlError> {
        let d = self.d;
        let dn = self.dn();
        let n = args.len();
        let arg = |i: usize| self.expr(&args[i]);
        let lit_str = |i: usize| -> Option<String> {
            match &args.get(i)?.kind {
                ExprKind::Str(s) => Some(s.clone()),
                _ => None,
            }
        };
        let lit_num = |i: usize| -> Option<f64> {
            match &args.get(i)?.kind {
                ExprKind::Num { value, .. } => Some(*value),
                ExprKind::Unary { op: UnaryOp::Neg, expr } => match &expr.kind {
                    ExprKind::Num { value, .. } => Some(-*value),
                    _ => None,
                },
                _ => None,
            }
        };
        Ok(match (f, n) {
            ("if", 3) => {
                let c = self.cond(arg(0)?, "if")?;
                let (v, ty) = self.unify(vec![arg(1)?, arg(2)?])?;
                E::new(format!("CASE WHEN {c} THEN {} ELSE {} END", v[0], v[1]), ty)
            }
            ("case", _) if n % 2 == 0 && n > 0 => {
                let mut conds = Vec::new();
                let mut vals = Vec::new();
                for i in (0..n).step_by(2) {
                    conds.push(self.cond(arg(i)?, "case")?);
                    vals.push(arg(i + 1)?);
                }
                let (v, ty) = self.unify(vals)?;
                let whens: Vec<String> = conds.iter().zip(&v).map(|(c, v)| format!("WHEN {c} THEN {v}")).collect();
                E::new(format!("CASE {} END", whens.join(" ")), ty)
            }
            ("coalesce", _) if n > 0 => {
                let vals = (0..n).map(arg).collect::<Result<Vec<_>, _>>()?;
                let (v, ty) = self.unify(vals)?;
                E::new(format!("coalesce({})", v.join(", ")), ty)
            }
            ("null", 0) => E::null(),
            ("true", 0) => E::new("TRUE", Ty::Bool),
            ("false", 0) => E::new("FALSE", Ty::Bool),
            ("isnull", 1) => {
                let x = arg(0)?;
                E::new(if x.is_null_lit() { "TRUE".into() } else { format!("({} IS NULL)", x.sql) }, Ty::Bool)
            }
            ("isnotnull", 1) => {
                let x = arg(0)?;
                E::new(if x.is_null_lit() { "FALSE".into() } else { format!("({} IS NOT NULL)", x.sql) }, Ty::Bool)
            }
            ("like", 2) => self.like(&arg(0)?, &args[1])?,
            ("in", _) if n >= 2 => {
                let x = arg(0)?;
                let mut parts = Vec::new();
                for i in 1..n {
                    parts.push(self.compare(&x, &arg(i)?, "=")?.sql);
                }
                E::new(format!("({})", parts.join(" OR ")), Ty::Bool)
            }
            ("match", 2) => {
                let re = lit_str(1).ok_or_else(|| refuse("match", dn, "the regex must be a string literal"))?;
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::new("CAST(NULL AS BOOLEAN)", Ty::Bool));
                }
                E::new(d.regex_like(&self.text(&x)?, &re), Ty::Bool)
            }
            ("lower" | "upper", 1) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                E::new(format!("{f}({})", self.text(&x)?), Ty::Text)
            }
            ("len", 1) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::new("CAST(NULL AS DOUBLE)", Ty::Num));
                }
                E::new(format!("CAST(length({}) AS DOUBLE)", self.text(&x)?), Ty::Num)
            }
            ("trim" | "ltrim" | "rtrim", 1) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                // Splunk trims spaces and tabs
                let t = self.text(&x)?;
                let re = match f {
                    "trim" => "^[ \\t]+|[ \\t]+$",
                    "ltrim" => "^[ \\t]+",
                    _ => "[ \\t]+$",
                };
                E::new(d.regex_replace(&t, re, "")?, Ty::Text)
            }
            ("replace", 3) => {
                let (re, rep) = (lit_str(1), lit_str(2));
                let (Some(re), Some(rep)) = (re, rep) else { return Err(refuse("replace", dn, "the regex and replacement must be string literals")) };
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                E::new(d.regex_replace(&self.text(&x)?, &re, &rep)?, Ty::Text)
            }
            ("substr", 2 | 3) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                let start = lit_num(1).ok_or_else(|| refuse("substr", dn, "the start must be a number literal"))?;
                if start == 0.0 || start.fract() != 0.0 {
                    return Err(refuse("substr", dn, "start 0 or fractional"));
                }
                let t = self.text(&x)?;
                match lit_num(2) {
                    Some(l) if l >= 0.0 && l.fract() == 0.0 => E::new(format!("substr({t}, {}, {})", start as i64, l as i64), Ty::Text),
                    None if n == 2 => E::new(format!("substr({t}, {})", start as i64), Ty::Text),
                    _ => return Err(refuse("substr", dn, "the length must be a non-negative number literal")),
                }
            }
            ("split", 2) => {
                let sep = lit_str(1).filter(|s| !s.is_empty()).ok_or_else(|| refuse("split", dn, "the separator must be a non-empty string literal"))?;
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                E::new(d.split(&self.text(&x)?, &d.str_lit(&sep)), Ty::Mv)
            }
            ("mvindex", 2) => {
                let i = lit_num(1).filter(|i| i.fract() == 0.0).ok_or_else(|| refuse("mvindex", dn, "the index must be an integer literal"))? as i64;
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                match x.ty {
                    Ty::Mv => E::new(d.element_at(&x.sql, if i >= 0 { i + 1 } else { i }), Ty::Text),
                    _ if i == 0 || i == -1 => x,
                    _ => E::null(),
                }
            }
            ("mvjoin", 2) => {
                let x = arg(0)?;
                let sep = arg(1)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                match x.ty {
                    Ty::Mv => E::new(d.array_join(&x.sql, &self.text(&sep)?), Ty::Text),
                    _ => E::new(self.text(&x)?, Ty::Text),
                }
            }
            ("mvcount", 1) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::new("CAST(NULL AS DOUBLE)", Ty::Num));
                }
                match x.ty {
                    Ty::Mv => E::new(format!("CAST({} AS DOUBLE)", d.cardinality(&x.sql)), Ty::Num),
                    _ => E::new(format!("CASE WHEN {} IS NOT NULL THEN CAST(1 AS DOUBLE) END", x.sql), Ty::Num),
                }
            }
            ("isnum", 1) => {
                let x = arg(0)?;
                match x.ty {
                    Ty::Num => E::new(format!("({} IS NOT NULL)", x.sql), Ty::Bool),
                    Ty::Text if !x.is_null_lit() => E::new(format!("({} IS NOT NULL)", d.to_number(&x.sql)), Ty::Bool),
                    _ => return Err(refuse("isnum()", dn, "of a multivalue field or null")),
                }
            }
            ("tonumber", 1) => E::new(self.num(&arg(0)?)?, Ty::Num),
            ("tostring", 1) => {
                let x = arg(0)?;
                if x.is_null_lit() {
                    return Ok(E::null());
                }
                E::new(self.text(&x)?, Ty::Text)
            }
            ("abs" | "floor" | "ceil" | "ceiling" | "sqrt" | "exp" | "ln", 1) => {
                let x = arg(0)?;
                let fname = if f == "ceiling" { "ceil" } else { f };
                E::new(format!("CAST({fname}({}) AS DOUBLE)", self.num(&x)?), Ty::Num)
            }
            ("round", 1 | 2) => {
                let x = arg(0)?;
                let digits = if n == 2 { lit_num(1).filter(|v| v.fract() == 0.0 && *v >= 0.0).ok_or_else(|| refuse("round", dn, "the digits must be a number literal"))? as i64 } else { 0 };
                E::new(format!("round({}, {digits})", self.num(&x)?), Ty::Num)
            }
            ("strftime", 2) => {
                let fmt = lit_str(1).ok_or_else(|| refuse("strftime", dn, "the format must be a string literal"))?;
                let x = arg(0)?;
                E::new(d.strftime(&self.num(&x)?, &fmt)?, Ty::Text)
            }
            (other, _) => return Err(refuse(&format!("{other}()"), dn, "eval function not mapped")),
        })
    }
}

fn op_of(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// Splunk's number rule (see spelunk-exec's `parse_number`).
fn spelunk_num(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    if b.is_empty() {
        return None;
    }
    let start = usize::from(b[0] == b'-' || b[0] == b'+');
    if start >= b.len() || !(b[start].is_ascii_digit() || (b[start] == b'.' && b.len() > start + 1 && b[start + 1].is_ascii_digit())) {
        return None;
    }
    if !b.iter().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `s` as a regular expression matching it literally.
fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// SPL field-name wildcard match (`*` any run), case-sensitive.
fn glob(p: &str, name: &str) -> bool {
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = name.chars().collect();
    spelunk_plan::pushdown::glob(&p, &t, '*', None)
}

/// `(?<name>...)` / `(?P<name>...)` groups made plain (Java group names cannot hold `_`), with
/// the name of each capturing group in order (`None` for unnamed ones). `None` when the regex
/// holds a construct this scan does not follow.
pub fn plain_groups(re: &str) -> Option<(String, Vec<Option<String>>)> {
    let mut out = String::new();
    let mut names = Vec::new();
    let chars: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if i + 1 < chars.len() {
                out.push(chars[i + 1]);
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push(c);
            i += 1;
            if i < chars.len() && chars[i] == '^' {
                out.push('^');
                i += 1;
            }
            if i < chars.len() && chars[i] == ']' {
                out.push(']');
                i += 1;
            }
            continue;
        }
        if c == '(' {
            let rest: String = chars[i..].iter().collect();
            let named = rest.strip_prefix("(?P<").or_else(|| rest.strip_prefix("(?<").filter(|r| !r.starts_with('=') && !r.starts_with('!')));
            if let Some(r) = named {
                let end = r.find('>')?;
                names.push(Some(r[..end].to_string()));
                out.push('(');
                i += rest.len() - r.len() + end + 1;
                continue;
            }
            if rest.starts_with("(?") {
                if !(rest.starts_with("(?:") || rest.starts_with("(?i)")) {
                    return None;
                }
            } else {
                names.push(None);
            }
        }
        out.push(c);
        i += 1;
    }
    Some((out, names))
}
