//! Result formatting for `spelunk run`: aligned tables, CSV (RFC 4180), JSON and NDJSON.
//!
//! Input is the result's `RecordBatch`es. Columns are Utf8 (one value or null), List<Utf8>
//! (multivalue: null or an empty list means the field is absent), Int64, Float64 or Boolean;
//! other Arrow types are printed with Arrow's display. The batches' schemas may differ: the
//! output has the union of their columns in first-seen order, and a row lacks the columns its
//! batch does not have.
//!
//! Values, as Splunk shows them:
//! - a multivalue field with one value is that value (Splunk has no one-element multivalue:
//!   JSON prints a string, not a one-element array); with several, a JSON array of strings,
//!   one value a line in a table cell, the values joined by `\n` inside one quoted CSV cell;
//! - numbers are JSON numbers; a Float64 without fraction prints as an integer (`5`, not `5.0`),
//!   NaN and infinities as the strings `NaN`, `inf`, `-inf`;
//! - a `_time` column holding numbers (epoch seconds) prints as ISO-8601 with milliseconds and
//!   the zone of [`OutputOptions::tz`] (`2024-03-04T10:00:00.000+00:00`), in
//!   every format;
//! - a field a row lacks is left out of its JSON object and is an empty table/CSV cell.
//!
//! CSV, JSON and NDJSON are written row by row (memory is one row, not the result); a table
//! has to measure every row first.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use arrow::record_batch::RecordBatch;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns with a header (the default on a terminal).
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object a line.
    Ndjson,
}

impl FromStr for Format {
    type Err = String;

    /// `table` (also `txt`, `text`), `csv`, `json`, `ndjson` (also `jsonl`); any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" | "txt" | "text" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            other => Err(format!("unknown format `{other}`: use table, csv, json or ndjson")),
        }
    }
}

impl Format {
    /// The format a file name's extension names: `.csv`, `.json`, `.ndjson`/`.jsonl`,
    /// `.txt`/`.table`; `None` for any other extension or none.
    #[allow(dead_code)]
    pub fn from_extension(path: &Path) -> Option<Format> {
        path.extension().and_then(|e| e.to_str()).and_then(|e| e.parse().ok())
    }

    /// [`Format::from_extension`], falling back to a table.
    #[allow(dead_code)]
    pub fn from_path(path: &Path) -> Format {
        Format::from_extension(path).unwrap_or(Format::Table)
    }
}

/// How to print.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// The time zone `_time` is shown in (default UTC).
    pub tz: DisplayTz,
    /// Widest a table may be, in characters (`None`: as wide as its content). Long cell lines
    /// are cut to fit, ending in `…`.
    pub max_width: Option<usize>,
    /// CSV: prefix cells a spreadsheet would run as a formula with `'` (`--csv-safe`).
    pub csv_safe: bool,
}

/// Write `batches` in `format`. Errors are the writer's (a closed pipe is `BrokenPipe`).
pub fn write_results(batches: &[RecordBatch], format: Format, out: &mut dyn Write, opts: &OutputOptions) -> std::io::Result<()> {
    let cols = columns(batches);
    let mut w = BufWriter::new(out);
    match format {
        Format::Json => write_json(batches, &cols, &mut w, opts, true)?,
        Format::Ndjson => write_json(batches, &cols, &mut w, opts, false)?,
        Format::Csv => write_csv(batches, &cols, &mut w, opts)?,
        Format::Table => write_table(batches, &cols, &mut w, opts)?,
    }
    w.flush()
}

/// The time zone of `--tz`: a fixed offset from UTC, or a named zone of the IANA database
/// (`America/New_York`), whose offset follows daylight saving time at each instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DisplayTz {
    /// Seconds east of UTC (0 = UTC; 3600 = `+01:00`).
    Fixed(i32),
    Named(chrono_tz::Tz),
}

impl Default for DisplayTz {
    fn default() -> Self {
        DisplayTz::Fixed(0)
    }
}

impl DisplayTz {
    /// `UTC`, `Z`, `GMT`, `+02:00`, `-0530`, `+2`, `UTC+1`, or an IANA name such as
    /// `Europe/Paris`.
    pub fn parse(s: &str) -> Result<DisplayTz, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("gmt") {
            return Ok(DisplayTz::Fixed(0));
        }
        let bad = || format!("invalid time zone `{s}`: use UTC, an offset such as +02:00 or -0530, or a zone name such as Europe/Paris");
        let offset = t.strip_prefix("UTC").or_else(|| t.strip_prefix("utc")).unwrap_or(t);
        let (sign, rest) = match offset.as_bytes().first() {
            Some(b'+') => (1, &offset[1..]),
            Some(b'-') => (-1, &offset[1..]),
            _ => return t.parse::<chrono_tz::Tz>().map(DisplayTz::Named).map_err(|_| bad()),
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 => (&rest[..2], &rest[2..]),
            None => (rest, "0"),
        };
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if !(0..=14).contains(&h) || !(0..60).contains(&m) {
            return Err(bad());
        }
        Ok(DisplayTz::Fixed(sign * (h * 3600 + m * 60)))
    }
}

