//! A client of the `initialize` era in front of a server of the 2026-07-28 era only. The versioning page
//! says that pairing fails ("Legacy client → modern server"), since such a client has no way forward; the
//! proxy is in the middle and bridges it. When the server refuses the client's `initialize` with 400 but
//! answers `server/discover`, the proxy answers the `initialize` itself from what `server/discover` says,
//! keeps `notifications/initialized` to itself, and adds to every later message the `_meta` a modern
//! request carries: the version and the client's name and capabilities from its `initialize`.

use serde_json::{Map, Value, json};

use super::super::stream::send;
use super::{Bridge, MAX_ANSWER, Sent};
use crate::mcp::events::answer_to;
use crate::mcp::{LEGACY, MODERN};

/// The `_meta` keys of a modern request.
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// The id of the proxy's own `server/discover` (never one of the client's: its answer stays here).
const DISCOVER_ID: &str = "mcp-accounts-proxy-discover";

/// What every message to a modern server gets in its `_meta`.
#[derive(Debug, Clone)]
pub(super) struct ModernStamp {
    version: String,
    client_info: Value,
    capabilities: Value,
}

impl ModernStamp {
    /// From the client's `initialize` (its `clientInfo` and `capabilities`).
    fn from_initialize(initialize: &Value) -> Self {
        let params = &initialize["params"];
        let client_info = match &params["clientInfo"] {
            Value::Object(info) => Value::Object(info.clone()),
            _ => json!({"name": "mcp-accounts-proxy", "version": env!("CARGO_PKG_VERSION")}),
        };
        let capabilities = match &params["capabilities"] {
            Value::Object(caps) => Value::Object(caps.clone()),
            _ => json!({}),
        };
        ModernStamp {
            version: MODERN.to_owned(),
            client_info,
            capabilities,
        }
    }

    /// `raw` with the `_meta` of a modern request added to its `params` (a request or a notification;
    /// an answer, or what is not a JSON object, passes unchanged).
    pub(super) fn stamp(&self, raw: &[u8]) -> Vec<u8> {
        let Ok(Value::Object(mut message)) = serde_json::from_slice::<Value>(raw) else {
            return raw.to_vec();
        };
        if !message.contains_key("method") {
            return raw.to_vec();
        }
        let params = message.entry("params").or_insert_with(|| json!({}));
        let Value::Object(params) = params else {
            return raw.to_vec();
        };
        let meta = params.entry("_meta").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(meta) = meta else {
            return raw.to_vec();
        };
        meta.insert(VERSION_KEY.to_owned(), json!(self.version));
        meta.entry(CLIENT_INFO_KEY).or_insert_with(|| self.client_info.clone());
        meta.entry(CAPABILITIES_KEY)
            .or_insert_with(|| self.capabilities.clone());
        serde_json::to_vec(&message).unwrap_or_else(|_| raw.to_vec())
    }
}

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
            "serverInfo": if result["serverInfo"].is_object() {
                result["serverInfo"].clone()
            } else {
                json!({"name": "unknown", "version": "unknown"})
            },
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
