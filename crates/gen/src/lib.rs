//! spelunk-gen: a seeded, deterministic generator of realistic AWS CloudTrail
//! (in the S3 delivery layout, or NDJSON) and OCSF 1.1 API Activity (Amazon
//! Security Lake v2 shape) test data for spelunk's two shipped detections:
//! background traffic plus named AccessDenied scenarios with known outcomes.
//!
//! Same seed and options, same bytes: no wall clock, no hash-map iteration,
//! gzip with mtime 0, a self-contained RNG ([`rng::Rng`]), and per-chunk RNG
//! streams so the thread count does not matter.

pub mod generate;
pub mod json;
pub mod model;
pub mod params;
pub mod records;
pub mod rng;
pub mod scenarios;
pub mod time;
pub mod world;

pub use generate::{write_ndjson, write_s3, Format, Spec, Stats};
