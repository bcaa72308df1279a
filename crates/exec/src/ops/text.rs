//! Operators for multivalue fields, regular expressions and JSON text: mvexpand, mvcombine,
//! makemv, rex, regex, spath, and the planner's time ordering.
//!
//! Splunk doc, Search Reference: "mvexpand", "mvcombine", "makemv", "rex", "regex", "spath"
//! (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/<Command>).

use super::{ExecError, Operator, TableOp};
use crate::columns::{build_column, set_column, BatchView};
use crate::eval::EvalContext;
use super::json;
use crate::value::Value;
use arrow::array::{BooleanArray, UInt32Array};
use arrow::record_batch::RecordBatch;
use spelunk_syntax::ast::Span;

fn take_rows(batch: &RecordBatch, idx: Vec<u32>) -> Result<RecordBatch, ExecError> {
    let indices = UInt32Array::from(idx);
    let cols = batch.columns().iter().map(|c| arrow::compute::take(c.as_ref(), &indices, None)).collect::<Result<Vec<_>, _>>().map_err(ExecError::arrow)?;
    RecordBatch::try_new_with_options(batch.schema(), cols, &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(indices.len()))).map_err(ExecError::arrow)
}

fn compile(pattern: &str, span: Span, cx: &EvalContext) -> Result<regex::Regex, ExecError> {
    cx.regex(pattern, span).map_err(ExecError::from)
}

// ---------------------------------------------------------------------------------------------

/// Sort all events newest first (stable for equal times), as Splunk returns them.
pub struct TimeOrder;

impl TableOp for TimeOrder {
    fn table(&mut self, all: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&all);
        let times: Vec<f64> = (0..all.num_rows()).map(|r| view.get("_time", r).as_f64().unwrap_or(f64::MIN)).collect();
        let mut idx: Vec<u32> = (0..all.num_rows() as u32).collect();
        idx.sort_by(|a, b| times[*b as usize].partial_cmp(&times[*a as usize]).unwrap_or(std::cmp::Ordering::Equal));
        Ok(vec![take_rows(&all, idx)?])
    }
}

// ---------------------------------------------------------------------------------------------

/// `mvexpand f [limit=N]`: each value of f becomes its own result; results without f are dropped.
pub struct MvExpand {
    pub field: String,
    pub limit: Option<usize>,
}

/// Output rows per batch of `mvexpand` (one wide input row may give many thousands).
const MVEXPAND_BATCH_ROWS: usize = 65_536;

impl Operator for MvExpand {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        if view.column(&self.field).is_none() {
            return Ok(Vec::new());
        }
        // the other columns are copied into every output row; the expanded field is not (its
        // whole list in every row made 100 rows x 10,000 values ask for 40 GB)
        let rest = set_column(&batch, &self.field, arrow::array::new_null_array(&arrow::datatypes::DataType::Null, batch.num_rows())).map_err(ExecError::arrow)?;
        let mut out = Vec::new();
        let mut idx = Vec::new();
        let mut vals = Vec::new();
        let flush = |out: &mut Vec<RecordBatch>, idx: &mut Vec<u32>, vals: &mut Vec<Value>| -> Result<(), ExecError> {
            let b = take_rows(&rest, std::mem::take(idx))?;
            out.push(set_column(&b, &self.field, build_column(&self.field, &std::mem::take(vals))).map_err(ExecError::arrow)?);
            Ok(())
        };
        for row in 0..batch.num_rows() {
            let mut vs = view.get(&self.field, row).into_values();
            if let Some(l) = self.limit {
                vs.truncate(l);
            }
            for v in vs {
                idx.push(row as u32);
                vals.push(v);
                if idx.len() >= MVEXPAND_BATCH_ROWS {
                    flush(&mut out, &mut idx, &mut vals)?;
                }
            }
        }
        if !idx.is_empty() || out.is_empty() {
            flush(&mut out, &mut idx, &mut vals)?;
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------

/// `mvcombine [delim=s] f`: results identical in every other field are merged into the first
/// of them, with f holding all their values (in order).
pub struct MvCombine {
    pub field: String,
}

impl TableOp for MvCombine {
    fn table(&mut self, all: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&all);
        let schema = all.schema();
        let others: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).filter(|n| n != &self.field && !n.starts_with('_')).collect();
        // groups in first-seen order; results without the field pass through unchanged
        let mut groups: indexmap::IndexMap<Vec<Option<String>>, (u32, Vec<Value>)> = indexmap::IndexMap::new();
        let mut order: Vec<(u32, Option<Vec<Option<String>>>)> = Vec::new();
        for row in 0..all.num_rows() {
            let v = view.get(&self.field, row);
            if v.is_null() {
                order.push((row as u32, None));
                continue;
            }
            let key: Vec<Option<String>> = others.iter().map(|f| view.get(f, row).to_text()).collect();
            match groups.get_mut(&key) {
                Some((_, vals)) => vals.extend(v.into_values()),
                None => {
                    groups.insert(key.clone(), (row as u32, v.into_values()));
                    order.push((row as u32, Some(key)));
                }
            }
        }
        let mut idx = Vec::new();
        let mut vals = Vec::new();
        for (row, key) in order {
            idx.push(row);
            vals.push(match key {
                Some(k) => Value::from_values(groups.get(&k).map(|g| g.1.clone()).unwrap_or_default()),
                None => Value::Null,
            });
        }
        let out = take_rows(&all, idx)?;
        Ok(vec![set_column(&out, &self.field, build_column(&self.field, &vals)).map_err(ExecError::arrow)?])
    }
}