/// `_time` as spelunk shows it: ISO-8601 with milliseconds and the UTC offset, e.g.
/// `2024-03-04T10:00:00.000+00:00`. Sub-millisecond digits are dropped, as Splunk drops them
/// (after rounding to the microsecond, so that `...523.123` stored as `...523.12299999` is `.123`).
pub fn format_time(epoch: f64, tz: DisplayTz) -> String {
    use chrono::TimeZone;
    if !epoch.is_finite() || epoch.abs() > 1e14 {
        return number_text(epoch);
    }
    let micros = (epoch * 1e6).round() as i64;
    let secs = micros.div_euclid(1_000_000);
    let nanos = (micros.rem_euclid(1_000_000) / 1000 * 1_000_000) as u32;
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f%:z";
    let text = match tz {
        DisplayTz::Fixed(off) => chrono::FixedOffset::east_opt(off).and_then(|z| z.timestamp_opt(secs, nanos).single()).map(|dt| dt.format(FORMAT).to_string()),
        DisplayTz::Named(z) => z.timestamp_opt(secs, nanos).single().map(|dt| dt.format(FORMAT).to_string()),
    };
    text.unwrap_or_else(|| number_text(epoch))
}

// ---------------------------------------------------------------------------------------------
// cells

/// One cell of one row.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Missing,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Two or more values.
    Multi(Vec<String>),
}

impl Cell {
    /// The text a table or CSV cell shows (multivalues one a line).
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

    /// The text a table shows: [`Cell::text`] with control characters made visible.
    fn shown(&self) -> String {
        match self {
            Cell::Text(t) => visible(t),
            Cell::Multi(v) => v.iter().map(|x| visible(x)).collect::<Vec<_>>().join("\n"),
            other => other.text(),
        }
    }

    /// The JSON value (`None`: the row lacks the field).
    fn json(&self) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match self {
            Cell::Missing => return None,
            Cell::Text(t) => J::String(t.clone()),
            Cell::Int(i) => J::from(*i),
            Cell::Float(f) => match integral(*f) {
                Some(i) => J::from(i),
                None => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or_else(|| J::String(number_text(*f))),
            },
            Cell::Bool(b) => J::Bool(*b),
            Cell::Multi(v) => J::Array(v.iter().cloned().map(J::String).collect()),
        })
    }
}

/// A float without fraction that fits an i64, as that integer.
fn integral(f: f64) -> Option<i64> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

/// A float as text: integers without `.0`, others in Rust's shortest round-trip form (never
/// an exponent), NaN and infinities as `NaN`, `inf`, `-inf`.
fn number_text(f: f64) -> String {
    match integral(f) {
        Some(i) => i.to_string(),
        None => format!("{f}"),
    }
}

