//! Unit tests of the parser: structure, precedence rules, spans and errors.

use super::*;
use crate::normalize::without_spans;

fn p(src: &str) -> Pipeline {
    match pipeline(src) {
        Ok(p) => p,
        Err(e) => panic!("{src:?} failed: {} at {:?}", e.message, e.span),
    }
}

fn err(src: &str) -> SplError {
    match pipeline(src) {
        Ok(p) => panic!("{src:?} parsed: {p:?}"),
        Err(e) => e,
    }
}

fn expr_err(src: &str) -> SplError {
    match expr(src) {
        Ok(e) => panic!("{src:?} parsed: {e:?}"),
        Err(e) => e,
    }
}

/// The search expression of the first command.
fn search(src: &str) -> SearchExpr {
    match p(src).commands.remove(0).kind {
        CommandKind::Search(Some(e)) => e,
        k => panic!("not a search: {k:?}"),
    }
}

/// A compact rendering of a search tree: `and(...)`, `or(...)`, `not(...)`, `group(...)`.
fn shape(e: &SearchExpr) -> String {
    let list = |xs: &[SearchExpr]| xs.iter().map(shape).collect::<Vec<_>>().join(" ");
    match e {
        SearchExpr::And(xs, _) => format!("and({})", list(xs)),
        SearchExpr::Or(xs, _) => format!("or({})", list(xs)),
        SearchExpr::Not(x, _) => format!("not({})", shape(x)),
        SearchExpr::Group(x, _) => format!("group({})", shape(x)),
        SearchExpr::Compare { field, op, value, .. } => format!("{}{}{}", field.name, op.as_str(), value.text),
        SearchExpr::In { field, values, .. } => format!("{} in [{}]", field.name, values.iter().map(|v| v.text.as_str()).collect::<Vec<_>>().join(",")),
        SearchExpr::Term(v) if v.quoted => format!("{:?}", v.text),
        SearchExpr::Term(v) => v.text.clone(),
    }
}

