//! 6. `mcp-accounts proxy` next to mcp-remote 0.15.1 (pinned in benches/mcp-remote; `npm ci` on the first
//!    run), both bridging stdio to the test server's MCP endpoint with a token that is already there (ours
//!    from the store; mcp-remote's as an `Authorization` header, so neither logs in):
//!    - start to the first answered `initialize`, and the peak RSS of the bridge process (VmHWM from
//!      /proc while it runs); goal ≤ 50 ms and ≤ 15 MB;
//!    - the latency each bridge adds to a `tools/call` over loopback, against calling the server directly
//!      with a keep-alive HTTP client (median of the sequential calls); goal ≤ 1 ms;
//!    - 1,000 sequential `tools/call` through the bridge against the same done directly; goal ≤ 1.1×;
//!      against a server that answers at once (where the bridge's pipe hop is most of the time) and
//!      against one that works 1 ms per request.
//!
//! mcp-remote runs as `node …/mcp-remote/dist/proxy.js` (no `npx` in front, which would add its own start).
//! Run with `cargo bench --bench proxy` (BENCH_RUNS=N, BENCH_CALLS=N).

mod common;

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ms, row, runs, summarize};
use support::auth_server::{Options, TestServer};
use support::bin::Sandbox;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

fn call(id: usize) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"hi"}}}}}}"#
    )
}

/// A bridge process spoken to over its stdin and stdout.
struct Bridge {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Bridge {
    fn start(mut cmd: Command) -> Bridge {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the bridge starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Bridge { child, stdin, stdout }
    }

    /// Send a request and read lines until its answer (by id).
    fn request(&mut self, line: &str, id: usize) -> Duration {
        let started = Instant::now();
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let wanted = format!("\"id\":{id}");
        loop {
            let mut answer = String::new();
            assert!(
                self.stdout.read_line(&mut answer).unwrap() > 0,
                "the bridge closed its output"
            );
            if answer.contains(&wanted) && !answer.contains("\"method\"") {
                assert!(answer.contains("\"result\""), "an error: {answer}");
                return started.elapsed();
            }
        }
    }

