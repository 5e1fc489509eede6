//! A server's event stream, read event by event, and the one place messages from the server are written
//! to our stdout.

use std::collections::VecDeque;

use mcp_accounts::oauth::http::StreamingResponse;

use crate::mcp::message::one_line;
use crate::mcp::sse::{Event, SseReader};

/// Where messages for the client go: a thread that writes them to stdout, one per line.
pub type Output = std::sync::mpsc::Sender<Vec<u8>>;

/// Write one message from the server to the client.
pub fn send(out: &Output, message: Vec<u8>) {
    // The writer is gone only when stdout closed, and then the proxy is stopping anyway.
    let _ = out.send(one_line(message));
}

/// The events of one streamed response.
pub struct EventStream {
    response: StreamingResponse,
    reader: SseReader,
    ready: VecDeque<Event>,
}

impl EventStream {
    /// Read `response` as an event stream.
    pub fn new(response: StreamingResponse) -> Self {
        EventStream {
            response,
            reader: SseReader::default(),
            ready: VecDeque::new(),
        }
    }

    /// The next event; `Ok(None)` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<Event>, String> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            match self.response.chunk().await.map_err(|e| e.to_string())? {
                Some(chunk) => self.ready.extend(self.reader.feed(&chunk).map_err(|e| e.to_string())?),
                None => return Ok(None),
            }
        }
    }

    /// The id of the last event seen, for `Last-Event-ID` when reconnecting.
    pub fn last_id(&self) -> Option<&str> {
        self.reader.last_id.as_deref()
    }

    /// The reconnection delay the server asked for.
    pub fn retry_ms(&self) -> Option<u64> {
        self.reader.retry_ms
    }
}

/// Read a whole body of at most `limit` bytes.
pub async fn read_body(response: &mut StreamingResponse, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("the server's answer is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
