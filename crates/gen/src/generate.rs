//! Planning and writing: which files exist, how many events each holds, and
//! generating them in parallel while staying byte-for-byte deterministic.
//!
//! Every file is cut into chunks of [`CHUNK`] events and every chunk draws from
//! its own RNG stream `Rng::derive(seed, file, chunk)`, so the output depends
//! on the seed and the options only, never on the thread count or scheduling.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use flate2::{Compression, GzBuilder};

use crate::json::Json;
use crate::model::Call;
use crate::records;
use crate::rng::{Rng, ALNUM};
use crate::scenarios::{self, Detection, Scenario};
use crate::time::{compact_minute, ymd_path};
use crate::world::{Rates, Stream, World, DIURNAL, STREAMS};

/// Background events per chunk.
pub const CHUNK: u64 = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    CloudTrail,
    Ocsf,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub seed: u64,
    /// Background events (scenario events come on top).
    pub events: u64,
    /// Epoch seconds.
    pub start: i64,
    pub hours: i64,
    /// CloudTrail delivers a file per account and region about every 5 minutes.
    pub files_per_hour: i64,
    pub rates: Rates,
    pub scenarios: bool,
    pub threads: usize,
    pub gzip_level: u32,
    /// `--ip-pool`: see [`World::ip_pool`]; 0 = off.
    pub ip_pool: u64,
}

impl Spec {
    pub fn new(seed: u64, events: u64) -> Self {
        Spec {
            seed,
            events,
            start: 1_709_510_400, // 2024-03-04T00:00:00Z
            hours: 24,
            files_per_hour: 12,
            rates: Rates::default(),
            scenarios: false,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            gzip_level: 6,
            ip_pool: 0,
        }
    }

    pub fn base_hour(&self) -> i64 {
        (self.start + 3599).div_euclid(3600) * 3600
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.hours < 1 {
            return Err("--hours must be at least 1".into());
        }
        if !(1..=60).contains(&self.files_per_hour) || 3600 % self.files_per_hour != 0 {
            return Err("--files-per-hour must divide 3600 and be between 1 and 60".into());
        }
        for (name, r) in [
            ("--denied-rate", self.rates.denied),
            ("other denied", self.rates.other_denied),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.scenarios {
            let end = self.start + self.hours * 3600;
            if self.base_hour() + scenarios::SPAN_HOURS * 3600 > end {
                return Err(format!(
                    "--scenarios needs {} whole hours after the first whole hour of --start; raise --hours",
                    scenarios::SPAN_HOURS
                ));
            }
        }
        Ok(())
    }
}

/// One output file (S3 layout) or one section of the NDJSON output.
#[derive(Clone, Debug)]
pub struct FilePlan {
    pub index: usize,
    pub stream: usize,
    pub lo: i64,
    pub hi: i64,
    pub background: u64,
    /// Indices into the sorted scenario calls, in time order.
    pub scenario: Vec<usize>,
}

impl FilePlan {
    pub fn chunks(&self) -> u64 {
        self.background.div_ceil(CHUNK).max(1)
    }

    pub fn total(&self) -> u64 {
        self.background + self.scenario.len() as u64
    }

    /// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random16>.json.gz`
    pub fn s3_key(&self, seed: u64, gzip: bool) -> String {
        let s = &STREAMS[self.stream];
        let mut rng = Rng::derive(seed, 0xF11E_0000, self.index as u64);
        let mut suffix = String::new();
        rng.push_charset(&mut suffix, ALNUM, 16);
        format!(
            "AWSLogs/{acct}/CloudTrail/{region}/{ymd}/{acct}_CloudTrail_{region}_{stamp}_{suffix}.json{gz}",
            acct = s.account,
            region = s.region,
            ymd = ymd_path(self.hi),
            stamp = compact_minute(self.hi),
            gz = if gzip { ".gz" } else { "" }
        )
    }
}

pub struct Plan<'s> {
    pub files: Vec<FilePlan>,
    pub calls: Vec<Call<'s>>,
}

fn stream_of(c: &Call<'_>) -> usize {
    STREAMS
        .iter()
        .position(|s| s.account == c.recipient && s.region == c.region)
        .unwrap_or_else(|| {
            panic!(
                "scenario call in {}/{} has no delivery stream",
                c.recipient, c.region
            )
        })
}

pub fn scenario_calls<'s>(spec: &Spec, scen: &'s [Scenario]) -> Vec<Call<'s>> {
    if !spec.scenarios {
        return Vec::new();
    }
    let base = spec.base_hour();
    let mut calls: Vec<Call<'s>> = scen
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.calls(base, spec.seed, i as u64))
        .collect();
    calls.sort_by_key(|c| (stream_of(c), c.time));
    calls
}

