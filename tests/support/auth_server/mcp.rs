//! The MCP endpoint of the test server: the token checks of a protected resource (401 with a challenge,
//! 403 `insufficient_scope`), then enough of the Streamable HTTP transport (answers as JSON or as an event
//! stream, a session id, the GET stream, DELETE) and of the older HTTP+SSE transport for a client to list
//! and call a tool. A body that is not JSON-RPC gets the fixed `initialize` answer of the first tests.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::Query;
use axum::http::Method;

use super::handlers::json_response;
use super::*;

/// What `verify` sends a server before 2026-07-28 that offers only tools: the probe, then the handshake.
pub const VERIFY_OLDER_SERVER: [&str; 4] = [
    "server/discover",
    "initialize",
    "notifications/initialized",
    "tools/list",
];

/// How the MCP endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum McpTransport {
    /// Streamable HTTP, answers as JSON; no GET stream (405).
    #[default]
    Json,
    /// Streamable HTTP, answers as event streams (a log notification, then the answer); a GET stream
    /// that sends `notifications/tools/list_changed` and a `ping` request, and stays open.
    EventStream,
    /// The older HTTP+SSE transport: POST /mcp is 405; GET /mcp is the event stream whose `endpoint`
    /// event names /mcp/messages, where messages are posted and answered on the stream.
    HttpSse,
}

/// What the MCP endpoint saw.
#[derive(Debug, Default)]
pub struct McpLog {
    /// The method of every JSON-RPC message posted, in order.
    pub methods: Vec<String>,
    /// The `Mcp-Session-Id` sent with each of them.
    pub session_ids: Vec<Option<String>>,
    /// The `MCP-Protocol-Version` sent with each of them.
    pub versions: Vec<Option<String>>,
    /// The `X-Tenant` header sent with each of them (a header the client was told to add).
    pub tenants: Vec<Option<String>>,
    /// How many DELETEs of a session arrived.
    pub deletes: usize,
    /// How many GET streams were opened.
    pub get_streams: usize,
    /// The open HTTP+SSE sessions and where their messages go.
    pub(super) legacy: HashMap<String, tokio::sync::mpsc::UnboundedSender<String>>,
    /// The session ids handed out.
    pub(super) issued: Vec<String>,
    /// Session ids the server has forgotten (a restart): a request with one gets 404.
    pub(super) ended: Vec<String>,
    /// SSE polling: the answers of cut streams, by the last event id sent on them, with when they were cut.
    pub(super) pending: HashMap<String, (String, std::time::Instant)>,
    /// SSE polling: how long after the cut each answer was asked for.
    pub resumed_after: Vec<std::time::Duration>,
}

