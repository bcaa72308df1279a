//! The logical plan: a source followed by a linear pipeline of operators, one per SPL command
//! (SPL is a pipeline, so a list is the natural tree), plus what the scan must produce.

use spelunk_syntax::ast::{Expr, SearchExpr, Span};
use std::collections::BTreeSet;
use std::fmt;

/// Which fields the scan must materialise.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    All,
    Fields(BTreeSet<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Events from the `--data` paths, with search-time fields (props) applied per sourcetype.
    Events,
    /// `| makeresults count=N`: N events with only `_time`.
    MakeResults { count: usize },
}

/// `earliest=` / `latest=` time modifiers, kept as written and resolved at run time against `now`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeRange {
    pub earliest: Option<String>,
    pub latest: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogicalPlan {
    pub source: Source,
    pub nodes: Vec<PlanNode>,
    /// Fields the scan must produce (before search-time fields are derived, see `scan_fields`).
    pub projection: Projection,
    pub time_range: TimeRange,
    /// Notes on rewrites the planner applied, for `explain`.
    pub rewrites: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanNode {
    pub op: Op,
    /// The command this node came from (span in the expanded query).
    pub span: Span,
    /// The command's SPL text, as printed back.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Keep events matching a search expression.
    Search(SearchExpr),
    /// Keep rows where the expression is true.
    Where(Expr),
    /// Assign fields, left to right.
    Eval(Vec<(String, Expr)>),
    Bin(BinSpec),
    Rename(Vec<(String, String)>),
    Stats(StatsSpec),
    Convert(ConvertSpec),
    /// `fields [+|-] patterns`
    Fields { remove: bool, patterns: Vec<String> },
    /// `table patterns`
    Table(Vec<String>),
    Head(usize),
    /// `head (<eval-expression>)`: rows while the expression is true; `null=` says what a null
    /// result counts as, `keeplast=` keeps the row that ended it, `limit=`/a count caps it.
    HeadWhile { expr: Expr, null: bool, keeplast: bool, limit: Option<usize> },
    Tail(usize),
    Reverse,
    Sort { keys: Vec<SortKey>, limit: Option<usize> },
    /// `dedup [N] fields [keepempty=] [consecutive=] [sortby keys]`
    Dedup { fields: Vec<String>, keep: usize, keepempty: bool, consecutive: bool, sortby: Vec<SortKey> },
    FillNull { value: String, fields: Vec<String> },
    /// `top`/`rare [N] [options] fields [by fields]`
    Top(TopSpec),
    /// Put events newest first (descending `_time`, stable), inserted by the planner before a
    /// command that would hide `_time` from a later order-sensitive step or the final event list.
    TimeOrder,
    /// `mvexpand field [limit=N]`: one result per value of a multivalue field.
    MvExpand { field: String, limit: Option<usize> },
    /// `mvcombine [delim=s] field`: merge results identical except for `field`.
    MvCombine { field: String, delim: String },
    /// `makemv [delim=s | tokenizer=re] [allowempty=b] field`
    MakeMv { field: String, delim: Option<String>, tokenizer: Option<String>, allowempty: bool },
    /// `rex [field=f] [max_match=N] "regex"` (named groups become fields) or `rex mode=sed "s/a/b/g"`.
    Rex { field: String, regex: String, max_match: usize, sed: bool },
    /// `regex [field=|field!=]"re"`: keep (or drop) results whose field matches.
    Regex { field: String, regex: String, negate: bool },
    /// `spath [input=f] [output=o] [path=p]`: extract JSON fields.
    Spath { input: String, output: Option<String>, path: Option<String> },
    /// `append [subsearch]`: the subsearch's results after the current results.
    Append(Subsearch),
    /// `search ... [subsearch] ...`: the subsearch's results, formatted as Splunk's `format`
    /// formats them (`(f1="v1" AND f2="v2") OR ...`), stand where the term
    /// [`SUBSEARCH_PLACEHOLDER`] is in `expr`.
    SearchSubsearch { expr: SearchExpr, sub: Subsearch },
    /// `join [options] [field-list] [subsearch]`: merge each result with the subsearch results
    /// that share the values of the join fields.
    Join { spec: JoinSpec, sub: Subsearch },
    /// `lookup <table> <field> [AS <f>]... [OUTPUT|OUTPUTNEW <field> [AS <f>]...]`
    Lookup(LookupSpec),
    /// `| inputlookup <table>`: the rows of a lookup table (after the current results with `append=t`).
    InputLookup(InputLookupSpec),
}

/// The term a `search` command's `[subsearch]` is replaced by until its results are known.
pub const SUBSEARCH_PLACEHOLDER: &str = "__spelunk_subsearch__";

/// A subsearch: its own plan, run before the main search over the same data; the caller hands
/// its results to the engine under [`Subsearch::id`].
#[derive(Debug, Clone, PartialEq)]
pub struct Subsearch {
    /// Index among the subsearches of the plan holding it, in query order.
    pub id: usize,
    pub plan: Box<LogicalPlan>,
    /// At most this many subsearch results are used (`maxout=`, Splunk's subsearch limits).
    pub maxout: usize,
}

/// `join` type: `inner` drops results without a match, `left` (or `outer`) keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JoinSpec {
    /// Fields whose values must all be equal (case-sensitive); empty: every field the two sides
    /// have in common (internal `_` fields aside).
    pub fields: Vec<String>,
    pub kind: JoinType,
    /// Subsearch results each result joins with (`max=`, default 1); 0 = no limit.
    pub max: usize,
    /// Subsearch values replace the result's values of the same field (`overwrite=`, default true).
    pub overwrite: bool,
    /// `usetime=t`: only subsearch results earlier (`earlier=t`) or later than the result, to the second.
    pub usetime: bool,
    pub earlier: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LookupSpec {
    /// The lookup name as written: a file in a lookup folder or a transforms.conf stanza.
    pub table: String,
    pub table_span: Span,
    /// `(lookup field, event field)` pairs whose values must all match.
    pub inputs: Vec<(String, String)>,
    /// `(lookup field, event field)` to copy; `None`: every table column that is not an input.
    pub outputs: Option<Vec<(String, String)>>,
    /// `OUTPUTNEW`: only fill fields the event does not have.
    pub output_new: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputLookupSpec {
    pub table: String,
    pub table_span: Span,
    /// 0-based index of the first row read (`start=`).
    pub start: usize,
    /// At most this many rows are read (`max=`).
    pub max: usize,
    /// `append=t`: the rows come after the current results instead of being the results.
    pub append: bool,
    /// `where <search>`: keep only the rows matching it.
    pub filter: Option<SearchExpr>,
}

/// `top` / `rare`: the most (least) common value tuples of `fields`, per tuple of `by`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopSpec {
    pub fields: Vec<String>,
    pub by: Vec<String>,
    /// Rows per BY group (`N`, `limit=`, default 10); 0 = every value.
    pub limit: usize,
    /// `rare`: least common first.
    pub rare: bool,
    pub countfield: String,
    pub percentfield: String,
    /// `showcount=` (default true): the count column.
    pub showcount: bool,
    /// `showperc=` (default true): the percent column.
    pub showperc: bool,
    /// `useother=` (top only, default false): one more row per BY group for the values past
    /// the limit, every field set to `otherstr` (default `OTHER`).
    pub useother: bool,
    pub otherstr: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
    /// `auto` (numbers before strings, numbers numerically), `num`, `str`, `ip`
    pub mode: SortMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    Auto,
    Num,
    Str,
    Ip,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BinSpec {
    pub field: String,
    pub alias: Option<String>,
    pub span: Option<BinSpan>,
    pub bins: Option<usize>,
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// `aligntime=`: where time bins start instead of the epoch (None when not given, or
    /// ignored because the span is in days, months or years).
    pub aligntime: Option<AlignTime>,
    /// `minspan=`: the smallest span an automatic (bins=) span may take.
    pub minspan: Option<BinSpan>,
}

/// `bin aligntime=`: `earliest` / `latest` (the search's time range) or a time specifier
/// (epoch seconds, or a relative time such as `@d+3h` resolved against the search's `now`).
#[derive(Debug, Clone, PartialEq)]
pub enum AlignTime {
    Earliest,
    Latest,
    Time(String),
}

impl BinSpec {
    /// Without `span=`, the span comes from the range of the data (`bins=`, default 100), so
    /// the command must see every event before it can bin any.
    pub fn is_auto(&self) -> bool {
        self.span.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinSpan {
    /// A fixed width: seconds for time, units for numbers.
    Width(f64),
    /// Calendar months (mon=1, q=3, y=12).
    Months(u32),
    /// Log scale `log` span (`span=2log10` style) - not supported yet.
    Log(f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsMode {
    Stats,
    EventStats,
    StreamStats,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsSpec {
    pub mode: StatsMode,
    pub aggs: Vec<AggSpec>,
    pub by: Vec<String>,
    /// streamstats options (defaults for stats and eventstats).
    pub stream: StreamOptions,
}

/// The options of `streamstats`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// `window=N`: the last N events only (None or 0: every event so far).
    pub window: Option<usize>,
    /// `current=` (default true): the event itself counts.
    pub current: bool,
    /// `time_window=<span>` in seconds: only events less than this far in `_time` from the
    /// current one (the input must be in time order, either way).
    pub time_window: Option<f64>,
    /// `global=` (default true): with `window=` and BY, one window of the last N events across
    /// groups (each group sees its events among them); false: a window of N per group.
    pub global: bool,
    /// `reset_on_change=`: reset every statistic when the BY values change from one event
    /// (having all BY fields) to the next.
    pub reset_on_change: bool,
    /// `reset_before="(expr)"`: reset before an event for which `expr` is true.
    pub reset_before: Option<Expr>,
    /// `reset_after="(expr)"`: reset after an event for which `expr` is true.
    pub reset_after: Option<Expr>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions { window: None, current: true, time_window: None, global: true, reset_on_change: false, reset_before: None, reset_after: None }
    }
}

impl StreamOptions {
    /// Does every event see every earlier event of its group (no window, no time window)?
    pub fn unbounded(&self) -> bool {
        self.window.unwrap_or(0) == 0 && self.time_window.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFunc {
    Count,
    DistinctCount,
    Values,
    List,
    Min,
    Max,
    Sum,
    Avg,
    Median,
    Mode,
    /// percentile, 0..=100; `exact` for exactperc
    Perc(f64),
    Stdev,
    Stdevp,
    Var,
    Varp,
    Range,
    First,
    Last,
    Earliest,
    Latest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AggInput {
    Field(String),
    Eval(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggSpec {
    pub func: AggFunc,
    pub input: Option<AggInput>,
    /// Output column name: the alias, or Splunk's default `func(field)` / `count`.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConvertSpec {
    pub timeformat: String,
    pub conversions: Vec<Conversion>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub func: ConvertFunc,
    pub field: String,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertFunc {
    Ctime,
    Mktime,
    Dur2sec,
    Sec2dur,
    Num,
    Auto,
    Rmunit,
    Rmcomma,
    Memk,
    None,
}

impl Op {
    /// The operator's name as `explain` shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Search(_) | Op::SearchSubsearch { .. } => "search",
            Op::Where(_) => "where",
            Op::Eval(_) => "eval",
            Op::Bin(_) => "bin",
            Op::Rename(_) => "rename",
            Op::Stats(s) => match s.mode {
                StatsMode::Stats => "stats",
                StatsMode::EventStats => "eventstats",
                StatsMode::StreamStats => "streamstats",
            },
            Op::Convert(_) => "convert",
            Op::Fields { .. } => "fields",
            Op::Table(_) => "table",
            Op::Head(_) | Op::HeadWhile { .. } => "head",
            Op::Tail(_) => "tail",
            Op::Reverse => "reverse",
            Op::Sort { .. } => "sort",
            Op::Dedup { .. } => "dedup",
            Op::FillNull { .. } => "fillnull",
            Op::Top(t) if t.rare => "rare",
            Op::Top(_) => "top",
            Op::TimeOrder => "time order",
            Op::MvExpand { .. } => "mvexpand",
            Op::MvCombine { .. } => "mvcombine",
            Op::MakeMv { .. } => "makemv",
            Op::Rex { .. } => "rex",
            Op::Regex { .. } => "regex",
            Op::Spath { .. } => "spath",
            Op::Append(_) => "append",
            Op::Join { .. } => "join",
            Op::Lookup(_) => "lookup",
            Op::InputLookup(_) => "inputlookup",
        }
    }

    /// Does this command depend on the order of the events (Splunk hands them over newest
    /// first)? `head`, `dedup`, `list()`, `streamstats`... do; so does `sort`, whose ties keep
    /// the order they came in.
    pub fn needs_event_order(&self) -> bool {
        match self {
            Op::Head(_) | Op::HeadWhile { .. } | Op::Tail(_) | Op::Reverse | Op::Dedup { .. } | Op::MvCombine { .. } | Op::Sort { .. } => true,
            // rows are added after, or merged into, the results as they come: in Splunk's order
            Op::Append(_) | Op::Join { .. } | Op::InputLookup(_) => true,
            Op::Stats(s) => s.mode == StatsMode::StreamStats || s.aggs.iter().any(|a| matches!(a.func, AggFunc::First | AggFunc::Last | AggFunc::List)),
            _ => false,
        }
    }

    /// Does the order of the rows stop mattering after this command (it aggregates or orders
    /// them itself)? Only asked of commands that do not [`Op::needs_event_order`].
    pub fn ends_event_order(&self) -> bool {
        matches!(self, Op::Stats(s) if s.mode == StatsMode::Stats) || matches!(self, Op::Top { .. })
    }

    /// Whether the operator runs event by event with no state (safe to run in parallel partitions).
    pub fn is_streaming(&self) -> bool {
        if let Op::Bin(b) = self {
            return !b.is_auto();
        }
        matches!(
            self,
            Op::Search(_)
                | Op::Where(_)
                | Op::Eval(_)
                | Op::Rename(_)
                | Op::Convert(_)
                | Op::Fields { .. }
                | Op::FillNull { .. }
                | Op::MvExpand { .. }
                | Op::MakeMv { .. }
                | Op::Rex { .. }
                | Op::Regex { .. }
                | Op::Spath { .. }
                | Op::Lookup(_)
        )
    }

    /// One sentence of what the operator does, in plain words, for `explain`.
    pub fn describe(&self) -> String {
        match self {
            Op::Search(_) => "keep events matching the search expression (values case-insensitive, `*` wildcards; `f!=v` needs f to exist)".into(),
            Op::SearchSubsearch { .. } => "keep events matching the search expression, the subsearch's results standing in for it as (field=value AND ...) OR ... (fields starting with `_` left out; `search`/`query` fields as written)".into(),
            Op::Where(_) => "keep rows where the expression is true (false and null drop the row)".into(),
            Op::Eval(a) => format!("compute {} left to right", a.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(", ")),
            Op::Bin(b) if b.is_auto() => format!(
                "round {} down to the start of its bucket{}; the span is chosen from the data's range (at most {} buckets: a power of ten for numbers, 1s/5s/10s/30s/1m/5m/10m/30m/1h/1d/30d for _time), so every event is read first",
                b.field,
                b.alias.as_ref().map(|a| format!(" into {a}")).unwrap_or_default(),
                b.bins.unwrap_or(100)
            ),
            Op::Bin(b) => format!(
                "round {} down to the start of its bucket{}{}",
                b.field,
                b.alias.as_ref().map(|a| format!(" into {a}")).unwrap_or_default(),
                match &b.aligntime {
                    None => String::new(),
                    Some(AlignTime::Earliest) => ", buckets aligned to the search's earliest time".into(),
                    Some(AlignTime::Latest) => ", buckets aligned to the search's latest time".into(),
                    Some(AlignTime::Time(t)) => format!(", buckets aligned to {t}"),
                }
            ),
            Op::Rename(p) => format!("rename {}", p.iter().map(|(a, b)| format!("{a} -> {b}")).collect::<Vec<_>>().join(", ")),
            Op::Stats(s) if s.mode == StatsMode::StreamStats => {
                let o = &s.stream;
                let mut scope = match (o.window.filter(|w| *w > 0), o.time_window) {
                    (None, None) => "every event so far".to_string(),
                    (Some(w), None) => format!("the last {w} events"),
                    (None, Some(t)) => format!("the events less than {t}s away in _time"),
                    (Some(w), Some(t)) => format!("the last {w} events less than {t}s away in _time"),
                };
                if !s.by.is_empty() {
                    let per = if o.window.unwrap_or(0) > 0 && o.global { ", only those with the same" } else { " with the same" };
                    scope = format!("{scope}{per} ({})", s.by.join(", "));
                }
                let mut resets = Vec::new();
                if o.reset_on_change {
                    resets.push("when the BY values change".to_string());
                }
                if let Some(e) = &o.reset_before {
                    resets.push(format!("before an event where {e}"));
                }
                if let Some(e) = &o.reset_after {
                    resets.push(format!("after an event where {e}"));
                }
                format!(
                    "running statistics over {scope}{}, in pipeline order{}",
                    if o.current { ", the event itself included" } else { ", the event itself left out" },
                    if resets.is_empty() { String::new() } else { format!("; every statistic restarts {}", resets.join(", ")) }
                )
            }
            Op::Stats(s) => {
                let by = s.by.join(", ");
                match s.mode {
                    StatsMode::Stats if s.by.is_empty() => "one row over all events (count 0 when there are none)".into(),
                    StatsMode::Stats => format!("one row per distinct ({by}); events missing any of these are dropped; rows ordered by them"),
                    StatsMode::EventStats if s.by.is_empty() => "add the aggregates over all events to every event".into(),
                    _ => format!("add the aggregates of each ({by}) group to its events; events missing any of these are kept, without them"),
                }
            }
            Op::Convert(c) => format!("convert {} (timeformat {:?}, UTC)", c.conversions.iter().map(|c| format!("{}({})", format!("{:?}", c.func).to_lowercase(), c.field)).collect::<Vec<_>>().join(", "), c.timeformat),
            Op::Fields { remove, patterns } => format!("{} fields {}", if *remove { "remove" } else { "keep only" }, patterns.join(", ")),
            Op::Table(p) => format!("keep only the columns {} in this order", p.join(", ")),
            Op::Head(n) => format!("keep the first {n} rows"),
            Op::HeadWhile { expr, null, keeplast, limit } => format!(
                "keep rows while {expr} is true (a null result counts as {null}){}{}, then stop",
                if *keeplast { ", and the row where it stops being true" } else { "" },
                limit.map(|l| format!(", at most {l}")).unwrap_or_default()
            ),
            Op::Tail(n) => format!("keep the last {n} rows"),
            Op::Reverse => "reverse the order of rows".into(),
            Op::Sort { keys, limit } => format!("sort by {}{}", keys.iter().map(|k| format!("{}{}", if k.descending { "-" } else { "+" }, k.field)).collect::<Vec<_>>().join(", "), limit.map(|l| format!(", keep {l}")).unwrap_or_default()),
            Op::Dedup { fields, keep, sortby, .. } => format!(
                "keep the first {keep} row(s) for each ({}); rows missing any of these are dropped{}",
                fields.join(", "),
                if sortby.is_empty() { String::new() } else { format!(", then sort by {}", sortby.iter().map(|k| format!("{}{}", if k.descending { "-" } else { "+" }, k.field)).collect::<Vec<_>>().join(", ")) }
            ),
            Op::FillNull { value, fields } => format!("fill missing {} with {value:?}", if fields.is_empty() { "fields".into() } else { fields.join(", ") }),
            Op::Top(t) => {
                let cols: Vec<&str> = [(t.showcount, t.countfield.as_str()), (t.showperc, t.percentfield.as_str())].into_iter().filter(|c| c.0).map(|c| c.1).collect();
                format!(
                    "the {} {} values of ({}){}{}{}",
                    if t.limit == 0 { "all".to_string() } else { t.limit.to_string() },
                    if t.rare { "least common" } else { "most common" },
                    t.fields.join(", "),
                    if t.by.is_empty() { String::new() } else { format!(" per ({})", t.by.join(", ")) },
                    if cols.is_empty() { String::new() } else { format!(" with {}", cols.join(" and ")) },
                    if t.useother { format!(", plus a row {:?} for the rest", t.otherstr) } else { String::new() }
                )
            }
            Op::TimeOrder => "sort events newest first (descending _time), as Splunk returns them, before _time can be dropped".into(),
            Op::MvExpand { field, limit } => format!("one row per value of {field}{}; rows without {field} are dropped", limit.map(|l| format!(" (first {l} values)")).unwrap_or_default()),
            Op::MvCombine { field, delim } => format!("merge rows identical except for {field} into one row with a multivalue {field} (delim {delim:?})"),
            Op::MakeMv { field, delim, tokenizer, .. } => match tokenizer {
                Some(t) => format!("split {field} into values matched by /{t}/"),
                None => format!("split {field} into values at {:?}", delim.as_deref().unwrap_or(" ")),
            },
            Op::Rex { field, regex, sed: true, .. } => format!("rewrite {field} with sed expression {regex}"),
            Op::Rex { field, regex, max_match, .. } => format!("extract named groups of /{regex}/ from {field} ({} match(es))", if *max_match == 0 { "all".to_string() } else { max_match.to_string() }),
            Op::Regex { field, regex, negate } => format!("keep rows whose {field} {} /{regex}/", if *negate { "does not match" } else { "matches" }),
            Op::Spath { input, output, path } => match path {
                Some(p) => format!("extract JSON path {p} from {input} into {}", output.as_deref().unwrap_or(p)),
                None => format!("extract every JSON field of {input}"),
            },
            Op::Append(sub) => format!("run the subsearch first, then add its results (at most {}) after these", sub.maxout),
            Op::Join { spec, sub } => {
                let on = if spec.fields.is_empty() { "every field both sides have".to_string() } else { spec.fields.join(", ") };
                let max = if spec.max == 0 { "every".to_string() } else { format!("the first {}", spec.max) };
                format!(
                    "run the subsearch first (at most {} results); merge each row with {max} subsearch row(s) equal on {on} (case-sensitive){}; {}{}",
                    sub.maxout,
                    if spec.overwrite { ", subsearch values win" } else { ", row values win" },
                    if spec.kind == JoinType::Inner { "rows without a match are dropped" } else { "rows without a match are kept" },
                    if spec.usetime { format!("; only subsearch rows {} than the row", if spec.earlier { "earlier" } else { "later" }) } else { String::new() }
                )
            }
            Op::Lookup(l) => {
                let outputs = match &l.outputs {
                    None => "every other column".to_string(),
                    Some(o) => o.iter().map(|(a, b)| if a == b { a.clone() } else { format!("{a} as {b}") }).collect::<Vec<_>>().join(", "),
                };
                let inputs = l.inputs.iter().map(|(a, b)| if a == b { a.clone() } else { format!("{a} = {b}") }).collect::<Vec<_>>().join(", ");
                format!(
                    "match rows of lookup {} on {inputs} (case-sensitive); copy {outputs}{} (several matches: multivalue)",
                    l.table,
                    if l.output_new { " where the row lacks the field" } else { ", replacing existing values" }
                )
            }
            Op::InputLookup(l) => format!(
                "{} the rows of lookup {} in file order{}{}",
                if l.append { "add after the results" } else { "results:" },
                l.table,
                if l.start > 0 { format!(" from row {}", l.start) } else { String::new() },
                if l.filter.is_some() { ", those matching the where clause" } else { "" }
            ),
        }
    }

    /// The subsearch this operator runs first, if any.
    pub fn subsearch(&self) -> Option<&Subsearch> {
        match self {
            Op::Append(sub) | Op::Join { sub, .. } | Op::SearchSubsearch { sub, .. } => Some(sub),
            _ => None,
        }
    }
}

impl LogicalPlan {
    /// Where the engine sorts events by descending `_time`, as Splunk hands them to the
    /// pipeline: before the first command that depends on event order, or at the end when the
    /// result is the raw events. `None` when no command depends on the order (a `stats count`
    /// over a file needs no sort) or the rows are not events.
    pub fn time_sort_position(&self) -> Option<usize> {
        if self.source != Source::Events {
            return None;
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if n.op.needs_event_order() {
                return Some(i);
            }
            // the planner already put the events in order there (before `_time` could go)
            if matches!(n.op, Op::TimeOrder) {
                return None;
            }
            if n.op.ends_event_order() {
                return None;
            }
        }
        Some(self.nodes.len())
    }
}

impl fmt::Display for LogicalPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Events => {
                writeln!(f, "scan events")?;
                match &self.projection {
                    Projection::All => writeln!(f, "  reads: all fields")?,
                    Projection::Fields(s) => writeln!(f, "  reads: {}", s.iter().cloned().collect::<Vec<_>>().join(", "))?,
                }
                if self.time_range.earliest.is_some() || self.time_range.latest.is_some() {
                    writeln!(f, "  time range: earliest={} latest={}", self.time_range.earliest.as_deref().unwrap_or("-"), self.time_range.latest.as_deref().unwrap_or("-"))?;
                }
                writeln!(f, "  then search-time fields (aliases, calculated fields) per sourcetype")?;
            }
            Source::MakeResults { count: 0 } if matches!(self.nodes.first(), Some(PlanNode { op: Op::InputLookup(_), .. })) => writeln!(f, "no events: inputlookup generates the results")?,
            Source::MakeResults { count } => writeln!(f, "makeresults: {count} event(s) with _time = now")?,
        }
        let sort_at = self.time_sort_position();
        for (i, n) in self.nodes.iter().enumerate() {
            if sort_at == Some(i) {
                writeln!(f, "-> (engine) sort events newest first (descending _time, stable): `{}` depends on their order", n.op.name())?;
            }
            writeln!(f, "-> {}: {}", n.op.name(), n.op.describe())?;
            writeln!(f, "   | {}", n.text)?;
            if let Some(sub) = n.op.subsearch() {
                writeln!(f, "   subsearch {}:", sub.id)?;
                for line in sub.plan.to_string().lines() {
                    writeln!(f, "   : {line}")?;
                }
            }
        }
        match (&self.source, sort_at) {
            (Source::Events, Some(i)) if i == self.nodes.len() => writeln!(f, "-> (engine) sort events newest first (descending _time, stable): the results are events, listed as Splunk lists them")?,
            (Source::Events, None) => writeln!(f, "order: no command depends on event order, so the engine does not sort the events")?,
            _ => {}
        }
        for r in &self.rewrites {
            writeln!(f, "rewrite: {r}")?;
        }
        Ok(())
    }
}
