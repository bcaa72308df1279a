//! Walking paths, opening (gzip-aware) files, recognising their shape and streaming records
//! into event batches.

use crate::flatten::{FieldSet, Projection};
use crate::json::{needs_full_parse, parse_projected};
use crate::stream::{Item, JsonStream};
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// (ASCII case-insensitively); records that do not are skipped before they are parsed and
    /// counted in [`ScanStats::prefiltered`]. `vec![vec![a], vec![b]]` requires both `a` and
    /// `b` (see [`ScanOptions::require_all`]); an empty list filters nothing.
    pub raw_prefilter: Vec<Vec<String>>,
    /// Fail on the first skipped input instead of reporting it and going on.
    pub strict: bool,
    /// Progress counters to update and a cancellation flag to obey (shared by the scanners of
    /// a parallel scan).
    pub monitor: Option<Arc<ScanMonitor>>,
}

/// What a scan reports while it runs, and how to stop it. The counters are updated once per
/// read of the file (up to 1 MiB) and once per batch, never per record.
#[derive(Debug, Default)]
pub struct ScanMonitor {
    /// Bytes read from the files as they are on disk (compressed bytes for gzip and zstd, so
    /// the total to compare with is the files' sizes). A byte-range unit may read up to one
    /// buffer past its end: clamp when showing a fraction.
    pub bytes: AtomicU64,
    /// Events put into batches.
    pub events: AtomicU64,
    /// Set (from a signal handler or another thread) to stop: the scanner then yields
    /// [`IoError::Cancelled`] before its next step.
    pub cancelled: AtomicBool,
}

impl ScanMonitor {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// A file that adds the bytes read from it to a [`ScanMonitor`] (one add per read call; the
/// readers above it buffer 1 MiB).
struct Counted {
    inner: std::fs::File,
    monitor: Option<Arc<ScanMonitor>>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(m) = &self.monitor {
            m.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl std::io::Seek for Counted {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl ScanOptions {
    /// Require every one of `terms` in a record's raw text (one group per term).
    pub fn require_all<I: IntoIterator<Item = S>, S: Into<String>>(mut self, terms: I) -> Self {
        self.raw_prefilter.extend(terms.into_iter().map(|t| vec![t.into()]));
        self
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { projection: Projection::All, sourcetype: None, host: "localhost".into(), batch_size: 8192, raw_prefilter: Vec::new(), strict: false, monitor: None }
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
        }
        if let Some(b) = self.byte_offset {
            if self.line.is_none() {
                write!(f, ": byte {b}")?;
            }
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
    /// Files met in a folder and left alone because their extension says they are not logs
    /// ([`NOT_LOGS`]: notes, configuration, queries).
    pub files_not_logs: usize,
    /// Paths (from overlapping `--data` paths, links) naming a file already listed: each file
    /// is read once, by its canonical path.
    pub files_duplicate: usize,
}

/// Extensions of files that a folder of logs may hold beside the logs (a README, a
/// macros.conf, the queries) and that are never read as events when met in a folder; named
/// on the command line, a file is read whatever its name.
pub const NOT_LOGS: &[&str] = &["md", "markdown", "rst", "conf", "spl", "yml", "yaml", "toml", "py", "sh", "rs", "pdf", "png", "jpg", "jpeg", "gif", "html", "zip"];

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
        self.files_not_logs += other.files_not_logs;
        self.files_duplicate += other.files_duplicate;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_insert(0) += v;
        }
        let room = MAX_WARNINGS.saturating_sub(self.warnings.len());
        self.warnings.extend(other.warnings.into_iter().take(room));
    }

    /// One line for stderr: files, events, and what was skipped by reason.
    pub fn summary_line(&self) -> String {
        let mut s = format!("read {} file(s), {} event(s), {} byte(s)", thousands(self.files_read as u64), thousands(self.events_read), thousands(self.bytes_read));
        if self.files_not_logs > 0 {
            s.push_str(&format!("; {} file(s) in folders skipped as not logs (.md, .conf, .spl, .yml, ...)", self.files_not_logs));
        }
        if self.files_duplicate > 0 {
            s.push_str(&format!("; {} path(s) naming a file already listed (overlapping paths or links) read once", self.files_duplicate));
        }
        if self.files_pruned > 0 {
            s.push_str(&format!("; {} file(s) outside the time range not opened", self.files_pruned));
        }
        if self.prefiltered > 0 {
            s.push_str(&format!("; {} record(s) ruled out by raw-text prefilter", self.prefiltered));
        }
        let skipped: u64 = self.skipped.values().sum();
        if skipped > 0 {
            let reasons: Vec<String> = self.skipped.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            s.push_str(&format!("; skipped {} ({})", thousands(skipped), reasons.join(", ")));
        }
        if self.events_without_time > 0 {
            s.push_str(&format!("; {} event(s) without a parsable time got their file's modification time", self.events_without_time));
        }
        s
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let d = n.to_string();
    let head = match d.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    out.push_str(&d[..head.min(d.len())]);
    let mut i = head;
    while i < d.len() {
        out.push(',');
        out.push_str(&d[i..i + 3]);
        i += 3;
    }
    out
}

/// Why a scan stopped. Every variant names the file (and the line or byte when known).
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A path given on the command line does not exist or cannot be listed.
    #[error("{}: {message}", path.display())]
    Path { path: PathBuf, message: String },
    /// Strict mode: the first skipped input.
    #[error("{0} (--strict)")]
    Strict(IoWarning),
    /// Building a batch failed (a bug, reported rather than panicking).
    #[error("internal error building a batch: {0}")]
    Arrow(String),
    /// The scan was stopped through [`ScanMonitor::cancelled`].
    #[error("scan cancelled")]
    Cancelled,
}

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
                        let not_logs = e.path().extension().and_then(|x| x.to_str()).is_some_and(|x| NOT_LOGS.contains(&x.to_ascii_lowercase().as_str()));
                        if not_logs {
                            stats.files_not_logs += 1;
                        } else if !e.file_name().to_string_lossy().starts_with('.') {
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
    // each file once: the first path that names it (overlapping paths, symbolic links)
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| {
        let key = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        let first = seen.insert(key);
        if !first {
            stats.files_duplicate += 1;
        }
        first
    });
    Ok((files, stats))
}

/// The `index` every event reads as (Splunk's default index).
pub const DEFAULT_INDEX: &str = "main";

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
    // unreadable entries met while walking the folders: skips like any other
    if s.opts.strict {
        if let Some(w) = stats.warnings.first() {
            return Err(IoError::Strict(w.clone()));
        }
    }
    s.stats = stats;
    Ok(s)
}

