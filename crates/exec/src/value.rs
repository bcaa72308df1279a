//! Splunk values: dynamically typed text that acts as a number when it reads as one, possibly
//! multivalue. Comparison rules: numeric when both sides read as numbers, else lexicographic.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    /// A multivalue field (two or more values; never nested).
    Multi(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// A number from f64, as Int when whole and in range (so it prints without `.0`).
    pub fn number(f: f64) -> Value {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
            Value::Int(f as i64)
        } else {
            Value::Num(f)
        }
    }

    /// Build a multivalue from parts: empty -> Null, one -> that value.
    pub fn from_values(mut v: Vec<Value>) -> Value {
        v.retain(|x| !x.is_null());
        match v.len() {
            0 => Value::Null,
            1 => v.pop().unwrap_or(Value::Null),
            _ => Value::Multi(v),
        }
    }

    /// The value as a number, if it reads as one (multivalue: its first value).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Num(f) => Some(*f),
            Value::Str(s) => parse_number(s),
            Value::Bool(_) | Value::Null => None,
            Value::Multi(v) => v.first().and_then(|x| x.as_f64()),
        }
    }

    /// Text form, as Splunk displays it (multivalue: values joined by newlines).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Num(f) => Some(format_number(*f)),
            Value::Bool(b) => Some(if *b { "true".into() } else { "false".into() }),
            Value::Multi(v) => Some(v.iter().filter_map(|x| x.to_text()).collect::<Vec<_>>().join("\n")),
        }
    }

    /// Each single value (a multivalue's values; a single value alone; nothing for null).
    pub fn values(&self) -> Vec<&Value> {
        match self {
            Value::Null => vec![],
            Value::Multi(v) => v.iter().collect(),
            x => vec![x],
        }
    }

    pub fn into_values(self) -> Vec<Value> {
        match self {
            Value::Null => vec![],
            Value::Multi(v) => v,
            x => vec![x],
        }
    }

    /// Truthiness for `where` / `if`: only a true boolean is true. Splunk's where keeps rows
    /// whose expression is true; null and false drop them.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// Splunk's `typeof()` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Invalid",
            Value::Str(s) if parse_number(s).is_some() => "String",
            Value::Str(_) => "String",
            Value::Int(_) | Value::Num(_) => "Number",
            Value::Bool(_) => "Boolean",
            Value::Multi(_) => "Multivalue",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text().unwrap_or_default())
    }
}

/// Does this text read as a number (decimal, optional sign, fraction, exponent; surrounding
/// spaces allowed)? `inf`, `nan` and hex are not numbers.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let b = t.as_bytes();
    let start = usize::from(b[0] == b'-' || b[0] == b'+');
    if start >= b.len() {
        return None;
    }
    if !(b[start].is_ascii_digit() || (b[start] == b'.' && b.len() > start + 1 && b[start + 1].is_ascii_digit())) {
        return None;
    }
    if !b.iter().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Numbers print like Splunk: integers without a fraction, others with up to 16 significant digits.
pub fn format_number(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.fract() == 0.0 && f.abs() < 1e16 {
        return format!("{}", f as i64);
    }
    let s = format!("{}", f);
    if s.len() > 20 {
        format!("{:.6}", f).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Compare two single values as Splunk does: numerically when both read as numbers, else as text.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.to_text().unwrap_or_default().cmp(&b.to_text().unwrap_or_default()),
    }
}

/// Ordering for sort/stats group keys: numbers before strings, numbers numerically, strings
/// lexicographically; nulls first.
pub fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.to_text().unwrap_or_default().cmp(&b.to_text().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("5"), Some(5.0));
        assert_eq!(parse_number(" -1.5e3 "), Some(-1500.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("0x1F"), None);
        assert_eq!(parse_number("10.0.0.1"), None);
        assert_eq!(format_number(5.0), "5");
        assert_eq!(format_number(2.5), "2.5");
    }

    #[test]
    fn comparison_is_numeric_only_when_both_are_numbers() {
        assert_eq!(compare(&Value::str("10"), &Value::str("9")), Ordering::Greater);
        assert_eq!(compare(&Value::str("10"), &Value::str("9a")), Ordering::Less);
    }
}