// ---------------------------------------------------------------------------------------------

/// `makemv [delim=s | tokenizer=re] [allowempty=b] f`
pub struct MakeMv {
    pub field: String,
    pub delim: Option<String>,
    pub tokenizer: Option<String>,
    pub allowempty: bool,
    pub span: Span,
}

impl Operator for MakeMv {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        if view.column(&self.field).is_none() {
            return Ok(vec![batch]);
        }
        let re = match &self.tokenizer {
            Some(t) => Some(compile(t, self.span, cx)?),
            None => None,
        };
        let delim = self.delim.clone().unwrap_or_else(|| " ".into());
        let vals: Vec<Value> = (0..batch.num_rows())
            .map(|row| {
                let v = view.get(&self.field, row);
                let Value::Str(s) = &v else { return v };
                let parts: Vec<String> = match &re {
                    Some(re) => re.captures_iter(s).filter_map(|c| c.get(1).or_else(|| c.get(0)).map(|m| m.as_str().to_string())).collect(),
                    None if delim.is_empty() => vec![s.clone()],
                    None => s.split(delim.as_str()).map(|p| p.to_string()).filter(|p| self.allowempty || !p.is_empty()).collect(),
                };
                Value::from_values(parts.into_iter().map(Value::Str).collect())
            })
            .collect();
        Ok(vec![set_column(&batch, &self.field, build_column(&self.field, &vals)).map_err(ExecError::arrow)?])
    }
}

// ---------------------------------------------------------------------------------------------

/// A parsed `rex mode=sed` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Sed {
    /// `s/regex/replacement/flags`: `global` for `g`, else replace the `nth` match (1 by default).
    Subst { regex: String, replacement: String, global: bool, nth: usize },
    /// `y/abc/xyz/`: transliterate characters.
    Translit { from: Vec<char>, to: Vec<char> },
}

