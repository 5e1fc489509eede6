//! The smaller findings of the security audit (issue 12), each with its test: no proxy for loopback, the
//! timeout setting, the protected resource's `resource` rules, a full or read-only disk, and the refresh
//! of a server that keeps the access token (in reliability.rs).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::auth_server::{Hostile, Options, Prm, TestServer};
use crate::support::bin::{Run, Sandbox, running_as_root};

/// A tmpfs of its own (root only): to fill a disk, or to make one read-only. Unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mount a tmpfs of `size` (`"512k"`); `None` (saying why) where mounting is not possible.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = running_as_root()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
                .arg(dir.path())
                .output()
                .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn remount_read_only(&self) {
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).output();
    }
}

/// Write zeros to a file until the disk says it is full.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    loop {
        if let Err(e) = file.write_all(&block).and_then(|()| file.sync_all()) {
            assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
            return path;
        }
    }
}

/// A sandbox whose database lives on `mount`, with an account "a" logged in to `server`.
fn logged_in_on(mount: &Tmpfs, server: &TestServer) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.db = mount.path().join("data/accounts.db");
    sb.ok(&["add", "a", &server.mcp_url()]);
    assert_eq!(sb.login("a", "normal").code, 0);
    sb
}

/// Close the database the way a writer does last: its -wal and -shm are gone, so the next reader has to
/// make a -shm (which a full or read-only disk refuses).
fn settle(sb: &Sandbox) {
    sb.ok(&["add", "settle", "https://settle.example"]);
    sb.ok(&["remove", "settle"]);
    for side in ["-wal", "-shm"] {
        let mut path = sb.db.clone().into_os_string();
        path.push(side);
        assert!(!Path::new(&path).exists(), "{side} is left after a writer closed");
    }
}

fn fails_with(run: &Run, needle: &str) {
    assert_eq!(run.code, 1, "{run}");
    let line = run.one_error_line();
    assert!(line.contains(needle), "{line} lacks {needle:?}");
}

#[test]
fn a_full_disk_still_gives_the_stored_token_and_says_what_is_wrong() {
    let server = TestServer::start(Options::default());
    let Some(mount) = Tmpfs::mount("1m") else {
        return;
    };
    let sb = logged_in_on(&mount, &server);
    let stored = sb.run(&["token", "a"]);
    assert_eq!(stored.code, 0, "{stored}");
    settle(&sb);
    let filler = fill(mount.path());

    let token = sb.run(&["token", "a"]);
    assert_eq!(token.code, 0, "token on a full disk: {token}");
    assert_eq!(token.stdout, stored.stdout, "the stored token");
    let list = sb.run(&["list", "--json"]);
    assert_eq!(list.code, 0, "list on a full disk: {list}");
    assert_eq!(list.json()[0]["status"], "valid", "{list}");
    fails_with(&sb.run(&["add", "b", "https://b.example"]), "the disk is full");
    let refreshes = server.refreshes();
    let refresh = sb.run(&["refresh", "a"]);
    assert_eq!(refresh.code, 1, "{refresh}");
    assert!(refresh.stderr.contains("the disk is full"), "{refresh}");
    assert_eq!(
        server.refreshes(),
        refreshes,
        "no refresh token was spent that could not be stored"
    );

    std::fs::remove_file(filler).unwrap();
    let after = sb.run(&["refresh", "a"]);
    assert_eq!(after.code, 0, "with room again: {after}");
    let token = sb.run(&["token", "a"]);
    assert!(server.accepts(token.stdout.trim()), "{token}");
}

#[test]
fn a_read_only_disk_still_gives_the_stored_token() {
    let server = TestServer::start(Options::default());
    let Some(mount) = Tmpfs::mount("1m") else {
        return;
    };
    let sb = logged_in_on(&mount, &server);
    let stored = sb.run(&["token", "a"]);
    settle(&sb);
    mount.remount_read_only();

    let token = sb.run(&["token", "a"]);
    assert_eq!(token.code, 0, "token on a read-only disk: {token}");
    assert_eq!(token.stdout, stored.stdout);
    let list = sb.run(&["list"]);
    assert_eq!(list.code, 0, "{list}");
    assert!(list.stdout.contains("valid"), "{list}");
    let status = sb.run(&["status"]);
    assert_eq!(status.code, 0, "{status}");
    fails_with(&sb.run(&["add", "b", "https://b.example"]), "read-only");
}

