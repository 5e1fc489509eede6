//! `verify NAME`: prove an account works end to end with one authenticated MCP exchange, and say what
//! the server is. A 2026-07-28 server is asked `server/discover` (then `tools/list`, `resources/list`,
//! `prompts/list` for what it offers); a server that answers that with anything but a modern JSON-RPC
//! error is an older one, and gets `initialize` → `notifications/initialized` → the lists → DELETE of the
//! session (MCP versioning, "Backward Compatibility with Initialization-Based Versions").

use std::time::{Duration, Instant};

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use mcp_accounts::oauth::http::StreamingResponse;
use mcp_accounts::session::{AuthorizedRequest, RequestOutcome, Session};
use serde::Serialize;
use serde_json::{Value, json};

use crate::mcp::events::{Found, answer_or_cut};
use crate::mcp::{ACCEPT_BOTH, EVENT_STREAM, LEGACY, MODERN, SESSION_HEADER, VERSION_HEADER, is_content_type};

/// `UnsupportedProtocolVersionError`: a modern server that speaks other versions.
const UNSUPPORTED_VERSION: i64 = -32022;
/// The largest answer read (a long tool list).
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// How many times a cut event stream is resumed for one answer.
const MAX_RESUMPTIONS: usize = 5;
/// How many pages of a list are counted at most.
const MAX_PAGES: usize = 50;

/// What `verify` found. Strings are the server's, untouched: the front end cleans them for a terminal.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verified {
    /// `serverInfo.name`.
    pub server_name: Option<String>,
    /// `serverInfo.version`.
    pub server_version: Option<String>,
    /// The protocol version spoken.
    pub protocol_version: String,
    /// `server/discover` (2026-07-28) or `initialize` (older servers).
    pub handshake: &'static str,
    /// How many tools, resources and prompts the server lists; `None` when it does not offer them.
    pub tools: Option<usize>,
    /// See `tools`.
    pub resources: Option<usize>,
    /// See `tools`.
    pub prompts: Option<usize>,
    /// Wall time of the whole exchange, in milliseconds.
    pub took_ms: u64,
}

impl Verified {
    /// `name version`, as the server said (raw: clean it for a terminal); `None` when it did not say.
    pub fn server_label(&self) -> Option<String> {
        match (&self.server_name, &self.server_version) {
            (Some(n), Some(ver)) => Some(format!("{n} {ver}")),
            (Some(n), None) => Some(n.clone()),
            _ => None,
        }
    }
}

/// Why the account could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The session failed: not logged in, token refused, server unreachable…
    #[error(transparent)]
    Session(#[from] mcp_accounts::session::Error),
    /// The token lacks scopes the server wants.
    #[error("the server wants the scope(s) {} for this request", .0.join(" "))]
    Scopes(Vec<String>),
    /// The server answered, but not as an MCP server would.
    #[error("{0}")]
    Server(String),
}

/// One exchange's answer: the status, headers, and the JSON-RPC message that answers the request.
struct Answer {
    status: u16,
    headers: HeaderMap,
    message: Option<Value>,
}

/// The MCP conversation of one verification.
struct Conversation<'a> {
    session: &'a Session,
    name: &'a str,
    /// The protocol version sent with each request (none before `initialize` has agreed on one).
    version: Option<String>,
    session_id: Option<String>,
    modern: bool,
    capabilities: Value,
    next_id: u64,
}