/// Parse `s/a/b/g` or `y/abc/xyz/` (the delimiter is the character after `s`/`y`; a backslash
/// escapes it).
pub fn parse_sed(expr: &str) -> Result<Sed, String> {
    let mut chars = expr.chars();
    let kind = chars.next().ok_or("empty sed expression")?;
    let delim = chars.next().ok_or("sed expression has no delimiter")?;
    let mut parts: Vec<String> = vec![String::new()];
    let mut esc = false;
    for c in chars {
        let cur = parts.last_mut().expect("one part at least");
        if esc {
            if c != delim {
                cur.push('\\');
            }
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == delim {
            parts.push(String::new());
        } else {
            cur.push(c);
        }
    }
    if esc {
        parts.last_mut().expect("one part at least").push('\\');
    }
    if parts.len() != 3 {
        return Err(format!("sed expression `{expr}` needs three parts separated by `{delim}`"));
    }
    match kind {
        's' => {
            let flags = parts[2].as_str();
            let (global, nth) = if flags == "g" {
                (true, 1)
            } else if flags.is_empty() {
                (false, 1)
            } else {
                (false, flags.parse::<usize>().map_err(|_| format!("unknown sed flag `{flags}`"))?.max(1))
            };
            Ok(Sed::Subst { regex: parts[0].clone(), replacement: parts[1].clone(), global, nth })
        }
        'y' => {
            let from: Vec<char> = parts[0].chars().collect();
            let to: Vec<char> = parts[1].chars().collect();
            if from.len() != to.len() {
                return Err("y/// needs two character lists of the same length".into());
            }
            Ok(Sed::Translit { from, to })
        }
        k => Err(format!("sed mode supports s/// and y///, not `{k}`")),
    }
}

/// sed replacement text: `\1` and `&` to the regex crate's `${1}` and `${0}`.
fn sed_replacement(rep: &str) -> String {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                Some('$') => out.push_str("$$"),
                Some(o) => out.push(o),
                None => out.push('\\'),
            },
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

pub fn apply_sed(sed: &Sed, re: Option<&regex::Regex>, text: &str) -> String {
    match sed {
        Sed::Translit { from, to } => text.chars().map(|c| from.iter().position(|f| *f == c).map(|i| to[i]).unwrap_or(c)).collect(),
        Sed::Subst { replacement, global, nth, .. } => {
            let Some(re) = re else { return text.to_string() };
            let rep = sed_replacement(replacement);
            if *global {
                return re.replace_all(text, rep.as_str()).into_owned();
            }
            let Some(caps) = re.captures_iter(text).nth(nth - 1) else { return text.to_string() };
            let m = caps.get(0).expect("group 0");
            let mut dst = String::new();
            caps.expand(&rep, &mut dst);
            format!("{}{}{}", &text[..m.start()], dst, &text[m.end()..])
        }
    }
}

/// `rex [field=f] [max_match=N] "(?<name>...)"` or `rex [field=f] mode=sed "s/a/b/g"`.
pub struct Rex {
    pub field: String,
    pub regex: String,
    pub max_match: usize,
    pub sed: bool,
    pub span: Span,
}

impl Operator for Rex {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        if self.sed {
            let sed = parse_sed(&self.regex).map_err(|m| ExecError { message: m, span: Some(self.span) })?;
            let re = match &sed {
                Sed::Subst { regex, .. } => Some(compile(regex, self.span, cx)?),
                Sed::Translit { .. } => None,
            };
            if view.column(&self.field).is_none() {
                return Ok(vec![batch]);
            }
            let vals: Vec<Value> = (0..batch.num_rows())
                .map(|row| match view.get(&self.field, row) {
                    Value::Null => Value::Null,
                    Value::Multi(vs) => Value::Multi(vs.iter().map(|v| Value::Str(apply_sed(&sed, re.as_ref(), &v.to_text().unwrap_or_default()))).collect()),
                    v => Value::Str(apply_sed(&sed, re.as_ref(), &v.to_text().unwrap_or_default())),
                })
                .collect();
            return Ok(vec![set_column(&batch, &self.field, build_column(&self.field, &vals)).map_err(ExecError::arrow)?]);
        }
        let re = compile(&self.regex, self.span, cx)?;
        let names: Vec<String> = re.capture_names().flatten().map(|s| s.to_string()).collect();
        let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(batch.num_rows()); names.len()];
        let mut any = vec![false; names.len()];
        for row in 0..batch.num_rows() {
            let text = view.get(&self.field, row);
            let mut per: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
            let mut matched = false;
            // a multivalue field: Splunk matches against its values in turn
            'outer: for t in text.values() {
                let t = t.to_text().unwrap_or_default();
                for caps in re.captures_iter(&t) {
                    matched = true;
                    for (i, n) in names.iter().enumerate() {
                        if let Some(m) = caps.name(n) {
                            per[i].push(Value::Str(m.as_str().to_string()));
                        }
                    }
                    if self.max_match != 0 && per.iter().map(|p| p.len()).max().unwrap_or(0) >= self.max_match {
                        break 'outer;
                    }
                }
            }
            for (i, p) in per.into_iter().enumerate() {
                if matched && !p.is_empty() {
                    any[i] = true;
                    cols[i].push(Value::from_values(p));
                } else {
                    // no match: the field keeps the value it had
                    cols[i].push(view.get(&names[i], row));
                }
            }
        }
        let mut out = batch.clone();
        for (i, n) in names.iter().enumerate() {
            if any[i] || view.column(n).is_some() {
                out = set_column(&out, n, build_column(n, &cols[i])).map_err(ExecError::arrow)?;
            }
        }
        Ok(vec![out])
    }
}

// ---------------------------------------------------------------------------------------------