/// Scan the given work units, in order.
pub fn scan_units(units: Vec<WorkUnit>, opts: ScanOptions) -> Scanner {
    // --strict validates every record, so it reads without the prefilter
    let prefilter = if opts.strict { None } else { crate::prefilter::Prefilter::new(&opts.raw_prefilter) };
    let mut paths: Vec<PathBuf> = Vec::new();
    for u in &units {
        if paths.last() != Some(&u.path) {
            paths.push(u.path.clone());
        }
    }
    let fields = FieldSet::new(&opts.projection);
    Scanner { files: units, paths, next_file: 0, current: None, rows: Rows::default(), ready: std::collections::VecDeque::new(), opts, fields, all_fields: FieldSet::new(&Projection::All), stats: ScanStats::default(), failed: false, prefilter }
}


/// Streams event batches from the files, one file open at a time. Memory: the batch being
/// built plus one file's decoding state (one record, or one Parquet row group).
pub struct Scanner {
    files: Vec<WorkUnit>,
    /// The files, in reading order.
    paths: Vec<PathBuf>,
    next_file: usize,
    current: Option<FileRecords>,
    rows: Rows,
    ready: std::collections::VecDeque<EventBatch>,
    opts: ScanOptions,
    /// The projection, compiled.
    fields: FieldSet,
    all_fields: FieldSet,
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
    /// The files this scanner reads, in order (folders walked, sorted by name).
    pub fn files(&self) -> &[PathBuf] {
        &self.paths
    }
}

/// Rows being collected for the next batch, column by column.
#[derive(Default)]
struct Rows {
    sourcetype: String,
    /// Rows so far.
    n: usize,
    /// Field columns in first-seen order.
    cols: IndexMap<String, Col>,
    raw: Vec<String>,
    time: Vec<f64>,
    source: Vec<Arc<str>>,
}

/// One field's values in a batch being built: the values' text back to back, where each ends,
/// and the row each belongs to (rows ascending; a row may repeat: a multivalue).
#[derive(Default)]
struct Col {
    data: String,
    ends: Vec<usize>,
    rows: Vec<u32>,
    multi: bool,
}

impl Col {
    fn push(&mut self, row: u32, v: &str) {
        if self.rows.last() == Some(&row) {
            self.multi = true;
        }
        self.data.push_str(v);
        self.ends.push(self.data.len());
        self.rows.push(row);
    }