pub(super) async fn mcp(State(inner): State<Arc<Inner>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = check_token(&inner, &headers) {
        return refused;
    }
    let session = headers.get("mcp-session-id").and_then(|v| v.to_str().ok());
    if session.is_some_and(|id| inner.data().mcp.ended.iter().any(|e| e == id)) {
        if method == Method::POST
            && let Ok(message) = serde_json::from_slice::<Value>(&body)
        {
            log_message(&inner, &headers, &message);
        }
        return StatusCode::NOT_FOUND.into_response();
    }
    match (inner.opts.mcp_transport, method) {
        (McpTransport::HttpSse, Method::GET) => legacy_stream(&inner),
        (McpTransport::HttpSse, _) => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        (McpTransport::EventStream, Method::GET) => match headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
            Some(last) if inner.data().mcp.pending.contains_key(last) => resume_stream(&inner, last),
            _ => get_stream(&inner),
        },
        (_, Method::DELETE) => {
            inner.data().mcp.deletes += 1;
            StatusCode::OK.into_response()
        }
        (_, Method::POST) => post(&inner, &headers, &body),
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// A message posted to an HTTP+SSE session: 202 here, the answer on the session's stream.
pub(super) async fn legacy_message(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = check_token(&inner, &headers) {
        return refused;
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    log_message(&inner, &headers, &message);
    let d = inner.data();
    let Some(stream) = query.get("session").and_then(|s| d.mcp.legacy.get(s)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(answer) = answer(&message, false) {
        let _ = stream.send(format!("event: message\ndata: {answer}\n\n"));
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}

/// The token checks: `Some` holds the refusal.
fn check_token(inner: &Inner, headers: &HeaderMap) -> Option<Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = presented
        && !inner.opts.refuse_every_token
    {
        if access_ok(inner, token)
            && let Some(required) = inner.opts.required_scope
            && !inner
                .data()
                .access_scopes
                .get(token)
                .is_some_and(|s| s.split(' ').any(|s| s == required))
        {
            let challenge = format!(
                "Bearer error=\"insufficient_scope\", scope=\"{required}\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
                inner.public_base()
            );
            let mut response = json_response(StatusCode::FORBIDDEN, json!({"error": "insufficient_scope"}));
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge.parse().unwrap());
            return Some(response);
        }
        if access_ok(inner, token) {
            return None;
        }
        if inner.opts.invalid_token_500 {
            return Some((StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response());
        }
    }
    let mut challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        if presented.is_some() {
            "The token is not valid"
        } else {
            "Missing Authorization header"
        }
    );
    match inner.opts.prm {
        Prm::HeaderAndPath => challenge.push_str(&format!(
            ", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            inner.public_base()
        )),
        Prm::HeaderOnly => challenge.push_str(&format!(
            ", resource_metadata=\"{}/meta/prm.json\"",
            inner.public_base()
        )),
        _ => {}
    }
    if let Some(scope) = inner.opts.challenge_scope {
        challenge.push_str(&format!(", scope=\"{scope}\""));
    }
    let mut response = json_response(StatusCode::UNAUTHORIZED, json!({"error": "invalid_token"}));
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge.parse().unwrap());
    Some(response)
}

fn log_message(inner: &Inner, headers: &HeaderMap, message: &Value) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut d = inner.data();
    let method = message["method"].as_str().unwrap_or("(answer)").to_owned();
    d.mcp.methods.push(method);
    d.mcp.session_ids.push(header("mcp-session-id"));
    d.mcp.versions.push(header("mcp-protocol-version"));
    d.mcp.tenants.push(header("x-tenant"));
}

fn post(inner: &Inner, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(message) = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|m| m.get("jsonrpc").is_some())
    else {
        return json_response(
            StatusCode::OK,
            json!({"jsonrpc": "2.0", "id": 1, "result": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "serverInfo": {"name": "test-server", "version": "1"}}}),
        );
    };
    log_message(inner, headers, &message);
    if inner.opts.mcp_modern_only && !modern_request(headers, &message) {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"jsonrpc": "2.0", "id": message.get("id").cloned().unwrap_or(Value::Null), "error": {
                "code": -32022, "message": "Unsupported protocol version: this server speaks 2026-07-28 only",
                "data": {"supported": ["2026-07-28"], "requested": message["params"]["protocolVersion"]}}}),
        );
    }
    let modern = inner.opts.mcp_modern || inner.opts.mcp_modern_only;
    let Some(mut answer) = answer(&message, modern) else {
        return StatusCode::ACCEPTED.into_response();
    };
    // A server of the modern era only names itself where that revision puts it: the result's `_meta`.
    if inner.opts.mcp_modern_only
        && let Some(result) = answer.get_mut("result").and_then(Value::as_object_mut)
        && let Some(info) = result.remove("serverInfo")
    {
        result.insert("_meta".into(), json!({"io.modelcontextprotocol/serverInfo": info}));
    }
    let mut response = if inner.opts.mcp_transport == McpTransport::EventStream {
        let log = json!({"jsonrpc": "2.0", "method": "notifications/message",
            "params": {"level": "info", "data": "working on it"}});
        let body = match inner.opts.sse_polling {
            // A priming event with an id and the retry delay, the log line, then the connection closes;
            // the answer waits for a GET with the last id.
            Some(retry) => {
                let stream = inner.next("poll");
                inner
                    .data()
                    .mcp
                    .pending
                    .insert(format!("{stream}-1"), (answer.to_string(), std::time::Instant::now()));
                format!("id: {stream}-0\nretry: {retry}\ndata: \n\nid: {stream}-1\ndata: {log}\n\n")
            }
            None => format!("id: 1\nevent: message\ndata: {log}\n\nid: 2\ndata: {answer}\n\n"),
        };
        ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
    } else {
        json_response(StatusCode::OK, answer)
    };
    if message["method"] == "initialize" {
        let id = inner.next("mcp-session");
        response.headers_mut().insert("mcp-session-id", id.parse().unwrap());
        inner.data().mcp.issued.push(id);
    }
    response
}

