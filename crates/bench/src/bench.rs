//! The benchmark run: data sets, engines, checks, table.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};

use crate::classes::{self, Class};
use crate::measure::{self, Measured};
use crate::rows;
use crate::sizes;

/// spelunk against DuckDB on the same generated CloudTrail, in one run (issues 6 and 13):
/// query classes and the shipped detections, rows checked against each other.
///
/// Needs the release binaries: `cargo build --release -p spelunk -p spelunk-gen`.
#[derive(Parser, Debug)]
#[command(name = "spelunk-bench", version)]
pub struct Args {
    /// Input sizes (uncompressed JSON bytes), comma-separated: 100MB, 1GB, 2.5GB, 512MiB.
    #[arg(long, default_value = "100MB,1GB")]
    pub sizes: String,
    /// Also run the CloudTrail detection over the gzipped S3 layout (same events) and time
    /// `gzip -dc` over the same files.
    #[arg(long)]
    pub gzip: bool,
    /// Keep the generated data (and reuse it on the next run with the same options).
    #[arg(long)]
    pub keep: bool,
    /// Query classes to run, comma-separated, or `all`: count, count_by, iam_filter, bin, dc,
    /// high_card, rex, selective (SPL over CloudTrail NDJSON) and detection (the shipped
    /// detections of --detections).
    #[arg(long, default_value = "all")]
    pub classes: String,
    /// Detections the `detection` class runs: `cloudtrail` (over CloudTrail), `asl` (over OCSF NDJSON), or both.
    #[arg(long, default_value = "cloudtrail,asl")]
    pub detections: String,
    /// Timed runs per engine and input; the median (by wall time) is reported.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 6)]
    pub seed: u64,
    /// Share of background calls failing with AccessDenied (issue 6: a realistic 1-3 %).
    #[arg(long, default_value_t = 0.02)]
    pub denied_rate: f64,
    /// Hours of activity the generated events span.
    #[arg(long, default_value_t = 24)]
    pub hours: i64,
    /// spelunk-gen --ip-pool: background calls come, 9 in 10, from one of this many addresses
    /// (high-cardinality sourceIPAddress for the high_card class; 0: the principals' own few).
    #[arg(long, default_value_t = 1 << 28)]
    pub ip_pool: u64,
    /// Scratch folder for generated data and results [default: <target>/bench-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Python venv holding the duckdb package, created on first use [default: <target>/bench-venv].
    #[arg(long)]
    pub venv: Option<PathBuf>,
    /// Folder holding the `spelunk` and `spelunk-gen` release binaries [default: this executable's folder].
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Python used to create the venv.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Threads of both engines: `spelunk run --threads N`, DuckDB `SET threads = N`.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// DuckDB threads, when they should differ from --threads.
    #[arg(long)]
    pub duckdb_threads: Option<usize>,
}

/// crates/bench, where sql/ and py/ live.
fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Detection {
    CloudTrail,
    Asl,
}

impl Detection {
    fn query(self) -> &'static str {
        match self {
            Detection::CloudTrail => "aws_iam_accessdenied_discovery_events",
            Detection::Asl => "asl_aws_iam_accessdenied_discovery_events",
        }
    }
    fn short(self) -> &'static str {
        match self {
            Detection::CloudTrail => "cloudtrail",
            Detection::Asl => "asl",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// CloudTrail, one record a line, plain.
    Ndjson,
    /// CloudTrail S3 delivery layout, {"Records":[...]} per file, gzipped.
    S3Gzip,
    /// OCSF API Activity NDJSON.
    Ocsf,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Ndjson => "NDJSON",
            Layout::S3Gzip => "S3 .json.gz",
            Layout::Ocsf => "OCSF NDJSON",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Layout::Ndjson => "ct-ndjson",
            Layout::S3Gzip => "ct-s3gz",
            Layout::Ocsf => "ocsf",
        }
    }
}

/// A generated input.
#[derive(Clone, Debug)]
struct Dataset {
    layout: Layout,
    label: String,
    /// What `spelunk --data` gets: the NDJSON file or the S3 folder.
    path: PathBuf,
    /// What DuckDB reads: the file or a glob.
    duckdb_path: String,
    /// The folder to delete afterwards.
    root: PathBuf,
    records: u64,
    json_bytes: u64,
    disk_bytes: u64,
}

/// What one case runs: a query class, or the detection class with one detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    class: Class,
    /// Set for the detection class.
    det: Option<Detection>,
}

impl Job {
    fn plain(class: Class) -> Self {
        Job { class, det: None }
    }
    fn detection(det: Detection) -> Self {
        Job { class: Class::Detection, det: Some(det) }
    }
    /// How the table names it.
    fn label(self) -> String {
        match self.det {
            Some(Detection::Asl) => "detection (asl)".into(),
            Some(Detection::CloudTrail) => "detection (cloudtrail)".into(),
            None => self.class.name().into(),
        }
    }
    /// File-name tag.
    fn tag(self) -> String {
        match self.det {
            Some(d) => d.short().into(),
            None => self.class.name().into(),
        }
    }
    /// The query as the table shows it.
    fn query_text(self) -> String {
        match (self.det, self.class.spl()) {
            (Some(d), _) => format!("queries/{}.spl", d.query()),
            (None, Some(spl)) => spl.into(),
            (None, None) => String::new(),
        }
    }
}

