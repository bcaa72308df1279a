//! From the AST to the logical plan: semantic checks (known commands, options, arguments) and
//! lowering of each command to its [`Op`].

use crate::plan::*;
use spelunk_syntax::ast::{self, Arg, Command, CommandKind, SearchExpr, Span};
use spelunk_syntax::diagnostics::did_you_mean;
use spelunk_syntax::registry;
use spelunk_syntax::{ErrorCode, SplError};

/// Lower a parsed pipeline. Errors point into the expanded query text.
pub fn lower(p: &ast::Pipeline) -> Result<LogicalPlan, SplError> {
    let mut plan = LogicalPlan {
        source: Source::Events,
        nodes: Vec::new(),
        projection: Projection::All,
        time_range: TimeRange::default(),
        rewrites: Vec::new(),
    };
    for (i, cmd) in p.commands.iter().enumerate() {
        let name = cmd.name.name.to_ascii_lowercase();
        let spec = registry::command(&name).ok_or_else(|| unknown_command(cmd))?;
        if !spec.implemented {
            return Err(SplError::new(ErrorCode::UnsupportedCommand, cmd.name.span, format!("`{}` is valid SPL but spelunk does not run it yet", cmd.name.name))
                .with_label("not supported yet")
                .with_help("`spelunk help` lists the commands spelunk runs"));
        }
        if spec.kind == registry::CommandType::Generating && i != 0 && !generates_mid_pipeline(cmd) {
            return Err(SplError::new(ErrorCode::InvalidArgument, cmd.name.span, format!("`{}` generates events and must be the first command", spec.name))
                .with_help(format!("start the query with `| {}`", spec.name)));
        }
        let text = cmd.to_string();
        let op = match (&cmd.kind, spec.name) {
            (CommandKind::Search(expr), _) => {
                let had_terms = expr.is_some();
                let before = plan.time_range.clone();
                let expr = expr.clone().and_then(|e| take_time_modifiers(e, &mut plan.time_range));
                if plan.time_range != before {
                    plan.rewrites.push(format!("`{}`: earliest=/latest= became the scan's time range", text.trim()));
                }
                if expr.is_none() {
                    let why = if had_terms { "nothing is left to match once the time range is taken out" } else { "it matches every event" };
                    plan.rewrites.push(format!("`{}` dropped: {why}", text.trim()));
                }
                expr.map(Op::Search)
            }
            (CommandKind::Where(e), _) => Some(Op::Where(e.clone())),
            (CommandKind::Eval(a), _) => Some(Op::Eval(a.iter().map(|a| (a.field.name.clone(), a.value.clone())).collect())),
            (CommandKind::Stats(s), _) => Some(Op::Stats(lower_stats(cmd, s)?)),
            (CommandKind::Bin(b), _) => Some(Op::Bin(lower_bin(b)?)),
            (CommandKind::Rename(pairs), _) => Some(Op::Rename(pairs.iter().map(|p| (p.from.name.clone(), p.to.name.clone())).collect())),
            (CommandKind::Convert(c), _) => Some(Op::Convert(lower_convert(c)?)),
            (CommandKind::Generic(args), "makeresults") => {
                let count = option_usize(args, "count")?.unwrap_or(1);
                if count > MAKERESULTS_MAX {
                    let v = args.iter().find_map(|a| match a {
                        Arg::Option(o) if o.key.name == "count" => Some(&o.value),
                        _ => None,
                    });
                    let span = v.map_or(cmd.span, |v| v.span);
                    return Err(SplError::new(ErrorCode::InvalidOption, span, format!("makeresults count={count} is more than spelunk generates"))
                        .with_help(format!("count can be at most {MAKERESULTS_MAX} (results are generated in slices, so memory stays bounded; a larger count would not finish)")));
                }
                plan.source = Source::MakeResults { count };
                None
            }
            (CommandKind::Generic(args), name @ ("append" | "join" | "lookup" | "inputlookup" | "search")) => {
                let next_sub = plan.nodes.iter().filter(|n| n.op.subsearch().is_some()).count();
                let op = lower_combine(cmd, name, args, next_sub)?;
                if i == 0 && matches!(op, Op::InputLookup(_)) {
                    // the table rows are the results: no events are read
                    plan.source = Source::MakeResults { count: 0 };
                }
                Some(op)
            }
            (CommandKind::Generic(args), name) => Some(lower_generic(cmd, name, args)?),
        };
        if let Some(op) = op {
            plan.nodes.push(PlanNode { op, span: cmd.span, text });
        }
    }
    insert_time_order(&mut plan);
    Ok(plan)
}

/// Could this command remove, rename or rewrite `_time`, so that sorting by it afterwards no
/// longer gives Splunk's order?
fn may_hide_time(op: &Op) -> bool {
    match op {
        Op::Table(_) | Op::Fields { .. } | Op::Rename(_) => true,
        Op::Eval(a) => a.iter().any(|(f, _)| f == "_time"),
        Op::Convert(c) => c.conversions.iter().any(|cv| cv.field == "_time" || cv.field.contains('*') || cv.alias.as_deref() == Some("_time")),
        Op::Bin(b) => b.field == "_time" || b.alias.as_deref() == Some("_time"),
        Op::Stats(s) => s.mode != StatsMode::Stats && s.aggs.iter().any(|a| a.name == "_time"),
        // commands that set fields named by their arguments or by the data
        Op::Rex { regex, sed, field, .. } => if *sed { field == "_time" } else { regex.contains("<_time>") || regex.contains("'_time'") },
        Op::Spath { output, path, .. } => match (output, path) {
            (Some(o), _) => o == "_time",
            // every path of the JSON becomes a field: `_time` among them, perhaps
            (None, None) => true,
            (None, Some(p)) => p == "_time",
        },
        Op::Lookup(l) => l.outputs.as_ref().is_none_or(|o| o.iter().any(|(_, f)| f == "_time")),
        Op::MvExpand { field, .. } | Op::MakeMv { field, .. } => field == "_time",
        _ => false,
    }
}

/// Splunk hands events to the pipeline newest first. The engine sorts events by `_time` before
/// the first order-sensitive command, or at the end for a list of raw events; when a command
/// before that point could drop or rewrite `_time` (`table`, `fields`, `eval _time=...`), the
/// planner sorts right before it instead.
fn insert_time_order(plan: &mut LogicalPlan) {
    if plan.source != Source::Events {
        return;
    }
    let needs_order_from = |from: usize, nodes: &[PlanNode]| -> bool {
        for n in &nodes[from..] {
            if n.op.needs_event_order() {
                return true;
            }
            if n.op.ends_event_order() {
                return false;
            }
        }
        true
    };
    for i in 0..plan.nodes.len() {
        let op = &plan.nodes[i].op;
        if op.needs_event_order() || op.ends_event_order() {
            return;
        }
        if may_hide_time(op) {
            if needs_order_from(i + 1, &plan.nodes) {
                let span = plan.nodes[i].span;
                plan.nodes.insert(i, PlanNode { op: Op::TimeOrder, span, text: "(added by the planner: events newest first)".into() });
                plan.rewrites.push("events sorted newest first before a command that could drop or rewrite _time".into());
            }
            return;
        }
    }
}

/// A command the registry does not describe: a Splunk command spelunk only knows by name is
/// unsupported; a near miss of a known command is a typo (with a suggestion); any other name is
/// unknown (an app's custom command, say), which `spelunk check` reports as not run yet.
fn unknown_command(cmd: &Command) -> SplError {
    let name = &cmd.name.name;
    if registry::is_other_command(name) {
        return SplError::new(ErrorCode::UnsupportedCommand, cmd.name.span, format!("`{name}` is a Splunk command spelunk does not run yet"))
            .with_label("not supported yet")
            .with_help("`spelunk help` lists the commands spelunk runs");
    }
    let e = SplError::new(ErrorCode::UnknownCommand, cmd.name.span, format!("unknown command `{name}`")).with_label("not a command");
    match registry::command_typo(name) {
        Some(s) => e.with_help(format!("did you mean `{s}`?")),
        None => e.with_help("not a Splunk command spelunk knows (an app's custom command?); `spelunk help` lists the commands"),
    }
}

