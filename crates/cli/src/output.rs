//! Result formatting: aligned tables, CSV (RFC 4180), JSON and NDJSON.
//!
//! Columns: Utf8 (single value), List<Utf8> (multivalue), Int64/Float64 (numbers), Boolean;
//! batches may differ in schema: the output has the union of their columns in first-seen order.
//! `_time` (Float64 epoch seconds) prints as ISO-8601 with offset.

use arrow::array::{Array, BooleanArray, Float64Array, Int64Array, LargeStringArray, ListArray, StringArray};
use arrow::record_batch::RecordBatch;
use std::io::Write;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "txt" | "text" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            other => Err(format!("unknown format `{other}`: use table, csv, json or ndjson")),
        }
    }
}

impl Format {
    /// The format a file name asks for (`.csv`, `.json`, `.ndjson`/`.jsonl`, else table).
    #[allow(dead_code)]
    pub fn from_path(p: &std::path::Path) -> Format {
        p.extension().and_then(|e| e.to_str()).and_then(|e| e.parse().ok()).unwrap_or(Format::Table)
    }
}

#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Offset from UTC for `_time` display, in seconds.
    pub utc_offset_seconds: i32,
    /// Terminal width for tables (None: no limit).
    pub max_width: Option<usize>,
}

/// One cell: absent, a single value, or several.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Missing,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Multi(Vec<String>),
}

fn cell(a: &dyn Array, row: usize, is_time: bool, opts: &OutputOptions) -> Cell {
    if a.is_null(row) {
        return Cell::Missing;
    }
    let any = a.as_any();
    if let Some(s) = any.downcast_ref::<StringArray>() {
        return Cell::Text(s.value(row).to_string());
    }
    if let Some(s) = any.downcast_ref::<LargeStringArray>() {
        return Cell::Text(s.value(row).to_string());
    }
    if let Some(f) = any.downcast_ref::<Float64Array>() {
        let v = f.value(row);
        if is_time {
            return Cell::Text(format_time(v, opts.utc_offset_seconds));
        }
        return Cell::Float(v);
    }
    if let Some(i) = any.downcast_ref::<Int64Array>() {
        if is_time {
            return Cell::Text(format_time(i.value(row) as f64, opts.utc_offset_seconds));
        }
        return Cell::Int(i.value(row));
    }
    if let Some(b) = any.downcast_ref::<BooleanArray>() {
        return Cell::Bool(b.value(row));
    }
    if let Some(l) = any.downcast_ref::<ListArray>() {
        let inner = l.value(row);
        let vals: Vec<String> = (0..inner.len())
            .filter(|i| !inner.is_null(*i))
            .map(|i| match cell(inner.as_ref(), i, false, opts) {
                Cell::Text(t) => t,
                other => other.text(),
            })
            .collect();
        // a list of one value is a single value (Splunk shows no brackets for it)
        return match vals.len() {
            0 => Cell::Missing,
            1 => Cell::Text(vals.into_iter().next().unwrap_or_default()),
            _ => Cell::Multi(vals),
        };
    }
    match arrow::util::display::array_value_to_string(a, row) {
        Ok(s) => Cell::Text(s),
        Err(_) => Cell::Missing,
    }
}

/// `_time` as Splunk shows it: ISO-8601 with milliseconds and offset.
pub fn format_time(epoch: f64, offset: i32) -> String {
    use chrono::TimeZone;
    let secs = epoch.floor() as i64;
    let nanos = ((epoch - epoch.floor()) * 1e9).round().min(999_999_999.0) as u32;
    match chrono::FixedOffset::east_opt(offset).and_then(|tz| tz.timestamp_opt(secs, nanos).single()) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        None => epoch.to_string(),
    }
}

fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Missing => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => number_text(*f),
            Cell::Bool(b) => b.to_string(),
            Cell::Multi(v) => v.join("\n"),
        }
    }

    fn json(&self) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match self {
            Cell::Missing => return None,
            Cell::Text(t) => J::String(t.clone()),
            Cell::Int(i) => J::from(*i),
            Cell::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9e15 => J::from(*f as i64),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or_else(|| J::String(f.to_string())),
            Cell::Bool(b) => J::Bool(*b),
            Cell::Multi(v) => J::Array(v.iter().map(|s| J::String(s.clone())).collect()),
        })
    }
}

