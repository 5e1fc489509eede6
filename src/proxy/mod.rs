//! `mcp-accounts proxy NAME`: a stdio ↔ MCP HTTP bridge for one account, a drop-in for
//! `npx mcp-remote URL` in a client's configuration. The client writes JSON-RPC messages to our stdin,
//! one per line; each goes to the server unchanged with the account's token ([`bridge`]); whatever the
//! server sends comes back on stdout, one message per line. Logs go to stderr only. When stdin closes,
//! the answers still owed are awaited, the session is deleted at the server, and the proxy exits.

pub mod bridge;
pub mod stream;

use std::io::{BufRead, Write};
use std::sync::Arc;

use mcp_accounts::session::Session;
use tokio::task::JoinSet;

pub use bridge::{Bridge, Settings};

use crate::mcp::message::Probe;

/// How the proxy ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The client closed stdin (or stdout), or a signal asked us to stop.
    Normally,
    /// The server ended the transport (or never offered one): the reason, in one line.
    ServerGone(String),
}

/// Run the bridge until the client or the server ends it.
pub async fn run(session: Session, settings: Settings) -> Ended {
    let (out, writer) = spawn_writer();
    let mut lines = spawn_reader();
    let bridge = Arc::new(Bridge::new(session, settings, out));
    let mut pending = JoinSet::new();
    let mut first = true;
    let mut ended = Ended::Normally;
    let stopping = stop_signal();
    tokio::pin!(stopping);
    loop {
        let line = tokio::select! {
            line = lines.recv() => line,
            _ = bridge.stop.cancelled() => {
                ended = Ended::ServerGone("the server closed its event stream".to_owned());
                break;
            }
            _ = &mut stopping => break,
        };
        let Some(line) = line else {
            // stdin closed: the answers still owed are awaited (a client that writes a request and
            // closes its end still gets the answer).
            tokio::select! {
                _ = async { while pending.join_next().await.is_some() {} } => {}
                _ = bridge.stop.cancelled() => {}
                _ = &mut stopping => {}
            }
            break;
        };
        while pending.try_join_next().is_some() {}
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        let raw = trimmed.to_vec();
        if first {
            first = false;
            if bridge.forward(raw.clone(), true).await.is_err()
                && let Err(reason) = bridge.fall_back(raw).await
            {
                bridge.log(&reason);
                ended = Ended::ServerGone(reason);
                break;
            }
            continue;
        }
        // Requests run side by side (a long tool call holds up nothing); notifications and answers go
        // in order, so `notifications/initialized` reaches the server before the requests after it.
        if Probe::read(&raw).is_some_and(|p| p.is_request()) {
            let bridge = Arc::clone(&bridge);
            pending.spawn(async move {
                let _ = bridge.forward(raw, false).await;
            });
        } else {
            let _ = bridge.forward(raw, false).await;
        }
    }
    pending.shutdown().await;
    bridge.close().await;
    drop(bridge);
    // The writer ends when the last sender is gone, after writing what it has; it flushes after every
    // batch, so a task still holding a sender delays nothing that was sent.
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::task::spawn_blocking(move || writer.join()),
    )
    .await;
    ended
}

/// Resolves on SIGINT or SIGTERM (a client stopping its server sends one of them).
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

/// A thread that reads stdin line by line (blocking reads stay off the runtime).
fn spawn_reader() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if tx.blocking_send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// A thread that writes messages to stdout, one per line, flushing when it has nothing more to write.
/// It ends when every sender is gone, or stdout is closed.
fn spawn_writer() -> (stream::Output, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let handle = std::thread::spawn(move || {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        while let Ok(message) = rx.recv() {
            let mut batch = Some(message);
            while let Some(message) = batch {
                if stdout
                    .write_all(&message)
                    .and_then(|()| stdout.write_all(b"\n"))
                    .is_err()
                {
                    return;
                }
                batch = rx.try_recv().ok();
            }
            if stdout.flush().is_err() {
                return;
            }
        }
    });
    (tx, handle)
}
