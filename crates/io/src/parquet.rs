//! Security Lake Parquet: rows to JSON records, so nested structs, lists and maps get exactly
//! the field names their JSON twins get (`actor.user.uid`, `resources{}.uid`, `unmapped.key`).
//! A null column value means the field is absent (Parquet has no "present but null").

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::{Map, Number, Value};
use std::path::Path;

/// A streaming reader of a Parquet file's rows.
pub struct ParquetRows {
    reader: ParquetRecordBatchReader,
    /// The decoder panicked: its state is unknown, the rest of the file is not read.
    broken: bool,
}

/// Run a step of the Parquet decoder, turning a panic into an error. The parquet crate asserts
/// on some corrupt encodings (e.g. a bit width wider than its type, found by the `read_parquet`
/// fuzz target) instead of returning an error; a corrupt file must cost only itself.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let why = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "decoder failure".into());
            Err(format!("{what}: corrupt data ({why})"))
        }
    }
}

impl ParquetRows {
    /// Open a file, reading only the top-level columns that lead to a projected field (and
    /// those that decide the sourcetype and time).
    pub fn open(path: &Path, batch_size: usize, fields: &crate::flatten::FieldSet) -> Result<Self, String> {
        guarded("invalid Parquet", || Self::open_unguarded(path, batch_size, fields))
    }

    fn open_unguarded(path: &Path, batch_size: usize, fields: &crate::flatten::FieldSet) -> Result<Self, String> {
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let mut b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| format!("invalid Parquet: {e}"))?;
        if !fields.is_all() {
            let keep: Vec<usize> = b
                .schema()
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| fields.descends(f.name()) || crate::json::KEEP_VALUE.contains(&f.name().as_str()) || crate::json::KEEP_PRESENCE.contains(&f.name().as_str()))
                .map(|(i, _)| i)
                .collect();
            let mask = parquet::arrow::ProjectionMask::roots(b.parquet_schema(), keep);
            b = b.with_projection(mask);
        }
        let reader = b.with_batch_size(batch_size.max(1)).build().map_err(|e| format!("invalid Parquet: {e}"))?;
        Ok(ParquetRows { reader, broken: false })
    }

    /// The next batch of rows as JSON objects.
    pub fn next_rows(&mut self) -> Option<Result<Vec<Value>, String>> {
        if self.broken {
            return None;
        }
        let reader = &mut self.reader;
        let step = guarded("reading Parquet", || match reader.next() {
            None => Ok(None),
            Some(batch) => batch.map_err(|e| format!("reading Parquet: {e}")).map(|b| Some(rows(&b))),
        });
        match step {
            Ok(None) => None,
            Ok(Some(rows)) => Some(Ok(rows)),
            Err(e) => {
                self.broken = e.contains("corrupt data");
                Some(Err(e))
            }
        }
    }
}

/// Every row of a batch as a JSON object (null columns left out).
pub fn rows(batch: &RecordBatch) -> Vec<Value> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|r| {
            let mut m = Map::new();
            for (f, col) in schema.fields().iter().zip(batch.columns()) {
                if let Some(v) = value(col, r) {
                    m.insert(f.name().clone(), v);
                }
            }
            Value::Object(m)
        })
        .collect()
}

fn value(a: &ArrayRef, row: usize) -> Option<Value> {
    if a.is_null(row) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::String(a.as_string::<i64>().value(row).to_string()),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            let s = arrow::util::display::array_value_to_string(a.as_ref(), row).ok()?;
            s.parse::<i64>().map(Value::from).or_else(|_| s.parse::<u64>().map(Value::from)).unwrap_or(Value::String(s))
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let s = arrow::util::display::array_value_to_string(a.as_ref(), row).ok()?;
            s.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number).unwrap_or(Value::String(s))
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut m = Map::new();
            for (f, col) in fields.iter().zip(s.columns()) {
                if let Some(v) = value(col, row) {
                    m.insert(f.name().clone(), v);
                }
            }
            Value::Object(m)
        }
        DataType::List(f) => list(a.as_list::<i32>().value(row), f.name()),
        DataType::LargeList(f) => list(a.as_list::<i64>().value(row), f.name()),
        DataType::Timestamp(unit, _) => {
            use arrow::datatypes::{TimeUnit, TimestampMicrosecondType as Us, TimestampMillisecondType as Ms, TimestampNanosecondType as Ns, TimestampSecondType as S};
            let nanos: i128 = match unit {
                TimeUnit::Second => a.as_primitive_opt::<S>()?.value(row) as i128 * 1_000_000_000,
                TimeUnit::Millisecond => a.as_primitive_opt::<Ms>()?.value(row) as i128 * 1_000_000,
                TimeUnit::Microsecond => a.as_primitive_opt::<Us>()?.value(row) as i128 * 1_000,
                TimeUnit::Nanosecond => a.as_primitive_opt::<Ns>()?.value(row) as i128,
            };
            let secs = nanos.div_euclid(1_000_000_000) as i64;
            let sub = nanos.rem_euclid(1_000_000_000) as u32;
            let dt = chrono::DateTime::from_timestamp(secs, sub)?;
            let mut t = dt.format("%Y-%m-%d %H:%M:%S").to_string();
            if sub > 0 {
                let frac = format!("{:09}", sub);
                t.push('.');
                t.push_str(frac.trim_end_matches('0'));
            }
            Value::String(t)
        }
        DataType::Map(_, _) => {
            let m = a.as_map();
            let entries = m.value(row);
            let keys = entries.column(0);
            let vals = entries.column(1);
            let mut out = Map::new();
            for i in 0..entries.len() {
                let k = arrow::util::display::array_value_to_string(keys.as_ref(), i).ok()?;
                if let Some(v) = value(vals, i) {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        _ => Value::String(arrow::util::display::array_value_to_string(a.as_ref(), row).ok()?),
    })
}

/// A list's elements. Parquet's legacy list encoding wraps each element in a one-field group
/// named `array` (or `<name>_tuple`); the Parquet spec's compatibility rules make that group the
/// element itself, so it is unwrapped here (as DuckDB and Spark read it).
fn list(items: ArrayRef, item_name: &str) -> Value {
    if let DataType::Struct(fields) = items.data_type() {
        if fields.len() == 1 && (item_name == "array" || item_name.ends_with("_tuple")) {
            let inner = items.as_struct().column(0).clone();
            return Value::Array((0..items.len()).filter(|i| !items.is_null(*i)).filter_map(|i| value(&inner, i)).collect());
        }
    }
    Value::Array((0..items.len()).filter_map(|i| value(&items, i)).collect())
}