/// Whether a message is made as 2026-07-28 asks: `_meta` with the version, the client's name and its
/// capabilities, and the version and method in the headers too.
fn modern_request(headers: &HeaderMap, message: &Value) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let meta = &message["params"]["_meta"];
    meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
        && meta["io.modelcontextprotocol/clientInfo"]["name"].is_string()
        && meta["io.modelcontextprotocol/clientCapabilities"].is_object()
        && header("mcp-protocol-version") == Some("2026-07-28")
        && message["method"]
            .as_str()
            .is_some_and(|m| header("mcp-method") == Some(m))
}

/// The answer to a request; `None` for notifications and answers. `modern`: the server also speaks
/// 2026-07-28 (`server/discover`).
fn answer(message: &Value, modern: bool) -> Option<Value> {
    let id = message.get("id")?.clone();
    let method = message.get("method")?.as_str()?;
    let params = &message["params"];
    let result = match method {
        "initialize" => json!({
            "protocolVersion": params["protocolVersion"].as_str().unwrap_or("2025-11-25"),
            "capabilities": {"tools": {"listChanged": true}},
            "serverInfo": {"name": "test-server", "version": "1.2.3"}}),
        "ping" => json!({}),
        "server/discover" if modern => json!({
            "resultType": "complete", "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}, "prompts": {}},
            "serverInfo": {"name": "test-server", "version": "2.0.0"},
            "ttlMs": 0, "cacheScope": "private"}),
        "prompts/list" if modern => json!({"prompts": [{"name": "a"}, {"name": "b"}]}),
        "tools/list" => json!({"tools": [{
            "name": "echo", "description": "Says the text back",
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}]}),
        "tools/call" if params["name"] == "echo" => json!({"content": [{
            "type": "text", "text": format!("echo: {}", params["arguments"]["text"].as_str().unwrap_or(""))}]}),
        _ => {
            return Some(json!({"jsonrpc": "2.0", "id": id,
                "error": {"code": -32601, "message": format!("Method not found: {method}")}}));
        }
    };
    Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// An event stream that sends `first`, then what arrives on `rx`, until the server stops.
fn event_stream(inner: &Inner, first: String, rx: tokio::sync::mpsc::UnboundedReceiver<String>) -> Response {
    let closing = inner.closing.clone();
    let stream = futures::stream::unfold((Some(first), rx, closing), |(first, mut rx, closing)| async move {
        if let Some(first) = first {
            return Some((Ok::<_, Infallible>(first), (None, rx, closing)));
        }
        tokio::select! {
            next = rx.recv() => next.map(|event| (Ok(event), (None, rx, closing))),
            _ = closing.cancelled() => None,
        }
    });
    ([(header::CONTENT_TYPE, "text/event-stream")], Body::from_stream(stream)).into_response()
}

fn get_stream(inner: &Inner) -> Response {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut d = inner.data();
    d.mcp.get_streams += 1;
    // Kept so the stream stays open; the server stopping ends it.
    let key = format!("get-{}", d.mcp.get_streams);
    d.mcp.legacy.insert(key, tx);
    let changed = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"});
    // A request of the server's own, whose answer the client posts back.
    let ping = json!({"jsonrpc": "2.0", "id": "server-ping-1", "method": "ping"});
    event_stream(
        inner,
        format!("id: g1\ndata: {changed}\n\nid: g2\ndata: {ping}\n\n"),
        rx,
    )
}

/// SSE polling: the rest of a cut stream (its answer), on a GET naming the last event id it sent.
fn resume_stream(inner: &Inner, last: &str) -> Response {
    let mut d = inner.data();
    let Some((answer, cut)) = d.mcp.pending.remove(last) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    d.mcp.resumed_after.push(cut.elapsed());
    let next = format!("{}-2", last.strip_suffix("-1").unwrap_or(last));
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        format!("id: {next}\ndata: {answer}\n\n"),
    )
        .into_response()
}

fn legacy_stream(inner: &Inner) -> Response {
    let session = inner.next("sse");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    inner.data().mcp.legacy.insert(session.clone(), tx);
    event_stream(
        inner,
        format!("event: endpoint\ndata: /mcp/messages?session={session}\n\n"),
        rx,
    )
}
