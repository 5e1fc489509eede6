//! The one place messages from the server are written to our stdout.

use crate::mcp::message::one_line;

/// Where messages for the client go: a thread that writes them to stdout, one per line.
pub type Output = std::sync::mpsc::Sender<Vec<u8>>;

/// Write one message from the server to the client.
pub fn send(out: &Output, message: Vec<u8>) {
    // The writer is gone only when stdout closed, and then the proxy is stopping anyway.
    let _ = out.send(one_line(message));
}