/// `regex [f=|f!=]"re"`: keep the results whose field (default `_raw`) matches, or does not.
pub struct RegexFilter {
    pub field: String,
    pub regex: String,
    pub negate: bool,
    pub span: Span,
}

impl Operator for RegexFilter {
    fn push(&mut self, batch: RecordBatch, cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let re = compile(&self.regex, self.span, cx)?;
        let view = BatchView::new(&batch);
        let mask: Vec<bool> = (0..batch.num_rows())
            .map(|row| {
                let v = view.get(&self.field, row);
                let hit = v.values().iter().any(|x| re.is_match(&x.to_text().unwrap_or_default()));
                // `f!=re` keeps results without f as well: nothing there matches
                hit != self.negate
            })
            .collect();
        Ok(vec![arrow::compute::filter_record_batch(&batch, &BooleanArray::from(mask)).map_err(ExecError::arrow)?])
    }
}

// ---------------------------------------------------------------------------------------------

/// `spath [input=f] [output=o] [path=p]`
pub struct Spath {
    pub input: String,
    pub output: Option<String>,
    pub path: Option<String>,
}

impl Operator for Spath {
    fn push(&mut self, batch: RecordBatch, _cx: &EvalContext) -> Result<Vec<RecordBatch>, ExecError> {
        let view = BatchView::new(&batch);
        let n = batch.num_rows();
        if let Some(path) = &self.path {
            let out_name = self.output.clone().unwrap_or_else(|| path.clone());
            let vals: Vec<Value> = (0..n)
                .map(|row| match view.get(&self.input, row).to_text().and_then(|t| json::parse(&t)) {
                    Some(doc) => json::spath(&doc, path, 1),
                    None => Value::Null,
                })
                .collect();
            return Ok(vec![set_column(&batch, &out_name, build_column(&out_name, &vals)).map_err(ExecError::arrow)?]);
        }
        // every field of the document, named as Splunk's JSON extraction names them
        let mut names: indexmap::IndexMap<String, Vec<Value>> = indexmap::IndexMap::new();
        for row in 0..n {
            let Some(doc) = view.get(&self.input, row).to_text().and_then(|t| json::parse(&t)) else { continue };
            let mut flat: indexmap::IndexMap<String, Vec<Value>> = indexmap::IndexMap::new();
            json::flatten(&doc, "", &mut flat);
            for (k, vs) in flat {
                let col = names.entry(k).or_insert_with(|| vec![Value::Null; n]);
                col[row] = Value::from_values(vs);
            }
        }
        let mut out = batch.clone();
        for (k, vals) in names {
            let name = match &self.output {
                Some(o) => format!("{o}.{k}"),
                None => k,
            };
            // extracted values do not replace a field's existing values where the document lacks them
            let merged: Vec<Value> = vals.into_iter().enumerate().map(|(r, v)| if v.is_null() { view.get(&name, r) } else { v }).collect();
            out = set_column(&out, &name, build_column(&name, &merged)).map_err(ExecError::arrow)?;
        }
        Ok(vec![out])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::make_batch;

    fn mv_batch(rows: usize, values: usize) -> RecordBatch {
        let mv: Vec<Value> = (0..rows).map(|r| Value::from_values((0..values).map(|i| Value::str(format!("r{r}v{i}"))).collect())).collect();
        let id: Vec<Value> = (0..rows).map(|r| Value::Int(r as i64)).collect();
        make_batch(vec![("id".into(), build_column("id", &id)), ("m".into(), build_column("m", &mv))], rows).unwrap()
    }

    /// mvexpand must not copy the whole multivalue list into every output row: 20 rows of
    /// 2,000 values give 40,000 rows of one value each (the old operator built 80 million
    /// values, about 2 GB, before replacing the column).
    #[test]
    fn mvexpand_does_not_copy_the_list_into_every_row() {
        let mut op = MvExpand { field: "m".into(), limit: None };
        let cx = EvalContext::new(0.0);
        let out = op.push(mv_batch(20, 2000), &cx).unwrap();
        let rows: usize = out.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 40_000);
        let bytes: usize = out.iter().map(|b| b.get_array_memory_size()).sum();
        assert!(bytes < 8 << 20, "{bytes} bytes for 40,000 one-value rows");
        let view = BatchView::new(&out[0]);
        assert_eq!(view.get("m", 1), Value::str("r0v1"));
        assert_eq!(view.get("id", 1), Value::Int(0));
    }
}
