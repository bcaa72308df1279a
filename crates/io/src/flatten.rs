//! Flattening JSON records into Splunk field names.
//!
//! Splunk's JSON field extraction (search-time `KV_MODE = json`, and `spath` in auto-extract
//! mode) names fields by their location path: nested object members are joined with dots
//! (`userIdentity.sessionContext.sessionIssuer.type`) and an array step is written `{}`
//! (`resources{}.ARN`, `userAgent{}`, nested arrays `a{}{}`); every element of an array adds a
//! value, so arrays give multivalue fields. See the spath reference ("A location path is
//! composed of one or more location steps, separated by periods ... a field name and an
//! optional index surrounded by curly brackets"):
//! <https://docs.splunk.com/Documentation/Splunk/9.3.0/SearchReference/Spath> and
//! "Configure automatic key-value field extraction" (KV_MODE=json):
//! <https://docs.splunk.com/Documentation/Splunk/9.3.0/Knowledge/Automatickey-valuefieldextractionsatsearch-time>.
//!
//! Values, and the choices made where the documentation is silent:
//! - strings give their text; numbers their JSON text (as serde_json prints them); booleans
//!   `true` / `false`;
//! - JSON `null` gives the text `null` (what spath shows for a null member; a search such as
//!   `errorCode=null` then matches, and `isnull(errorCode)` does not);
//! - an empty object `{}` or empty array `[]` gives no field at all (there is no value to
//!   extract), and an array element that lacks a member adds no value for it;
//! - subtrees nested deeper than [`MAX_DEPTH`] levels are not walked: the subtree's compact
//!   JSON text is the value of the field at that depth.

use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// Which fields to build.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    All,
    Fields(BTreeSet<String>),
}

/// Levels of nesting walked; deeper subtrees become one field holding their JSON text.
pub const MAX_DEPTH: usize = 100;

/// A projection compiled for lookups while walking a record: the wanted names, and every
/// prefix of a wanted name that ends before a `.` or `{` (the paths that can lead to one).
#[derive(Debug, Clone)]
pub struct FieldSet {
    all: bool,
    wanted: HashSet<String>,
    prefixes: HashSet<String>,
}

impl FieldSet {
    pub fn new(projection: &Projection) -> FieldSet {
        match projection {
            Projection::All => FieldSet { all: true, wanted: HashSet::new(), prefixes: HashSet::new() },
            Projection::Fields(f) => {
                let mut prefixes = HashSet::new();
                for name in f {
                    for (i, c) in name.char_indices() {
                        if c == '.' || c == '{' {
                            prefixes.insert(name[..i].to_string());
                        }
                    }
                    prefixes.insert(name.clone());
                }
                FieldSet { all: false, wanted: f.iter().cloned().collect(), prefixes }
            }
        }
    }

    /// Every field is wanted.
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// Is this flattened name a wanted field?
    pub fn wants(&self, name: &str) -> bool {
        self.all || self.wanted.contains(name)
    }

    /// Can walking below this name lead to a wanted field (or is it one)?
    pub fn descends(&self, name: &str) -> bool {
        self.all || self.prefixes.contains(name)
    }
}

/// Flatten one record into `name -> values` (in first-seen order), keeping only projected
/// names. The tree is walked only along prefixes of the projected names.
pub fn flatten(record: &Value, projection: &Projection) -> IndexMap<String, Vec<String>> {
    flatten_with(record, &FieldSet::new(projection))
}

/// [`flatten`] with a compiled projection.
pub fn flatten_with(record: &Value, fields: &FieldSet) -> IndexMap<String, Vec<String>> {
    let mut out: IndexMap<String, Vec<String>> = IndexMap::new();
    flatten_each(record, fields, &mut |name, v| match out.get_mut(name) {
        Some(vals) => vals.push(v.to_string()),
        None => {
            out.insert(name.to_string(), vec![v.to_string()]);
        }
    });
    out
}

/// Call `emit(name, value)` for every (projected) field value of a record, in document order,
/// without building a map (what the scanner uses to fill its columns).
pub fn flatten_each(record: &Value, fields: &FieldSet, emit: &mut dyn FnMut(&str, &str)) {
    // a record is an object: its members are the top-level fields; a bare value has none
    if let Value::Object(_) = record {
        let mut path = String::new();
        let mut scratch = String::new();
        walk(record, &mut path, 0, fields, &mut scratch, emit);
    }
}

