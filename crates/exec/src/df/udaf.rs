//! SPL's aggregations that DataFusion has no exact twin for, as DataFusion aggregate
//! functions with mergeable states (so partial aggregation across cores gives exactly the
//! one-core answer).
//!
//! - `values(x)`: the distinct values, sorted lexicographically (byte order), as a list
//!   (Search Reference, "Statistical and charting functions": values "returns the list of all
//!   distinct values of the field X as a multivalue entry. The order of the values is
//!   lexicographical."); a multivalue input contributes each of its values.
//! - `dc(x)` over a multivalue field: the number of distinct values (DataFusion's
//!   `count(DISTINCT)` serves single-valued fields).

use crate::columns::value_at;
use arrow::array::{Array, ArrayRef, ListArray, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr as DfExpr, Signature, Volatility};
use std::collections::BTreeSet;
use std::sync::Arc;

/// `values()` (a sorted distinct list) or, with `count`, `dc()` (how many distinct values).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DistinctValues {
    count: bool,
    sig: Signature,
}

impl DistinctValues {
    pub fn call(count: bool, arg: DfExpr) -> DfExpr {
        let f = DistinctValues { count, sig: Signature::any(1, Volatility::Immutable) };
        AggregateUDF::new_from_impl(f).call(vec![arg])
    }
}

fn item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

impl AggregateUDFImpl for DistinctValues {
    fn name(&self) -> &str {
        if self.count {
            "spl_dc"
        } else {
            "spl_values"
        }
    }
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(if self.count { DataType::Int64 } else { DataType::List(item()) })
    }
    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DistinctAcc { count: self.count, set: BTreeSet::new(), bytes: 0 }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[set]", args.name), DataType::List(item()), true))])
    }
}

#[derive(Debug)]
struct DistinctAcc {
    count: bool,
    set: BTreeSet<String>,
    bytes: usize,
}

impl DistinctAcc {
    fn add(&mut self, s: &str) {
        if !self.set.contains(s) {
            self.bytes += s.len() + 32;
            self.set.insert(s.to_string());
        }
    }

    fn add_array(&mut self, a: &dyn Array) {
        if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
            s.iter().flatten().for_each(|v| self.add(v));
        } else if let Some(l) = a.as_any().downcast_ref::<ListArray>() {
            for i in 0..l.len() {
                if !l.is_null(i) {
                    self.add_array(l.value(i).as_ref());
                }
            }
        } else {
            for i in 0..a.len() {
                for v in value_at(a, i).values() {
                    if let Some(t) = v.to_text() {
                        self.add(&t);
                    }
                }
            }
        }
    }

    fn list(&self) -> ScalarValue {
        let vals: Vec<ScalarValue> = self.set.iter().map(|s| ScalarValue::Utf8(Some(s.clone()))).collect();
        ScalarValue::List(ScalarValue::new_list_nullable(&vals, &DataType::Utf8))
    }
}

impl Accumulator for DistinctAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if let Some(a) = values.first() {
            self.add_array(a.as_ref());
        }
        Ok(())
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(if self.count {
            ScalarValue::Int64(Some(self.set.len() as i64))
        } else if self.set.is_empty() {
            ScalarValue::List(Arc::new(ListArray::new_null(item(), 1)))
        } else {
            self.list()
        })
    }
    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.bytes
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.list()])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_sorted_distinct_across_partials() {
        let mut a = DistinctAcc { count: false, set: BTreeSet::new(), bytes: 0 };
        a.update_batch(&[Arc::new(StringArray::from(vec![Some("b"), None, Some("a")])) as ArrayRef]).unwrap();
        let mut b = DistinctAcc { count: true, set: BTreeSet::new(), bytes: 0 };
        b.update_batch(&[Arc::new(StringArray::from(vec!["c", "a"])) as ArrayRef]).unwrap();
        let state = a.state().unwrap()[0].to_array().unwrap();
        b.merge_batch(&[state]).unwrap();
        assert_eq!(b.evaluate().unwrap(), ScalarValue::Int64(Some(3)));
        assert_eq!(a.evaluate().unwrap(), a.list());
    }
}
