//! Reliability: one refresh at a time per account across processes, and crash safety under SIGKILL.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::auth_server::{Options, TestServer};
use crate::support::bin::{Run, Sandbox, read_only_commands};
use mcp_accounts::store::{KvTokenStore, OpenMode, SqliteKv, Store, TokenStore};

fn open(sb: &Sandbox) -> Store {
    KvTokenStore::new(SqliteKv::open(&sb.db, OpenMode::ReadWrite).unwrap())
}

fn now() -> i64 {
    mcp_accounts::clock::unix_now()
}

/// Make the stored access token look expired to the client (the server still knows it).
fn expire_locally(sb: &Sandbox, name: &str) {
    let store = open(sb);
    let mut token = store.get_token(name).unwrap().unwrap();
    token.expires_at = Some(now() - 10);
    store.set_token(name, &token).unwrap();
}

#[test]
fn eight_processes_refresh_an_expired_token_exactly_once() {
    eight_processes_refresh_once(Options::default()); // rotation and reuse detection on
}

/// Single-flight must not depend on the token changing: a server that answers a refresh with the same
/// access token (a new expiry) once made 7 of 8 processes refresh.
#[test]
fn eight_processes_refresh_once_when_the_server_keeps_the_access_token() {
    eight_processes_refresh_once(Options {
        same_access_token_on_refresh: true,
        ..Options::default()
    });
}

