//! JSON for `spath`, `spath()` and `json_extract()`: parse text (serde_json) into a tree,
//! flatten it the way Splunk's JSON extraction names fields (`a.b`, `list{}`, `list{}.c`), and
//! follow spath paths (`a.b`, `a{}.c`, `a{2}`).

use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// Numbers keep their text as written.
    Num(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Parse a JSON document (serde_json, key order kept); `None` when the text is not JSON.
pub fn parse(text: &str) -> Option<Json> {
    serde_json::from_str::<serde_json::Value>(text).ok().map(|v| from_serde(&v))
}

fn from_serde(v: &serde_json::Value) -> Json {
    use serde_json::Value as V;
    match v {
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Number(n) => Json::Num(n.to_string()),
        V::String(s) => Json::Str(s.clone()),
        V::Array(a) => Json::Array(a.iter().map(from_serde).collect()),
        V::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect()),
    }
}

impl Json {
    /// The JSON text of a value (objects and arrays compact, as Splunk shows them).
    pub fn to_json(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => n.clone(),
            Json::Str(s) => quote(s),
            Json::Array(a) => format!("[{}]", a.iter().map(|x| x.to_json()).collect::<Vec<_>>().join(",")),
            Json::Object(o) => format!("{{{}}}", o.iter().map(|(k, v)| format!("{}:{}", quote(k), v.to_json())).collect::<Vec<_>>().join(",")),
        }
    }

    /// A leaf as a field value: text for strings, numbers as written, objects/arrays as JSON.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Str(s) => Value::Str(s.clone()),
            Json::Num(n) => Value::Str(n.clone()),
            Json::Bool(b) => Value::Str(b.to_string()),
            Json::Null => Value::Str("null".into()),
            other => Value::Str(other.to_json()),
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Flatten into Splunk field names: nested keys joined with `.`, arrays marked `{}`; values of
/// the same name collect into a multivalue in document order.
pub fn flatten(j: &Json, prefix: &str, out: &mut indexmap::IndexMap<String, Vec<Value>>) {
    match j {
        Json::Object(fields) => {
            for (k, v) in fields {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(v, &name, out);
            }
        }
        Json::Array(items) => {
            let name = format!("{prefix}{{}}");
            for v in items {
                flatten(v, &name, out);
            }
        }
        leaf => {
            if !prefix.is_empty() {
                out.entry(prefix.to_string()).or_default().push(leaf.to_value());
            }
        }
    }
}

/// Follow a path (`a.b`, `a{}.b`, `a{N}` with N counted from `base`) and return the values
/// found: one value, a multivalue when the path crosses `{}`, null when nothing is there.
pub fn spath(doc: &Json, path: &str, base: i64) -> Value {
    let mut cur: Vec<&Json> = vec![doc];
    for seg in split_path(path) {
        let (name, index) = match seg.find('{') {
            Some(i) if seg.ends_with('}') => (&seg[..i], Some(&seg[i + 1..seg.len() - 1])),
            _ => (seg.as_str(), None),
        };
        let mut next = Vec::new();
        for node in cur {
            let child = if name.is_empty() {
                Some(node)
            } else {
                match node {
                    Json::Object(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
                    _ => None,
                }
            };
            let Some(child) = child else { continue };
            match index {
                None => next.push(child),
                Some("") => {
                    if let Json::Array(items) = child {
                        next.extend(items.iter());
                    }
                }
                Some(n) => {
                    if let (Json::Array(items), Ok(i)) = (child, n.trim().parse::<i64>()) {
                        let k = if i < 0 { items.len() as i64 + i } else { i - base };
                        if k >= 0 {
                            if let Some(x) = items.get(k as usize) {
                                next.push(x);
                            }
                        }
                    }
                }
            }
        }
        cur = next;
    }
    Value::from_values(cur.into_iter().map(|j| j.to_value()).collect())
}

fn split_path(path: &str) -> Vec<String> {
    // dots inside {...} do not split
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            '.' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_paths() {
        let d = parse(r#"{"a":{"b":[1,{"c":"x"},{"c":"y"}]},"s":"q\"\u00e9"}"#).unwrap();
        assert_eq!(spath(&d, "a.b{}.c", 1), Value::Multi(vec![Value::str("x"), Value::str("y")]));
        assert_eq!(spath(&d, "a.b{1}", 1), Value::str("1"));
        assert_eq!(spath(&d, "a.b{0}", 0), Value::str("1"));
        assert_eq!(spath(&d, "s", 1), Value::str("q\"é"));
        assert_eq!(spath(&d, "nope", 1), Value::Null);
        let mut flat = indexmap::IndexMap::new();
        flatten(&d, "", &mut flat);
        assert_eq!(flat.keys().cloned().collect::<Vec<_>>(), vec!["a.b{}", "a.b{}.c", "s"]);
        assert!(parse("{bad").is_none());
    }
}
