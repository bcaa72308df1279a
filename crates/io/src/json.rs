//! Parsing one record's JSON text into a `serde_json::Value` that holds only what the scan
//! needs: members on the way to a projected field are built, every other member is skipped by
//! the parser without allocating (serde's `IgnoredAny`). The keys that decide the sourcetype,
//! the event time and the record's shape are always kept (as a `null` placeholder when only
//! their presence matters).
//!
//! Nesting deeper than [`MAX_DEPTH`] is not built either: the subtree is captured as its JSON
//! text (serde_json skips values iteratively, so no depth of input can exhaust the stack), and
//! the field at that depth gets the text as its value.

use crate::flatten::{FieldSet, MAX_DEPTH};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// Top-level members kept whole whatever the projection: the event time of each sourcetype.
pub(crate) const KEEP_VALUE: [&str; 3] = ["eventTime", "time", "_time"];
/// Top-level members whose presence decides the sourcetype or the record's shape.
pub(crate) const KEEP_PRESENCE: [&str; 11] = ["eventVersion", "eventSource", "eventName", "awsRegion", "eventID", "class_uid", "metadata", "digestStartTime", "digestEndTime", "Records", "detail"];

/// Parse a record's text, keeping the members `fields` needs (all of them for `Projection::All`).
pub fn parse_projected(text: &str, fields: &FieldSet) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    let v = Node { fields, path: &mut path, depth: 0, keep_all: fields.is_all() }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Does a record parsed with a projection need a full parse for its shape to be handled?
/// (`Records` arrays and `detail` wrappers move the fields elsewhere.)
pub fn needs_full_parse(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("Records") || (m.contains_key("detail") && !crate::is_cloudtrail(v)),
        _ => false,
    }
}

struct Node<'p> {
    fields: &'p FieldSet,
    path: &'p mut String,
    depth: usize,
    /// Build everything below this point (no projection, or a kept top-level member).
    keep_all: bool,
}

impl<'de, 'p> DeserializeSeed<'de> for Node<'p> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.depth >= MAX_DEPTH {
            // too deep to build: keep the subtree's text
            let raw: Box<RawValue> = serde::Deserialize::deserialize(d)?;
            let t = raw.get();
            return Ok(if t.starts_with('{') || t.starts_with('[') { Value::String(t.to_string()) } else { serde_json::from_str(t).unwrap_or(Value::Null) });
        }
        d.deserialize_any(self)
    }
}

impl<'de, 'p> Visitor<'de> for Node<'p> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Node { fields, path, depth, keep_all } = self;
        let len = path.len();
        if !keep_all {
            path.push_str("{}");
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Node { fields, path: &mut *path, depth: depth + 1, keep_all })? {
            out.push(v);
        }
        path.truncate(len);
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Node { fields, path, depth, keep_all } = self;
        let mut out = Map::new();
        let len = path.len();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            if keep_all {
                let v = map.next_value_seed(Node { fields, path: &mut *path, depth: depth + 1, keep_all: true })?;
                out.insert(k.into_owned(), v);
                continue;
            }
            if len > 0 {
                path.push('.');
            }
            path.push_str(&k);
            let top = depth == 0;
            if fields.descends(path) {
                let v = map.next_value_seed(Node { fields, path: &mut *path, depth: depth + 1, keep_all: false })?;
                out.insert(k.into_owned(), v);
            } else if top && KEEP_VALUE.contains(&k.as_ref()) {
                let v = map.next_value_seed(Node { fields, path: &mut *path, depth: depth + 1, keep_all: true })?;
                out.insert(k.into_owned(), v);
            } else if top && KEEP_PRESENCE.contains(&k.as_ref()) {
                map.next_value::<IgnoredAny>()?;
                out.insert(k.into_owned(), Value::Null);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            path.truncate(len);
        }
        Ok(Value::Object(out))
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flatten::{flatten_with, Projection};

    fn fs(names: &[&str]) -> FieldSet {
        FieldSet::new(&Projection::Fields(names.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn all_equals_serde_json() {
        let t = r#"{"a":{"b":[1,2.5,-3,{"c":null}],"d":true},"e":"x\"y","f\u00e9":"\u00e9"}"#;
        let v = parse_projected(t, &FieldSet::new(&Projection::All)).expect("parse");
        assert_eq!(v, serde_json::from_str::<Value>(t).expect("json"));
        // key order kept
        assert_eq!(v.to_string(), serde_json::from_str::<Value>(t).expect("json").to_string());
    }

    #[test]
    fn projection_prunes_but_keeps_shape_keys() {
        let t = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"x","sessionContext":{"a":1}},"eventTime":"2024-01-15T10:45:23Z","eventSource":"s","eventName":"n","requestParameters":{"big":[1,2,3]},"resources":[{"ARN":"p","type":"t"}]}"#;
        let f = fs(&["userIdentity.type", "resources{}.ARN"]);
        let v = parse_projected(t, &f).expect("parse");
        assert_eq!(
            v,
            serde_json::json!({"eventVersion":null,"userIdentity":{"type":"IAMUser"},"eventTime":"2024-01-15T10:45:23Z","eventSource":null,"eventName":null,"resources":[{"ARN":"p"}]})
        );
        assert_eq!(crate::detect_sourcetype(&v), "aws:cloudtrail");
        let flat = flatten_with(&v, &f);
        assert_eq!(flat.len(), 2);
        assert_eq!(flat["resources{}.ARN"], ["p"]);
    }

    #[test]
    fn nesting_beyond_the_cap_is_text_not_an_error() {
        let deep = format!("{{\"id\":\"1\",\"x\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        // serde_json alone refuses it (recursion limit)
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        let v = parse_projected(&deep, &FieldSet::new(&Projection::All)).expect("parse");
        assert_eq!(v["id"], "1");
        let flat = flatten_with(&v, &FieldSet::new(&Projection::All));
        let (name, vals) = flat.iter().find(|(k, _)| k.starts_with('x')).expect("x");
        assert_eq!(name.len(), 1 + 2 * (MAX_DEPTH - 1));
        assert!(vals[0].starts_with("[[[[") && vals[0].len() > 10_000);
        // pruned away entirely when not projected
        let v = parse_projected(&deep, &fs(&["id"])).expect("parse");
        assert_eq!(v, serde_json::json!({"id":"1"}));
    }

    #[test]
    fn malformed_text_is_an_error() {
        for t in [r#"{"a":}"#, r#"{"a":1"#, r#"{"a":1} x"#, "", r#"{"a":"\ud800"}"#] {
            let all = parse_projected(t, &FieldSet::new(&Projection::All));
            let some = parse_projected(t, &fs(&["b"]));
            if t.contains("ud800") {
                // lone surrogates: serde_json rejects them
                assert!(all.is_err());
                continue;
            }
            assert!(all.is_err() && some.is_err(), "{t}");
        }
    }
}
