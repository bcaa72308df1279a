//! spelunk-io: turn log files on disk into Arrow [`RecordBatch`]es of Splunk events.
//!
//! # The event batch convention (shared with spelunk-exec)
//! - One column per field, named as Splunk's JSON extraction names it: nested objects flatten
//!   to dotted names (`userIdentity.type`), arrays to `{}` names (`resources{}.ARN`,
//!   `userAgent{}`, nested arrays `a{}{}`). See [`flatten`] for values: JSON numbers and
//!   booleans are kept as their JSON text (`5`, `1.5`, `true`), JSON `null` is the text
//!   `null`, empty objects and arrays give no field.
//! - A field column is `Utf8` when every row of the batch has at most one value, and
//!   `List<Utf8>` (item field `item`, nullable) when some row has several (a multivalue
//!   field). A row without the field is null. The same field can be `Utf8` in one batch and
//!   `List<Utf8>` in the next: consumers take both.
//! - `_time` is `Float64` epoch seconds (sub-second kept); `_raw` (the record's JSON text: an
//!   NDJSON line as it is, a record out of a document in compact form, key order kept),
//!   `source` (file path as given or walked), `sourcetype` and `host` are `Utf8`.
//! - Columns: `_time`, `_raw`, `source`, `sourcetype`, `host` first, then fields in first-seen
//!   order. With [`Projection::Fields`], exactly the requested columns are built, and a
//!   requested field that no record of the batch has is *omitted* (not an all-null column).
//! - Every batch holds events of one sourcetype ([`EventBatch::sourcetype`]); a batch is
//!   flushed when the sourcetype changes or it reaches [`ScanOptions::batch_size`] rows.
//!
//! # Inputs
//! Files or folders (walked recursively, sorted by name; dot-files skipped). Compression by
//! content: gzip (multi-member) and zstd. Shapes by content: CloudTrail `{"Records":[...]}`
//! (streamed record by record), JSON arrays (streamed element by element), NDJSON, single or
//! concatenated (pretty-printed) objects, EventBridge/CloudTrail Lake `detail` wrappers,
//! Parquet (`PAR1`), CSV/TSV with a header (by name), anything else as text lines. A UTF-8
//! byte order mark is dropped. The shape is decided per record where a file mixes them: in a
//! text file each line that is a whole JSON object is a JSON record (a header line does not
//! turn a JSON file into text), and in a `.json`/`.jsonl`/`.ndjson`/`.ocsf` file each line that
//! is not JSON is counted and named (`line not JSON (read as text)`); an NDJSON file whose first
//! line is cut short or longer than the 1 MiB peek is still read line by line, so one broken
//! line costs only itself. Each file is read once, by canonical path, however many given paths
//! or links name it ([`ScanStats::files_duplicate`]).
//! CloudTrail digest files are skipped with a note. Sourcetype by record content
//! ([`detect_sourcetype`]) unless [`ScanOptions::sourcetype`] overrides it.
//!
//! Schemas are never inferred: columns are built from each record's values, so a field that is
//! a string in one record and an object in another (CloudTrail's `requestParameters`) cannot
//! break a batch; the two simply give different flattened names.
//!
//! # Bad input
//! Malformed records, truncated compressed data, invalid UTF-8 (replaced, event kept, noted),
//! records over 256 MiB, binary files, unreadable files: each is an [`IoWarning`] (file, line
//! and/or byte offset) and a count in [`ScanStats::skipped`] by reason; reading goes on. With
//! [`ScanOptions::strict`] the first one is an [`IoError::Strict`] instead. Nesting deeper than
//! [`MAX_DEPTH`] is kept as JSON text, not rejected.
//!
//! # Cost
//! Only projected fields are parsed and built: other members are skipped by the parser
//! without allocation (and Parquet columns not needed are not read). With
//! [`ScanOptions::raw_prefilter`], records lacking a required term are ruled out on their raw
//! bytes before parsing. Memory is one batch plus one file's decoding state (one record, one
//! NDJSON block, or one Parquet batch). Files can be scanned in parallel: see [`plan_units`]
//! and [`scan_units`].

mod flatten;
mod json;
mod parquet;
mod prefilter;
mod prune;
mod reader;
mod stream;
pub mod table;
mod time;

pub use flatten::{flatten, flatten_with, FieldSet, Projection, MAX_DEPTH};
pub use json::parse_projected;
pub use reader::{list_files, plan_units, scan, scan_units, EventBatch, IoError, IoWarning, ScanMonitor, ScanOptions, ScanStats, Scanner, WorkUnit};
pub use prefilter::Prefilter;
pub use prune::{path_time_bounds, prune_by_time};
pub use time::{event_time, parse_time, timestamp_in_text, MAX_TIMESTAMP_LOOKAHEAD};

/// The sourcetype of a record, by its content. CloudTrail records are recognised by the fields
/// AWS documents as always present ("CloudTrail record contents for management, data, and
/// network activity events": eventTime, eventVersion, eventSource, eventName, awsRegion, eventID
/// are not optional): `eventSource` and `eventName`, with `eventVersion`, or with `eventTime`
/// and `awsRegion` or `eventID` (exports that trim `eventVersion`). OCSF records have
/// `class_uid` and `metadata`.
pub fn detect_sourcetype(record: &serde_json::Value) -> &'static str {
    let has = |k: &str| record.get(k).is_some();
    if is_cloudtrail(record) {
        "aws:cloudtrail"
    } else if has("class_uid") && has("metadata") {
        "aws:asl"
    } else {
        "_json"
    }
}

/// Is this record a CloudTrail record (see [`detect_sourcetype`])?
pub fn is_cloudtrail(record: &serde_json::Value) -> bool {
    let has = |k: &str| record.get(k).is_some();
    has("eventSource") && has("eventName") && (has("eventVersion") || (has("eventTime") && (has("awsRegion") || has("eventID"))))
}

#[cfg(test)]
mod tests {
    use super::detect_sourcetype;
    use serde_json::json;

    #[test]
    fn sourcetype_by_content() {
        assert_eq!(detect_sourcetype(&json!({"eventVersion": "1.08", "eventSource": "s", "eventName": "n"})), "aws:cloudtrail");
        assert_eq!(detect_sourcetype(&json!({"eventVersion": "1.08", "eventName": "n"})), "_json");
        assert_eq!(detect_sourcetype(&json!({"eventTime": "t", "eventSource": "s", "eventName": "n", "awsRegion": "r"})), "aws:cloudtrail");
        assert_eq!(detect_sourcetype(&json!({"eventTime": "t", "eventSource": "s", "eventName": "n"})), "_json");
        assert_eq!(detect_sourcetype(&json!({"class_uid": 6003, "metadata": {}})), "aws:asl");
        assert_eq!(detect_sourcetype(&json!({"class_uid": 6003})), "_json");
        assert_eq!(detect_sourcetype(&json!([1])), "_json");
    }
}
