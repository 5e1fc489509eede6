//! The OAuth example server of the official MCP TypeScript SDK (tests/interop): install it with `npm ci`
//! when needed, run it bound to 127.0.0.1 on free ports, stop it by its pid.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `npm ci` unless node_modules already matches the lock file.
pub fn install_packages(dir: &Path) {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(installed), Some(lock)) = (modified(&installed), modified(&lock))
        && installed >= lock
    {
        return;
    }
    let started = Instant::now();
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .output()
        .expect("npm is installed with node");
    assert!(
        output.status.success(),
        "npm ci failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("interop: npm ci took {:?}", started.elapsed());
}

/// The SDK's `simpleStreamableHttp.js --oauth --oauth-strict`, killed when dropped.
pub struct ExampleServer {
    child: Child,
    pub mcp_port: u16,
    pub auth_port: u16,
}

impl ExampleServer {
    pub fn start(dir: &Path) -> ExampleServer {
        let (mcp_port, auth_port) = (super::free_port(), super::free_port());
        let mut cmd = Command::new("node");
        cmd.arg("--require")
            .arg(dir.join("listen-localhost.cjs"))
            .arg(dir.join("node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js"))
            // --oauth-strict: tokens must be issued for this server's URL (RFC 8707 `resource`).
            .args(["--oauth", "--oauth-strict"])
            .env("MCP_PORT", mcp_port.to_string())
            .env("MCP_AUTH_PORT", auth_port.to_string())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
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
        let child = cmd.spawn().expect("node starts");
        let server = ExampleServer {
            child,
            mcp_port,
            auth_port,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let started = Instant::now();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::new();
        rt.block_on(async {
            loop {
                let metadata = client
                    .get(format!(
                        "http://127.0.0.1:{}/.well-known/oauth-authorization-server",
                        self.auth_port
                    ))
                    .send()
                    .await;
                let mcp = client
                    .post(format!("http://127.0.0.1:{}/mcp", self.mcp_port))
                    .send()
                    .await;
                if metadata.is_ok_and(|r| r.status() == 200) && mcp.is_ok_and(|r| r.status() == 401) {
                    return;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "the example server did not come up"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        eprintln!("interop: the example server answered after {:?}", started.elapsed());
    }

    pub fn mcp_url(&self, host: &str) -> String {
        format!("http://{host}:{}/mcp", self.mcp_port)
    }
}

impl Drop for ExampleServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