pub fn plan<'s>(spec: &Spec, scen: &'s [Scenario]) -> Plan<'s> {
    let calls = scenario_calls(spec, scen);
    let len = 3600 / spec.files_per_hour;
    let windows = spec.hours * spec.files_per_hour;
    let mut files = Vec::new();
    let mut weights = Vec::new();
    for w in 0..windows {
        let lo = spec.start + w * len;
        let hour = (lo.rem_euclid(86_400) / 3600) as usize;
        for (si, s) in STREAMS.iter().enumerate() {
            weights.push(s.weight as u128 * DIURNAL[hour] as u128);
            let scenario = calls
                .iter()
                .enumerate()
                .filter(|(_, c)| stream_of(c) == si && c.time >= lo && c.time < lo + len)
                .map(|(i, _)| i)
                .collect();
            files.push(FilePlan {
                index: files.len(),
                stream: si,
                lo,
                hi: lo + len,
                background: 0,
                scenario,
            });
        }
    }
    // Split the background events by weight with cumulative rounding: the
    // counts add up to exactly `spec.events`.
    let total: u128 = weights.iter().sum();
    let mut acc = 0u128;
    let mut prev = 0u64;
    for (f, w) in files.iter_mut().zip(&weights) {
        acc += w;
        let upto = (spec.events as u128 * acc / total) as u64;
        f.background = upto - prev;
        prev = upto;
    }
    files.retain(|f| f.total() > 0);
    Plan { files, calls }
}

/// Every call of one chunk of a file, in time order.
pub fn for_each_call<'w>(
    world: &'w World,
    spec: &Spec,
    file: &FilePlan,
    chunk: u64,
    calls: &[Call<'w>],
    mut f: impl FnMut(&Call<'_>),
) {
    let n = file.background;
    let span = (file.hi - file.lo) as u64;
    let i0 = (chunk * CHUNK).min(n);
    let i1 = ((chunk + 1) * CHUNK).min(n);
    let at = |i: u64| file.lo + (i as u128 * span as u128 / n.max(1) as u128) as i64;
    let tlo = if chunk == 0 { file.lo } else { at(i0) };
    let thi = if i1 >= n { file.hi } else { at(i1) };
    let mut scen = file
        .scenario
        .iter()
        .map(|&i| &calls[i])
        .filter(|c| c.time >= tlo && c.time < thi)
        .peekable();
    let stream: &Stream = &STREAMS[file.stream];
    let mut rng = Rng::derive(spec.seed, file.index as u64, chunk);
    for i in i0..i1 {
        let (a, b) = (at(i), at(i + 1));
        let t = if b > a {
            a + rng.below((b - a) as u64) as i64
        } else {
            a
        };
        while let Some(c) = scen.next_if(|c| c.time < t) {
            f(c);
        }
        let call = world.background(&mut rng, stream, t);
        f(&call);
    }
    for c in scen {
        f(c);
    }
}

#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub files: u64,
    pub records: u64,
    pub scenario_records: u64,
    /// Uncompressed JSON bytes.
    pub json_bytes: u64,
    /// Bytes on disk.
    pub disk_bytes: u64,
    pub paths: Vec<PathBuf>,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.files += o.files;
        self.records += o.records;
        self.scenario_records += o.scenario_records;
        self.json_bytes += o.json_bytes;
        self.disk_bytes += o.disk_bytes;
        self.paths.extend(o.paths.iter().cloned());
    }
}

fn write_record(fmt: Format, j: &mut Json, c: &Call<'_>) {
    match fmt {
        Format::CloudTrail => records::cloudtrail(j, c),
        Format::Ocsf => records::ocsf(j, c),
    }
}

/// Serialise one chunk as NDJSON lines into `j`.
fn chunk_ndjson(
    world: &World,
    spec: &Spec,
    fmt: Format,
    file: &FilePlan,
    chunk: u64,
    calls: &[Call<'_>],
    j: &mut Json,
) -> u64 {
    let mut n = 0;
    for_each_call(world, spec, file, chunk, calls, |c| {
        write_record(fmt, j, c);
        j.sep(b"\n");
        n += 1;
    });
    n
}

/// Write CloudTrail as AWS delivers it to S3, one `{"Records":[...]}` per file.
pub fn write_s3(spec: &Spec, dir: &Path, gzip: bool) -> io::Result<Stats> {
    let scen = scenarios::cloudtrail();
    let plan = plan(spec, &scen);
    let world = World::new(spec.rates, false).with_ip_pool(spec.ip_pool);
    let next = AtomicUsize::new(0);
    let total = Mutex::new(Stats::default());
    let errors: Mutex<Vec<io::Error>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..spec.threads.max(1) {
            scope.spawn(|| {
                let mut local = Stats::default();
                let mut j = Json::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = plan.files.get(i) else { break };
                    match write_s3_file(&world, spec, dir, gzip, file, &plan.calls, &mut j) {
                        Ok(s) => local.add(&s),
                        Err(e) => errors.lock().unwrap().push(e),
                    }
                }
                total.lock().unwrap().add(&local);
            });
        }
    });
    if let Some(e) = errors.into_inner().unwrap().into_iter().next() {
        return Err(e);
    }
    let mut stats = total.into_inner().unwrap();
    stats.paths.sort();
    Ok(stats)
}

