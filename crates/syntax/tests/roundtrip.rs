//! Round trip: parse -> print -> parse gives the same tree (modulo spans), and printing is a
//! fixed point (printing the re-parsed tree gives the same text).

use spelunk_syntax::normalize::without_spans;
use spelunk_syntax::{parse_expr, parse_pipeline};

const QUERIES: &[&str] = &[
    "*",
    "search *",
    "| makeresults count=3",
    "a=1 OR b=2 c=3",
    "NOT (a=1 OR b=2) foo \"quoted phrase\"",
    "earliest=-24h latest=now",
    "earliest=-7d@d latest=@h index=main",
    r#"sourcetype=aws:cloudtrail (errorCode = "AccessDenied") user_type=IAMUser (userAgent!=*.amazonaws.com)"#,
    "sourcetype=aws:asl api.response.error=AccessDenied OR api.response.error=OperationNotPermittedException OR api.response.error=*Unauthorized* actor.user.type=IAMUser",
    r#"f IN (a, b*, "c d") NOT g IN (x)"#,
    r#""resources{}.ARN"="arn:aws:*" "a b"!=c"#,
    r#"a="x \"y\" \\z" b=C:\Windows\* c<5 d>=6 e<=7 f>8"#,
    "a or b and c not d",
    r#"a=*\"privileged\":true* b\"c x\\ d IN (e\"f, "g\"h") TERM(i\"j) k\\=l"#,
    "x | search a=1 b=2 | search NOT c",
    "x | where failures >= 5 and methods >= 1 and sources >= 1",
    "x | where NOT (a = 1 OR b != 2) XOR c LIKE \"a%\"",
    "x | where x IN (1, 2, \"a\") AND y NOT IN (3)",
    "x | where isnull(a) OR len(b) > -3 * (c + 1) % 2",
    "x | eval a=1, b=a . \"x\" . 'c d', c=if(a > 1, \"y\", null()), d=-a, e=+1.5e3",
    "x | eval 'field name'=case(a = 1, \"one\", true(), \"other\"), \"q\"=a.b.c",
    r#"x | eval user_type=mvjoin(coalesce('resources{}.type', mvindex(split('responseElements.assumedRoleUser.arn',"/"),1)), ",")"#,
    r#"x | eval u=replace(errorMessage, ".*resource\s*:\s*(?:user\s*)?(.*)", "\1")"#,
    "x | eval s=!match(a, \"b\"), t=like(a, \"%b\")",
    "x | stats count",
    "x | stats count as failures min(_time) as firstTime max(_time) as lastTime, dc(signature) as methods, dc(dest) as sources values(signature) as signature values(dest) as dest\n BY src, user, vendor_account\n vendor_region, vendor_product",
    "x | stats count(eval(status>=400)) as errors perc95(d) p50(d) as \"median d\" by host",
    "x | eventstats dc(user) as users by src | streamstats window=5 current=f count",
    "x | stats values(a) as a(b) by c",
    "x | bucket _time span=1h | bin span=5m _time as t | bin bins=10 size",
    "x | rename a as b, c as d | rename \"e f\" AS g *_id as id_* | rename src_endpoint.ip as src",
    "x | convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime) ctime(lastTime) as last, num(*)",
    "x | table a b c* | fields - d, e | fields + f | sort - count, +name | sort 0 num(a) | head 10 | tail 5 | reverse",
    "x | dedup 2 a b keepempty=true sortby -_time | fillnull value=\"n/a\" a b | top limit=5 a by b | rare c",
    "| tstats summariesonly=true allow_old_summaries=true count min(_time) as firstTime from datamodel=Endpoint.Processes where (Processes.process_name=cmd.exe OR Processes.process_name=powershell.exe) by Processes.dest Processes.user",
    r#"x | rex field=_raw "user=(?<user>[^\s]+)" max_match=0 | rex mode=sed field=a "s/x/y/g" | regex b!="^x$""#,
    r#"x | spath input=j output=o path=a.b{}.c | lookup users.csv user OUTPUT department AS dept | iplocation src"#,
    r#"x | join type=left user [search index=y | fields user, role] | append [| makeresults | eval a=1]"#,
    r#"x | appendpipe [stats count | where count=0] | foreach * [eval <<FIELD>>=if(<<FIELD>>="null", null(), <<FIELD>>)]"#,
    r#"index=x [| inputlookup bad.csv | fields ip | rename ip as src] | stats count by src"#,
    "x | mvexpand a limit=10 | makemv delim=\",\" b | mvcombine c | transaction user maxspan=1h",
    "x | timechart span=1h count by host | chart count over a by b | xyseries a b c | untable a b c",
    "x | map search=\"search index=y user=$user$\" maxsearches=10 | return 5 user | format",
    "```comment at the start``` a ```and in the middle``` | stats ```here too``` count",
    "| rest /services/server/info | table serverName",
    "| makeresults | eval a=\"1\" | where a=\"1\"",
];

