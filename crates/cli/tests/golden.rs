//! Golden cases: every `tests/golden/**/*.case` file at the repository root is one test.
//!
//! A case file is documentation first. Sections start with `--- <name>`:
//! - leading `#` lines: the rule the case pins and the Splunk documentation page stating it;
//! - `--- events`: NDJSON events, written to a temporary `events.ndjson` (optional);
//! - `--- data`: paths relative to the repository root, one per line (instead of, or besides, events);
//! - `--- query`: the SPL, or `--- query-file` with a path to a `.spl` file;
//! - `--- args`: extra command-line arguments, one per line (e.g. `--sourcetype` / `aws:cloudtrail`);
//! - `--- lookup <file>`: the lines of a lookup file (CSV with a header, or `transforms.conf`),
//!   written as `<file>` into a temporary lookups folder passed as `--lookups` (one section per
//!   file; without any, no `--lookups` is given); subsearches run over the same `--- events`;
//! - `--- expected`: the rows `spelunk run --format ndjson` must print, in order (nothing = no rows);
//!   or `--- error`: a text the error output must contain (the run must fail).
//!
//! `SPELUNK_BLESS=1 cargo test -p spelunk --test golden` rewrites `expected` sections from the
//! current output: review every change before committing it.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

#[derive(Debug, Default)]
struct Case {
    header: Vec<String>,
    sections: Vec<(String, Vec<String>)>,
}

impl Case {
    fn parse(text: &str) -> Case {
        let mut c = Case::default();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("--- ") {
                c.sections.push((name.trim().to_string(), Vec::new()));
            } else if let Some((_, body)) = c.sections.last_mut() {
                body.push(line.to_string());
            } else {
                c.header.push(line.to_string());
            }
        }
        c
    }

    fn section(&self, name: &str) -> Option<&[String]> {
        self.sections.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            out.push_str(h);
            out.push('\n');
        }
        for (n, body) in &self.sections {
            out.push_str(&format!("--- {n}\n"));
            for l in body {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

fn trim_blank(lines: &[String]) -> Vec<String> {
    let mut v: Vec<String> = lines.to_vec();
    while v.last().is_some_and(|l| l.trim().is_empty()) {
        v.pop();
    }
    while v.first().is_some_and(|l| l.trim().is_empty()) {
        v.remove(0);
    }
    v
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let root = repo_root();
    let text = std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let mut case = Case::parse(&text);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spelunk"));
    cmd.current_dir(&root).arg("run").arg("--format").arg("ndjson").arg("--quiet");
    if let Some(events) = case.section("events") {
        let f = dir.path().join("events.ndjson");
        std::fs::write(&f, trim_blank(events).join("\n")).map_err(|e| e.to_string())?;
        cmd.arg("--data").arg(&f);
    }
    if let Some(data) = case.section("data") {
        for d in trim_blank(data) {
            cmd.arg("--data").arg(root.join(d.trim()));
        }
    }
    let lookups: Vec<(&str, &[String])> = case.sections.iter().filter_map(|(n, body)| n.strip_prefix("lookup ").map(|f| (f.trim(), body.as_slice()))).collect();
    if !lookups.is_empty() {
        let ldir = dir.path().join("lookups");
        std::fs::create_dir(&ldir).map_err(|e| e.to_string())?;
        for (file, body) in lookups {
            let mut text = trim_blank(body).join("\n");
            text.push('\n');
            std::fs::write(ldir.join(file), text).map_err(|e| format!("write lookup {file}: {e}"))?;
        }
        cmd.arg("--lookups").arg(&ldir);
    }
    if let Some(q) = case.section("query") {
        cmd.arg("-e").arg(trim_blank(q).join("\n"));
    } else if let Some(q) = case.section("query-file") {
        let f = trim_blank(q).join("");
        cmd.arg(root.join(f.trim()));
    } else {
        return Err("case has no `--- query` or `--- query-file` section".into());
    }
    if let Some(args) = case.section("args") {
        for a in trim_blank(args) {
            cmd.arg(a.trim());
        }
    }
    let out = cmd.output().map_err(|e| format!("run spelunk: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if let Some(want) = case.section("error") {
        let want = trim_blank(want).join("\n");
        if out.status.success() {
            return Err(format!("expected the run to fail with `{want}`, but it succeeded with:\n{stdout}").into());
        }
        if !stderr.contains(&want) {
            return Err(format!("expected the error output to contain `{want}`; it was:\n{stderr}").into());
        }
        return Ok(());
    }
    if !out.status.success() {
        return Err(format!("spelunk failed ({}):\n{stderr}", out.status).into());
    }
    let got: Vec<String> = stdout.lines().map(|l| l.to_string()).collect();
    let want = trim_blank(case.section("expected").unwrap_or(&[]));
    if got != want {
        if std::env::var_os("SPELUNK_BLESS").is_some() {
            if let Some((_, body)) = case.sections.iter_mut().find(|(n, _)| n == "expected") {
                *body = got.clone();
                body.push(String::new());
            } else {
                let mut body = got.clone();
                body.push(String::new());
                case.sections.push(("expected".into(), body));
            }
            std::fs::write(path, case.render()).map_err(|e| e.to_string())?;
            return Ok(());
        }
        return Err(format!("rows differ\n--- expected\n{}\n--- got\n{}\n--- stderr\n{}", want.join("\n"), got.join("\n"), stderr).into());
    }
    Ok(())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "case") {
            out.push(p);
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = repo_root();
    let mut files = Vec::new();
    collect(&root.join("tests/golden"), &mut files);
    let tests = files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(root.join("tests/golden")).unwrap_or(&p).with_extension("").display().to_string();
            Trial::test(name, move || run_case(&p))
        })
        .collect();
    libtest_mimic::run(&args, tests).exit();
}
