//! Parse every search of security_content (../shared/corpus/security_content_searches.jsonl)
//! after a naive macro removal, and require that at least 99% parse.
//!
//! Macro expansion is not this crate's job: each backtick macro call is replaced by the plain
//! term `macro_placeholder` (inside a search expression that is a bare term; after a `|` it
//! becomes a command named `macro_placeholder`, which parses as a generic command).

use spelunk_syntax::normalize::without_spans;
use std::collections::BTreeMap;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/security_content_searches.jsonl");

/// Replace each single-backtick macro call `` `name(args)` `` by `macro_placeholder`, leaving
/// triple-backtick comments alone.
fn strip_macros(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['`', '"', '\\']) {
        if rest[i..].starts_with('\\') {
            // an escaped character outside quotes (`\"` in a bare word) is copied as is
            let n = rest[i + 1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&rest[..i + 1 + n]);
            rest = &rest[i + 1 + n..];
            continue;
        }
        if rest[i..].starts_with('"') {
            // copy a double-quoted string through (a backtick inside is not a macro)
            let body = &rest[i + 1..];
            let mut end = None;
            let mut it = body.char_indices();
            while let Some((j, c)) = it.next() {
                match c {
                    '\\' => {
                        it.next();
                    }
                    '"' => {
                        end = Some(i + 1 + j + 1);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("```") {
            // copy the comment through
            match tail.strip_prefix("```").and_then(|t| t.find("```")) {
                Some(j) => {
                    out.push_str(&tail[..j + 6]);
                    rest = &tail[j + 6..];
                }
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
            continue;
        }
        match tail[1..].find('`') {
            Some(j) => {
                out.push_str("macro_placeholder");
                rest = &tail[j + 2..];
            }
            None => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn strip_macros_keeps_comments() {
    assert_eq!(strip_macros("`a(x)` b ```c `d` ``` | `e`"), "macro_placeholder b ```c `d` ``` | macro_placeholder");
    assert_eq!(strip_macros("x=\"a`b\\\"`\" `m`"), "x=\"a`b\\\"`\" macro_placeholder");
}

#[test]
fn security_content_searches_parse() {
    let Ok(text) = std::fs::read_to_string(CORPUS) else {
        eprintln!("corpus absent, skipping: {CORPUS} not found");
        return;
    };
    let mut total = 0usize;
    let mut ok = 0usize;
    let mut round_trip_failures = Vec::new();
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("corpus line is JSON");
        let Some(search) = v.get("search").and_then(|s| s.as_str()) else { continue };
        let name = v.get("name").and_then(|s| s.as_str()).unwrap_or("?").to_string();
        total += 1;
        let q = strip_macros(search);
        match spelunk_syntax::parse_pipeline(&q) {
            Ok(p) => {
                ok += 1;
                // Printing and re-parsing gives the same tree.
                let printed = p.to_string();
                match spelunk_syntax::parse_pipeline(&printed) {
                    Ok(again) if without_spans(&again) == without_spans(&p) => {}
                    Ok(_) => round_trip_failures.push(format!("{name}: round trip changed the tree\n{printed}")),
                    Err(e) => round_trip_failures.push(format!("{name}: printed form does not parse: {e}\n{printed}")),
                }
            }
            Err(e) => {
                let ctx_start = e.span.start.saturating_sub(30);
                let ctx_end = (e.span.end + 30).min(q.len());
                let ctx = q.get(ctx_start..ctx_end).unwrap_or("").replace('\n', " ");
                reasons.entry(format!("{} {}", e.code, e.message)).or_default().push(format!("{name}: ...{ctx}..."));
            }
        }
    }
    let rate = ok as f64 / total.max(1) as f64;
    eprintln!("security_content: {ok}/{total} searches parse ({:.2}%)", rate * 100.0);
    let mut sorted: Vec<_> = reasons.iter().collect();
    sorted.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    for (reason, examples) in sorted.iter().take(25) {
        eprintln!("{:4} x {reason}", examples.len());
        for ex in examples.iter().take(3) {
            eprintln!("        {ex}");
        }
    }
    for f in round_trip_failures.iter().take(5) {
        eprintln!("{f}");
    }
    assert!(round_trip_failures.is_empty(), "{} searches do not round-trip", round_trip_failures.len());
    assert!(rate >= 0.99, "only {:.2}% of security_content searches parse", rate * 100.0);
}
