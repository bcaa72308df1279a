//! Comparing result rows of spelunk (`--format json`) and DuckDB (the helper's JSON).
//!
//! Normalisation, applied to both sides alike:
//! * a missing key and a JSON null are the same (spelunk leaves out fields a row lacks);
//! * numbers compare by value (`5` = `5.0`), rendered as text, like Splunk's values;
//!   booleans as `true`/`false`;
//! * a multivalue cell is the sorted (byte-wise) list of its values; a list of one value equals
//!   that value (Splunk has no one-element multivalue), an empty list equals no value;
//! * `_time` given as an ISO-8601 timestamp (`2024-03-04T22:00:00.000+00:00`, how spelunk and
//!   Splunk's REST API render `_time`) equals the same instant in epoch seconds.
//!
//! Rows are compared in order (both engines order by the BY fields), and each row's columns
//! must appear in the same relative order as the DuckDB query's column list.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    One(String),
    Many(Vec<String>),
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::One(s) => write!(f, "{s:?}"),
            Cell::Many(v) => write!(f, "{v:?}"),
        }
    }
}

/// A normalised row: columns in their original order, null cells left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<(String, Cell)>);

impl Row {
    fn as_map(&self) -> BTreeMap<&str, &Cell> {
        self.0.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{k}: {v}")?;
        }
        write!(f, "}}")
    }
}

fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(number_text(n)),
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `2024-03-04T22:00:00.000+00:00` -> `1709589600`; anything else unchanged.
fn time_text(s: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => {
            let secs = t.timestamp();
            let nanos = t.timestamp_subsec_nanos();
            if nanos == 0 {
                secs.to_string()
            } else {
                format!("{}", secs as f64 + nanos as f64 / 1e9)
            }
        }
        Err(_) => s,
    }
}

pub fn cell(column: &str, v: &Value) -> Option<Cell> {
    let c = match v {
        Value::Array(items) => {
            let mut vals: Vec<String> = items.iter().filter_map(scalar_text).collect();
            vals.sort();
            match vals.len() {
                0 => return None,
                1 => Cell::One(vals.pop().unwrap()),
                _ => Cell::Many(vals),
            }
        }
        other => Cell::One(scalar_text(other)?),
    };
    Some(match (column, c) {
        ("_time", Cell::One(s)) => Cell::One(time_text(s)),
        (_, c) => c,
    })
}

pub fn row(obj: &serde_json::Map<String, Value>) -> Row {
    Row(obj
        .iter()
        .filter_map(|(k, v)| cell(k, v).map(|c| (k.clone(), c)))
        .collect())
}

/// Rows of a JSON array of objects (spelunk `--format json`, DuckDB helper `rows`).
pub fn rows(v: &Value) -> Result<Vec<Row>, String> {
    let arr = v.as_array().ok_or("expected a JSON array of rows")?;
    arr.iter()
        .map(|r| r.as_object().map(row).ok_or_else(|| "expected a JSON object per row".to_string()))
        .collect()
}

/// What differs between two result sets; empty when they agree.
#[derive(Debug, Default)]
pub struct Diff {
    pub problems: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Compares spelunk's rows with DuckDB's, given DuckDB's column order. Reports at most
/// `limit` row-level differences (plus counts).
pub fn compare(spelunk: &[Row], duckdb: &[Row], columns: &[String], limit: usize) -> Diff {
    let mut d = Diff::default();
    // Column order: every spelunk row's keys must be known and in DuckDB's relative order.
    'rows: for (i, r) in spelunk.iter().enumerate() {
        let mut last = None;
        for (k, _) in &r.0 {
            match columns.iter().position(|c| c == k) {
                None => {
                    d.problems.push(format!("spelunk row {i} has column {k:?}, which the SQL does not return ({columns:?})"));
                    break 'rows;
                }
                Some(p) => {
                    if last.is_some_and(|l| p < l) {
                        let keys: Vec<&str> = r.0.iter().map(|(k, _)| k.as_str()).collect();
                        d.problems.push(format!("column order differs: spelunk {keys:?}, DuckDB {columns:?}"));
                        break 'rows;
                    }
                    last = Some(p);
                }
            }
        }
    }
    if spelunk.len() != duckdb.len() {
        d.problems.push(format!("row count differs: spelunk {}, DuckDB {}", spelunk.len(), duckdb.len()));
    }
    // Rows in one result and not the other (as multisets, ignoring order).
    let key = |r: &Row| r.as_map().into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\u{1}");
    let mut count: BTreeMap<String, (i64, Option<&Row>, Option<&Row>)> = BTreeMap::new();
    for r in spelunk {
        let e = count.entry(key(r)).or_insert((0, None, None));
        e.0 += 1;
        e.1 = Some(r);
    }
    for r in duckdb {
        let e = count.entry(key(r)).or_insert((0, None, None));
        e.0 -= 1;
        e.2 = Some(r);
    }
    let only_s: Vec<&Row> = count.values().filter(|e| e.0 > 0).filter_map(|e| e.1).collect();
    let only_d: Vec<&Row> = count.values().filter(|e| e.0 < 0).filter_map(|e| e.2).collect();
    if only_s.is_empty() && only_d.is_empty() {
        let order_differs = spelunk.iter().zip(duckdb).any(|(a, b)| a.as_map() != b.as_map());
        if order_differs {
            let at = spelunk.iter().zip(duckdb).position(|(a, b)| a.as_map() != b.as_map()).unwrap();
            d.problems.push(format!(
                "same rows, different order: first difference at row {at}: spelunk {}, DuckDB {}",
                spelunk[at], duckdb[at]
            ));
        }
        return d;
    }
    d.problems.push(format!("{} row(s) only in spelunk, {} only in DuckDB", only_s.len(), only_d.len()));
    for r in only_s.iter().take(limit) {
        d.problems.push(format!("  only spelunk: {r}"));
        if let Some(near) = nearest(r, duckdb) {
            d.problems.push(format!("     DuckDB's closest: {near}"));
            d.problems.push(format!("     differing cells: {}", cell_diff(r, near)));
        }
    }
    for r in only_d.iter().take(limit) {
        d.problems.push(format!("  only DuckDB:  {r}"));
    }
    d
}

