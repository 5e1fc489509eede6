//! One client's messages to the server and the server's answers back: the Streamable HTTP transport
//! (a POST per message, answers as JSON or as an event stream, the session id and protocol version
//! headers, the GET stream for what the server sends unasked), the older HTTP+SSE transport when the
//! server refuses the first POST, a step-up login when a request needs more scopes, and a new session when
//! the server ends one ([`renew`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use mcp_accounts::oauth::http::StreamingResponse;
use mcp_accounts::session::{AuthorizedRequest, BrowserOpener, RequestOutcome, Session};
use mcp_accounts::text::clean;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;
use url::Url;

mod login;
mod modern;
mod renew;
mod resume;

use super::stream::{Output, send};
use crate::mcp::events::{EventStream, read_body};
use crate::mcp::message::{Probe, error_answer};
use crate::mcp::modern::ModernStamp;
use crate::mcp::{ACCEPT_BOTH, EVENT_STREAM, SESSION_HEADER, VERSION_HEADER, is_content_type};

/// The JSON-RPC error code of an answer that only a login (or more scopes) can fix.
pub const NEEDS_LOGIN: i64 = -32001;
/// The JSON-RPC error code of an answer the proxy gives when the server could not be reached or
/// answered with something that is not JSON-RPC.
pub const TRANSPORT_FAILED: i64 = -32000;
/// How often one request may step up before its 403 is passed on.
const MAX_STEP_UPS: usize = 2;
/// How long a server may take to start its answer to a POST (a tool call may run that long).
const ANSWER_WAIT: Duration = Duration::from_secs(3600);
/// The largest JSON answer read.
const MAX_ANSWER: usize = crate::mcp::sse::MAX_EVENT;

/// Describes a session error for the client, with the command that fixes it.
pub type Describe = fn(&mcp_accounts::session::Error) -> String;

/// How the proxy was started.
pub struct Settings {
    /// The account.
    pub name: String,
    /// Extra headers for every request (`--header K:V`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Opens a browser for a step-up login; `None`: no step-up, the 403 is passed on as an error.
    pub browser: Option<BrowserOpener>,
    /// How long a step-up login waits for the browser.
    pub login_timeout: Duration,
    /// The session error's words.
    pub describe: Describe,
}

/// What is known about the MCP session.
#[derive(Default)]
struct State {
    session_id: Option<String>,
    version: Option<String>,
    initialize_id: Option<String>,
    /// The client's `initialize` and `notifications/initialized`, as sent: said again to the server when
    /// it ends the session (a 404), to begin a new one.
    initialize: Option<Vec<u8>>,
    initialized: Option<Vec<u8>>,
    /// The message endpoint of the older HTTP+SSE transport, once the server named it.
    legacy: Option<Url>,
    get_stream: Option<tokio::task::JoinHandle<()>>,
    /// Set when the server speaks only the modern revision and the client does not: what each message
    /// gets in its `_meta`.
    modern: Option<ModernStamp>,
}

/// The first POST was refused with 404 or 405: try the older transport.
pub struct Refused;

/// The bridge between the client and the server of one account.
pub struct Bridge {
    session: Session,
    settings: Settings,
    out: Output,
    /// Cancelled when the proxy has to stop (the server closed the older transport's stream).
    pub stop: CancellationToken,
    state: Mutex<State>,
    /// One login at a time (a step-up, or a new login).
    step_up: tokio::sync::Mutex<()>,
    /// When the proxy last began a new login because a token was past saving.
    last_login: Mutex<Option<std::time::Instant>>,
    /// Held while a new session is begun: messages wait for it rather than go without a session id.
    renewing: tokio::sync::Mutex<()>,
}

/// How a request failed before the server answered it.
enum Failure {
    Session(mcp_accounts::session::Error),
    Scopes { scopes: Vec<String>, tried: bool },
    Other(String),
}

/// What the answer to a message is matched against.
struct Sent {
    id: Option<Box<RawValue>>,
    id_key: Option<String>,
    request: bool,
    method: String,
}

