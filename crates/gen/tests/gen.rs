//! Determinism, S3 layout, gzip validity and scenario counts of spelunk-gen.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;
use spelunk_gen::scenarios::{self, Detection};
use spelunk_gen::time::parse_start;
use spelunk_gen::{write_ndjson, write_s3, Format, Spec};

fn spec(seed: u64, events: u64) -> Spec {
    let mut s = Spec::new(seed, events);
    s.start = parse_start("2024-03-04T21:00:00Z").unwrap();
    s.hours = 5;
    s.files_per_hour = 2;
    s.scenarios = true;
    s.threads = 2;
    s
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut s = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut s)
        .expect("valid gzip");
    s
}

fn records_of(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, bytes) in tree(dir) {
        let doc: Value = serde_json::from_str(&gunzip(&bytes)).unwrap();
        out.extend(doc["Records"].as_array().unwrap().iter().cloned());
    }
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write_s3(&spec(7, 400), a.path(), true).unwrap();
    let mut one_thread = spec(7, 400);
    one_thread.threads = 1;
    write_s3(&one_thread, b.path(), true).unwrap();
    write_s3(&spec(8, 400), c.path(), true).unwrap();
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert!(!ta.is_empty());
    assert_eq!(
        ta, tb,
        "same seed, different thread count: must be identical"
    );
    assert_ne!(ta, tc);
}

#[test]
fn ndjson_is_deterministic_across_threads_and_chunks() {
    let d = tempfile::tempdir().unwrap();
    // Enough events for several chunks per file.
    let mut s = spec(3, 30_000);
    s.files_per_hour = 1;
    s.threads = 1;
    write_ndjson(&s, Format::CloudTrail, &d.path().join("one.ndjson")).unwrap();
    s.threads = 3;
    write_ndjson(&s, Format::CloudTrail, &d.path().join("three.ndjson")).unwrap();
    write_ndjson(&s, Format::Ocsf, &d.path().join("o1.ndjson")).unwrap();
    write_ndjson(&s, Format::Ocsf, &d.path().join("o2.ndjson")).unwrap();
    assert_eq!(
        fs::read(d.path().join("one.ndjson")).unwrap(),
        fs::read(d.path().join("three.ndjson")).unwrap()
    );
    assert_eq!(
        fs::read(d.path().join("o1.ndjson")).unwrap(),
        fs::read(d.path().join("o2.ndjson")).unwrap()
    );
    let text = fs::read_to_string(d.path().join("one.ndjson")).unwrap();
    assert_eq!(
        text.lines().count() as u64,
        30_000 + scenario_events(Detection::CloudTrail)
    );
}

#[test]
fn s3_layout_and_gzip() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(11, 600);
    let stats = write_s3(&s, d.path(), true).unwrap();
    let files = files_under(d.path());
    assert_eq!(stats.files as usize, files.len());
    assert!(files.len() >= 20);
    let mut days = std::collections::BTreeSet::new();
    for p in &files {
        let rel = p
            .strip_prefix(d.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 8, "{rel}");
        let (acct, region) = (parts[1], parts[3]);
        assert_eq!(parts[0], "AWSLogs");
        assert!(
            acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()),
            "{rel}"
        );
        assert_eq!(parts[2], "CloudTrail");
        let name = parts[7];
        let stem = name
            .strip_suffix(".json.gz")
            .unwrap_or_else(|| panic!("{name}"));
        let f: Vec<&str> = stem.split('_').collect();
        assert_eq!(f.len(), 5, "{name}");
        assert_eq!((f[0], f[1], f[2]), (acct, "CloudTrail", region));
        let stamp = f[3];
        assert_eq!(stamp.len(), 14);
        assert_eq!(&stamp[8..9], "T");
        assert!(stamp.ends_with('Z'));
        assert_eq!(
            format!("{}/{}/{}", &stamp[0..4], &stamp[4..6], &stamp[6..8]),
            format!("{}/{}/{}", parts[4], parts[5], parts[6])
        );
        assert!(f[4].len() == 16 && f[4].bytes().all(|b| b.is_ascii_alphanumeric()));
        days.insert(format!("{}/{}/{}", parts[4], parts[5], parts[6]));

        let bytes = fs::read(p).unwrap();
        assert_eq!(&bytes[0..2], &[0x1f, 0x8b], "gzip magic");
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime must be 0");
        let doc: Value = serde_json::from_str(&gunzip(&bytes)).unwrap();
        let recs = doc["Records"].as_array().unwrap();
        assert!(!recs.is_empty());
        // The file name's minute is the end of its delivery window.
        let hi = parse_start(&format!(
            "{}-{}-{}T{}:{}:00Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13]
        ))
        .unwrap();
        let mut last = i64::MIN;
        for r in recs {
            assert_eq!(r["recipientAccountId"], acct);
            assert_eq!(r["awsRegion"], region);
            assert_eq!(r["eventVersion"], "1.08");
            let t = parse_start(r["eventTime"].as_str().unwrap()).unwrap();
            assert!(
                t >= hi - 1800 && t < hi,
                "{} not in the window ending {stamp}",
                r["eventTime"]
            );
            assert!(t >= last, "records are time-ordered");
            last = t;
        }
    }
    assert_eq!(days.len(), 2, "the set spans midnight: {days:?}");
}