    /// The column over `n` rows: `Utf8`, or `List<Utf8>` when some row has several values.
    fn finish(&self, n: usize) -> ArrayRef {
        let value = |k: usize| &self.data[if k == 0 { 0 } else { self.ends[k - 1] }..self.ends[k]];
        let mut k = 0;
        if self.multi {
            let mut b = ListBuilder::with_capacity(StringBuilder::with_capacity(self.ends.len(), self.data.len()), n);
            for r in 0..n as u32 {
                let start = k;
                while k < self.rows.len() && self.rows[k] == r {
                    b.values().append_value(value(k));
                    k += 1;
                }
                b.append(k > start);
            }
            Arc::new(b.finish())
        } else {
            let mut b = StringBuilder::with_capacity(n, self.data.len());
            for r in 0..n as u32 {
                if k < self.rows.len() && self.rows[k] == r {
                    b.append_value(value(k));
                    k += 1;
                } else {
                    b.append_null();
                }
            }
            Arc::new(b.finish())
        }
    }
}

enum FileRecords {
    Lines { reader: Box<dyn BufRead>, line: u64, path: PathBuf, mtime: f64, source: Arc<str> },
    /// JSON documents: arrays, `{"Records":[...]}`, pretty-printed or concatenated objects.
    Stream { stream: JsonStream<Box<dyn BufRead>>, seen: u64, path: PathBuf, mtime: f64, source: Arc<str> },
    Parquet { rows: crate::parquet::ParquetRows, path: PathBuf, mtime: f64, source: Arc<str> },
    /// CSV (or TSV) with a header row: one event per row, fields named by the header.
    Csv { reader: csv::Reader<Box<dyn BufRead>>, headers: Vec<String>, delimiter: u8, path: PathBuf, mtime: f64, source: Arc<str> },
    /// Text lines (the file does not start with JSON): each line that is a whole JSON object is
    /// a JSON record, any other line one event with `_raw` only (sourcetype `text`); in a file
    /// named as JSON (`json_named`) such a line is also counted and named.
    Text { reader: Box<dyn BufRead>, line: u64, path: PathBuf, mtime: f64, source: Arc<str>, json_named: bool },
}

/// Pipes (FIFOs, `/dev/stdin` fed by a pipe) opened by this process: a pipe's data can be
/// read once, so a second pass over it (several queries, a subsearch, `append`, when the
/// events were not kept in memory) is refused with a message rather than given an empty stream.
static PIPES_READ: std::sync::Mutex<Vec<(u64, u64)>> = std::sync::Mutex::new(Vec::new());

/// Open an input file. A FIFO is opened without waiting for a writer (a FIFO nobody writes to
/// would block `open` forever): with a writer, reads wait for its data; without one, the read
/// sees the end at once and the file is reported as having no writer.
fn open_input(path: &Path) -> std::io::Result<(std::fs::File, bool)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
        let meta = std::fs::metadata(path)?;
        if meta.file_type().is_fifo() {
            let key = (meta.dev(), meta.ino());
            {
                let mut seen = PIPES_READ.lock().unwrap_or_else(|e| e.into_inner());
                if seen.contains(&key) {
                    return Err(std::io::Error::other("a pipe can be read once and an earlier pass read it (the events did not stay in memory: raise SPELUNK_CACHE_MB, or save the data to a file)"));
                }
                seen.push(key);
            }
            let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
            // back to blocking reads, so that a connected writer is waited for
            use std::os::fd::AsRawFd;
            let fd = f.as_raw_fd();
            // SAFETY: fcntl on a descriptor this function owns, with plain integer flags.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
            if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            return Ok((f, true));
        }
    }
    Ok((std::fs::File::open(path)?, false))
}

fn open(path: &Path, monitor: Option<Arc<ScanMonitor>>) -> std::io::Result<Box<dyn BufRead>> {
    let (file, fifo) = open_input(path)?;
    let f = Counted { inner: file, monitor };
    let mut r = BufReader::with_capacity(1 << 20, f);
    if fifo {
        // a writer started beside spelunk may connect a moment later: wait up to 2 s for one
        let mut tries = 0;
        while r.fill_buf()?.is_empty() {
            tries += 1;
            if tries > 40 {
                return Err(std::io::Error::other("a pipe (FIFO) with no writer, or nothing written, after 2 s: nothing read"));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let magic = r.fill_buf()?.get(..2).map(|m| m.to_vec()).unwrap_or_default();
    let magic4 = r.fill_buf()?.get(..4).map(|m| m.to_vec()).unwrap_or_default();
    let mut out: Box<dyn BufRead> = if magic == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(r)))
    } else if magic4 == [0x28, 0xb5, 0x2f, 0xfd] {
        Box::new(BufReader::with_capacity(1 << 20, zstd::stream::read::Decoder::with_buffer(r)?))
    } else {
        Box::new(r)
    };
    // a UTF-8 byte order mark is not part of the first record (errors: met again by the reader)
    if out.fill_buf().map(|b| b.starts_with(b"\xEF\xBB\xBF")).unwrap_or(false) {
        out.consume(3);
    }
    Ok(out)
}