/// One line of the table.
#[derive(Clone, Debug)]
struct Line {
    job: Job,
    input: String,
    events: u64,
    json_bytes: u64,
    disk_bytes: u64,
    engine: String,
    m: Measured,
    /// DuckDB: seconds inside the helper (connect, read, query), without Python start-up.
    inner_secs: Option<f64>,
    rows: Option<usize>,
    /// spelunk lines: DuckDB wall / this wall (throughput ratio).
    ratio: Option<f64>,
}

struct Ctx {
    args: Args,
    spelunk: PathBuf,
    gen: PathBuf,
    venv_python: PathBuf,
    data_dir: PathBuf,
    results_dir: PathBuf,
    spelunk_threads_flag: bool,
    /// (layout tag) -> (bytes per record, scenario records), measured once.
    calibration: Vec<(Layout, f64, u64)>,
}

fn log(msg: impl AsRef<str>) {
    eprintln!("spelunk-bench: {}", msg.as_ref());
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub fn run(args: Args) -> Result<bool, String> {
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    if args.threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    let sizes = sizes::parse_sizes(&args.sizes)?;
    let classes = classes::parse_classes(&args.classes)?;
    let mut detections = Vec::new();
    for d in args.detections.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        detections.push(match d {
            "cloudtrail" | "ct" => Detection::CloudTrail,
            "asl" | "ocsf" => Detection::Asl,
            other => return Err(format!("--detections: unknown detection {other:?} (cloudtrail, asl)")),
        });
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| exe.parent().unwrap_or(Path::new(".")).to_path_buf());
    let target_dir = bin_dir.parent().unwrap_or(Path::new(".")).to_path_buf();
    let spelunk = bin_dir.join("spelunk");
    let gen = bin_dir.join("spelunk-gen");
    for (b, pkg) in [(&spelunk, "spelunk"), (&gen, "spelunk-gen")] {
        if !b.is_file() {
            return Err(format!(
                "{} not found: build the release binaries first with `cargo build --release -p {pkg}` \
                 (or `cargo build --release -p spelunk -p spelunk-gen`), or pass --bin-dir",
                b.display()
            ));
        }
    }
    let data_dir = args.data_dir.clone().unwrap_or_else(|| target_dir.join("bench-data"));
    let venv = args.venv.clone().unwrap_or_else(|| target_dir.join("bench-venv"));
    let results_dir = data_dir.join("results");
    fs::create_dir_all(&results_dir).map_err(|e| format!("{}: {e}", results_dir.display()))?;

    let help = Command::new(&spelunk)
        .args(["run", "--help"])
        .output()
        .map_err(|e| format!("{}: {e}", spelunk.display()))?;
    let spelunk_threads_flag = String::from_utf8_lossy(&help.stdout).contains("--threads");
    let venv_python = ensure_duckdb(&args.python, &venv)?;

    let mut cx = Ctx {
        args,
        spelunk,
        gen,
        venv_python,
        data_dir,
        results_dir,
        spelunk_threads_flag,
        calibration: Vec::new(),
    };
    let machine = machine_info(&cx)?;
    log(format!("machine: {}", machine["summary"].as_str().unwrap_or("")));

    let mut lines: Vec<Line> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    let mut gzip_notes: Vec<(String, f64, f64)> = Vec::new();
    let plain: Vec<Class> = classes.iter().copied().filter(|&c| c != Class::Detection).collect();
    let with_det = classes.contains(&Class::Detection);
    let ct_det = with_det && detections.contains(&Detection::CloudTrail);
    let asl_det = with_det && detections.contains(&Detection::Asl);
    for &size in &sizes {
        // CloudTrail NDJSON: every query class, then the CloudTrail detection.
        let mut inputs: Vec<(Layout, Vec<Job>)> = Vec::new();
        let mut nd_jobs: Vec<Job> = plain.iter().map(|&c| Job::plain(c)).collect();
        if ct_det {
            nd_jobs.push(Job::detection(Detection::CloudTrail));
        }
        if !nd_jobs.is_empty() {
            inputs.push((Layout::Ndjson, nd_jobs));
        }
        if ct_det && cx.args.gzip {
            inputs.push((Layout::S3Gzip, vec![Job::detection(Detection::CloudTrail)]));
        }
        if asl_det {
            inputs.push((Layout::Ocsf, vec![Job::detection(Detection::Asl)]));
        }
        for (layout, jobs) in inputs {
            let ds = dataset(&mut cx, layout, size)?;
            for job in jobs {
                let (case_lines, problems) = run_case(&cx, job, &ds)?;
                lines.extend(case_lines);
                mismatches.extend(problems);
            }
            if layout == Layout::S3Gzip {
                let g = time_gzip(&cx, &ds)?;
                let job = Job::detection(Detection::CloudTrail);
                let input = format!("{} {}", ds.label, layout.name());
                let sp = lines
                    .iter()
                    .find(|l| l.engine == "spelunk" && l.job == job && l.input == input)
                    .map(|l| secs(l.m.wall));
                if let Some(sp) = sp {
                    gzip_notes.push((ds.label.clone(), sp, secs(g.wall)));
                }
                lines.push(Line {
                    job,
                    input,
                    events: ds.records,
                    json_bytes: ds.json_bytes,
                    disk_bytes: ds.disk_bytes,
                    engine: "gzip -dc (alone)".into(),
                    m: g,
                    inner_secs: None,
                    rows: None,
                    ratio: None,
                });
            }
            if !cx.args.keep {
                let _ = fs::remove_dir_all(&ds.root);
                let _ = fs::remove_file(cx.data_dir.join(format!("{}.meta.json", ds.root.file_name().unwrap_or_default().to_string_lossy())));
            }
        }
    }
    if !cx.args.keep {
        let _ = fs::remove_dir_all(cx.data_dir.join("calibrate"));
    }

    let load_end = read_trim("/proc/loadavg").unwrap_or_default();
    let mut table = render(&cx, &lines, &gzip_notes, &machine);
    table.push_str(&format!(
        "\nLoad average (1/5/15 min) at start: {}; at end: {} (other work on the machine skews wall times).\n",
        machine["loadavg_start"].as_str().unwrap_or("?").split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        load_end.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    ));
    println!("{table}");
    let report = json!({
        "machine": machine,
        "args": format!("{:?}", cx.args),
        "lines": lines.iter().map(line_json).collect::<Vec<_>>(),
        "mismatches": mismatches,
        "table": table,
    });
    let report_path = cx.results_dir.join("last.json");
    fs::write(&report_path, serde_json::to_string_pretty(&report).unwrap())
        .map_err(|e| format!("{}: {e}", report_path.display()))?;
    log(format!("results written to {}", report_path.display()));

    if mismatches.is_empty() {
        log("all results agree: spelunk and DuckDB returned the same rows for every input");
        Ok(true)
    } else {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "\n################ ROW MISMATCH: spelunk and DuckDB disagree ################");
        for m in &mismatches {
            let _ = writeln!(err, "{m}");
        }
        let _ = writeln!(err, "(both outputs are kept in {})", cx.results_dir.display());
        Ok(false)
    }
}

