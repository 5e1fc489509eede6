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

use common::{row, runs, summarize};
use mcp_accounts::oauth::discovery::{Discovery, DiscoveryMode, legacy_default_metadata};
use mcp_accounts::secret::Secret;
use mcp_accounts::store::kv::to_json;
use mcp_accounts::store::{
    ClientRegistration, ClientSource, KvStore, OpenMode, ServerRecord, SqliteKv, StoredToken, Write, client_key,
    metadata_key, server_key, token_key,
};
use portable_pty::CommandBuilder;
use support::{auth_server, pty};

const ACCOUNTS: usize = 1000;
const IN_FLIGHT: usize = 200;
const SERVER_LATENCY: Duration = Duration::from_secs(5);

/// 1,000 accounts; the first 200 logged in at the slow server, with metadata and registration stored, so a
/// refresh is one token request that takes 5 s.
fn fill(path: &Path, base: &str) {
    let kv = SqliteKv::open(path, OpenMode::ReadWrite).unwrap();
    let now = mcp_accounts::clock::unix_now();
    let slow = url::Url::parse(&format!("{base}/mcp")).unwrap();
    let metadata = legacy_default_metadata(&slow);
    let mut writes = Vec::new();
    for i in 0..ACCOUNTS {
        let name = format!("server-{i:04}");
        let logged_in = i < IN_FLIGHT;
        let url = if logged_in {
            slow.to_string()
        } else {
            format!("https://mcp{i}.example.com/mcp")
        };
        let server = ServerRecord {
            url: url.clone(),
            client_id: None,
            client_secret_env: None,
            scopes: vec![],
            callback_port: None,
            added_at: now,
        };
        writes.push(Write::Set(server_key(&name), to_json("s", &server).unwrap()));
        if !logged_in {
            continue;
        }
        let token = StoredToken {
            access_token: Secret::new(format!("at-{i}")),
            refresh_token: Some(Secret::new(format!("rt-{i}"))),
            token_type: "Bearer".into(),
            scopes: vec!["mcp:tools".into()],
            expires_at: Some(now + 3600),
            issuer: metadata.issuer.clone(),
            resource: url.clone(),
            obtained_at: now,
            last_refresh: None,
        };
        let client = ClientRegistration {
            client_id: format!("client-{i}"),
            client_secret: None,
            client_secret_expires_at: None,
            client_id_issued_at: None,
            token_endpoint_auth_method: Some("none".into()),
            issuer: Some(metadata.issuer.clone()),
            redirect_uri: "http://127.0.0.1:1/callback".into(),
            registered_at: now,
            source: ClientSource::Dynamic,
            registration_response: None,
        };
        let discovery = Discovery {
            server_url: url.clone(),
            resource: url.clone(),
            mode: DiscoveryMode::LegacyDefaults,
            probe_status: Some(401),
            challenge: None,
            protected_resource_url: None,
            protected_resource: None,
            authorization_server_url: None,
            authorization_server: metadata.clone(),
            attempts: vec![],
            discovered_at: now,
        };
        writes.push(Write::Set(token_key(&name), to_json("t", &token).unwrap()));
        writes.push(Write::Set(client_key(&name), to_json("c", &client).unwrap()));
        writes.push(Write::Set(metadata_key(&name), to_json("m", &discovery).unwrap()));
    }
    kv.apply(&writes).unwrap();
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
        until(&pty, "the list", |s| s.contains(&format!("Servers ({ACCOUNTS})")));
        full.push(started.elapsed());
        pty.send("q");
        pty.wait_exit(Duration::from_secs(5));
    }
    println!("5. TUI start with {ACCOUNTS} accounts (goal: first frame within 50 ms)");
    row("first frame", &summarize(&first), "");
    row("first frame showing the whole list", &summarize(&full), "");

    let mut pty = start(&db);
    until(&pty, "the list", |s| s.contains(&format!("Servers ({ACCOUNTS})")));
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
