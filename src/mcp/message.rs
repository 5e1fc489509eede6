//! Looking into JSON-RPC messages without changing them: the proxy forwards the bytes it read, and only
//! needs to know a message's id, method and a few parameters (for the headers of the 2026-07-28
//! transport), and whether a message answers a request.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The parts of a JSON-RPC message the proxy looks at.
#[derive(Debug, Deserialize)]
pub struct Probe<'a> {
    /// The id (absent in a notification; `null` in some error answers).
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    /// The method of a request or notification.
    #[serde(borrow, default)]
    pub method: Option<Cow<'a, str>>,
    /// Parameters of a request.
    #[serde(borrow, default)]
    pub params: Option<Params<'a>>,
    /// The result of an answer.
    #[serde(borrow, default)]
    pub result: Option<&'a RawValue>,
    /// The error of an answer.
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

/// The parameters the transport headers name.
#[derive(Debug, Deserialize)]
pub struct Params<'a> {
    /// `tools/call` and `prompts/get`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// `resources/read`.
    #[serde(borrow, default)]
    pub uri: Option<Cow<'a, str>>,
    /// `_meta`, for the protocol version a 2026-07-28 client names per request.
    #[serde(rename = "_meta", default)]
    pub meta: Option<Meta>,
}

/// `_meta` of a request.
#[derive(Debug, Deserialize)]
pub struct Meta {
    /// `io.modelcontextprotocol/protocolVersion`.
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", default)]
    pub protocol_version: Option<String>,
}

impl<'a> Probe<'a> {
    /// Read a message; `None` when it is not a JSON object (a batch array is looked into by its first
    /// element only, which is all the headers need).
    pub fn read(raw: &'a [u8]) -> Option<Probe<'a>> {
        if let Ok(probe) = serde_json::from_slice::<Probe<'a>>(raw) {
            return Some(probe);
        }
        let batch: Vec<Probe<'a>> = serde_json::from_slice(raw).ok()?;
        batch.into_iter().next()
    }

    /// A request: a method and an id, so an answer is owed.
    pub fn is_request(&self) -> bool {
        self.method.is_some() && self.id.is_some()
    }

    /// An answer to a request: an id and a result or error, no method.
    pub fn is_answer(&self) -> bool {
        self.method.is_none() && (self.result.is_some() || self.error.is_some())
    }

    /// The id in a form that compares equal for equal JSON values.
    pub fn id_key(&self) -> Option<String> {
        self.id.map(id_key)
    }

    /// What `Mcp-Name` carries (2026-07-28): the tool or prompt name, or the resource URI.
    pub fn name_header(&self) -> Option<&str> {
        let params = self.params.as_ref()?;
        match self.method.as_deref()? {
            "tools/call" | "prompts/get" => params.name.as_deref(),
            "resources/read" => params.uri.as_deref(),
            _ => None,
        }
    }

    /// The protocol version a request names in its `_meta`.
    pub fn meta_version(&self) -> Option<&str> {
        self.params.as_ref()?.meta.as_ref()?.protocol_version.as_deref()
    }

    /// `result.protocolVersion` of an answer (the version an `initialize` agreed on).
    pub fn result_version(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Negotiated {
            #[serde(rename = "protocolVersion")]
            protocol_version: Option<String>,
        }
        let result: Negotiated = serde_json::from_str(self.result?.get()).ok()?;
        result.protocol_version
    }
}

/// An id as a canonical string: `1` and `1` match, `"1"` and `1` do not.
pub fn id_key(raw: &RawValue) -> String {
    serde_json::from_str::<Value>(raw.get())
        .map(|v| v.to_string())
        .unwrap_or_else(|_| raw.get().to_owned())
}

/// A JSON-RPC error answer to the request with this id, as one line.
pub fn error_answer(id: Option<&RawValue>, code: i64, message: &str, data: Option<Value>) -> Vec<u8> {
    let id: Value = id
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null);
    let mut error = serde_json::json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = data;
    }
    serde_json::json!({"jsonrpc": "2.0", "id": id, "error": error})
        .to_string()
        .into_bytes()
}

/// A message as one line: raw line breaks can only be whitespace between tokens in JSON (inside strings
/// they are escaped), so they become spaces and nothing else changes.
pub fn one_line(mut raw: Vec<u8>) -> Vec<u8> {
    for byte in raw.iter_mut() {
        if *byte == b'\n' || *byte == b'\r' {
            *byte = b' ';
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_call_names_its_tool_and_version() {
        let raw = br#"{"jsonrpc":"2.0","id":"a\"b","method":"tools/call","params":{"name":"echo","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        let probe = Probe::read(raw).unwrap();
        assert!(probe.is_request() && !probe.is_answer());
        assert_eq!(probe.name_header(), Some("echo"));
        assert_eq!(probe.meta_version(), Some("2026-07-28"));
        assert_eq!(probe.id_key().as_deref(), Some(r#""a\"b""#));
    }

    #[test]
    fn answers_notifications_and_ids_are_told_apart() {
        let answer = Probe::read(br#"{"jsonrpc":"2.0","id": 7 ,"result":{"protocolVersion":"2025-06-18"}}"#).unwrap();
        assert!(answer.is_answer());
        assert_eq!(answer.id_key().as_deref(), Some("7"));
        assert_eq!(answer.result_version().as_deref(), Some("2025-06-18"));
        let note = Probe::read(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(!note.is_request() && !note.is_answer());
        assert!(Probe::read(b"not json").is_none());
        assert!(Probe::read(b"[1,2]").is_none());
    }

    #[test]
    fn an_error_answer_keeps_the_id_and_a_message_stays_one_line() {
        let raw = RawValue::from_string("\"x-1\"".into()).unwrap();
        let line = error_answer(Some(&raw), -32001, "run: mcp-accounts login a", None);
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["id"], "x-1");
        assert_eq!(value["error"]["code"], -32001);
        assert_eq!(
            one_line(b"{\n \"a\": \"b\\nc\"\r\n}".to_vec()),
            b"{  \"a\": \"b\\nc\"  }"
        );
    }
}
