//! Walking paths, opening (gzip-aware) files, recognising their shape and streaming records
//! into event batches.

use crate::flatten::{flatten, Projection};
use crate::time::event_time;
use arrow::array::{ArrayRef, Float64Builder, ListBuilder, StringBuilder};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub projection: Projection,
    /// Treat every record as this sourcetype (`--sourcetype`).
    pub sourcetype: Option<String>,
    /// The value of the `host` field.
    pub host: String,
    /// Rows per batch.
    pub batch_size: usize,
    /// Terms every record that can match must contain (ASCII case-insensitive); records lacking
    /// one are skipped before they are parsed.
    pub raw_prefilter: Vec<String>,
    /// Fail on the first skipped input instead of reporting it and going on.
    pub strict: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { projection: Projection::All, sourcetype: None, host: "localhost".into(), batch_size: 8192, raw_prefilter: Vec::new(), strict: false }
    }
}

/// Events of one sourcetype.
#[derive(Debug, Clone)]
pub struct EventBatch {
    pub sourcetype: String,
    pub batch: RecordBatch,
}

/// Something skipped or noteworthy, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct IoWarning {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub byte_offset: Option<u64>,
    pub message: String,
}

impl fmt::Display for IoWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        } else if let Some(b) = self.byte_offset {
            write!(f, " (byte {b})")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    pub files_read: usize,
    pub events_read: u64,
    pub bytes_read: u64,
    pub prefiltered: u64,
    pub skipped: BTreeMap<String, u64>,
    pub warnings: Vec<IoWarning>,
    pub events_without_time: u64,
}

const MAX_WARNINGS: usize = 100;

impl ScanStats {
    fn warn(&mut self, reason: &str, w: IoWarning) {
        *self.skipped.entry(reason.to_string()).or_insert(0) += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        }
    }

    /// One line for stderr: files, events, and what was skipped by reason.
    pub fn summary_line(&self) -> String {
        let mut s = format!("read {} file(s), {} event(s), {} byte(s)", self.files_read, self.events_read, self.bytes_read);
        if self.prefiltered > 0 {
            s.push_str(&format!("; {} record(s) ruled out by raw-text prefilter", self.prefiltered));
        }
        let skipped: u64 = self.skipped.values().sum();
        if skipped > 0 {
            let reasons: Vec<String> = self.skipped.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            s.push_str(&format!("; skipped {} ({})", skipped, reasons.join(", ")));
        }
        if self.events_without_time > 0 {
            s.push_str(&format!("; {} event(s) without a parsable time got their file's modification time", self.events_without_time));
        }
        s
    }
}

#[derive(Debug)]
pub enum IoError {
    /// A path given on the command line does not exist or cannot be listed.
    Path { path: PathBuf, message: String },
    /// Strict mode: the first skipped input.
    Strict(IoWarning),
    /// Building a batch failed (a bug, reported rather than panicking).
    Arrow(String),
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Path { path, message } => write!(f, "{}: {}", path.display(), message),
            IoError::Strict(w) => write!(f, "{w} (--strict)"),
            IoError::Arrow(m) => write!(f, "internal error building a batch: {m}"),
        }
    }
}

impl std::error::Error for IoError {}

/// List the files under the given paths (folders recursively, sorted) and start scanning.
pub fn scan(paths: &[PathBuf], opts: ScanOptions) -> Result<Scanner, IoError> {
    let mut files = Vec::new();
    let mut stats = ScanStats::default();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| IoError::Path { path: p.clone(), message: e.to_string() })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = Vec::new();
            for entry in walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        let name = e.file_name().to_string_lossy();
                        if !name.starts_with('.') {
                            found.push(e.into_path());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => stats.warn(
                        "unreadable path",
                        IoWarning { file: e.path().map(Path::to_path_buf).unwrap_or_else(|| p.clone()), line: None, byte_offset: None, message: e.to_string() },
                    ),
                }
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(Scanner { files, next_file: 0, current: None, rows: Rows::default(), ready: std::collections::VecDeque::new(), opts, stats, failed: false })
}