/// A reader over the lines of a plain file whose first byte lies in `start..end`.
fn open_range(path: &Path, start: u64, end: u64, monitor: Option<Arc<ScanMonitor>>) -> std::io::Result<Box<dyn BufRead>> {
    use std::io::{Seek, SeekFrom};
    let mut f = Counted { inner: std::fs::File::open(path)?, monitor };
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
    inner: BufReader<Counted>,
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

fn file_mtime(path: &Path) -> f64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Append one line (up to and including `\n`) to `out`, at most `cap` bytes of it; `None` at
/// the end, `Some(false)` when the line is longer than `cap`. On an error, what was read before
/// it stays in `out`.
fn read_line_capped(r: &mut dyn BufRead, out: &mut Vec<u8>, cap: usize) -> std::io::Result<Option<bool>> {
    let start = out.len();
    let mut any = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(true));
        }
        any = true;
        let (n, end) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = cap.saturating_sub(out.len() - start);
        let n = n.min(room);
        out.extend_from_slice(&buf[..n]);
        r.consume(n);
        if end && n > 0 && out.last() == Some(&b'\n') {
            return Ok(Some(true));
        }
        if out.len() - start >= cap {
            return Ok(Some(false));
        }
    }
}

/// Read one line into `out` (cleared first), keeping at most `cap` bytes: the rest of a longer
/// line is read and dropped. Returns the bytes consumed (0 at the end) and whether the line was
/// cut.
fn read_line_bounded(r: &mut dyn BufRead, out: &mut Vec<u8>, cap: usize) -> std::io::Result<(usize, bool)> {
    out.clear();
    let (mut consumed, mut cut) = (0usize, false);
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok((consumed, cut));
        }
        let (n, end) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = cap.saturating_sub(out.len());
        if n > room {
            cut = true;
        }
        out.extend_from_slice(&buf[..n.min(room)]);
        r.consume(n);
        consumed += n;
        if end {
            return Ok((consumed, cut));
        }
    }
}

/// The first bytes of a file peeked to choose its reader (bounded: a file that is one huge
/// line is not read whole to decide).
const PEEK_LINE_BYTES: usize = 1 << 20;