/// A proxy that only counts who connects to it (and answers 502).
struct CountingProxy {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            }
        });
        CountingProxy { url, connections }
    }
}

#[test]
fn loopback_servers_are_never_reached_through_a_proxy() {
    let proxy = CountingProxy::start();
    let server = TestServer::start(Options::default());
    let sb = Sandbox::new();
    let with_proxy = |args: &[&str]| {
        let mut cmd = sb.cmd_browser(args, "normal");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env(var, &proxy.url);
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        let run = Run::from(cmd.output().unwrap());
        assert_eq!(run.code, 0, "{args:?}: {run}");
        run
    };
    with_proxy(&["add", "a", &server.mcp_url()]);
    with_proxy(&["login", "a", "--timeout", "20"]);
    with_proxy(&["refresh", "a"]);
    let token = with_proxy(&["token", "a"]);
    assert!(server.accepts(token.stdout.trim()));
    with_proxy(&["logout", "a"]);
    assert_eq!(server.revocations().len(), 2, "the logout reached the server");
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        0,
        "the proxy saw a request (and the refresh token with it)"
    );
}

#[test]
fn the_timeout_setting_is_checked_and_clamped_in_one_line() {
    let sb = Sandbox::new();
    sb.ok(&["add", "a", "https://a.example/mcp"]);
    let with_timeout = |value: &str, args: &[&str]| {
        let mut cmd = sb.cmd(args);
        cmd.env("MCP_ACCOUNTS_HTTP_TIMEOUT", value);
        Run::from(cmd.output().unwrap())
    };
    let huge = with_timeout("1e20", &["list"]);
    assert_eq!(huge.code, 0, "{huge}");
    assert_eq!(
        huge.stderr.lines().next(),
        Some("warning: MCP_ACCOUNTS_HTTP_TIMEOUT=1e20 is outside 0.1 to 3600 seconds; using 3600"),
        "{huge}"
    );
    for bad in ["abc", "0", "-5"] {
        let run = with_timeout(bad, &["list"]);
        assert_eq!(run.code, 2, "{bad}: {run}");
        let line = run.one_error_line();
        assert!(
            line.contains("MCP_ACCOUNTS_HTTP_TIMEOUT") && line.contains("is not a number of seconds"),
            "{line}"
        );
    }

    // A good value is the one used: half a second against a server that takes two.
    let server = TestServer::start(Options {
        latency: Duration::from_secs(2),
        ..Options::default()
    });
    sb.ok(&["add", "slow", &server.mcp_url()]);
    let started = Instant::now();
    let run = with_timeout("0.5", &["discover", "slow"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        started.elapsed() < Duration::from_millis(1900),
        "took {:?}",
        started.elapsed()
    );
    assert!(run.stderr.contains("did not answer within 0.5 s"), "{run}");
}

/// A server whose protected resource metadata names `resource` (`{base}`: its origin), published at `prm`.
fn discover_with_resource(prm: Prm, resource: &'static str) -> (Run, TestServer, Sandbox) {
    let server = TestServer::start(Options {
        prm,
        ..Options::default()
    });
    server.set_hostile(Some(Hostile::PrmResource(resource)));
    let sb = Sandbox::new();
    sb.ok(&["add", "a", &server.mcp_url()]);
    let run = sb.run(&["discover", "a", "--json"]);
    (run, server, sb)
}

#[test]
fn the_protected_resource_is_sent_only_when_it_names_this_server() {
    let (run, ..) = discover_with_resource(Prm::HeaderAndPath, "{base}/mcp#admin");
    fails_with(&run, "fragment");

    // An origin-wide prefix of the server's URL: only from the root well-known URL.
    let (run, ..) = discover_with_resource(Prm::HeaderAndPath, "{base}/");
    fails_with(&run, "refusing it (RFC 9728 §3.3)");
    let (run, server, _) = discover_with_resource(Prm::RootOnly, "{base}/");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()["resource"], server.base(), "the canonical form");

    // The canonical form is what is stored and sent: the server compares it byte for byte.
    let (run, server, sb) = discover_with_resource(Prm::HeaderAndPath, "{BASE}/mcp");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()["resource"], server.mcp_url());
    let login = sb.login("a", "normal");
    assert_eq!(login.code, 0, "the server saw its own resource identifier: {login}");
}
