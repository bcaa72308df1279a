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
    /// Groups of terms: a record that can match contains at least one term of every group
    /// (ASCII case-insensitively); records that do not are skipped before they are parsed.
    pub raw_prefilter: Vec<Vec<String>>,
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
    /// Files not opened because their S3 path lies outside the time range.
    pub files_pruned: usize,
}

const MAX_WARNINGS: usize = 100;

/// Bytes per block when NDJSON is searched block-wise for prefilter terms.
const BLOCK: usize = 4 << 20;

impl ScanStats {
    fn warn(&mut self, reason: &str, w: IoWarning) {
        *self.skipped.entry(reason.to_string()).or_insert(0) += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        }
    }

    /// Add another scanner's statistics (parallel scans).
    pub fn merge(&mut self, other: ScanStats) {
        self.files_read += other.files_read;
        self.events_read += other.events_read;
        self.bytes_read += other.bytes_read;
        self.prefiltered += other.prefiltered;
        self.events_without_time += other.events_without_time;
        self.files_pruned += other.files_pruned;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_insert(0) += v;
        }
        let room = MAX_WARNINGS.saturating_sub(self.warnings.len());
        self.warnings.extend(other.warnings.into_iter().take(room));
    }

    /// One line for stderr: files, events, and what was skipped by reason.
    pub fn summary_line(&self) -> String {
        let mut s = format!("read {} file(s), {} event(s), {} byte(s)", self.files_read, self.events_read, self.bytes_read);
        if self.files_pruned > 0 {
            s.push_str(&format!("; {} file(s) outside the time range not opened", self.files_pruned));
        }
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

/// A piece of input one scanner reads: a whole file, or a byte range of a plain NDJSON file
/// (lines whose first byte lies in `start..end`).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkUnit {
    pub path: PathBuf,
    pub range: Option<(u64, u64)>,
}

/// List the files under the given paths: folders recursively, sorted by name. Unreadable
/// entries inside folders are reported in the returned stats; a missing path is an error.
pub fn list_files(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, ScanStats), IoError> {
    let mut files = Vec::new();
    let mut stats = ScanStats::default();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| IoError::Path { path: p.clone(), message: e.to_string() })?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        if !e.file_name().to_string_lossy().starts_with('.') {
                            files.push(e.into_path());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => stats.warn(
                        "unreadable path",
                        IoWarning { file: e.path().map(Path::to_path_buf).unwrap_or_else(|| p.clone()), line: None, byte_offset: None, message: e.to_string() },
                    ),
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    Ok((files, stats))
}

/// Split the input into work units for parallel scanning: every file is a unit, and plain
/// (uncompressed) NDJSON files larger than `chunk` bytes are cut into byte ranges of about
/// `chunk` bytes (a range's reader starts at the first line that begins inside it).
pub fn plan_units(files: &[PathBuf], chunk: u64) -> Vec<WorkUnit> {
    let mut units = Vec::new();
    for f in files {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if size > chunk && chunk > 0 && is_plain_ndjson(f) {
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                units.push(WorkUnit { path: f.clone(), range: Some((start, end)) });
                start = end;
            }
        } else {
            units.push(WorkUnit { path: f.clone(), range: None });
        }
    }
    units
}

/// Uncompressed, and the first non-empty line is a whole JSON object.
fn is_plain_ndjson(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else { return false };
    let mut r = BufReader::new(f);
    let Ok(head) = r.fill_buf() else { return false };
    if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PAR1") {
        return false;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {
                let t = trim_ascii(&line);
                if t.is_empty() {
                    continue;
                }
                return t.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok();
            }
        }
    }
}

/// Scan files and folders, in order.
pub fn scan(paths: &[PathBuf], opts: ScanOptions) -> Result<Scanner, IoError> {
    let (files, stats) = list_files(paths)?;
    let units = files.into_iter().map(|path| WorkUnit { path, range: None }).collect();
    let mut s = scan_units(units, opts);
    s.stats = stats;
    Ok(s)
}

/// Scan the given work units, in order.
pub fn scan_units(units: Vec<WorkUnit>, opts: ScanOptions) -> Scanner {
    // --strict validates every record, so it reads without the prefilter
    let prefilter = if opts.strict { None } else { crate::prefilter::Prefilter::new(&opts.raw_prefilter) };
    Scanner { files: units, next_file: 0, current: None, rows: Rows::default(), ready: std::collections::VecDeque::new(), opts, stats: ScanStats::default(), failed: false, prefilter }
}

