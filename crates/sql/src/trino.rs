//! Trino (and Athena engine v3, which is Trino): Java-style regular expressions (joni),
//! `transform`/`filter`/`any_match`, `ARRAY[...]`, `json_extract_scalar`.

use crate::{Dialect, SqlError};

pub struct Trino;

fn json_path(path: &[String]) -> String {
    let mut p = String::from("$");
    for s in path {
        p.push_str(&format!("[\"{}\"]", s.replace('"', "\\\"")));
    }
    p
}

impl Dialect for Trino {
    fn name(&self) -> &'static str {
        "trino"
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
        "ARRAY(VARCHAR)"
    }
    fn regex_like(&self, x: &str, re: &str) -> String {
        format!("regexp_like({x}, {})", self.str_lit(re))
    }
    fn regex_extract(&self, x: &str, re: &str, group: usize) -> String {
        format!("regexp_extract({x}, {}, {group})", self.str_lit(re))
    }
    fn regex_replace(&self, x: &str, re: &str, repl: &str) -> Result<String, SqlError> {
        Ok(format!("regexp_replace({x}, {}, {})", self.str_lit(re), self.str_lit(&crate::gen::dollar_groups(repl))))
    }
    fn transform(&self, arr: &str, v: &str, body: &str) -> String {
        format!("transform({arr}, {v} -> {body})")
    }
    fn filter(&self, arr: &str, v: &str, cond: &str) -> String {
        format!("filter({arr}, {v} -> {cond})")
    }
    fn exists(&self, arr: &str, v: &str, cond: &str) -> String {
        format!("any_match({arr}, {v} -> coalesce({cond}, false))")
    }
    fn cardinality(&self, arr: &str) -> String {
        format!("cardinality({arr})")
    }
    fn sort_distinct(&self, arr: &str) -> String {
        format!("array_sort(array_distinct({arr}))")
    }
    fn agg_array(&self, x: &str) -> String {
        format!("array_agg({x}) FILTER (WHERE {x} IS NOT NULL)")
    }
    fn agg_flatten(&self, arr: &str) -> String {
        format!("flatten(array_agg({arr}) FILTER (WHERE {arr} IS NOT NULL))")
    }
    fn window_array(&self, x: &str, over: &str) -> String {
        format!("filter(array_agg({x}) OVER ({over}), e -> e IS NOT NULL)")
    }
    fn array_of(&self, x: &str) -> String {
        format!("ARRAY[{x}]")
    }
    fn element_at(&self, arr: &str, i: i64) -> String {
        format!("CASE WHEN cardinality({arr}) >= {} THEN element_at({arr}, {i}) END", i.abs())
    }
    fn array_join(&self, arr: &str, sep: &str) -> String {
        format!("array_join({arr}, {sep})")
    }
    fn split(&self, x: &str, sep: &str) -> String {
        format!("split({x}, {sep})")
    }
    fn number_text(&self, x: &str) -> String {
        format!("CASE WHEN {x} = floor({x}) AND abs({x}) < 1e15 THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE format('%s', {x}) END")
    }
    fn strftime(&self, x: &str, fmt: &str) -> Result<String, SqlError> {
        crate::gen::check_strftime(fmt, "trino")?;
        // MySQL-style specifiers: %i is minutes, %s seconds
        let f = fmt.replace("%M", "%i").replace("%S", "%s");
        Ok(format!("date_format(from_unixtime(floor({x}), 'UTC'), {})", self.str_lit(&f)))
    }
    fn parse_iso_time(&self, x: &str) -> String {
        format!("to_unixtime(try(from_iso8601_timestamp({x})))")
    }
    fn json_scalar(&self, x: &str, path: &[String]) -> String {
        let p = self.str_lit(&json_path(path));
        format!("CASE WHEN json_format(json_extract({x}, {p})) = 'null' THEN 'null' ELSE json_extract_scalar({x}, {p}) END")
    }
    fn json_array(&self, x: &str, path: &[String], sub: &[String]) -> String {
        let p = self.str_lit(&json_path(path));
        let elem = if sub.is_empty() { "json_extract_scalar(e, '$')".to_string() } else { format!("json_extract_scalar(e, {})", self.str_lit(&json_path(sub))) };
        format!("filter(transform(try_cast(json_extract({x}, {p}) AS ARRAY(JSON)), e -> {elem}), e -> e IS NOT NULL)")
    }
    fn arg_min_max(&self, x: &str, by: &str, min: bool) -> String {
        format!("{}({x}, {by}) FILTER (WHERE {x} IS NOT NULL)", if min { "min_by" } else { "max_by" })
    }
}
