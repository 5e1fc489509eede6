//! A test authorization server and protected MCP endpoint (axum, 127.0.0.1, port 0), with a switch for each
//! behaviour the MCP authorization spec allows and for the ways real servers differ or misbehave.
//!
//! It checks what a strict server checks: registered redirect URIs, PKCE S256, the `resource` parameter on
//! authorize/token/refresh, single-use codes, refresh-token rotation with reuse detection, revocation. It
//! records every request so tests can count them.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::{Value, json};

/// Where the protected resource metadata is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prm {
    /// In the 401's `resource_metadata` and at the path-inserted well-known URL (the common case).
    HeaderAndPath,
    /// Only through the header, at a URL of its own (`/meta/prm.json`).
    HeaderOnly,
    /// No header; at `/.well-known/oauth-protected-resource/mcp`.
    PathOnly,
    /// No header; at `/.well-known/oauth-protected-resource`.
    RootOnly,
    /// Nowhere: a 2025-03-26 server.
    None,
}

/// Where the authorization server metadata is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    /// RFC 8414 (`/.well-known/oauth-authorization-server{issuer path}`).
    OAuth,
    /// Only OpenID discovery: `{issuer path}/.well-known/openid-configuration` (or at the root without a path).
    OidcOnly,
    /// Nowhere: with `Prm::None`, the 2025-03-26 default endpoints.
    None,
}