    fn notify(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Peak resident set size so far, in KiB.
    fn peak_rss_kib(&self) -> i64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn close(mut self) {
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mcp_remote() -> Option<PathBuf> {
    if !support::ts_sdk::have("node") {
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/mcp-remote");
    support::ts_sdk::install_packages(&dir);
    Some(dir.join("node_modules/mcp-remote/dist/proxy.js"))
}

/// The direct baseline: the same calls over one keep-alive connection, with the token and session.
fn direct_calls(url: &str, token: &str, n: usize) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let post = |body: String, session: Option<String>| {
            let mut request = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body);
            if let Some(session) = session {
                request = request
                    .header("mcp-session-id", session)
                    .header("mcp-protocol-version", "2025-06-18");
            }
            request.send()
        };
        let init = post(INITIALIZE.to_owned(), None).await.unwrap();
        let session = init
            .headers()
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        init.bytes().await.unwrap();
        post(INITIALIZED.to_owned(), session.clone())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut times = Vec::with_capacity(n);
        for id in 1..=n {
            let started = Instant::now();
            let body = post(call(id), session.clone()).await.unwrap().bytes().await.unwrap();
            assert!(body.windows(8).any(|w| w == b"\"result\""));
            times.push(started.elapsed());
        }
        times
    })
}

/// Start to first answer, and the peak RSS then (KiB), over `runs` starts.
fn starts(runs: usize, command: &dyn Fn() -> Command) -> (Vec<Duration>, Vec<i64>) {
    let (mut times, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let started = Instant::now();
        let mut bridge = Bridge::start(command());
        bridge.request(INITIALIZE, 0);
        times.push(started.elapsed());
        rss.push(bridge.peak_rss_kib());
        bridge.close();
    }
    (times, rss)
}

fn calls(n: usize, command: Command) -> (Vec<Duration>, Duration) {
    let mut bridge = Bridge::start(command);
    bridge.request(INITIALIZE, 0);
    bridge.notify(INITIALIZED);
    let started = Instant::now();
    let times: Vec<Duration> = (1..=n).map(|id| bridge.request(&call(id), id)).collect();
    let total = started.elapsed();
    bridge.close();
    (times, total)
}

fn median(samples: &[Duration]) -> Duration {
    summarize(samples).median
}

fn main() {
    let n = runs(10);
    let n_calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!(
        "{n} starts, {n_calls} sequential calls, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "bench", &server.mcp_url()]);
    assert_eq!(sb.login("bench", "normal").code, 0);
    let token = sb.ok(&["token", "bench"]).stdout.trim().to_owned();
    let url = server.mcp_url();
    let ours = || sb.cmd(&["proxy", "bench", "--no-browser"]);
    let remote = mcp_remote();
    let theirs = |script: &PathBuf| {
        let mut cmd = Command::new("node");
        cmd.arg(script)
            .arg(&url)
            .arg("--header")
            .arg(format!("Authorization:Bearer {token}"));
        cmd.env("MCP_REMOTE_CONFIG_DIR", sb.path("mcp-remote-config"));
        cmd
    };

    println!("\n6a. Start to the first answered initialize (a token already stored), and peak RSS");
    let (times, rss) = starts(n, &ours);
    let peak = rss.iter().max().copied().unwrap_or(0);
    row(
        "mcp-accounts proxy",
        &summarize(&times),
        &format!("peak RSS {:.1} MB", peak as f64 / 1024.0),
    );
    let ours_start = median(&times);
    if let Some(script) = &remote {
        let (times, rss) = starts(n, &|| theirs(script));
        let peak = rss.iter().max().copied().unwrap_or(0);
        row(
            "mcp-remote 0.15.1 (node, no npx)",
            &summarize(&times),
            &format!("peak RSS {:.1} MB", peak as f64 / 1024.0),
        );
        println!(
            "  mcp-accounts is {:.1}x faster to its first answer",
            median(&times).as_secs_f64() / ours_start.as_secs_f64()
        );
    } else {
        println!("  (node is not installed: mcp-remote is left out)");
    }

    compare_calls(
        &format!("6b, 6c. tools/call over loopback, a server that answers at once: {n_calls} calls in a row"),
        &url,
        &token,
        n_calls,
        &ours,
        remote.as_ref().map(theirs),
    );
    drop(server);

    // A server that works 1 ms per request, as a real one does at least: what the bridge's cost is then.
    let slow = TestServer::start(Options {
        latency: Duration::from_millis(1),
        ..Options::default()
    });
    let sb = Sandbox::new();
    sb.ok(&["add", "bench", &slow.mcp_url()]);
    assert_eq!(sb.login("bench", "normal").code, 0);
    let token = sb.ok(&["token", "bench"]).stdout.trim().to_owned();
    let ours = || sb.cmd(&["proxy", "bench", "--no-browser"]);
    compare_calls(
        &format!("6d. the same with 1 ms of server work per request: {n_calls} calls in a row"),
        &slow.mcp_url(),
        &token,
        n_calls,
        &ours,
        None,
    );
}

fn compare_calls(title: &str, url: &str, token: &str, n: usize, ours: &dyn Fn() -> Command, theirs: Option<Command>) {
    println!("\n{title}");
    let direct = direct_calls(url, token, n);
    let direct_total: Duration = direct.iter().sum();
    row(
        "direct (keep-alive HTTP client)",
        &summarize(&direct),
        &format!("total {}", ms(direct_total)),
    );
    let mut through = vec![("through mcp-accounts proxy", ours())];
    if let Some(theirs) = theirs {
        through.push(("through mcp-remote 0.15.1", theirs));
    }
    for (label, command) in through {
        let (times, total) = calls(n, command);
        row(
            label,
            &summarize(&times),
            &format!(
                "total {} = {:.2}x direct; adds {} per call (median)",
                ms(total),
                total.as_secs_f64() / direct_total.as_secs_f64(),
                ms(median(&times).saturating_sub(median(&direct)))
            ),
        );
    }
}
