//! spelunk-sql: SPL to SQL, over spelunk's own [`LogicalPlan`].
//!
//! One SQL statement per query: a `WITH` chain holding one CTE per pipeline step (the scan of
//! the table, the add-on's field aliases, its calculated fields, then one CTE per SPL command),
//! and a final `SELECT` that names the columns as SPL names them and orders the rows as spelunk
//! orders them. [`gen`] does the generation shared by every dialect; [`spark`], [`trino`]
//! (Athena engine v3 too) and [`duckdb`] map SPL's semantics onto each dialect's functions
//! (the [`Dialect`] trait). [`layout`] says where each SPL field lives in a table: raw
//! CloudTrail as AWS documents its Athena table, Amazon Security Lake OCSF, or one column per
//! top-level key of NDJSON events.
//!
//! What a dialect cannot express exactly is refused with an [`SqlError`] that names the command
//! or function and the dialect: the generator never emits approximate SQL.

pub mod duckdb;
pub mod gen;
pub mod layout;
pub mod spark;
pub mod trino;

pub use layout::{Layout, LayoutKind};

use spelunk_plan::Planner;
use std::fmt;

/// A SQL dialect spelunk writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialectName {
    Spark,
    Trino,
    DuckDb,
}

impl std::str::FromStr for DialectName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "spark" | "sparksql" | "databricks" => Ok(DialectName::Spark),
            "trino" | "athena" | "presto" => Ok(DialectName::Trino),
            "duckdb" => Ok(DialectName::DuckDb),
            other => Err(format!("unknown dialect `{other}`: use spark, trino (also Athena) or duckdb")),
        }
    }
}

impl DialectName {
    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            DialectName::Spark => &spark::Spark,
            DialectName::Trino => &trino::Trino,
            DialectName::DuckDb => &duckdb::DuckDb,
        }
    }
}

/// Why a query does not compile to SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlError {
    pub message: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

/// `what` (a command or function, as SPL names it) cannot be written exactly in `dialect`.
pub fn refuse(what: &str, dialect: &str, why: &str) -> SqlError {
    SqlError { message: format!("`{what}` cannot be compiled to {dialect} SQL exactly: {why}") }
}

/// Compile options: the dialect, the table and how SPL fields map onto its columns.
#[derive(Debug, Clone)]
pub struct Options {
    pub dialect: DialectName,
    pub table: String,
    pub layout: Layout,
}

/// Plan `query` (macros expanded, props known) and compile it to one SQL statement.
pub fn compile(query: &str, planner: &Planner, opts: &Options) -> Result<String, SqlError> {
    let planned = planner.plan(query).map_err(|e| SqlError { message: format!("{} ({}); not compiled to {} SQL", e.error.message, e.error.code, opts.dialect.dialect().name()) })?;
    gen::generate(&planned.plan, planner, opts)
}

/// What a dialect writes differently: quoting, literals, and the functions SPL maps onto.
/// Every method returns SQL text; arguments are SQL text too.
pub trait Dialect: Sync {
    fn name(&self) -> &'static str;
    /// A quoted identifier.
    fn ident(&self, name: &str) -> String;
    /// A string literal.
    fn str_lit(&self, s: &str) -> String;
    /// The text type (`VARCHAR` / `STRING`).
    fn text_type(&self) -> &'static str;
    /// The array-of-text type.
    fn text_array_type(&self) -> &'static str;
    /// Does `x` contain a match of regular expression `re` (a literal)? Unanchored.
    fn regex_like(&self, x: &str, re: &str) -> String;
    /// Group `group` of the first match of `re` in `x`; NULL when `x` does not match (or the
    /// group did not take part in the match, where the dialect can tell).
    fn regex_extract(&self, x: &str, re: &str, group: usize) -> String;
    /// Replace every match of `re` in `x`; `repl` uses `\1` for groups (Splunk's form), the
    /// dialect rewrites it.
    fn regex_replace(&self, x: &str, re: &str, repl: &str) -> Result<String, SqlError>;
    /// `arr` with `body` (over the variable `v`) applied to each element.
    fn transform(&self, arr: &str, v: &str, body: &str) -> String;
    /// The elements of `arr` for which `cond` (over `v`) is true.
    fn filter(&self, arr: &str, v: &str, cond: &str) -> String;
    /// Is `cond` (over `v`) true for some element of `arr`? (false for an empty array, null for null)
    fn exists(&self, arr: &str, v: &str, cond: &str) -> String;
    fn cardinality(&self, arr: &str) -> String;
    /// Distinct elements, sorted by code point (Splunk's `values()` order).
    fn sort_distinct(&self, arr: &str) -> String;
    /// Aggregate: the array of the non-null values of `x` in the group.
    fn agg_array(&self, x: &str) -> String;
    /// Aggregate: the concatenation of the arrays `arr` of the group (null arrays skipped).
    fn agg_flatten(&self, arr: &str) -> String;
    /// A one-element array holding `x` (`x` is not null).
    fn array_of(&self, x: &str) -> String;
    /// The element at 1-based index `i` (negative: from the end); NULL when out of range.
    fn element_at(&self, arr: &str, i: i64) -> String;
    fn array_join(&self, arr: &str, sep: &str) -> String;
    /// `x` split at every occurrence of the literal text `sep` (empty parts kept).
    fn split(&self, x: &str, sep: &str) -> String;
    /// The value of `x` as a number if it reads as one by Splunk's rule, else NULL.
    fn to_number(&self, x: &str) -> String {
        format!(
            "CASE WHEN {} THEN CAST(trim({x}) AS DOUBLE) END",
            self.regex_like(x, r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$")
        )
    }
    /// A DOUBLE as Splunk prints it: whole numbers without a fraction.
    fn number_text(&self, x: &str) -> String;
    /// Epoch seconds formatted in UTC with a strftime format (only `%Y %m %d %H %M %S %%`).
    fn strftime(&self, x: &str, fmt: &str) -> Result<String, SqlError>;
    /// ISO-8601 text (`2024-03-04T21:00:00Z`, offsets, fractions) to epoch seconds; NULL when it
    /// does not parse.
    fn parse_iso_time(&self, x: &str) -> String;
    /// The scalar at JSON path `path` (`$.a.b`) of the JSON text `x`; NULL when absent or not
    /// a scalar (an object or array gives no field in Splunk); JSON null gives `null` where the
    /// dialect can tell.
    fn json_scalar(&self, x: &str, path: &[String]) -> String;
    /// The array at `path` of JSON text `x`, each element's `sub` path (empty: the element
    /// itself) as text, non-scalars and missing members left out.
    fn json_array(&self, x: &str, path: &[String], sub: &[String]) -> String;
    /// Aggregate: the value of `x` in the row with the smallest (`min`) or largest `by`.
    fn arg_min_max(&self, x: &str, by: &str, min: bool) -> String;
    /// Aggregate over a window: the array of non-null values.
    fn window_array(&self, x: &str, over: &str) -> String {
        format!("{} OVER ({over})", self.agg_array(x))
    }
    /// `x LIKE pattern ESCAPE '!'`
    fn like(&self, x: &str, pattern: &str) -> String {
        format!("({x} LIKE {} ESCAPE '!')", self.str_lit(pattern))
    }
}