/// The row of `others` sharing the most cells with `r` (to show what differs in a group).
fn nearest<'a>(r: &Row, others: &'a [Row]) -> Option<&'a Row> {
    let m = r.as_map();
    others
        .iter()
        .map(|o| (o.as_map().iter().filter(|(k, v)| m.get(*k) == Some(*v)).count(), o))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, o)| o)
}

fn cell_diff(a: &Row, b: &Row) -> String {
    let (ma, mb) = (a.as_map(), b.as_map());
    let mut keys: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| ma.get(k) != mb.get(k))
        .map(|k| {
            let s = |c: Option<&&Cell>| c.map(|c| c.to_string()).unwrap_or_else(|| "(none)".into());
            format!("{k}: spelunk {} vs DuckDB {}", s(ma.get(k)), s(mb.get(k)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cols(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalises_cells() {
        assert_eq!(cell("x", &json!(5)), Some(Cell::One("5".into())));
        assert_eq!(cell("x", &json!(5.0)), Some(Cell::One("5".into())));
        assert_eq!(cell("x", &json!(2.5)), Some(Cell::One("2.5".into())));
        assert_eq!(cell("x", &json!(null)), None);
        assert_eq!(cell("x", &json!([])), None);
        assert_eq!(cell("x", &json!(["a"])), Some(Cell::One("a".into())));
        assert_eq!(cell("x", &json!(["b", "B", "a"])), Some(Cell::Many(vec!["B".into(), "a".into(), "b".into()])));
        assert_eq!(cell("x", &json!(true)), Some(Cell::One("true".into())));
        assert_eq!(cell("_time", &json!("2024-03-04T22:00:00.000+00:00")), Some(Cell::One("1709589600".into())));
        assert_eq!(cell("_time", &json!(1709589600)), Some(Cell::One("1709589600".into())));
        assert_eq!(cell("firstTime", &json!("2024-03-04T22:00:00")), Some(Cell::One("2024-03-04T22:00:00".into())));
    }

    #[test]
    fn equal_rows_agree() {
        let s = rows(&json!([{"src": "1.2.3.4", "n": 5, "sig": "ListBuckets"}, {"src": "5", "n": 6, "sig": ["B", "A"]}])).unwrap();
        let d = rows(&json!([{"src": "1.2.3.4", "n": 5, "sig": ["ListBuckets"], "x": null}, {"src": "5", "n": 6.0, "sig": ["A", "B"], "x": []}])).unwrap();
        let diff = compare(&s, &d, &cols(&["src", "n", "sig", "x"]), 5);
        assert!(diff.is_empty(), "{:?}", diff.problems);
    }

    #[test]
    fn reports_differences() {
        let s = rows(&json!([{"src": "a", "n": 5}, {"src": "b", "n": 7}])).unwrap();
        let d = rows(&json!([{"src": "a", "n": 5}, {"src": "b", "n": 6}])).unwrap();
        let diff = compare(&s, &d, &cols(&["src", "n"]), 5);
        assert!(!diff.is_empty());
        let text = diff.problems.join("\n");
        assert!(text.contains("1 row(s) only in spelunk, 1 only in DuckDB"), "{text}");
        assert!(text.contains("n: spelunk \"7\" vs DuckDB \"6\""), "{text}");

        let s = rows(&json!([{"src": "a"}, {"src": "b"}])).unwrap();
        let d = rows(&json!([{"src": "b"}, {"src": "a"}])).unwrap();
        let diff = compare(&s, &d, &cols(&["src"]), 5);
        assert!(diff.problems[0].contains("different order"), "{:?}", diff.problems);

        let s = rows(&json!([{"n": 1, "src": "a"}])).unwrap();
        let d = rows(&json!([{"src": "a", "n": 1}])).unwrap();
        let diff = compare(&s, &d, &cols(&["src", "n"]), 5);
        assert!(diff.problems[0].contains("column order"), "{:?}", diff.problems);

        let s = rows(&json!([{"src": "a", "zzz": 1}])).unwrap();
        let diff = compare(&s, &d, &cols(&["src", "n"]), 5);
        assert!(diff.problems[0].contains("\"zzz\""), "{:?}", diff.problems);
    }
}
