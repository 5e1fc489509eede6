//! What the proxy and `verify` need of the MCP transport itself: reading server-sent events ([`sse`],
//! [`events`]) and looking into JSON-RPC messages without re-encoding them ([`message`]).

pub mod events;
pub mod message;
pub mod modern;
pub mod sse;

/// The modern protocol revision: no `initialize`, the version and the client named in every request's
/// `_meta`.
pub const MODERN: &str = "2026-07-28";
/// The revision asked for in `initialize` with an older server.
pub const LEGACY: &str = "2025-11-25";

/// The `Accept` header of a JSON-RPC POST (Streamable HTTP: the server may answer either way).
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";
/// The `Content-Type` of a server-sent event stream.
pub const EVENT_STREAM: &str = "text/event-stream";
/// The session header of the Streamable HTTP transport.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The protocol version header, sent on every request after the version is known.
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// Whether a response's `Content-Type` is `media` (parameters such as `charset` ignored).
pub fn is_content_type(headers: &http::HeaderMap, media: &str) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(media))
}