impl Bridge {
    /// A bridge for `settings.name` over `session`, writing to `out`.
    pub fn new(session: Session, settings: Settings, out: Output) -> Self {
        Bridge {
            session,
            settings,
            out,
            stop: CancellationToken::new(),
            state: Mutex::new(State::default()),
            step_up: tokio::sync::Mutex::new(()),
            last_login: Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Log one line to stderr (stdout is the protocol).
    pub fn log(&self, text: &str) {
        eprintln!("mcp-accounts proxy ({}): {}", self.settings.name, clean(text));
    }

    /// Forward one message from the client. `Err(Refused)` only when `first` and the server refused
    /// the POST as a Streamable HTTP server would not.
    pub async fn forward(self: &Arc<Self>, raw: Vec<u8>, first: bool) -> Result<(), Refused> {
        let Some(probe) = Probe::read(&raw) else {
            send(
                &self.out,
                error_answer(None, -32700, "Parse error: the line is not a JSON-RPC message", None),
            );
            return Ok(());
        };
        let sent = Sent {
            id: probe.id.map(ToOwned::to_owned),
            id_key: probe.id_key(),
            request: probe.is_request(),
            method: probe.method.as_deref().unwrap_or_default().to_owned(),
        };
        match sent.method.as_str() {
            "initialize" => {
                let mut state = self.state();
                state.initialize_id = sent.id_key.clone();
                state.initialize = Some(raw.clone());
            }
            "notifications/initialized" => self.state().initialized = Some(raw.clone()),
            _ => {}
        }
        drop(probe);
        let modern = self.state().modern.clone();
        let raw = match modern {
            // A modern server knows no `initialized`: the bridge answered `initialize` itself.
            Some(_) if sent.method == "notifications/initialized" => return Ok(()),
            Some(stamp) => stamp.stamp(&raw),
            None => raw,
        };
        // Not while a new session is being begun: the message would go without a session id.
        drop(self.renewing.lock().await);
        let (request, session) = self.post(&raw);
        let mut response = match self.send_stepping_up(&request).await {
            Ok(response) => response,
            Err(failure) => {
                self.fail(&sent, failure);
                return Ok(());
            }
        };
        // The server ended the session (it restarted, say): the spec has the client begin a new one with
        // a new `initialize`. The client already has its answer, so the proxy does that for it and sends
        // the message again, once.
        let renewable = sent.method != "initialize" && !sent.method.is_empty();
        if response.status == 404
            && renewable
            && let Some(ended) = session
        {
            if let Err(reason) = self.renew(&ended).await {
                let message = format!("the server ended the MCP session (HTTP 404) and a new one failed: {reason}");
                self.refuse(&sent, TRANSPORT_FAILED, &message);
                return Ok(());
            }
            response = match self.send_stepping_up(&self.post(&raw).0).await {
                Ok(response) => response,
                Err(failure) => {
                    self.fail(&sent, failure);
                    return Ok(());
                }
            };
        }
        if sent.method == "initialize" && response.status == 400 && self.bridge_to_modern(&sent, &raw).await {
            return Ok(());
        }
        self.answer(response, &sent, first).await
    }

    /// The POST of a message, with the transport's headers; and the session id it carries.
    fn post(&self, raw: &[u8]) -> (AuthorizedRequest, Option<String>) {
        let state = self.state();
        let mut request = AuthorizedRequest::new(Method::POST);
        request.target = state.legacy.clone();
        request.body = Some(raw.to_vec());
        request.wait = Some(ANSWER_WAIT);
        let headers = &mut request.headers;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_BOTH));
        let probe = Probe::read(raw);
        let version = probe
            .as_ref()
            .and_then(Probe::meta_version)
            .map(str::to_owned)
            .or_else(|| state.version.clone());
        self.common_headers(headers, &state, version.as_deref());
        if let Some(probe) = probe.filter(|_| state.legacy.is_none() && version.is_some()) {
            // 2026-07-28: the method and name ride in headers too, for the server's routing.
            if let Some(method) = probe.method.as_deref().and_then(|m| HeaderValue::from_str(m).ok()) {
                headers.insert("mcp-method", method);
            }
            if let Some(name) = probe.name_header().and_then(|n| HeaderValue::from_str(n).ok()) {
                headers.insert("mcp-name", name);
            }
        }
        (request, state.session_id.clone().filter(|_| state.legacy.is_none()))
    }

