//! DuckDB: RE2 regular expressions, `lambda x:` list functions, `[...]` lists.

use crate::{Dialect, SqlError};

pub struct DuckDb;

fn json_path(path: &[String]) -> String {
    let mut p = String::from("$");
    for s in path {
        p.push_str(&format!(".\"{}\"", s.replace('"', "\\\"")));
    }
    p
}

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }
    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
    fn str_lit(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    fn text_type(&self) -> &'static str {
        "VARCHAR"
    }
    fn text_array_type(&self) -> &'static str {
        "VARCHAR[]"
    }
    fn regex_like(&self, x: &str, re: &str) -> String {
        format!("regexp_matches({x}, {})", self.str_lit(re))
    }
    fn regex_extract(&self, x: &str, re: &str, group: usize) -> String {
        // regexp_extract gives '' without a match: only take it where there is one
        format!("CASE WHEN {} THEN regexp_extract({x}, {}, {group}) END", self.regex_like(x, re), self.str_lit(re))
    }
    fn regex_replace(&self, x: &str, re: &str, repl: &str) -> Result<String, SqlError> {
        // RE2 rewrite strings use \1 as Splunk does
        Ok(format!("regexp_replace({x}, {}, {}, 'g')", self.str_lit(re), self.str_lit(repl)))
    }
    fn transform(&self, arr: &str, v: &str, body: &str) -> String {
        format!("list_transform({arr}, lambda {v}: {body})")
    }
    fn filter(&self, arr: &str, v: &str, cond: &str) -> String {
        format!("list_filter({arr}, lambda {v}: {cond})")
    }
    fn exists(&self, arr: &str, v: &str, cond: &str) -> String {
        format!("(len(list_filter({arr}, lambda {v}: coalesce({cond}, false))) > 0)")
    }
    fn cardinality(&self, arr: &str) -> String {
        format!("len({arr})")
    }
    fn sort_distinct(&self, arr: &str) -> String {
        format!("list_sort(list_distinct({arr}))")
    }
    fn agg_array(&self, x: &str) -> String {
        format!("list({x}) FILTER (WHERE {x} IS NOT NULL)")
    }
    fn agg_flatten(&self, arr: &str) -> String {
        format!("flatten(list({arr}) FILTER (WHERE {arr} IS NOT NULL))")
    }
    fn window_array(&self, x: &str, over: &str) -> String {
        format!("list({x}) FILTER (WHERE {x} IS NOT NULL) OVER ({over})")
    }
    fn array_of(&self, x: &str) -> String {
        format!("[{x}]")
    }
    fn element_at(&self, arr: &str, i: i64) -> String {
        format!("list_extract({arr}, {i})")
    }
    fn array_join(&self, arr: &str, sep: &str) -> String {
        format!("array_to_string({arr}, {sep})")
    }
    fn split(&self, x: &str, sep: &str) -> String {
        format!("string_split({x}, {sep})")
    }
    fn number_text(&self, x: &str) -> String {
        format!("CASE WHEN {x} = floor({x}) AND abs({x}) < 1e15 THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST({x} AS VARCHAR) END")
    }
    fn strftime(&self, x: &str, fmt: &str) -> Result<String, SqlError> {
        crate::gen::check_strftime(fmt, "duckdb")?;
        Ok(format!("strftime(epoch_ms(CAST(floor({x} * 1000) AS BIGINT)), {})", self.str_lit(fmt)))
    }
    fn parse_iso_time(&self, x: &str) -> String {
        format!("epoch(TRY_CAST({x} AS TIMESTAMPTZ))")
    }
    fn json_scalar(&self, x: &str, path: &[String]) -> String {
        let p = self.str_lit(&json_path(path));
        format!("CASE json_type({x}, {p}) WHEN 'OBJECT' THEN NULL WHEN 'ARRAY' THEN NULL WHEN 'NULL' THEN 'null' ELSE json_extract_string({x}, {p}) END")
    }
    fn json_array(&self, x: &str, path: &[String], sub: &[String]) -> String {
        let mut p = json_path(path);
        p.push_str("[*]");
        p.push_str(&json_path(sub)[1..]);
        format!("list_filter(json_extract_string({x}, {}), lambda e: e IS NOT NULL)", self.str_lit(&p))
    }
    fn arg_min_max(&self, x: &str, by: &str, min: bool) -> String {
        format!("{}({x}, {by}) FILTER (WHERE {x} IS NOT NULL)", if min { "arg_min" } else { "arg_max" })
    }
}
