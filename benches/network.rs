//! Network benchmarks, each against a baseline run in the same invocation:
//!
//! 3. A complete first headless login (probe, discovery, registration, browser, token) with the scripted
//!    browser, against the test authorization server and against the MCP TypeScript SDK's example server:
//!    wall time of the whole `mcp-accounts login` process and the requests it made (goal: 5), next to the
//!    MCP Python SDK's own OAuth client (`OAuthClientProvider`, PyPI `mcp`) doing the same login with the
//!    same browser (goal: mcp-accounts at least 10x faster).
//! 4. `refresh --all` over 200 accounts with 100 ms of server latency per request (goal: under 1 s), next to
//!    the floor: 200 bare token POSTs with the same concurrency (`curl --parallel`).
//!
//! Run with `cargo bench --bench network` (BENCH_RUNS=N). The first run makes a Python venv under
//! target/bench-venv with the pinned `mcp` package, and runs `npm ci` in tests/interop.

mod common;

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Fixture, FixtureLogin, have, ms, row, runs, summarize, write_fixtures};
use mcp_accounts::oauth::discovery::legacy_default_metadata;
use support::auth_server::{Options, TestServer};
use support::bin::{Run, Sandbox};

/// The Python SDK version measured.
const PYTHON_MCP: &str = "mcp==2.3.0";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A venv with the MCP Python SDK, made once under target/.
fn python_sdk() -> Option<PathBuf> {
    let venv = root().join("target/bench-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import mcp.client.auth"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        println!("   (setting up target/bench-venv with {PYTHON_MCP})");
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .ok()?
            .success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", PYTHON_MCP])
                .status()
                .ok()?
                .success();
        if !made {
            return None;
        }
    }
    Some(python)
}

/// The scripted browser, started the fastest way this machine allows: its shebang's `python3` may be a
/// version manager's shim that takes 100 ms before Python even starts, which both clients would pay and
/// which says nothing about either. The same browser serves both clients.
fn fast_browser(dir: &Path) -> PathBuf {
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned());
    let wrapper = dir.join("browser");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec '{python}' -S '{}' \"$@\"\n",
            support::scripted_browser().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// One first login by mcp-accounts into a fresh database: (wall time, requests made).
fn our_login(browser: &Path, url: &str) -> (Duration, usize) {
    let sb = Sandbox::new();
    sb.ok(&["add", "bench", url]);
    let mut cmd = sb.cmd_browser(&["login", "bench", "--timeout", "30"], "normal");
    cmd.env("MCP_ACCOUNTS_TRACE_HTTP", "1").env("BROWSER", browser);
    let started = Instant::now();
    let run = Run::from(cmd.output().unwrap());
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{run}");
    (elapsed, run.stderr.lines().filter(|l| l.starts_with("http: ")).count())
}

/// One first login by the Python SDK: (wall time, requests made for the login).
fn python_login(python: &Path, browser: &Path, url: &str) -> (Duration, usize) {
    let started = Instant::now();
    let output = Command::new(python)
        .arg(root().join("benches/py_oauth_login.py"))
        .arg(url)
        .env("BROWSER", browser)
        .env("SCRIPTED_BROWSER_MODE", "normal")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "the Python SDK login failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(report["token"], true, "{report}");
    (elapsed, report["login_requests"].as_u64().unwrap_or(0) as usize)
}

fn compare_logins(label: &str, url: &str, python: Option<&Path>, browser: &Path, n: usize) {
    println!("3. first login against {label}");
    our_login(browser, url);
    if let Some(python) = python {
        python_login(python, browser, url);
    }
    let (mut ours, mut theirs, mut our_requests, mut their_requests) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..n {
        let (t, r) = our_login(browser, url);
        ours.push(t);
        our_requests = r;
        if let Some(python) = python {
            let (t, r) = python_login(python, browser, url);
            theirs.push(t);
            their_requests = r;
        }
    }
    let s = summarize(&ours);
    row(
        "mcp-accounts login (whole process)",
        &s,
        &format!("{our_requests} requests (goal 5)"),
    );
    if !theirs.is_empty() {
        let p = summarize(&theirs);
        row(
            "MCP Python SDK OAuthClientProvider",
            &p,
            &format!("{their_requests} requests"),
        );
        let ratio = p.median.as_secs_f64() / s.median.as_secs_f64();
        println!(
            "  mcp-accounts is {ratio:.1}x faster (goal >= 10x) {}",
            if ratio >= 10.0 { "met" } else { "MISSED" }
        );
    }
    println!();
}

