//! Running a child process and measuring it: wall time (monotonic clock, spawn to reap) and
//! peak RSS from the kernel's rusage of exactly that child (`wait4(2)`, `ru_maxrss`). No
//! `/usr/bin/time` needed. For a shell pipeline the rusage covers the shell and the children
//! it waited for (the maximum over them for RSS).

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set size in bytes.
    pub max_rss: u64,
    pub user: Duration,
    pub sys: Duration,
    /// Exit code; None when killed by a signal.
    pub code: Option<i32>,
}

impl Measured {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs `cmd` with stdout and stderr written to the given files (stdin closed) and waits for it
/// with `wait4`.
pub fn run(mut cmd: Command, stdout: &Path, stderr: &Path) -> Result<Measured, String> {
    let out = File::create(stdout).map_err(|e| format!("{}: {e}", stdout.display()))?;
    let err = File::create(stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child `pid`.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    let wall = started.elapsed();
    // The child is reaped; std's handle must not wait again (dropping it does not).
    drop(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Measured {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss: ru.ru_maxrss as u64 * 1024,
        user: tv(ru.ru_utime),
        sys: tv(ru.ru_stime),
        code,
    })
}

/// The median of some measurements by wall time (the lower middle one for an even count).
pub fn median(mut v: Vec<Measured>) -> Measured {
    assert!(!v.is_empty());
    v.sort_by_key(|m| m.wall);
    v[(v.len() - 1) / 2].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(ms: u64) -> Measured {
        Measured {
            wall: Duration::from_millis(ms),
            max_rss: ms,
            user: Duration::ZERO,
            sys: Duration::ZERO,
            code: Some(0),
        }
    }

    #[test]
    fn median_by_wall() {
        assert_eq!(median(vec![m(3), m(1), m(2)]).wall, Duration::from_millis(2));
        assert_eq!(median(vec![m(4), m(1)]).wall, Duration::from_millis(1));
        assert_eq!(median(vec![m(7)]).max_rss, 7);
    }

    #[test]
    fn measures_a_child() {
        let dir = std::env::temp_dir();
        let o = dir.join(format!("spelunk-bench-test-{}.out", std::process::id()));
        let e = dir.join(format!("spelunk-bench-test-{}.err", std::process::id()));
        let mut c = Command::new("sh");
        c.args(["-c", "echo hi; exit 3"]);
        let r = run(c, &o, &e).unwrap();
        assert_eq!(r.code, Some(3));
        assert!(r.max_rss > 0);
        assert_eq!(std::fs::read_to_string(&o).unwrap(), "hi\n");
        let _ = std::fs::remove_file(o);
        let _ = std::fs::remove_file(e);
    }
}
