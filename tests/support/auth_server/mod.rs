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
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::{Value, json};

mod device;
mod handlers;
mod mcp;
mod poison;
use handlers::router;
#[allow(unused_imports)]
pub use mcp::{McpTransport, VERIFY_OLDER_SERVER};
#[allow(unused_imports)] // the benches share this module and poison nothing
pub use poison::{Doc, Poison};

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
    /// The protected resource metadata's `resource` is this, with `{base}` replaced by the server's
    /// origin (`{BASE}`: the same in capitals).
    PrmResource(&'static str),
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
    /// The MCP endpoint answers 403 `insufficient_scope` to a token without this scope.
    pub required_scope: Option<&'static str>,
    /// `token_endpoint_auth_methods_supported`. Registration honours the method asked for: a secret is
    /// issued for `client_secret_post`/`client_secret_basic`, and token and revocation requests must then
    /// authenticate that way.
    pub auth_methods: Vec<&'static str>,
    /// Revocation requires a `client_secret` field, as the MCP Python SDK's does (its form model has
    /// `client_secret: str | None` without a default).
    pub revocation_requires_secret: bool,
    /// The authorization server's own `scopes_supported` (`None`: the same as the resource's).
    pub as_scopes_supported: Option<Vec<&'static str>>,
    /// Registration refuses redirect URIs on this host (`"*"`: on any host) with `invalid_redirect_uri`.
    pub refuse_redirect_host: Option<&'static str>,
    /// Advertise and accept client ID metadata documents (an `https://` client id, not registered).
    pub cimd: bool,
    /// A refresh answers with the access token the grant already has (a new expiry, the same string).
    pub same_access_token_on_refresh: bool,
    /// How the MCP endpoint speaks.
    pub mcp_transport: McpTransport,
    /// The MCP endpoint refuses every token with 401 (a token the server will never take).
    pub refuse_every_token: bool,
    /// The MCP endpoint also speaks 2026-07-28 (`server/discover`, and prompts).
    pub mcp_modern: bool,
    /// The MCP endpoint speaks 2026-07-28 only: a message without the modern `_meta` and headers (an
    /// `initialize`, say) gets 400 with `UnsupportedProtocolVersionError` naming the versions it speaks.
    pub mcp_modern_only: bool,
    /// SSE polling (2025-11-25): an event-stream answer to a POST is cut after its first events (one with an
    /// id and this `retry`, in milliseconds); the answer comes on a GET with that `Last-Event-ID`.
    pub sse_polling: Option<u64>,
    /// Offer device logins (RFC 8628) at `/device`.
    pub device: bool,
    /// How long a device code lives, in seconds.
    pub device_code_ttl_secs: u64,
    /// Answer the first poll of each device code with `slow_down`.
    pub device_slow_down: bool,
    /// `prompt_values_supported` in the metadata (OpenID).
    pub prompt_values: Option<Vec<&'static str>>,
    /// The loopback address to listen on (all of 127.0.0.0/8 is this machine: the demo servers of the
    /// screenshots take one each, so that each account shows a host of its own).
    pub listen: std::net::Ipv4Addr,
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
            required_scope: None,
            auth_methods: vec!["none"],
            revocation_requires_secret: false,
            as_scopes_supported: None,
            refuse_redirect_host: None,
            cimd: false,
            same_access_token_on_refresh: false,
            mcp_transport: McpTransport::Json,
            refuse_every_token: false,
            mcp_modern: false,
            mcp_modern_only: false,
            sse_polling: None,
            device: false,
            device_code_ttl_secs: 60,
            device_slow_down: false,
            prompt_values: None,
            listen: std::net::Ipv4Addr::LOCALHOST,
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
    /// Who the browser was signed in as (an `id_token` is issued for them).
    user: Option<String>,
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
    /// access token -> the scopes it carries
    access_scopes: HashMap<String, String>,
    /// client id -> (authentication method, secret)
    client_auth: HashMap<String, (String, Option<String>)>,
    /// Every `scope` asked for at /authorize, in order.
    authorize_scopes: Vec<String>,
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
    /// The string poisoned in answers ([`TestServer::poison`]), and what the poisoning saw.
    poison: Option<Poison>,
    poison_report: poison::PoisonReport,
    /// family -> its latest access token
    family_access: HashMap<u64, String>,
    revocations: Vec<String>,
    token_failures_left: u32,
    invalid_client_pending: bool,
    mcp: mcp::McpLog,
    device: device::DeviceLog,
    /// The `prompt` of every authorization request, in order.
    authorize_prompts: Vec<Option<String>>,
}