/// 200 accounts logged in at `server` (grants minted directly), metadata and registration stored.
fn fill_refresh_db(path: &Path, server: &TestServer, accounts: usize) {
    let url = url::Url::parse(&server.mcp_url()).unwrap();
    let mut metadata = legacy_default_metadata(&url);
    metadata.issuer = server.issuer();
    metadata.token_endpoint = format!("{}/token", server.base());
    write_fixtures(
        path,
        (0..accounts).map(|i| {
            let (client_id, access, refresh) = server.mint_grant("http://127.0.0.1:33418/callback");
            Fixture {
                name: format!("account-{i:03}"),
                url: url.to_string(),
                login: Some(FixtureLogin {
                    access,
                    refresh,
                    client_id,
                    issuer: metadata.issuer.clone(),
                    expires_in: 3600,
                    metadata: Some(metadata.clone()),
                }),
            }
        }),
    );
}

fn refresh_all(n: usize) {
    const ACCOUNTS: usize = 200;
    const LATENCY: Duration = Duration::from_millis(100);
    let server = TestServer::start(Options {
        latency: LATENCY,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("accounts.db");
    fill_refresh_db(&db, &server, ACCOUNTS);
    let bin = env!("CARGO_BIN_EXE_mcp-accounts");
    let token_url = format!("{}/token", server.base());
    let curl = have("curl");
    println!(
        "4. refresh --all over {ACCOUNTS} accounts, {} ms server latency per request",
        LATENCY.as_millis()
    );
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let started = Instant::now();
        let run = Run::from(
            Command::new(bin)
                .arg("--db")
                .arg(&db)
                .args(["refresh", "--all"])
                .output()
                .unwrap(),
        );
        ours.push(started.elapsed());
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(
            run.stdout.lines().filter(|l| l.starts_with("refreshed ")).count(),
            ACCOUNTS
        );
        if curl {
            // The floor: the same 200 POSTs, 64 at a time, by a client that does nothing else.
            let mut cmd = Command::new("curl");
            cmd.args(["--silent", "--output", "/dev/null", "--parallel", "--parallel-max"])
                .arg(mcp_accounts::session::DEFAULT_REFRESH_CONCURRENCY.to_string());
            for _ in 0..ACCOUNTS {
                cmd.args([
                    "-X",
                    "POST",
                    "--data",
                    "grant_type=refresh_token&refresh_token=x",
                    &token_url,
                ]);
            }
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let started = Instant::now();
            assert!(cmd.status().unwrap().success());
            floor.push(started.elapsed());
        }
    }
    let s = summarize(&ours);
    row(
        "mcp-accounts refresh --all",
        &s,
        &format!(
            "(goal < 1 s) {}",
            if s.median < Duration::from_secs(1) {
                "met"
            } else {
                "MISSED"
            }
        ),
    );
    if !floor.is_empty() {
        let f = summarize(&floor);
        row("curl --parallel: 200 bare token POSTs", &f, "");
        println!(
            "  ratio of medians: {:.2}x the floor",
            s.median.as_secs_f64() / f.median.as_secs_f64()
        );
    }
    println!(
        "  the server saw {} refreshes; one refresh takes at least {}",
        server.refreshes(),
        ms(LATENCY)
    );
    println!();
}

fn main() {
    let n = runs(5);
    println!(
        "{n} runs each, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let python = python_sdk();
    if python.is_none() {
        println!("   (no Python SDK: python3 -m venv or pip failed; its column is left out)");
    }
    let scratch = tempfile::tempdir().unwrap();
    let browser = fast_browser(scratch.path());
    let started = Instant::now();
    // Port 9 refuses: the browser starts, tries once and exits; this is its own cost in every login.
    let _ = Command::new(&browser)
        .arg("http://127.0.0.1:9/")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    println!(
        "   the scripted browser alone (start, one refused request, exit): {}",
        ms(started.elapsed())
    );
    let server = TestServer::start(Options::default());
    compare_logins(
        "the test authorization server",
        &server.mcp_url(),
        python.as_deref(),
        &browser,
        n,
    );

    if support::ts_sdk::have("node") {
        let dir = support::ts_sdk::interop_dir();
        support::ts_sdk::install_packages(&dir);
        // Its registration endpoint allows 20 registrations per hour per server process.
        let example = support::ts_sdk::ExampleServer::start(&dir);
        compare_logins(
            "the MCP TypeScript SDK example server",
            &example.mcp_url("localhost"),
            python.as_deref(),
            &browser,
            n.min(8),
        );
    } else {
        println!("3. (node is not installed: the TypeScript SDK example server is left out)\n");
    }

    refresh_all(n);
}