fn write_s3_file(
    world: &World,
    spec: &Spec,
    dir: &Path,
    gzip: bool,
    file: &FilePlan,
    calls: &[Call<'_>],
    j: &mut Json,
) -> io::Result<Stats> {
    let path = dir.join(file.s3_key(spec.seed, gzip));
    fs::create_dir_all(path.parent().expect("key has folders"))?;
    let out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let mut w: Box<dyn Write> = if gzip {
        Box::new(
            GzBuilder::new()
                .mtime(0)
                .write(out, Compression::new(spec.gzip_level)),
        )
    } else {
        Box::new(out)
    };
    let mut stats = Stats {
        files: 1,
        scenario_records: file.scenario.len() as u64,
        ..Default::default()
    };
    w.write_all(b"{\"Records\":[")?;
    stats.json_bytes += 12;
    let mut first = true;
    for chunk in 0..file.chunks() {
        j.buf.clear();
        j.reset_state();
        for_each_call(world, spec, file, chunk, calls, |c| {
            if !first {
                j.sep(b",");
            }
            first = false;
            records::cloudtrail(j, c);
            stats.records += 1;
        });
        w.write_all(&j.buf)?;
        stats.json_bytes += j.buf.len() as u64;
    }
    w.write_all(b"]}")?;
    stats.json_bytes += 2;
    drop(w); // finishes the gzip stream and flushes
    stats.disk_bytes = fs::metadata(&path)?.len();
    stats.paths.push(path);
    Ok(stats)
}

/// Write one NDJSON file (CloudTrail records or OCSF records), time-ordered
/// by delivery window. Chunks are generated in parallel and written in order.
pub fn write_ndjson(spec: &Spec, fmt: Format, path: &Path) -> io::Result<Stats> {
    let scen = scenarios::for_detection(match fmt {
        Format::CloudTrail => Detection::CloudTrail,
        Format::Ocsf => Detection::Asl,
    });
    let plan = plan(spec, &scen);
    let world = World::new(spec.rates, fmt == Format::Ocsf).with_ip_pool(spec.ip_pool);
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent)?;
        }
    }
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let jobs: Vec<(usize, u64)> = plan
        .files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| (0..f.chunks()).map(move |c| (fi, c)))
        .collect();
    let threads = spec.threads.max(1);
    let mut stats = Stats {
        files: 1,
        ..Default::default()
    };
    stats.scenario_records = plan.calls.len() as u64;
    for round in jobs.chunks(threads * 4) {
        // (serialised lines, record count) per job of the round
        type Slot = (Vec<u8>, u64);
        let mut results: Vec<Slot> = vec![(Vec::new(), 0); round.len()];
        std::thread::scope(|scope| {
            let mut per_thread: Vec<Vec<(usize, &mut Slot)>> =
                (0..threads).map(|_| Vec::new()).collect();
            let slots = results.iter_mut();
            for (k, slot) in slots.into_iter().enumerate() {
                per_thread[k % threads].push((k, slot));
            }
            for mine in per_thread {
                let plan = &plan;
                let world = &world;
                scope.spawn(move || {
                    let mut j = Json::new();
                    for (k, slot) in mine {
                        let (fi, chunk) = round[k];
                        j.buf.clear();
                        j.reset_state();
                        let n = chunk_ndjson(
                            world,
                            spec,
                            fmt,
                            &plan.files[fi],
                            chunk,
                            &plan.calls,
                            &mut j,
                        );
                        *slot = (std::mem::take(&mut j.buf), n);
                    }
                });
            }
        });
        for (buf, n) in results {
            out.write_all(&buf)?;
            stats.json_bytes += buf.len() as u64;
            stats.records += n;
        }
    }
    out.flush()?;
    drop(out);
    stats.disk_bytes = fs::metadata(path)?.len();
    stats.paths.push(path.to_path_buf());
    Ok(stats)
}