/// Creates the venv and installs duckdb when `import duckdb` fails; returns the venv's python.
fn ensure_duckdb(python: &str, venv: &Path) -> Result<PathBuf, String> {
    let py = venv.join("bin").join("python");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import duckdb"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if py.is_file() && has(&py) {
        return Ok(py);
    }
    if !py.is_file() {
        log(format!("creating Python venv {}", venv.display()));
        let st = Command::new(python)
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .map_err(|e| format!("{python} -m venv: {e} (set --python)"))?;
        if !st.success() {
            return Err(format!("{python} -m venv {} failed", venv.display()));
        }
    }
    log("installing duckdb into the venv (pip install duckdb)");
    let st = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "duckdb>=1.3"])
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !st.success() || !has(&py) {
        return Err("pip install duckdb failed (is PyPI reachable?)".into());
    }
    Ok(py)
}

fn read_trim(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

fn machine_info(cx: &Ctx) -> Result<Value, String> {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem_gb = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let kernel = read_trim("/proc/sys/kernel/osrelease").unwrap_or_default();
    let spelunk_version = Command::new(&cx.spelunk)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let duckdb_version = Command::new(&cx.venv_python)
        .args(["-c", "import duckdb, sys; print(duckdb.__version__, 'python', sys.version.split()[0])"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let load = read_trim("/proc/loadavg").unwrap_or_default();
    let load1 = load.split_whitespace().next().unwrap_or("?").to_string();
    let summary = format!(
        "{cpu}, {cores} cores, {mem_gb:.0} GB RAM, Linux {kernel}; {spelunk_version}; DuckDB {duckdb_version}; load average at start {load1}"
    );
    Ok(json!({
        "cpu": cpu, "cores": cores, "mem_gb": mem_gb, "kernel": kernel,
        "spelunk": spelunk_version, "duckdb": duckdb_version, "loadavg_start": load, "summary": summary,
    }))
}

// ---------------------------------------------------------------------------------------------
// Data generation

/// What `spelunk-gen` reports on stderr: records, scenario records, JSON megabytes.
#[derive(Debug, PartialEq)]
pub struct GenReport {
    pub records: u64,
    pub scenario: u64,
    pub json_bytes: u64,
}

/// Parses `spelunk-gen: 50088 records (88 scenario) in 1 file(s); 64.6 MB JSON, 64.6 MB on disk; ...`.
pub fn parse_gen_report(stderr: &str) -> Option<GenReport> {
    let line = stderr.lines().rev().find(|l| l.contains(" records (") && l.contains("MB JSON"))?;
    let after = line.split("spelunk-gen:").nth(1).unwrap_or(line).trim();
    let mut words = after.split_whitespace();
    let records = words.next()?.parse().ok()?;
    let scenario = after.split('(').nth(1)?.split_whitespace().next()?.parse().ok()?;
    let json_mb: f64 = after
        .split(';')
        .nth(1)?
        .split("MB JSON")
        .next()?
        .trim()
        .parse()
        .ok()?;
    Some(GenReport { records, scenario, json_bytes: (json_mb * 1e6).round() as u64 })
}

/// Background events for a target size, from a calibration sample.
pub fn events_for(target_bytes: u64, bytes_per_record: f64, scenario: u64) -> u64 {
    let total = (target_bytes as f64 / bytes_per_record).round() as u64;
    total.saturating_sub(scenario).max(1000)
}

fn gen_args(cx: &Ctx, layout: Layout, out: &Path, events: u64) -> Vec<String> {
    let mut a: Vec<String> = match layout {
        Layout::Ocsf => vec!["ocsf".into()],
        _ => vec!["cloudtrail".into()],
    };
    a.extend([
        "--out".into(),
        out.display().to_string(),
        "--seed".into(),
        cx.args.seed.to_string(),
        "--events".into(),
        events.to_string(),
        "--hours".into(),
        cx.args.hours.to_string(),
        "--denied-rate".into(),
        cx.args.denied_rate.to_string(),
        "--scenarios".into(),
    ]);
    if cx.args.ip_pool > 0 {
        a.extend(["--ip-pool".into(), cx.args.ip_pool.to_string()]);
    }
    if layout == Layout::Ndjson {
        a.push("--ndjson".into());
    }
    a
}

fn run_gen(cx: &Ctx, args: &[String]) -> Result<GenReport, String> {
    let out = Command::new(&cx.gen)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", cx.gen.display()))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("spelunk-gen {} failed:\n{err}", args.join(" ")));
    }
    parse_gen_report(&err).ok_or_else(|| format!("cannot read spelunk-gen's report:\n{err}"))
}

fn dir_bytes(p: &Path) -> u64 {
    if p.is_file() {
        return fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    }
    let mut total = 0;
    if let Ok(rd) = fs::read_dir(p) {
        for e in rd.flatten() {
            total += dir_bytes(&e.path());
        }
    }
    total
}

/// Reads every file once so that each engine starts from a warm page cache.
fn warm(p: &Path) {
    if p.is_file() {
        if let Ok(mut f) = fs::File::open(p) {
            let _ = io::copy(&mut f, &mut io::sink());
        }
    } else if let Ok(rd) = fs::read_dir(p) {
        for e in rd.flatten() {
            warm(&e.path());
        }
    }
}

fn calibrate(cx: &mut Ctx, layout: Layout) -> Result<(f64, u64), String> {
    if let Some(&(_, b, s)) = cx.calibration.iter().find(|c| c.0 == layout) {
        return Ok((b, s));
    }
    // The S3 layout holds the same records as the NDJSON output: size it like NDJSON.
    let probe = if layout == Layout::Ocsf { Layout::Ocsf } else { Layout::Ndjson };
    let dir = cx.data_dir.join("calibrate");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = if probe == Layout::Ocsf { dir.join("ocsf.ndjson") } else { dir.clone() };
    let rep = run_gen(cx, &gen_args(cx, probe, &out, 20_000))?;
    let bytes = if probe == Layout::Ocsf { dir_bytes(&out) } else { dir_bytes(&dir.join("cloudtrail.ndjson")) };
    let bpr = bytes as f64 / rep.records.max(1) as f64;
    let _ = fs::remove_dir_all(&dir);
    cx.calibration.push((layout, bpr, rep.scenario));
    Ok((bpr, rep.scenario))
}

fn dataset(cx: &mut Ctx, layout: Layout, size: u64) -> Result<Dataset, String> {
    let (bpr, scenario) = calibrate(cx, layout)?;
    let events = events_for(size, bpr, scenario);
    let label = sizes::label(size);
    let root = cx.data_dir.join(format!("{}-{}-seed{}", layout.tag(), label, cx.args.seed));
    let (path, duckdb_path) = match layout {
        Layout::Ndjson => {
            let f = root.join("cloudtrail.ndjson");
            (f.clone(), f.display().to_string())
        }
        Layout::S3Gzip => (root.clone(), format!("{}/AWSLogs/**/*.json.gz", root.display())),
        Layout::Ocsf => {
            let f = root.join("ocsf.ndjson");
            (f.clone(), f.display().to_string())
        }
    };
    let out = if layout == Layout::Ocsf { path.clone() } else { root.clone() };
    let args = gen_args(cx, layout, &out, events);
    // Beside the data set, not inside it: spelunk --data walks the folder.
    let meta_path = cx.data_dir.join(format!("{}-{}-seed{}.meta.json", layout.tag(), label, cx.args.seed));
    if let Ok(text) = fs::read_to_string(&meta_path) {
        if let Ok(meta) = serde_json::from_str::<Value>(&text) {
            if meta["args"] == json!(args) {
                log(format!("reusing {} ({} records)", root.display(), meta["records"]));
                return Ok(Dataset {
                    layout,
                    label,
                    path,
                    duckdb_path,
                    root,
                    records: meta["records"].as_u64().unwrap_or(0),
                    json_bytes: meta["json_bytes"].as_u64().unwrap_or(0),
                    disk_bytes: meta["disk_bytes"].as_u64().unwrap_or(0),
                });
            }
        }
    }
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    log(format!("generating {label} of {}: spelunk-gen {}", layout.name(), args.join(" ")));
    let rep = run_gen(cx, &args)?;
    let disk_bytes = dir_bytes(&path);
    // NDJSON: the file is the JSON. S3: the generator's count of uncompressed JSON bytes.
    let json_bytes = if layout == Layout::S3Gzip { rep.json_bytes } else { disk_bytes };
    let meta = json!({"args": args, "records": rep.records, "json_bytes": json_bytes, "disk_bytes": disk_bytes});
    fs::write(&meta_path, meta.to_string()).map_err(|e| format!("{}: {e}", meta_path.display()))?;
    Ok(Dataset { layout, label, path, duckdb_path, root, records: rep.records, json_bytes, disk_bytes })
}

// ---------------------------------------------------------------------------------------------
// Engines

fn spelunk_cmd(cx: &Ctx, job: Job, ds: &Dataset, threads: Option<usize>) -> Command {
    let mut c = Command::new(&cx.spelunk);
    c.arg("run");
    match (job.det, job.class.spl()) {
        (Some(det), _) => {
            c.arg(crate_dir().join("../../queries").join(format!("{}.spl", det.query())));
        }
        (None, Some(spl)) => {
            c.args(["-e", spl]);
        }
        (None, None) => unreachable!("the detection class always has a detection"),
    }
    c.arg("--data")
        .arg(&ds.path)
        .args(["--format", "json"]);
    if let Some(t) = threads {
        c.args(["--threads", &t.to_string()]);
    }
    c
}

fn duckdb_cmd(cx: &Ctx, job: Job, ds: &Dataset, out: &Path) -> Command {
    let sql = crate_dir().join("sql");
    let mut c = Command::new(&cx.venv_python);
    c.arg(crate_dir().join("py").join("duckdb_run.py"));
    match job.det {
        Some(det) => {
            let setup: &[&str] = match ds.layout {
                Layout::Ndjson => &["cloudtrail_source_ndjson.sql", "cloudtrail_fields.sql"],
                Layout::S3Gzip => &["cloudtrail_source_s3.sql", "cloudtrail_fields.sql"],
                Layout::Ocsf => &["ocsf_source_ndjson.sql"],
            };
            for s in setup {
                c.arg("--setup").arg(sql.join(s));
            }
            c.arg("--query").arg(sql.join(format!("{}.sql", det.query())));
        }
        None => {
            // Self-contained: reads the NDJSON with only the columns it needs.
            let f = job.class.sql_file().expect("a query class has its SQL");
            c.arg("--query").arg(sql.join(f));
        }
    }
    c.arg("--paths").arg(&ds.duckdb_path);
    c.arg("--out").arg(out);
    let t = cx.args.duckdb_threads.unwrap_or(cx.args.threads);
    c.args(["--threads", &t.to_string()]);
    c
}

fn time_gzip(cx: &Ctx, ds: &Dataset) -> Result<Measured, String> {
    let mut all = Vec::new();
    for _ in 0..cx.args.runs {
        let mut c = Command::new("sh");
        c.args(["-c", "find \"$1\" -name '*.gz' -exec gzip -dc {} + > /dev/null", "sh"])
            .arg(&ds.root);
        let o = cx.results_dir.join("gzip.out");
        let e = cx.results_dir.join("gzip.err");
        let m = measure::run(c, &o, &e)?;
        if !m.ok() {
            return Err(format!("gzip -dc failed: {}", fs::read_to_string(&e).unwrap_or_default()));
        }
        all.push(m);
    }
    Ok(measure::median(all))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// Runs one detection over one input with every engine variant; returns the table lines and
/// the mismatch descriptions (empty when the rows agree).
fn run_case(cx: &Ctx, job: Job, ds: &Dataset) -> Result<(Vec<Line>, Vec<String>), String> {
    let case = format!("{}-{}-{}", job.tag(), ds.layout.tag(), ds.label);
    let input = format!("{} {}", ds.label, ds.layout.name());
    log(format!(
        "{case}: {} records, {} MB JSON, {} MB on disk",
        ds.records,
        sizes::mb(ds.json_bytes),
        sizes::mb(ds.disk_bytes)
    ));
    warm(&ds.path);
    let sp_out = cx.results_dir.join(format!("{case}.spelunk.json"));
    let sp_err = cx.results_dir.join(format!("{case}.spelunk.stderr"));
    let dk_out = cx.results_dir.join(format!("{case}.duckdb.json"));
    let dk_err = cx.results_dir.join(format!("{case}.duckdb.stderr"));

    // "spelunk" runs with --threads N (when this spelunk has the option); the detections also
    // with one thread, for the scaling target.
    let n = cx.args.threads;
    let mut variants: Vec<(String, Option<usize>)> =
        vec![("spelunk".into(), cx.spelunk_threads_flag.then_some(n))];
    if cx.spelunk_threads_flag && job.det.is_some() && n > 1 {
        variants.push(("spelunk --threads 1".into(), Some(1)));
    }
    let mut sp_runs: Vec<Vec<Measured>> = vec![Vec::new(); variants.len()];
    let mut dk_runs = Vec::new();
    let mut dk_inner = Vec::new();
    let mut problems = Vec::new();
    let mut sp_rows_by_variant: Vec<Option<Vec<rows::Row>>> = vec![None; variants.len()];
    for run in 0..cx.args.runs {
        for (i, (name, threads)) in variants.iter().enumerate() {
            let m = measure::run(spelunk_cmd(cx, job, ds, *threads), &sp_out, &sp_err)?;
            if !m.ok() {
                return Err(format!(
                    "{case}: {name} exited with {:?}:\n{}",
                    m.code,
                    fs::read_to_string(&sp_err).unwrap_or_default()
                ));
            }
            log(format!("{case}: {name} run {}: {:.2}s, {} MB peak RSS", run + 1, secs(m.wall), m.max_rss / 1_000_000));
            if run == 0 {
                let v = read_json(&sp_out)?;
                sp_rows_by_variant[i] = Some(rows::rows(&v).map_err(|e| format!("{case}: spelunk output: {e}"))?);
                if i == 0 {
                    fs::copy(&sp_out, cx.results_dir.join(format!("{case}.spelunk.first.json"))).ok();
                }
            }
            sp_runs[i].push(m);
        }
        let m = measure::run(duckdb_cmd(cx, job, ds, &dk_out), &dk_out.with_extension("stdout"), &dk_err)?;
        if !m.ok() {
            return Err(format!(
                "{case}: DuckDB exited with {:?}:\n{}",
                m.code,
                fs::read_to_string(&dk_err).unwrap_or_default()
            ));
        }
        let doc = read_json(&dk_out)?;
        dk_inner.push(doc["query_secs"].as_f64().unwrap_or(f64::NAN));
        log(format!("{case}: duckdb run {}: {:.2}s, {} MB peak RSS", run + 1, secs(m.wall), m.max_rss / 1_000_000));
        if run == 0 {
            let columns: Vec<String> = doc["columns"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_str().map(String::from)).collect())
                .unwrap_or_default();
            let dk_rows = rows::rows(&doc["rows"]).map_err(|e| format!("{case}: DuckDB output: {e}"))?;
            for (i, (name, _)) in variants.iter().enumerate() {
                let sp_rows = sp_rows_by_variant[i].as_ref().unwrap();
                let diff = rows::compare(sp_rows, &dk_rows, &columns, 10);
                if diff.is_empty() {
                    log(format!("{case}: {name} and DuckDB agree on {} row(s)", dk_rows.len()));
                } else {
                    problems.push(format!("== {case}: {name} vs DuckDB =="));
                    problems.extend(diff.problems);
                }
            }
        }
        dk_runs.push(m);
    }
    let dk = measure::median(dk_runs);
    dk_inner.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let inner = dk_inner[(dk_inner.len() - 1) / 2];
    let dk_rows_n = read_json(&dk_out)?["rows"].as_array().map(|a| a.len());
    let mut lines = Vec::new();
    for (i, (name, _)) in variants.iter().enumerate() {
        let m = measure::median(std::mem::take(&mut sp_runs[i]));
        let ratio = secs(dk.wall) / secs(m.wall).max(1e-9);
        lines.push(Line {
            job,
            input: input.clone(),
            events: ds.records,
            json_bytes: ds.json_bytes,
            disk_bytes: ds.disk_bytes,
            engine: name.clone(),
            m,
            inner_secs: None,
            rows: sp_rows_by_variant[i].as_ref().map(|r| r.len()),
            ratio: Some(ratio),
        });
    }
    lines.push(Line {
        job,
        input,
        events: ds.records,
        json_bytes: ds.json_bytes,
        disk_bytes: ds.disk_bytes,
        engine: "DuckDB".into(),
        m: dk,
        inner_secs: Some(inner),
        rows: dk_rows_n,
        ratio: None,
    });
    Ok((lines, problems))
}

// ---------------------------------------------------------------------------------------------
// Output

fn line_json(l: &Line) -> Value {
    json!({
        "class": l.job.class.name(),
        "detection": l.job.det.map(|d| d.short()),
        "query": l.job.query_text(),
        "input": l.input,
        "events": l.events,
        "json_bytes": l.json_bytes,
        "disk_bytes": l.disk_bytes,
        "engine": l.engine,
        "wall_secs": secs(l.m.wall),
        "user_secs": secs(l.m.user),
        "sys_secs": secs(l.m.sys),
        "max_rss_bytes": l.m.max_rss,
        "duckdb_inner_secs": l.inner_secs,
        "rows": l.rows,
        "throughput_ratio_vs_duckdb": l.ratio,
    })
}

fn fmt_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// The per-class summary: one row per query class (or detection) and input, spelunk's main
/// line against DuckDB's.
fn class_table(lines: &[Line]) -> String {
    let mut s = String::new();
    s.push_str("| class | query (SPL) | input | rows | spelunk s | DuckDB s (in-process) | DuckDB ÷ spelunk | spelunk peak RSS MB | DuckDB peak RSS MB |\n");
    s.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for sp in lines.iter().filter(|l| l.engine == "spelunk") {
        let Some(dk) = lines.iter().find(|l| l.engine == "DuckDB" && l.job == sp.job && l.input == sp.input) else {
            continue;
        };
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {:.2} | {:.2} ({}) | {} | {:.0} | {:.0} |\n",
            sp.job.label(),
            sp.job.query_text().replace('|', "\\|"),
            sp.input,
            sp.rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            secs(sp.m.wall),
            secs(dk.m.wall),
            dk.inner_secs.map(|i| format!("{i:.2}")).unwrap_or_else(|| "-".into()),
            sp.ratio.map(|r| format!("{r:.2}×")).unwrap_or_else(|| "-".into()),
            sp.m.max_rss as f64 / 1e6,
            dk.m.max_rss as f64 / 1e6,
        ));
    }
    s
}