/// Streams event batches from the files, one file open at a time.
pub struct Scanner {
    files: Vec<WorkUnit>,
    next_file: usize,
    current: Option<FileRecords>,
    rows: Rows,
    ready: std::collections::VecDeque<EventBatch>,
    opts: ScanOptions,
    stats: ScanStats,
    failed: bool,
    /// The compiled raw-text prefilter.
    prefilter: Option<crate::prefilter::Prefilter>,
}

impl Scanner {
    pub fn stats(&self) -> &ScanStats {
        &self.stats
    }
    pub fn units(&self) -> &[WorkUnit] {
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
    Docs { records: std::vec::IntoIter<String>, path: PathBuf, mtime: f64, source: Arc<str> },
    Parquet { rows: crate::parquet::ParquetRows, path: PathBuf, mtime: f64, source: Arc<str> },
    /// CSV (or TSV) with a header row: one event per row, fields named by the header.
    Csv { reader: csv::Reader<Box<dyn BufRead>>, headers: Vec<String>, delimiter: u8, path: PathBuf, mtime: f64, source: Arc<str> },
    /// Plain text: one event per line, with `_raw` only.
    Text { reader: Box<dyn BufRead>, line: u64, path: PathBuf, mtime: f64, source: Arc<str> },
}

fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let f = std::fs::File::open(path)?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let magic = r.fill_buf()?.get(..2).map(|m| m.to_vec()).unwrap_or_default();
    let magic4 = r.fill_buf()?.get(..4).map(|m| m.to_vec()).unwrap_or_default();
    if magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(r))))
    } else if magic4 == [0x28, 0xb5, 0x2f, 0xfd] {
        Ok(Box::new(BufReader::with_capacity(1 << 20, zstd::stream::read::Decoder::with_buffer(r)?)))
    } else {
        Ok(Box::new(r))
    }
}

/// A reader over the lines of a plain file whose first byte lies in `start..end`.
fn open_range(path: &Path, start: u64, end: u64) -> std::io::Result<Box<dyn BufRead>> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let mut pos = start;
    if start > 0 {
        f.seek(SeekFrom::Start(start - 1))?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut skipped = Vec::new();
        let n = r.read_until(b'\n', &mut skipped)? as u64;
        pos = start - 1 + n;
        return Ok(Box::new(RangeReader { inner: r, pos, end, at_line_start: true }));
    }
    Ok(Box::new(RangeReader { inner: BufReader::with_capacity(1 << 20, f), pos, end, at_line_start: true }))
}

/// Yields whole lines while the next line starts before `end`.
struct RangeReader {
    inner: BufReader<std::fs::File>,
    pos: u64,
    end: u64,
    /// Whether the next byte starts a line (only lines that start before `end` are ours).
    at_line_start: bool,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for RangeReader {
    /// Bytes up to the end of the range (a line crossing it is finished with `read_until`).
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let cap = self.end.saturating_sub(self.pos) as usize;
        let buf = self.inner.fill_buf()?;
        Ok(&buf[..buf.len().min(cap)])
    }
    fn consume(&mut self, amt: usize) {
        if amt > 0 {
            self.at_line_start = self.inner.buffer().get(amt - 1) == Some(&b'\n');
        }
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
    /// The rest of the current line; at a line start, a new line only if it starts in the range.
    fn read_until(&mut self, byte: u8, out: &mut Vec<u8>) -> std::io::Result<usize> {
        if self.pos >= self.end && self.at_line_start {
            return Ok(0);
        }
        let n = self.inner.read_until(byte, out)?;
        self.pos += n as u64;
        self.at_line_start = n == 0 || out.last() == Some(&byte);
        Ok(n)
    }
}

/// Read about `cap` bytes ending at a line end (or the end of input) into `out`.
fn read_block(r: &mut dyn BufRead, cap: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
    while out.len() < cap {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            break;
        }
        let n = avail.len().min(cap - out.len());
        out.extend_from_slice(&avail[..n]);
        r.consume(n);
    }
    if !out.is_empty() && !out.ends_with(b"\n") {
        r.read_until(b'\n', out)?;
    }
    Ok(())
}

