//! Between Arrow columns and [`Value`]s, following the event batch convention of spelunk-io:
//! Utf8 single values, List<Utf8> multivalues, Int64/Float64 numbers (`_time` is Float64),
//! Boolean; null = the row lacks the field.

use crate::value::Value;
use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, Float64Array, Float64Builder, Int64Array, Int64Builder, LargeStringArray, ListArray,
    ListBuilder, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use std::collections::HashMap;
use std::sync::Arc;

/// Read access to a batch by field name.
pub struct BatchView<'a> {
    pub batch: &'a RecordBatch,
    index: HashMap<&'a str, usize>,
}

impl<'a> BatchView<'a> {
    pub fn new(batch: &'a RecordBatch) -> Self {
        let schema = batch.schema_ref();
        let index = schema.fields().iter().enumerate().map(|(i, f)| (f.name().as_str(), i)).collect();
        BatchView { batch, index }
    }

    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    pub fn column(&self, name: &str) -> Option<&'a ArrayRef> {
        self.index.get(name).map(|i| self.batch.column(*i))
    }

    /// The value of a field at a row; Null when the batch has no such column.
    pub fn get(&self, name: &str, row: usize) -> Value {
        match self.column(name) {
            Some(a) => value_at(a.as_ref(), row),
            None => Value::Null,
        }
    }
}

/// The value of one cell.
pub fn value_at(a: &dyn Array, row: usize) -> Value {
    if row >= a.len() || a.is_null(row) {
        return Value::Null;
    }
    let any = a.as_any();
    if let Some(s) = any.downcast_ref::<StringArray>() {
        return Value::Str(s.value(row).to_string());
    }
    if let Some(f) = any.downcast_ref::<Float64Array>() {
        return Value::Num(f.value(row));
    }
    if let Some(i) = any.downcast_ref::<Int64Array>() {
        return Value::Int(i.value(row));
    }
    if let Some(l) = any.downcast_ref::<ListArray>() {
        let inner = l.value(row);
        let vals: Vec<Value> = (0..inner.len()).map(|i| value_at(inner.as_ref(), i)).collect();
        return Value::from_values(vals);
    }
    if let Some(b) = any.downcast_ref::<BooleanArray>() {
        return Value::Bool(b.value(row));
    }
    if let Some(s) = any.downcast_ref::<LargeStringArray>() {
        return Value::Str(s.value(row).to_string());
    }
    // other types: render through arrow's display
    match arrow::util::display::array_value_to_string(a, row) {
        Ok(s) => Value::Str(s),
        Err(_) => Value::Null,
    }
}