    fn common_headers(&self, headers: &mut HeaderMap, state: &State, version: Option<&str>) {
        for (name, value) in &self.settings.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(id) = state.session_id.as_deref().and_then(|s| HeaderValue::from_str(s).ok()) {
            headers.insert(SESSION_HEADER, id);
        }
        if let Some(version) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(VERSION_HEADER, version);
        }
    }

    /// Send with the account's token; on `insufficient_scope`, log in again with the union of scopes
    /// (when a browser may be opened) and retry, at most [`MAX_STEP_UPS`] times; when the token is past
    /// saving (refused and not refreshable), log in again once and retry.
    async fn send_stepping_up(&self, request: &AuthorizedRequest) -> Result<StreamingResponse, Failure> {
        let started = std::time::Instant::now();
        let (mut stepped, mut relogged) = (0, false);
        loop {
            match self.session.authorized_stream(&self.settings.name, request).await {
                Ok(RequestOutcome::Response(response)) => return Ok(response),
                Ok(RequestOutcome::InsufficientScope { scopes, .. }) => {
                    if stepped == MAX_STEP_UPS || self.settings.browser.is_none() {
                        return Err(Failure::Scopes {
                            scopes,
                            tried: stepped > 0,
                        });
                    }
                    stepped += 1;
                    self.step_up(&scopes).await.map_err(Failure::Session)?;
                }
                Ok(_) => {
                    return Err(Failure::Other(
                        "an answer of a kind this proxy does not know".to_owned(),
                    ));
                }
                Err(e @ mcp_accounts::session::Error::NeedsLogin { .. })
                    if !relogged && self.settings.browser.is_some() =>
                {
                    relogged = true;
                    if !self.log_in_again(&e, started).await.map_err(Failure::Session)? {
                        return Err(Failure::Session(e));
                    }
                }
                Err(e) => return Err(Failure::Session(e)),
            }
        }
    }

    /// Answer the client's request with an error for `failure` (a notification's failure is logged).
    fn fail(&self, sent: &Sent, failure: Failure) {
        let (code, message) = self.failure_words(failure);
        self.refuse(sent, code, &message);
    }

    /// The JSON-RPC error code and the words for `failure`.
    fn failure_words(&self, failure: Failure) -> (i64, String) {
        let name = &self.settings.name;
        match failure {
            Failure::Session(e) => {
                let code = if matches!(e, mcp_accounts::session::Error::NeedsLogin { .. }) {
                    NEEDS_LOGIN
                } else {
                    TRANSPORT_FAILED
                };
                (code, (self.settings.describe)(&e))
            }
            Failure::Scopes { scopes, tried } => {
                let tried = if tried { " (a new login did not grant them)" } else { "" };
                (
                    NEEDS_LOGIN,
                    format!(
                        "the server wants the scope(s) {} for this request{tried}; run: {}",
                        scopes.join(" "),
                        crate::view::login_with_scopes(name, &scopes)
                    ),
                )
            }
            Failure::Other(text) => (TRANSPORT_FAILED, text),
        }
    }

    fn refuse(&self, sent: &Sent, code: i64, message: &str) {
        let message = format!("mcp-accounts: {}", clean(message));
        if sent.request {
            send(&self.out, error_answer(sent.id.as_deref(), code, &message, None));
        } else {
            self.log(&format!("{} was not delivered: {message}", sent.method));
        }
    }

    /// Pass the server's answer to the client.
    async fn answer(
        self: &Arc<Self>,
        mut response: StreamingResponse,
        sent: &Sent,
        first: bool,
    ) -> Result<(), Refused> {
        let session_id = response
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (legacy, had_session) = {
            let mut state = self.state();
            let had = state.session_id.is_some();
            if session_id.is_some() {
                state.session_id = session_id;
            }
            (state.legacy.is_some(), had)
        };
        let status = response.status;
        if (200..300).contains(&status) {
            if is_content_type(&response.headers, EVENT_STREAM) {
                let id = sent.id_key.as_deref();
                let mut events = EventStream::new(response);
                let (mut answered, _) = self.pump(&mut events, id).await;
                // Cut before the answer (SSE polling, or a broken connection): resume where it stopped.
                if sent.request
                    && !answered
                    && let Some(last) = events.last_id().map(str::to_owned)
                {
                    answered = self.resume(last, events.retry_ms(), id).await;
                }
                if sent.request && !answered {
                    self.refuse(
                        sent,
                        TRANSPORT_FAILED,
                        "the server's event stream ended before it answered",
                    );
                }
            } else if is_content_type(&response.headers, "application/json") {
                match read_body(&mut response, MAX_ANSWER).await {
                    Ok(body) => {
                        self.note(&body);
                        send(&self.out, body);
                    }
                    Err(e) => self.refuse(sent, TRANSPORT_FAILED, &e),
                }
            } else if sent.request && !legacy && status != 202 {
                self.refuse(
                    sent,
                    TRANSPORT_FAILED,
                    &format!("the server answered HTTP {status} with no message"),
                );
            }
            if sent.method == "notifications/initialized" && !legacy {
                self.start_get_stream();
            }
            return Ok(());
        }
        if first && !legacy && !had_session && matches!(status, 404 | 405) {
            return Err(Refused);
        }
        let body = read_body(&mut response, 64 * 1024).await.unwrap_or_default();
        if Probe::read(&body).is_some_and(|p| p.is_answer()) {
            send(&self.out, body);
            return Ok(());
        }
        let detail = if status == 404 && had_session {
            "the server ended the MCP session (HTTP 404); restart the client to begin a new one".to_owned()
        } else {
            let text = String::from_utf8_lossy(&body);
            let text = mcp_accounts::text::shorten(text.trim());
            if text.is_empty() {
                format!("the server answered HTTP {status}")
            } else {
                format!("the server answered HTTP {status}: {text}")
            }
        };
        self.refuse(sent, TRANSPORT_FAILED, &detail);
        Ok(())
    }

    /// Learn from an answer: the protocol version `initialize` agreed on.
    fn note(&self, message: &[u8]) {
        let Some(probe) = Probe::read(message) else { return };
        if !probe.is_answer() {
            return;
        }
        let mut state = self.state();
        if state.initialize_id.is_some() && state.initialize_id == probe.id_key() {
            state.version = probe.result_version();
            state.initialize_id = None;
        }
    }

    /// Forward every message of an event stream until it ends; whether one of them answered `id`, and
    /// whether any event came at all.
    async fn pump(&self, events: &mut EventStream, id: Option<&str>) -> (bool, bool) {
        let (mut answered, mut got) = (false, false);
        loop {
            let next = events.next().await;
            got |= matches!(next, Ok(Some(_)));
            match next {
                Ok(Some(event)) if event.kind == "message" && !event.data.trim().is_empty() => {
                    let data = event.data.into_bytes();
                    if let Some(probe) = Probe::read(&data)
                        && probe.is_answer()
                        && id.is_some()
                        && probe.id_key().as_deref() == id
                    {
                        answered = true;
                    }
                    self.note(&data);
                    send(&self.out, data);
                }
                Ok(Some(_)) => {}
                Ok(None) => return (answered, got),
                Err(e) => {
                    self.log(&format!("the server's event stream broke off: {e}"));
                    return (answered, got);
                }
            }
        }
    }

    /// Open the GET stream on which a server sends requests and notifications of its own.
    fn start_get_stream(self: &Arc<Self>) {
        let mut state = self.state();
        if state.get_stream.is_none() {
            let bridge = Arc::clone(self);
            state.get_stream = Some(tokio::spawn(async move { bridge.listen().await }));
        }
    }

    async fn listen(&self) {
        let mut last_id: Option<String> = None;
        let mut delay = Duration::from_secs(1);
        let mut failures = 0;
        loop {
            let request = self.stream_request(last_id.as_deref());
            match self.session.authorized_stream(&self.settings.name, &request).await {
                Ok(RequestOutcome::Response(response))
                    if (200..300).contains(&response.status) && is_content_type(&response.headers, EVENT_STREAM) =>
                {
                    let mut events = EventStream::new(response);
                    let (_, got) = self.pump(&mut events, None).await;
                    last_id = events.last_id().map(str::to_owned).or(last_id);
                    if got {
                        failures = 0;
                        delay = Duration::from_millis(events.retry_ms().unwrap_or(1000).clamp(100, 60_000));
                    } else {
                        delay = (delay * 2).min(Duration::from_secs(30));
                    }
                }
                // 405: the server offers no such stream, which is allowed.
                Ok(RequestOutcome::Response(response)) if response.status == 405 => return,
                Ok(RequestOutcome::Response(response)) => {
                    self.log(&format!(
                        "the server answered HTTP {} to the request for its event stream; going on without it",
                        response.status
                    ));
                    return;
                }
                Ok(_) => return,
                Err(e) => {
                    failures += 1;
                    if failures >= 5 {
                        self.log(&format!("the server's event stream cannot be opened: {e}"));
                        return;
                    }
                }
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The GET of the session's event stream, resumed after `last_id` when there is one (an id that
    /// cannot be a header value is left out: the stream then starts afresh).
    fn stream_request(&self, last_id: Option<&str>) -> AuthorizedRequest {
        let mut request = AuthorizedRequest::new(Method::GET);
        let state = self.state();
        request.headers.insert(ACCEPT, HeaderValue::from_static(EVENT_STREAM));
        self.common_headers(&mut request.headers, &state, state.version.as_deref());
        if let Some(id) = last_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            request.headers.insert("last-event-id", id);
        }
        request
    }

    /// Switch to the older HTTP+SSE transport: GET the server URL as an event stream, take the message
    /// endpoint from its first `endpoint` event, and forward what follows on it from then on.
    pub async fn fall_back(self: &Arc<Self>, first: Vec<u8>) -> Result<(), String> {
        let server = self
            .session
            .server(&self.settings.name)
            .map_err(|e| (self.settings.describe)(&e))?;
        let base = Url::parse(&server.url).map_err(|e| e.to_string())?;
        let mut request = AuthorizedRequest::new(Method::GET);
        request.headers.insert(ACCEPT, HeaderValue::from_static(EVENT_STREAM));
        self.common_headers(&mut request.headers, &State::default(), None);
        let response = match self.session.authorized_stream(&self.settings.name, &request).await {
            Ok(RequestOutcome::Response(response)) => response,
            Ok(_) => return Err("the server refused the event stream for lack of scope".to_owned()),
            Err(e) => return Err((self.settings.describe)(&e)),
        };
        if !(200..300).contains(&response.status) || !is_content_type(&response.headers, EVENT_STREAM) {
            return Err(format!(
                "the server refused the message as Streamable HTTP and answered HTTP {} to the older HTTP+SSE transport's GET",
                response.status
            ));
        }
        let mut events = EventStream::new(response);
        let endpoint = loop {
            let next = tokio::time::timeout(Duration::from_secs(30), events.next()).await;
            match next {
                Ok(Ok(Some(event))) if event.kind == "endpoint" => {
                    break base
                        .join(event.data.trim())
                        .map_err(|e| format!("the server named an endpoint that is not a URL ({e})"))?;
                }
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None)) | Ok(Err(_)) => {
                    return Err("the server's event stream ended before it named its endpoint".to_owned());
                }
                Err(_) => return Err("the server's event stream named no endpoint within 30 s".to_owned()),
            }
        };
        self.state().legacy = Some(endpoint);
        let bridge = Arc::clone(self);
        self.state().get_stream = Some(tokio::spawn(async move {
            bridge.pump(&mut events, None).await;
            bridge.log("the server closed its event stream (HTTP+SSE transport); stopping");
            bridge.stop.cancel();
        }));
        let _ = self.forward(first, false).await;
        Ok(())
    }

    /// End the session: stop listening, and DELETE the session at the server (Streamable HTTP).
    pub async fn close(&self) {
        let (listener, session_id, legacy) = {
            let mut state = self.state();
            (
                state.get_stream.take(),
                state.session_id.clone(),
                state.legacy.is_some(),
            )
        };
        if let Some(listener) = listener {
            listener.abort();
        }
        if session_id.is_none() || legacy {
            return;
        }
        let mut request = AuthorizedRequest::new(Method::DELETE);
        {
            let state = self.state();
            self.common_headers(&mut request.headers, &state, state.version.as_deref());
        }
        request.wait = Some(Duration::from_secs(2));
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.session.authorized_request(&self.settings.name, &request),
        )
        .await;
    }
}