fn render(cx: &Ctx, lines: &[Line], gzip_notes: &[(String, f64, f64)], machine: &Value) -> String {
    let mut s = String::new();
    let dk_threads = cx.args.duckdb_threads.unwrap_or(cx.args.threads);
    s.push_str(&format!("Machine: {}\n\n", machine["summary"].as_str().unwrap_or("")));
    s.push_str(&format!(
        "Per class (spelunk --threads {}, DuckDB threads {}; median of {} run(s) by wall time; ratio = DuckDB wall / spelunk wall, > 1: spelunk faster):\n\n",
        cx.args.threads, dk_threads, cx.args.runs
    ));
    s.push_str(&class_table(lines));
    s.push_str("\nAll engine runs:\n\n");
    s.push_str("| class | input | events | JSON MB (on disk) | engine | wall s | events/s | MB/s | peak RSS MB | CPU s (user+sys) | rows | spelunk ÷ DuckDB throughput |\n");
    s.push_str("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for l in lines {
        let w = secs(l.m.wall).max(1e-9);
        let on_disk = if l.disk_bytes != l.json_bytes {
            format!("{} ({})", sizes::mb(l.json_bytes), sizes::mb(l.disk_bytes))
        } else {
            sizes::mb(l.json_bytes)
        };
        let engine = match l.inner_secs {
            Some(inner) => format!("{} (in-process {:.2} s)", l.engine, inner),
            None => l.engine.clone(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.2} | {} | {:.0} | {:.0} | {:.2} | {} | {} |\n",
            l.job.label(),
            l.input,
            l.events,
            on_disk,
            engine,
            w,
            fmt_rate(l.events as f64 / w),
            l.json_bytes as f64 / 1e6 / w,
            l.m.max_rss as f64 / 1e6,
            secs(l.m.user) + secs(l.m.sys),
            l.rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            l.ratio.map(|r| format!("{r:.2}×")).unwrap_or_else(|| "-".into()),
        ));
    }
    s.push('\n');
    s.push_str(&format!(
        "Wall time: spawn to exit of the process (median of {} run(s), warm page cache); DuckDB's includes Python start-up and `import duckdb`, \
         its in-process time (connect + read + query) is shown beside it. MB/s = uncompressed JSON MB / wall s. \
         Peak RSS and CPU: the process's rusage from wait4(2) (ru_maxrss). Ratio = DuckDB wall / spelunk wall on the same input.\n",
        cx.args.runs
    ));
    // Targets of issue 6.
    s.push_str("\nIssue 6 targets:\n");
    let ct_nd: Vec<&Line> = lines
        .iter()
        .filter(|l| l.job.det == Some(Detection::CloudTrail) && l.input.ends_with(Layout::Ndjson.name()) && l.engine == "spelunk")
        .collect();
    for l in &ct_nd {
        if let Some(r) = l.ratio {
            s.push_str(&format!(
                "- throughput vs DuckDB, CloudTrail detection {}: {:.2}× (target ≥ 3×): {}\n",
                l.input,
                r,
                if r >= 3.0 { "met" } else { "NOT met" }
            ));
        }
    }
    let sp_rss = lines
        .iter()
        .filter(|l| l.engine.starts_with("spelunk"))
        .map(|l| l.m.max_rss)
        .max()
        .unwrap_or(0);
    s.push_str(&format!(
        "- spelunk peak RSS, largest over all classes and inputs: {:.0} MB (target < 200 MB): {}\n",
        sp_rss as f64 / 1e6,
        if sp_rss < 200_000_000 { "met" } else { "NOT met" }
    ));
    let n = cx.args.threads;
    let mut scaled = false;
    for l1 in lines.iter().filter(|l| l.engine == "spelunk --threads 1") {
        if let Some(ln) = lines.iter().find(|l| l.engine == "spelunk" && l.input == l1.input && l.job == l1.job) {
            scaled = true;
            let r = secs(l1.m.wall) / secs(ln.m.wall).max(1e-9);
            let target = if n == 2 { " (target ≥ 1.7×)" } else { "" };
            let verdict = match (n, r >= 1.7) {
                (2, true) => ": met",
                (2, false) => ": NOT met",
                _ => "",
            };
            s.push_str(&format!(
                "- scaling, {} {}: {n} threads {:.2}× the throughput of 1{target}{verdict}\n",
                l1.job.label(),
                l1.input,
                r,
            ));
        }
    }
    if !scaled {
        if cx.spelunk_threads_flag {
            s.push_str("- scaling 1 vs N threads: not measured (no detection run, or --threads 1)\n");
        } else {
            s.push_str("- scaling 1 vs 2 threads: skipped, `spelunk run` has no --threads option\n");
        }
    }
    for (label, sp, gz) in gzip_notes {
        let r = sp / gz.max(1e-9);
        s.push_str(&format!(
            "- gzip, {label}: spelunk {sp:.2} s vs `gzip -dc` alone {gz:.2} s = {r:.2}× (target ≤ 1.3×): {}\n",
            if r <= 1.3 { "met" } else { "NOT met" }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gen_report() {
        let r = parse_gen_report(
            "spelunk-gen: 50088 records (88 scenario) in 1 file(s); 64.6 MB JSON, 64.6 MB on disk; 0.13s, 483 MB/s JSON\n",
        )
        .unwrap();
        assert_eq!(r, GenReport { records: 50088, scenario: 88, json_bytes: 64_600_000 });
        assert!(parse_gen_report("something else").is_none());
    }

    fn line(job: Job, engine: &str, wall_ms: u64, rss_mb: u64, rows: usize, ratio: Option<f64>) -> Line {
        Line {
            job,
            input: "1 GB NDJSON".into(),
            events: 1000,
            json_bytes: 1_000_000,
            disk_bytes: 1_000_000,
            engine: engine.into(),
            m: Measured {
                wall: Duration::from_millis(wall_ms),
                max_rss: rss_mb * 1_000_000,
                user: Duration::ZERO,
                sys: Duration::ZERO,
                code: Some(0),
            },
            inner_secs: (engine == "DuckDB").then_some(1.5),
            rows: Some(rows),
            ratio,
        }
    }

    #[test]
    fn class_table_pairs_spelunk_with_duckdb() {
        let hc = Job::plain(Class::HighCard);
        let det = Job::detection(Detection::CloudTrail);
        let lines = vec![
            line(hc, "spelunk", 1000, 80, 10, Some(2.0)),
            line(hc, "DuckDB", 2000, 900, 10, None),
            line(det, "spelunk", 500, 60, 6, Some(4.0)),
            line(det, "spelunk --threads 1", 900, 50, 6, Some(2.2)),
            line(det, "DuckDB", 2000, 700, 6, None),
        ];
        let t = class_table(&lines);
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{t}");
        assert_eq!(
            rows[0],
            "| high_card | `* \\| stats count by sourceIPAddress \\| sort - count, sourceIPAddress \\| head 10` \
             | 1 GB NDJSON | 10 | 1.00 | 2.00 (1.50) | 2.00× | 80 | 900 |"
        );
        assert!(rows[1].starts_with("| detection (cloudtrail) | `queries/aws_iam_accessdenied_discovery_events.spl` |"), "{}", rows[1]);
        assert!(rows[1].ends_with("| 6 | 0.50 | 2.00 (1.50) | 4.00× | 60 | 700 |"), "{}", rows[1]);
    }

    #[test]
    fn sizes_events() {
        assert_eq!(events_for(1_000_000_000, 1000.0, 88), 999_912);
        assert_eq!(events_for(10, 1000.0, 88), 1000);
    }
}