#[test]
fn pipelines_round_trip() {
    for q in QUERIES {
        let p = parse_pipeline(q).unwrap_or_else(|e| panic!("{q:?}: {} at {:?}", e.message, e.span));
        let printed = p.to_string();
        let again = parse_pipeline(&printed).unwrap_or_else(|e| panic!("printed {printed:?} of {q:?}: {}", e.message));
        assert_eq!(without_spans(&p), without_spans(&again), "{q:?} printed as {printed:?}");
        assert_eq!(again.to_string(), printed, "printing is not a fixed point for {q:?}");
    }
}

const EXPRS: &[&str] = &[
    "a", "'a b'", "\"s\"", "1", "1.5", "1e-3", ".5", "-a", "+a", "NOT a", "!a", "a + b * c", "(a + b) * c", "a - (b - c)", "a - b - c",
    "a . b . \"c\"", "a.b.c", "a = b", "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b", "a LIKE \"x%\"", "a like \"x%\"",
    "a IN (1, 2)", "a NOT IN (\"x\")", "a AND b OR c XOR d", "a and (b or c)", "NOT NOT a", "- -1", "f()", "f(a, g(b, h(c)))",
    "if(a > 1 AND b < 2, \"yes\", \"no\")", "case(a = 1, \"x\", a = 2, \"y\", true(), \"z\")", "'resources{}.type'", "resources{}.ARN",
    "mvindex(split('a.b', \"/\"), -1)", "a . 'b' . \"c\"", "strftime(_time, \"%Y-%m-%dT%H:%M:%S\")", "\"back\\\\slash\" . \"q\\\"uote\"",
];

#[test]
fn expressions_round_trip() {
    for x in EXPRS {
        let e = parse_expr(x).unwrap_or_else(|e| panic!("{x:?}: {} at {:?}", e.message, e.span));
        let printed = e.to_string();
        let again = parse_expr(&printed).unwrap_or_else(|e| panic!("printed {printed:?} of {x:?}: {}", e.message));
        assert_eq!(without_spans(&e), without_spans(&again), "{x:?} printed as {printed:?}");
        assert_eq!(again.to_string(), printed);
    }
}

#[test]
fn printer_adds_parentheses_for_hand_built_trees() {
    use spelunk_syntax::ast::*;
    let f = |n: &str| Expr { kind: ExprKind::Field { name: n.into(), quoted: false }, span: Span::default() };
    let bin = |op, l, r| Expr { kind: ExprKind::Binary { op, left: Box::new(l), right: Box::new(r) }, span: Span::default() };
    // (a + b) * c without a Paren node
    let e = bin(BinaryOp::Mul, bin(BinaryOp::Add, f("a"), f("b")), f("c"));
    assert_eq!(e.to_string(), "(a + b) * c");
    // a - (b - c)
    let e = bin(BinaryOp::Sub, f("a"), bin(BinaryOp::Sub, f("b"), f("c")));
    assert_eq!(e.to_string(), "a - (b - c)");
    // names that need quotes
    assert_eq!(f("user name").to_string(), "'user name'");
    assert_eq!(f("and").to_string(), "'and'");
    // search: an AND inside an OR needs parentheses
    let t = |s: &str| SearchExpr::Term(Value { text: s.into(), quoted: false, span: Span::default(), directive: None });
    let s = SearchExpr::Or(vec![SearchExpr::And(vec![t("a"), t("b")], Span::default()), t("c")], Span::default());
    assert_eq!(s.to_string(), "(a b) OR c");
}
