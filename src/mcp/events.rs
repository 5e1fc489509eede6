//! A streamed answer read as the MCP transport sends it: event by event ([`EventStream`]), or whole within
//! a cap ([`read_body`]). The proxy and `verify` both read answers this way.

use std::collections::VecDeque;

use mcp_accounts::oauth::http::StreamingResponse;

use super::message::Probe;
use super::sse::{Event, SseReader};
use super::{EVENT_STREAM, is_content_type};

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

/// What a response held for a request.
pub enum Found {
    /// The answer (a JSON body, or the message of an event stream that answers the request).
    Answer(Vec<u8>),
    /// An event stream that ended before the answer, after an event id: it can be resumed from there
    /// (a GET with `Last-Event-ID`), after the `retry` the server asked for, if any.
    Cut { last_id: String, retry_ms: Option<u64> },
    /// An event stream that ended before the answer and cannot be resumed.
    Nothing,
}

/// The answer to the request `id` in `response`: its JSON body, or the message of its event stream that
/// answers `id` (what comes before it in the stream is dropped); or where the stream was cut.
pub async fn answer_or_cut(mut response: StreamingResponse, id: Option<&str>, limit: usize) -> Result<Found, String> {
    if !is_content_type(&response.headers, EVENT_STREAM) {
        return read_body(&mut response, limit).await.map(Found::Answer);
    }
    let mut events = EventStream::new(response);
    while let Some(event) = events.next().await? {
        let data = event.data.into_bytes();
        if Probe::read(&data).is_some_and(|p| p.is_answer() && p.id_key().as_deref() == id) {
            return Ok(Found::Answer(data));
        }
    }
    Ok(match events.last_id() {
        Some(last) => Found::Cut {
            last_id: last.to_owned(),
            retry_ms: events.retry_ms(),
        },
        None => Found::Nothing,
    })
}

/// [`answer_or_cut`] for a reader that does not resume: `Ok(None)` when the stream ended without it.
pub async fn answer_to(response: StreamingResponse, id: Option<&str>, limit: usize) -> Result<Option<Vec<u8>>, String> {
    Ok(match answer_or_cut(response, id, limit).await? {
        Found::Answer(answer) => Some(answer),
        Found::Cut { .. } | Found::Nothing => None,
    })
}
