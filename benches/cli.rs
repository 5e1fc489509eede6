//! Headless command benchmarks against the floor: the same SQLite file read by the `sqlite3` shell.
//!
//! 1. `list --json` over 1,000 accounts vs `sqlite3 -json DB "select key, value from kv"` (goal ≤ 1.5×,
//!    peak RSS ≤ 12 MB).
//! 2. `token NAME` with a valid token vs `sqlite3 DB "select value from kv where key = …"` (goal ≤ 2×).
//!
//! Runs alternate between the two commands so that machine noise hits both alike. Run with
//! `cargo bench --bench cli` (BENCH_RUNS=N to change the number of runs).

mod common;

use std::path::Path;
use std::process::Command;

use common::{Fixture, FixtureLogin, have, measure, peak_rss_kib, row, runs, summarize, write_fixtures};

const ACCOUNTS: usize = 1000;

/// A database like a heavy user's: 1,000 servers, each logged in with a token and a registration.
fn fill(path: &Path) {
    write_fixtures(
        path,
        (0..ACCOUNTS).map(|i| Fixture {
            name: format!("server-{i:04}"),
            url: format!("https://mcp{i}.example.com/v1/mcp"),
            login: Some(FixtureLogin {
                access: format!("at-{i}-{}", "x".repeat(600)),
                refresh: format!("rt-{i}-{}", "y".repeat(64)),
                client_id: format!("client-{i}-abcdef0123456789"),
                issuer: format!("https://auth{i}.example.com"),
                expires_in: 3600 + i as i64,
                metadata: None,
            }),
        }),
    );
}

fn compare(
    label_ours: &str,
    ours: &mut dyn FnMut() -> Command,
    label_floor: &str,
    floor: &mut dyn FnMut() -> Command,
    n: usize,
    goal: f64,
) {
    // One warm-up run each: page cache, dynamic loader.
    measure(&mut ours());
    measure(&mut floor());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..n {
        a.push(measure(&mut ours()).wall);
        b.push(measure(&mut floor()).wall);
    }
    let (sa, sb) = (summarize(&a), summarize(&b));
    let rss = |cmd: Command| match peak_rss_kib(&cmd) {
        Some(kib) => format!("peak RSS {:.1} MB", kib as f64 / 1024.0),
        None => "peak RSS: needs GNU time".to_owned(),
    };
    row(label_ours, &sa, &rss(ours()));
    row(label_floor, &sb, &rss(floor()));
    let ratio = sa.median.as_secs_f64() / sb.median.as_secs_f64();
    println!(
        "  ratio of medians: {ratio:.2}x (goal <= {goal}x) {}\n",
        if ratio <= goal { "met" } else { "MISSED" }
    );
}

fn main() {
    if !have("sqlite3") {
        println!("skipped: the sqlite3 shell is not installed (Debian package sqlite3)");
        return;
    }
    let n = runs(40);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("accounts.db");
    fill(&db);
    let bin = env!("CARGO_BIN_EXE_mcp-accounts");
    println!(
        "{ACCOUNTS} accounts, {n} runs each, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    println!("1. list --json over {ACCOUNTS} accounts");
    compare(
        "mcp-accounts list --json",
        &mut || {
            let mut c = Command::new(bin);
            c.arg("--db").arg(&db).args(["list", "--json"]);
            c
        },
        "sqlite3 -json DB 'select key, value from kv'",
        &mut || {
            let mut c = Command::new("sqlite3");
            c.arg("-json").arg(&db).arg("select key, value from kv");
            c
        },
        n,
        1.5,
    );

    println!("2. token NAME with a valid token");
    compare(
        "mcp-accounts token server-0500",
        &mut || {
            let mut c = Command::new(bin);
            c.arg("--db").arg(&db).args(["token", "server-0500"]);
            c
        },
        "sqlite3 DB 'select value ... where key = ...'",
        &mut || {
            let mut c = Command::new("sqlite3");
            c.arg(&db)
                .arg("select value from kv where key = 'oauth_token:server-0500'");
            c
        },
        n,
        2.0,
    );
}