/// The cell at `row` of column `a`. `is_time`: the column is `_time`.
fn cell(a: &dyn Array, row: usize, is_time: bool, opts: &OutputOptions) -> Cell {
    if a.is_null(row) {
        return Cell::Missing;
    }
    match a.data_type() {
        DataType::Utf8 => Cell::Text(a.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Cell::Text(a.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Cell::Text(a.as_string_view().value(row).to_string()),
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().value(row);
            if is_time {
                Cell::Text(format_time(v, opts.tz))
            } else {
                Cell::Float(v)
            }
        }
        DataType::Int64 => {
            let v = a.as_primitive::<Int64Type>().value(row);
            if is_time {
                Cell::Text(format_time(v as f64, opts.tz))
            } else {
                Cell::Int(v)
            }
        }
        DataType::Boolean => Cell::Bool(a.as_boolean().value(row)),
        DataType::List(_) => multi(a.as_list::<i32>().value(row).as_ref(), opts),
        DataType::LargeList(_) => multi(a.as_list::<i64>().value(row).as_ref(), opts),
        _ => match arrow::util::display::array_value_to_string(a, row) {
            Ok(s) => Cell::Text(s),
            Err(_) => Cell::Missing,
        },
    }
}

/// A multivalue cell from the list's values; null values are skipped, none left = absent.
fn multi(values: &dyn Array, opts: &OutputOptions) -> Cell {
    let mut vals: Vec<String> = (0..values.len())
        .filter(|i| !values.is_null(*i))
        .map(|i| match cell(values, i, false, opts) {
            Cell::Text(t) => t,
            other => other.text(),
        })
        .collect();
    match vals.len() {
        0 => Cell::Missing,
        1 => Cell::Text(vals.pop().unwrap_or_default()),
        _ => Cell::Multi(vals),
    }
}

/// The union of the batches' columns, in first-seen order.
fn columns(batches: &[RecordBatch]) -> Vec<String> {
    // first-seen order, with a set (a linear search per field was quadratic in wide data)
    let mut cols: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for b in batches {
        for f in b.schema_ref().fields() {
            if seen.insert(f.name().clone()) {
                cols.push(f.name().clone());
            }
        }
    }
    cols
}

/// Call `f` with every row's cells, in `cols` order.
fn for_each_row(
    batches: &[RecordBatch],
    cols: &[String],
    opts: &OutputOptions,
    mut f: impl FnMut(&[Cell]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut cells: Vec<Cell> = Vec::with_capacity(cols.len());
    for b in batches {
        let schema = b.schema_ref();
        let by_name: std::collections::HashMap<&str, usize> = schema.fields().iter().enumerate().map(|(i, f)| (f.name().as_str(), i)).collect();
        let idx: Vec<Option<usize>> = cols.iter().map(|c| by_name.get(c.as_str()).copied()).collect();
        for r in 0..b.num_rows() {
            cells.clear();
            for (i, name) in idx.iter().zip(cols) {
                cells.push(match i {
                    Some(i) => cell(b.column(*i).as_ref(), r, name == "_time", opts),
                    None => Cell::Missing,
                });
            }
            f(&cells)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// formats

fn json_object(cols: &[String], cells: &[Cell]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (c, v) in cols.iter().zip(cells) {
        if let Some(j) = v.json() {
            m.insert(c.clone(), j);
        }
    }
    serde_json::Value::Object(m)
}

/// JSON: `[` + one object a line + `]` (`[]` when there are no rows). NDJSON: one object a line.
fn write_json(batches: &[RecordBatch], cols: &[String], w: &mut dyn Write, opts: &OutputOptions, array: bool) -> std::io::Result<()> {
    let mut first = true;
    for_each_row(batches, cols, opts, |cells| {
        if array {
            w.write_all(if first { b"[\n" } else { b",\n" })?;
        }
        first = false;
        serde_json::to_writer(&mut *w, &json_object(cols, cells))?;
        if !array {
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    if array {
        w.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    }
    Ok(())
}

/// CSV per RFC 4180: a header row, then one record per row; a field containing a comma, a
/// double quote, CR or LF is enclosed in double quotes, quotes inside it doubled. Records end
/// in LF (what Unix tools expect; RFC 4180 readers accept it). No columns, no output.
/// Text for the terminal: control characters (ESC, CR, BEL, ... but not the newline, which a
/// table cell shows as a line break) and Unicode direction overrides are written as escapes
/// (`\x1b`, `\r`, `\t`, `\u{202e}`), so log fields cannot move the cursor, clear the screen or
/// reorder what is shown.
fn visible(t: &str) -> String {
    let hostile = |c: char| (c.is_control() && c != '\n') || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !t.chars().any(hostile) {
        return t.to_string();
    }
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hostile(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hostile(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `--csv-safe`: a cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'` (OWASP, "CSV Injection").
fn csv_safe(t: &str) -> std::borrow::Cow<'_, str> {
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{t}"))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

fn write_csv(batches: &[RecordBatch], cols: &[String], w: &mut dyn Write, opts: &OutputOptions) -> std::io::Result<()> {
    if cols.is_empty() {
        return Ok(());
    }
    let guard = |t: String| if opts.csv_safe { csv_safe(&t).into_owned() } else { t };
    let header: Vec<String> = cols.iter().cloned().map(guard).collect();
    write_csv_record(w, header.iter().map(|c| c.as_str()))?;
    for_each_row(batches, cols, opts, |cells| {
        let texts: Vec<String> = cells.iter().map(|c| guard(c.text())).collect();
        write_csv_record(w, texts.iter().map(|s| s.as_str()))
    })
}

fn write_csv_record<'a>(w: &mut dyn Write, fields: impl Iterator<Item = &'a str>) -> std::io::Result<()> {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        if f.contains([',', '"', '\n', '\r']) {
            w.write_all(b"\"")?;
            w.write_all(f.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(f.as_bytes())?;
        }
    }
    w.write_all(b"\n")
}

/// An aligned table (comfy-table): a header row, one line per value of a multivalue cell,
/// empty cells for missing fields. With `max_width` (the terminal's width), columns are narrowed
/// to fit, widest first, and each line of a cell longer than its column ends in `…`.
fn write_table(batches: &[RecordBatch], cols: &[String], w: &mut dyn Write, opts: &OutputOptions) -> std::io::Result<()> {
    if cols.is_empty() {
        return writeln!(w, "(no results)");
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for_each_row(batches, cols, opts, |cells| {
        rows.push(cells.iter().map(Cell::shown).collect());
        Ok(())
    })?;
    let mut header: Vec<String> = cols.iter().map(|c| visible(c)).collect();
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.force_no_tty();
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    if let Some(width) = opts.max_width {
        if !fits_as_table(&header, width) {
            return write_records(&header, &rows, width, w);
        }
        let limits = column_limits(&header, &rows, width);
        for (i, h) in header.iter_mut().enumerate() {
            *h = clip_lines(h, limits[i]);
        }
        for r in rows.iter_mut() {
            for (i, c) in r.iter_mut().enumerate() {
                *c = clip_lines(c, limits[i]);
            }
        }
        // too many columns to fit even narrowed: let comfy-table wrap what is left
        t.set_width(width.min(u16::MAX as usize) as u16);
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    }
    t.set_header(header);
    for r in rows {
        t.add_row(r);
    }
    writeln!(w, "{t}")
}

/// Can `cols` columns be shown side by side in `width` characters, each at least
/// [`MIN_COLUMN`] wide (or as wide as its name, when that is narrower)?
fn fits_as_table(header: &[String], width: usize) -> bool {
    let need: usize = header.iter().map(|h| h.chars().count().clamp(1, MIN_COLUMN)).sum::<usize>() + 1 + 3 * header.len();
    need <= width
}

/// Rows too wide for a table (raw events with dozens of fields, say), one block per row: a
/// numbered rule, then `field  value` lines for the fields the row has (missing ones left out,
/// as Splunk's event view does), values cut to the width, a multivalue cell one value a line.
fn write_records(header: &[String], rows: &[Vec<String>], width: usize, w: &mut dyn Write) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(w, "(no results)");
    }
    let name_width = header.iter().map(|h| h.chars().count()).max().unwrap_or(0).min(width / 3).max(1);
    let value_width = width.saturating_sub(name_width + 2).max(MIN_COLUMN);
    for (n, row) in rows.iter().enumerate() {
        let label = format!("── {} ", n + 1);
        writeln!(w, "{label}{}", "─".repeat(width.saturating_sub(label.chars().count()).min(60)))?;
        for (name, cell) in header.iter().zip(row) {
            if cell.is_empty() {
                continue;
            }
            let name = clip_lines(name, name_width);
            for (i, line) in clip_lines(cell, value_width).lines().enumerate() {
                let shown = if i == 0 { name.as_str() } else { "" };
                writeln!(w, "{shown:<name_width$}  {line}")?;
            }
        }
    }
    Ok(())
}

/// The narrowest a column is made to fit the width (its content may be narrower).
const MIN_COLUMN: usize = 8;

/// The widest each column may be for the table to fit `width` characters: every column keeps
/// its natural width when they all fit, else the widest are cut down to one common limit (never
/// below [`MIN_COLUMN`]).
fn column_limits(header: &[String], rows: &[Vec<String>], width: usize) -> Vec<usize> {
    let line_width = |s: &str| s.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut natural: Vec<usize> = header.iter().map(|h| line_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(n) = natural.get_mut(i) {
                *n = (*n).max(line_width(c));
            }
        }
    }
    // borders (2), one space either side of every column and one between columns
    let budget = width.saturating_sub(1 + 3 * natural.len());
    if natural.iter().sum::<usize>() <= budget {
        return natural;
    }
    // the largest common limit under which the columns fit
    let fits = |limit: usize| natural.iter().map(|n| (*n).min(limit)).sum::<usize>() <= budget;
    let (mut lo, mut hi) = (MIN_COLUMN, natural.iter().copied().max().unwrap_or(MIN_COLUMN).max(MIN_COLUMN));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    natural.iter().map(|n| (*n).min(lo)).collect()
}

/// Each line of `text` cut to at most `limit` characters, the cut ones ending in `…`.
fn clip_lines(text: &str, limit: usize) -> String {
    if text.lines().all(|l| l.chars().count() <= limit) {
        return text.to_string();
    }
    let clip = |l: &str| {
        if l.chars().count() <= limit {
            l.to_string()
        } else {
            let mut s: String = l.chars().take(limit.saturating_sub(1)).collect();
            s.push('…');
            s
        }
    };
    text.split('\n').map(clip).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {

    #[test]
    fn time_zones_fixed_and_named_with_daylight_saving() {
        let tz = |s: &str| DisplayTz::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tz("UTC"), DisplayTz::Fixed(0));
        assert_eq!(tz("-0800"), DisplayTz::Fixed(-8 * 3600));
        assert_eq!(tz("+05:30"), DisplayTz::Fixed(5 * 3600 + 1800));
        assert_eq!(tz("UTC+1"), DisplayTz::Fixed(3600));
        // 2024-01-15T12:00:00Z and 2024-07-15T12:00:00Z: Paris is +01:00 in winter, +02:00 in summer
        let (winter, summer) = (1_705_320_000.0, 1_721_044_800.0);
        assert_eq!(format_time(winter, tz("Europe/Paris")), "2024-01-15T13:00:00.000+01:00");
        assert_eq!(format_time(summer, tz("Europe/Paris")), "2024-07-15T14:00:00.000+02:00");
        assert_eq!(format_time(summer, tz("America/New_York")), "2024-07-15T08:00:00.000-04:00");
        assert_eq!(format_time(winter, tz("+02:00")), "2024-01-15T14:00:00.000+02:00");
        for bad in ["Mars/Olympus", "+25:00", "soon", ""] {
            assert!(DisplayTz::parse(bad).unwrap_err().contains("invalid time zone"), "{bad}");
        }
    }

    use super::*;
    use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, ListBuilder, StringArray, StringBuilder};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    /// A List<Utf8> column; `None` = null row, `Some(vec![])` = empty list.
    fn list(rows: &[Option<&[&str]>]) -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new());
        for r in rows {
            match r {
                Some(vals) => {
                    for v in *vals {
                        b.values().append_value(v);
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        Arc::new(b.finish())
    }

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let schema = Schema::new(cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>());
        RecordBatch::try_new(Arc::new(schema), cols.into_iter().map(|(_, a)| a).collect()).expect("batch")
    }

    /// Two rows: everything present, then mostly missing.
    fn sample() -> RecordBatch {
        batch(vec![
            ("user", Arc::new(StringArray::from(vec![Some("alice"), None]))),
            ("n", Arc::new(Int64Array::from(vec![Some(5), Some(-7)]))),
            ("avg", Arc::new(Float64Array::from(vec![Some(5.0), Some(2.5)]))),
            ("vals", list(&[Some(&["a", "b, \"c\""]), None])),
            ("one", list(&[Some(&["only"]), Some(&[])])),
            ("ok", Arc::new(BooleanArray::from(vec![Some(true), None]))),
            ("_time", Arc::new(Float64Array::from(vec![Some(1705315523.0), Some(0.5)]))),
        ])
    }

    fn render_with(batches: &[RecordBatch], f: Format, opts: &OutputOptions) -> String {
        let mut out = Vec::new();
        write_results(batches, f, &mut out, opts).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    fn render(batches: &[RecordBatch], f: Format) -> String {
        render_with(batches, f, &OutputOptions::default())
    }

    // --- formats by name and extension

    #[test]
    fn formats_parse_by_name_and_extension() {
        assert_eq!("table".parse::<Format>(), Ok(Format::Table));
        assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert_eq!("ndjson".parse::<Format>(), Ok(Format::Ndjson));
        assert_eq!("jsonl".parse::<Format>(), Ok(Format::Ndjson));
        assert!("xml".parse::<Format>().unwrap_err().contains("table, csv, json or ndjson"));
        let ext = |p: &str| Format::from_extension(Path::new(p));
        assert_eq!(ext("out/results.csv"), Some(Format::Csv));
        assert_eq!(ext("r.json"), Some(Format::Json));
        assert_eq!(ext("r.ndjson"), Some(Format::Ndjson));
        assert_eq!(ext("r.jsonl"), Some(Format::Ndjson));
        assert_eq!(ext("r.txt"), Some(Format::Table));
        assert_eq!(ext("r.table"), Some(Format::Table));
        assert_eq!(ext("r.xlsx"), None);
        assert_eq!(ext("results"), None);
        assert_eq!(Format::from_path(Path::new("results")), Format::Table);
    }

    // --- JSON / NDJSON

    #[test]
    fn ndjson_keeps_column_order_types_and_leaves_out_missing_fields() {
        assert_eq!(
            render(&[sample()], Format::Ndjson),
            concat!(
                r#"{"user":"alice","n":5,"avg":5,"vals":["a","b, \"c\""],"one":"only","ok":true,"_time":"2024-01-15T10:45:23.000+00:00"}"#,
                "\n",
                r#"{"n":-7,"avg":2.5,"_time":"1970-01-01T00:00:00.500+00:00"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn json_is_one_array_of_the_same_objects() {
        let text = render(&[sample()], Format::Json);
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let rows = v.as_array().expect("array");
        assert_eq!(rows.len(), 2);
        let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
        assert_eq!(keys, ["user", "n", "avg", "vals", "one", "ok", "_time"]);
        assert_eq!(rows[0]["vals"], serde_json::json!(["a", "b, \"c\""]));
        assert_eq!(rows[0]["avg"], serde_json::json!(5), "a float without fraction is an integer");
        assert!(rows[0]["avg"].is_i64());
        assert_eq!(rows[1]["avg"], serde_json::json!(2.5));
        assert!(rows[1].get("user").is_none() && rows[1].get("vals").is_none() && rows[1].get("one").is_none());
        // the same rows as NDJSON, one a line between the brackets
        let ndjson = render(&[sample()], Format::Ndjson);
        assert_eq!(text, format!("[\n{}\n]\n", ndjson.trim_end().replace('\n', ",\n")));
    }

    #[test]
    fn json_without_rows_is_an_empty_array_and_ndjson_is_empty() {
        let empty = batch(vec![("user", Arc::new(StringArray::from(Vec::<Option<&str>>::new())))]);
        assert_eq!(render(std::slice::from_ref(&empty), Format::Json), "[]\n");
        assert_eq!(render(&[], Format::Json), "[]\n");
        assert_eq!(render(&[empty], Format::Ndjson), "");
    }

    #[test]
    fn json_numbers_edge_cases() {
        let b = batch(vec![(
            "x",
            Arc::new(Float64Array::from(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e16, 1e20, 0.1, -3.0])),
        )]);
        let got: Vec<String> = render(&[b], Format::Ndjson).lines().map(String::from).collect();
        assert_eq!(
            got,
            [
                r#"{"x":"NaN"}"#,
                r#"{"x":"inf"}"#,
                r#"{"x":"-inf"}"#,
                r#"{"x":0}"#,
                r#"{"x":10000000000000000}"#,
                r#"{"x":1e+20}"#,
                r#"{"x":0.1}"#,
                r#"{"x":-3}"#
            ]
        );
    }

    #[test]
    fn batches_with_different_columns_are_unioned_in_first_seen_order() {
        let a = batch(vec![("src", Arc::new(StringArray::from(vec!["1.2.3.4"]))), ("n", Arc::new(Int64Array::from(vec![1])))]);
        let b = batch(vec![("user", Arc::new(StringArray::from(vec!["bob"]))), ("src", Arc::new(StringArray::from(vec!["5.6.7.8"])))]);
        assert_eq!(render(&[a.clone(), b.clone()], Format::Ndjson), "{\"src\":\"1.2.3.4\",\"n\":1}\n{\"src\":\"5.6.7.8\",\"user\":\"bob\"}\n");
        assert_eq!(render(&[a, b], Format::Csv), "src,n,user\n1.2.3.4,1,\n5.6.7.8,,bob\n");
    }

    // --- _time

    #[test]
    fn time_prints_as_iso_8601_with_the_offset() {
        assert_eq!(format_time(1709546400.0, DisplayTz::Fixed(0)), "2024-03-04T10:00:00.000+00:00");
        assert_eq!(format_time(1709546400.0, DisplayTz::Fixed(3600)), "2024-03-04T11:00:00.000+01:00");
        assert_eq!(format_time(1709546400.0, DisplayTz::Fixed(-5 * 3600 - 1800)), "2024-03-04T04:30:00.000-05:30");
        assert_eq!(format_time(1705315523.123, DisplayTz::Fixed(0)), "2024-01-15T10:45:23.123+00:00", "no float truncation to .122");
        assert_eq!(format_time(1705315523.9996, DisplayTz::Fixed(0)), "2024-01-15T10:45:23.999+00:00", "milliseconds are truncated");
        assert_eq!(format_time(-0.25, DisplayTz::Fixed(0)), "1969-12-31T23:59:59.750+00:00");
        assert_eq!(format_time(f64::NAN, DisplayTz::Fixed(0)), "NaN");
        let b = batch(vec![("_time", Arc::new(Int64Array::from(vec![1709546400]))), ("t", Arc::new(Float64Array::from(vec![1709546400.0])))]);
        let opts = OutputOptions { tz: DisplayTz::Fixed(7200), max_width: None, csv_safe: false };
        assert_eq!(render_with(std::slice::from_ref(&b), Format::Csv, &opts), "_time,t\n2024-03-04T12:00:00.000+02:00,1709546400\n", "only _time is a time");
        assert_eq!(render_with(std::slice::from_ref(&b), Format::Json, &opts), "[\n{\"_time\":\"2024-03-04T12:00:00.000+02:00\",\"t\":1709546400}\n]\n");
        assert!(render_with(&[b], Format::Table, &opts).contains("2024-03-04T12:00:00.000+02:00"));
        // a _time that is already text prints as it is
        let s = batch(vec![("_time", Arc::new(StringArray::from(vec!["1700000000"])))]);
        assert_eq!(render(&[s], Format::Ndjson), "{\"_time\":\"1700000000\"}\n");
    }

    // --- CSV

    #[test]
    fn csv_has_a_header_and_quotes_per_rfc_4180() {
        let b = batch(vec![
            ("plain", Arc::new(StringArray::from(vec![Some("x y"), None]))),
            ("comma", Arc::new(StringArray::from(vec![Some("a,b"), Some("")]))),
            ("quote", Arc::new(StringArray::from(vec![Some("say \"hi\""), Some("\"")]))),
            ("newline", Arc::new(StringArray::from(vec![Some("l1\nl2"), Some("cr\r")]))),
            ("mv", list(&[Some(&["v1", "v,2"]), Some(&["solo"])])),
            ("n", Arc::new(Int64Array::from(vec![Some(3), None]))),
            ("f", Arc::new(Float64Array::from(vec![Some(1.5), Some(2.0)]))),
            ("he said \"x\", y", Arc::new(BooleanArray::from(vec![Some(false), Some(true)]))),
        ]);
        assert_eq!(
            render(&[b], Format::Csv),
            concat!(
                "plain,comma,quote,newline,mv,n,f,\"he said \"\"x\"\", y\"\n",
                "x y,\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",\"v1\nv,2\",3,1.5,false\n",
                ",,\"\"\"\",\"cr\r\",solo,,2,true\n"
            )
        );
    }

    #[test]
    fn csv_of_the_sample_and_of_nothing() {
        let csv = render(&[sample()], Format::Csv);
        assert_eq!(
            csv,
            "user,n,avg,vals,one,ok,_time\nalice,5,5,\"a\nb, \"\"c\"\"\",only,true,2024-01-15T10:45:23.000+00:00\n,-7,2.5,,,,1970-01-01T00:00:00.500+00:00\n"
        );
        assert_eq!(render(&[], Format::Csv), "");
        let empty = batch(vec![("user", Arc::new(StringArray::from(Vec::<Option<&str>>::new())))]);
        assert_eq!(render(&[empty], Format::Csv), "user\n", "columns without rows: the header only");
    }

    // --- table

    #[test]
    fn table_aligns_columns_and_lists_multivalues_one_a_line() {
        let t = render(&[sample()], Format::Table);
        let lines: Vec<&str> = t.lines().collect();
        // border, header, separator, row 1 (2 lines: two values), row 2, border
        assert_eq!(lines.len(), 7, "{t}");
        assert!(lines[1].contains("user") && lines[1].contains("_time"));
        let col = |line: &str, s: &str| line.find(s).map(|b| line[..b].chars().count());
        // the two values of `vals` start in the same column, on consecutive lines
        assert_eq!(col(lines[3], "a "), col(lines[4], "b, \"c\""), "{t}");
        assert!(lines[3].contains("alice") && lines[3].contains("only") && lines[3].contains("true"));
        assert!(!lines[4].contains("alice"), "the second line of a row has only the second values");
        // the missing `user` of row 2 is an empty cell: `-7` is in the `n` column
        assert_eq!(col(lines[5], "-7"), col(lines[1], " n ").map(|c| c + 1), "{t}");
        // every line is as wide as the others
        let widths: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{t}");
    }

    #[test]
    fn rows_too_wide_for_a_table_print_as_records() {
        let cols: Vec<(&str, ArrayRef)> = (0..30).map(|i| (["f", &i.to_string()].concat().leak() as &str, Arc::new(StringArray::from(vec![Some("value"), None])) as ArrayRef)).collect();
        let b = batch(cols);
        let t = render_with(&[b], Format::Table, &OutputOptions { tz: DisplayTz::Fixed(0), max_width: Some(80), csv_safe: false });
        assert!(t.starts_with("── 1 "), "{t}");
        assert!(t.contains("\n── 2 "), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
        assert!(t.contains("\nf29  value\n") || t.contains("f29  value"), "{t}");
        // the second row has no fields: only its rule
        assert_eq!(t.lines().filter(|l| l.starts_with("f0 ")).count(), 1, "{t}");
    }

    #[test]
    fn table_fits_max_width_and_says_when_there_is_nothing() {
        let long = "x".repeat(200);
        let b = batch(vec![
            ("a", Arc::new(StringArray::from(vec![long.as_str()]))),
            ("b", Arc::new(StringArray::from(vec!["short"]))),
            ("mv", list(&[Some(&["first value", &"y".repeat(90)])])),
        ]);
        let t = render_with(&[b], Format::Table, &OutputOptions { tz: DisplayTz::Fixed(0), max_width: Some(60), csv_safe: false });
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{t}");
        // border, header, separator, the row's two lines (one per value), border
        assert_eq!(lines.len(), 6, "cut, not wrapped: {t}");
        assert!(lines[3].contains("short") && lines[3].contains("xxx…") && lines[3].contains("first value"), "{t}");
        assert!(lines[4].contains("yyy…") && !lines[4].contains('x'), "the second value on its own line: {t}");
        // a table that fits is left alone
        let small = batch(vec![("a", Arc::new(StringArray::from(vec!["1"])))]);
        assert!(!render_with(&[small], Format::Table, &OutputOptions { tz: DisplayTz::Fixed(0), max_width: Some(60), csv_safe: false }).contains('…'));
        assert_eq!(clip_lines("abcdef\nab", 4), "abc…\nab");
        assert_eq!(render(&[], Format::Table), "(no results)\n");
        let empty = batch(vec![("user", Arc::new(StringArray::from(Vec::<Option<&str>>::new())))]);
        assert!(render(&[empty], Format::Table).contains("user"), "columns without rows: the header");
    }

    /// Output over many distinct fields looks columns up by name in linear time.
    #[test]
    fn many_columns_are_written_in_linear_time() {
        let n = 20_000;
        let batch = |from: usize| {
            let fields: Vec<Field> = (from..from + n).map(|i| Field::new(format!("k{i}"), arrow::datatypes::DataType::Utf8, true)).collect();
            let cols: Vec<ArrayRef> = (from..from + n).map(|_| Arc::new(StringArray::from(vec![Some("v")])) as ArrayRef).collect();
            RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
        };
        let started = std::time::Instant::now();
        let batches = [batch(0), batch(n / 2)];
        let cols = columns(&batches);
        assert_eq!(cols.len(), n + n / 2);
        let mut rows = 0;
        for_each_row(&batches, &cols, &OutputOptions::default(), |_| {
            rows += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, 2);
        assert!(started.elapsed().as_secs_f64() < 3.0, "{:?}", started.elapsed());
    }

    fn text_batch(name: &str, vals: &[&str]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new(name, arrow::datatypes::DataType::Utf8, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vals.to_vec())) as ArrayRef]).unwrap()
    }

    /// Log fields can hold terminal control sequences (ESC, CR, BEL, screen clears): the
    /// table shows them visibly escaped instead of sending them to the terminal.
    #[test]
    fn table_output_escapes_control_characters() {
        let b = text_batch("msg\u{1b}]0;x", &["a\u{1b}[2Jb\rc\u{7}d\te\u{202e}f", "line1\nline2"]);
        for width in [None, Some(40), Some(12)] {
            let t = render_with(std::slice::from_ref(&b), Format::Table, &OutputOptions { max_width: width, ..OutputOptions::default() });
            assert!(!t.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'), "{width:?}: {t:?}");
        }
        let t = render(std::slice::from_ref(&b), Format::Table);
        assert!(t.contains(r"a\x1b[2Jb\rc\x07d\te\u{202e}f"), "{t}");
        assert!(t.contains(r"msg\x1b]0;x"), "{t}");
        assert!(t.contains("line1") && t.contains("line2"), "{t}");
        // CSV and JSON keep the data as it is
        assert!(render(std::slice::from_ref(&b), Format::Csv).contains('\u{1b}'));
    }

    /// `--csv-safe`: cells that a spreadsheet would run as a formula (starting with = + - @,
    /// tab or carriage return) get a leading `'`, as OWASP's CSV injection advice recommends.
    #[test]
    fn csv_safe_neutralises_formula_cells() {
        let b = text_batch("=cmd", &["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "safe", "a=b"]);
        let plain = render(std::slice::from_ref(&b), Format::Csv);
        assert!(plain.contains("\"=HYPERLINK"), "{plain}");
        let safe = render_with(std::slice::from_ref(&b), Format::Csv, &OutputOptions { csv_safe: true, ..OutputOptions::default() });
        let lines: Vec<&str> = safe.lines().collect();
        assert_eq!(lines, ["'=cmd", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", "'+1", "'-2", "'@SUM(A1)", "'\tx", "safe", "a=b"], "{safe}");
    }
}
