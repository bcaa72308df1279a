//! Where each SPL field lives in the table a query runs over.
//!
//! - [`LayoutKind::CloudTrail`]: raw CloudTrail as AWS documents its Athena table
//!   (<https://docs.aws.amazon.com/athena/latest/ug/cloudtrail-logs.html>): `userIdentity` and
//!   `tlsDetails` structs, `requestParameters` / `responseElements` / `additionalEventData` /
//!   `serviceEventDetails` JSON text, `eventTime` text, `resources` an array of structs
//!   (`ARN`, `accountId`, `type`). Columns are named as the CloudTrail record's keys
//!   (`sourceIPAddress`); Athena matches names case-insensitively, Spark needs
//!   `spark.sql.caseSensitive=true` and these exact names. `_time` is `eventTime`.
//! - [`LayoutKind::Ocsf`]: Amazon Security Lake (OCSF 1.x) tables: nested structs addressed by
//!   their dotted paths (`api.response.error`, `actor.user.uid`), arrays of structs
//!   (`resources{}.uid`), `time` in epoch milliseconds (`_time` is `time / 1000`).
//! - [`LayoutKind::Ndjson`]: one text column per top-level key of NDJSON events (scalars as their
//!   text; keys holding objects, arrays or JSON null as JSON text: `name:json`), `_time` from a
//!   `_time` column (epoch seconds, milliseconds or ISO-8601).

use crate::gen::Ty;
use crate::{Dialect, SqlError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    CloudTrail,
    Ocsf,
    Ndjson,
}

impl std::str::FromStr for LayoutKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cloudtrail" => Ok(LayoutKind::CloudTrail),
            "ocsf" | "asl" | "securitylake" | "security-lake" => Ok(LayoutKind::Ocsf),
            "ndjson" | "json" => Ok(LayoutKind::Ndjson),
            other => Err(format!("unknown layout `{other}`: use cloudtrail, ocsf or ndjson")),
        }
    }
}

/// A column of the NDJSON layout.
#[derive(Debug, Clone, PartialEq)]
pub struct NdjsonColumn {
    pub name: String,
    /// The column holds JSON text (the key's values include objects, arrays or null).
    pub json: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub kind: LayoutKind,
    /// NDJSON layout: the table's columns (the query's fields are looked up among them; a
    /// query that lists whole events needs them all).
    pub columns: Vec<NdjsonColumn>,
    /// A column giving the events' input order (file, then line), used where spelunk's order
    /// depends on it: ties in `_time`, `top`'s ties, `dedup`/`head` before any sort. Without
    /// one, rows that tie are in no particular order.
    pub seq_column: Option<String>,
    /// The `_time` of events without one (spelunk gives them their file's modification time).
    pub missing_time: Option<f64>,
}

impl Layout {
    pub fn new(kind: LayoutKind) -> Layout {
        Layout { kind, columns: Vec::new(), seq_column: None, missing_time: None }
    }

    /// `a,b,c:json` (the `--columns` form).
    pub fn parse_columns(list: &str) -> Vec<NdjsonColumn> {
        list.split(',')
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .map(|c| match c.strip_suffix(":json") {
                Some(n) => NdjsonColumn { name: n.to_string(), json: true },
                None => NdjsonColumn { name: c.to_string(), json: false },
            })
            .collect()
    }

