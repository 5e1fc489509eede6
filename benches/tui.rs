//! TUI responsiveness with 1,000 accounts, the real binary in a pseudo-terminal:
//!
//! - time from start to the first frame, and to the first frame that shows the whole list;
//! - key-to-redraw latency (`j` moves the selection; the detail pane's title changes) while 200 refreshes
//!   are in flight against a server that takes 5 s to answer each.
//!
//! Run with `cargo bench --bench tui` (BENCH_RUNS=N sets the number of key presses and starts).

mod common;

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Fixture, FixtureLogin, row, runs, summarize, write_fixtures};
use mcp_accounts::oauth::discovery::legacy_default_metadata;
use portable_pty::CommandBuilder;
use support::{auth_server, pty};

const ACCOUNTS: usize = 1000;
const IN_FLIGHT: usize = 200;
const SERVER_LATENCY: Duration = Duration::from_secs(5);

/// 1,000 accounts; the first 200 logged in at the slow server, with metadata and registration stored, so a
/// refresh is one token request that takes 5 s.
fn fill(path: &Path, base: &str) {
    let slow = url::Url::parse(&format!("{base}/mcp")).unwrap();
    let metadata = legacy_default_metadata(&slow);
    write_fixtures(
        path,
        (0..ACCOUNTS).map(|i| {
            let logged_in = i < IN_FLIGHT;
            Fixture {
                name: format!("server-{i:04}"),
                url: if logged_in {
                    slow.to_string()
                } else {
                    format!("https://mcp{i}.example.com/mcp")
                },
                login: logged_in.then(|| FixtureLogin {
                    access: format!("at-{i}"),
                    refresh: format!("rt-{i}"),
                    client_id: format!("client-{i}"),
                    issuer: metadata.issuer.clone(),
                    expires_in: 3600,
                    metadata: Some(metadata.clone()),
                }),
            }
        }),
    );
}

fn start(db: &Path) -> pty::Pty {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_mcp-accounts"));
    cmd.arg("--db");
    cmd.arg(db);
    cmd.env("TERM", "xterm-256color");
    pty::Pty::spawn(cmd, 30, 100)
}

/// Poll the screen every 0.2 ms until `check` holds; the time it took.
fn until(pty: &pty::Pty, what: &str, check: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check(&pty.contents()) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited 20 s for {what}:\n{}",
            pty.contents()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn main() {
    let n = runs(30);
    let server = auth_server::TestServer::start(auth_server::Options {
        latency: SERVER_LATENCY,
        ..auth_server::Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("accounts.db");
    fill(&db, &server.base());
    println!(
        "{ACCOUNTS} accounts, {} cores, release binary in a 100x30 pseudo-terminal",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (mut first, mut full) = (Vec::new(), Vec::new());
    for _ in 0..n.min(10) {
        let started = Instant::now();
        let mut pty = start(&db);
        until(&pty, "a first frame", |s| s.contains("Activity"));
        first.push(started.elapsed());
        until(&pty, "the list", |s| s.contains(&format!("Servers [1/{ACCOUNTS}]")));
        full.push(started.elapsed());
        pty.send("q");
        pty.wait_exit(Duration::from_secs(5));
    }
    println!("5. TUI start with {ACCOUNTS} accounts (goal: first frame within 50 ms)");
    row("first frame", &summarize(&first), "");
    row("first frame showing the whole list", &summarize(&full), "");

    let mut pty = start(&db);
    until(&pty, "the list", |s| s.contains(&format!("Servers [1/{ACCOUNTS}]")));
    pty.send("R");
    until(&pty, "the refreshes to start", |s| {
        s.contains(&format!("refreshing {IN_FLIGHT} accounts"))
    });
    let refresh_started = Instant::now();
    let mut latencies = Vec::new();
    for i in 0..n.min(IN_FLIGHT - 1) {
        let next = format!("╭ server-{:04}", i + 1);
        let sent = Instant::now();
        pty.send("j");
        until(&pty, &next, |s| s.contains(&next));
        latencies.push(sent.elapsed());
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!("press {i}: {:?}", sent.elapsed());
        }
    }
    let still_busy = pty.contents().matches("◐").count()
        + pty.contents().matches("◓").count()
        + pty.contents().matches("◑").count()
        + pty.contents().matches("◒").count();
    assert!(
        refresh_started.elapsed() < SERVER_LATENCY,
        "the key presses took longer than the refreshes stay in flight"
    );
    println!(
        "   key press to redraw with {IN_FLIGHT} refreshes in flight ({still_busy} busy rows on screen at the end)"
    );
    row(
        "j moves the selection and redraws",
        &summarize(&latencies),
        "(one frame at 60 Hz: 16.7 ms)",
    );
    pty.send("q");
    pty.wait_exit(Duration::from_secs(10));
}