fn walk(v: &Value, path: &mut String, depth: usize, fields: &FieldSet, scratch: &mut String, emit: &mut dyn FnMut(&str, &str)) {
    use std::fmt::Write;
    match v {
        Value::Object(m) => {
            if depth >= MAX_DEPTH {
                if fields.wants(path) {
                    emit(path, &v.to_string());
                }
                return;
            }
            let len = path.len();
            for (k, child) in m {
                if len > 0 {
                    path.push('.');
                }
                path.push_str(k);
                if fields.descends(path) {
                    walk(child, path, depth + 1, fields, scratch, emit);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                if fields.wants(path) {
                    emit(path, &v.to_string());
                }
                return;
            }
            let len = path.len();
            path.push_str("{}");
            if fields.descends(path) {
                for item in items {
                    walk(item, path, depth + 1, fields, scratch, emit);
                }
            }
            path.truncate(len);
        }
        Value::String(s) => {
            if fields.wants(path) {
                emit(path, s);
            }
        }
        Value::Number(x) => {
            if fields.wants(path) {
                scratch.clear();
                let _ = write!(scratch, "{x}");
                emit(path, scratch);
            }
        }
        Value::Bool(b) => {
            if fields.wants(path) {
                emit(path, if *b { "true" } else { "false" });
            }
        }
        Value::Null => {
            if fields.wants(path) {
                emit(path, "null");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> IndexMap<String, Vec<String>> {
        flatten(&serde_json::from_str(s).expect("json"), &Projection::All)
    }

    #[test]
    fn names_and_multivalues() {
        let f = all(r#"{"a":{"b":1,"c":[{"d":"x"},{"d":"y"},{}]},"e":["p","q"],"f":null,"g":{},"h":[],"t":true,"n":-1.5}"#);
        assert_eq!(f["a.b"], ["1"]);
        assert_eq!(f["a.c{}.d"], ["x", "y"]);
        assert_eq!(f["e{}"], ["p", "q"]);
        assert_eq!(f["f"], ["null"]);
        assert_eq!(f["t"], ["true"]);
        assert_eq!(f["n"], ["-1.5"]);
        assert!(!f.contains_key("g") && !f.contains_key("h") && !f.contains_key("h{}"));
        // first-seen order
        assert_eq!(f.keys().collect::<Vec<_>>(), ["a.b", "a.c{}.d", "e{}", "f", "t", "n"]);
    }

    #[test]
    fn nested_arrays_and_mixed_elements() {
        let f = all(r#"{"m":[[1,2],[3]],"x":[{"y":[{"z":"a"},{"z":"b"}]},{"y":{"z":"c"}}],"s":["v",{"k":"w"}]}"#);
        assert_eq!(f["m{}{}"], ["1", "2", "3"]);
        assert_eq!(f["x{}.y{}.z"], ["a", "b"]);
        assert_eq!(f["x{}.y.z"], ["c"]);
        assert_eq!(f["s{}"], ["v"]);
        assert_eq!(f["s{}.k"], ["w"]);
    }

    #[test]
    fn projection_walks_only_needed_paths() {
        let r: Value = serde_json::from_str(r#"{"a":{"b":1,"z":2},"c":"x","r":[{"ARN":"p"},{"ARN":"q","t":"u"}]}"#).expect("json");
        let f = flatten(&r, &Projection::Fields(["a.b".to_string(), "r{}.ARN".to_string(), "missing".to_string()].into()));
        assert_eq!(f.len(), 2);
        assert_eq!(f["a.b"], ["1"]);
        assert_eq!(f["r{}.ARN"], ["p", "q"]);
        // asking for an object's name gives nothing: only leaves are fields
        let f = flatten(&r, &Projection::Fields(["a".to_string()].into()));
        assert!(f.is_empty());
    }

    #[test]
    fn heterogeneous_types_do_not_conflict() {
        assert_eq!(all(r#"{"requestParameters":{"x":"s"}}"#)["requestParameters.x"], ["s"]);
        assert_eq!(all(r#"{"requestParameters":{"x":{"y":1}}}"#)["requestParameters.x.y"], ["1"]);
    }

    #[test]
    fn depth_cap_keeps_the_subtree_as_text() {
        // build a Value nested deeper than the cap (serde_json's parser stops at 128 levels)
        let mut v = serde_json::json!({"leaf": 1});
        for _ in 0..MAX_DEPTH + 5 {
            v = serde_json::json!({ "a": v });
        }
        let f = flatten(&v, &Projection::All);
        assert_eq!(f.len(), 1);
        let (name, vals) = f.iter().next().expect("one field");
        assert_eq!(name.matches('a').count(), MAX_DEPTH);
        assert!(vals[0].starts_with("{\"a\":"));
        let mut v = serde_json::json!([1]);
        for _ in 0..MAX_DEPTH + 5 {
            v = serde_json::json!([v]);
        }
        let f = flatten(&serde_json::json!({ "x": v }), &Projection::All);
        assert!(f.keys().next().expect("one field").ends_with("{}"));
    }
}
