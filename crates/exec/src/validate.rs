//! Checks of a parsed query that need no data, run by `spelunk check` and by `run` before it
//! reads anything, so that a mistake the evaluator would only meet on the first matching event
//! is reported at once, pointing at the query text:
//!
//! - eval/where functions: unknown names (with the closest known one), the number of
//!   arguments ([`spelunk_syntax::registry::FunctionSpec::arity_error`], the evaluator's own
//!   check), and functions Splunk has that spelunk does not run yet;
//! - regular expressions written as literals: `match()`, `replace()` and `mvfind()` patterns,
//!   `rex` (and its `mode=sed` expression), `regex`, `makemv tokenizer=`, compiled as the
//!   operators compile them;
//! - `searchmatch()` search strings, parsed as the evaluator parses them;
//! - command names a few edits from a known command (`stast`), as typos.
//!
//! Findings coded [`ErrorCode::UnsupportedCommand`] are valid SPL spelunk cannot run (a
//! function it lacks, a PCRE-only regex construct); every other finding is an error.

use crate::ops::text::{parse_sed, Sed};
use spelunk_syntax::ast::{AggArg, Arg, CmpOp, CommandKind, Expr, ExprKind, Pipeline, SearchExpr, Span, Value};
use spelunk_syntax::diagnostics::did_you_mean;
use spelunk_syntax::registry::{self, FunctionKind};
use spelunk_syntax::{visit, ErrorCode, SplError};

/// Every finding of a pipeline and its subsearches, in query order. Spans point into the text
/// the pipeline was parsed from (the macro-expanded text).
pub fn pipeline(p: &Pipeline) -> Vec<SplError> {
    let mut out = Vec::new();
    check_pipeline(p, &mut out);
    out
}

/// Is this finding valid SPL that spelunk does not run (rather than an error)?
pub fn is_unsupported(e: &SplError) -> bool {
    e.code == ErrorCode::UnsupportedCommand
}

