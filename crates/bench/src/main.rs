//! spelunk-bench: spelunk against DuckDB on the same generated CloudTrail, same run (issue 6).
//!
//! ```sh
//! cargo build --release -p spelunk -p spelunk-gen
//! cargo run --release -p spelunk-bench -- [--sizes 100MB,1GB] [--gzip] [--keep]
//! ```
//!
//! It builds nothing: it runs the release binaries `spelunk` and `spelunk-gen` found next to
//! its own executable (or `--bin-dir`). For each input size it generates CloudTrail with
//! `spelunk-gen` (plain NDJSON; with `--gzip` also the gzipped S3 layout of the same events, and
//! OCSF NDJSON for the ASL detection), creates a Python venv with the `duckdb` package on first
//! use, runs each query class (`--classes`: SPL with `spelunk run -e`) and each shipped detection
//! with spelunk (`--format json`) and its SQL translation (`crates/bench/sql`) with DuckDB, checks
//! that both return the same rows, and prints markdown tables of wall time, the DuckDB ÷ spelunk
//! ratio, peak RSS, events/s and MB/s. Mismatching rows make it exit 1.
//! See crates/bench/README.md.

mod bench;
mod classes;
mod measure;
mod rows;
mod sizes;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = bench::Args::parse();
    match bench::run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("spelunk-bench: error: {e}");
            ExitCode::from(2)
        }
    }
}