struct Inner {
    opts: Options,
    /// After [`TestServer::move_authorization_server`]: the authorization server lives under `/as2`.
    moved: std::sync::atomic::AtomicBool,
    hostile: Mutex<Option<Hostile>>,
    base: String,
    data: Mutex<Data>,
    counter: AtomicU64,
    /// Cancelled when the server stops: open event streams end, so the graceful shutdown can finish.
    closing: tokio_util::sync::CancellationToken,
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
    fn issuer_path(&self) -> &'static str {
        if self.moved.load(Ordering::Relaxed) {
            "/as2"
        } else {
            self.opts.issuer_path
        }
    }
    fn issuer(&self) -> String {
        let mut issuer = if self.opts.prm == Prm::None {
            self.public_base()
        } else {
            format!("{}{}", self.public_base(), self.issuer_path())
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
        format!("{}{}/{name}", self.public_base(), self.issuer_path())
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
    /// Start on 127.0.0.1 (or the address of `opts.listen`) with a free port, on a thread of its own
    /// (usable from sync and async tests).
    pub fn start(opts: Options) -> TestServer {
        let std_listener = std::net::TcpListener::bind((opts.listen, 0)).unwrap();
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
            moved: std::sync::atomic::AtomicBool::new(false),
            closing: tokio_util::sync::CancellationToken::new(),
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
    /// Move the authorization server to another issuer (`BASE/as2`): the protected resource metadata
    /// names it from now on, as when an MCP server changes its authorization server.
    pub fn move_authorization_server(&self) {
        self.inner.moved.store(true, Ordering::Relaxed);
    }
    /// The `scope` of every authorization request so far.
    pub fn authorize_scopes(&self) -> Vec<String> {
        self.inner.data().authorize_scopes.clone()
    }
    /// What the MCP endpoint saw: (methods posted, session ids sent with them, protocol versions sent
    /// with them, DELETEs, GET streams opened).
    #[allow(clippy::type_complexity)]
    pub fn mcp_log(&self) -> (Vec<String>, Vec<Option<String>>, Vec<Option<String>>, usize, usize) {
        let d = self.inner.data();
        let m = &d.mcp;
        (
            m.methods.clone(),
            m.session_ids.clone(),
            m.versions.clone(),
            m.deletes,
            m.get_streams,
        )
    }
    /// The `prompt` of every authorization request so far.
    pub fn authorize_prompts(&self) -> Vec<Option<String>> {
        self.inner.data().authorize_prompts.clone()
    }
    /// How many token requests polled for device codes so far.
    pub fn device_polls(&self) -> usize {
        self.inner.data().device.polls
    }
    /// The user approves every pending device code, signed in as `user`.
    pub fn approve_devices(&self, user: &str) {
        for code in self.inner.data().device.codes.values_mut() {
            code.approved_by = Some(user.to_owned());
        }
    }
    /// The `X-Tenant` header of every JSON-RPC message posted to the MCP endpoint.
    pub fn mcp_tenants(&self) -> Vec<Option<String>> {
        self.inner.data().mcp.tenants.clone()
    }
    /// How long after its cut stream each polled answer was asked for again (GET with `Last-Event-ID`).
    pub fn sse_resumed_after(&self) -> Vec<Duration> {
        self.inner.data().mcp.resumed_after.clone()
    }
    /// Forget every MCP session handed out so far, as a restarted server would: requests with their ids
    /// get 404, and open GET streams end.
    pub fn end_mcp_sessions(&self) {
        let mut d = self.inner.data();
        let issued = std::mem::take(&mut d.mcp.issued);
        d.mcp.ended.extend(issued);
        d.mcp.legacy.retain(|key, _| !key.starts_with("get-"));
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
        self.inner.closing.cancel();
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
