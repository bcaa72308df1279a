//! Scan throughput (a measuring aid): `cargo run --release -p spelunk-io --example scanbench -- PATH`.
//! Compares the scanner (projected, and projected + prefilter) with a whole-document baseline
//! (read each file whole, split with RawValue, parse every record to a full Value, flatten).
use spelunk_io::{flatten_with, list_files, scan, FieldSet, Projection, ScanOptions};
use std::io::Read;
use std::time::Instant;

const FIELDS: [&str; 16] = [
    "_time", "sourcetype", "errorCode", "userIdentity.type", "userAgent", "userAgent{}", "eventName", "sourceIPAddress", "awsRegion", "userIdentity.accountId",
    "recipientAccountId", "userIdentity.userName", "userIdentity.arn", "eventSource", "requestParameters.userName", "additionalEventData.LoginTo",
];

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let proj = Projection::Fields(FIELDS.iter().map(|s| s.to_string()).collect());
    let (files, _) = list_files(&paths).expect("paths");
    // baseline
    let t = Instant::now();
    let fs = FieldSet::new(&proj);
    let (mut n, mut bytes) = (0u64, 0u64);
    for f in &files {
        let mut raw = Vec::new();
        let file = std::fs::File::open(f).expect("open");
        let mut head = [0u8; 2];
        let _ = std::io::Read::read(&mut std::fs::File::open(f).expect("open"), &mut head);
        if head == [0x1f, 0x8b] {
            flate2::read::MultiGzDecoder::new(file).read_to_end(&mut raw).expect("gz");
        } else {
            std::io::BufReader::new(file).read_to_end(&mut raw).expect("read");
        }
        bytes += raw.len() as u64;
        #[derive(serde::Deserialize)]
        struct Doc<'a> {
            #[serde(rename = "Records", borrow)]
            records: Vec<&'a serde_json::value::RawValue>,
        }
        let recs: Vec<String> = match serde_json::from_slice::<Doc>(&raw) {
            Ok(d) => d.records.iter().map(|r| r.get().to_string()).collect(),
            Err(_) => raw.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| String::from_utf8_lossy(l).into_owned()).collect(),
        };
        for r in recs {
            let v: serde_json::Value = serde_json::from_str(&r).expect("json");
            n += flatten_with(&v, &fs).len().min(1) as u64;
        }
    }
    let dt = t.elapsed().as_secs_f64();
    println!("baseline (whole doc, full Value): {n} events, {:.0} MB/s", bytes as f64 / 1e6 / dt);
    for (name, opts) in [
        ("scanner, all fields", ScanOptions::default()),
        ("scanner, projected", ScanOptions { projection: proj.clone(), ..ScanOptions::default() }),
        ("scanner, projected + prefilter", ScanOptions { projection: proj.clone(), ..ScanOptions::default() }.require_all(["AccessDenied", "IAMUser"])),
    ] {
        let t = Instant::now();
        let mut s = scan(&paths, opts).expect("scan");
        let rows: usize = s.by_ref().map(|b| b.expect("batch").batch.num_rows()).sum();
        let dt = t.elapsed().as_secs_f64();
        println!("{name}: {rows} events, {:.0} MB/s ({})", s.stats().bytes_read as f64 / 1e6 / dt, s.stats().summary_line());
    }
}