/// Streams event batches from the files, one file open at a time.
pub struct Scanner {
    files: Vec<PathBuf>,
    next_file: usize,
    current: Option<FileRecords>,
    rows: Rows,
    ready: std::collections::VecDeque<EventBatch>,
    opts: ScanOptions,
    stats: ScanStats,
    failed: bool,
}

impl Scanner {
    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

/// Rows being collected for the next batch.
#[derive(Default)]
struct Rows {
    sourcetype: String,
    fields: Vec<IndexMap<String, Vec<String>>>,
    raw: Vec<String>,
    time: Vec<f64>,
    source: Vec<Arc<str>>,
}

enum FileRecords {
    Lines { reader: Box<dyn BufRead>, line: u64, path: PathBuf, mtime: f64, source: Arc<str> },
    Docs { records: std::vec::IntoIter<Value>, path: PathBuf, mtime: f64, source: Arc<str> },
}

fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let f = std::fs::File::open(path)?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let magic = r.fill_buf()?.get(..2).map(|m| m.to_vec()).unwrap_or_default();
    if magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(r))))
    } else {
        Ok(Box::new(r))
    }
}

fn contains_ci(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    let first = needle_lower[0];
    let n = needle_lower.len();
    if hay.len() < n {
        return false;
    }
    for i in 0..=hay.len() - n {
        if hay[i].to_ascii_lowercase() == first && hay[i..i + n].iter().zip(needle_lower).all(|(a, b)| a.to_ascii_lowercase() == *b) {
            return true;
        }
    }
    false
}

