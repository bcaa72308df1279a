//! Splitting a stream of JSON text into records without holding more than one record.
//!
//! The stream is a sequence of top-level JSON values separated by whitespace (one
//! pretty-printed object, concatenated documents as `cat`/`zcat` of CloudTrail files gives,
//! ...). A top-level array yields its elements, and a CloudTrail delivery document
//! `{"Records":[...]}` (CloudTrail writes `Records` first) yields its records, one at a time;
//! any other top-level object is one record. Only the bracket structure is tracked here; each
//! record is parsed later, so a malformed record costs only itself.
//!
//! Records are copied out as they are (so a parse error's line and column still point into
//! the file); [`compact`] gives the one-line form used for `_raw`.

use std::io::BufRead;

/// Records larger than this are skipped (their bytes are scanned but not kept).
pub const MAX_RECORD_BYTES: usize = 256 << 20;

/// What the splitter found next.
#[derive(Debug)]
pub enum Item {
    /// One record's JSON text; `line` (1-based) and `offset` locate its first byte in the
    /// (decompressed) stream.
    Record { text: Vec<u8>, line: u64, offset: u64 },
    /// Something that is not a record; the stream goes on after it unless `fatal`.
    Bad { line: u64, offset: u64, message: String, fatal: bool },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Top,
    /// Inside a top-level array (`records` = the array of a `{"Records":[` document).
    InArray { records: bool },
    /// After the `Records` array: the rest of its document is skipped.
    AfterRecords,
    Done,
}

pub struct JsonStream<R: BufRead> {
    r: R,
    line: u64,
    offset: u64,
    state: State,
    max_record: usize,
}

enum ValueEnd {
    Complete,
    TooLarge,
}

impl<R: BufRead> JsonStream<R> {
    pub fn new(r: R) -> Self {
        JsonStream { r, line: 1, offset: 0, state: State::Top, max_record: MAX_RECORD_BYTES }
    }

    #[cfg(test)]
    fn with_max_record(mut self, n: usize) -> Self {
        self.max_record = n;
        self
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn bump(&mut self, b: u8) {
        self.r.consume(1);
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
        }
    }

