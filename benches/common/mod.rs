//! Helpers shared by the benchmarks: run a process, time it, read its peak memory; summarize samples.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One finished process: wall time and peak resident set size.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    pub max_rss_kib: i64,
}

/// Run `cmd` to completion with stdout and stderr discarded, and measure it. Panics when it fails, since a
/// benchmark of a failing command measures nothing.
pub fn measure(cmd: &mut Command) -> Sample {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage point to valid memory. wait4 reaps it, so the Child handle is
    // forgotten rather than waited on again.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    std::mem::forget(child);
    assert_eq!(rc, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed (status {status})"
    );
    Sample {
        wall,
        max_rss_kib: usage.ru_maxrss,
    }
}

/// The peak RSS of `cmd` in KiB, measured by GNU time (`/usr/bin/time -f %M`): a child spawned from this
/// (larger) benchmark process would report the parent's pages too. `None` without GNU time.
pub fn peak_rss_kib(cmd: &Command) -> Option<i64> {
    if !std::path::Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = tempfile::NamedTempFile::new().ok()?;
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    std::fs::read_to_string(out.path())
        .ok()?
        .trim()
        .lines()
        .last()?
        .parse()
        .ok()
}

/// min / median / max of a list of durations.
pub struct Summary {
    pub min: Duration,
    pub median: Duration,
    pub max: Duration,
}

pub fn summarize(samples: &[Duration]) -> Summary {
    let mut sorted = samples.to_vec();
    sorted.sort();
    Summary {
        min: sorted[0],
        median: sorted[sorted.len() / 2],
        max: sorted[sorted.len() - 1],
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Print one row of a result table.
pub fn row(label: &str, s: &Summary, extra: &str) {
    println!(
        "  {label:<44} min {:>10}  median {:>10}  max {:>10}  {extra}",
        ms(s.min),
        ms(s.median),
        ms(s.max)
    );
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Number of runs: `BENCH_RUNS` or the default.
pub fn runs(default: usize) -> usize {
    std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
