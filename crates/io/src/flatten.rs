//! Flattening JSON records into Splunk field names.
//!
//! Splunk's JSON field extraction (spath / KV_MODE=json) names nested object fields with dots
//! (`userIdentity.sessionContext.sessionIssuer.type`) and array elements with `{}`
//! (`resources{}.ARN`, `userAgent{}`); an array gives a multivalue field. JSON `null` gives
//! the text `null` (as spath does); empty objects and arrays give no field.
//! (Splunk doc: Search Reference, "spath": https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Spath)

use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeSet;

/// Which fields to build.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    All,
    Fields(BTreeSet<String>),
}

const MAX_DEPTH: usize = 100;

/// Flatten one record into `name -> values` (in first-seen order), keeping only projected names.
pub fn flatten(record: &Value, projection: &Projection) -> IndexMap<String, Vec<String>> {
    let mut out = IndexMap::new();
    let prefixes: Option<BTreeSet<String>> = match projection {
        Projection::All => None,
        Projection::Fields(f) => {
            let mut p = BTreeSet::new();
            for name in f {
                // every prefix ending before a `.` or `{` may lead to the field
                for (i, c) in name.char_indices() {
                    if c == '.' || c == '{' {
                        p.insert(name[..i].to_string());
                    }
                }
                p.insert(name.clone());
            }
            Some(p)
        }
    };
    let wanted = |name: &str| match projection {
        Projection::All => true,
        Projection::Fields(f) => f.contains(name),
    };
    let descend = |name: &str| prefixes.as_ref().is_none_or(|p| p.contains(name));
    walk(record, String::new(), 0, &mut out, &wanted, &descend);
    out
}

fn walk(v: &Value, name: String, depth: usize, out: &mut IndexMap<String, Vec<String>>, wanted: &dyn Fn(&str) -> bool, descend: &dyn Fn(&str) -> bool) {
    match v {
        Value::Object(m) => {
            if depth >= MAX_DEPTH {
                if wanted(&name) {
                    out.entry(name).or_default().push(v.to_string());
                }
                return;
            }
            for (k, child) in m {
                let n = if name.is_empty() { k.clone() } else { format!("{name}.{k}") };
                if descend(&n) {
                    walk(child, n, depth + 1, out, wanted, descend);
                }
            }
        }
        Value::Array(items) => {
            let n = format!("{name}{{}}");
            if !descend(&n) || depth >= MAX_DEPTH {
                return;
            }
            for item in items {
                walk(item, n.clone(), depth + 1, out, wanted, descend);
            }
        }
        Value::String(s) => {
            if wanted(&name) {
                out.entry(name).or_default().push(s.clone());
            }
        }
        Value::Number(x) => {
            if wanted(&name) {
                out.entry(name).or_default().push(x.to_string());
            }
        }
        Value::Bool(b) => {
            if wanted(&name) {
                out.entry(name).or_default().push(b.to_string());
            }
        }
        Value::Null => {
            if wanted(&name) {
                out.entry(name).or_default().push("null".to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_multivalues() {
        let r: Value = serde_json::from_str(r#"{"a":{"b":1,"c":[{"d":"x"},{"d":"y"},{}]},"e":["p","q"],"f":null,"g":{}}"#).expect("json");
        let f = flatten(&r, &Projection::All);
        assert_eq!(f["a.b"], ["1"]);
        assert_eq!(f["a.c{}.d"], ["x", "y"]);
        assert_eq!(f["e{}"], ["p", "q"]);
        assert_eq!(f["f"], ["null"]);
        assert!(!f.contains_key("g"));
    }

    #[test]
    fn projection_walks_only_needed_paths() {
        let r: Value = serde_json::from_str(r#"{"a":{"b":1,"z":2},"c":"x"}"#).expect("json");
        let f = flatten(&r, &Projection::Fields(["a.b".to_string()].into()));
        assert_eq!(f.len(), 1);
        assert_eq!(f["a.b"], ["1"]);
    }

    #[test]
    fn heterogeneous_types_do_not_conflict() {
        let a: Value = serde_json::from_str(r#"{"requestParameters":{"x":"s"}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"requestParameters":{"x":{"y":1}}}"#).expect("json");
        assert_eq!(flatten(&a, &Projection::All)["requestParameters.x"], ["s"]);
        assert_eq!(flatten(&b, &Projection::All)["requestParameters.x.y"], ["1"]);
    }
}
