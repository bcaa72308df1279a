//! The one schema a DataFusion scan produces, and how each scanned batch is made to fit it.
//!
//! Events are schemaless: each JSON record has its own fields, and spelunk-io builds a batch
//! from whatever its records hold. DataFusion wants one schema per table, so the plan decides
//! it: the table has exactly the fields the query needs ([`spelunk_plan::Projection::Fields`],
//! search-time fields included), each with a type known before any data is read:
//! - `_time` is `Float64` (epoch seconds);
//! - a field whose name goes through an array (`resources{}.ARN`, `userAgent{}`) is
//!   `List<Utf8>`: Splunk's JSON extraction gives it one value per element;
//! - a calculated field (props.conf `EVAL-`) that may give several values (it reads a `{}`
//!   field or calls a multivalue function) is `List<Utf8>`; an alias has its source's type;
//! - every other field is `Utf8`: JSON numbers and booleans keep their text, as in Splunk,
//!   and read as numbers where SPL reads them as numbers (comparison, arithmetic, `sum`).
//!
//! A record without a field gives a null there. A query that needs every field (`table *`,
//! raw events) has no such list; it runs on the row engine until the scan can find the schema
//! (see the engine issue).

use crate::columns::value_at;
use crate::value::Value;
use arrow::array::{new_null_array, Array, ArrayRef, ListArray, StringBuilder};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use spelunk_plan::{Planner, Projection};
use spelunk_syntax::ast::{Expr, ExprKind};
use std::sync::Arc;

/// The hidden column holding each event's place in the input (spelunk-io's
/// `table::SEQUENCE_COLUMN`, filled by the scan): ties of the time order keep it.
pub const SEQUENCE: &str = "__spelunk_order_seq";

/// The list type of multivalue fields.
pub fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The scan schema of a plan's projection; `None` when the query needs every field.
pub fn scan_schema(planner: &Planner, projection: &Projection) -> Option<SchemaRef> {
    let Projection::Fields(fields) = projection else { return None };
    let mut out = vec![Field::new("_time", DataType::Float64, true)];
    for f in fields {
        if f == "_time" {
            continue;
        }
        let multi = may_be_multivalue(planner, f, 0);
        out.push(Field::new(f, if multi { list_type() } else { DataType::Utf8 }, true));
    }
    out.push(Field::new(SEQUENCE, DataType::UInt64, true));
    Some(Arc::new(Schema::new(out)))
}

/// Can field `name` hold several values in some event (by its name, or by how a sourcetype
/// derives it)?
fn may_be_multivalue(planner: &Planner, name: &str, depth: usize) -> bool {
    if name.contains("{}") {
        return true;
    }
    if depth > 8 {
        return true;
    }
    planner.props.sourcetypes.values().any(|p| {
        p.aliases.iter().any(|a| a.to == name && may_be_multivalue(planner, &a.from, depth + 1)) || p.evals.iter().any(|e| e.field == name && expr_may_be_multivalue(&e.expr))
    })
}

/// Conservatively: does the expression read a `{}` field or call a function that builds
/// multivalues?
fn expr_may_be_multivalue(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Field { name, .. } => name.contains("{}"),
        ExprKind::Str(_) | ExprKind::Num { .. } => false,
        ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => expr_may_be_multivalue(expr),
        ExprKind::Binary { left, right, .. } => expr_may_be_multivalue(left) || expr_may_be_multivalue(right),
        ExprKind::In { expr, list, .. } => expr_may_be_multivalue(expr) || list.iter().any(expr_may_be_multivalue),
        ExprKind::Call { name, args } => {
            let n = name.name.to_ascii_lowercase();
            n.starts_with("mv") || matches!(n.as_str(), "split" | "values" | "list" | "json_array_to_mv" | "spath") || args.iter().any(expr_may_be_multivalue)
        }
    }
}

/// Make a scanned (and search-time-field-derived) batch fit the table schema: columns in the
/// schema's order, a missing field null, single values of a list field one-element lists,
/// numbers and booleans of a text field their text.
pub fn conform(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch, String> {
    let n = batch.num_rows();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let want = field.data_type();
        let col = match batch.column_by_name(field.name()) {
            None => new_null_array(want, n),
            Some(c) if c.data_type() == want => c.clone(),
            Some(c) => convert(c, want).ok_or_else(|| format!("field {} is {} in a scanned batch where the plan expects {want}", field.name(), c.data_type()))?,
        };
        cols.push(col);
    }
    RecordBatch::try_new_with_options(schema.clone(), cols, &RecordBatchOptions::new().with_row_count(Some(n))).map_err(|e| e.to_string())
}

fn convert(c: &ArrayRef, want: &DataType) -> Option<ArrayRef> {
    match want {
        DataType::Float64 => arrow::compute::cast(c, want).ok(),
        DataType::Utf8 => {
            if matches!(c.data_type(), DataType::List(_)) {
                // only when no row has more than one value
                let l = c.as_any().downcast_ref::<ListArray>()?;
                if (0..l.len()).any(|i| l.value_length(i) > 1) {
                    return None;
                }
            }
            let mut b = StringBuilder::with_capacity(c.len(), c.len() * 8);
            for i in 0..c.len() {
                match value_at(c.as_ref(), i).to_text() {
                    Some(t) => b.append_value(t),
                    None => b.append_null(),
                }
            }
            Some(Arc::new(b.finish()))
        }
        DataType::List(_) => {
            let text = convert(c, &DataType::Utf8).or_else(|| {
                // a list of another item type: through values
                let mut b = arrow::array::ListBuilder::new(StringBuilder::new());
                for i in 0..c.len() {
                    match value_at(c.as_ref(), i) {
                        Value::Null => b.append(false),
                        v => {
                            for x in v.values() {
                                b.values().append_option(x.to_text());
                            }
                            b.append(true);
                        }
                    }
                }
                Some(Arc::new(b.finish()) as ArrayRef)
            })?;
            if matches!(text.data_type(), DataType::List(_)) {
                return Some(text);
            }
            // one value per row: a list of one, null stays null
            let nulls = text.nulls().cloned();
            let lens = (0..text.len()).map(|i| if text.is_null(i) { 0 } else { 1 });
            let offsets = OffsetBuffer::from_lengths(lens);
            let values = arrow::compute::filter(&text, &arrow::array::BooleanArray::from((0..text.len()).map(|i| !text.is_null(i)).collect::<Vec<_>>())).ok()?;
            let f = Arc::new(Field::new("item", DataType::Utf8, true));
            Some(Arc::new(ListArray::try_new(f, offsets, values, nulls).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray};

    #[test]
    fn conform_fills_missing_fields_and_wraps_single_values() {
        let schema = Arc::new(Schema::new(vec![Field::new("_time", DataType::Float64, true), Field::new("a", DataType::Utf8, true), Field::new("b{}", list_type(), true)]));
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("b{}", DataType::Utf8, true), Field::new("_time", DataType::Float64, true)])),
            vec![Arc::new(StringArray::from(vec![Some("x"), None])), Arc::new(Float64Array::from(vec![1.0, 2.0]))],
        )
        .unwrap();
        let out = conform(&schema, &batch).unwrap();
        assert_eq!(out.schema(), schema);
        assert_eq!(out.column(1).null_count(), 2);
        assert_eq!(value_at(out.column(2).as_ref(), 0), Value::Str("x".into()));
        assert!(out.column(2).is_null(1));
    }
}
