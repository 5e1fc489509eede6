//! The MCP Python SDK's authorization server (tests/interop/python): a venv under target/ with the pinned
//! packages, made when missing or older than requirements.txt; the server run on 127.0.0.1 and stopped
//! when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/python")
}

/// The venv's python, installed from requirements.txt when needed; `None` when `python3 -m venv` or pip
/// cannot run here.
pub fn venv_python() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop-python-venv");
    let python = venv.join("bin/python");
    let requirements = python_dir().join("requirements.txt");
    let marker = venv.join("installed");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(installed), Some(wanted)) = (modified(&marker), modified(&requirements))
        && installed >= wanted
        && python.exists()
    {
        return Some(python);
    }
    let started = Instant::now();
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .ok()?
        .success();
    if !made {
        return None;
    }
    let output = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "pip install failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&marker, "").unwrap();
    eprintln!("python interop: venv made in {:?}", started.elapsed());
    Some(python)
}

/// tests/interop/python/auth_server.py, killed when dropped.
pub struct PythonServer {
    child: Child,
    pub port: u16,
}

impl PythonServer {
    pub fn start(python: &Path) -> PythonServer {
        let port = super::free_port();
        let mut cmd = Command::new(python);
        cmd.arg(python_dir().join("auth_server.py"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // If this test process dies without unwinding, the kernel stops the server too.
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("python starts");
        let started = Instant::now();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "the server did not start");
        // "ready" comes just before uvicorn binds: wait for the port.
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("python interop: the server answered after {:?}", started.elapsed());
        PythonServer { child, port }
    }

    pub fn mcp_url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
