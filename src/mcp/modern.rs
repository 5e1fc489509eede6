//! The `_meta` a 2026-07-28 request carries (the protocol version, the client's name and its
//! capabilities), added to a message of the `initialize` era: how the proxy bridges such a client to a
//! server of the modern era only.

use serde_json::{Map, Value, json};

use super::MODERN;

/// The `_meta` keys of a modern request.
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";

/// Where a modern result names the server, in its `_meta`.
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// The server's name and version in a result: `serverInfo` (an `initialize` answer, and some
/// `server/discover` answers), else `_meta["io.modelcontextprotocol/serverInfo"]`.
pub fn server_info(result: &Value) -> Option<&Value> {
    [&result["serverInfo"], &result["_meta"][SERVER_INFO_KEY]]
        .into_iter()
        .find(|info| info.is_object())
}

/// What every message to a modern server gets in its `_meta`.
#[derive(Debug, Clone)]
pub struct ModernStamp {
    /// The revision named.
    pub version: String,
    client_info: Value,
    capabilities: Value,
}

impl ModernStamp {
    /// From the client's `initialize` (its `clientInfo` and `capabilities`).
    pub fn from_initialize(initialize: &Value) -> Self {
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
    pub fn stamp(&self, raw: &[u8]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_gets_the_modern_meta_and_an_answer_passes_unchanged() {
        let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {"roots": {}},
            "clientInfo": {"name": "old-client", "version": "3"}}});
        let stamp = ModernStamp::from_initialize(&initialize);
        let stamped: Value = serde_json::from_slice(&stamp.stamp(
            br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":7}}}"#,
        ))
        .unwrap();
        let meta = &stamped["params"]["_meta"];
        assert_eq!(meta["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
        assert_eq!(meta["io.modelcontextprotocol/clientInfo"]["name"], "old-client");
        assert_eq!(meta["io.modelcontextprotocol/clientCapabilities"], json!({"roots": {}}));
        assert_eq!(meta["progressToken"], 7, "the client's own _meta stays");
        assert_eq!(stamped["params"]["name"], "echo");
        let without_params: Value =
            serde_json::from_slice(&stamp.stamp(br#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)).unwrap();
        assert!(without_params["params"]["_meta"].is_object());
        let answer = br#"{"jsonrpc":"2.0","id":"s1","result":{}}"#;
        assert_eq!(stamp.stamp(answer), answer.to_vec());
        assert_eq!(stamp.stamp(b"not json"), b"not json".to_vec());
    }

    #[test]
    fn the_server_is_named_at_the_top_or_in_meta() {
        let top = json!({"serverInfo": {"name": "a", "version": "1"}});
        assert_eq!(server_info(&top).unwrap()["name"], "a");
        let meta = json!({"_meta": {"io.modelcontextprotocol/serverInfo": {"name": "b", "version": "2"}}});
        assert_eq!(server_info(&meta).unwrap()["name"], "b");
        assert_eq!(server_info(&json!({"serverInfo": "not an object"})), None);
    }
}
