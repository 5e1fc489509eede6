//! A client of the `initialize` era in front of a server of the 2026-07-28 era only. The versioning page
//! says that pairing fails ("Legacy client → modern server"), since such a client has no way forward; the
//! proxy is in the middle and bridges it. When the server refuses the client's `initialize` with 400 but
//! answers `server/discover`, the proxy answers the `initialize` itself from what `server/discover` says,
//! keeps `notifications/initialized` to itself, and adds to every later message the `_meta` a modern
//! request carries: the version and the client's name and capabilities from its `initialize`.

use serde_json::{Value, json};

use super::super::stream::send;
use super::{Bridge, MAX_ANSWER, Sent};
use crate::mcp::events::answer_to;
use crate::mcp::modern::{ModernStamp, server_info};
use crate::mcp::{LEGACY, MODERN};

/// The id of the proxy's own `server/discover` (never one of the client's: its answer stays here).
const DISCOVER_ID: &str = "mcp-accounts-proxy-discover";

impl Bridge {
    /// The server refused the client's `initialize` (400): when it answers `server/discover`, it speaks
    /// only the modern revision. Then answer the `initialize` from that, stamp what follows, and return
    /// `true`; otherwise `false`, and the refusal goes to the client as it is.
    pub(super) async fn bridge_to_modern(&self, sent: &Sent, initialize: &[u8]) -> bool {
        let Ok(client) = serde_json::from_slice::<Value>(initialize) else {
            return false;
        };
        let mut stamp = ModernStamp::from_initialize(&client);
        let discover = json!({"jsonrpc": "2.0", "id": DISCOVER_ID, "method": "server/discover", "params": {}});
        let raw = stamp.stamp(discover.to_string().as_bytes());
        let Ok(response) = self.send_stepping_up(&self.post(&raw).0).await else {
            return false;
        };
        if !(200..300).contains(&response.status) {
            return false;
        }
        let id = format!("\"{DISCOVER_ID}\"");
        let Ok(Some(answer)) = answer_to(response, Some(&id), MAX_ANSWER).await else {
            return false;
        };
        let Ok(answer) = serde_json::from_slice::<Value>(&answer) else {
            return false;
        };
        let result = &answer["result"];
        let Some(supported) = result["supportedVersions"].as_array() else {
            return false;
        };
        let supported: Vec<&str> = supported.iter().filter_map(Value::as_str).collect();
        match supported.first() {
            _ if supported.contains(&MODERN) => {}
            Some(first) => stamp.version = (*first).to_owned(),
            None => return false,
        }
        self.log(&format!(
            "the server speaks MCP {} only, which has no initialize; answering the client's initialize from server/discover and adding the per-request metadata from now on",
            supported.join(", ")
        ));
        let mut reply = json!({
            // The client's own version: it is the one the client knows how to speak.
            "protocolVersion": client["params"]["protocolVersion"].as_str().unwrap_or(LEGACY),
            "capabilities": if result["capabilities"].is_object() { result["capabilities"].clone() } else { json!({}) },
            "serverInfo": server_info(result).cloned().unwrap_or_else(|| json!({"name": "unknown", "version": "unknown"})),
        });
        if let Some(instructions) = result["instructions"].as_str() {
            reply["instructions"] = json!(instructions);
        }
        self.state().modern = Some(stamp);
        let id: Value = sent
            .id
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null);
        send(
            &self.out,
            json!({"jsonrpc": "2.0", "id": id, "result": reply})
                .to_string()
                .into_bytes(),
        );
        true
    }
}