    /// Skip whitespace; the next byte, not consumed.
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            let mut lines = 0;
            for &b in buf {
                if !b.is_ascii_whitespace() {
                    break;
                }
                if b == b'\n' {
                    lines += 1;
                }
                n += 1;
            }
            let found = buf.get(n).copied();
            self.r.consume(n);
            self.offset += n as u64;
            self.line += lines;
            if let Some(b) = found {
                return Ok(Some(b));
            }
        }
    }

    /// [`Self::skip_ws`], keeping the skipped bytes.
    fn skip_ws_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let lines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            let found = buf.get(n).copied();
            out.extend_from_slice(&buf[..n]);
            self.r.consume(n);
            self.offset += n as u64;
            self.line += lines;
            if let Some(b) = found {
                return Ok(Some(b));
            }
        }
    }

    /// Skip to just after the next newline (resynchronising after garbage).
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    self.r.consume(i + 1);
                    self.offset += i as u64 + 1;
                    self.line += 1;
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    self.r.consume(n);
                    self.offset += n as u64;
                }
            }
        }
    }

    /// Read one JSON value into `out`, which may already hold its first bytes;
    /// `depth` is the bracket depth those bytes opened.
    fn read_value(&mut self, out: &mut Vec<u8>, mut depth: usize) -> std::io::Result<ValueEnd> {
        let mut in_str = false;
        let mut escaped = false;
        let mut too_large = false;
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected end of input inside a JSON value"));
            }
            let mut i = 0;
            let mut lines = 0;
            let mut done = false;
            while i < buf.len() {
                if in_str {
                    // jump to the next quote or backslash
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => {
                            lines += memchr::memchr_iter(b'\n', &buf[i..]).count() as u64;
                            i = buf.len();
                            break;
                        }
                        Some(j) => {
                            lines += memchr::memchr_iter(b'\n', &buf[i..i + j]).count() as u64;
                            i += j;
                        }
                    }
                    if escaped {
                        escaped = false;
                    } else if buf[i] == b'\\' {
                        // the escaped byte may be a quote: step over it by hand
                        if i + 1 < buf.len() {
                            i += 2;
                            continue;
                        }
                        escaped = true;
                    } else {
                        in_str = false;
                    }
                    i += 1;
                    continue;
                }
                if escaped {
                    // a backslash ended the previous buffer inside a string
                    escaped = false;
                    in_str = true;
                    i += 1;
                    continue;
                }
                let b = buf[i];
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            // the end of the array around a scalar: not part of it
                            done = true;
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    b'\n' => lines += 1,
                    // a scalar at depth 0 ends at a delimiter
                    b',' if depth == 0 => {
                        done = true;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
            if !too_large {
                out.extend_from_slice(&buf[..i]);
                if out.len() > self.max_record {
                    too_large = true;
                    out.clear();
                }
            }
            // an escape split across buffers: `escaped` with in_str still set means the next
            // buffer's first byte is the escaped one
            if escaped && in_str {
                in_str = false;
            }
            self.r.consume(i);
            self.offset += i as u64;
            self.line += lines;
            if done {
                return Ok(if too_large { ValueEnd::TooLarge } else { ValueEnd::Complete });
            }
        }
    }

    /// Read the value that starts here (an array element) or whose first bytes `prefix`
    /// already holds (an object opened at the top level), and turn it into an item.
    fn value_item(&mut self, prefix: Vec<u8>, line: u64, offset: u64) -> Option<Item> {
        let mut out = prefix;
        let depth = if out.is_empty() {
            match self.peek() {
                Ok(Some(b @ (b'{' | b'['))) => {
                    self.bump(b);
                    out.push(b);
                    1
                }
                Ok(_) => 0,
                Err(e) => return self.io_failure(e),
            }
        } else {
            1
        };
        self.finish_value(out, depth, line, offset)
    }

    fn finish_value(&mut self, mut out: Vec<u8>, depth: usize, line: u64, offset: u64) -> Option<Item> {
        match self.read_value(&mut out, depth) {
            Ok(ValueEnd::Complete) if out.is_empty() => {
                // a stray `}` (or `]` after a value) where a value should start: step over it
                match self.peek() {
                    Ok(Some(b)) => self.bump(b),
                    Ok(None) => {}
                    Err(e) => return self.io_failure(e),
                }
                Some(Item::Bad { line, offset, message: "malformed JSON: a value was expected".into(), fatal: false })
            }
            Ok(ValueEnd::Complete) => Some(Item::Record { text: out, line, offset }),
            Ok(ValueEnd::TooLarge) => Some(Item::Bad { line, offset, message: format!("record larger than {} MiB skipped", self.max_record >> 20), fatal: false }),
            Err(e) => {
                self.state = State::Done;
                let message = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    "truncated JSON: the input ends inside a record".to_string()
                } else {
                    format!("{e} (truncated or corrupt compressed data?)")
                };
                Some(Item::Bad { line, offset, message, fatal: true })
            }
        }
    }

    /// After `{` at the top level: is this a `{"Records":[` document? Consumes the key and
    /// the `:` and `[` when it is; otherwise returns the bytes consumed so far (compact).
    fn records_prefix(&mut self) -> std::io::Result<Result<(), Vec<u8>>> {
        let mut seen = vec![b'{'];
        if self.skip_ws_into(&mut seen)? != Some(b'"') {
            return Ok(Err(seen));
        }
        // read the key (a short key: give up on anything long or escaped)
        self.bump(b'"');
        seen.push(b'"');
        let key_start = seen.len();
        loop {
            let Some(b) = self.peek()? else { return Ok(Err(seen)) };
            if b == b'\\' || seen.len() - key_start > 8 {
                return Ok(Err(seen));
            }
            self.bump(b);
            seen.push(b);
            if b == b'"' {
                break;
            }
        }
        let key_at = seen.iter().position(|b| *b == b'"').unwrap_or(0);
        if &seen[key_at..] != b"\"Records\"" {
            return Ok(Err(seen));
        }
        if self.skip_ws_into(&mut seen)? != Some(b':') {
            return Ok(Err(seen));
        }
        self.bump(b':');
        seen.push(b':');
        if self.skip_ws_into(&mut seen)? != Some(b'[') {
            return Ok(Err(seen));
        }
        self.bump(b'[');
        Ok(Ok(()))
    }

    fn io_failure(&mut self, e: std::io::Error) -> Option<Item> {
        self.state = State::Done;
        Some(Item::Bad { line: self.line, offset: self.offset, message: format!("{e} (truncated or corrupt compressed data?)"), fatal: true })
    }
}

