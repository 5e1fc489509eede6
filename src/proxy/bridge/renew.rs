//! A session the server ended (HTTP 404 to a request with its id: a restart, say). The spec has the client
//! begin a new one with a new `initialize`; the client behind the proxy already has its answer, so the
//! proxy says the client's own `initialize` and `notifications/initialized` again and keeps the answer.

use std::sync::Arc;

use super::{Bridge, MAX_ANSWER};
use crate::mcp::SESSION_HEADER;
use crate::mcp::events::answer_to;
use crate::mcp::message::Probe;

impl Bridge {
    /// Begin a new session after the server ended `ended`: say the client's `initialize` again (its
    /// answer stays here), then its `notifications/initialized`, and listen again. A message that got
    /// its 404 while another was doing this finds the new session there already.
    pub(super) async fn renew(self: &Arc<Self>, ended: &str) -> Result<(), String> {
        let _one_at_a_time = self.renewing.lock().await;
        let (initialize, initialized) = {
            let mut state = self.state();
            if state.session_id.as_deref() != Some(ended) {
                return Ok(());
            }
            let initialize = state
                .initialize
                .clone()
                .ok_or("the client's initialize went another way")?;
            state.session_id = None;
            state.version = None;
            if let Some(listener) = state.get_stream.take() {
                listener.abort();
            }
            state.initialize_id = Probe::read(&initialize).and_then(|p| p.id_key());
            (initialize, state.initialized.clone())
        };
        self.log("the server ended the MCP session (HTTP 404); beginning a new one");
        let response = self
            .send_stepping_up(&self.post(&initialize).0)
            .await
            .map_err(|failure| self.failure_words(failure).1)?;
        if !(200..300).contains(&response.status) {
            return Err(format!("the server answered HTTP {} to initialize", response.status));
        }
        self.state().session_id = response
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The answer only teaches the version (through `note`); the client has had one.
        let id = self.state().initialize_id.clone();
        if let Some(answer) = answer_to(response, id.as_deref(), MAX_ANSWER).await? {
            self.note(&answer);
        }
        if let Some(initialized) = initialized {
            let response = self
                .send_stepping_up(&self.post(&initialized).0)
                .await
                .map_err(|failure| self.failure_words(failure).1)?;
            if !(200..300).contains(&response.status) {
                return Err(format!(
                    "the server answered HTTP {} to notifications/initialized",
                    response.status
                ));
            }
            self.start_get_stream();
        }
        Ok(())
    }
}