impl Scanner {
    fn open_next(&mut self) -> Result<bool, IoError> {
        while self.next_file < self.files.len() {
            let path = self.files[self.next_file].clone();
            self.next_file += 1;
            let mtime = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            let source: Arc<str> = Arc::from(path.display().to_string());
            let mut reader = match open(&path) {
                Ok(r) => r,
                Err(e) => {
                    self.skip("unreadable file", &path, None, e.to_string())?;
                    continue;
                }
            };
            if path.extension().is_some_and(|e| e == "parquet") || reader.fill_buf().map(|b| b.starts_with(b"PAR1")).unwrap_or(false) {
                self.skip("unsupported format", &path, None, "Parquet is not read yet".into())?;
                continue;
            }
            self.stats.files_read += 1;
            // Shape: NDJSON when the first non-empty line is a whole JSON value; else one document.
            let mut first = String::new();
            let mut consumed = Vec::new();
            loop {
                first.clear();
                let mut buf = Vec::new();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) => break,
                    Ok(_) => {
                        consumed.extend_from_slice(&buf);
                        first = String::from_utf8_lossy(&buf).to_string();
                        if !first.trim().is_empty() {
                            break;
                        }
                    }
                    Err(e) => {
                        self.skip("unreadable file", &path, None, e.to_string())?;
                        break;
                    }
                }
            }
            if consumed.is_empty() {
                continue;
            }
            let first_is_value = {
                let t = first.trim();
                t.starts_with('{') && serde_json::from_str::<Value>(t).is_ok()
            };
            let rest: Box<dyn BufRead> = Box::new(std::io::Cursor::new(consumed).chain(reader));
            if first_is_value {
                self.current = Some(FileRecords::Lines { reader: Box::new(BufReader::new(rest)), line: 0, path, mtime, source });
            } else {
                let mut all = Vec::new();
                let mut r = rest;
                if let Err(e) = r.read_to_end(&mut all) {
                    self.skip("unreadable file", &path, None, format!("{e} (truncated or corrupt compressed data?)"))?;
                    if all.is_empty() {
                        continue;
                    }
                }
                self.stats.bytes_read += all.len() as u64;
                match serde_json::from_slice::<Value>(&all) {
                    Ok(v) => {
                        let records = self.records_of(v, &path)?;
                        self.current = Some(FileRecords::Docs { records: records.into_iter(), path, mtime, source });
                    }
                    Err(e) => {
                        let line = e.line() as u64;
                        let what = if all.iter().take(512).any(|b| *b == 0) { "not a text file" } else { "malformed JSON" };
                        self.skip(what, &path, Some(line), format!("{what}: {e}"))?;
                        continue;
                    }
                }
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// The records of one JSON document: `{"Records": [...]}`, an array, or one object.
    fn records_of(&mut self, v: Value, path: &Path) -> Result<Vec<Value>, IoError> {
        match v {
            Value::Object(mut m) => {
                if let Some(Value::Array(recs)) = m.remove("Records") {
                    return Ok(recs);
                }
                if m.contains_key("digestStartTime") && m.contains_key("digestEndTime") {
                    self.skip("CloudTrail digest file", path, None, "CloudTrail digest file (no events): skipped".into())?;
                    return Ok(Vec::new());
                }
                Ok(vec![Value::Object(m)])
            }
            Value::Array(items) => Ok(items),
            _ => {
                self.skip("not a JSON object", path, None, "the document is not a JSON object or array".into())?;
                Ok(Vec::new())
            }
        }
    }

    fn skip(&mut self, reason: &str, path: &Path, line: Option<u64>, message: String) -> Result<(), IoError> {
        let w = IoWarning { file: path.to_path_buf(), line, byte_offset: None, message };
        if self.opts.strict {
            self.failed = true;
            return Err(IoError::Strict(w));
        }
        self.stats.warn(reason, w);
        Ok(())
    }

    /// Add one parsed record (or several, for a `Records` object on an NDJSON line).
    fn add_record(&mut self, v: Value, raw: Option<String>, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let Value::Object(_) = &v else {
            return self.skip("not a JSON object", path, line, "record is not a JSON object".into());
        };
        if let Some(Value::Array(_)) = v.get("Records") {
            if let Value::Object(mut m) = v {
                if let Some(Value::Array(recs)) = m.remove("Records") {
                    for r in recs {
                        self.add_record(r, None, path, line, mtime, source)?;
                    }
                }
            }
            return Ok(());
        }
        // EventBridge / CloudTrail Lake wrappers carry the record under `detail`
        let v = match v.get("detail") {
            Some(d @ Value::Object(_)) if d.get("eventVersion").is_some() && v.get("eventVersion").is_none() => d.clone(),
            _ => v,
        };
        let st = match &self.opts.sourcetype {
            Some(s) => s.clone(),
            None => crate::detect_sourcetype(&v).to_string(),
        };
        if !self.rows.fields.is_empty() && st != self.rows.sourcetype {
            self.flush()?;
        }
        self.rows.sourcetype = st.clone();
        let t = match event_time(&v, &st) {
            Some(t) => t,
            None => {
                self.stats.events_without_time += 1;
                mtime
            }
        };
        let want_raw = match &self.opts.projection {
            Projection::All => true,
            Projection::Fields(f) => f.contains("_raw"),
        };
        let raw = if want_raw { raw.unwrap_or_else(|| v.to_string()) } else { String::new() };
        self.rows.fields.push(flatten(&v, &self.opts.projection));
        self.rows.raw.push(raw);
        self.rows.time.push(t);
        self.rows.source.push(source.clone());
        self.stats.events_read += 1;
        if self.rows.fields.len() >= self.opts.batch_size.max(1) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        if self.rows.fields.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let n = rows.fields.len();
        let wants = |name: &str| match &self.opts.projection {
            Projection::All => true,
            Projection::Fields(f) => f.contains(name),
        };
        let mut cols: Vec<(String, ArrayRef)> = Vec::new();
        if wants("_time") {
            let mut b = Float64Builder::with_capacity(n);
            rows.time.iter().for_each(|t| b.append_value(*t));
            cols.push(("_time".into(), Arc::new(b.finish())));
        }
        if wants("_raw") {
            let mut b = StringBuilder::with_capacity(n, rows.raw.iter().map(|r| r.len()).sum());
            rows.raw.iter().for_each(|r| b.append_value(r));
            cols.push(("_raw".into(), Arc::new(b.finish())));
        }
        let consts = [("source", None), ("sourcetype", Some(rows.sourcetype.as_str())), ("host", Some(self.opts.host.as_str()))];
        for (name, val) in consts {
            if wants(name) {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                for i in 0..n {
                    b.append_value(val.unwrap_or(&rows.source[i]));
                }
                cols.push((name.into(), Arc::new(b.finish())));
            }
        }
        let mut names: IndexMap<&str, bool> = IndexMap::new();
        for r in &rows.fields {
            for (k, v) in r {
                let multi = v.len() > 1;
                let e = names.entry(k.as_str()).or_insert(false);
                *e |= multi;
            }
        }
        for (name, multi) in names {
            if matches!(name, "_time" | "_raw" | "source" | "sourcetype" | "host") {
                continue;
            }
            let arr: ArrayRef = if multi {
                let mut b = ListBuilder::new(StringBuilder::new());
                for r in &rows.fields {
                    match r.get(name) {
                        Some(vals) => {
                            vals.iter().for_each(|v| b.values().append_value(v));
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            } else {
                let mut b = StringBuilder::with_capacity(n, n * 8);
                for r in &rows.fields {
                    match r.get(name).and_then(|v| v.first()) {
                        Some(v) => b.append_value(v),
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            };
            cols.push((name.to_string(), arr));
        }
        let fields: Vec<Field> = cols.iter().map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect();
        let arrays: Vec<ArrayRef> = cols.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &RecordBatchOptions::new().with_row_count(Some(n)))
            .map_err(|e| IoError::Arrow(e.to_string()))?;
        self.ready.push_back(EventBatch { sourcetype: rows.sourcetype, batch });
        Ok(())
    }

    fn step(&mut self) -> Result<bool, IoError> {
        let Some(cur) = self.current.take() else {
            if self.open_next()? {
                return Ok(true);
            }
            self.flush()?;
            return Ok(false);
        };
        match cur {
            FileRecords::Lines { mut reader, mut line, path, mtime, source } => {
                let prefilter: Vec<Vec<u8>> = self.opts.raw_prefilter.iter().map(|t| t.to_ascii_lowercase().into_bytes()).collect();
                let mut buf = Vec::new();
                // read up to one batch worth of lines, then yield control
                for _ in 0..self.opts.batch_size.max(1) {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => {
                            return Ok(true);
                        }
                        Ok(k) => {
                            line += 1;
                            self.stats.bytes_read += k as u64;
                            let text = trim_ascii(&buf);
                            if text.is_empty() {
                                continue;
                            }
                            if !prefilter.iter().all(|t| contains_ci(text, t)) {
                                self.stats.prefiltered += 1;
                                continue;
                            }
                            match serde_json::from_slice::<Value>(text) {
                                Ok(v) => {
                                    let raw = String::from_utf8_lossy(text).into_owned();
                                    self.add_record(v, Some(raw), &path, Some(line), mtime, &source)?;
                                }
                                Err(e) => {
                                    let reason = if std::str::from_utf8(text).is_err() { "invalid UTF-8" } else { "malformed JSON" };
                                    self.skip(reason, &path, Some(line), format!("{reason}: {e}"))?;
                                }
                            }
                        }
                        Err(e) => {
                            self.skip("unreadable file", &path, Some(line + 1), format!("{e} (truncated or corrupt compressed data?)"))?;
                            return Ok(true);
                        }
                    }
                }
                self.current = Some(FileRecords::Lines { reader, line, path, mtime, source });
                Ok(true)
            }
            FileRecords::Docs { mut records, path, mtime, source } => {
                let prefilter: Vec<Vec<u8>> = self.opts.raw_prefilter.iter().map(|t| t.to_ascii_lowercase().into_bytes()).collect();
                for _ in 0..self.opts.batch_size.max(1) {
                    let Some(r) = records.next() else {
                        return Ok(true);
                    };
                    let raw = r.to_string();
                    if !prefilter.iter().all(|t| contains_ci(raw.as_bytes(), t)) {
                        self.stats.prefiltered += 1;
                        continue;
                    }
                    self.add_record(r, Some(raw), &path, None, mtime, &source)?;
                }
                self.current = Some(FileRecords::Docs { records, path, mtime, source });
                Ok(true)
            }
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map(|e| e + 1).unwrap_or(start);
    &b[start..end.max(start)]
}

impl Iterator for Scanner {
    type Item = Result<EventBatch, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                return Some(Ok(b));
            }
            if self.failed {
                return None;
            }
            match self.step() {
                Ok(true) => continue,
                Ok(false) => return self.ready.pop_front().map(Ok),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
