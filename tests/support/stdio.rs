//! `mcp-accounts proxy NAME` as an MCP client starts it: stdin and stdout piped, one JSON-RPC message
//! per line, stderr collected.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Proxy {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Proxy {
    /// Start `cmd` (a `proxy` command) with its pipes.
    pub fn start(mut cmd: Command) -> Proxy {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Proxy {
            child,
            stdin,
            lines,
            stderr: Some(stderr),
        }
    }

    /// Write one message (a line).
    pub fn send(&mut self, message: &Value) {
        self.send_raw(&message.to_string());
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// The next message on stdout (each line must be one JSON value).
    pub fn recv(&mut self, within: Duration) -> Value {
        match self.lines.recv_timeout(within) {
            Ok(line) => {
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON message per line ({e}): {line}"))
            }
            Err(RecvTimeoutError::Timeout) => panic!("no message within {within:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("stdout closed"),
        }
    }

    /// Messages until the answer to `id` (the ones before it are returned too, in order).
    pub fn until_answer(&mut self, id: &Value, within: Duration) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + within;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.recv(left.max(Duration::from_millis(1)));
            if message.get("method").is_none() && &message["id"] == id {
                return (message, before);
            }
            before.push(message);
        }
    }

    /// A request and its answer.
    pub fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(&serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.until_answer(&serde_json::json!(id), Duration::from_secs(10)).0
    }

    /// Close stdin and wait for the exit: (exit code, how long it took, stderr).
    pub fn close(mut self) -> (i32, Duration, String) {
        drop(self.stdin.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("the proxy did not exit within 10 s of stdin closing");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let took = started.elapsed();
        (
            status.code().unwrap_or(-1),
            took,
            self.stderr.take().unwrap().join().unwrap(),
        )
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