fn eight_processes_refresh_once(options: Options) {
    let server = TestServer::start(options);
    let sb = Sandbox::new();
    sb.ok(&["add", "test", &server.mcp_url()]);
    assert_eq!(sb.login("test", "normal").code, 0);
    for round in 1..=5u64 {
        expire_locally(&sb, "test");
        let children: Vec<_> = (0..8)
            .map(|_| {
                sb.cmd(&["token", "test"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| Run::from(c.wait_with_output().unwrap()))
            .collect();
        for run in &runs {
            assert_eq!(run.code, 0, "round {round}: {run}");
        }
        let printed: Vec<&str> = runs.iter().map(|r| r.stdout.trim()).collect();
        assert!(
            printed.iter().all(|t| *t == printed[0]),
            "round {round}: all print the same token: {printed:?}"
        );
        assert_eq!(
            server.refreshes(),
            round,
            "round {round}: the server saw exactly one refresh"
        );
        assert!(
            !server.reuse_detected(),
            "round {round}: no refresh token was used twice"
        );
        let stored = open(&sb).get_token("test").unwrap().unwrap();
        assert_eq!(stored.access_token.expose(), printed[0]);
        assert!(server.accepts(printed[0]));
        let live = server.live_refresh_tokens();
        assert_eq!(live.len(), 1, "one live refresh token: {live:?}");
        assert_eq!(
            stored.refresh_token.unwrap().expose(),
            live[0],
            "the stored refresh token is the newest"
        );
    }
}

/// A small PRNG (xorshift64*): the test needs spread, not quality; the seed is printed to replay a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Refresh,
    Login,
    Logout,
}

#[test]
fn sigkill_at_random_moments_never_loses_or_tears_an_account() {
    const TRIALS: usize = 120;
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: {seed} (CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    sb.ok(&["add", "test", &server.mcp_url()]);
    assert_eq!(sb.login("test", "normal").code, 0);

    let (mut killed_midway, mut finished, mut logged_out, mut grant_lost) = (0, 0, 0, 0);
    let started = Instant::now();
    for trial in 0..TRIALS {
        let before = open(&sb).get_token("test").unwrap();
        let op = match rng.below(10) {
            0..6 => Op::Refresh,
            6..8 => Op::Login,
            _ => Op::Logout,
        };
        let mut cmd = match op {
            Op::Refresh => sb.cmd(&["refresh", "test"]),
            Op::Login => sb.cmd_browser(&["login", "test", "--timeout", "20"], "normal"),
            Op::Logout => sb.cmd(&["logout", "test"]),
        };
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let max_delay = if op == Op::Login { 120 } else { 25 };
        std::thread::sleep(Duration::from_millis(rng.below(max_delay)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.code().is_some() {
            finished += 1;
        } else {
            killed_midway += 1;
        }

        // The file is sound and every record reads back whole.
        let kv = SqliteKv::open(&sb.db, OpenMode::ReadWrite).unwrap();
        assert_eq!(kv.integrity_check().unwrap(), "ok", "trial {trial} ({op:?})");
        let store = KvTokenStore::new(kv);
        let after = store
            .get_token("test")
            .unwrap_or_else(|e| panic!("trial {trial} ({op:?}): torn token: {e}"));
        store
            .get_client("test")
            .unwrap_or_else(|e| panic!("trial {trial}: torn registration: {e}"));
        store
            .get_metadata("test")
            .unwrap_or_else(|e| panic!("trial {trial}: torn metadata: {e}"));
        assert!(
            store.get_server("test").unwrap().is_some(),
            "trial {trial}: the server record survives"
        );

        // Old or new, never neither: a refresh never deletes the token, and what is stored is a token the
        // server really issued (all of it from one response).
        let issued = server.issued_secrets();
        match (&before, &after) {
            (Some(_), None) => assert_eq!(op, Op::Logout, "trial {trial}: {op:?} lost the token"),
            (_, Some(t)) => {
                let unchanged = before.as_ref() == Some(t);
                assert!(
                    unchanged || issued.contains(&t.access_token.expose().to_owned()),
                    "trial {trial}: a token the server never issued"
                );
                if let Some(r) = &t.refresh_token {
                    assert!(
                        issued.contains(&r.expose().to_owned()),
                        "trial {trial}: unknown refresh token"
                    );
                }
            }
            (None, None) => {}
        }

        // Put the account back in working order for the next trial: a kill after the server rotated the
        // refresh token but before the new one was stored leaves a dead grant (the window every rotating
        // client has; the server sees the old token again).
        let live = server.live_refresh_tokens();
        let usable = after.as_ref().is_some_and(|t| {
            t.refresh_token
                .as_ref()
                .is_some_and(|r| live.contains(&r.expose().to_owned()))
        });
        if !usable {
            if after.is_none() {
                logged_out += 1;
            } else {
                grant_lost += 1;
            }
            let _ = sb.run(&["logout", "test", "--local"]);
            let run = sb.login("test", "normal");
            assert_eq!(run.code, 0, "trial {trial}: {run}");
        }
    }
    eprintln!(
        "crash test: {TRIALS} trials in {:?}; {killed_midway} killed midway, {finished} finished first; \
         {logged_out} ended logged out (logout), {grant_lost} with a refresh token the server had already rotated",
        started.elapsed()
    );
    assert!(
        killed_midway >= TRIALS / 4,
        "too few kills landed midway ({killed_midway}) to mean anything"
    );
}

/// Every command, with known secrets in play: no token, refresh token, code, PKCE verifier or client secret
/// appears in any output or error message (`token` prints the access token: that is its job, and it is the
/// only thing it prints).
#[test]
fn no_command_ever_prints_a_secret() {
    use crate::support::auth_server::Hostile;
    let server = TestServer::start(Options {
        issue_client_secret: true,
        send_iss: true,
        ..Options::default()
    });
    let sb = Sandbox::new();
    let mut printed = String::new();
    let mut record = |run: Run| {
        printed.push_str(&run.stdout);
        printed.push_str(&run.stderr);
        run
    };
    let traced = |args: &[&str]| {
        let mut cmd = sb.cmd_browser(args, "normal");
        cmd.env("MCP_ACCOUNTS_TRACE_HTTP", "1");
        Run::from(cmd.output().unwrap())
    };
    record(traced(&["add", "test", &server.mcp_url()]));
    record(traced(&[
        "add",
        "other",
        &server.mcp_url(),
        "--client-id",
        "x",
        "--client-secret-env",
        "OTHER_SECRET",
    ]));
    assert_eq!(record(traced(&["login", "test", "--timeout", "20"])).code, 0);
    for args in read_only_commands("test") {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        record(traced(&args));
    }
    for args in [
        &["discover", "test"][..],
        &["discover", "test", "--json"],
        &["refresh", "test"],
        &["refresh", "--all"],
        &["login", "other", "--no-browser", "--timeout", "1"],
        &["login", "test", "--timeout", "20"],
        &["--help"],
    ] {
        record(traced(args));
    }
    // A token response that puts a secret where it does not belong: the error names the field, not the value.
    server.set_hostile(Some(Hostile::TokenBody(
        r#"{"access_token": ["LEAKED-VALUE-1"], "token_type": 7}"#,
    )));
    let broken = record(traced(&["refresh", "test"]));
    assert_eq!(broken.code, 1);
    server.set_hostile(None);
    let token = traced(&["token", "test"]);
    assert_eq!(token.stdout.lines().count(), 1);
    let current = token.stdout.trim().to_owned();
    record(traced(&["logout", "test"]));
    record(traced(&["remove", "test"]));

    let mut secrets = server.issued_secrets();
    secrets.extend(server.other_secrets());
    secrets.push("LEAKED-VALUE-1".to_owned());
    assert!(secrets.len() > 10, "{secrets:?}");
    assert!(secrets.iter().any(|s| s.starts_with("CLIENT-SECRET-")));
    for secret in &secrets {
        assert!(!printed.contains(secret.as_str()), "printed a secret: {secret}");
    }
    assert!(!token.stderr.contains(&current));
}