/// Build a column from values, choosing the narrowest type: Int64 when every value is an Int,
/// Float64 when all are numbers, List<Utf8> when any is multivalue, Utf8 otherwise.
pub fn build_array(values: &[Value]) -> ArrayRef {
    let mut all_int = true;
    let mut all_num = true;
    let mut any_multi = false;
    let mut any = false;
    for v in values {
        match v {
            Value::Null => {}
            Value::Int(_) => any = true,
            Value::Num(_) => {
                any = true;
                all_int = false;
            }
            Value::Multi(_) => {
                any = true;
                any_multi = true;
                all_int = false;
                all_num = false;
            }
            _ => {
                any = true;
                all_int = false;
                all_num = false;
            }
        }
    }
    if !any {
        let mut b = StringBuilder::with_capacity(values.len(), 0);
        for _ in values {
            b.append_null();
        }
        return Arc::new(b.finish());
    }
    if all_int {
        let mut b = Int64Builder::with_capacity(values.len());
        for v in values {
            match v {
                Value::Int(i) => b.append_value(*i),
                _ => b.append_null(),
            }
        }
        return Arc::new(b.finish());
    }
    if all_num {
        let mut b = Float64Builder::with_capacity(values.len());
        for v in values {
            match v.as_f64() {
                Some(f) if !v.is_null() => b.append_value(f),
                _ => b.append_null(),
            }
        }
        return Arc::new(b.finish());
    }
    if any_multi {
        let mut b = ListBuilder::new(StringBuilder::new());
        for v in values {
            match v {
                Value::Null => b.append(false),
                other => {
                    for x in other.values() {
                        match x.to_text() {
                            Some(t) => b.values().append_value(t),
                            None => b.values().append_null(),
                        }
                    }
                    b.append(true);
                }
            }
        }
        return Arc::new(b.finish());
    }
    let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
    for v in values {
        match v.to_text() {
            Some(t) => b.append_value(t),
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

/// A Float64 column (for `_time`).
pub fn build_f64(values: &[Value]) -> ArrayRef {
    let mut b = Float64Builder::with_capacity(values.len());
    for v in values {
        match v.as_f64() {
            Some(f) => b.append_value(f),
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

/// Build a column for field `name`: `_time` stays Float64, others by [`build_array`].
pub fn build_column(name: &str, values: &[Value]) -> ArrayRef {
    if name == "_time" {
        build_f64(values)
    } else {
        build_array(values)
    }
}

#[allow(dead_code)]
fn _bool(values: &[bool]) -> ArrayRef {
    let mut b = BooleanBuilder::with_capacity(values.len());
    values.iter().for_each(|v| b.append_value(*v));
    Arc::new(b.finish())
}

/// A batch from named columns (all of the same length).
pub fn make_batch(columns: Vec<(String, ArrayRef)>, rows: usize) -> Result<RecordBatch, arrow::error::ArrowError> {
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect();
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &RecordBatchOptions::new().with_row_count(Some(rows)))
}

/// Replace (in place of the old one) or append a column.
pub fn set_column(batch: &RecordBatch, name: &str, array: ArrayRef) -> Result<RecordBatch, arrow::error::ArrowError> {
    let schema = batch.schema();
    let mut cols: Vec<(String, ArrayRef)> = schema.fields().iter().zip(batch.columns()).map(|(f, a)| (f.name().clone(), a.clone())).collect();
    match cols.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = array,
        None => cols.push((name.to_string(), array)),
    }
    make_batch(cols, batch.num_rows())
}

/// Remove columns by name.
pub fn drop_columns(batch: &RecordBatch, names: &[&str]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let schema = batch.schema();
    let cols: Vec<(String, ArrayRef)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| !names.contains(&f.name().as_str()))
        .map(|(f, a)| (f.name().clone(), a.clone()))
        .collect();
    make_batch(cols, batch.num_rows())
}

/// Whether the type is one this engine reads as a field column.
pub fn is_list(dt: &DataType) -> bool {
    matches!(dt, DataType::List(_) | DataType::LargeList(_))
}

/// Concatenate batches that may have different schemas: the union of columns in first-seen
/// order; rows lacking a column are null.
pub fn concat_batches(batches: &[RecordBatch]) -> Result<Option<RecordBatch>, arrow::error::ArrowError> {
    if batches.is_empty() {
        return Ok(None);
    }
    if batches.len() == 1 {
        return Ok(Some(batches[0].clone()));
    }
    let mut names: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for b in batches {
        for f in b.schema_ref().fields() {
            names.insert(f.name().clone());
        }
    }
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let same = batches.iter().all(|b| b.schema() == batches[0].schema());
    if same {
        return arrow::compute::concat_batches(&batches[0].schema(), batches).map(Some);
    }
    // the views once per batch (one per name and batch was quadratic in wide data); a column
    // a batch lacks is nulls of the column's type, concatenated by Arrow when types agree
    let views: Vec<BatchView> = batches.iter().map(BatchView::new).collect();
    let mut cols = Vec::new();
    for n in &names {
        let present: Vec<&ArrayRef> = views.iter().filter_map(|v| v.column(n)).collect();
        let dt = present[0].data_type().clone();
        if present.iter().all(|a| a.data_type() == &dt) {
            let parts: Vec<ArrayRef> = views.iter().map(|v| v.column(n).cloned().unwrap_or_else(|| arrow::array::new_null_array(&dt, v.num_rows()))).collect();
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            cols.push((n.clone(), arrow::compute::concat(&refs)?));
            continue;
        }
        let mut vals = Vec::with_capacity(total);
        for v in &views {
            for r in 0..v.num_rows() {
                vals.push(v.get(n, r));
            }
        }
        cols.push((n.clone(), build_column(n, &vals)));
    }
    make_batch(cols, total).map(Some)
}
