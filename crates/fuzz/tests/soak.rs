//! The short soak (issue "Reliability": fuzzing with a short soak of each target in CI): every
//! fuzz body runs on its kept inputs (`testdata/fuzz/<target>/`: seeds and every crashing
//! input found so far, as regression cases), then on mutations of them for a few seconds
//! (`SPELUNK_SOAK_SECS`, default 3 per target), from a fixed seed so a failure reproduces.
//! A failure prints the input (hex) to keep as a new regression file.
//! The long soak is cargo-fuzz's: see the crate docs (`crates/fuzz/src/lib.rs`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn kept_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fuzz").join(target);
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        paths.sort();
        for p in paths {
            if let Ok(b) = std::fs::read(&p) {
                out.push((p, b));
            }
        }
    }
    out
}

/// A Parquet seed, written here (Parquet bytes are not readable as a text fixture): a nested
/// struct, a list and a timestamp, as Security Lake writes them.
fn parquet_seed() -> Vec<u8> {
    use arrow::array::{ArrayRef, Int64Array, ListBuilder, StringArray, StringBuilder, StructArray};
    use arrow::datatypes::{DataType, Field};
    use arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let name: ArrayRef = Arc::new(StringArray::from(vec![Some("GetUser"), Some("ListRoles"), None]));
    let time: ArrayRef = Arc::new(Int64Array::from(vec![1_700_000_000_000i64, 1_700_000_100_000, 1_700_000_200_000]));
    let user = StructArray::from(vec![(Arc::new(Field::new("arn", DataType::Utf8, true)), Arc::new(StringArray::from(vec![Some("arn:aws:iam::1:user/a"), None, Some("x")])) as ArrayRef)]);
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("a");
    tags.values().append_value("b");
    tags.append(true);
    tags.append(false);
    tags.append(true);
    let batch = RecordBatch::try_from_iter(vec![("eventName", name), ("time", time), ("actor", Arc::new(user) as ArrayRef), ("tags", Arc::new(tags.finish()) as ArrayRef)]).expect("a batch");
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).expect("a writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    out
}

/// xorshift64*: a fixed, dependency-free generator, so a soak failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes the parsers care about, for insertions.
const INTERESTING: &[&[u8]] = &[b"{", b"}", b"[", b"]", b"\"", b"\\", b"\\u0065", b",", b":", b"\n", b"|", b"`", b"(", b")", b"=", b"*", b"\"Records\":[", b"{}", b"1e400", b"-0", b"18446744073709551616", b"null", b"\xff", b"\0", b" stats count by ", b" eval x=", b"[", b"definition = ", b"EVAL-", b"FIELDALIAS-", b"\xe2\x84\xaa"];

fn mutate(rng: &mut Rng, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut d = pool[rng.below(pool.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(d.len() + 1);
        match rng.below(6) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(d.len());
                d.drain(at.min(d.len())..end);
            }
            2 => {
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                d.splice(at..at, ins.iter().copied());
            }
            3 => {
                // splice a piece of another input
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let s = rng.below(other.len());
                    let e = (s + 1 + rng.below(64)).min(other.len());
                    d.splice(at..at, other[s..e].iter().copied());
                }
            }
            4 if !d.is_empty() => {
                // repeat a piece (nesting, long lines)
                let s = rng.below(d.len());
                let e = (s + 1 + rng.below(32)).min(d.len());
                let piece = d[s..e].repeat(1 + rng.below(8));
                d.splice(at..at, piece);
            }
            _ => d.truncate(at),
        }
    }
    d.truncate(1 << 16);
    d
}

fn run_one(target: &str, data: &[u8]) -> Result<Duration, String> {
    let t = Instant::now();
    let r = std::panic::catch_unwind(|| spelunk_fuzz::run(target, data));
    match r {
        Ok(()) => Ok(t.elapsed()),
        Err(e) => {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            Err(format!("{target}: {msg}\n  input ({} bytes, hex; keep it under testdata/fuzz/{target}/): {hex}", data.len()))
        }
    }
}

#[test]
fn every_target_survives_its_kept_inputs_and_a_short_soak() {
    let secs: u64 = std::env::var("SPELUNK_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut failures = Vec::new();
    for (k, target) in spelunk_fuzz::TARGETS.iter().enumerate() {
        let mut pool: Vec<Vec<u8>> = Vec::new();
        for (path, data) in kept_inputs(target) {
            if let Err(e) = run_one(target, &data) {
                failures.push(format!("{} (kept input {}):\n{e}", target, path.display()));
            }
            pool.push(data);
        }
        if *target == "read_parquet" {
            pool.push(parquet_seed());
        }
        assert!(!pool.is_empty(), "{target}: no seeds in testdata/fuzz/{target}/");
        let mut rng = Rng(0x5eed_0000 + k as u64);
        let (start, mut runs, mut slowest) = (Instant::now(), 0u64, Duration::ZERO);
        while start.elapsed() < Duration::from_secs(secs) {
            let input = mutate(&mut rng, &pool);
            match run_one(target, &input) {
                Ok(t) => slowest = slowest.max(t),
                Err(e) => {
                    failures.push(e);
                    break;
                }
            }
            runs += 1;
        }
        eprintln!("soak {target}: {runs} inputs in {secs} s, slowest {slowest:?}");
        // a 64 KiB input must never take long (a blow-up guard, far above any normal cost)
        assert!(slowest < Duration::from_secs(20), "{target}: one input took {slowest:?}");
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

/// Writes the Parquet seed to `testdata/fuzz/read_parquet/` for cargo-fuzz's long soak
/// (`cargo test -p spelunk-fuzz -- --ignored write_parquet_seed`).
#[test]
#[ignore]
fn write_parquet_seed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fuzz/read_parquet");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("seed.parquet"), parquet_seed()).expect("write");
}