    /// The sourcetype of every event of the table (what `sourcetype=` searches and the props
    /// stanza applied).
    pub fn sourcetype(&self) -> &'static str {
        match self.kind {
            LayoutKind::CloudTrail => "aws:cloudtrail",
            LayoutKind::Ocsf => "aws:asl",
            LayoutKind::Ndjson => "_json",
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            LayoutKind::CloudTrail => "cloudtrail",
            LayoutKind::Ocsf => "ocsf",
            LayoutKind::Ndjson => "ndjson",
        }
    }

    /// `_time` (epoch seconds, DOUBLE) over the table.
    pub fn time(&self, d: &dyn Dialect) -> String {
        let t = match self.kind {
            LayoutKind::CloudTrail => Some(d.parse_iso_time(&d.ident("eventTime"))),
            LayoutKind::Ocsf => Some(format!("CAST({} AS DOUBLE) / 1000", d.ident("time"))),
            LayoutKind::Ndjson => self.columns.iter().find(|c| c.name == "_time").map(|c| {
                let col = if c.json { d.json_scalar(&d.ident("_time"), &[]) } else { d.ident("_time") };
                let n = d.to_number(&col);
                // 13-digit values are epoch milliseconds (spelunk's reader rule)
                format!("coalesce(CASE WHEN {n} > 1e11 THEN {n} / 1000 ELSE {n} END, {})", d.parse_iso_time(&col))
            }),
        };
        match (t, self.missing_time) {
            (Some(t), Some(m)) => format!("coalesce({t}, {})", crate::gen::num_lit(m)),
            (Some(t), None) => t,
            (None, Some(m)) => crate::gen::num_lit(m),
            (None, None) => "CAST(NULL AS DOUBLE)".into(),
        }
    }

    /// Every field the table can give, for queries that list whole events.
    pub fn all_fields(&self) -> Result<Vec<String>, String> {
        match self.kind {
            LayoutKind::Ndjson if self.columns.iter().any(|c| c.json) => Err("the query lists whole events, and JSON columns hold fields not known in advance: name the fields (table/fields)".into()),
            LayoutKind::Ndjson if !self.columns.is_empty() => Ok(self.columns.iter().filter(|c| !c.json && Some(&c.name) != self.seq_column.as_ref() && c.name != "_time").map(|c| c.name.clone()).collect()),
            LayoutKind::Ndjson => Err("the query lists whole events: give the table's columns (--columns)".into()),
            LayoutKind::CloudTrail => Ok(CLOUDTRAIL_SCALARS.iter().map(|s| s.to_string()).chain(CLOUDTRAIL_STRUCTS.iter().map(|s| s.to_string())).collect()),
            LayoutKind::Ocsf => Err("the query lists whole events, whose OCSF fields are not known in advance: name the fields (table/fields)".into()),
        }
    }

    /// The SQL (over the table) of an extracted field, with its type; `None` when the table
    /// cannot hold the field (it is absent from every event).
    pub fn field(&self, d: &dyn Dialect, name: &str) -> Result<Option<(String, Ty)>, SqlError> {
        let refuse = |why: &str| Err(SqlError { message: format!("field `{name}` in the {} layout: {why}", self.name()) });
        if name == "_raw" && self.columns.iter().any(|c| c.name == "_raw") {
            return Ok(Some((d.ident("_raw"), Ty::Text)));
        }
        if matches!(name, "_raw" | "source" | "host") {
            return refuse("spelunk takes it from the file the event was read from; a table has no such column");
        }
        let (path, arr_at) = match split_path(name) {
            Some(p) => p,
            None => return refuse("nested arrays (`{}{}`) and `{N}` steps are not supported"),
        };
        match self.kind {
            LayoutKind::Ndjson => {
                if let Some(col) = self.columns.iter().find(|c| c.name == name && !c.json) {
                    return Ok(Some((d.ident(&col.name), Ty::Text)));
                }
                let Some(col) = self.columns.iter().find(|c| c.name == path[0]) else {
                    // a key no event has
                    return Ok(None);
                };
                let c = d.ident(&col.name);
                if !col.json {
                    return Ok(if path.len() == 1 && arr_at.is_none() { Some((c, Ty::Text)) } else { None });
                }
                Ok(Some(json_field(d, &c, &path[1..], arr_at.map(|a| a - 1))))
            }
            LayoutKind::CloudTrail => {
                let top = path[0].as_str();
                if CLOUDTRAIL_JSON.contains(&top) {
                    if path.len() == 1 {
                        // an object gives no field of its own name
                        return Ok(None);
                    }
                    return Ok(Some(json_field(d, &d.ident(top), &path[1..], arr_at.map(|a| a - 1))));
                }
                if top == "resources" {
                    return Ok(match (arr_at, path.len()) {
                        (Some(1), 2) if ["ARN", "accountId", "type"].contains(&path[1].as_str()) => {
                            let body = format!("e.{}", d.ident(&path[1]));
                            Some((d.filter(&d.transform(&d.ident("resources"), "e", &body), "e", "e IS NOT NULL"), Ty::Mv))
                        }
                        _ => None,
                    });
                }
                if arr_at.is_some() {
                    return Ok(None);
                }
                if path.len() == 1 && CLOUDTRAIL_SCALARS.contains(&top) {
                    return Ok(Some((d.ident(top), Ty::Text)));
                }
                if CLOUDTRAIL_STRUCTS.contains(&name) {
                    return Ok(Some((path.iter().map(|p| d.ident(p)).collect::<Vec<_>>().join("."), Ty::Text)));
                }
                Ok(None)
            }
            LayoutKind::Ocsf => {
                let struct_path = |p: &[String]| p.iter().map(|s| d.ident(s)).collect::<Vec<_>>().join(".");
                let text = format!("CAST({{}} AS {})", d.text_type());
                match arr_at {
                    None => Ok(Some((text.replace("{}", &struct_path(&path)), Ty::Text))),
                    Some(a) => {
                        let arr = struct_path(&path[..a]);
                        let rest = &path[a..];
                        let body = if rest.is_empty() { text.replace("{}", "e") } else { text.replace("{}", &format!("e.{}", struct_path(rest))) };
                        Ok(Some((d.filter(&d.transform(&arr, "e", &body), "e", "e IS NOT NULL"), Ty::Mv)))
                    }
                }
            }
        }
    }
}