/// Verify the account NAME.
pub async fn verify(session: &Session, name: &str) -> Result<Verified, VerifyError> {
    let started = Instant::now();
    let mut talk = Conversation {
        session,
        name,
        version: Some(MODERN.to_owned()),
        session_id: None,
        modern: true,
        capabilities: Value::Null,
        next_id: 1,
    };
    let probe = talk.request("server/discover", json!({})).await?;
    let discovered = probe
        .message
        .as_ref()
        .filter(|_| (200..300).contains(&probe.status))
        .and_then(|m| m.get("result"))
        .cloned();
    let mut verified = match discovered {
        Some(result) => {
            talk.capabilities = result["capabilities"].clone();
            describe(&result, MODERN, "server/discover")
        }
        None => {
            if let Some(error) = probe.message.as_ref().and_then(|m| m.get("error"))
                && error["code"].as_i64() == Some(UNSUPPORTED_VERSION)
            {
                return Err(VerifyError::Server(format!(
                    "the server speaks MCP {} only, not {MODERN} (and a modern server has no initialize)",
                    error["data"]["supported"]
                )));
            }
            talk.legacy().await?
        }
    };
    let counted = async {
        verified.tools = talk.count("tools", "tools/list").await?;
        verified.resources = talk.count("resources", "resources/list").await?;
        verified.prompts = talk.count("prompts", "prompts/list").await?;
        Ok::<_, VerifyError>(())
    }
    .await;
    talk.end().await;
    counted?;
    verified.took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(verified)
}

fn describe(result: &Value, version: &str, handshake: &'static str) -> Verified {
    let text = |field: &str| {
        crate::mcp::modern::server_info(result)
            .and_then(|info| info[field].as_str())
            .map(str::to_owned)
    };
    Verified {
        server_name: text("name"),
        server_version: text("version"),
        protocol_version: version.to_owned(),
        handshake,
        tools: None,
        resources: None,
        prompts: None,
        took_ms: 0,
    }
}

impl Answer {
    /// The `result` of the answer, or what went wrong, in words.
    fn result(self, method: &str) -> Result<Value, VerifyError> {
        match self.message {
            Some(mut message) if message.get("result").is_some() => Ok(message["result"].take()),
            Some(message) if message.get("error").is_some() => Err(VerifyError::Server(format!(
                "the server answered {method} with the error {}: {}",
                message["error"]["code"],
                message["error"]["message"].as_str().unwrap_or("(no message)")
            ))),
            _ => Err(VerifyError::Server(format!(
                "the server answered {method} with HTTP {} and no JSON-RPC answer",
                self.status
            ))),
        }
    }
}