/// Pull top-level `earliest=` / `latest=` out of a search expression into the time range.
fn take_time_modifiers(e: SearchExpr, tr: &mut TimeRange) -> Option<SearchExpr> {
    let is_mod = |x: &SearchExpr| matches!(x, SearchExpr::Compare { field, op: ast::CmpOp::Eq, .. } if field.name == "earliest" || field.name == "latest");
    let take = |x: &SearchExpr, tr: &mut TimeRange| {
        if let SearchExpr::Compare { field, value, .. } = x {
            if field.name == "earliest" {
                tr.earliest = Some(value.text.clone());
            } else {
                tr.latest = Some(value.text.clone());
            }
        }
    };
    match e {
        SearchExpr::And(items, span) => {
            let mut keep = Vec::new();
            for x in items {
                if is_mod(&x) {
                    take(&x, tr);
                } else {
                    keep.push(x);
                }
            }
            match keep.len() {
                0 => None,
                1 => keep.pop(),
                _ => Some(SearchExpr::And(keep, span)),
            }
        }
        x if is_mod(&x) => {
            take(&x, tr);
            None
        }
        x => Some(x),
    }
}

fn lower_stats(cmd: &Command, s: &ast::StatsCommand) -> Result<StatsSpec, SplError> {
    let mode = match cmd.name.name.to_ascii_lowercase().as_str() {
        "eventstats" => StatsMode::EventStats,
        "streamstats" => StatsMode::StreamStats,
        _ => StatsMode::Stats,
    };
    let mut stream = StreamOptions::default();
    for o in &s.options {
        let key = o.key.name.as_str();
        if mode == StatsMode::StreamStats {
            if lower_streamstats_option(o, &mut stream)? {
                continue;
            }
        } else if matches!(key, "allnum" | "delim" | "partitions" | "dedup_splitvals") {
            continue;
        }
        let mut e = SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`{}` does not take the option `{}`", cmd.name.name, key));
        if mode == StatsMode::StreamStats {
            e = e.with_help("streamstats takes window=, current=, time_window=, global=, reset_on_change=, reset_before=, reset_after=, allnum=");
        }
        return Err(e);
    }
    let mut aggs = Vec::new();
    for a in &s.aggs {
        let fname = a.func.name.to_ascii_lowercase();
        let func = agg_func(&fname).ok_or_else(|| {
            if registry::aggregate(&fname).is_some() {
                return SplError::new(ErrorCode::UnsupportedCommand, a.func.span, format!("spelunk does not run the aggregation `{}` yet", a.func.name));
            }
            let mut e = SplError::new(ErrorCode::UnknownFunction, a.func.span, format!("unknown aggregation `{}`", a.func.name));
            if matches!(fname.as_str(), "perc" | "p" | "exactperc" | "upperperc") {
                return e.with_help(format!("write the percentile into the name, e.g. `{fname}95(...)`"));
            }
            if let Some(s) = did_you_mean(&fname, registry::function_names(registry::FunctionKind::Aggregate)) {
                e = e.with_help(format!("did you mean `{}`?", s));
            }
            e
        })?;
        let input = match &a.arg {
            None => None,
            // `values(*) as *`, `avg(prefix.*) as avg_*`: one aggregation per matching field
            // (Search Reference, stats: wildcarded field names); not run yet, so refused by name
            // instead of aggregating a field literally named `*`
            Some(ast::AggArg::Field(f)) if f.name.contains('*') => {
                return Err(SplError::new(ErrorCode::UnsupportedCommand, f.span, format!("`{}({})`: aggregations over wildcarded field names are valid SPL but spelunk does not run them yet", a.func.name, f.name))
                    .with_help("name each field: `values(a) as a, values(b) as b`"));
            }
            Some(ast::AggArg::Field(f)) => Some(AggInput::Field(f.name.clone())),
            Some(ast::AggArg::Eval(e)) => Some(AggInput::Eval(e.clone())),
        };
        if input.is_none() && func != AggFunc::Count {
            return Err(SplError::new(ErrorCode::MissingArgument, a.span, format!("`{}` needs a field: `{}(field)`", a.func.name, a.func.name)));
        }
        let name = match (&a.alias, &a.arg) {
            (Some(al), _) => al.name.clone(),
            (None, None) => a.func.name.clone(),
            (None, Some(ast::AggArg::Field(f))) => format!("{}({})", a.func.name, f.name),
            (None, Some(ast::AggArg::Eval(e))) => format!("{}(eval({}))", a.func.name, e),
        };
        aggs.push(AggSpec { func, input, name });
    }
    Ok(StatsSpec { mode, aggs, by: s.by.iter().map(|b| b.name.clone()).collect(), stream })
}