fn scenario_events(d: Detection) -> u64 {
    scenarios::for_detection(d)
        .iter()
        .map(|s| s.events.len() as u64)
        .sum()
}

#[test]
fn ip_pool_gives_many_source_addresses_and_keeps_scenarios() {
    let d = tempfile::tempdir().unwrap();
    let mut s = spec(4, 20_000);
    s.ip_pool = 1 << 30;
    write_ndjson(&s, Format::CloudTrail, &d.path().join("pool.ndjson")).unwrap();
    let text = fs::read_to_string(d.path().join("pool.ndjson")).unwrap();
    let recs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recs.len() as u64, 20_000 + scenario_events(Detection::CloudTrail));
    let ips: std::collections::BTreeSet<&str> =
        recs.iter().filter_map(|r| r["sourceIPAddress"].as_str()).collect();
    // 9 in 10 of most background calls draw from the pool: far more addresses than principals.
    assert!(ips.len() > 10_000, "{} distinct sourceIPAddress", ips.len());
    // Scenario events keep their own addresses.
    for sc in scenarios::cloudtrail() {
        let mine: Vec<&Value> =
            recs.iter().filter(|r| r["userIdentity"]["arn"] == sc.principal.arn.as_str()).collect();
        assert_eq!(mine.len(), sc.events.len(), "{}", sc.id);
        for (r, e) in mine.iter().zip(&sc.events) {
            assert_eq!(r["sourceIPAddress"], e.ip, "{}", sc.id);
        }
    }
}

#[test]
fn cloudtrail_scenario_counts() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(5, 300);
    let stats = write_s3(&s, d.path(), true).unwrap();
    let recs = records_of(d.path());
    let want = scenario_events(Detection::CloudTrail);
    assert_eq!(stats.scenario_records, want);
    assert_eq!(recs.len() as u64, 300 + want);
    let base = s.base_hour();
    for sc in scenarios::cloudtrail() {
        let arn = &sc.principal.arn;
        let mine: Vec<&Value> = recs
            .iter()
            .filter(|r| r["userIdentity"]["arn"] == arn.as_str())
            .collect();
        assert_eq!(mine.len(), sc.events.len(), "{}", sc.id);
        for (r, e) in mine.iter().zip(&sc.events) {
            assert_eq!(r["eventName"], e.api, "{}", sc.id);
            assert_eq!(r["sourceIPAddress"], e.ip);
            assert_eq!(r["userAgent"].as_str(), e.agent, "{}", sc.id);
            let t = parse_start(r["eventTime"].as_str().unwrap()).unwrap();
            assert_eq!(t, base + e.hour * 3600 + e.min * 60 + e.sec);
            if e.code.is_empty() {
                assert!(r.get("errorCode").is_none());
            } else {
                assert_eq!(r["errorCode"], e.code);
                assert!(r["errorMessage"].is_string());
            }
        }
    }
    // No scenario without --scenarios.
    let d2 = tempfile::tempdir().unwrap();
    let mut plain = spec(5, 300);
    plain.scenarios = false;
    assert_eq!(
        records_of({
            write_s3(&plain, d2.path(), true).unwrap();
            d2.path()
        })
        .len(),
        300
    );
}