/// Misbehaviour that can be switched on while the server runs ([`TestServer::set_hostile`]).
#[derive(Debug, Clone)]
pub enum Hostile {
    /// The authorization server metadata is this body (invalid JSON, the wrong shape…).
    MetadataBody(&'static str),
    /// The metadata names this authorization endpoint (`javascript:…`, `file:…`).
    AuthorizationEndpoint(&'static str),
    /// The metadata is `bytes` long; `with_length` says whether Content-Length announces it.
    HugeMetadata { bytes: usize, with_length: bool },
    /// The metadata trickles one byte every 200 ms, forever.
    TrickleMetadata,
    /// The token endpoint redirects elsewhere.
    TokenRedirect,
    /// The registration endpoint redirects elsewhere.
    RegistrationRedirect,
    /// The registration response is this body.
    RegistrationBody(&'static str),
    /// The token response is this body (status 200).
    TokenBody(&'static str),
    /// The authorization endpoint sends the user back with `error=access_denied` and this description.
    AuthorizeError(&'static str),
}

/// The switches. `Options::default()` is a well-behaved current server.
#[derive(Debug, Clone)]
pub struct Options {
    pub prm: Prm,
    pub metadata: Metadata,
    /// A path for the issuer, such as `/tenant1` (the OAuth endpoints then live under it).
    pub issuer_path: &'static str,
    pub dcr: bool,
    /// A client id that exists without registration (for `--client-id`), with its redirect URIs.
    pub preregistered: Option<(&'static str, Vec<String>)>,
    /// RFC 9207: advertise and send `iss`.
    pub send_iss: bool,
    pub issue_refresh_token: bool,
    pub rotate_refresh_token: bool,
    /// A rotated (used) refresh token presented again kills the whole grant.
    pub reuse_detection: bool,
    pub revocation: bool,
    /// The first token request fails with `invalid_client` and the client is forgotten (a server reset).
    pub invalid_client_once: bool,
    /// `code_challenge_methods_supported`; empty: the field is left out.
    pub pkce_methods: Vec<&'static str>,
    /// Delay before every response.
    pub latency: Duration,
    pub token_ttl_secs: u64,
    /// The `scope` of the 401 challenge.
    pub challenge_scope: Option<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    /// The issuer ends in `/` (the TypeScript SDK's demo server does).
    pub issuer_trailing_slash: bool,
    /// Published URLs say `localhost` though the server listens on 127.0.0.1.
    pub localhost_urls: bool,
    /// `token_type: "bearer"`.
    pub lowercase_bearer: bool,
    /// An invalid token gets 500 instead of 401.
    pub invalid_token_500: bool,
    /// The AS metadata names another issuer.
    pub wrong_issuer: bool,
    /// The token endpoint is `http://` on a non-loopback host.
    pub insecure_token_endpoint: bool,
    /// The AS metadata document is this many bytes of valid JSON.
    pub oversized_metadata: Option<usize>,
    /// The `iss` sent is not the issuer.
    pub wrong_iss: bool,
    /// The token endpoint answers 500 this many times before working.
    pub token_500_times: u32,
    /// After this many registrations, registration answers 429 (the TypeScript SDK allows 20 per hour).
    pub registration_limit: Option<usize>,
    /// Registration hands out a client secret (`client_secret_post`).
    pub issue_client_secret: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prm: Prm::HeaderAndPath,
            metadata: Metadata::OAuth,
            issuer_path: "",
            dcr: true,
            preregistered: None,
            send_iss: false,
            issue_refresh_token: true,
            rotate_refresh_token: true,
            reuse_detection: true,
            revocation: true,
            invalid_client_once: false,
            pkce_methods: vec!["S256"],
            latency: Duration::ZERO,
            token_ttl_secs: 3600,
            challenge_scope: Some("mcp:tools"),
            scopes_supported: vec!["mcp:tools", "mcp:resources"],
            issuer_trailing_slash: false,
            localhost_urls: false,
            lowercase_bearer: false,
            invalid_token_500: false,
            wrong_issuer: false,
            insecure_token_endpoint: false,
            oversized_metadata: None,
            wrong_iss: false,
            token_500_times: 0,
            registration_limit: None,
            issue_client_secret: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    resource: String,
}

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    scope: String,
    family: u64,
}

#[derive(Default)]
struct Data {
    clients: HashMap<String, Vec<String>>,
    codes: HashMap<String, Code>,
    /// access token -> (expires at, family)
    access: HashMap<String, (i64, u64)>,
    /// live refresh tokens
    refresh: HashMap<String, Grant>,
    /// refresh tokens already rotated away
    used_refresh: HashMap<String, u64>,
    dead_families: HashSet<u64>,
    requests: Vec<String>,
    registrations: Vec<Value>,
    /// Every code issued, verifier presented and client secret handed out (for "never printed" checks).
    other_secrets: Vec<String>,
    refreshes: u64,
    revocations: Vec<String>,
    token_failures_left: u32,
    invalid_client_pending: bool,
}

struct Inner {
    opts: Options,
    hostile: Mutex<Option<Hostile>>,
    base: String,
    data: Mutex<Data>,
    counter: AtomicU64,
}

impl Inner {
    fn hostile(&self) -> Option<Hostile> {
        self.hostile.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn next(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{}-{}",
            self.counter.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        )
    }
    /// The origin as published (`localhost` or `127.0.0.1`).
    fn public_base(&self) -> String {
        if self.opts.localhost_urls {
            self.base.replace("127.0.0.1", "localhost")
        } else {
            self.base.clone()
        }
    }
    fn issuer(&self) -> String {
        let mut issuer = if self.opts.prm == Prm::None {
            self.public_base()
        } else {
            format!("{}{}", self.public_base(), self.opts.issuer_path)
        };
        if self.opts.issuer_trailing_slash {
            issuer.push('/');
        }
        issuer
    }
    fn resource(&self) -> String {
        format!("{}/mcp", self.public_base())
    }
    fn endpoint(&self, name: &str) -> String {
        format!("{}{}/{name}", self.public_base(), self.opts.issuer_path)
    }
}

/// A running test server; stopped when dropped.
pub struct TestServer {
    inner: Arc<Inner>,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Start on 127.0.0.1 with a free port, on a thread of its own (usable from sync and async tests).
    pub fn start(opts: Options) -> TestServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let inner = Arc::new(Inner {
            base: format!("http://{addr}"),
            data: Mutex::new(Data {
                token_failures_left: opts.token_500_times,
                invalid_client_pending: opts.invalid_client_once,
                clients: opts
                    .preregistered
                    .iter()
                    .map(|(id, uris)| (id.to_string(), uris.clone()))
                    .collect(),
                ..Data::default()
            }),
            opts,
            hostile: Mutex::new(None),
            counter: AtomicU64::new(1),
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(inner.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        TestServer {
            inner,
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        self.inner.base.clone()
    }
    /// The MCP endpoint as a user would add it.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.inner.public_base())
    }
    pub fn issuer(&self) -> String {
        self.inner.issuer()
    }
    /// Every request seen, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.inner.data().requests.clone()
    }
    pub fn clear_requests(&self) {
        self.inner.data().requests.clear();
    }
    pub fn registrations(&self) -> Vec<Value> {
        self.inner.data().registrations.clone()
    }
    /// How many refresh_token grants succeeded.
    pub fn refreshes(&self) -> u64 {
        self.inner.data().refreshes
    }
    pub fn revocations(&self) -> Vec<String> {
        self.inner.data().revocations.clone()
    }
    /// Every code, PKCE verifier and client secret the server saw or handed out.
    pub fn other_secrets(&self) -> Vec<String> {
        self.inner.data().other_secrets.clone()
    }
    /// Every access and refresh token ever issued (for "never printed" checks).
    pub fn issued_secrets(&self) -> Vec<String> {
        let d = self.inner.data();
        d.access
            .keys()
            .chain(d.refresh.keys())
            .chain(d.used_refresh.keys())
            .cloned()
            .collect()
    }
    /// A registered client and a fresh grant for it, without the browser dance (to fill a database with
    /// many logged-in accounts quickly): (client id, access token, refresh token).
    pub fn mint_grant(&self, redirect_uri: &str) -> (String, String, String) {
        let client_id = self.inner.next("client");
        let (access, refresh) = (self.inner.next("at"), self.inner.next("rt"));
        let family = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        let mut d = self.inner.data();
        d.clients.insert(client_id.clone(), vec![redirect_uri.to_owned()]);
        d.access
            .insert(access.clone(), (now() + self.inner.opts.token_ttl_secs as i64, family));
        d.refresh.insert(
            refresh.clone(),
            Grant {
                client_id: client_id.clone(),
                scope: String::new(),
                family,
            },
        );
        (client_id, access, refresh)
    }
    /// Switch misbehaviour on (or off with `None`).
    pub fn set_hostile(&self, hostile: Option<Hostile>) {
        *self.inner.hostile.lock().unwrap_or_else(|p| p.into_inner()) = hostile;
    }
    /// Make the next `n` token requests fail with 500.
    pub fn fail_token_requests(&self, n: u32) {
        self.inner.data().token_failures_left = n;
    }
    /// Refresh tokens the server would accept now (not rotated away, grant alive).
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        let d = self.inner.data();
        d.refresh
            .iter()
            .filter(|(_, g)| !d.dead_families.contains(&g.family))
            .map(|(t, _)| t.clone())
            .collect()
    }
    /// Whether a refresh token was ever presented twice (reuse detection fired).
    pub fn reuse_detected(&self) -> bool {
        !self.inner.data().dead_families.is_empty()
    }
    /// Whether the access token is accepted by the MCP endpoint now.
    pub fn accepts(&self, token: &str) -> bool {
        access_ok(&self.inner, token)
    }
    /// Make every refresh token of the server forget its grant (invalid_grant on next use).
    pub fn kill_grants(&self) {
        let mut d = self.inner.data();
        let families: Vec<u64> = d.refresh.values().map(|g| g.family).collect();
        d.dead_families.extend(families);
    }
    /// Expire every access token now.
    pub fn expire_access_tokens(&self) {
        for (exp, _) in self.inner.data().access.values_mut() {
            *exp = 0;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn now() -> i64 {
    mcp_accounts::clock::unix_now()
}

fn access_ok(inner: &Inner, token: &str) -> bool {
    let d = inner.data();
    d.access
        .get(token)
        .is_some_and(|(exp, family)| *exp > now() && !d.dead_families.contains(family))
}

fn router(inner: Arc<Inner>) -> Router {
    let ip = inner.opts.issuer_path;
    let mut app = Router::new()
        .route("/mcp", any(mcp))
        .route("/meta/prm.json", get(prm_doc))
        .route("/.well-known/oauth-protected-resource/mcp", get(prm_doc))
        .route("/.well-known/oauth-protected-resource", get(prm_doc));
    let metadata_paths = [
        format!("/.well-known/oauth-authorization-server{ip}"),
        format!("/.well-known/openid-configuration{ip}"),
        format!("{ip}/.well-known/openid-configuration"),
    ];
    for path in metadata_paths.iter().collect::<HashSet<_>>() {
        app = app.route(path, get(as_metadata));
    }
    app.route(&format!("{ip}/authorize"), get(authorize))
        .route(&format!("{ip}/token"), post(token))
        .route(&format!("{ip}/register"), post(register))
        .route(&format!("{ip}/revoke"), post(revoke))
        .layer(middleware::from_fn_with_state(inner.clone(), record))
        .with_state(inner)
}

async fn record(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    inner
        .data()
        .requests
        .push(format!("{} {}", request.method(), request.uri().path()));
    if !inner.opts.latency.is_zero() {
        tokio::time::sleep(inner.opts.latency).await;
    }
    next.run(request).await
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(status, json!({"error": error, "error_description": description}))
}

async fn mcp(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = presented {
        if access_ok(&inner, token) {
            return json_response(
                StatusCode::OK,
                json!({"jsonrpc": "2.0", "id": 1, "result": {
                    "protocolVersion": "2025-11-25", "capabilities": {},
                    "serverInfo": {"name": "test-server", "version": "1"}}}),
            );
        }
        if inner.opts.invalid_token_500 {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
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
    response
}

async fn prm_doc(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let path = request.uri().path();
    let served = match inner.opts.prm {
        Prm::HeaderAndPath => path == "/.well-known/oauth-protected-resource/mcp",
        Prm::HeaderOnly => path == "/meta/prm.json",
        Prm::PathOnly => path == "/.well-known/oauth-protected-resource/mcp",
        Prm::RootOnly => path == "/.well-known/oauth-protected-resource",
        Prm::None => false,
    };
    if !served {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    json_response(
        StatusCode::OK,
        json!({
            "resource": inner.resource(),
            "authorization_servers": [inner.issuer()],
            "scopes_supported": inner.opts.scopes_supported,
            "bearer_methods_supported": ["header"],
        }),
    )
}

async fn as_metadata(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let ip = inner.opts.issuer_path;
    let path = request.uri().path();
    let served = match (inner.opts.prm, inner.opts.metadata) {
        (_, Metadata::None) => false,
        (Prm::None, Metadata::OAuth) => path == "/.well-known/oauth-authorization-server",
        (Prm::None, Metadata::OidcOnly) => false,
        (_, Metadata::OAuth) => path == format!("/.well-known/oauth-authorization-server{ip}"),
        (_, Metadata::OidcOnly) if ip.is_empty() => path == "/.well-known/openid-configuration",
        (_, Metadata::OidcOnly) => path == format!("{ip}/.well-known/openid-configuration"),
    };
    if !served {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match inner.hostile() {
        Some(Hostile::MetadataBody(body)) => return json_response_raw(StatusCode::OK, body),
        Some(Hostile::HugeMetadata { bytes, with_length }) => return huge_body(bytes, with_length),
        Some(Hostile::TrickleMetadata) => return trickle_body(),
        _ => {}
    }
    let o = &inner.opts;
    let mut doc = json!({
        "issuer": if o.wrong_issuer { "https://evil.example".to_owned() } else { inner.issuer() },
        "authorization_endpoint": inner.endpoint("authorize"),
        "token_endpoint": if o.insecure_token_endpoint { "http://evil.example/token".to_owned() } else { inner.endpoint("token") },
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": o.scopes_supported,
    });
    if !o.pkce_methods.is_empty() {
        doc["code_challenge_methods_supported"] = json!(o.pkce_methods);
    }
    if o.dcr {
        doc["registration_endpoint"] = json!(inner.endpoint("register"));
    }
    if o.revocation {
        doc["revocation_endpoint"] = json!(inner.endpoint("revoke"));
    }
    if o.send_iss {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    if let Some(size) = o.oversized_metadata {
        doc["padding"] = json!("x".repeat(size));
    }
    if let Some(Hostile::AuthorizationEndpoint(url)) = inner.hostile() {
        doc["authorization_endpoint"] = json!(url);
    }
    json_response(StatusCode::OK, doc)
}

fn json_response_raw(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn redirect_elsewhere() -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, "http://127.0.0.1:9/elsewhere")],
    )
        .into_response()
}

/// A valid-looking JSON document of `bytes` bytes, streamed in 64 KiB chunks.
fn huge_body(bytes: usize, with_length: bool) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunks = bytes.div_ceil(CHUNK);
    let stream = futures::stream::iter((0..chunks).map(move |i| {
        let len = if i + 1 == chunks { bytes - i * CHUNK } else { CHUNK };
        Ok::<_, std::io::Error>(Bytes::from(vec![b' '; len]))
    }));
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    if with_length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, bytes.to_string().parse().unwrap());
    }
    response
}

/// A body that never ends: one byte every 200 ms.
fn trickle_body() -> Response {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b" ")), ()))
    });
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    response
}

async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    if !inner.opts.dcr {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match inner.hostile() {
        Some(Hostile::RegistrationRedirect) => return redirect_elsewhere(),
        Some(Hostile::RegistrationBody(body)) => return json_response_raw(StatusCode::CREATED, body),
        _ => {}
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata", "body is not JSON");
    };
    let uris: Vec<String> = request["redirect_uris"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if uris.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required",
        );
    }
    let client_id = inner.next("client");
    let secret = format!("CLIENT-SECRET-{client_id}");
    let mut d = inner.data();
    if inner
        .opts
        .registration_limit
        .is_some_and(|limit| d.registrations.len() >= limit)
    {
        return oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "registration rate limit",
        );
    }
    d.registrations.push(request.clone());
    d.clients.insert(client_id.clone(), uris.clone());
    let mut response = json!({
        "client_id": client_id,
        "client_id_issued_at": now(),
        "client_name": request["client_name"],
        "redirect_uris": uris,
        "grant_types": request["grant_types"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    if inner.opts.issue_client_secret {
        response["client_secret"] = json!(secret);
        response["client_secret_expires_at"] = json!(0);
        response["token_endpoint_auth_method"] = json!("client_secret_post");
        d.other_secrets.push(secret);
    }
    json_response(StatusCode::CREATED, response)
}

async fn authorize(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let query: HashMap<String, String> = url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let client_id = get("client_id");
    let redirect_uri = get("redirect_uri");
    let known = inner.data().clients.get(&client_id).cloned();
    // Problems with the client or redirect URI must not redirect (RFC 6749 §4.1.2.1): show a page.
    let Some(uris) = known else {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    };
    if !uris.contains(&redirect_uri) {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not registered").into_response();
    }
    let mut target = url::Url::parse(&redirect_uri).unwrap();
    if let Some(Hostile::AuthorizeError(description)) = inner.hostile() {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", description)
            .append_pair("state", &get("state"));
        return (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response();
    }
    let problem = if get("response_type") != "code" {
        Some("response_type must be code")
    } else if get("code_challenge_method") != "S256" || get("code_challenge").len() != 43 {
        Some("PKCE S256 is required")
    } else if get("resource") != inner.resource() {
        Some("resource does not name this server")
    } else {
        None
    };
    {
        let mut pairs = target.query_pairs_mut();
        if let Some(problem) = problem {
            pairs.append_pair("error", "invalid_request");
            pairs.append_pair("error_description", problem);
        } else {
            let code = inner.next("code");
            inner.data().other_secrets.push(code.clone());
            inner.data().codes.insert(
                code.clone(),
                Code {
                    client_id,
                    redirect_uri: redirect_uri.clone(),
                    challenge: get("code_challenge"),
                    scope: get("scope"),
                    resource: get("resource"),
                },
            );
            pairs.append_pair("code", &code);
        }
        if query.contains_key("state") {
            pairs.append_pair("state", &get("state"));
        }
        if inner.opts.send_iss || inner.opts.wrong_iss {
            let iss = if inner.opts.wrong_iss {
                "https://evil.example".to_owned()
            } else {
                inner.issuer()
            };
            pairs.append_pair("iss", &iss);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// The client id of an HTTP Basic `Authorization` header (client_secret_basic), if any.
fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let id = text.split(':').next()?;
    url::form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

async fn token(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    match inner.hostile() {
        Some(Hostile::TokenRedirect) => return redirect_elsewhere(),
        Some(Hostile::TokenBody(body)) => return json_response_raw(StatusCode::OK, body),
        _ => {}
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut d = inner.data();
    if d.token_failures_left > 0 {
        d.token_failures_left -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "temporarily broken").into_response();
    }
    let client_id = basic_client_id(&headers).unwrap_or_else(|| get("client_id"));
    if d.invalid_client_pending {
        d.invalid_client_pending = false;
        d.clients.remove(&client_id);
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client not found");
    }
    if !d.clients.contains_key(&client_id) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client not found");
    }
    if get("resource") != inner.resource() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource does not name this server",
        );
    }
    let (scope, family) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(code) = d.codes.remove(&get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
            };
            d.other_secrets.push(get("code_verifier"));
            let verifier = PkceCodeVerifier::new(get("code_verifier"));
            let expected = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
            if code.client_id != client_id
                || code.redirect_uri != get("redirect_uri")
                || code.resource != get("resource")
                || expected.as_str() != code.challenge
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code binding mismatch");
            }
            (code.scope, inner.counter.fetch_add(1, Ordering::Relaxed))
        }
        "refresh_token" => {
            let presented = get("refresh_token");
            if let Some(family) = d.used_refresh.get(&presented).copied() {
                if inner.opts.reuse_detection {
                    d.dead_families.insert(family);
                }
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "refresh token reused");
            }
            let Some(grant) = d.refresh.get(&presented).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown refresh token");
            };
            if d.dead_families.contains(&grant.family) || grant.client_id != client_id {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "grant revoked");
            }
            if inner.opts.rotate_refresh_token {
                d.refresh.remove(&presented);
                d.used_refresh.insert(presented, grant.family);
            }
            d.refreshes += 1;
            (grant.scope, grant.family)
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "no"),
    };
    let access = inner.next("at");
    d.access
        .insert(access.clone(), (now() + inner.opts.token_ttl_secs as i64, family));
    let mut response = json!({
        "access_token": access,
        "token_type": if inner.opts.lowercase_bearer { "bearer" } else { "Bearer" },
        "expires_in": inner.opts.token_ttl_secs,
    });
    if !scope.is_empty() {
        response["scope"] = json!(scope);
    }
    let is_refresh = get("grant_type") == "refresh_token";
    if inner.opts.issue_refresh_token && (!is_refresh || inner.opts.rotate_refresh_token) {
        let refresh = inner.next("rt");
        d.refresh.insert(
            refresh.clone(),
            Grant {
                client_id,
                scope,
                family,
            },
        );
        response["refresh_token"] = json!(refresh);
    }
    json_response(StatusCode::OK, response)
}

async fn revoke(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    if !inner.opts.revocation {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    let mut d = inner.data();
    d.revocations
        .push(form.get("token_type_hint").cloned().unwrap_or_default());
    let family = d
        .refresh
        .get(&token)
        .map(|g| g.family)
        .or_else(|| d.access.get(&token).map(|(_, f)| *f));
    if let Some(family) = family {
        d.dead_families.insert(family);
    }
    StatusCode::OK.into_response()
}
