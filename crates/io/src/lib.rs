//! spelunk-io: turn log files on disk into Arrow [`RecordBatch`]es of Splunk events.
//!
//! # The event batch convention (shared with spelunk-exec)
//! - One column per field, named as Splunk's JSON extraction names it: nested objects flatten
//!   to dotted names (`userIdentity.type`), arrays to `{}` names (`resources{}.ARN`).
//! - A field column is `Utf8` when every row of the batch has at most one value, and
//!   `List<Utf8>` when some row has several (a multivalue field). A row without the field is
//!   null. JSON numbers and booleans are kept as their JSON text (`5`, `1.5`, `true`).
//! - `_time` is `Float64` epoch seconds (sub-second kept); `_raw` (the record's JSON text),
//!   `source` (file path), `sourcetype` and `host` are `Utf8`.
//! - Every batch holds events of one sourcetype ([`EventBatch::sourcetype`]).
//!
//! Input shapes: CloudTrail `{"Records":[...]}`, JSON arrays of records, NDJSON, single
//! objects; gzip detected by its magic bytes. Schemas are never inferred: columns are built
//! from each record's values, so a field that is a string in one record and an object in
//! another (CloudTrail's `requestParameters`) cannot break a batch.

mod flatten;
mod parquet;
mod prefilter;
mod prune;
mod reader;
mod time;

pub use flatten::{flatten, Projection};
pub use reader::{list_files, plan_units, scan, scan_units, EventBatch, IoError, IoWarning, ScanOptions, ScanStats, Scanner, WorkUnit};
pub use prune::{path_time_bounds, prune_by_time};
pub use time::parse_time;

/// The sourcetype of a record, by its content: CloudTrail records have `eventVersion`,
/// `eventSource` and `eventName`; OCSF records have `class_uid` and `metadata`.
pub fn detect_sourcetype(record: &serde_json::Value) -> &'static str {
    let has = |k: &str| record.get(k).is_some();
    if has("eventVersion") && has("eventSource") && has("eventName") {
        "aws:cloudtrail"
    } else if has("class_uid") && has("metadata") {
        "aws:asl"
    } else {
        "_json"
    }
}
