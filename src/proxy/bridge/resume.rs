//! A request's event stream that ended before its answer. Since 2025-11-25 a server may close the
//! connection of such a stream at any time once it has sent an event id ("SSE polling"), and the client
//! reconnects with a GET naming the last event id (`Last-Event-ID`) after the `retry` delay the server
//! asked for; a broken connection is resumed the same way. A server that does not resume (no event ids,
//! or anything but an event stream to the GET) leaves the request unanswered, and the client is told.

use std::time::Duration;

use http::HeaderValue;
use mcp_accounts::session::RequestOutcome;

use super::Bridge;
use crate::mcp::events::EventStream;
use crate::mcp::{EVENT_STREAM, is_content_type};

/// The wait before reconnecting when the server named none.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);
/// The longest wait honoured (a larger `retry` is taken as this).
const LONGEST_RETRY: Duration = Duration::from_secs(60);
/// Reconnections in a row that may fail to reach the server before the request is given up.
const MAX_FAILURES: usize = 5;

impl Bridge {
    /// Resume the stream whose last event was `last_id` until the answer to `id` comes; whether it came.
    pub(super) async fn resume(&self, mut last_id: String, mut retry: Option<u64>, id: Option<&str>) -> bool {
        let mut failures = 0;
        loop {
            let wait = retry.map_or(DEFAULT_RETRY, Duration::from_millis).min(LONGEST_RETRY);
            tokio::time::sleep(wait).await;
            // A stream resumed from nowhere would not hold the answer.
            if HeaderValue::from_str(&last_id).is_err() {
                return false;
            }
            let request = self.stream_request(Some(&last_id));
            match self.session.authorized_stream(&self.settings.name, &request).await {
                Ok(RequestOutcome::Response(response))
                    if (200..300).contains(&response.status) && is_content_type(&response.headers, EVENT_STREAM) =>
                {
                    failures = 0;
                    let mut events = EventStream::new(response);
                    let (answered, _) = self.pump(&mut events, id).await;
                    if answered {
                        return true;
                    }
                    if let Some(newer) = events.last_id() {
                        last_id = newer.to_owned();
                    }
                    retry = events.retry_ms().or(retry);
                }
                Ok(RequestOutcome::Response(response)) => {
                    self.log(&format!(
                        "the server answered HTTP {} when asked to resume an event stream",
                        response.status
                    ));
                    return false;
                }
                Ok(_) => return false,
                Err(e) => {
                    failures += 1;
                    if failures == MAX_FAILURES {
                        self.log(&format!("the server's event stream cannot be resumed: {e}"));
                        return false;
                    }
                }
            }
        }
    }
}