fn check_pipeline(p: &Pipeline, out: &mut Vec<SplError>) {
    for c in &p.commands {
        if let Some(s) = registry::command_typo(&c.name.name) {
            out.push(
                SplError::new(ErrorCode::UnknownCommand, c.name.span, format!("unknown command `{}`", c.name.name))
                    .with_label("not a command")
                    .with_help(format!("did you mean `{s}`?")),
            );
        }
        match &c.kind {
            CommandKind::Where(e) => expr(e, out),
            CommandKind::Eval(assignments) => {
                for a in assignments {
                    expr(&a.value, out);
                    boolean_assignment(&a.field.name, &a.value, out);
                }
            }
            CommandKind::Stats(s) => {
                for a in &s.aggs {
                    if let Some(AggArg::Eval(e)) = &a.arg {
                        expr(e, out);
                    }
                }
            }
            CommandKind::Generic(args) => {
                match c.name.name.to_ascii_lowercase().as_str() {
                    "rex" => rex(args, out),
                    "regex" => regex_command(args, out),
                    "makemv" => {
                        for a in args {
                            if let Arg::Option(o) = a {
                                if o.key.name == "tokenizer" {
                                    regex(&o.value.text, o.value.span, out);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                visit::walk_subsearches(args, &mut |sub| check_pipeline(sub, out));
            }
            CommandKind::Search(Some(e)) => time_modifiers(e, out),
            CommandKind::Bin(b) => {
                for o in b.options.iter().filter(|o| o.key.name.eq_ignore_ascii_case("aligntime")) {
                    let v = o.value.text.as_str();
                    if !v.eq_ignore_ascii_case("earliest") && !v.eq_ignore_ascii_case("latest") {
                        time_spec(v, o.value.span, "aligntime", out);
                    }
                }
            }
            CommandKind::Search(None) | CommandKind::Rename(_) | CommandKind::Convert(_) => {}
        }
    }
}

/// `earliest=` / `latest=` among the top-level terms of a search: the planner makes them the
/// time range, and an unreadable one would otherwise only fail when the run starts.
fn time_modifiers(e: &SearchExpr, out: &mut Vec<SplError>) {
    match e {
        SearchExpr::And(items, _) => items.iter().for_each(|i| time_modifiers(i, out)),
        SearchExpr::Compare { field, op: CmpOp::Eq, value, .. } if field.name == "earliest" || field.name == "latest" => {
            time_spec(&value.text, value.span, &field.name, out);
        }
        _ => {}
    }
}

/// A time as `earliest=`, `latest=` and `aligntime=` take it: relative (`-24h@h`, `@d+3h`,
/// `now`), epoch seconds or `%m/%d/%Y:%H:%M:%S`.
fn time_spec(text: &str, span: Span, what: &str, out: &mut Vec<SplError>) {
    if crate::time::relative_time(0.0, text).is_none() {
        out.push(
            SplError::new(ErrorCode::InvalidOption, span, format!("invalid {what} time `{text}`"))
                .with_label("not a time")
                .with_help("expected a relative time such as -24h, -7d@d, @h, @d+3h or now, epoch seconds, or %m/%d/%Y:%H:%M:%S"),
        );
    }
}

/// Eval functions whose result is a Boolean.
const BOOLEAN_FUNCTIONS: &[&str] = &["like", "match", "cidrmatch", "searchmatch", "isnull", "isnotnull", "isnum", "isstr", "isint", "isbool", "true", "false", "in"];

/// "The result of an eval expression cannot be a Boolean" (Search Reference, eval): a
/// comparison, `AND`/`OR`/`NOT`, `LIKE`, `IN` or a Boolean function assigned to a field is an
/// error; `if(<bool>, ...)` or `tostring(<bool>)` turn it into a value.
fn boolean_assignment(field: &str, e: &Expr, out: &mut Vec<SplError>) {
    use spelunk_syntax::ast::{BinaryOp, UnaryOp};
    let mut top = e;
    while let ExprKind::Paren(inner) = &top.kind {
        top = inner;
    }
    let boolean = match &top.kind {
        ExprKind::Binary { op, .. } => matches!(op, BinaryOp::Or | BinaryOp::Xor | BinaryOp::And | BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Like),
        ExprKind::Unary { op: UnaryOp::Not, .. } | ExprKind::In { .. } => true,
        ExprKind::Call { name, .. } => BOOLEAN_FUNCTIONS.contains(&name.name.to_ascii_lowercase().as_str()),
        _ => false,
    };
    if boolean {
        out.push(
            SplError::new(ErrorCode::InvalidArgument, e.span, format!("`{field}` cannot be assigned a Boolean result"))
                .with_label("a true/false result")
                .with_help("the result of an eval expression cannot be a Boolean: write if(<condition>, \"yes\", \"no\") or tostring(<condition>)"),
        );
    }
}

/// The function calls of an eval/where expression.
fn expr(e: &Expr, out: &mut Vec<SplError>) {
    visit::walk_expr(e, &mut |x| {
        let ExprKind::Call { name, args } = &x.kind else { return };
        let fname = name.name.to_ascii_lowercase();
        let Some(spec) = registry::function(&fname, FunctionKind::Eval) else {
            let err = SplError::new(ErrorCode::UnknownFunction, name.span, format!("unknown function `{}`", name.name)).with_label("not an eval function");
            let help = match did_you_mean(&fname, registry::function_names(FunctionKind::Eval)) {
                Some(s) => format!("did you mean `{s}()`?"),
                None if registry::aggregate(&fname).is_some() => format!("`{fname}` is a stats function; eval and where take eval functions (`spelunk help` lists them)"),
                None => "`spelunk help` lists the eval functions".to_string(),
            };
            out.push(err.with_help(help));
            return;
        };
        if let Some(m) = spec.arity_error(args.len()) {
            out.push(SplError::new(ErrorCode::FunctionArity, x.span, m).with_label(format!("{} argument(s) here", args.len())).with_help(format!("syntax: {}", spec.syntax)));
        }
        if !spec.implemented {
            out.push(
                SplError::new(ErrorCode::UnsupportedCommand, name.span, format!("`{}()` is valid SPL but spelunk does not run it yet", spec.name))
                    .with_label("not supported yet")
                    .with_help("`spelunk help` lists the functions spelunk runs"),
            );
        }
        let literal = |i: usize| match args.get(i) {
            Some(Expr { kind: ExprKind::Str(s), span }) => Some((s.as_str(), *span)),
            _ => None,
        };
        match fname.as_str() {
            "match" | "replace" | "mvfind" => {
                if let Some((p, span)) = literal(1) {
                    regex(p, span, out);
                }
            }
            "searchmatch" => {
                if let Some((q, span)) = literal(0) {
                    if let Err(e) = crate::eval::EvalContext::new(0.0).search(q, span) {
                        out.push(SplError::new(ErrorCode::InvalidArgument, span, e.message).with_label("not a search expression"));
                    }
                }
            }
            _ => {}
        }
    });
}

/// `rex [field=f] "(?<name>...)"`, `rex mode=sed "s/a/b/g"`: the pattern is the first word.
fn rex(args: &[Arg], out: &mut Vec<SplError>) {
    let mut pattern: Option<&Value> = None;
    let mut sed = false;
    for a in args {
        match a {
            Arg::Word(v) if pattern.is_none() => pattern = Some(v),
            Arg::Option(o) if o.key.name == "mode" && o.value.text == "sed" => sed = true,
            _ => {}
        }
    }
    let Some(v) = pattern else { return };
    if !sed {
        regex(&v.text, v.span, out);
        return;
    }
    match parse_sed(&v.text) {
        Ok(Sed::Subst { regex: re, .. }) => regex(&re, v.span, out),
        Ok(Sed::Translit { .. }) => {}
        Err(m) => out.push(SplError::new(ErrorCode::InvalidArgument, v.span, format!("invalid sed expression: {m}")).with_label("this sed expression").with_help("rex mode=sed takes s/<regex>/<replacement>/[g|N] or y/<from>/<to>/")),
    }
}

/// `regex "re"`, `regex f="re"`, `regex f!="re"`.
fn regex_command(args: &[Arg], out: &mut Vec<SplError>) {
    let mut pattern: Option<&Value> = None;
    let mut words: Vec<&Value> = Vec::new();
    for a in args {
        match a {
            Arg::Option(o) => pattern = Some(&o.value),
            Arg::Word(v) => words.push(v),
            _ => {}
        }
    }
    if pattern.is_none() && (1..=2).contains(&words.len()) {
        pattern = words.last().copied();
    }
    if let Some(v) = pattern {
        regex(&v.text, v.span, out);
    }
}

/// Compile a literal pattern as the operators do; report why it does not compile.
fn regex(pattern: &str, span: Span, out: &mut Vec<SplError>) {
    let e = match crate::eval::compile_regex(pattern) {
        Ok(_) => return,
        Err(e) => e,
    };
    let (reason, picture) = match &e {
        regex::Error::Syntax(text) => {
            let reason = text.lines().rev().find_map(|l| l.strip_prefix("error: ")).unwrap_or(text.as_str()).to_string();
            // the pattern and a caret under the problem, as the regex crate draws them
            let picture: Vec<&str> = text.lines().skip(1).take_while(|l| !l.starts_with("error: ")).map(|l| l.strip_prefix("    ").unwrap_or(l)).collect();
            (reason, picture.join("\n"))
        }
        other => (other.to_string(), String::new()),
    };
    if let regex::Error::CompiledTooBig(limit) = e {
        out.push(
            SplError::new(ErrorCode::UnsupportedCommand, span, format!("spelunk cannot run this regular expression: it is too large (compiled, it exceeds the {} MiB limit of spelunk's regex engine)", limit >> 20))
                .with_label("regular expression too large")
                .with_help("the pattern is valid; make its repetition counts smaller (`{1,50}` nested in `{1,50}` multiplies) or split it into several rex commands"),
        );
        return;
    }
    if pcre_only(&reason, pattern) {
        out.push(
            SplError::new(ErrorCode::UnsupportedCommand, span, format!("spelunk cannot run this regular expression: {reason}"))
                .with_label("PCRE-only construct")
                .with_help("Splunk's PCRE accepts it; spelunk's regex engine has no look-around, backreferences, atomic groups or possessive quantifiers"),
        );
        return;
    }
    let help = if picture.trim().is_empty() { "spelunk reads regular expressions with PCRE's common syntax".to_string() } else { format!("the regular expression:\n{picture}") };
    out.push(SplError::new(ErrorCode::InvalidRegex, span, format!("invalid regular expression: {reason}")).with_label("this regular expression").with_help(help));
}

/// Does the pattern use a PCRE construct Rust's regex engine lacks (so it may be valid in
/// Splunk)? `reason` is the regex crate's complaint.
fn pcre_only(reason: &str, pattern: &str) -> bool {
    reason.contains("not supported")
        || ["(?>", "(?|", "(?R)", "(?&", "(?(", "(?P=", "(*", "\\K", "\\G", "++", "*+", "?+", "}+"].iter().any(|t| pattern.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(q: &str) -> Vec<(ErrorCode, String)> {
        let p = spelunk_syntax::parse_pipeline(q).expect("parses");
        pipeline(&p).into_iter().map(|e| (e.code, q[e.span.start..e.span.end].to_string())).collect()
    }

    #[test]
    fn functions_arity_and_names() {
        assert!(findings("| makeresults | eval n=len(\"a\"), m=substr(\"abc\", 2) | where match(n, \"^a\")").is_empty());
        assert_eq!(findings("| makeresults | eval n=len(\"a\", \"b\")"), [(ErrorCode::FunctionArity, "len(\"a\", \"b\")".to_string())]);
        assert_eq!(findings("| makeresults | where if(a, b)"), [(ErrorCode::FunctionArity, "if(a, b)".to_string())]);
        assert_eq!(findings("| makeresults | eval n=lenn(x)"), [(ErrorCode::UnknownFunction, "lenn".to_string())]);
        let p = spelunk_syntax::parse_pipeline("| makeresults | eval n=lenn(x)").expect("parses");
        assert_eq!(pipeline(&p)[0].help.as_deref(), Some("did you mean `len()`?"));
        assert_eq!(findings("| makeresults | eval n=mvmap(x, x*2)"), [(ErrorCode::UnsupportedCommand, "mvmap".to_string())]);
        // inside stats eval() and subsearches too
        assert_eq!(findings("| makeresults | stats count(eval(len(a, b))) as n"), [(ErrorCode::FunctionArity, "len(a, b)".to_string())]);
        assert_eq!(findings("| makeresults | append [| makeresults | eval x=upperr(a)]"), [(ErrorCode::UnknownFunction, "upperr".to_string())]);
    }

    #[test]
    fn eval_cannot_assign_a_boolean() {
        for q in ["| makeresults | eval b=1<2", "| makeresults | eval b=(a=\"x\")", "| makeresults | eval b=isnull(a)", "| makeresults | eval b=a like \"x%\"", "| makeresults | eval b=NOT a", "| makeresults | eval b=a IN (1, 2)"] {
            assert_eq!(findings(q).len(), 1, "{q}");
        }
        for q in ["| makeresults | eval b=if(1<2, \"y\", \"n\")", "| makeresults | eval b=tostring(1<2)", "| makeresults | where 1<2", "| makeresults | stats count(eval(a=1)) as n"] {
            assert!(findings(q).is_empty(), "{q}");
        }
    }

    #[test]
    fn times_in_search_and_bin() {
        assert!(findings("earliest=-24h@h latest=now x=1 | bin _time span=1h aligntime=@d+3h | bin _time span=1h aligntime=earliest").is_empty());
        assert!(findings("earliest=03/04/2024:10:00:00 latest=1709546400 | stats count").is_empty());
        assert_eq!(findings("earliest=-2x | stats count"), [(ErrorCode::InvalidOption, "-2x".to_string())]);
        assert_eq!(findings("a | bin _time span=1h aligntime=bogus"), [(ErrorCode::InvalidOption, "bogus".to_string())]);
        // not a time modifier: a field compared inside OR
        assert!(findings("(earliest=foo OR x=1)").is_empty());
    }

    #[test]
    fn regex_literals() {
        assert_eq!(findings("| makeresults | where match(a, \"(abc\")"), [(ErrorCode::InvalidRegex, "\"(abc\"".to_string())]);
        assert_eq!(findings("| makeresults | eval b=replace(a, \"[z-a]\", \"\")"), [(ErrorCode::InvalidRegex, "\"[z-a]\"".to_string())]);
        assert_eq!(findings("| makeresults | rex field=a \"(?<x>\\d+\""), [(ErrorCode::InvalidRegex, "\"(?<x>\\d+\"".to_string())]);
        assert_eq!(findings("| makeresults | regex a!=\"*x\"").len(), 1);
        assert_eq!(findings("| makeresults | rex mode=sed field=a \"s/(a/b/g\"").len(), 1);
        assert_eq!(findings("| makeresults | rex mode=sed field=a \"q/a/b/\"")[0].0, ErrorCode::InvalidArgument);
        assert!(findings("| makeresults | rex field=a \"(?<x>\\d+)\" | regex a=\"^\\w+$\" | rex mode=sed field=a \"s/a/b/g\"").is_empty());
        // PCRE's literal braces
        assert!(findings("| makeresults | rex field=a \"(?<j>{.+})\" | regex a=\"^\\\\\\{[0-9]{8}\" | where match(a, \"(%7B|{)x{2,}\")").is_empty());
        // valid in Splunk's PCRE, not runnable here
        assert_eq!(findings("| makeresults | where match(a, \"^(?!adm)\")"), [(ErrorCode::UnsupportedCommand, "\"^(?!adm)\"".to_string())]);
        // a pattern built at run time is checked when it runs
        assert!(findings("| makeresults | where match(a, b . \"(\")").is_empty());
    }

    /// A regex that is valid but compiles larger than the regex engine's size limit is "too
    /// large" (not run yet), not a "PCRE-only construct".
    #[test]
    fn oversize_regex_is_too_large_not_pcre_only() {
        let big = format!("| makeresults | rex field=a \"(?<x>{})\"", "(\\w{1,50}){1,50}".repeat(40));
        let p = spelunk_syntax::parse_pipeline(&big).expect("parses");
        let f = pipeline(&p);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, ErrorCode::UnsupportedCommand);
        assert!(f[0].message.contains("too large") && !f[0].label.contains("PCRE"), "{:?}", f[0]);
    }

    /// Options spelunk parses but does not run are refused as not run yet (exit 1), never
    /// accepted and ignored; invalid snaps are errors. Splunk Search Reference: rex
    /// (offset_field), dedup (keepevents), "Time modifiers" (@w0 to @w7), bin (log spans).
    #[test]
    fn options_not_run_are_refused_by_name() {
        let code = |q: &str| {
            let p = spelunk_syntax::parse_pipeline(q).expect("parses");
            let plan = spelunk_plan::lower::lower(&p);
            let mut codes: Vec<ErrorCode> = pipeline(&p).into_iter().map(|e| e.code).collect();
            if let Err(e) = plan {
                codes.push(e.code);
            }
            codes
        };
        assert_eq!(code("* | rex field=_raw \"(?<a>x)\" offset_field=off"), [ErrorCode::UnsupportedCommand]);
        assert_eq!(code("* | dedup keepevents=t user"), [ErrorCode::UnsupportedCommand]);
        assert!(code("* | dedup keepevents=f user").is_empty());
        assert_eq!(code("earliest=@w8 | stats count"), [ErrorCode::InvalidOption]);
        assert!(code("earliest=@w7 | stats count").is_empty());
        for q in ["* | bin x span=log10", "* | bin x span=2log10", "* | bin x span=log2", "* | bin x span=log"] {
            assert_eq!(code(q), [ErrorCode::UnsupportedCommand], "{q}");
        }
        for q in ["* | stats values(*) as *", "* | stats dc(*)", "* | stats avg(prefix.*) as avg_*", "* | eventstats max(*) as max_*"] {
            assert_eq!(code(q), [ErrorCode::UnsupportedCommand], "{q}");
        }
    }

    #[test]
    fn pcre_literal_braces_compile_and_match() {
        let re = crate::eval::compile_regex("(?<j>{.+})").expect("compiles");
        assert_eq!(re.captures("x={a:1}").and_then(|c| c.name("j")).map(|m| m.as_str()), Some("{a:1}"));
        let re = crate::eval::compile_regex(r"^\\{[0-9a-f]{2}-[x{]{2,}[[:digit:]]{1,3}$").expect("compiles");
        assert!(re.is_match(r"\{ab-{x7"));
        assert!(!re.is_match(r"\{abc-{x7"));
        assert!(crate::eval::compile_regex("a{2").expect("literal").is_match("a{2"));
        assert!(crate::eval::compile_regex(r"\x{202E}\p{L}{2}").expect("escapes").is_match("\u{202E}ab"));
    }

    #[test]
    fn command_typos() {
        assert_eq!(findings("| makeresults | stast count"), [(ErrorCode::UnknownCommand, "stast".to_string())]);
        assert!(findings("| makeresults | sistats count | cyberchef").is_empty());
    }

    #[test]
    fn searchmatch_strings() {
        assert_eq!(findings("| makeresults | where searchmatch(\"a=(\")").len(), 1);
        assert!(findings("| makeresults | where searchmatch(\"a=1 OR b\")").is_empty());
    }
}