impl<R: BufRead> Iterator for JsonStream<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            match self.state {
                State::Done => return None,
                State::Top => {
                    let b = match self.skip_ws() {
                        Ok(Some(b)) => b,
                        Ok(None) => {
                            self.state = State::Done;
                            return None;
                        }
                        Err(e) => return self.io_failure(e),
                    };
                    let (line, offset) = (self.line, self.offset);
                    match b {
                        b'[' => {
                            self.bump(b);
                            self.state = State::InArray { records: false };
                        }
                        b'{' => {
                            self.bump(b);
                            match self.records_prefix() {
                                Ok(Ok(())) => self.state = State::InArray { records: true },
                                Ok(Err(prefix)) => {
                                    // an ordinary object: `prefix` holds its first bytes; a
                                    // first key read only in part (long or escaped) leaves us
                                    // inside its string
                                    if prefix.iter().filter(|c| **c == b'"').count() == 1 {
                                        return self.finish_inside_string(prefix, line, offset);
                                    }
                                    return self.value_item(prefix, line, offset);
                                }
                                Err(e) => return self.io_failure(e),
                            }
                        }
                        _ => {
                            // not JSON at the top level: report it and resynchronise at the next line
                            if let Err(e) = self.skip_line() {
                                return self.io_failure(e);
                            }
                            let what = if b == b'"' || b == b'-' || b.is_ascii_digit() || b == b't' || b == b'f' || b == b'n' { "a bare JSON value, not a record" } else { "not JSON" };
                            return Some(Item::Bad { line, offset, message: format!("{what}: line skipped"), fatal: false });
                        }
                    }
                }
                State::InArray { records } => {
                    let b = match self.skip_ws() {
                        Ok(Some(b)) => b,
                        Ok(None) => {
                            self.state = State::Done;
                            return Some(Item::Bad { line: self.line, offset: self.offset, message: "truncated JSON: the input ends inside an array".into(), fatal: true });
                        }
                        Err(e) => return self.io_failure(e),
                    };
                    match b {
                        b']' => {
                            self.bump(b);
                            self.state = if records { State::AfterRecords } else { State::Top };
                        }
                        b',' => self.bump(b),
                        _ => {
                            let _ = b;
                            let (line, offset) = (self.line, self.offset);
                            return self.value_item(Vec::new(), line, offset);
                        }
                    }
                }
                State::AfterRecords => {
                    // the rest of the `{"Records":[...] ... }` document
                    let mut rest = Vec::new();
                    self.state = State::Top;
                    match self.read_value(&mut rest, 1) {
                        Ok(_) => {}
                        Err(e) => {
                            self.state = State::Done;
                            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                                return Some(Item::Bad { line: self.line, offset: self.offset, message: "truncated JSON: the input ends inside a Records document".into(), fatal: true });
                            }
                            return self.io_failure(e);
                        }
                    }
                }
            }
        }
    }
}