#[test]
fn ocsf_shape_and_scenario_counts() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(9, 200);
    let path = d.path().join("asl.ndjson");
    write_ndjson(&s, Format::Ocsf, &path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len() as u64, 200 + scenario_events(Detection::Asl));
    for r in &recs {
        assert_eq!(r["class_uid"], 6003);
        assert_eq!(r["category_uid"], 6);
        assert_eq!(r["cloud"]["provider"], "AWS");
        assert_eq!(r["metadata"]["version"], "1.1.0");
        let t = r["time"].as_i64().unwrap();
        assert_eq!(t % 1000, 0, "epoch milliseconds");
        assert_eq!(
            r["type_uid"].as_i64().unwrap(),
            600300 + r["activity_id"].as_i64().unwrap()
        );
        assert!(r["actor"]["user"]["type"].is_string());
    }
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for sc in scenarios::asl() {
        *want.entry(sc.principal.arn.clone()).or_default() += sc.events.len();
    }
    for (arn, n) in want {
        let got = recs
            .iter()
            .filter(|r| r["actor"]["user"]["uid"] == arn.as_str())
            .count();
        assert_eq!(got, n, "{arn}");
    }
}

#[test]
fn scenarios_need_enough_hours() {
    let mut s = spec(1, 10);
    s.hours = 4;
    assert!(s.validate().is_err());
    s.hours = 5;
    assert!(s.validate().is_ok());
    s.start += 1; // base hour moves to 22:00, 5 hours no longer fit
    assert!(s.validate().is_err());
}

/// The committed test sets are exactly what the documented commands produce.
#[test]
fn committed_testdata_is_reproducible() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let ct = root.join("cloudtrail");
    let asl = root.join("asl/ocsf_api_activity.ndjson");
    if !ct.exists() || !asl.exists() {
        eprintln!("testdata/ not present: skipping the reproduction check");
        return;
    }
    let (cs, os) = testdata_specs();
    let d = tempfile::tempdir().unwrap();
    write_s3(&cs, d.path(), true).unwrap();
    assert_eq!(
        tree(d.path()),
        tree(&ct),
        "testdata/cloudtrail differs from `spelunk-gen cloudtrail` output"
    );
    let out = d.path().join("asl.ndjson");
    write_ndjson(&os, Format::Ocsf, &out).unwrap();
    assert_eq!(
        fs::read(&out).unwrap(),
        fs::read(&asl).unwrap(),
        "testdata/asl differs"
    );
}

/// Mirrors the command lines in testdata/README.md.
fn testdata_specs() -> (Spec, Spec) {
    // spelunk-gen cloudtrail --out testdata/cloudtrail --seed 20240304 --events 400
    //   --start 2024-03-04T21:00:00Z --hours 5 --files-per-hour 2 --scenarios
    let mut c = Spec::new(20240304, 400);
    c.start = parse_start("2024-03-04T21:00:00Z").unwrap();
    c.hours = 5;
    c.files_per_hour = 2;
    c.scenarios = true;
    // spelunk-gen ocsf --out testdata/asl/ocsf_api_activity.ndjson --seed 20240304 --events 70
    //   --start 2024-03-04T21:00:00Z --hours 5 --scenarios
    let mut o = Spec::new(20240304, 70);
    o.start = parse_start("2024-03-04T21:00:00Z").unwrap();
    o.hours = 5;
    o.files_per_hour = 12;
    o.scenarios = true;
    (c, o)
}
