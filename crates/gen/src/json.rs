//! A minimal streaming JSON writer.
//!
//! Records are written straight into a byte buffer in a fixed key order (the
//! order CloudTrail itself uses) instead of building `serde_json::Value`s:
//! several times faster, and the key order is part of the byte-for-byte output.

pub struct Json {
    pub buf: Vec<u8>,
    /// One entry per open container: has it had an element yet?
    stack: Vec<bool>,
    after_key: bool,
}

impl Default for Json {
    fn default() -> Self {
        Self::new()
    }
}

impl Json {
    pub fn new() -> Self {
        Json {
            buf: Vec::with_capacity(1 << 16),
            stack: Vec::with_capacity(16),
            after_key: false,
        }
    }

    #[inline]
    fn pre_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has) = self.stack.last_mut() {
            if *has {
                self.buf.push(b',');
            }
            *has = true;
        }
    }

    pub fn obj(&mut self) -> &mut Self {
        self.pre_value();
        self.buf.push(b'{');
        self.stack.push(false);
        self
    }

    fn end(&mut self) {
        let open = self.stack.pop().is_some();
        debug_assert!(open, "end without an open container");
    }

    pub fn end_obj(&mut self) -> &mut Self {
        self.end();
        self.buf.push(b'}');
        self
    }

    pub fn arr(&mut self) -> &mut Self {
        self.pre_value();
        self.buf.push(b'[');
        self.stack.push(false);
        self
    }

    pub fn end_arr(&mut self) -> &mut Self {
        self.end();
        self.buf.push(b']');
        self
    }

    #[inline]
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.pre_value();
        escape_into(&mut self.buf, k);
        self.buf.push(b':');
        self.after_key = true;
        self
    }

    #[inline]
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.pre_value();
        escape_into(&mut self.buf, v);
        self
    }

    pub fn kv(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).str(v)
    }

    pub fn kv_opt(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.key(k).str(v);
        }
        self
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.pre_value();
        let b = itoa_buf(v);
        self.buf.extend_from_slice(b.as_bytes());
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.pre_value();
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.pre_value();
        self.buf.extend_from_slice(b"null");
        self
    }

    /// Insert an already-serialised JSON value.
    pub fn raw(&mut self, fragment: &str) -> &mut Self {
        self.pre_value();
        self.buf.extend_from_slice(fragment.as_bytes());
        self
    }

    /// Append bytes outside the value structure (newlines between records).
    pub fn sep(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Forget container state (between independent top-level records).
    pub fn reset_state(&mut self) {
        self.stack.clear();
        self.after_key = false;
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}

struct ItoaBuf {
    b: [u8; 20],
    start: usize,
}

impl ItoaBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.b[self.start..]
    }
}

fn itoa_buf(v: i64) -> ItoaBuf {
    let mut b = [0u8; 20];
    let mut i = 20;
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        b[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        b[i] = b'-';
    }
    ItoaBuf { b, start: i }
}

/// Write `s` as a JSON string literal.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{:04x}", c).as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `s` as a JSON string literal, as a `String` (for embedding JSON text in JSON).
pub fn quoted(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len() + 2);
    escape_into(&mut v, s);
    String::from_utf8(v).expect("escaping keeps UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let mut j = Json::new();
        j.obj()
            .kv("a", "x\"y\\z\n\u{1}")
            .key("b")
            .arr()
            .int(-12)
            .int(0)
            .bool(true)
            .null()
            .end_arr();
        j.key("c")
            .obj()
            .end_obj()
            .key("d")
            .raw("{\"e\":1}")
            .end_obj();
        let s = String::from_utf8(j.buf.clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x\"y\\z\n\u{1}");
        assert_eq!(v["b"][0], -12);
        assert_eq!(v["d"]["e"], 1);
        assert_eq!(j.depth(), 0);
    }
}