impl Conversation<'_> {
    /// `initialize` and `notifications/initialized`, for a server before 2026-07-28.
    async fn legacy(&mut self) -> Result<Verified, VerifyError> {
        self.modern = false;
        self.version = None;
        let params = json!({"protocolVersion": LEGACY, "capabilities": {},
            "clientInfo": {"name": "mcp-accounts", "version": env!("CARGO_PKG_VERSION")}});
        let answer = self.request("initialize", params).await?;
        self.session_id = answer
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let result = answer.result("initialize")?;
        let version = result["protocolVersion"].as_str().unwrap_or(LEGACY).to_owned();
        self.capabilities = result["capabilities"].clone();
        self.version = Some(version.clone());
        let note = self.post(
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            "notifications/initialized",
        );
        self.send(note, None).await?;
        Ok(describe(&result, &version, "initialize"))
    }

    /// How many items `method` lists (following `nextCursor`), or `None` when the server does not offer
    /// `capability`.
    async fn count(&mut self, capability: &str, method: &str) -> Result<Option<usize>, VerifyError> {
        if self.capabilities.get(capability).is_none_or(Value::is_null) {
            return Ok(None);
        }
        let mut total = 0;
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let result = self.request(method, params).await?.result(method)?;
            total += result[capability].as_array().map_or(0, Vec::len);
            cursor = result["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(Some(total))
    }

    /// A request and its answer.
    async fn request(&mut self, method: &str, mut params: Value) -> Result<Answer, VerifyError> {
        let id = self.next_id;
        self.next_id += 1;
        if self.modern {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": {"name": "mcp-accounts", "version": env!("CARGO_PKG_VERSION")},
                "io.modelcontextprotocol/clientCapabilities": {}
            });
        }
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let request = self.post(&message, method);
        self.send(request, Some(id)).await
    }

    fn post(&self, message: &Value, method: &str) -> AuthorizedRequest {
        let mut request = AuthorizedRequest::new(Method::POST);
        request.body = Some(message.to_string().into_bytes());
        let headers = &mut request.headers;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_BOTH));
        self.common_headers(headers);
        if self.modern
            && let Ok(value) = HeaderValue::from_str(method)
        {
            headers.insert("mcp-method", value);
        }
        request
    }

    fn common_headers(&self, headers: &mut HeaderMap) {
        if let Some(version) = self.version.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(VERSION_HEADER, version);
        }
        if let Some(id) = self.session_id.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(SESSION_HEADER, id);
        }
    }

    /// Send, and find the answer to `id` in a JSON body or an event stream.
    async fn send(&self, request: AuthorizedRequest, id: Option<u64>) -> Result<Answer, VerifyError> {
        let response = match self.session.authorized_stream(self.name, &request).await? {
            RequestOutcome::Response(response) => response,
            RequestOutcome::InsufficientScope { scopes, .. } => return Err(VerifyError::Scopes(scopes)),
            _ => return Err(VerifyError::Server("an answer of an unknown kind".to_owned())),
        };
        let (status, headers) = (response.status, response.headers.clone());
        // The answer is the message with our id; the rest of an event stream is not needed. A stream cut
        // before it is resumed where it stopped (2025-11-25 servers may poll), a few times at most.
        let id = id.map(|id| id.to_string());
        let session_id = headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| self.session_id.clone());
        let read = async {
            let mut found = answer_or_cut(response, id.as_deref(), MAX_ANSWER)
                .await
                .map_err(VerifyError::Server)?;
            for _ in 0..MAX_RESUMPTIONS {
                let Found::Cut { last_id, retry_ms } = &found else {
                    break;
                };
                let Some(resumed) = self.resume(last_id, *retry_ms, session_id.as_deref()).await? else {
                    break;
                };
                found = answer_or_cut(resumed, id.as_deref(), MAX_ANSWER)
                    .await
                    .map_err(VerifyError::Server)?;
            }
            Ok::<_, VerifyError>(match found {
                Found::Answer(answer) => serde_json::from_slice::<Value>(&answer).ok(),
                Found::Cut { .. } | Found::Nothing => None,
            })
        };
        let message = tokio::time::timeout(self.session.http().config().timeout, read)
            .await
            .map_err(|_| VerifyError::Server("the server did not finish its answer in time".to_owned()))??;
        Ok(Answer {
            status,
            headers,
            message,
        })
    }

    /// The GET that resumes an event stream cut after `last_id`, once the `retry` delay has passed; `None`
    /// when the server answers it with anything but an event stream.
    async fn resume(
        &self,
        last_id: &str,
        retry_ms: Option<u64>,
        session_id: Option<&str>,
    ) -> Result<Option<StreamingResponse>, VerifyError> {
        tokio::time::sleep(Duration::from_millis(retry_ms.unwrap_or(1000).min(10_000))).await;
        let mut request = AuthorizedRequest::new(Method::GET);
        request.headers.insert(ACCEPT, HeaderValue::from_static(EVENT_STREAM));
        self.common_headers(&mut request.headers);
        for (name, value) in [(SESSION_HEADER, session_id), ("last-event-id", Some(last_id))] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                request.headers.insert(name, value);
            }
        }
        match self.session.authorized_stream(self.name, &request).await? {
            RequestOutcome::Response(response)
                if (200..300).contains(&response.status) && is_content_type(&response.headers, EVENT_STREAM) =>
            {
                Ok(Some(response))
            }
            _ => Ok(None),
        }
    }

    /// End an `initialize` session (DELETE; a server that does not allow it answers 405, which is fine).
    async fn end(&self) {
        if self.session_id.is_none() {
            return;
        }
        let mut request = AuthorizedRequest::new(Method::DELETE);
        self.common_headers(&mut request.headers);
        request.wait = Some(Duration::from_secs(2));
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.session.authorized_request(self.name, &request),
        )
        .await;
    }
}