impl Scanner {
    fn open_next(&mut self) -> Result<bool, IoError> {
        while self.next_file < self.files.len() {
            let unit = self.files[self.next_file].clone();
            let path = unit.path.clone();
            self.next_file += 1;
            if let Some((start, end)) = unit.range {
                match open_range(&path, start, end) {
                    Ok(reader) => {
                        self.stats.files_read += usize::from(start == 0);
                        let source: Arc<str> = Arc::from(path.display().to_string());
                        self.current = Some(FileRecords::Lines { reader, line: 0, path, mtime: 0.0, source });
                        return Ok(true);
                    }
                    Err(e) => {
                        self.skip("unreadable file", &path, None, e.to_string())?;
                        continue;
                    }
                }
            }
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
            if reader.fill_buf().map(|b| b.starts_with(b"PAR1")).unwrap_or(false) {
                match crate::parquet::ParquetRows::open(&path, self.opts.batch_size) {
                    Ok(rows) => {
                        self.stats.files_read += 1;
                        self.stats.bytes_read += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        self.current = Some(FileRecords::Parquet { rows, path, mtime, source });
                        return Ok(true);
                    }
                    Err(e) => {
                        self.skip("invalid Parquet", &path, None, e)?;
                        continue;
                    }
                }
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
                        if !trim_ascii(&buf).is_empty() {
                            first = match std::str::from_utf8(&buf) {
                                Ok(t) => t.to_string(),
                                Err(_) => String::from_utf8_lossy(&buf).into_owned(),
                            };
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
                t.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok()
            };
            let rest: Box<dyn BufRead> = Box::new(std::io::Cursor::new(consumed).chain(reader));
            let starts_json = first.trim_start().starts_with(['{', '[']);
            if !starts_json {
                let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
                let ext = if ext == "gz" || ext == "zst" {
                    path.file_stem().and_then(|s| Path::new(s).extension()).and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default()
                } else {
                    ext
                };
                if ext == "csv" || ext == "tsv" {
                    let delimiter = if ext == "tsv" { b'\t' } else { b',' };
                    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(rest);
                    match reader.headers() {
                        Ok(h) => {
                            let headers = h.iter().map(|x| x.trim().to_string()).collect();
                            self.current = Some(FileRecords::Csv { reader, headers, delimiter, path, mtime, source });
                        }
                        Err(e) => {
                            self.skip("malformed CSV", &path, Some(1), format!("malformed CSV header: {e}"))?;
                            continue;
                        }
                    }
                } else {
                    self.current = Some(FileRecords::Text { reader: rest, line: 0, path, mtime, source });
                }
                return Ok(true);
            }
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
                // no record of this document can match: skip it without building records, but
                // still check it is JSON so bad files are named
                if !self.prefilter_ok(&all) && serde_json::from_slice::<serde::de::IgnoredAny>(&all).is_ok() {
                    self.stats.prefiltered += 1;
                    continue;
                }
                match self.split_document(&all, &path) {
                    Ok(records) => {
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

    /// Does the text contain every prefilter term (ASCII case-insensitively)?
    fn prefilter_ok(&self, text: &[u8]) -> bool {
        match &self.prefilter {
            None => true,
            Some(p) => p.is_match(text),
        }
    }

    /// The raw text of each record of one JSON document: `{"Records": [...]}` (CloudTrail's S3
    /// delivery), an array of records, or one object. Records are not parsed here, so the
    /// prefilter can rule them out first.
    fn split_document(&mut self, doc: &[u8], path: &Path) -> Result<Vec<String>, serde_json::Error> {
        use serde_json::value::RawValue;
        #[derive(serde::Deserialize)]
        struct RecordsDoc<'a> {
            #[serde(rename = "Records", borrow)]
            records: Vec<&'a RawValue>,
        }
        if let Ok(d) = serde_json::from_slice::<RecordsDoc>(doc) {
            return Ok(d.records.into_iter().map(|r| r.get().to_string()).collect());
        }
        if let Ok(items) = serde_json::from_slice::<Vec<&RawValue>>(doc) {
            return Ok(items.into_iter().map(|r| r.get().to_string()).collect());
        }
        let v: Value = serde_json::from_slice(doc)?;
        match &v {
            Value::Object(m) if m.contains_key("digestStartTime") && m.contains_key("digestEndTime") => {
                // ignore the strict-mode error here: a digest file is expected, not bad input
                let w = IoWarning { file: path.to_path_buf(), line: None, byte_offset: None, message: "CloudTrail digest file (no events): skipped".into() };
                self.stats.warn("CloudTrail digest file", w);
                Ok(Vec::new())
            }
            Value::Object(_) => Ok(vec![String::from_utf8_lossy(doc).trim().to_string()]),
            _ => {
                let w = IoWarning { file: path.to_path_buf(), line: None, byte_offset: None, message: "the document is not a JSON object or array".into() };
                self.stats.warn("not a JSON object", w);
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

    /// One non-empty NDJSON line: a record, or a whole `{"Records":[...]}` document.
    fn handle_line(&mut self, text: &[u8], path: &Path, line: u64, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let path = path.to_path_buf();
        if text.starts_with(b"{\"Records\"") {
            if !self.prefilter_ok(text) && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() {
                self.stats.prefiltered += 1;
                return Ok(());
            }
            return match self.split_document(text, &path) {
                Ok(recs) => {
                    for raw in recs {
                        self.add_raw(raw, &path, Some(line), mtime, source)?;
                    }
                    Ok(())
                }
                Err(e) => self.skip("malformed JSON", &path, Some(line), format!("malformed JSON: {e}")),
            };
        }
        if !self.prefilter_ok(text) {
            self.stats.prefiltered += 1;
            return Ok(());
        }
        match std::str::from_utf8(text) {
            Ok(t) => self.add_raw(t.to_string(), &path, Some(line), mtime, source),
            Err(_) => {
                // keep the record when it is still JSON with the bad bytes replaced (U+FFFD)
                let t = String::from_utf8_lossy(text).into_owned();
                match serde_json::from_str::<Value>(&t) {
                    Ok(v) => {
                        if self.stats.warnings.len() < MAX_WARNINGS {
                            self.stats.warnings.push(IoWarning { file: path.clone(), line: Some(line), byte_offset: None, message: "invalid UTF-8 replaced with U+FFFD (event kept)".into() });
                        }
                        self.add_record(v, Some(t), &path, Some(line), mtime, source)
                    }
                    Err(e) => self.skip("invalid UTF-8", &path, Some(line), format!("invalid UTF-8 and not JSON: {e}")),
                }
            }
        }
    }

    /// Add a CSV row or text line: its fields (if any), its raw text, and a default sourcetype.
    #[allow(clippy::too_many_arguments)]
    fn add_shaped(&mut self, v: Value, raw: String, sourcetype: &str, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let _ = (path, line);
        let st = self.opts.sourcetype.clone().unwrap_or_else(|| sourcetype.to_string());
        self.push_row(v, raw, st, mtime, source)
    }

    /// Prefilter, parse and add one record given as JSON text.
    fn add_raw(&mut self, raw: String, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        if !self.prefilter_ok(raw.as_bytes()) {
            self.stats.prefiltered += 1;
            return Ok(());
        }
        match serde_json::from_str::<Value>(&raw) {
            Ok(v) => self.add_record(v, Some(raw), path, line, mtime, source),
            Err(e) => self.skip("malformed JSON", path, line, format!("malformed JSON: {e}")),
        }
    }

    /// Add one parsed record (or several, for a `Records` object on an NDJSON line).
    fn add_record(&mut self, v: Value, raw: Option<String>, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let Value::Object(obj) = &v else {
            return self.skip("not a JSON object", path, line, "record is not a JSON object".into());
        };
        if obj.contains_key("digestStartTime") && obj.contains_key("digestEndTime") {
            let w = IoWarning { file: path.to_path_buf(), line, byte_offset: None, message: "CloudTrail digest file (no events): skipped".into() };
            self.stats.warn("CloudTrail digest file", w);
            return Ok(());
        }
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
        let raw = match raw {
            Some(r) => r,
            None => v.to_string(),
        };
        self.push_row(v, raw, st, mtime, source)
    }

    /// Add one event of a known sourcetype to the batch being built.
    fn push_row(&mut self, v: Value, raw: String, st: String, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        if !self.rows.fields.is_empty() && st != self.rows.sourcetype {
            self.flush()?;
        }
        let t = match event_time(&v, &st) {
            Some(t) => t,
            None => {
                self.stats.events_without_time += 1;
                mtime
            }
        };
        self.rows.sourcetype = st;
        let want_raw = match &self.opts.projection {
            Projection::All => true,
            Projection::Fields(f) => f.contains("_raw"),
        };
        self.rows.fields.push(flatten(&v, &self.opts.projection));
        self.rows.raw.push(if want_raw { raw } else { String::new() });
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
                if self.prefilter.is_some() {
                    // Block mode: search the terms over a whole block of lines and parse only
                    // the lines around a hit; other lines are never looked at one by one.
                    let mut block = Vec::with_capacity(BLOCK + 4096);
                    if let Err(e) = read_block(reader.as_mut(), BLOCK, &mut block) {
                        self.skip("unreadable file", &path, Some(line + 1), format!("{e} (truncated or corrupt compressed data?)"))?;
                        if block.is_empty() {
                            return Ok(true);
                        }
                    }
                    if block.is_empty() {
                        return Ok(true);
                    }
                    self.stats.bytes_read += block.len() as u64;
                    let total = memchr::memchr_iter(b'\n', &block).count() as u64 + u64::from(!block.ends_with(b"\n"));
                    let mut candidates = 0u64;
                    let (mut at, mut counted_to, mut line_no) = (0usize, 0usize, line);
                    while let Some(hit) = self.prefilter.as_ref().and_then(|p| p.next_candidate(&block, at)) {
                        let start = memchr::memrchr(b'\n', &block[..hit]).map(|i| i + 1).unwrap_or(0);
                        let end = memchr::memchr(b'\n', &block[hit..]).map(|i| hit + i).unwrap_or(block.len());
                        line_no += memchr::memchr_iter(b'\n', &block[counted_to..start]).count() as u64;
                        counted_to = start;
                        candidates += 1;
                        let text = trim_ascii(&block[start..end]);
                        if !text.is_empty() {
                            if self.prefilter_ok(text) {
                                self.handle_line(text, &path, line_no + 1, mtime, &source)?;
                            } else {
                                self.stats.prefiltered += 1;
                            }
                        }
                        at = end + 1;
                        if at >= block.len() {
                            break;
                        }
                    }
                    self.stats.prefiltered += total.saturating_sub(candidates);
                    line += total;
                    self.current = Some(FileRecords::Lines { reader, line, path, mtime, source });
                    return Ok(true);
                }
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
                            self.handle_line(text, &path, line, mtime, &source)?;
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
            FileRecords::Parquet { mut rows, path, mtime, source } => {
                match rows.next_rows() {
                    None => Ok(true),
                    Some(Err(e)) => {
                        self.skip("invalid Parquet", &path, None, e)?;
                        Ok(true)
                    }
                    Some(Ok(values)) => {
                        for v in values {
                            let raw = v.to_string();
                            if !self.prefilter_ok(raw.as_bytes()) {
                                self.stats.prefiltered += 1;
                                continue;
                            }
                            self.add_record(v, Some(raw), &path, None, mtime, &source)?;
                        }
                        self.current = Some(FileRecords::Parquet { rows, path, mtime, source });
                        Ok(true)
                    }
                }
            }
            FileRecords::Csv { mut reader, headers, delimiter, path, mtime, source } => {
                let mut rec = csv::StringRecord::new();
                for _ in 0..self.opts.batch_size.max(1) {
                    match reader.read_record(&mut rec) {
                        Ok(false) => return Ok(true),
                        Ok(true) => {
                            let line = rec.position().map(|p| p.line());
                            self.stats.bytes_read += rec.as_slice().len() as u64 + rec.len() as u64;
                            let raw = rec.iter().collect::<Vec<_>>().join(&(delimiter as char).to_string());
                            if !self.prefilter_ok(raw.as_bytes()) {
                                self.stats.prefiltered += 1;
                                continue;
                            }
                            let mut m = serde_json::Map::new();
                            for (h, v) in headers.iter().zip(rec.iter()) {
                                if !v.is_empty() {
                                    m.insert(h.clone(), Value::String(v.to_string()));
                                }
                            }
                            self.add_shaped(Value::Object(m), raw, "csv", &path, line, mtime, &source)?;
                        }
                        Err(e) => {
                            let line = e.position().map(|p| p.line());
                            self.skip("malformed CSV", &path, line, format!("malformed CSV: {e}"))?;
                            if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                                return Ok(true);
                            }
                        }
                    }
                }
                self.current = Some(FileRecords::Csv { reader, headers, delimiter, path, mtime, source });
                Ok(true)
            }
            FileRecords::Text { mut reader, mut line, path, mtime, source } => {
                let mut buf = Vec::new();
                for _ in 0..self.opts.batch_size.max(1) {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => return Ok(true),
                        Ok(k) => {
                            line += 1;
                            self.stats.bytes_read += k as u64;
                            let text = String::from_utf8_lossy(trim_ascii(&buf)).into_owned();
                            if text.is_empty() {
                                continue;
                            }
                            if !self.prefilter_ok(text.as_bytes()) {
                                self.stats.prefiltered += 1;
                                continue;
                            }
                            self.add_shaped(Value::Object(serde_json::Map::new()), text, "text", &path, Some(line), mtime, &source)?;
                        }
                        Err(e) => {
                            self.skip("unreadable file", &path, Some(line + 1), format!("{e} (truncated or corrupt compressed data?)"))?;
                            return Ok(true);
                        }
                    }
                }
                self.current = Some(FileRecords::Text { reader, line, path, mtime, source });
                Ok(true)
            }
            FileRecords::Docs { mut records, path, mtime, source } => {
                for _ in 0..self.opts.batch_size.max(1) {
                    let Some(raw) = records.next() else {
                        return Ok(true);
                    };
                    self.add_raw(raw, &path, None, mtime, &source)?;
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