/// A fully parenthesised rendering of an eval tree.
fn eshape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Field { name, quoted: false } => name.clone(),
        ExprKind::Field { name, quoted: true } => format!("'{name}'"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Num { text, .. } => text.clone(),
        ExprKind::Unary { op, expr } => format!("({op:?} {})", eshape(expr)),
        ExprKind::Binary { op, left, right } => format!("({} {} {})", eshape(left), op.as_str(), eshape(right)),
        ExprKind::Call { name, args } => format!("{}[{}]", name.name, args.iter().map(eshape).collect::<Vec<_>>().join(", ")),
        ExprKind::In { expr, list, negated } => {
            format!("({} {}IN [{}])", eshape(expr), if *negated { "NOT " } else { "" }, list.iter().map(eshape).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Paren(e) => format!("<{}>", eshape(e)),
    }
}

fn e(src: &str) -> String {
    match expr(src) {
        Ok(x) => eshape(&x),
        Err(err) => panic!("{src:?} failed: {} at {:?}", err.message, err.span),
    }
}

// ---------------------------------------------------------------------------------------------
// pipelines

#[test]
fn implicit_and_explicit_first_command() {
    let q = p("a=1 | stats count");
    assert_eq!(q.commands[0].name.name, "search");
    assert_eq!(q.commands[0].name.span, Span::new(0, 0));
    assert_eq!(q.commands[1].name.name, "stats");

    let q = p("  search a=1");
    assert_eq!(q.commands[0].name.span, Span::new(2, 8));
    assert!(matches!(q.commands[0].kind, CommandKind::Search(Some(_))));

    let q = p("| makeresults count=3");
    assert_eq!(q.commands.len(), 1);
    assert_eq!(q.commands[0].name.name, "makeresults");
    match &q.commands[0].kind {
        CommandKind::Generic(args) => assert!(matches!(&args[0], Arg::Option(o) if o.key.name == "count" && o.value.text == "3")),
        k => panic!("{k:?}"),
    }
    // `search=x` is a comparison, not the search command
    assert_eq!(shape(&search("search=x")), "search=x");
}

#[test]
fn pipes_inside_quotes_brackets_and_comments_do_not_split() {
    let q = p(r#"a="x|y" ```c | d``` | rex field=f "(?<n>a|b)" | join u [search b | fields u] | eval s=if(match(x, "a|b"), 1, 0)"#);
    let names: Vec<_> = q.commands.iter().map(|c| c.name.name.as_str()).collect();
    assert_eq!(names, ["search", "rex", "join", "eval"]);
    match &q.commands[2].kind {
        CommandKind::Generic(args) => match &args[1] {
            Arg::Subsearch(sub) => {
                assert_eq!(sub.commands.len(), 2);
                assert_eq!(sub.commands[1].name.name, "fields");
            }
            a => panic!("{a:?}"),
        },
        k => panic!("{k:?}"),
    }
}

#[test]
fn comments_and_newlines_are_whitespace() {
    let a = p("```detection```\nsourcetype=x\n  | stats```inline```count\n");
    let b = p("sourcetype=x | stats count");
    assert_eq!(without_spans(&a), without_spans(&b));
}

#[test]
fn empty_and_star_searches() {
    assert!(matches!(p("*").commands[0].kind, CommandKind::Search(None)));
    assert!(matches!(p("search *").commands[0].kind, CommandKind::Search(None)));
    assert!(matches!(p("a | search").commands[1].kind, CommandKind::Search(None)));
    // `*` next to other terms stays a term
    assert_eq!(shape(&search("* a=1")), "and(* a=1)");
}

#[test]
fn command_names_dispatch_case_insensitively() {
    let q = p("a | STATS count BY x | Eval y=1");
    assert!(matches!(q.commands[1].kind, CommandKind::Stats(_)));
    assert_eq!(q.commands[1].name.name, "STATS");
    assert!(matches!(q.commands[2].kind, CommandKind::Eval(_)));
}

#[test]
fn command_spans_cover_the_command() {
    let src = "a=1 | bucket _time span=1h | stats count by x ";
    let q = p(src);
    let texts: Vec<_> = q.commands.iter().map(|c| &src[c.span.start..c.span.end]).collect();
    assert_eq!(texts, ["a=1", "bucket _time span=1h", "stats count by x"]);
    assert_eq!(q.span, Span::new(0, src.len()));
}

// ---------------------------------------------------------------------------------------------
// search precedence
// https://help.splunk.com/en/splunk-enterprise/search/search-manual/9.3/expressions-and-predicates
// "The search command evaluates OR before AND operators"; order: parentheses, NOT, OR, AND.
// "The operators must be capitalized."

#[test]
fn search_or_binds_tighter_than_implicit_and() {
    assert_eq!(shape(&search("a=1 OR b=2 c=3")), "and(or(a=1 b=2) c=3)");
    assert_eq!(shape(&search("a OR b AND c OR d")), "and(or(a b) or(c d))");
    assert_eq!(shape(&search("a b OR c")), "and(a or(b c))");
}

#[test]
fn search_not_binds_tightest() {
    assert_eq!(shape(&search("NOT a OR b")), "or(not(a) b)");
    assert_eq!(shape(&search("NOT a b")), "and(not(a) b)");
    assert_eq!(shape(&search("NOT (a=1 OR b=2) foo \"quoted phrase\"")), "and(not(group(or(a=1 b=2))) foo \"quoted phrase\")");
    assert_eq!(shape(&search("NOT NOT a")), "not(not(a))");
}

#[test]
fn search_lowercase_boolean_words_are_terms() {
    assert_eq!(shape(&search("a or b and c not d")), "and(a or b and c not d)");
}

#[test]
fn asl_detection_precedence() {
    let s = search("sourcetype=aws:asl api.response.error=AccessDenied OR api.response.error=OperationNotPermittedException OR api.response.error=*Unauthorized* actor.user.type=IAMUser");
    assert_eq!(
        shape(&s),
        "and(sourcetype=aws:asl or(api.response.error=AccessDenied api.response.error=OperationNotPermittedException api.response.error=*Unauthorized*) actor.user.type=IAMUser)"
    );
}

#[test]
fn search_comparisons_with_and_without_spaces() {
    assert_eq!(
        shape(&search(r#"sourcetype=aws:cloudtrail (errorCode = "AccessDenied") user_type=IAMUser (userAgent!=*.amazonaws.com)"#)),
        "and(sourcetype=aws:cloudtrail group(errorCode=AccessDenied) user_type=IAMUser group(userAgent!=*.amazonaws.com))"
    );
    assert_eq!(shape(&search("a<1 b <= 2 c>3 d >=4 e= 5")), "and(a<1 b<=2 c>3 d>=4 e=5)");
    assert_eq!(shape(&search("earliest=-24h latest=now")), "and(earliest=-24h latest=now)");
    assert_eq!(shape(&search("earliest=-7d@d")), "earliest=-7d@d");
    assert_eq!(shape(&search("resources{}.ARN=arn:aws:iam::*")), "resources{}.ARN=arn:aws:iam::*");
}

#[test]
fn search_quoted_values_and_field_names() {
    match search(r#"a="x \"y\" \\z""#) {
        SearchExpr::Compare { value, .. } => {
            assert_eq!(value.text, r#"x "y" \z"#);
            assert!(value.quoted);
        }
        x => panic!("{x:?}"),
    }
    assert_eq!(shape(&search(r#""resources{}.type"="AWS::IAM::Role""#)), "resources{}.type=AWS::IAM::Role");
    assert_eq!(shape(&search(r#""a b" IN (x)"#)), "a b in [x]");
}

#[test]
fn search_in_lists() {
    assert_eq!(shape(&search(r#"f IN (a, b*, "c d")"#)), "f in [a,b*,c d]");
    assert_eq!(shape(&search("f IN(a,b) g")), "and(f in [a,b] g)");
    assert_eq!(shape(&search("NOT f IN (a)")), "not(f in [a])");
    // lower-case `in` is a term
    assert_eq!(shape(&search("f in (a)")), "and(f in group(a))");
}

/// `TERM(x)` / `CASE(x)` wrap a term or a comparison value; the spelling must be exact.
/// https://help.splunk.com/splunk-enterprise/search/search-manual/9.0/search-primer/use-case-and-term-to-match-phrases
#[test]
fn search_directives() {
    let d = |src: &str| -> Vec<(String, Option<Directive>, String)> {
        let e = search(src);
        let mut out = Vec::new();
        crate::visit::walk_search(&e, &mut |x| match x {
            SearchExpr::Term(v) | SearchExpr::Compare { value: v, .. } => out.push((v.text.clone(), v.directive, src[v.span.start..v.span.end].to_string())),
            SearchExpr::In { values, .. } => out.extend(values.iter().map(|v| (v.text.clone(), v.directive, src[v.span.start..v.span.end].to_string()))),
            _ => {}
        });
        out
    };
    assert_eq!(d("TERM(10.0.0.1)"), [("10.0.0.1".into(), Some(Directive::Term), "TERM(10.0.0.1)".into())]);
    assert_eq!(d("CASE( Error ) x"), [("Error".into(), Some(Directive::Case), "CASE( Error )".into()), ("x".into(), None, "x".into())]);
    assert_eq!(d(r#"TERM("a=b")"#), [("a=b".into(), Some(Directive::Term), r#"TERM("a=b")"#.into())]);
    assert_eq!(d("TERM(ip=1.2.3.4)"), [("ip=1.2.3.4".into(), Some(Directive::Term), "TERM(ip=1.2.3.4)".into())]);
    assert_eq!(d("host=CASE(LOCALHOST)"), [("LOCALHOST".into(), Some(Directive::Case), "CASE(LOCALHOST)".into())]);
    assert_eq!(d("f IN (CASE(A), b)").iter().map(|x| x.1).collect::<Vec<_>>(), [Some(Directive::Case), None]);
    // not directives: other spellings are plain terms
    assert_eq!(shape(&search("TERM (x)")), "and(TERM group(x))");
    assert_eq!(shape(&search("term(x)")), "and(term group(x))");
    assert_eq!(shape(&search("TERM=1")), "TERM=1");
    // round trip through the printer
    for src in ["TERM(10.0.0.1) CASE(Error)", "host=CASE(LOCALHOST)", r#"TERM("a b")"#, "f IN (CASE(A), b)", "NOT CASE(x)", "TERM(AND) CASE(OR)"] {
        let e = search(src);
        assert_eq!(e.to_string(), src);
        assert_eq!(without_spans(&search(&e.to_string())), without_spans(&e));
    }
    assert!(err("TERM()").message.contains("empty `TERM()`"));
    assert_eq!(err("TERM(x").code, ErrorCode::UnbalancedParen);
    assert_eq!(err("CASE(x y)").code, ErrorCode::UnexpectedToken);
    assert_eq!(err("TERM(CASE(x))").code, ErrorCode::UnexpectedToken);
}

#[test]
fn search_spans() {
    let src = r#"x=1 OR y="2" NOT z"#;
    let e = search(src);
    assert_eq!(e.span(), Span::new(0, src.len()));
    match e {
        SearchExpr::And(items, _) => {
            assert_eq!(&src[items[0].span().start..items[0].span().end], r#"x=1 OR y="2""#);
            assert_eq!(&src[items[1].span().start..items[1].span().end], "NOT z");
        }
        x => panic!("{x:?}"),
    }
}

#[test]
fn search_with_subsearch_is_kept_generically() {
    let q = p("index=x [search y | fields a] | table a");
    assert!(matches!(&q.commands[0].kind, CommandKind::Generic(args) if matches!(args[1], Arg::Subsearch(_))));
    assert_eq!(q.commands[1].name.name, "table");
}

// ---------------------------------------------------------------------------------------------
// eval precedence
// https://help.splunk.com/en/splunk-enterprise/search/search-manual/9.3/expressions-and-predicates
// "The eval and where commands evaluate AND before OR"; order: parentheses, NOT, AND, OR, XOR.
// Operators: https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/eval

#[test]
fn eval_and_binds_tighter_than_or() {
    assert_eq!(e("a OR b AND c"), "(a OR (b AND c))");
    assert_eq!(e("a AND b OR c"), "((a AND b) OR c)");
    assert_eq!(e("a OR b XOR c OR d"), "((a OR b) XOR (c OR d))");
    assert_eq!(e("NOT a AND b"), "((Not a) AND b)");
    assert_eq!(e("NOT a = 1"), "(Not (a = 1))");
}

#[test]
fn eval_keywords_are_case_insensitive() {
    assert_eq!(e("failures >= 5 and methods >= 1 and sources >= 1"), "(((failures >= 5) AND (methods >= 1)) AND (sources >= 1))");
    assert_eq!(e("a or not b xor c"), "((a OR (Not b)) XOR c)");
    assert_eq!(e("x like \"a%\""), "(x LIKE \"a%\")");
    assert_eq!(e("x in (1, 2)"), "(x IN [1, 2])");
    assert_eq!(e("x not in (\"a\")"), "(x NOT IN [\"a\"])");
}

#[test]
fn eval_arithmetic_and_concat() {
    assert_eq!(e("1 + 2 * 3"), "(1 + (2 * 3))");
    assert_eq!(e("a - b - c"), "((a - b) - c)");
    assert_eq!(e("-a * b"), "((Neg a) * b)");
    assert_eq!(e("a . b + c"), "((a . b) + c)");
    assert_eq!(e("a + 1 > b * 2"), "((a + 1) > (b * 2))");
    assert_eq!(e("\"x\" . y % 2"), "(\"x\" . (y % 2))");
    assert_eq!(e("(a + b) * c"), "(<(a + b)> * c)");
}

#[test]
fn eval_dots_in_names_versus_concatenation() {
    assert_eq!(e("a.b"), "a.b");
    assert_eq!(e("a . b"), "(a . b)");
    assert_eq!(e("a.\"x\""), "(a . \"x\")");
    assert_eq!(e("\"x\".a"), "(\"x\" . a)");
    assert_eq!(e("a.'b c'"), "(a . 'b c')");
    assert_eq!(e("api.response.error"), "api.response.error");
    assert_eq!(e("resources{}.ARN"), "resources{}.ARN");
    assert_eq!(e("'resources{}.type'"), "'resources{}.type'");
    assert_eq!(e("1.5 . x"), "(1.5 . x)");
}

#[test]
fn eval_literals_and_calls() {
    assert_eq!(e("1e3"), "1e3");
    assert_eq!(e(".5"), ".5");
    assert_eq!(e("\"a \\\"b\\\" \\\\ \\d\""), "\"a \\\"b\\\" \\\\ \\\\d\"");
    assert_eq!(e("if(a, \"x\", 'y')"), "if[a, \"x\", 'y']");
    assert_eq!(e("now()"), "now[]");
    assert_eq!(e("Lower(x)"), "Lower[x]");
    assert_eq!(e("mvjoin(coalesce('resources{}.type', mvindex(split('responseElements.assumedRoleUser.arn',\"/\"),1)), \",\")"),
        "mvjoin[coalesce['resources{}.type', mvindex[split['responseElements.assumedRoleUser.arn', \"/\"], 1]], \",\"]");
    assert_eq!(e("like(x, \"a%\") AND in(y, 1)"), "(like[x, \"a%\"] AND in[y, 1])");
    assert_eq!(e("!match(x, \"a\")"), "(Not match[x, \"a\"])");
    match &expr("true") {
        Ok(Expr { kind: ExprKind::Field { name, quoted: false }, .. }) => assert_eq!(name, "true"),
        x => panic!("{x:?}"),
    }
}

#[test]
fn eval_spans() {
    let src = "a + f(b, 'c d')";
    let x = expr(src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(x.span, Span::new(0, src.len()));
    match &x.kind {
        ExprKind::Binary { right, .. } => {
            assert_eq!(&src[right.span.start..right.span.end], "f(b, 'c d')");
            match &right.kind {
                ExprKind::Call { name, args } => {
                    assert_eq!(name.span, Span::new(4, 5));
                    assert_eq!(&src[args[1].span.start..args[1].span.end], "'c d'");
                }
                k => panic!("{k:?}"),
            }
        }
        k => panic!("{k:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// structured commands

fn stats(src: &str) -> StatsCommand {
    match p(src).commands.pop().map(|c| c.kind) {
        Some(CommandKind::Stats(s)) => s,
        k => panic!("{k:?}"),
    }
}

#[test]
fn cloudtrail_stats_clause() {
    let s = stats("a | stats count as failures min(_time) as firstTime max(_time) as lastTime, dc(signature) as methods, dc(dest) as sources values(signature) as signature values(dest) as dest\n    BY src, user, vendor_account\n       vendor_region, vendor_product");
    let aggs: Vec<_> = s
        .aggs
        .iter()
        .map(|a| {
            let arg = match &a.arg {
                Some(AggArg::Field(f)) => f.name.clone(),
                Some(AggArg::Eval(e)) => e.to_string(),
                None => String::new(),
            };
            format!("{}({}) as {}", a.func.name, arg, a.alias.as_ref().map_or("", |x| x.name.as_str()))
        })
        .collect();
    assert_eq!(
        aggs,
        [
            "count() as failures",
            "min(_time) as firstTime",
            "max(_time) as lastTime",
            "dc(signature) as methods",
            "dc(dest) as sources",
            "values(signature) as signature",
            "values(dest) as dest"
        ]
    );
    let by: Vec<_> = s.by.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(by, ["src", "user", "vendor_account", "vendor_region", "vendor_product"]);
}

#[test]
fn stats_forms() {
    let s = stats("a | streamstats window=5 current=f count c(x) AS n, perc95(d) p50(d) as \"p 50\" count(eval(x>1)) as big dc(api.operation) by _time actor.user.uid");
    assert_eq!(s.options.iter().map(|o| format!("{o}")).collect::<Vec<_>>(), ["window=5", "current=f"]);
    assert_eq!(s.aggs.len(), 6);
    assert_eq!(s.aggs[1].alias.as_ref().map(|a| a.name.as_str()), Some("n"));
    assert_eq!(s.aggs[3].alias.as_ref().map(|a| a.name.as_str()), Some("p 50"));
    assert!(matches!(&s.aggs[4].arg, Some(AggArg::Eval(e)) if e.to_string() == "x > 1"));
    assert!(matches!(&s.aggs[5].arg, Some(AggArg::Field(f)) if f.name == "api.operation"));
    assert_eq!(s.by.len(), 2);
    let s = stats("a | stats values(x) as flags(inheritance)");
    assert_eq!(s.aggs[0].alias.as_ref().map(|a| a.name.as_str()), Some("flags(inheritance)"));
}

#[test]
fn bin_forms() {
    for src in ["a | bucket _time span=1h", "a | bin span=1h _time", "a | bin span=1h _time as t bins=3"] {
        match p(src).commands.pop().map(|c| c.kind) {
            Some(CommandKind::Bin(b)) => {
                assert_eq!(b.field.name, "_time");
                assert_eq!(b.options[0].key.name, "span");
                assert_eq!(b.options[0].value.text, "1h");
            }
            k => panic!("{k:?}"),
        }
    }
}

#[test]
fn rename_forms() {
    for src in ["a | rename a as b, \"c d\" as e", "a | rename a AS b \"c d\" as e"] {
        match p(src).commands.pop().map(|c| c.kind) {
            Some(CommandKind::Rename(r)) => {
                let pairs: Vec<_> = r.iter().map(|r| (r.from.name.as_str(), r.to.name.as_str())).collect();
                assert_eq!(pairs, [("a", "b"), ("c d", "e")]);
            }
            k => panic!("{k:?}"),
        }
    }
    match p("a | rename src_endpoint.ip as src *_id as id_*").commands.pop().map(|c| c.kind) {
        Some(CommandKind::Rename(r)) => assert_eq!(r[1].from.name, "*_id"),
        k => panic!("{k:?}"),
    }
}

#[test]
fn convert_forms() {
    match p("a | convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime) as first, dur2sec(d) num(*)").commands.pop().map(|c| c.kind) {
        Some(CommandKind::Convert(c)) => {
            assert_eq!(c.options[0].value.text, "%Y-%m-%dT%H:%M:%S");
            assert_eq!(c.conversions.len(), 3);
            assert_eq!(c.conversions[0].alias.as_ref().map(|a| a.name.as_str()), Some("first"));
            assert_eq!(c.conversions[2].field.name, "*");
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn eval_assignments() {
    match p("a | eval x=1, 'y z'=x . \"s\", \"w\"=if(x>0, 1, 0)").commands.pop().map(|c| c.kind) {
        Some(CommandKind::Eval(a)) => {
            let names: Vec<_> = a.iter().map(|a| a.field.name.as_str()).collect();
            assert_eq!(names, ["x", "y z", "w"]);
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn subsearch_templates_start_with_a_command() {
    let q = p("a | foreach * [eval <<FIELD>>=if(<<FIELD>>=\"null\", null(), <<FIELD>>)] | appendpipe [stats count | where count=0]");
    match &q.commands[1].kind {
        CommandKind::Generic(args) => match &args[1] {
            Arg::Subsearch(sub) => assert!(matches!(sub.commands[0].kind, CommandKind::Eval(_))),
            a => panic!("{a:?}"),
        },
        k => panic!("{k:?}"),
    }
}

#[test]
fn generic_arguments() {
    let q = p("| tstats summariesonly=true count from datamodel=Endpoint.Processes where Processes.process_name=\"x.exe\" by Processes.dest | sort - count | fields - a, b | regex f!=\"^x$\" | lookup t k OUTPUT v | sort num(c)");
    match &q.commands[0].kind {
        CommandKind::Generic(args) => {
            let s: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            assert_eq!(s, ["summariesonly=true", "count", "from", "datamodel=Endpoint.Processes", "where", "Processes.process_name=\"x.exe\"", "by", "Processes.dest"]);
        }
        k => panic!("{k:?}"),
    }
    match &q.commands[3].kind {
        CommandKind::Generic(args) => assert!(matches!(&args[1], Arg::Operator { op, .. } if op == "!=")),
        k => panic!("{k:?}"),
    }
    match &q.commands[5].kind {
        CommandKind::Generic(args) => assert!(matches!(&args[0], Arg::Call { name, .. } if name.name == "num")),
        k => panic!("{k:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// errors

#[test]
fn empty_commands() {
    let e = err("a | | b");
    assert_eq!(e.code, ErrorCode::EmptyCommand);
    assert_eq!(e.span, Span::new(2, 3));
    let e = err("a |");
    assert_eq!(e.code, ErrorCode::EmptyCommand);
    assert_eq!(e.span, Span::new(2, 3));
    assert_eq!(err("   ").code, ErrorCode::EmptyCommand);
    assert_eq!(err("|").code, ErrorCode::EmptyCommand);
    assert_eq!(err("a | join x []").code, ErrorCode::EmptyCommand);
}

#[test]
fn unbalanced_quotes_and_parens() {
    let e = err("a=\"abc | stats count");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedQuote, Span::new(2, 3)));
    let e = err("(a=1 OR b=2 | stats count");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedParen, Span::new(0, 1)));
    let e = err("a=1) b");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedParen, Span::new(3, 4)));
    let e = err("a | where (x > 1");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedParen, Span::new(10, 11)));
    let e = err("a | join u [search b");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedParen, Span::new(11, 12)));
    let e = err("a ] b");
    assert_eq!(e.code, ErrorCode::UnbalancedParen);
    let e = err("a ```never closed | stats count");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedQuote, Span::new(2, 5)));
    let e = err("a | eval x='abc");
    assert_eq!((e.code, e.span), (ErrorCode::UnbalancedQuote, Span::new(11, 12)));
}

#[test]
fn messages_say_what_was_expected() {
    let e = err("a | stats count by");
    assert_eq!(e.code, ErrorCode::UnexpectedEnd);
    assert_eq!(e.message, "expected a field name after `by`");
    assert_eq!(e.span, Span::new(16, 18));

    let e = err("a | stats count BY | table x");
    assert_eq!(e.message, "expected a field name after `BY`");

    let e = err("a | rename x y");
    assert_eq!(e.message, "expected `as` after `x`, found `y`");
    assert_eq!(e.span, Span::new(13, 14));

    let e = err("a | where x >");
    assert_eq!(e.code, ErrorCode::UnexpectedEnd);
    assert_eq!(e.message, "expected an expression after `>`, found the end of the query");

    let e = err("a | eval x");
    assert_eq!(e.message, "expected `=` after `x`, found the end of the query");

    let e = err("a | eval x=1 y=2");
    assert_eq!(e.message, "expected an operator or `,` before the next assignment, found `y`");
    assert_eq!(e.span, Span::new(13, 14));

    let e = err("a OR");
    assert_eq!(e.message, "expected a search term after `OR`, found the end of the query");
    let e = err("OR a");
    assert_eq!(e.message, "`OR` needs a search term on its left");
    let e = err("a= | stats count");
    assert_eq!(e.message, "expected a value after `a=`, found `|` (the end of the command)");
    let e = err("=a");
    assert_eq!(e.message, "expected a field name before `=`");
    let e = err("a | bin span=1h");
    assert!(e.message.contains("expected the field for `bin`"), "{}", e.message);
    let e = err("a | `mymacro(x)`");
    assert_eq!((e.message.as_str(), e.span), ("unexpanded macro call", Span::new(4, 16)));
}

#[test]
fn expression_errors() {
    assert_eq!(expr_err("").code, ErrorCode::UnexpectedEnd);
    assert_eq!(expr_err("a +* b").message, "expected an expression, found `*`");
    assert_eq!(expr_err("f(a,)").message, "expected an argument of `f(`, found `)`");
    assert_eq!(expr_err("1abc").code, ErrorCode::InvalidNumber);
    assert_eq!(expr_err("a b").message, "expected an operator or the end of the expression, found `b`");
    assert_eq!(expr_err("a AND").code, ErrorCode::UnexpectedEnd);
    assert_eq!(expr_err("AND a").message, "expected an expression, found the operator `AND`");
    assert_eq!(expr_err("(a").code, ErrorCode::UnbalancedParen);
    assert_eq!(expr_err("a)").code, ErrorCode::UnbalancedParen);
    assert_eq!(expr_err("a | b").code, ErrorCode::UnexpectedToken);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "(".repeat(10_000) + "a" + &")".repeat(10_000);
    assert!(pipeline(&deep).is_err());
    assert!(expr(&deep).is_err());
    let nots = "NOT ".repeat(10_000) + "a";
    assert!(pipeline(&nots).is_err());
    assert!(expr(&nots).is_err());
    let negs = "-".repeat(10_000) + "1";
    assert!(expr(&negs).is_err());
    let subs = "a | append [".repeat(1_000) + "b" + &"]".repeat(1_000);
    assert!(pipeline(&subs).is_err());
    // moderate nesting is fine
    let ok = "(".repeat(40) + "a" + &")".repeat(40);
    assert!(pipeline(&ok).is_ok());
    assert!(expr(&ok).is_ok());
}
