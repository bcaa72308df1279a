//! Property tests: no input makes the parsers panic or hang, error spans stay inside the input,
//! and whatever parses prints back to text that parses to the same tree.

use proptest::prelude::*;
use spelunk_syntax::normalize::without_spans;
use spelunk_syntax::{parse_expr, parse_pipeline};

/// Tokens SPL is made of, including the troublesome ones: quotes, parentheses, pipes, brackets,
/// backticks and comment markers.
const TOKENS: &[&str] = &[
    "a", "b", "x.y", "f{}.g", "*", "1", "2.5", "-", "+", ".", "/", "%", "=", "==", "!=", "<", "<=", ">", ">=", "!", "(", ")", "[", "]",
    "|", ",", "\"", "'", "\"s t\"", "'q r'", "`", "```", "```c```", "\\", "\n", " ", "\t", "AND", "OR", "NOT", "XOR", "IN", "LIKE", "and",
    "or", "not", "in", "search", "stats", "count", "dc(x)", "by", "BY", "as", "AS", "eval", "where", "bin", "bucket", "span=1h",
    "rename", "convert", "ctime(t)", "eval(", "if(", "makeresults", "tstats", "é", "日本", "<<FIELD>>", "$t$", "TERM(", "CASE(",
    "TERM(x)", "CASE(\"A b\")", "10.0.0.0/8",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|v| v.concat())
}

fn spaced_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|v| v.join(" "))
}

fn check_pipeline(src: &str) -> Result<(), TestCaseError> {
    match parse_pipeline(src) {
        Ok(p) => {
            prop_assert!(p.span.end <= src.len());
            let printed = p.to_string();
            match parse_pipeline(&printed) {
                Ok(again) => prop_assert_eq!(without_spans(&again), without_spans(&p), "printed: {}", printed),
                Err(e) => return Err(TestCaseError::fail(format!("printed form {printed:?} of {src:?} does not parse: {}", e.message))),
            }
        }
        Err(e) => {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len(), "span {:?} outside {:?}", e.span, src);
            prop_assert!(!e.message.is_empty());
        }
    }
    Ok(())
}

fn check_expr(src: &str) -> Result<(), TestCaseError> {
    match parse_expr(src) {
        Ok(x) => {
            prop_assert!(x.span.end <= src.len());
            let printed = x.to_string();
            match parse_expr(&printed) {
                Ok(again) => prop_assert_eq!(without_spans(&again), without_spans(&x), "printed: {}", printed),
                Err(e) => return Err(TestCaseError::fail(format!("printed form {printed:?} of {src:?} does not parse: {}", e.message))),
            }
        }
        Err(e) => {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len(), "span {:?} outside {:?}", e.span, src);
        }
    }
    Ok(())
}

proptest! {
    // PROPTEST_CASES=100000 for a longer soak.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(3000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_strings_never_panic(src in "\\PC{0,80}") {
        check_pipeline(&src)?;
        check_expr(&src)?;
    }

    #[test]
    fn token_soups_never_panic(src in token_soup()) {
        check_pipeline(&src)?;
        check_expr(&src)?;
    }

    #[test]
    fn spaced_token_soups_never_panic(src in spaced_soup()) {
        check_pipeline(&src)?;
        check_expr(&src)?;
    }

    #[test]
    fn soups_after_a_command_never_panic(cmd in prop::sample::select(&["search", "where", "eval", "stats", "bin", "rename", "convert", "table", "join x"][..]), rest in spaced_soup()) {
        check_pipeline(&format!("a | {cmd} {rest}"))?;
    }
}

/// Long flat chains (`1+1+...+1`: one tree level per operator) of every operator class: parsing,
/// printing, re-parsing, comparing, cloning, walking and dropping all run in loops, not one call
/// per level, so 50,000 terms fit an ordinary test thread's stack.
#[test]
fn long_flat_chains_parse_print_and_drop() {
    let n = 50_000;
    let ops = ["+", "-", "*", "/", "%", ".", "=", "<", "AND", "OR", "XOR", "LIKE"];
    for op in ops {
        let chain = vec!["x"; n].join(&format!(" {op} "));
        let src = format!("| makeresults | eval y={chain} | where {chain}");
        let p = parse_pipeline(&src).unwrap_or_else(|e| panic!("{op}: {}", e.message));
        let printed = p.to_string();
        assert_eq!(printed, src, "{op}");
        let again = parse_pipeline(&printed).unwrap_or_else(|e| panic!("{op}: {}", e.message));
        assert_eq!(without_spans(&again), without_spans(&p), "{op}");
        let copy = p.clone();
        assert!(copy == p);
        let e = parse_expr(&chain).unwrap_or_else(|e| panic!("{op}: {}", e.message));
        let mut fields = 0;
        spelunk_syntax::visit::walk_expr(&e, &mut |x| fields += usize::from(matches!(x.kind, spelunk_syntax::ast::ExprKind::Field { .. })));
        assert_eq!(fields, n, "{op}");
        drop((p, again, copy, e));
    }
    // a search of many terms is a flat list already
    let terms = (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>().join(" OR ");
    assert!(parse_pipeline(&format!("search {terms} | eval z=1")).is_ok());
}

/// Nesting (parentheses, NOT, unary minus, calls) is what grows the parser's own stack: past
/// the limit it is an error saying so, even 100,000 levels deep.
#[test]
fn very_deep_nesting_is_a_clear_error() {
    let deep = 100_000;
    for src in [
        format!("| makeresults | eval x={}1{}", "(".repeat(deep), ")".repeat(deep)),
        format!("| makeresults | eval x={}1{}", "abs(".repeat(deep), ")".repeat(deep)),
        format!("| makeresults | eval x={}1", "-".repeat(deep)),
        format!("search {}a{}", "(".repeat(deep), ")".repeat(deep)),
        format!("search {}a", "NOT ".repeat(deep)),
    ] {
        match parse_pipeline(&src) {
            Ok(_) => panic!("parsed {} levels", deep),
            Err(e) => assert!(e.message.contains("nested more than"), "{}", e.message),
        }
    }
}

/// Inputs the property tests once found, kept so they stay fixed.
#[test]
fn found_by_the_property_tests() {
    // `as` after a comma was read as an aggregation named `as`, printed without the comma,
    // and the printed form no longer parsed
    for src in ["a | stats AND , as", "a | stats count, as", "a | stats count , as x"] {
        check_pipeline(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(parse_pipeline(src).is_err(), "{src}");
    }
    // a quoted field name starting with a keyword (`"AND+"='`) printed bare read as `AND +='`
    for src in ["a\"AND+\"='", "\"OR-x\"=1", "\"NOT.y\"=2", "XOR IN AND ( XOR )", "a in AND (b OR c)"] {
        check_pipeline(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    }
}