impl<R: BufRead> JsonStream<R> {
    /// The object's first key was cut short inside its string: finish the string by hand,
    /// then the rest of the value.
    fn finish_inside_string(&mut self, mut out: Vec<u8>, line: u64, offset: u64) -> Option<Item> {
        loop {
            let b = match self.peek() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    self.state = State::Done;
                    return Some(Item::Bad { line, offset, message: "truncated JSON: the input ends inside a record".into(), fatal: true });
                }
                Err(e) => return self.io_failure(e),
            };
            self.bump(b);
            out.push(b);
            if b == b'\\' {
                match self.peek() {
                    Ok(Some(c)) => {
                        self.bump(c);
                        out.push(c);
                    }
                    Ok(None) => continue,
                    Err(e) => return self.io_failure(e),
                }
            } else if b == b'"' {
                break;
            }
        }
        self.finish_value(out, 1, line, offset)
    }
}

/// Whether each byte of a JSON text lies inside a string literal (escapes honoured).
#[derive(Default)]
struct StringState {
    in_str: bool,
    esc: bool,
}

impl StringState {
    /// Feed one byte: true when it lies outside every string and is not a quote.
    fn outside(&mut self, c: u8) -> bool {
        if self.in_str {
            if self.esc {
                self.esc = false;
            } else if c == b'\\' {
                self.esc = true;
            } else if c == b'"' {
                self.in_str = false;
            }
            false
        } else if c == b'"' {
            self.in_str = true;
            false
        } else {
            true
        }
    }
}

