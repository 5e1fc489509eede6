//! An incremental reader of server-sent events (the WHATWG `text/event-stream` format): bytes in as they
//! arrive, whole events out. Lines end in LF, CRLF or CR; `data` lines of one event are joined with LF;
//! comments and unknown fields are ignored; `id` is remembered for a reconnect (`Last-Event-ID`).

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event` field; `message` when none was given.
    pub kind: String,
    /// The `data` lines, joined with LF.
    pub data: String,
}

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub struct SseReader {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a LF starting this one belongs to it.
    after_cr: bool,
    data: String,
    kind: String,
    has_data: bool,
    /// The last event id seen (for `Last-Event-ID` on a reconnect).
    pub last_id: Option<String>,
    /// The reconnection delay the server asked for, in milliseconds.
    pub retry_ms: Option<u64>,
    pending: usize,
}

/// The stream is larger than anything a server should send in one event.
#[derive(Debug, thiserror::Error)]
#[error("an event of the server's stream is larger than {limit} bytes")]
pub struct EventTooLarge {
    /// The limit.
    pub limit: usize,
}

/// The largest event accepted (the largest tool result one would want through a pipe).
pub const MAX_EVENT: usize = 64 * 1024 * 1024;

impl SseReader {
    /// Feed the next chunk; the events it completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, EventTooLarge> {
        let mut events = Vec::new();
        for &byte in chunk {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line) {
                        events.push(event);
                    }
                }
                _ => {
                    self.line.push(byte);
                    self.pending += 1;
                    if self.pending > MAX_EVENT {
                        return Err(EventTooLarge { limit: MAX_EVENT });
                    }
                }
            }
        }
        Ok(events)
    }

    fn line_done(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            self.pending = 0;
            let kind = std::mem::take(&mut self.kind);
            let data = std::mem::take(&mut self.data);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            return Some(Event {
                kind: if kind.is_empty() { "message".to_owned() } else { kind },
                data,
            });
        }
        if line[0] == b':' {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.kind = value.to_owned(),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> (Vec<Event>, SseReader) {
        let mut reader = SseReader::default();
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(reader.feed(chunk).unwrap());
        }
        (events, reader)
    }

    #[test]
    fn events_split_anywhere_and_any_line_ending_come_out_whole() {
        let text = b"event: endpoint\r\ndata: /messages?s=1\r\n\r\n: keep-alive\n\nid: 7\ndata: {\"a\":\ndata: 1}\n\nretry: 250\rdata:x\r\r";
        let expected = vec![
            Event {
                kind: "endpoint".into(),
                data: "/messages?s=1".into(),
            },
            Event {
                kind: "message".into(),
                data: "{\"a\":\n1}".into(),
            },
            Event {
                kind: "message".into(),
                data: "x".into(),
            },
        ];
        // Every split point of the stream gives the same events.
        for split in 0..text.len() {
            let (events, reader) = all(&[&text[..split], &text[split..]]);
            assert_eq!(events, expected, "split at {split}");
            assert_eq!(reader.last_id.as_deref(), Some("7"));
            assert_eq!(reader.retry_ms, Some(250));
        }
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        let (events, _) = all(&[b"event: ping\n\nid: 3\n\n"]);
        assert!(events.is_empty());
    }
}