impl Scanner {
    fn open_next(&mut self) -> Result<bool, IoError> {
        while self.next_file < self.files.len() {
            let unit = self.files[self.next_file].clone();
            let path = unit.path.clone();
            self.next_file += 1;
            let mtime = file_mtime(&path);
            let source: Arc<str> = Arc::from(path.display().to_string());
            if let Some((start, end)) = unit.range {
                match open_range(&path, start, end, self.opts.monitor.clone()) {
                    Ok(reader) => {
                        self.stats.files_read += usize::from(start == 0);
                        self.current = Some(FileRecords::Lines { reader, line: 0, path, mtime, source });
                        return Ok(true);
                    }
                    Err(e) => {
                        self.skip("unreadable file", &path, None, e.to_string())?;
                        continue;
                    }
                }
            }
            let mut reader = match open(&path, self.opts.monitor.clone()) {
                Ok(r) => r,
                Err(e) => {
                    self.skip("unreadable file", &path, None, e.to_string())?;
                    continue;
                }
            };
            if reader.fill_buf().map(|b| b.starts_with(b"PAR1")).unwrap_or(false) {
                match crate::parquet::ParquetRows::open(&path, self.opts.batch_size, &self.fields) {
                    Ok(rows) => {
                        self.stats.files_read += 1;
                        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        self.stats.bytes_read += size;
                        if let Some(m) = &self.opts.monitor {
                            // Parquet is read by its own reader: counted whole when opened
                            m.bytes.fetch_add(size, Ordering::Relaxed);
                        }
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
            // The shape, from the first non-blank byte and line: `[` is a JSON document; `{` is
            // NDJSON when the first line is a whole object (or, when it is broken, the next
            // one is), else a document (pretty-printed, `{"Records":[...]}`, concatenated);
            // anything else is CSV/TSV (by name) or plain text.
            let first_byte = loop {
                match reader.fill_buf() {
                    Ok([]) => break None,
                    Ok(buf) => {
                        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
                        if n < buf.len() {
                            break Some(buf[n]);
                        }
                        let len = buf.len();
                        reader.consume(len);
                    }
                    Err(e) => {
                        self.skip("unreadable file", &path, None, format!("{e} (truncated or corrupt compressed data?)"))?;
                        break None;
                    }
                }
            };
            let Some(first_byte) = first_byte else { continue };
            if first_byte == b'[' {
                self.current = Some(FileRecords::Stream { stream: JsonStream::new(reader), seen: 0, path, mtime, source });
                return Ok(true);
            }
            if first_byte == b'{' {
                let mut consumed = Vec::new();
                let mut ndjson = false;
                let mut stream = false;
                // Decided on the first lines: a first line that is a whole object, or longer
                // than the peek (a one-line record; a one-line document is read as one line
                // too), is NDJSON, unless it opens a `{"Records":[...]}` document (streamed
                // record by record); a first line that is only `{` opens a pretty-printed
                // document; any other first line (cut mid-record, broken) is NDJSON when one of
                // the next lines is a whole object: the broken line is then named alone.
                for attempt in 0..4 {
                    let got = loop {
                        let start = consumed.len();
                        match read_line_capped(&mut reader, &mut consumed, PEEK_LINE_BYTES) {
                            Ok(Some(whole)) => {
                                let t = trim_ascii(&consumed[start..]);
                                if !whole {
                                    break Some((t.to_vec(), false));
                                }
                                if !t.is_empty() {
                                    break Some((t.to_vec(), true));
                                }
                            }
                            // the end, or an error the reader will meet (and report) again
                            Ok(None) | Err(_) => break None,
                        }
                    };
                    let Some((t, whole)) = got else { break };
                    if attempt == 0 && t.starts_with(b"{\"Records\"") {
                        stream = true;
                        break;
                    }
                    if !whole {
                        // longer than the peek: one long line (no pretty-printer writes one)
                        ndjson = true;
                        break;
                    }
                    if t.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(&t).is_ok() {
                        ndjson = true;
                        break;
                    }
                    if attempt == 0 && t == b"{" {
                        break;
                    }
                }
                let rest: Box<dyn BufRead> = Box::new(BufReader::new(std::io::Cursor::new(consumed).chain(reader)));
                if ndjson && !stream {
                    self.current = Some(FileRecords::Lines { reader: rest, line: 0, path, mtime, source });
                } else {
                    self.current = Some(FileRecords::Stream { stream: JsonStream::new(rest), seen: 0, path, mtime, source });
                }
                return Ok(true);
            }
            let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
            let ext = if ext == "gz" || ext == "zst" {
                path.file_stem().and_then(|s| Path::new(s).extension()).and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default()
            } else {
                ext
            };
            if ext == "csv" || ext == "tsv" {
                let delimiter = if ext == "tsv" { b'\t' } else { b',' };
                let mut csv_reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(reader);
                match csv_reader.headers() {
                    Ok(h) => {
                        let headers = h.iter().map(|x| x.trim().to_string()).collect();
                        self.current = Some(FileRecords::Csv { reader: csv_reader, headers, delimiter, path, mtime, source });
                    }
                    Err(e) => {
                        self.skip("malformed CSV", &path, Some(1), format!("malformed CSV header: {e}"))?;
                        continue;
                    }
                }
            } else {
                if reader.fill_buf().map(|b| b.iter().take(512).any(|c| *c == 0)).unwrap_or(false) {
                    self.skip("not a text file", &path, None, "binary content (NUL bytes), not JSON, CSV or text: skipped".into())?;
                    continue;
                }
                let json_named = matches!(ext.as_str(), "json" | "jsonl" | "ndjson" | "ocsf");
                self.current = Some(FileRecords::Text { reader, line: 0, path, mtime, source, json_named });
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

    fn skip(&mut self, reason: &str, path: &Path, line: Option<u64>, message: String) -> Result<(), IoError> {
        self.skip_at(reason, path, line, None, message)
    }

    /// Report a skipped input (or fail, in strict mode).
    fn skip_at(&mut self, reason: &str, path: &Path, line: Option<u64>, byte_offset: Option<u64>, message: String) -> Result<(), IoError> {
        let w = IoWarning { file: path.to_path_buf(), line, byte_offset, message };
        if self.opts.strict {
            self.failed = true;
            return Err(IoError::Strict(w));
        }
        self.stats.warn(reason, w);
        Ok(())
    }

    /// A note that is not a skip (strict mode does not fail on it).
    fn note(&mut self, path: &Path, line: Option<u64>, message: &str) {
        if self.stats.warnings.len() < MAX_WARNINGS {
            self.stats.warnings.push(IoWarning { file: path.to_path_buf(), line, byte_offset: None, message: message.into() });
        }
    }

    /// One non-empty NDJSON line: a record, or a whole `{"Records":[...]}` document.
    fn handle_line(&mut self, text: &[u8], path: &Path, line: u64, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        if text.starts_with(b"{\"Records\"") {
            // no record of the document can match: skip it unsplit, but still check it is JSON
            if !self.prefilter_ok(text) && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() {
                self.stats.prefiltered += 1;
                return Ok(());
            }
            for item in JsonStream::new(text) {
                match item {
                    Item::Record { text, .. } => self.add_bytes(text, true, path, line, None, mtime, source)?,
                    Item::Bad { message, .. } => self.skip("malformed JSON", path, Some(line), message)?,
                }
            }
            return Ok(());
        }
        // a record ruled out is still checked to be JSON, so bad input is named
        if !self.prefilter_ok(text) && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() {
            self.stats.prefiltered += 1;
            return Ok(());
        }
        self.add_bytes(text.to_vec(), false, path, line, None, mtime, source)
    }

    /// Add a CSV row or text line: its fields (if any), its raw text, and a default sourcetype.
    #[allow(clippy::too_many_arguments)]
    fn add_shaped(&mut self, v: Value, raw: String, sourcetype: &str, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let _ = (path, line);
        let st = self.opts.sourcetype.clone().unwrap_or_else(|| sourcetype.to_string());
        self.push_row(v, raw, st, mtime, source)
    }

    /// Prefilter, parse (only what the projection needs) and add one record given as JSON text;
    /// `compact_raw`: the record came out of a document, and `_raw` is its one-line form.
    #[allow(clippy::too_many_arguments)]
    fn add_raw(&mut self, raw: String, compact_raw: bool, path: &Path, line: Option<u64>, offset: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        // a record ruled out by the prefilter is still checked to be JSON, so bad input is named
        if !self.prefilter_ok(raw.as_bytes()) && serde_json::from_str::<serde::de::IgnoredAny>(&raw).is_ok() {
            self.stats.prefiltered += 1;
            return Ok(());
        }
        let parsed = match parse_projected(&raw, &self.fields) {
            // a `Records` document or a `detail` wrapper: its fields live elsewhere, parse it all
            Ok(v) if !self.fields.is_all() && needs_full_parse(&v) => parse_projected(&raw, &self.all_fields),
            other => other,
        };
        match parsed {
            Ok(v) => {
                let raw = match compact_raw.then(|| crate::stream::compact(&raw)).flatten() {
                    Some(c) => c,
                    None => raw,
                };
                self.add_record(v, Some(raw), path, line, mtime, source)
            }
            Err(e) => {
                // serde_json counts lines and columns within the record: make them the file's
                let (el, ec) = (e.line() as u64, e.column());
                let line = line.map(|l| l + el.saturating_sub(1));
                let at = if el > 1 { format!("column {ec}") } else { format!("character {ec} of the record") };
                let what = format!("{e}");
                let what = what.split(" at line ").next().unwrap_or(&what).to_string();
                self.skip_at("malformed JSON", path, line, offset, format!("malformed JSON: {what} ({at})"))
            }
        }
    }

    /// Add one record's text from the JSON stream (lossy UTF-8 with a note when it must be).
    #[allow(clippy::too_many_arguments)]
    fn add_bytes(&mut self, text: Vec<u8>, compact_raw: bool, path: &Path, line: u64, offset: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let raw = match String::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                self.note(path, Some(line), "invalid UTF-8 replaced with U+FFFD (event kept)");
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        self.add_raw(raw, compact_raw, path, Some(line), offset, mtime, source)
    }

    /// Add one parsed record (or several, for a `Records` object on an NDJSON line).
    fn add_record(&mut self, v: Value, raw: Option<String>, path: &Path, line: Option<u64>, mtime: f64, source: &Arc<str>) -> Result<(), IoError> {
        let Value::Object(obj) = &v else {
            return self.skip("not a JSON object", path, line, format!("record is not a JSON object: {}", preview(&v.to_string())));
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
            Some(d @ Value::Object(_)) if crate::is_cloudtrail(d) && !crate::is_cloudtrail(&v) => d.clone(),
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
        if self.rows.n > 0 && st != self.rows.sourcetype {
            self.flush()?;
        }
        let t = match event_time(&v, &st).or_else(|| crate::time::timestamp_in_text(&raw)) {
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
        let row = self.rows.n as u32;
        let cols = &mut self.rows.cols;
        crate::flatten::flatten_each(&v, &self.fields, &mut |name, val| match cols.get_mut(name) {
            Some(c) => c.push(row, val),
            None => {
                let mut c = Col::default();
                c.push(row, val);
                cols.insert(name.to_string(), c);
            }
        });
        self.rows.n += 1;
        self.rows.raw.push(if want_raw { raw } else { String::new() });
        self.rows.time.push(t);
        self.rows.source.push(source.clone());
        self.stats.events_read += 1;
        if self.rows.n >= self.opts.batch_size.max(1) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        if self.rows.n == 0 {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let n = rows.n;
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
        // `index`: files on disk belong to no index; they read as Splunk's default one, so that
        // `index=*` and `index=main` match them
        let consts = [("source", None), ("sourcetype", Some(rows.sourcetype.as_str())), ("host", Some(self.opts.host.as_str())), ("index", Some(DEFAULT_INDEX))];
        for (name, val) in consts {
            if wants(name) {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                for i in 0..n {
                    b.append_value(val.unwrap_or(&rows.source[i]));
                }
                cols.push((name.into(), Arc::new(b.finish())));
            }
        }
        for (name, col) in &rows.cols {
            if matches!(name.as_str(), "_time" | "_raw" | "source" | "sourcetype" | "host" | "index") {
                continue;
            }
            cols.push((name.clone(), col.finish(n)));
        }
        let fields: Vec<Field> = cols.iter().map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect();
        let arrays: Vec<ArrayRef> = cols.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &RecordBatchOptions::new().with_row_count(Some(n)))
            .map_err(|e| IoError::Arrow(e.to_string()))?;
        if let Some(m) = &self.opts.monitor {
            m.events.fetch_add(n as u64, Ordering::Relaxed);
        }
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
                    // the lines around a hit; other lines get only a look at their ends (`looks_whole`).
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
                    let (mut at, mut line_no) = (0usize, line);
                    loop {
                        let hit = self.prefilter.as_ref().and_then(|p| p.next_candidate(&block, at));
                        let start = match hit {
                            Some(hit) => memchr::memrchr(b'\n', &block[..hit]).map(|i| i + 1).unwrap_or(0).max(at),
                            None => block.len(),
                        };
                        // the lines no term is in: ruled out, unless they are not even whole
                        // objects (then the full path names them as malformed)
                        let mut i = at;
                        while i < start {
                            let e = memchr::memchr(b'\n', &block[i..start]).map(|k| i + k).unwrap_or(start);
                            line_no += 1;
                            let text = trim_ascii(&block[i..e]);
                            if !text.is_empty() {
                                if looks_whole(text) {
                                    self.stats.prefiltered += 1;
                                } else {
                                    self.handle_line(text, &path, line_no, mtime, &source)?;
                                }
                            }
                            i = e + 1;
                        }
                        let Some(hit) = hit else { break };
                        let end = memchr::memchr(b'\n', &block[hit..]).map(|i| hit + i).unwrap_or(block.len());
                        line_no += 1;
                        let text = trim_ascii(&block[start..end]);
                        if !text.is_empty() {
                            self.handle_line(text, &path, line_no, mtime, &source)?;
                        }
                        at = end + 1;
                        if at >= block.len() {
                            break;
                        }
                    }
                    line += total;
                    self.current = Some(FileRecords::Lines { reader, line, path, mtime, source });
                    return Ok(true);
                }
                let mut buf = Vec::new();
                // read up to one batch worth of lines, then yield control
                for _ in 0..self.opts.batch_size.max(1) {
                    buf.clear();
                    // (`read_until`: a byte-range reader finishes the line that crosses its end)
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => {
                            return Ok(true);
                        }
                        Ok(k) => {
                            line += 1;
                            self.stats.bytes_read += k as u64;
                            if k > crate::stream::MAX_RECORD_BYTES {
                                self.skip("record too large", &path, Some(line), format!("line of {k} bytes is larger than {} MiB: skipped", crate::stream::MAX_RECORD_BYTES >> 20))?;
                                continue;
                            }
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
                            self.add_shaped(Value::Object(m), raw, if delimiter == b'\t' { "tsv" } else { "csv" }, &path, line, mtime, &source)?;
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
            FileRecords::Text { mut reader, mut line, path, mtime, source, json_named } => {
                let mut buf = Vec::new();
                for _ in 0..self.opts.batch_size.max(1) {
                    match read_line_bounded(reader.as_mut(), &mut buf, crate::stream::MAX_RECORD_BYTES) {
                        Ok((0, _)) => return Ok(true),
                        Ok((k, cut)) => {
                            line += 1;
                            self.stats.bytes_read += k as u64;
                            if cut {
                                // as Splunk's TRUNCATE does: the event keeps the line's start
                                self.note(&path, Some(line), "line longer than 256 MiB: truncated");
                            }
                            let t = trim_ascii(&buf);
                            if t.is_empty() {
                                continue;
                            }
                            // the shape per record: a whole JSON object is a JSON record
                            if !cut && t.starts_with(b"{") && t.ends_with(b"}") && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok() {
                                let t = t.to_vec();
                                self.add_bytes(t, false, &path, line, None, mtime, &source)?;
                                continue;
                            }
                            let text = String::from_utf8_lossy(t).into_owned();
                            if json_named {
                                let what = preview(&text);
                                self.skip("line not JSON (read as text)", &path, Some(line), format!("not JSON in a JSON file: {what}: read as a text event"))?;
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
                self.current = Some(FileRecords::Text { reader, line, path, mtime, source, json_named });
                Ok(true)
            }
            FileRecords::Stream { mut stream, mut seen, path, mtime, source } => {
                for _ in 0..self.opts.batch_size.max(1) {
                    let item = stream.next();
                    self.stats.bytes_read += stream.offset() - seen;
                    seen = stream.offset();
                    match item {
                        None => return Ok(true),
                        Some(Item::Record { text, line, offset }) => self.add_bytes(text, true, &path, line, Some(offset), mtime, &source)?,
                        Some(Item::Bad { line, offset, message, fatal }) => {
                            let reason = if message.starts_with("truncated") {
                                "truncated JSON"
                            } else if message.starts_with("record larger") {
                                "record too large"
                            } else if message.contains("compressed") {
                                "unreadable file"
                            } else {
                                "malformed JSON"
                            };
                            self.skip_at(reason, &path, Some(line), Some(offset), message)?;
                            if fatal {
                                return Ok(true);
                            }
                        }
                    }
                }
                self.current = Some(FileRecords::Stream { stream, seen, path, mtime, source });
                Ok(true)
            }
        }
    }
}

/// The start of a text, for messages.
fn preview(t: &str) -> String {
    let mut end = t.len().min(60);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    if end < t.len() {
        format!("{}...", &t[..end])
    } else {
        t.to_string()
    }
}

/// Could this NDJSON line be one whole JSON object? A cheap check for lines no prefilter term
/// is in: a line cut short, a header or a stray text line fails it and goes to the full parse,
/// which names it; a line that passes is ruled out unparsed (`--strict` reads without the
/// prefilter and validates every line).
fn looks_whole(t: &[u8]) -> bool {
    t.len() >= 2 && t[0] == b'{' && t[t.len() - 1] == b'}'
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
            if !self.failed && self.opts.monitor.as_ref().is_some_and(|m| m.is_cancelled()) {
                self.failed = true;
                self.ready.clear();
                return Some(Err(IoError::Cancelled));
            }
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

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        for (n, s) in [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (1234567, "1,234,567"), (100000, "100,000")] {
            assert_eq!(super::thousands(n), s);
        }
    }
}

#[cfg(test)]
mod monitor_tests {
    use super::*;

    fn ndjson(dir: &Path, name: &str, n: usize) -> PathBuf {
        let p = dir.join(name);
        let lines: Vec<String> = (0..n).map(|i| format!("{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"i\":{i}}}")).collect();
        std::fs::write(&p, lines.join("\n") + "\n").expect("write");
        p
    }

    #[test]
    fn counts_file_bytes_and_events_per_batch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = ndjson(dir.path(), "a.json", 50);
        let b = ndjson(dir.path(), "b.json", 7);
        let size = std::fs::metadata(&a).expect("a").len() + std::fs::metadata(&b).expect("b").len();
        let monitor = Arc::new(ScanMonitor::default());
        let opts = ScanOptions { batch_size: 10, monitor: Some(monitor.clone()), ..ScanOptions::default() };
        let s = scan(&[dir.path().to_path_buf()], opts).expect("scan");
        let rows: usize = s.map(|b| b.expect("batch").batch.num_rows()).sum();
        assert_eq!(rows, 57);
        assert_eq!(monitor.events.load(Ordering::Relaxed), 57);
        assert_eq!(monitor.bytes.load(Ordering::Relaxed), size);
    }

    #[test]
    fn a_cancelled_scan_stops_with_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        ndjson(dir.path(), "a.json", 100);
        let monitor = Arc::new(ScanMonitor::default());
        let opts = ScanOptions { batch_size: 10, monitor: Some(monitor.clone()), ..ScanOptions::default() };
        let mut s = scan(&[dir.path().to_path_buf()], opts).expect("scan");
        assert!(matches!(s.next(), Some(Ok(_))));
        monitor.cancel();
        assert!(matches!(s.next(), Some(Err(IoError::Cancelled))));
        assert!(s.next().is_none());
    }
}

#[cfg(test)]
mod line_tests {
    use super::read_line_bounded;

    #[test]
    fn long_lines_are_cut_and_the_rest_dropped() {
        let text = b"short\n0123456789abcdef\nnext\nlast";
        let mut r = std::io::BufReader::with_capacity(3, &text[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            let (n, cut) = read_line_bounded(&mut r, &mut buf, 8).expect("read");
            if n == 0 {
                break;
            }
            got.push((String::from_utf8(buf.clone()).expect("utf8"), n, cut));
        }
        assert_eq!(got, [("short\n".into(), 6, false), ("01234567".into(), 17, true), ("next\n".into(), 5, false), ("last".into(), 4, false)]);
    }
}
