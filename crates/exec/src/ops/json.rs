//! A small JSON reader for `spath`, `spath()` and `json_extract()`: parse text into a tree,
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

/// Parse a JSON document; `None` when the text is not JSON.
pub fn parse(text: &str) -> Option<Json> {
    let mut p = Parser { b: text.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn lit(&mut self, s: &str, v: Json) -> Option<Json> {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            Some(v)
        } else {
            None
        }
    }
    fn value(&mut self) -> Option<Json> {
        self.depth += 1;
        if self.depth > 256 {
            return None;
        }
        let r = match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        self.ws();
                        let v = self.value()?;
                        fields.push((k, v));
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::Object(fields)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Json::Array(items)
            }
            b'"' => Json::Str(self.string()?),
            b't' => self.lit("true", Json::Bool(true))?,
            b'f' => self.lit("false", Json::Bool(false))?,
            b'n' => self.lit("null", Json::Null)?,
            _ => {
                let start = self.i;
                while self.i < self.b.len() && matches!(self.b[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[start..self.i]).ok()?;
                t.parse::<f64>().ok()?;
                Json::Num(t.to_string())
            }
        };
        self.depth -= 1;
        Some(r)
    }
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            let mut cp = u32::from_str_radix(hex, 16).ok()?;
                            if (0xD800..0xDC00).contains(&cp) && self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                                let lo = u32::from_str_radix(std::str::from_utf8(self.b.get(self.i + 2..self.i + 6)?).ok()?, 16).ok()?;
                                self.i += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
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
