//! Run the real `mcp-accounts` binary against a temporary database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The commands that only read the store (the list in every form, status in every form, and no command at
/// all, which lists when stdout is not a terminal), for the tests that check what every one of them
/// prints. `NAME` stands for an account.
const READ_ONLY_COMMANDS: &[&[&str]] = &[
    &["list"],
    &["list", "--json"],
    &["--list"],
    &["--list", "--json"],
    &["status"],
    &["status", "--json"],
    &["status", "NAME", "--json"],
    &[],
];

/// [`READ_ONLY_COMMANDS`] for the account `name`.
pub fn read_only_commands(name: &str) -> Vec<Vec<String>> {
    READ_ONLY_COMMANDS
        .iter()
        .map(|args| {
            args.iter()
                .map(|a| if *a == "NAME" { name } else { a }.to_owned())
                .collect()
        })
        .collect()
}

/// A temporary home for one test: a database path inside a private directory.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data").join("accounts.db");
        Sandbox { dir, db }
    }

    /// A command for the binary with `--db` set and no stray environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-accounts"));
        cmd.arg("--db").arg(&self.db).args(args);
        cmd.env_remove("MCP_ACCOUNTS_DB")
            .env_remove("BROWSER")
            // No desktop either: a test opens no real browser, whatever machine it runs on.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("MCP_ACCOUNTS_TRACE_HTTP")
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    /// Run and require exit code 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "mcp-accounts {args:?} failed:\n{run}");
        run
    }

    /// The account names `list --json` shows, in its order.
    pub fn names(&self) -> Vec<String> {
        self.ok(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// What one run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// The output of a failure: exactly one line on stderr, starting with "error: ".
    pub fn one_error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr:\n{self}");
        assert!(lines[0].starts_with("error: "), "{self}");
        lines[0]
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{self}"))
    }
}

/// Whether the tests run as root, where file permissions do not stop anything.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Wrap a command so it runs as an unprivileged user (`nobody`) when the tests run as root, so that
/// permission checks apply. `None` when that is not possible here.
pub fn as_unprivileged(cmd: &Command) -> Option<Command> {
    if !running_as_root() {
        let mut copy = Command::new(cmd.get_program());
        copy.args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => copy.env(k, v),
                None => copy.env_remove(k),
            };
        }
        return Some(copy);
    }
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() {
        return None;
    }
    let mut wrapped = Command::new(setpriv);
    wrapped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    Some(wrapped)
}

impl Sandbox {
    /// A command with the scripted browser as `BROWSER`, in the given mode.
    pub fn cmd_browser(&self, args: &[&str], mode: &str) -> Command {
        let mut cmd = self.cmd(args);
        cmd.env("BROWSER", super::scripted_browser())
            .env("SCRIPTED_BROWSER_MODE", mode)
            .env("SCRIPTED_BROWSER_LOG", self.path("browser.log"));
        cmd
    }

    /// The scripted browser's log once it has run `runs` times to the end (the binary does not wait for
    /// its browser, so a test that reads the log right after a login would race it).
    pub fn browser_log(&self, runs: usize) -> String {
        let started = std::time::Instant::now();
        loop {
            let log = std::fs::read_to_string(self.path("browser.log")).unwrap_or_default();
            if log.lines().filter(|l| *l == "done").count() >= runs {
                return log;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "the browser did not finish {runs} run(s):\n{log}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Run with the scripted browser in its normal mode.
    pub fn run_with_browser(&self, args: &[&str]) -> Run {
        Run::from(self.cmd_browser(args, "normal").output().unwrap())
    }

    /// `login NAME` through the scripted browser in the given mode.
    pub fn login(&self, name: &str, mode: &str) -> Run {
        Run::from(
            self.cmd_browser(&["login", name, "--timeout", "20"], mode)
                .output()
                .unwrap(),
        )
    }
}

/// Run `cmd` and measure it: what it printed, its wall time, and its peak RSS in KiB. The peak is read from
/// `/proc/PID/status` (`VmHWM`) while the process runs: `wait4`'s figure would include the pages of this
/// (large) test process, which the child shares until it execs.
pub fn run_measured(cmd: &mut Command) -> (Run, std::time::Duration, i64) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    cmd.stdout(out.reopen().unwrap()).stderr(err.reopen().unwrap());
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0i64;
    let status = loop {
        if let Some(hwm) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        }) {
            peak_kib = peak_kib.max(hwm);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(out.path()).unwrap(),
        stderr: std::fs::read_to_string(err.path()).unwrap(),
    };
    (run, started.elapsed(), peak_kib)
}
