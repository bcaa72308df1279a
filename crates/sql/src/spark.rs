//! Spark SQL (4.x, ANSI mode, `spark.sql.caseSensitive=true` for CloudTrail's `Host`/`host`):
//! Java regular expressions, backslash escapes in string literals, `transform`/`filter`/
//! `exists`, `collect_list`, the VARIANT type for JSON text. Time formatting uses the session
//! time zone: run with `spark.sql.session.timeZone=UTC`, as spelunk (and a Splunk server set to
//! UTC) formats times in UTC.

use crate::{Dialect, SqlError};

pub struct Spark;

fn json_path(path: &[String]) -> String {
    let mut p = String::from("$");
    for s in path {
        p.push_str(&format!("['{}']", s.replace('\'', "\\'")));
    }
    p
}

impl Spark {
    /// The variant at `path` of JSON text `x`.
    fn variant(&self, x: &str, path: &[String]) -> String {
        format!("variant_get(try_parse_json({x}), {})", self.str_lit(&json_path(path)))
    }
}

/// A variant as Splunk's JSON extraction gives it: a scalar's text, `null` for JSON null,
/// nothing for an object or array.
fn variant_text(v: &str) -> String {
    format!("CASE WHEN schema_of_variant({v}) = 'VOID' THEN 'null' WHEN schema_of_variant({v}) LIKE 'OBJECT%' OR schema_of_variant({v}) LIKE 'ARRAY%' THEN NULL ELSE try_variant_get({v}, '$', 'STRING') END")
}

impl Dialect for Spark {
    fn name(&self) -> &'static str {
        "spark"
    }
    fn ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }
    fn str_lit(&self, s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
    fn text_type(&self) -> &'static str {
        "STRING"
    }
    fn text_array_type(&self) -> &'static str {
        "ARRAY<STRING>"
    }
    fn regex_like(&self, x: &str, re: &str) -> String {
        format!("({x} RLIKE {})", self.str_lit(re))
    }
    fn regex_extract(&self, x: &str, re: &str, group: usize) -> String {
        format!("CASE WHEN {} THEN regexp_extract({x}, {}, {group}) END", self.regex_like(x, re), self.str_lit(re))
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
        format!("exists({arr}, {v} -> coalesce({cond}, false))")
    }
    fn cardinality(&self, arr: &str) -> String {
        format!("CASE WHEN {arr} IS NOT NULL THEN size({arr}) END")
    }
    fn sort_distinct(&self, arr: &str) -> String {
        format!("array_sort(array_distinct({arr}))")
    }
    fn agg_array(&self, x: &str) -> String {
        format!("collect_list({x})")
    }
    fn agg_flatten(&self, arr: &str) -> String {
        format!("flatten(collect_list({arr}))")
    }
    fn array_of(&self, x: &str) -> String {
        format!("array({x})")
    }
    fn element_at(&self, arr: &str, i: i64) -> String {
        format!("try_element_at({arr}, {i})")
    }
    fn array_join(&self, arr: &str, sep: &str) -> String {
        format!("array_join({arr}, {sep})")
    }
    fn split(&self, x: &str, sep: &str) -> String {
        // split() takes a regular expression: quote the separator
        let quoted: String = sep.chars().flat_map(|c| if c.is_ascii_alphanumeric() || c == '\'' { vec![c] } else { vec!['\\', c] }).collect();
        format!("split({x}, {}, -1)", quoted)
    }
    fn number_text(&self, x: &str) -> String {
        format!("CASE WHEN {x} = floor({x}) AND abs({x}) < 1e15 THEN CAST(CAST({x} AS BIGINT) AS STRING) ELSE CAST({x} AS STRING) END")
    }
    fn strftime(&self, x: &str, fmt: &str) -> Result<String, SqlError> {
        crate::gen::check_strftime(fmt, "spark")?;
        let mut out = String::new();
        let mut lit = String::new();
        let mut chars = fmt.chars();
        let flush = |lit: &mut String, out: &mut String| {
            if !lit.is_empty() {
                out.push('\'');
                out.push_str(&lit.replace('\'', "''"));
                out.push('\'');
                lit.clear();
            }
        };
        while let Some(c) = chars.next() {
            if c == '%' {
                let spec = match chars.next() {
                    Some('Y') => "yyyy",
                    Some('m') => "MM",
                    Some('d') => "dd",
                    Some('H') => "HH",
                    Some('M') => "mm",
                    Some('S') => "ss",
                    _ => {
                        lit.push('%');
                        continue;
                    }
                };
                flush(&mut lit, &mut out);
                out.push_str(spec);
            } else {
                lit.push(c);
            }
        }
        flush(&mut lit, &mut out);
        Ok(format!("date_format(timestamp_seconds(floor({x})), {})", self.str_lit(&out)))
    }
    fn parse_iso_time(&self, x: &str) -> String {
        format!("CAST(unix_micros(try_to_timestamp({x})) AS DOUBLE) / 1e6")
    }
    fn json_scalar(&self, x: &str, path: &[String]) -> String {
        variant_text(&self.variant(x, path))
    }
    fn json_array(&self, x: &str, path: &[String], sub: &[String]) -> String {
        let arr = format!("try_variant_get(try_parse_json({x}), {}, 'ARRAY<VARIANT>')", self.str_lit(&json_path(path)));
        let elem = if sub.is_empty() { "e".to_string() } else { format!("variant_get(e, {})", self.str_lit(&json_path(sub))) };
        format!("filter(transform({arr}, e -> {}), e -> e IS NOT NULL)", variant_text(&elem))
    }
    fn arg_min_max(&self, x: &str, by: &str, min: bool) -> String {
        format!("{}({x}, {by}) FILTER (WHERE {x} IS NOT NULL)", if min { "min_by" } else { "max_by" })
    }
}