/// The union of columns and every row's cells.
fn rows(batches: &[RecordBatch], opts: &OutputOptions) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut cols: Vec<String> = Vec::new();
    for b in batches {
        for f in b.schema_ref().fields() {
            if !cols.contains(f.name()) {
                cols.push(f.name().clone());
            }
        }
    }
    let mut out = Vec::new();
    for b in batches {
        let schema = b.schema();
        let idx: Vec<Option<usize>> = cols.iter().map(|c| schema.index_of(c).ok()).collect();
        for r in 0..b.num_rows() {
            out.push(
                idx.iter()
                    .zip(&cols)
                    .map(|(i, name)| match i {
                        Some(i) => cell(b.column(*i).as_ref(), r, name == "_time", opts),
                        None => Cell::Missing,
                    })
                    .collect(),
            );
        }
    }
    (cols, out)
}

pub fn write_results(batches: &[RecordBatch], format: Format, out: &mut dyn Write, opts: &OutputOptions) -> std::io::Result<()> {
    let (cols, rows) = rows(batches, opts);
    match format {
        Format::Json | Format::Ndjson => {
            let objs: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    for (c, v) in cols.iter().zip(r) {
                        if let Some(j) = v.json() {
                            m.insert(c.clone(), j);
                        }
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            if format == Format::Json {
                serde_json::to_writer(&mut *out, &serde_json::Value::Array(objs))?;
                writeln!(out)?;
            } else {
                for o in objs {
                    serde_json::to_writer(&mut *out, &o)?;
                    writeln!(out)?;
                }
            }
        }
        Format::Csv => {
            writeln!(out, "{}", cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","))?;
            for r in &rows {
                writeln!(out, "{}", r.iter().map(|c| csv_field(&c.text())).collect::<Vec<_>>().join(","))?;
            }
        }
        Format::Table => {
            if cols.is_empty() {
                return writeln!(out, "(no results)");
            }
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
            if let Some(w) = opts.max_width {
                t.set_width(w as u16);
                t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            }
            t.set_header(cols.clone());
            for r in &rows {
                t.add_row(r.iter().map(|c| c.text()).collect::<Vec<_>>());
            }
            writeln!(out, "{t}")?;
        }
    }
    Ok(())
}

/// RFC 4180: quote fields with commas, quotes, or line breaks; double the quotes.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ListBuilder, StringBuilder};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let mut lb = ListBuilder::new(StringBuilder::new());
        lb.values().append_value("a");
        lb.values().append_value("b, \"c\"");
        lb.append(true);
        lb.append(false);
        let list = lb.finish();
        let schema = Schema::new(vec![
            Field::new("user", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
            Field::new("vals", list.data_type().clone(), true),
            Field::new("_time", DataType::Float64, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![Some("alice"), None])),
                Arc::new(Int64Array::from(vec![5, 7])),
                Arc::new(list),
                Arc::new(Float64Array::from(vec![1705315523.0, 0.5])),
            ],
        )
        .expect("batch")
    }

    fn render(f: Format) -> String {
        let mut out = Vec::new();
        write_results(&[batch()], f, &mut out, &OutputOptions::default()).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn json_keeps_order_numbers_and_multivalues_and_drops_missing() {
        assert_eq!(
            render(Format::Ndjson),
            "{\"user\":\"alice\",\"n\":5,\"vals\":[\"a\",\"b, \\\"c\\\"\"],\"_time\":\"2024-01-15T10:45:23.000+00:00\"}\n{\"n\":7,\"_time\":\"1970-01-01T00:00:00.500+00:00\"}\n"
        );
        assert!(render(Format::Json).starts_with("[{\"user\":\"alice\""));
    }

    #[test]
    fn csv_quotes_per_rfc4180() {
        let csv = render(Format::Csv);
        assert_eq!(csv.lines().next(), Some("user,n,vals,_time"));
        assert!(csv.contains("alice,5,\"a\nb, \"\"c\"\"\",2024-01-15T10:45:23.000+00:00"));
    }

    #[test]
    fn table_lists_multivalues_one_per_line() {
        let t = render(Format::Table);
        assert!(t.contains("alice") && t.contains("b, \"c\""));
    }
}
