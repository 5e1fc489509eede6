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

/// One account for a benchmark database.
pub struct Fixture {
    pub name: String,
    pub url: String,
    pub login: Option<FixtureLogin>,
}

/// The stored state of a logged-in account.
pub struct FixtureLogin {
    pub access: String,
    pub refresh: String,
    pub client_id: String,
    pub issuer: String,
    pub expires_in: i64,
    /// Also store discovered metadata (what a refresh needs) with these endpoints.
    pub metadata: Option<mcp_accounts::oauth::ServerMetadata>,
}

/// Write the accounts into a new database at `path`, in one transaction.
pub fn write_fixtures(path: &std::path::Path, fixtures: impl IntoIterator<Item = Fixture>) {
    use mcp_accounts::oauth::{ClientRegistration, ClientSource, Discovery, DiscoveryMode};
    use mcp_accounts::secret::Secret;
    use mcp_accounts::store::kv::to_json;
    use mcp_accounts::store::{
        KvStore, OpenMode, ServerRecord, SqliteKv, StoredToken, Write, client_key, metadata_key, server_key, token_key,
    };
    let kv = SqliteKv::open(path, OpenMode::ReadWrite).unwrap();
    let now = mcp_accounts::clock::unix_now();
    let mut writes = Vec::new();
    let mut set = |key: String, json: String| writes.push(Write::Set(key, json));
    for f in fixtures {
        let server = ServerRecord {
            url: f.url.clone(),
            client_id: None,
            client_secret_env: None,
            scopes: vec![],
            callback_port: None,
            client_metadata_url: None,
            added_at: now,
        };
        set(server_key(&f.name), to_json("server", &server).unwrap());
        let Some(login) = f.login else { continue };
        let token = StoredToken {
            access_token: Secret::new(login.access),
            refresh_token: Some(Secret::new(login.refresh)),
            token_type: "Bearer".into(),
            scopes: vec!["mcp:tools".into(), "files:read".into()],
            requested_scopes: vec![],
            expires_at: Some(now + login.expires_in),
            issuer: login.issuer.clone(),
            resource: f.url.clone(),
            obtained_at: now,
            last_refresh: None,
            generation: 0,
            identity: None,
        };
        let client = ClientRegistration {
            client_id: login.client_id.clone(),
            client_secret: None,
            client_secret_expires_at: None,
            client_id_issued_at: Some(now),
            token_endpoint_auth_method: Some("none".into()),
            issuer: Some(login.issuer.clone()),
            redirect_uri: "http://127.0.0.1:33418/callback".into(),
            registered_at: now,
            source: ClientSource::Dynamic,
            registration_response: Some(
                serde_json::json!({"client_id": login.client_id, "client_name": "mcp-accounts"}).into(),
            ),
        };
        set(token_key(&f.name), to_json("token", &token).unwrap());
        set(client_key(&f.name), to_json("client", &client).unwrap());
        if let Some(metadata) = login.metadata {
            let discovery = Discovery {
                server_url: f.url.clone(),
                resource: f.url.clone(),
                mode: DiscoveryMode::ProtectedResource,
                probe_status: Some(401),
                challenge: None,
                protected_resource_url: None,
                protected_resource: None,
                authorization_server_url: None,
                authorization_server: metadata,
                attempts: vec![],
                discovered_at: now,
            };
            set(metadata_key(&f.name), to_json("metadata", &discovery).unwrap());
        }
    }
    kv.apply(&writes).unwrap();
}
