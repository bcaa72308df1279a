use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use spelunk_gen::{time::parse_start, write_ndjson, write_s3, Format, Spec, Stats};

/// Seeded, deterministic CloudTrail and OCSF test data for spelunk.
///
/// The same seed and options always produce the same bytes.
#[derive(Parser)]
#[command(name = "spelunk-gen", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// CloudTrail as AWS delivers it to S3: DIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz
    Cloudtrail {
        /// Output folder (created as needed).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        common: Common,
        /// CloudTrail log files per account, region and hour (AWS: about 12).
        #[arg(long, default_value_t = 12)]
        files_per_hour: i64,
        /// Write one NDJSON file, DIR/cloudtrail.ndjson, instead of the S3 layout.
        #[arg(long)]
        ndjson: bool,
        /// Write .json instead of .json.gz in the S3 layout.
        #[arg(long)]
        no_gzip: bool,
        /// gzip level, 0-9.
        #[arg(long, default_value_t = 6)]
        gzip_level: u32,
    },
    /// OCSF 1.1 API Activity (class 6003) NDJSON, as Amazon Security Lake v2 records CloudTrail.
    Ocsf {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args)]
struct Common {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of background events (scenario events are added on top).
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// Start of the time range, RFC 3339.
    #[arg(long, default_value = "2024-03-04T00:00:00Z")]
    start: String,
    /// Length of the time range in hours.
    #[arg(long, default_value_t = 24)]
    hours: i64,
    /// Share of background calls failing with errorCode AccessDenied.
    #[arg(long, default_value_t = 0.02)]
    denied_rate: f64,
    /// Inject the named AccessDenied scenarios (see testdata/README.md).
    #[arg(long)]
    scenarios: bool,
    /// High-cardinality sourceIPAddress, for benchmarks: background calls of principals that
    /// call from IP addresses come, 9 times in 10, from one of N synthetic public addresses
    /// (uniform, seeded; at most 268435456). 0 (default): off, the principals' own addresses.
    #[arg(long, default_value_t = 0)]
    ip_pool: u64,
    /// Worker threads (the output does not depend on it). Default: all cores.
    #[arg(long)]
    threads: Option<usize>,
}

impl Common {
    fn spec(&self) -> Result<Spec, String> {
        let mut spec = Spec::new(self.seed, self.events);
        spec.start = parse_start(&self.start)?;
        spec.hours = self.hours;
        spec.rates.denied = self.denied_rate;
        spec.scenarios = self.scenarios;
        spec.ip_pool = self.ip_pool;
        if let Some(t) = self.threads {
            spec.threads = t.max(1);
        }
        Ok(spec)
    }
}

fn report(stats: &Stats, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let mb = stats.json_bytes as f64 / 1e6;
    eprintln!(
        "spelunk-gen: {} records ({} scenario) in {} file(s); {:.1} MB JSON, {:.1} MB on disk; {:.2}s, {:.0} MB/s JSON",
        stats.records,
        stats.scenario_records,
        stats.files,
        mb,
        stats.disk_bytes as f64 / 1e6,
        secs,
        mb / secs.max(1e-9)
    );
}

fn run(cli: Cli) -> Result<(), String> {
    let started = Instant::now();
    let stats = match cli.cmd {
        Cmd::Cloudtrail {
            out,
            common,
            files_per_hour,
            ndjson,
            no_gzip,
            gzip_level,
        } => {
            let mut spec = common.spec()?;
            spec.files_per_hour = files_per_hour;
            spec.gzip_level = gzip_level.min(9);
            spec.validate()?;
            let res = if ndjson {
                write_ndjson(&spec, Format::CloudTrail, &out.join("cloudtrail.ndjson"))
            } else {
                write_s3(&spec, &out, !no_gzip)
            };
            res.map_err(|e| format!("writing {}: {e}", out.display()))?
        }
        Cmd::Ocsf { out, common } => {
            let mut spec = common.spec()?;
            // One section per 5 minutes and stream, in time order.
            spec.files_per_hour = 12;
            spec.validate()?;
            write_ndjson(&spec, Format::Ocsf, &out)
                .map_err(|e| format!("writing {}: {e}", out.display()))?
        }
    };
    report(&stats, started);
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spelunk-gen: error: {e}");
            ExitCode::FAILURE
        }
    }
}