/// The one-line form of a JSON text: whitespace outside strings dropped; `None` when there is
/// none to drop.
pub fn compact(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut state = StringState::default();
    let start = b.iter().position(|&c| state.outside(c) && c.is_ascii_whitespace())?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..start]);
    // `start` is outside a string
    let mut state = StringState::default();
    out.extend(b[start..].iter().filter(|&&c| !(state.outside(c) && c.is_ascii_whitespace())));
    // only ASCII whitespace was removed, between UTF-8 sequences
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    /// A record (text, line, offset) or a problem (message, line, fatal).
    type Got = Result<(String, u64, u64), (String, u64, bool)>;

    fn items(text: &[u8], cap: usize) -> Vec<Got> {
        // a tiny buffer exercises every split across buffer boundaries
        JsonStream::new(BufReader::with_capacity(cap, text))
            .map(|i| match i {
                Item::Record { text, line, offset } => Ok((String::from_utf8(text).expect("utf8"), line, offset)),
                Item::Bad { line, message, fatal, .. } => Err((message, line, fatal)),
            })
            .collect()
    }

    fn records(text: &str) -> Vec<String> {
        let mut all = None;
        for cap in [1, 2, 3, 7, 64, 8192] {
            let got: Vec<String> = items(text.as_bytes(), cap).into_iter().filter_map(|r| r.ok().map(|x| x.0)).collect();
            if let Some(prev) = &all {
                assert_eq!(prev, &got, "buffer size {cap}");
            }
            all = Some(got);
        }
        all.unwrap_or_default()
    }

    #[test]
    fn shapes() {
        assert_eq!(records(r#"{"Records":[{"a":1},{"b":"x y"}]}"#), [r#"{"a":1}"#, r#"{"b":"x y"}"#]);
        assert_eq!(records("{ \"Records\" : [\n {\"a\": 1},\n {\"b\": [1, 2]}\n ] }\n"), [r#"{"a": 1}"#, r#"{"b": [1, 2]}"#]);
        assert_eq!(records(r#"[{"a":1},{"b":2}]"#), [r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(records("{\n  \"a\": {\"b\": \"c d\"}\n}\n"), ["{\n  \"a\": {\"b\": \"c d\"}\n}"]);
        // concatenated documents, with and without whitespace between them
        assert_eq!(records(r#"{"Records":[{"a":1}]}{"Records":[{"a":2}]} {"c":3}"#), [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"c":3}"#]);
        // Records not first: one record holding the array (the reader splits it)
        assert_eq!(records(r#"{"x":1,"Records":[{"a":1}]}"#), [r#"{"x":1,"Records":[{"a":1}]}"#]);
        // strings with brackets, quotes and escapes
        assert_eq!(records(r#"[{"a":"]}\"\\"},{"b":"{["}]"#), [r#"{"a":"]}\"\\"}"#, r#"{"b":"{["}"#]);
        // keys that look like Records but are not
        assert_eq!(records(r#"{"Recordsx":[1]}{"Rec\"ords":[2]}{"a_very_long_first_key_indeed":1}"#), [r#"{"Recordsx":[1]}"#, r#"{"Rec\"ords":[2]}"#, r#"{"a_very_long_first_key_indeed":1}"#]);
        assert_eq!(records("{\n \"x\" : 1}"), ["{\n \"x\" : 1}"]);
        assert_eq!(records(r#"{"Records":null}"#), [r#"{"Records":null}"#]);
        assert_eq!(records(r#"{}[]"#), ["{}"]);
        // scalars in an array are items too (the reader reports them as not objects)
        assert_eq!(records(r#"[1,"a",null]"#), ["1", r#""a""#, "null"]);
    }

    #[test]
    fn lines_and_offsets() {
        let got = items(b"[\n  {\"a\":1},\n  {\"b\":2}\n]\n{\"c\":3}", 4);
        assert_eq!(got, [Ok(("{\"a\":1}".into(), 2, 4)), Ok(("{\"b\":2}".into(), 3, 15)), Ok(("{\"c\":3}".into(), 5, 25))]);
    }

    #[test]
    fn bad_input() {
        // garbage at the top level: reported with its line, then the next line is read
        let got = items(b"hello\n{\"a\":1}\n", 8);
        assert!(matches!(&got[0], Err((m, 1, false)) if m.starts_with("not JSON")));
        assert_eq!(got[1], Ok(("{\"a\":1}".into(), 2, 6)));
        // truncated
        let got = items(br#"{"Records":[{"a":1},{"b":"#, 8);
        assert_eq!(got[0], Ok(("{\"a\":1}".into(), 1, 12)));
        assert!(matches!(&got[1], Err((_, 1, true))));
        assert_eq!(got.len(), 2);
        let got = items(b"[{\"a\":1}", 8);
        assert!(matches!(&got[1], Err((m, _, true)) if m.contains("inside an array")));
        // too large: skipped, the stream goes on
        let big = format!("[{{\"a\":\"{}\"}},{{\"b\":1}}]", "x".repeat(1000));
        let got: Vec<_> = JsonStream::new(BufReader::with_capacity(16, big.as_bytes())).with_max_record(100).collect();
        assert!(matches!(&got[0], Item::Bad { fatal: false, .. }));
        assert!(matches!(&got[1], Item::Record { text, .. } if text == b"{\"b\":1}"));
    }

    #[test]
    fn compacting() {
        assert_eq!(compact("{ \"a\" : [1, 2],\n \"b\": \"x \\\" y\" }").as_deref(), Some("{\"a\":[1,2],\"b\":\"x \\\" y\"}"));
        assert_eq!(compact("{\"a\":\"b c\"}"), None);
        assert_eq!(compact("{\"é\": \"ü\"}").as_deref(), Some("{\"é\":\"ü\"}"));
    }

    #[test]
    fn stray_closers_do_not_stall() {
        let got = items(b"[}]{\"a\":1}", 4);
        assert!(matches!(&got[0], Err((_, 1, false))));
        assert_eq!(got.last(), Some(&Ok(("{\"a\":1}".into(), 1, 3))));
        let got = items(b"[1}]", 4);
        assert_eq!(got[0], Ok(("1".into(), 1, 1)));
    }

    proptest::proptest! {
        /// Any bytes: the stream ends, and every byte is consumed at most once per item.
        #[test]
        fn random_bytes_terminate(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512), cap in 1usize..9) {
            let alphabet = b"{}[]\",:\\ \nRecords01";
            // bias towards JSON punctuation
            let text: Vec<u8> = bytes.iter().map(|b| if b % 4 == 0 { *b } else { alphabet[(*b as usize) % alphabet.len()] }).collect();
            let mut n = 0;
            for _ in JsonStream::new(BufReader::with_capacity(cap, &text[..])) {
                n += 1;
                proptest::prop_assert!(n <= text.len() + 1);
            }
        }
    }
}
