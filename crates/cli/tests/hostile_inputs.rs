//! The run's contract with hostile inputs and outputs: a run that could read nothing fails,
//! `--out` never overwrites one query's results with another's, and never writes where the
//! next run would read it back as events. Files are generated in temporary folders.

use std::path::Path;
use std::process::{Command, Output};

fn spelunk(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spelunk")).current_dir(dir).args(args).output().expect("run spelunk")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// 10. Nothing read.

#[test]
fn a_run_that_reads_nothing_fails_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("empty")).expect("mkdir");
    std::fs::write(d.join("corrupt.json.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).expect("write");
    std::fs::create_dir_all(d.join("notes")).expect("mkdir");
    std::fs::write(d.join("notes/README.md"), "# not logs\n").expect("write");
    for data in ["empty", "corrupt.json.gz", "notes"] {
        let o = spelunk(d, &["run", "-e", "* | stats count", "--data", data, "-q"]);
        assert_eq!(o.status.code(), Some(2), "{data}: {}", stderr(&o));
        assert!(stderr(&o).contains("no events read"), "{data}: {}", stderr(&o));
    }
    // records exist but the prefilter ruled every one out: a real empty answer, exit 0
    std::fs::write(d.join("one.json"), "{\"eventName\":\"ListBuckets\"}\n").expect("write");
    let o = spelunk(d, &["run", "-e", "eventName=DeleteBucket | stats count", "--data", "one.json", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// 7. Output safety.

#[test]
fn out_never_overwrites_another_querys_results() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("ev.json"), "{\"eventName\":\"ListBuckets\"}\n").expect("write");
    for (sub, q) in [("a", "* | stats count as a"), ("b", "* | stats count as b")] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        std::fs::write(d.join(sub).join("same.spl"), q).expect("write");
    }
    std::fs::create_dir_all(d.join("out")).expect("mkdir");
    let o = spelunk(d, &["run", "a/same.spl", "b/same.spl", "--data", "ev.json", "--out", "out/r.csv", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut written: Vec<String> = std::fs::read_dir(d.join("out")).expect("out").map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read")).collect();
    written.sort();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written[0].starts_with("a\n") && written[1].starts_with("b\n"), "{written:?}");
}

#[test]
fn out_inside_a_data_folder_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).expect("mkdir");
    std::fs::write(d.join("logs/ev.json"), "{\"eventName\":\"ListBuckets\"}\n").expect("write");
    let o = spelunk(d, &["run", "-e", "* | stats count", "--data", "logs", "--out", "logs/results.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("inside --data"), "{}", stderr(&o));
    assert!(!d.join("logs/results.json").exists());
}
