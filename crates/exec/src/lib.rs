//! spelunk-exec: runs logical plans over Arrow record batches.
//!
//! - [`value`]: Splunk's dynamically typed values and comparison rules.
//! - [`columns`]: Arrow columns <-> values (the event batch convention of spelunk-io).
//! - [`eval`], [`functions`]: eval/where expressions; [`search`]: search-expression matching.
//! - [`props`]: search-time fields per sourcetype; [`ops`]: one operator per plan node;
//!   [`engine`]: the streaming driver.
//! - [`validate`]: the checks of a query that need no data (function names and arity, regex
//!   literals), for `spelunk check` and before a run reads data.

pub mod columns;
pub mod df;
pub mod engine;
pub mod eval;
pub mod functions;
pub mod ops;
pub mod props;
pub mod search;
pub mod time;
pub mod validate;
pub mod value;

pub use engine::{run, ExecOptions, Execution, RunError, Trace};
pub use ops::ExecError;
pub use value::Value;