/// A field in JSON text `col`: `path` below it, an array step after `arr_at` components.
fn json_field(d: &dyn Dialect, col: &str, path: &[String], arr_at: Option<usize>) -> (String, Ty) {
    match arr_at {
        None => (d.json_scalar(col, path), Ty::Text),
        Some(a) => (d.json_array(col, &path[..a], &path[a..]), Ty::Mv),
    }
}

/// `a.b{}.c` -> (["a", "b", "c"], Some(2)): the path's steps and how many come before the one
/// array step. `None` for more than one array step or an indexed step.
fn split_path(name: &str) -> Option<(Vec<String>, Option<usize>)> {
    let mut parts = Vec::new();
    let mut arr_at = None;
    for seg in name.split('.') {
        let (base, arr) = match seg.strip_suffix("{}") {
            Some(b) => (b, true),
            None => (seg, false),
        };
        if base.contains('{') || base.contains('}') || base.is_empty() {
            return None;
        }
        parts.push(base.to_string());
        if arr {
            if arr_at.is_some() {
                return None;
            }
            arr_at = Some(parts.len());
        }
    }
    Some((parts, arr_at))
}

/// Top-level text columns of the CloudTrail table.
const CLOUDTRAIL_SCALARS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
    "sessionCredentialFromConsole",
];

/// Columns of the CloudTrail table holding JSON text.
const CLOUDTRAIL_JSON: &[&str] = &["requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"];

/// Leaves of the CloudTrail table's structs.
const CLOUDTRAIL_STRUCTS: &[&str] = &[
    "userIdentity.type",
    "userIdentity.principalId",
    "userIdentity.arn",
    "userIdentity.accountId",
    "userIdentity.invokedBy",
    "userIdentity.accessKeyId",
    "userIdentity.userName",
    "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.attributes.creationDate",
    "userIdentity.sessionContext.sessionIssuer.type",
    "userIdentity.sessionContext.sessionIssuer.principalId",
    "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.sessionIssuer.accountId",
    "userIdentity.sessionContext.sessionIssuer.userName",
    "userIdentity.sessionContext.ec2RoleDelivery",
    "userIdentity.sessionContext.sourceIdentity",
    "tlsDetails.tlsVersion",
    "tlsDetails.cipherSuite",
    "tlsDetails.clientProvidedHostHeader",
];