/// One option of `streamstats` (Splunk's Streamstats page); false when it is not one.
fn lower_streamstats_option(o: &ast::OptionArg, stream: &mut StreamOptions) -> Result<bool, SplError> {
    match o.key.name.as_str() {
        "window" => {
            // limits.conf max_stream_window (10,000 by default) bounds the window
            let w = o.value.text.parse::<usize>().map_err(|_| invalid(&o.value, "a whole number of events (0 for no limit)"))?;
            if w > MAX_STREAM_WINDOW {
                return Err(invalid(&o.value, "at most 10000 events (limits.conf max_stream_window)"));
            }
            stream.window = Some(w);
        }
        "current" => stream.current = parse_bool(&o.value)?,
        "global" => stream.global = parse_bool(&o.value)?,
        "reset_on_change" => stream.reset_on_change = parse_bool(&o.value)?,
        "time_window" => {
            stream.time_window = Some(match parse_span(&o.value)? {
                BinSpan::Width(w) => w,
                _ => return Err(invalid(&o.value, "a span of seconds, minutes, hours, days or weeks such as 5m or 1h (months vary in length)")),
            })
        }
        "reset_before" => stream.reset_before = Some(reset_expr(&o.value)?),
        "reset_after" => stream.reset_after = Some(reset_expr(&o.value)?),
        "allnum" => {
            if parse_bool(&o.value)? {
                return Err(SplError::new(ErrorCode::UnsupportedCommand, o.span, "`streamstats allnum=true` is not supported yet").with_help("leave allnum out (the default is false)"));
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The eval expression of `reset_before="(expr)"` / `reset_after="(expr)"`, with spans pointing
/// into the query.
fn reset_expr(v: &ast::Value) -> Result<ast::Expr, SplError> {
    // pad with spaces so the expression's spans are positions in the query text
    let start = v.span.start + usize::from(v.quoted);
    let text = format!("{}{}", " ".repeat(start), v.text);
    spelunk_syntax::parse_expr(&text).map_err(|e| {
        SplError::new(ErrorCode::InvalidOption, v.span, format!("invalid expression `{}`: {}", v.text, e.message)).with_help("write an eval expression in parentheses and quotes, e.g. reset_after=\"(action=\\\"logout\\\")\"")
    })
}

/// Map an aggregation name (`dc`, `distinct_count`, `perc95`, `p50`, `avg`, ...) to its function.
/// The registry decides which names exist (and reads the percentile forms); this only says
/// which operator runs each implemented one.
pub fn agg_func(name: &str) -> Option<AggFunc> {
    let (spec, perc) = spelunk_syntax::registry::aggregate(name)?;
    if let Some(p) = perc {
        return Some(AggFunc::Perc(p));
    }
    if !spec.implemented {
        return None;
    }
    Some(match spec.name {
        "count" | "c" => AggFunc::Count,
        "dc" | "distinct_count" => AggFunc::DistinctCount,
        "values" => AggFunc::Values,
        "list" => AggFunc::List,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "sum" => AggFunc::Sum,
        "avg" | "mean" => AggFunc::Avg,
        "median" => AggFunc::Median,
        "mode" => AggFunc::Mode,
        "stdev" => AggFunc::Stdev,
        "stdevp" => AggFunc::Stdevp,
        "var" => AggFunc::Var,
        "varp" => AggFunc::Varp,
        "range" => AggFunc::Range,
        "first" => AggFunc::First,
        "last" => AggFunc::Last,
        "earliest" => AggFunc::Earliest,
        "latest" => AggFunc::Latest,
        _ => return None,
    })
}

#[cfg(test)]
mod agg_tests {
    use super::*;
    use spelunk_syntax::registry::{FunctionKind, FUNCTIONS};

    #[test]
    fn every_implemented_aggregate_has_an_operator() {
        for f in FUNCTIONS.iter().filter(|f| f.kind == FunctionKind::Aggregate && f.implemented) {
            let name = if ["perc", "exactperc", "upperperc"].contains(&f.name) { format!("{}95", f.name) } else { f.name.to_string() };
            assert!(agg_func(&name).is_some(), "registry lists {name} as implemented but no operator runs it");
        }
        assert_eq!(agg_func("p50"), Some(AggFunc::Perc(50.0)));
        assert_eq!(agg_func("earliest_time"), None);
        assert_eq!(agg_func("nosuch"), None);
    }
}

fn lower_bin(b: &ast::BinCommand) -> Result<BinSpec, SplError> {
    let mut spec = BinSpec { field: b.field.name.clone(), alias: b.alias.as_ref().map(|a| a.name.clone()), span: None, bins: None, start: None, end: None, aligntime: None, minspan: None };
    let mut span_unit = String::new();
    let mut align: Option<&ast::OptionArg> = None;
    for o in &b.options {
        match o.key.name.as_str() {
            "span" => {
                spec.span = Some(parse_span(&o.value)?);
                span_unit = o.value.text.trim().trim_start_matches(|c: char| c.is_ascii_digit() || c == '.').to_ascii_lowercase();
            }
            "bins" => spec.bins = Some(o.value.text.parse().ok().filter(|n: &usize| *n >= 1).ok_or_else(|| invalid(&o.value, "a whole number of bins, at least 1"))?),
            "minspan" => spec.minspan = Some(parse_span(&o.value)?),
            "start" => spec.start = Some(o.value.text.parse().map_err(|_| invalid(&o.value, "a number"))?),
            "end" => spec.end = Some(o.value.text.parse().map_err(|_| invalid(&o.value, "a number"))?),
            "aligntime" => {
                spec.aligntime = Some(match o.value.text.to_ascii_lowercase().as_str() {
                    "earliest" => AlignTime::Earliest,
                    "latest" => AlignTime::Latest,
                    "" => return Err(invalid(&o.value, "earliest, latest or a time such as @d+3h")),
                    _ => AlignTime::Time(o.value.text.clone()),
                });
                align = Some(o);
            }
            k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`bin` has no option `{k}`")).with_help("bin takes span=, bins=, minspan=, start=, end=, aligntime=")),
        }
    }
    if let Some(o) = align {
        // "valid only when doing a time-based discretization": _time, or a span with a time unit
        if spec.field != "_time" && span_unit.is_empty() {
            return Err(SplError::new(ErrorCode::InvalidOption, o.span, format!("`aligntime=` only applies to time bins, and `{}` is binned as a number", spec.field))
                .with_help("bin _time, or give a span with a time unit such as span=1h"));
        }
        // "Ignored if span is in days, months, or years"
        if matches!(span_unit.as_str(), "d" | "day" | "days") || matches!(spec.span, Some(BinSpan::Months(_))) {
            spec.aligntime = None;
        }
    }
    if spec.span.is_none() && spec.bins.is_none() {
        spec.bins = Some(100);
    }
    Ok(spec)
}

/// Parse a bin span: `1h`, `30m`, `15s`, `1d`, `2w`, `1mon`, `1q`, `1y`, `100ms`, or a plain number.
pub fn parse_span(v: &ast::Value) -> Result<BinSpan, SplError> {
    let t = v.text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = if num.is_empty() { 1.0 } else { num.parse().map_err(|_| invalid(v, "a span such as 1h, 30m, 1d"))? };
    // `[<num>]log[<base>]` (Search Reference, bin: log-span): the coefficient is >= 1 and below
    // the base, the base above 1 (10 when left out); valid, but spelunk does not run it yet
    if let Some(base) = unit.to_ascii_lowercase().strip_prefix("log") {
        let b: f64 = if base.is_empty() { 10.0 } else { base.parse().map_err(|_| invalid(v, "a log span `[<coefficient>]log[<base>]` such as log10 or 2log10"))? };
        if !(b > 1.0) || !(1.0..b).contains(&n) {
            return Err(invalid(v, "a log span whose base is above 1 and whose coefficient is at least 1 and below the base"));
        }
        return Err(SplError::new(ErrorCode::UnsupportedCommand, v.span, format!("the log span `{t}` is valid SPL but spelunk does not run it yet")).with_help("use a fixed span (span=10) or bins=N"));
    }
    if n <= 0.0 {
        return Err(invalid(v, "a positive span"));
    }
    let secs = match unit.to_ascii_lowercase().as_str() {
        "" => return Ok(BinSpan::Width(n)),
        "s" | "sec" | "secs" | "second" | "seconds" => n,
        "ms" => n / 1_000.0,
        "us" => n / 1_000_000.0,
        "cs" => n / 100.0,
        "ds" => n / 10.0,
        "m" | "min" | "mins" | "minute" | "minutes" => n * 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => n * 3600.0,
        "d" | "day" | "days" => n * 86400.0,
        "w" | "week" | "weeks" => n * 7.0 * 86400.0,
        "mon" | "month" | "months" => return Ok(BinSpan::Months(n as u32)),
        "q" | "qtr" | "qtrs" | "quarter" | "quarters" => return Ok(BinSpan::Months(3 * n as u32)),
        "y" | "yr" | "yrs" | "year" | "years" => return Ok(BinSpan::Months(12 * n as u32)),
        _ => return Err(invalid(v, "a span unit: s, m, h, d, w, mon, q, y (or ms, us)")),
    };
    Ok(BinSpan::Width(secs))
}

fn lower_convert(c: &ast::ConvertCommand) -> Result<ConvertSpec, SplError> {
    let mut timeformat = "%m/%d/%Y %H:%M:%S".to_string();
    for o in &c.options {
        match o.key.name.as_str() {
            "timeformat" => timeformat = o.value.text.clone(),
            k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`convert` has no option `{k}`")).with_help("convert takes timeformat=")),
        }
    }
    let mut conversions = Vec::new();
    for cv in &c.conversions {
        let func = match cv.func.name.to_ascii_lowercase().as_str() {
            "ctime" => ConvertFunc::Ctime,
            "mktime" => ConvertFunc::Mktime,
            "dur2sec" => ConvertFunc::Dur2sec,
            "sec2dur" => ConvertFunc::Sec2dur,
            "num" => ConvertFunc::Num,
            "auto" => ConvertFunc::Auto,
            "rmunit" => ConvertFunc::Rmunit,
            "rmcomma" => ConvertFunc::Rmcomma,
            "memk" => ConvertFunc::Memk,
            "none" => ConvertFunc::None,
            other => {
                let names = ["ctime", "mktime", "dur2sec", "sec2dur", "num", "auto", "rmunit", "rmcomma", "memk", "none"];
                let mut e = SplError::new(ErrorCode::UnknownFunction, cv.func.span, format!("unknown convert function `{other}`"));
                e = e.with_help(match did_you_mean(other, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("convert functions: {}", names.join(", ")),
                });
                return Err(e);
            }
        };
        conversions.push(Conversion { func, field: cv.field.name.clone(), alias: cv.alias.as_ref().map(|a| a.name.clone()) });
    }
    Ok(ConvertSpec { timeformat, conversions })
}

fn lower_generic(cmd: &Command, name: &str, args: &[Arg]) -> Result<Op, SplError> {
    let words = || args.iter().filter_map(|a| match a { Arg::Word(v) => Some(v), _ => None });
    Ok(match name {
        "fields" => {
            let mut remove = false;
            let mut patterns = Vec::new();
            for a in args {
                match a {
                    Arg::Word(v) if !v.quoted && v.text == "-" => remove = true,
                    Arg::Word(v) if !v.quoted && v.text == "+" => remove = false,
                    Arg::Operator { op, .. } if op == "-" => remove = true,
                    Arg::Word(v) => {
                        if let Some(rest) = v.text.strip_prefix('-').filter(|_| !v.quoted && patterns.is_empty()) {
                            remove = true;
                            if !rest.is_empty() {
                                patterns.push(rest.to_string());
                            }
                        } else if let Some(rest) = v.text.strip_prefix('+').filter(|_| !v.quoted && patterns.is_empty()) {
                            if !rest.is_empty() {
                                patterns.push(rest.to_string());
                            }
                        } else {
                            patterns.push(v.text.clone());
                        }
                    }
                    Arg::Comma(_) => {}
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            if patterns.is_empty() {
                return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, "`fields` needs at least one field name"));
            }
            Op::Fields { remove, patterns }
        }
        "table" => {
            let patterns: Vec<String> = words().map(|v| v.text.clone()).collect();
            Op::Table(patterns)
        }
        "head" | "tail" => {
            let mut n = 10usize;
            let (mut cond, mut null, mut keeplast) = (None, false, false);
            for a in args {
                match a {
                    Arg::Word(v) => {
                        n = v.text.parse().map_err(|_| invalid(v, "a whole number of rows"))?;
                    }
                    Arg::Option(o) if o.key.name == "limit" => {
                        n = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number of rows"))?;
                    }
                    // `head (<eval-expression>)`: the group printed back to SPL is the expression
                    Arg::Group { span, .. } if name == "head" && cond.is_none() => {
                        let text = a.to_string();
                        let e = spelunk_syntax::parse_expr(&text).map_err(|e| SplError::new(ErrorCode::InvalidArgument, *span, format!("`head` takes an eval expression in parentheses: {}", e.message)))?;
                        cond = Some(e);
                    }
                    Arg::Option(o) if name == "head" && (o.key.name == "null" || o.key.name == "keeplast") => {
                        let b = parse_bool(&o.value)?;
                        if o.key.name == "null" {
                            null = b;
                        } else {
                            keeplast = b;
                        }
                    }
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            if let Some(expr) = cond {
                // the count (10 by default) still caps the rows: the smaller limit wins
                return Ok(Op::HeadWhile { expr, null, keeplast, limit: Some(n) });
            }
            if name == "head" {
                Op::Head(n)
            } else {
                Op::Tail(n)
            }
        }
        "reverse" => Op::Reverse,
        "sort" => lower_sort(args, cmd.span)?,
        "dedup" => {
            let mut fields = Vec::new();
            let mut keep = 1;
            let mut keepempty = false;
            let mut consecutive = false;
            let mut sortby = Vec::new();
            for (i, a) in args.iter().enumerate() {
                match a {
                    // `sortby <sort-by-clause>` ends the command: the kept rows are then sorted
                    Arg::Word(v) if !v.quoted && v.text.eq_ignore_ascii_case("sortby") => {
                        let sorted = lower_sort(&args[i + 1..], v.span).map_err(|e| match e.code {
                            ErrorCode::MissingArgument => SplError::new(ErrorCode::MissingArgument, v.span, "`sortby` needs at least one field"),
                            _ => e,
                        })?;
                        if let Op::Sort { keys, .. } = sorted {
                            sortby = keys;
                        }
                        if sortby.is_empty() {
                            return Err(SplError::new(ErrorCode::MissingArgument, v.span, "`sortby` needs at least one field"));
                        }
                        break;
                    }
                    Arg::Word(v) => match v.text.parse::<usize>() {
                        Ok(n) if fields.is_empty() && !v.quoted => keep = n,
                        _ => fields.push(v.text.clone()),
                    },
                    Arg::Option(o) if o.key.name == "keepempty" => keepempty = parse_bool(&o.value)?,
                    Arg::Option(o) if o.key.name == "consecutive" => consecutive = parse_bool(&o.value)?,
                    // keepevents=true keeps every event and only clears the duplicates' fields
                    Arg::Option(o) if o.key.name == "keepevents" => {
                        if parse_bool(&o.value)? {
                            return Err(SplError::new(ErrorCode::UnsupportedCommand, o.span, "`dedup keepevents=true` is valid SPL but spelunk does not run it yet").with_help("leave keepevents out (the default is false): duplicates are then dropped"));
                        }
                    }
                    Arg::Comma(_) => {}
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            if fields.is_empty() {
                return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, "`dedup` needs at least one field"));
            }
            Op::Dedup { fields, keep, keepempty, consecutive, sortby }
        }
        "fillnull" => {
            let mut value = "0".to_string();
            let mut fields = Vec::new();
            for a in args {
                match a {
                    Arg::Option(o) if o.key.name == "value" => value = o.value.text.clone(),
                    Arg::Word(v) => fields.push(v.text.clone()),
                    Arg::Comma(_) => {}
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            Op::FillNull { value, fields }
        }
        "top" | "rare" => Op::Top(lower_top(cmd, name, args)?),
        "mvexpand" => {
            let mut field = None;
            let mut limit = None;
            for a in args {
                match a {
                    Arg::Word(v) if field.is_none() => field = Some(v.text.clone()),
                    Arg::Option(o) if o.key.name == "limit" => {
                        let n: usize = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number"))?;
                        limit = (n > 0).then_some(n);
                    }
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            let field = field.ok_or_else(|| SplError::new(ErrorCode::MissingArgument, cmd.span, "`mvexpand` needs a field"))?;
            Op::MvExpand { field, limit }
        }
        "mvcombine" => {
            let mut field = None;
            let mut delim = " ".to_string();
            for a in args {
                match a {
                    Arg::Word(v) if field.is_none() => field = Some(v.text.clone()),
                    Arg::Option(o) if o.key.name == "delim" => delim = o.value.text.clone(),
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            let field = field.ok_or_else(|| SplError::new(ErrorCode::MissingArgument, cmd.span, "`mvcombine` needs a field"))?;
            Op::MvCombine { field, delim }
        }
        "makemv" => {
            let mut field = None;
            let mut delim = None;
            let mut tokenizer = None;
            let mut allowempty = false;
            for a in args {
                match a {
                    Arg::Word(v) if field.is_none() => field = Some(v.text.clone()),
                    Arg::Option(o) => match o.key.name.as_str() {
                        "delim" => delim = Some(o.value.text.clone()),
                        "tokenizer" => tokenizer = Some(o.value.text.clone()),
                        "allowempty" => allowempty = parse_bool(&o.value)?,
                        "setsv" => {}
                        k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`makemv` has no option `{k}`")).with_help("makemv takes delim=, tokenizer=, allowempty=, setsv=")),
                    },
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            let field = field.ok_or_else(|| SplError::new(ErrorCode::MissingArgument, cmd.span, "`makemv` needs a field"))?;
            Op::MakeMv { field, delim, tokenizer, allowempty }
        }
        "rex" => {
            let mut field = "_raw".to_string();
            let mut regex = None;
            let mut max_match = 1usize;
            let mut sed = false;
            for a in args {
                match a {
                    Arg::Word(v) if regex.is_none() => regex = Some((v.text.clone(), v.span)),
                    Arg::Option(o) => match o.key.name.as_str() {
                        "field" => field = o.value.text.clone(),
                        "max_match" => max_match = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number (0 for no limit)"))?,
                        "mode" if o.value.text == "sed" => sed = true,
                        "mode" => return Err(invalid(&o.value, "`sed`")),
                        "offset_field" => {
                            return Err(SplError::new(ErrorCode::UnsupportedCommand, o.span, "`rex offset_field=` is valid SPL but spelunk does not run it yet").with_help("leave offset_field out"));
                        }
                        k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`rex` has no option `{k}`")).with_help("rex takes field=, max_match=, mode=sed, offset_field=")),
                    },
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            let (regex, span) = regex.ok_or_else(|| SplError::new(ErrorCode::MissingArgument, cmd.span, "`rex` needs a regular expression in double quotes"))?;
            if !sed && !regex.contains("(?<") && !regex.contains("(?P<") {
                return Err(SplError::new(ErrorCode::InvalidArgument, span, "the `rex` regular expression has no named group").with_help("name the part to extract: (?<field>...)"));
            }
            Op::Rex { field, regex, max_match, sed }
        }
        "regex" => {
            // forms: `regex "re"` (on _raw), `regex f="re"`, `regex f!="re"`
            let mut field = "_raw".to_string();
            let mut negate = false;
            let mut regex = None;
            let mut words: Vec<&ast::Value> = Vec::new();
            for a in args {
                match a {
                    Arg::Option(o) => {
                        field = o.key.name.clone();
                        regex = Some(o.value.text.clone());
                    }
                    Arg::Word(v) => words.push(v),
                    Arg::Operator { op, .. } if op == "!=" || op == "=" => negate = op == "!=",
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            match words.as_slice() {
                [] => {}
                [re] if regex.is_none() => regex = Some(re.text.clone()),
                [f, re] if regex.is_none() => {
                    field = f.text.clone();
                    regex = Some(re.text.clone());
                }
                _ => return Err(SplError::new(ErrorCode::InvalidArgument, cmd.span, "`regex` takes one regular expression: regex [<field>=|<field>!=]\"<regex>\"")),
            }
            let regex = regex.ok_or_else(|| SplError::new(ErrorCode::MissingArgument, cmd.span, "`regex` needs a regular expression"))?;
            Op::Regex { field, regex, negate }
        }
        "spath" => {
            let mut input = "_raw".to_string();
            let mut output = None;
            let mut path = None;
            for a in args {
                match a {
                    Arg::Option(o) => match o.key.name.as_str() {
                        "input" => input = o.value.text.clone(),
                        "output" => output = Some(o.value.text.clone()),
                        "path" => path = Some(o.value.text.clone()),
                        k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`spath` has no option `{k}`")).with_help("spath takes input=, output=, path=")),
                    },
                    Arg::Word(v) if path.is_none() => path = Some(v.text.clone()),
                    other => return Err(unexpected_arg(name, other)),
                }
            }
            Op::Spath { input, output, path }
        }
        other => {
            return Err(SplError::new(ErrorCode::UnsupportedCommand, cmd.name.span, format!("`{other}` is valid SPL but spelunk does not run it yet")));
        }
    })
}

/// `top [N] [options] <field-list> [by <field-list>]` and `rare [options] <field-list> [by ...]`
/// (Splunk's Top and Rare pages: `rare` takes countfield=, limit=, percentfield=, showcount=,
/// showperc=; `top` also a leading N, useother= and otherstr=).
fn lower_top(cmd: &Command, name: &str, args: &[Arg]) -> Result<TopSpec, SplError> {
    let rare = name == "rare";
    let mut spec = TopSpec {
        fields: Vec::new(),
        by: Vec::new(),
        limit: 10,
        rare,
        countfield: "count".into(),
        percentfield: "percent".into(),
        showcount: true,
        showperc: true,
        useother: false,
        otherstr: "OTHER".into(),
    };
    let mut in_by = false;
    for a in args {
        match a {
            Arg::Word(v) if !v.quoted && v.text.eq_ignore_ascii_case("by") => {
                if spec.fields.is_empty() {
                    return Err(SplError::new(ErrorCode::MissingArgument, v.span, format!("`{name}` needs the fields to count before `by`")).with_label("no fields before this"));
                }
                in_by = true;
            }
            Arg::Word(v) if in_by => spec.by.push(v.text.clone()),
            // `top N fields`: a leading whole number is the limit
            Arg::Word(v) if !v.quoted && spec.fields.is_empty() && !v.text.is_empty() && v.text.chars().all(|c| c.is_ascii_digit()) => {
                if rare {
                    return Err(SplError::new(ErrorCode::InvalidArgument, v.span, format!("`rare` takes no leading count: write `rare limit={} ...`", v.text)).with_label("a count, not a field"));
                }
                spec.limit = v.text.parse().map_err(|_| invalid(v, "a whole number of rows"))?;
            }
            Arg::Word(v) => spec.fields.push(v.text.clone()),
            Arg::Option(o) => match o.key.name.as_str() {
                "limit" => spec.limit = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number (0 for every value)"))?,
                "countfield" => spec.countfield = o.value.text.clone(),
                "percentfield" => spec.percentfield = o.value.text.clone(),
                "showcount" => spec.showcount = parse_bool(&o.value)?,
                "showperc" => spec.showperc = parse_bool(&o.value)?,
                "useother" if !rare => spec.useother = parse_bool(&o.value)?,
                "otherstr" if !rare => spec.otherstr = o.value.text.clone(),
                k => {
                    let takes = if rare { "rare takes countfield=, limit=, percentfield=, showcount=, showperc=" } else { "top takes countfield=, limit=, otherstr=, percentfield=, showcount=, showperc=, useother=" };
                    return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`{name}` has no option `{k}`")).with_help(takes));
                }
            },
            Arg::Comma(_) => {}
            other => return Err(unexpected_arg(name, other)),
        }
    }
    if spec.fields.is_empty() {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, format!("`{name}` needs at least one field")));
    }
    if in_by && spec.by.is_empty() {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, format!("`{name} ... by` needs at least one field to group by")));
    }
    Ok(spec)
}

fn lower_sort(args: &[Arg], span: Span) -> Result<Op, SplError> {
    let mut keys = Vec::new();
    let mut limit = Some(10_000usize);
    let mut pending_desc: Option<bool> = None;
    let mut global_desc = false;
    for (i, a) in args.iter().enumerate() {
        match a {
            Arg::Word(v) if i == 0 && !v.quoted && v.text.chars().all(|c| c.is_ascii_digit()) => {
                let n: usize = v.text.parse().map_err(|_| invalid(v, "a whole number"))?;
                limit = if n == 0 { None } else { Some(n) };
            }
            Arg::Option(o) if o.key.name == "limit" => {
                let n: usize = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number"))?;
                limit = if n == 0 { None } else { Some(n) };
            }
            Arg::Operator { op, .. } if op == "-" || op == "+" => pending_desc = Some(op == "-"),
            Arg::Word(v) if !v.quoted && (v.text == "-" || v.text == "+") => pending_desc = Some(v.text == "-"),
            Arg::Word(v) if !v.quoted && (v.text == "d" || v.text == "desc") && !keys.is_empty() => global_desc = true,
            Arg::Word(v) => {
                let (desc, name) = if let Some(r) = v.text.strip_prefix('-').filter(|_| !v.quoted) {
                    (true, r.to_string())
                } else if let Some(r) = v.text.strip_prefix('+').filter(|_| !v.quoted) {
                    (false, r.to_string())
                } else {
                    (pending_desc.take().unwrap_or(false), v.text.clone())
                };
                keys.push(SortKey { field: name, descending: desc, mode: SortMode::Auto });
            }
            Arg::Call { name, args: inner, .. } => {
                // `-str(f)` / `+num(f)`: the direction may be glued to the function name
                let lower = name.name.to_ascii_lowercase();
                let (sign, func) = match lower.strip_prefix('-') {
                    Some(f) => (Some(true), f),
                    None => match lower.strip_prefix('+') {
                        Some(f) => (Some(false), f),
                        None => (None, lower.as_str()),
                    },
                };
                if sign.is_some() {
                    pending_desc = sign;
                }
                let mode = match func {
                    "num" => SortMode::Num,
                    "str" => SortMode::Str,
                    "ip" => SortMode::Ip,
                    "auto" => SortMode::Auto,
                    other => return Err(SplError::new(ErrorCode::UnknownFunction, name.span, format!("sort has no `{other}()`; use num(), str(), ip() or auto()"))),
                };
                let field = inner.iter().find_map(|x| if let Arg::Word(v) = x { Some(v.text.clone()) } else { None });
                let Some(field) = field else {
                    return Err(SplError::new(ErrorCode::MissingArgument, name.span, "expected a field name inside the parentheses"));
                };
                let (desc, field) = match field.strip_prefix('-') {
                    Some(r) => (true, r.to_string()),
                    None => (pending_desc.take().unwrap_or(false), field),
                };
                keys.push(SortKey { field, descending: desc, mode });
            }
            Arg::Comma(_) => {}
            other => return Err(unexpected_arg("sort", other)),
        }
    }
    if keys.is_empty() {
        return Err(SplError::new(ErrorCode::MissingArgument, span, "sort needs at least one field to sort by").with_help("for example `sort - count` or `sort 0 str(user)`"));
    }
    if global_desc {
        for k in &mut keys {
            k.descending = !k.descending;
        }
    }
    Ok(Op::Sort { keys, limit })
}

/// The largest `streamstats window=` (Splunk's limits.conf `max_stream_window` default).
pub const MAX_STREAM_WINDOW: usize = 10_000;

/// The most results `makeresults count=N` generates (Splunk documents no maximum; beyond this a
/// run would not finish, so it is refused up front).
pub const MAKERESULTS_MAX: usize = 100_000_000;

fn option_usize(args: &[Arg], key: &str) -> Result<Option<usize>, SplError> {
    for a in args {
        if let Arg::Option(o) = a {
            if o.key.name == key {
                return o.value.text.parse().map(Some).map_err(|_| invalid(&o.value, "a whole number"));
            }
        }
    }
    Ok(None)
}

fn parse_bool(v: &ast::Value) -> Result<bool, SplError> {
    match v.text.to_ascii_lowercase().as_str() {
        "t" | "true" | "1" | "yes" => Ok(true),
        "f" | "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(v, "true or false")),
    }
}

fn invalid(v: &ast::Value, expected: &str) -> SplError {
    SplError::new(ErrorCode::InvalidOption, v.span, format!("invalid value `{}`: expected {}", v.text, expected))
}

fn unexpected_arg(cmd: &str, a: &Arg) -> SplError {
    let span = arg_span(a);
    SplError::new(ErrorCode::InvalidArgument, span, format!("unexpected argument `{}` for `{}`", a, cmd))
}

fn arg_span(a: &Arg) -> Span {
    match a {
        Arg::Option(o) => o.span,
        Arg::Word(v) => v.span,
        Arg::Comma(s) => *s,
        Arg::Call { span, .. } | Arg::Group { span, .. } | Arg::Operator { span, .. } => *span,
        Arg::Subsearch(p) => p.span,
    }
}

// ---------------------------------------------------------------------------------------------
// append, join, lookup, inputlookup

/// Splunk's limit on the subsearch results `join` uses (limits.conf `[join] subsearch_maxout`)
/// and the default `maxout=` of `append`.
pub const SUBSEARCH_MAXOUT: usize = 50_000;

/// Splunk's limit on the results of a subsearch inside a search (`search ... [subsearch]`),
/// which become its search terms: limits.conf `[subsearch] maxout`, 10,000 by default.
pub const SEARCH_SUBSEARCH_MAXOUT: usize = 10_000;

/// Default `max=` of `inputlookup`: rows read from the file.
pub const INPUTLOOKUP_MAX: usize = 1_000_000_000;

/// May this generating command appear after the first command? (`inputlookup append=t`)
fn generates_mid_pipeline(cmd: &Command) -> bool {
    let CommandKind::Generic(args) = &cmd.kind else { return false };
    cmd.name.name.eq_ignore_ascii_case("inputlookup")
        && args.iter().any(|a| matches!(a, Arg::Option(o) if o.key.name == "append" && parse_bool(&o.value).unwrap_or(false)))
}

/// Lower `append`, `join`, `lookup` or `inputlookup`. `next_sub` is the id the next subsearch of
/// this plan gets.
fn lower_combine(cmd: &Command, name: &str, args: &[Arg], next_sub: usize) -> Result<Op, SplError> {
    match name {
        "append" => lower_append(cmd, args, next_sub),
        "join" => lower_join(cmd, args, next_sub),
        "lookup" => lower_lookup(cmd, args),
        "search" => lower_search_subsearch(cmd, args, next_sub),
        _ => lower_inputlookup(cmd, args),
    }
}

/// `search ... [subsearch] ...`: the search expression is read with a placeholder term where
/// the subsearch is; the engine puts the subsearch's formatted results there (Search Manual,
/// "Change the format of subsearch results").
fn lower_search_subsearch(cmd: &Command, args: &[Arg], id: usize) -> Result<Op, SplError> {
    let sub = lower_subsearch(cmd, "search", args, id, SEARCH_SUBSEARCH_MAXOUT)?;
    let text: Vec<String> = args.iter().map(|a| if matches!(a, Arg::Subsearch(_)) { SUBSEARCH_PLACEHOLDER.to_string() } else { a.to_string() }).collect();
    let ast = spelunk_syntax::parse_pipeline(&format!("search {}", text.join(" "))).map_err(|e| SplError::new(ErrorCode::UnsupportedCommand, cmd.span, format!("a search around a subsearch that spelunk cannot read: {}", e.message)))?;
    match ast.commands.into_iter().next().map(|c| c.kind) {
        Some(CommandKind::Search(Some(expr))) => Ok(Op::SearchSubsearch { expr, sub }),
        _ => Err(SplError::new(ErrorCode::UnsupportedCommand, cmd.span, "a search around a subsearch that spelunk cannot read")),
    }
}

/// The one subsearch of `append` / `join`, lowered with its own scan projection.
fn lower_subsearch(cmd: &Command, name: &str, args: &[Arg], id: usize, maxout: usize) -> Result<Subsearch, SplError> {
    let mut subs = args.iter().filter_map(|a| match a {
        Arg::Subsearch(p) => Some(p),
        _ => None,
    });
    let Some(p) = subs.next() else {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, format!("`{name}` needs a subsearch in square brackets"))
            .with_label("no subsearch")
            .with_help(if name == "join" { "e.g. `join user [search sourcetype=hr | fields user, dept]`" } else { "e.g. `append [search sourcetype=other | stats count]`" }));
    };
    if let Some(extra) = subs.next() {
        return Err(SplError::new(ErrorCode::InvalidArgument, extra.span, format!("`{name}` takes one subsearch")).with_label("second subsearch"));
    }
    let mut plan = lower(p)?;
    plan.projection = crate::projection::compute(&plan);
    Ok(Subsearch { id, plan: Box::new(plan), maxout })
}

fn lower_append(cmd: &Command, args: &[Arg], id: usize) -> Result<Op, SplError> {
    let mut maxout = SUBSEARCH_MAXOUT;
    for a in args {
        match a {
            Arg::Option(o) => match o.key.name.as_str() {
                "maxout" => maxout = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number of rows"))?,
                // no time limits offline; the subsearch's own time range is used as written
                "maxtime" | "timeout" => {
                    o.value.text.parse::<u64>().map_err(|_| invalid(&o.value, "a whole number of seconds"))?;
                }
                "extendtimerange" => {
                    parse_bool(&o.value)?;
                }
                k => {
                    return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`append` has no option `{k}`")).with_help("append takes extendtimerange=, maxtime=, maxout=, timeout="))
                }
            },
            Arg::Subsearch(_) => {}
            other => return Err(unexpected_arg("append", other)),
        }
    }
    Ok(Op::Append(lower_subsearch(cmd, "append", args, id, maxout)?))
}

fn lower_join(cmd: &Command, args: &[Arg], id: usize) -> Result<Op, SplError> {
    let mut spec = JoinSpec { fields: Vec::new(), kind: JoinType::Inner, max: 1, overwrite: true, usetime: false, earlier: true };
    for a in args {
        match a {
            Arg::Option(o) => match o.key.name.as_str() {
                "type" => {
                    spec.kind = match o.value.text.to_ascii_lowercase().as_str() {
                        "inner" => JoinType::Inner,
                        "left" | "outer" => JoinType::Left,
                        _ => return Err(invalid(&o.value, "inner, left or outer")),
                    }
                }
                "max" => spec.max = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number (0 for no limit)"))?,
                "overwrite" => spec.overwrite = parse_bool(&o.value)?,
                "usetime" => spec.usetime = parse_bool(&o.value)?,
                "earlier" => spec.earlier = parse_bool(&o.value)?,
                "left" | "right" => {
                    return Err(SplError::new(ErrorCode::UnsupportedCommand, o.span, "the `left=`/`right=` alias form of `join` is not supported yet")
                        .with_help("name the join fields instead: `join <field>... [subsearch]`"))
                }
                k => {
                    return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`join` has no option `{k}`")).with_help("join takes type=, max=, overwrite=, usetime=, earlier="))
                }
            },
            Arg::Word(v) if !v.quoted && v.text.eq_ignore_ascii_case("where") => {
                return Err(SplError::new(ErrorCode::UnsupportedCommand, v.span, "the `where` form of `join` is not supported yet")
                    .with_help("name the join fields instead: `join <field>... [subsearch]`"))
            }
            Arg::Word(v) => spec.fields.push(v.text.clone()),
            Arg::Comma(_) | Arg::Subsearch(_) => {}
            other => return Err(unexpected_arg("join", other)),
        }
    }
    let sub = lower_subsearch(cmd, "join", args, id, SUBSEARCH_MAXOUT)?;
    Ok(Op::Join { spec, sub })
}

/// `f [AS g]` pairs, as (f, g) with g = f when there is no AS; commas are separators.
fn field_pairs(words: &[&ast::Value], what: &str, cmd: &Command) -> Result<Vec<(String, String)>, SplError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if !w.quoted && w.text.eq_ignore_ascii_case("as") {
            return Err(SplError::new(ErrorCode::InvalidArgument, w.span, format!("`AS` needs a {what} before it")).with_label("nothing to rename"));
        }
        match words.get(i + 1) {
            Some(a) if !a.quoted && a.text.eq_ignore_ascii_case("as") => {
                let Some(to) = words.get(i + 2) else {
                    return Err(SplError::new(ErrorCode::MissingArgument, a.span, "`AS` needs a field name after it").with_label("name missing"));
                };
                out.push((w.text.clone(), to.text.clone()));
                i += 3;
            }
            _ => {
                out.push((w.text.clone(), w.text.clone()));
                i += 1;
            }
        }
    }
    if out.is_empty() {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, format!("`lookup` needs a {what}")));
    }
    Ok(out)
}

fn lower_lookup(cmd: &Command, args: &[Arg]) -> Result<Op, SplError> {
    let mut table: Option<&ast::Value> = None;
    let mut inputs: Vec<&ast::Value> = Vec::new();
    let mut outputs: Vec<&ast::Value> = Vec::new();
    let mut clause: Option<(bool, Span)> = None; // (OUTPUTNEW, span of the keyword)
    for a in args {
        match a {
            Arg::Option(o) => match o.key.name.as_str() {
                // search-head placement and real-time reloads mean nothing offline
                "local" | "update" => {
                    parse_bool(&o.value)?;
                }
                "event_time_field" => {
                    return Err(SplError::new(ErrorCode::UnsupportedCommand, o.span, "time-based lookups (`event_time_field=`) are not supported yet"))
                }
                k => return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`lookup` has no option `{k}`")).with_help("lookup takes local= and update=")),
            },
            Arg::Word(v) if table.is_none() => table = Some(v),
            Arg::Word(v) if !v.quoted && (v.text.eq_ignore_ascii_case("output") || v.text.eq_ignore_ascii_case("outputnew")) => {
                if clause.is_some() {
                    return Err(SplError::new(ErrorCode::InvalidArgument, v.span, "`lookup` takes one OUTPUT or OUTPUTNEW clause"));
                }
                clause = Some((v.text.eq_ignore_ascii_case("outputnew"), v.span));
            }
            Arg::Word(v) if clause.is_some() => outputs.push(v),
            Arg::Word(v) => inputs.push(v),
            Arg::Comma(_) => {}
            other => return Err(unexpected_arg("lookup", other)),
        }
    }
    let Some(table) = table else {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, "`lookup` needs a lookup table name").with_help("e.g. `lookup users.csv user OUTPUT department`"));
    };
    if inputs.is_empty() {
        return Err(SplError::new(ErrorCode::MissingArgument, table.span, "`lookup` needs a field to match after the table name")
            .with_label("no match field")
            .with_help(format!("e.g. `lookup {} user AS src_user`", table.text)));
    }
    let inputs = field_pairs(&inputs, "field to match", cmd)?;
    let (output_new, outputs) = match clause {
        None => (false, None),
        Some((new, span)) => {
            if outputs.is_empty() {
                return Err(SplError::new(ErrorCode::MissingArgument, span, format!("`{}` needs the fields to copy", if new { "OUTPUTNEW" } else { "OUTPUT" })).with_label("no fields after this"));
            }
            (new, Some(field_pairs(&outputs, "field to copy", cmd)?))
        }
    };
    Ok(Op::Lookup(LookupSpec { table: table.text.clone(), table_span: table.span, inputs, outputs, output_new }))
}

fn lower_inputlookup(cmd: &Command, args: &[Arg]) -> Result<Op, SplError> {
    let mut spec = InputLookupSpec { table: String::new(), table_span: cmd.span, start: 0, max: INPUTLOOKUP_MAX, append: false, filter: None };
    let mut table = None;
    for (k, a) in args.iter().enumerate() {
        match a {
            Arg::Option(o) => match o.key.name.as_str() {
                "append" => spec.append = parse_bool(&o.value)?,
                "start" => spec.start = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number (0 = the first row)"))?,
                "max" => spec.max = o.value.text.parse().map_err(|_| invalid(&o.value, "a whole number of rows"))?,
                "strict" => {
                    parse_bool(&o.value)?;
                }
                k => {
                    return Err(SplError::new(ErrorCode::InvalidOption, o.key.span, format!("`inputlookup` has no option `{k}`")).with_help("inputlookup takes append=, start=, max=, strict= and a where clause"))
                }
            },
            Arg::Word(v) if table.is_none() => table = Some(v),
            Arg::Word(v) if !v.quoted && v.text.eq_ignore_ascii_case("where") => {
                spec.filter = Some(where_clause(v, &args[k + 1..])?);
                break;
            }
            other => return Err(unexpected_arg("inputlookup", other)),
        }
    }
    let Some(table) = table else {
        return Err(SplError::new(ErrorCode::MissingArgument, cmd.span, "`inputlookup` needs a lookup table name").with_help("e.g. `| inputlookup users.csv`"));
    };
    spec.table = table.text.clone();
    spec.table_span = table.span;
    Ok(Op::InputLookup(spec))
}

/// The search expression after `inputlookup ... where`: the arguments printed back (with the
/// spacing they were written with) and parsed as a search.
fn where_clause(kw: &ast::Value, rest: &[Arg]) -> Result<SearchExpr, SplError> {
    let Some(last) = rest.last() else {
        return Err(SplError::new(ErrorCode::MissingArgument, kw.span, "`where` needs a search expression after it").with_label("nothing after this"));
    };
    let span = Span::new(arg_span(&rest[0]).start, arg_span(last).end);
    let mut text = String::new();
    let mut prev_end = None;
    for a in rest {
        let s = arg_span(a);
        if prev_end.is_some_and(|e| s.start > e) {
            text.push(' ');
        }
        text.push_str(&a.to_string());
        prev_end = Some(s.end);
    }
    let bad = |m: String| SplError::new(ErrorCode::InvalidArgument, span, format!("invalid where clause: {m}")).with_help("inputlookup's where takes a search expression: field=value, AND, OR, NOT, comparisons");
    let parsed = spelunk_syntax::parse_pipeline(&format!("search {text}")).map_err(|e| bad(e.message))?;
    match parsed.commands.as_slice() {
        [Command { kind: CommandKind::Search(Some(e)), .. }] => Ok(e.clone()),
        _ => Err(bad(format!("`{text}` is not a search expression"))),
    }
}

#[cfg(test)]
mod combine_tests {
    use super::*;

    fn plan(q: &str) -> Result<LogicalPlan, SplError> {
        let ast = spelunk_syntax::parse_pipeline(q).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        lower(&ast)
    }

    fn op(q: &str) -> Op {
        let p = plan(q).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        p.nodes.into_iter().find(|n| matches!(n.op, Op::Append(_) | Op::Join { .. } | Op::Lookup(_) | Op::InputLookup(_))).map(|n| n.op).unwrap_or_else(|| panic!("{q}: no combining node"))
    }

    fn err(q: &str) -> String {
        match plan(q) {
            Ok(p) => panic!("{q}: planned as {p}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn join_options_fields_and_subsearch_ids() {
        let Op::Join { spec, sub } = op("a | join user type=outer max=0 overwrite=f usetime=t earlier=f host, port [search b | fields user]") else { panic!() };
        assert_eq!(spec, JoinSpec { fields: vec!["user".into(), "host".into(), "port".into()], kind: JoinType::Left, max: 0, overwrite: false, usetime: true, earlier: false });
        assert_eq!((sub.id, sub.maxout), (0, SUBSEARCH_MAXOUT));
        // the subsearch has its own scan projection
        assert!(matches!(&sub.plan.projection, Projection::Fields(f) if f.contains("user") && !f.contains("host")));
        let p = plan("a | append [search b] | join k [search c]").unwrap();
        let ids: Vec<usize> = p.nodes.iter().filter_map(|n| n.op.subsearch().map(|s| s.id)).collect();
        assert_eq!(ids, [0, 1]);
        // the events are put in Splunk's order before the subsearch rows are merged in
        assert!(matches!(p.nodes[0].op, Op::Search(_)));
    }

    #[test]
    fn join_and_append_errors() {
        assert!(err("a | join user").contains("needs a subsearch"));
        assert!(err("a | join type=full user [search b]").contains("expected inner, left or outer"));
        assert!(err("a | join left=L right=R where L.x=R.y [search b]").contains("not supported"));
        assert!(err("a | join user [search b] [search c]").contains("one subsearch"));
        assert!(err("a | append nosuch=1 [search b]").contains("no option `nosuch`"));
        assert!(err("a | append [search b | nosuchcommand]").contains("unknown command"));
        let Op::Append(sub) = op("a | append maxout=7 maxtime=1 extendtimerange=t [search b]") else { panic!() };
        assert_eq!(sub.maxout, 7);
    }

    #[test]
    fn lookup_fields_as_and_output_clauses() {
        let Op::Lookup(l) = op("a | lookup local=t usertogroup user as local_user, host OUTPUTNEW group AS user_group dept") else { panic!() };
        assert_eq!(l.table, "usertogroup");
        assert_eq!(l.inputs, [("user".to_string(), "local_user".to_string()), ("host".into(), "host".into())]);
        assert_eq!(l.outputs, Some(vec![("group".to_string(), "user_group".to_string()), ("dept".into(), "dept".into())]));
        assert!(l.output_new);
        let Op::Lookup(l) = op("a | lookup t k") else { panic!() };
        assert_eq!((l.outputs, l.output_new), (None, false));
        assert!(err("a | lookup").contains("needs a lookup table name"));
        assert!(err("a | lookup t").contains("needs a field to match"));
        assert!(err("a | lookup t k OUTPUT").contains("needs the fields to copy"));
        assert!(err("a | lookup t k AS").contains("needs a field name after it"));
        assert!(err("a | lookup t k OUTPUT v OUTPUTNEW w").contains("one OUTPUT or OUTPUTNEW"));
    }

    #[test]
    fn inputlookup_generates_or_appends() {
        let p = plan("| inputlookup max=5 start=2 users.csv where dept=it* OR level>3").unwrap();
        assert_eq!(p.source, Source::MakeResults { count: 0 });
        let Op::InputLookup(l) = &p.nodes[0].op else { panic!() };
        assert_eq!((l.table.as_str(), l.start, l.max, l.append), ("users.csv", 2, 5, false));
        assert_eq!(l.filter.as_ref().map(|f| f.to_string()).as_deref(), Some("dept=it* OR level>3"));
        let p = plan("a | inputlookup append=t users.csv").unwrap();
        assert_eq!(p.source, Source::Events);
        assert!(matches!(p.nodes.last().map(|n| &n.op), Some(Op::InputLookup(l)) if l.append));
        assert!(err("a | inputlookup users.csv").contains("must be the first command"));
        assert!(err("| inputlookup users.csv where").contains("needs a search expression"));
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn sort_at(q: &str) -> (Option<usize>, LogicalPlan) {
        let ast = spelunk_syntax::parse_pipeline(q).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        let p = lower(&ast).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        (p.time_sort_position(), p)
    }

    /// Splunk hands events over newest first; the engine sorts only where that order shows.
    #[test]
    fn events_are_sorted_only_where_order_matters() {
        assert_eq!(sort_at("* | stats count").0, None, "an aggregate needs no order");
        assert_eq!(sort_at("* | stats count by a | head 1").0, None, "head after stats sees stats' rows");
        assert_eq!(sort_at("* | head 3").0, Some(0));
        assert_eq!(sort_at("* | eval a=1 | dedup a").0, Some(1));
        assert_eq!(sort_at("* | mvcombine a").0, Some(0));
        assert_eq!(sort_at("* | sort a").0, Some(0), "ties keep the newest-first order");
        assert_eq!(sort_at("* | stats first(a)").0, Some(0));
        assert_eq!(sort_at("* | eval a=1").0, Some(1), "a list of events is shown newest first");
        assert_eq!(sort_at("| makeresults count=3 | head 1").0, None, "generated rows are not events");
    }

    #[test]
    fn the_planner_sorts_before_time_can_go_and_the_engine_then_does_not() {
        let (at, p) = sort_at("* | table a | head 1");
        assert!(matches!(p.nodes[0].op, Op::TimeOrder));
        assert_eq!(at, None);
        let text = p.to_string();
        assert!(!text.contains("(engine) sort"), "{text}");
        let (_, p) = sort_at("* | head 2");
        assert!(p.to_string().contains("-> (engine) sort events newest first (descending _time, stable): `head` depends on their order"));
        let (_, p) = sort_at("* | stats count");
        assert!(p.to_string().contains("order: no command depends on event order"));
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    fn op(q: &str) -> Result<Op, String> {
        let ast = spelunk_syntax::parse_pipeline(q).map_err(|e| e.message)?;
        let p = lower(&ast).map_err(|e| e.message)?;
        p.nodes.into_iter().rfind(|n| !matches!(n.op, Op::Search(_) | Op::TimeOrder)).map(|n| n.op).ok_or_else(|| "no node".to_string())
    }

    fn top(q: &str) -> TopSpec {
        match op(q) {
            Ok(Op::Top(t)) => t,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn top_leading_count_options_and_errors() {
        let t = top("a | top 5 user");
        assert_eq!((t.limit, t.fields.as_slice()), (5, ["user".to_string()].as_slice()));
        let t = top("a | top limit=0 showcount=f showperc=false useother=t otherstr=\"rest\" user, host by dept");
        assert_eq!((t.limit, t.showcount, t.showperc, t.useother, t.otherstr.as_str()), (0, false, false, true, "rest"));
        assert_eq!((t.fields.len(), t.by.as_slice()), (2, ["dept".to_string()].as_slice()));
        // a number after the first field is a field name
        assert_eq!(top("a | top user 5").fields, ["user", "5"]);
        let t = top("a | rare limit=3 showcount=f user");
        assert!(t.rare && !t.showcount && t.limit == 3);
        for (q, want) in [
            ("a | rare 3 user", "no leading count"),
            ("a | rare useother=t user", "no option `useother`"),
            ("a | rare otherstr=x user", "no option `otherstr`"),
            ("a | top usenull=f user", "no option `usenull`"),
            ("a | top showcount=maybe user", "true or false"),
            ("a | top 5", "at least one field"),
            ("a | top by host", "before `by`"),
        ] {
            let e = op(q).expect_err(q);
            assert!(e.contains(want), "{q}: {e}");
        }
    }

    #[test]
    fn sort_sign_before_the_function() {
        let keys = |q: &str| match op(q) {
            Ok(Op::Sort { keys, .. }) => keys.into_iter().map(|k| (k.field, k.descending, k.mode)).collect::<Vec<_>>(),
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(keys("a | sort -str(n)"), [("n".to_string(), true, SortMode::Str)]);
        assert_eq!(keys("a | sort +num(n), -ip(i), auto(v)"), [("n".to_string(), false, SortMode::Num), ("i".into(), true, SortMode::Ip), ("v".into(), false, SortMode::Auto)]);
        assert_eq!(keys("a | sort - num(n)"), [("n".to_string(), true, SortMode::Num)]);
        assert!(op("a | sort -len(n)").expect_err("len").contains("sort has no `len()`"));
    }

    #[test]
    fn streamstats_options() {
        let Ok(Op::Stats(s)) = op("a | streamstats window=3 global=f time_window=5m reset_on_change=t reset_before=\"(x=1)\" reset_after=\"(y>2)\" current=f count by h") else { panic!() };
        let o = &s.stream;
        assert_eq!((o.window, o.global, o.time_window, o.reset_on_change, o.current), (Some(3), false, Some(300.0), true, false));
        assert_eq!(o.reset_before.as_ref().map(|e| e.to_string()).as_deref(), Some("(x = 1)"));
        assert!(o.reset_after.is_some());
        // the expression's spans point into the query
        let q = "a | streamstats reset_after=\"(y>2)\" count";
        let Ok(Op::Stats(s)) = op(q) else { panic!() };
        let sp = s.stream.reset_after.map(|e| e.span).unwrap_or_default();
        assert_eq!(&q[sp.start..sp.end], "(y>2)");
        for (q, want) in [
            ("a | streamstats partitions=2 count", "does not take the option `partitions`"),
            ("a | streamstats allnum=t count", "not supported"),
            ("a | streamstats time_window=1mon count", "months vary"),
            ("a | streamstats reset_after=\"(x>\" count", "invalid expression"),
            ("a | stats window=2 count", "does not take the option `window`"),
            ("a | eventstats reset_on_change=t count", "does not take the option"),
        ] {
            let e = op(q).expect_err(q);
            assert!(e.contains(want), "{q}: {e}");
        }
        // stats keeps accepting the options it ignores
        assert!(op("a | stats allnum=t partitions=2 count").is_ok());
    }

    #[test]
    fn bin_aligntime() {
        let align = |q: &str| match op(q) {
            Ok(Op::Bin(b)) => b.aligntime,
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(align("a | bin _time span=12h aligntime=@d+3h"), Some(AlignTime::Time("@d+3h".into())));
        assert_eq!(align("a | bin _time span=1h aligntime=EARLIEST"), Some(AlignTime::Earliest));
        assert_eq!(align("a | bin _time aligntime=latest"), Some(AlignTime::Latest));
        assert_eq!(align("a | bin t span=1h aligntime=3600"), Some(AlignTime::Time("3600".into())));
        // ignored for spans in days, months or years
        for span in ["1d", "2days", "1mon", "1q", "1y"] {
            assert_eq!(align(&format!("a | bin _time span={span} aligntime=@d+3h")), None, "{span}");
        }
        assert!(op("a | bin n span=10 aligntime=@d").expect_err("numeric").contains("only applies to time bins"));
    }
}

#[cfg(test)]
mod argument_tests {
    use super::*;

    fn err(q: &str) -> String {
        let ast = spelunk_syntax::parse_pipeline(q).unwrap_or_else(|e| panic!("{q}: {}", e.message));
        match lower(&ast) {
            Ok(p) => panic!("{q}: planned as {p}"),
            Err(e) => e.message,
        }
    }

    /// Arguments that cannot mean anything are errors, not silently ignored.
    #[test]
    fn empty_or_impossible_arguments_are_errors() {
        assert!(err("* | bin v bins=0").contains("at least 1"));
        assert!(err("* | sort -").contains("at least one field"));
        assert!(err("* | sort 10").contains("at least one field"));
        assert!(err("* | dedup a sortby").contains("`sortby` needs at least one field"));
    }
}
