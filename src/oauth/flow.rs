//! The flows over a [`TokenStore`]: login (authorization code + PKCE S256, `state`, RFC 9207 `iss`, RFC 8707
//! `resource`), refresh (one at a time per account, across processes, through a lease in the store),
//! logout (RFC 7009 revocation, then local delete) and [`valid_token`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::callback::{CallbackResult, CallbackServer, Verdict, start_callback_server};
use super::discovery::{Discovery, DiscoveryMode, ServerMetadata, discover, same_issuer};
use super::http::{HttpClient, describe_json_error};
use super::registration::{DEFAULT_CLIENT_NAME, register_client};
use super::{Error, sanitize, unix_now, unix_now_ms};
use crate::secret::Secret;
use crate::store::{ClientRegistration, ClientSource, RefreshRecord, ServerRecord, StoredToken, TokenStore};
use crate::urls::{check_transport, parse_endpoint, redact_for_display};

/// How long `login` waits for the browser unless told otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// `valid_token` refreshes when fewer seconds than this remain.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// An `expires_in` beyond ten years is taken as ten years (and never overflows the clock).
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;
/// Stored metadata older than this is discovered again before it is used: servers move endpoints rarely, but
/// a day-old answer is cheap to renew (three requests) and a stale one makes a login fail for no visible
/// reason.
pub const METADATA_MAX_AGE_SECS: i64 = 24 * 3600;
/// How often a process waiting for another's refresh looks at the store.
const LEASE_POLL: Duration = Duration::from_millis(40);

/// Opens a URL in a browser; `Err` says why it could not (the URL is shown to the user anyway).
pub type BrowserOpener = Arc<dyn Fn(&Url) -> Result<(), String> + Send + Sync>;
/// Receives the steps of a login as they happen (the TUI shows them; the CLI prints some).
pub type StepReporter = Arc<dyn Fn(LoginStep) + Send + Sync>;

/// Where a login is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStep {
    Discovering,
    Registering,
    /// The authorization URL is ready; the user completes the login in a browser.
    WaitingForBrowser {
        url: String,
    },
    /// The browser could not be started; the user has to open the URL by hand.
    BrowserNotOpened {
        reason: String,
    },
    Exchanging,
}

/// How to run a login.
#[derive(Clone)]
pub struct LoginOptions {
    /// The `client_name` registered.
    pub client_name: String,
    /// How long to wait for the browser.
    pub timeout: Duration,
    /// Cancels the login (and frees the callback port).
    pub cancel: CancellationToken,
    /// `None`: do not start a browser, only report the URL.
    pub open_browser: Option<BrowserOpener>,
    pub on_step: Option<StepReporter>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            client_name: DEFAULT_CLIENT_NAME.to_owned(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            cancel: CancellationToken::new(),
            open_browser: None,
            on_step: None,
        }
    }
}

impl LoginOptions {
    fn report(&self, step: LoginStep) {
        if let Some(on_step) = &self.on_step {
            on_step(step);
        }
    }
}

/// What a successful login did.
#[derive(Debug)]
pub struct LoginOutcome {
    pub token: StoredToken,
    /// Whether discovery ran (rather than using stored metadata).
    pub discovered: bool,
    /// Whether a client was registered during this login.
    pub registered: bool,
}

/// What `logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// There was no token.
    NotLoggedIn,
    /// Revoked at the server (RFC 7009), then deleted here.
    Revoked,
    /// Deleted here only; the reason says why the server was not asked.
    LocalOnly { reason: String },
}

/// The stored metadata of NAME when it is for the configured URL and younger than a day. An unreadable
/// record counts as none.
pub fn fresh_metadata(store: &dyn TokenStore, name: &str, server: &ServerRecord) -> Option<Discovery> {
    store
        .get_metadata(name)
        .ok()
        .flatten()
        .filter(|d| d.server_url == server.url && unix_now() - d.discovered_at < METADATA_MAX_AGE_SECS)
}

/// Run discovery for a configured server and store the result.
pub async fn discover_account(store: &dyn TokenStore, http: &HttpClient, name: &str) -> Result<Discovery, Error> {
    let server = server(store, name)?;
    let discovery = discover(http, &server.url).await?;
    store.set_metadata(name, &discovery)?;
    Ok(discovery)
}

/// Log in to the server NAME: discovery (or the stored metadata), a client registration (stored, configured,
/// or registered now), the browser round trip, the code exchange; the result is stored in one transaction.
pub async fn login(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    opts: &LoginOptions,
) -> Result<LoginOutcome, Error> {
    tokio::select! {
        outcome = login_inner(store, http, name, opts) => outcome,
        // Dropping the inner future drops its callback server, which frees the port.
        _ = opts.cancel.cancelled() => Err(Error::Cancelled),
    }
}

async fn login_inner(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    opts: &LoginOptions,
) -> Result<LoginOutcome, Error> {
    let server = server(store, name)?;
    let (discovery, discovered) = match fresh_metadata(store, name, &server) {
        Some(stored) => (stored, false),
        None => {
            opts.report(LoginStep::Discovering);
            (discover_account(store, http, name).await?, true)
        }
    };
    check_pkce(&discovery.authorization_server, discovery.mode)?;
    let scopes = if server.scopes.is_empty() {
        discovery.default_scopes()
    } else {
        server.scopes.clone()
    };
    let mut registered = false;
    let mut reregistered = false;
    loop {
        let prepared = prepare_client(store, http, name, &server, &discovery, opts, reregistered).await?;
        registered |= prepared.registered;
        let source = prepared.client.source;
        match authorize(store, http, name, &discovery, prepared, &scopes, opts).await {
            Ok(token) => {
                return Ok(LoginOutcome {
                    token,
                    discovered,
                    registered,
                });
            }
            // A stale registration (the server forgot us): drop it, register again, once.
            Err(Failure::ClientRejected(_)) if !reregistered && source == ClientSource::Dynamic => {
                store.delete_client(name)?;
                reregistered = true;
            }
            Err(Failure::ClientRejected(detail)) => {
                return Err(Error::Token(format!(
                    "the authorization server does not accept the client id ({detail})"
                )));
            }
            Err(Failure::Other(e)) => return Err(e),
        }
    }
}

/// MCP 2025-11-25: refuse an authorization server that does not list PKCE `S256`. The 2025-03-26 fallbacks
/// predate that field, so there its absence is accepted.
pub fn check_pkce(metadata: &ServerMetadata, mode: DiscoveryMode) -> Result<(), Error> {
    if metadata.supports_s256() {
        return Ok(());
    }
    match (&metadata.code_challenge_methods_supported, mode) {
        (None, DiscoveryMode::LegacyDefaults | DiscoveryMode::LegacyMetadata) => Ok(()),
        (methods, _) => Err(Error::Unsupported(format!(
            "authorization server {} does not support PKCE S256 (code_challenge_methods_supported: {}); refusing to log in",
            sanitize(&metadata.issuer),
            methods
                .as_ref()
                .map(|m| sanitize(&m.join(" ")))
                .unwrap_or_else(|| "absent".to_owned())
        ))),
    }
}

/// RFC 9207 §2.4 as MCP 2026-07-28 asks: compare `iss` when present; reject its absence when the server
/// said it sends it; exact string comparison.
pub fn check_iss(metadata: &ServerMetadata, iss: Option<&str>) -> Result<(), Error> {
    let required = metadata.authorization_response_iss_parameter_supported == Some(true);
    match iss {
        Some(iss) if iss == metadata.issuer => Ok(()),
        Some(iss) => Err(Error::Callback(format!(
            "the authorization response came from issuer {:?}, not {:?} (RFC 9207 mix-up protection); nothing was stored",
            sanitize(iss),
            sanitize(&metadata.issuer)
        ))),
        None if required => Err(Error::Callback(
            "the authorization response lacks the iss parameter its server promised (RFC 9207); nothing was stored"
                .to_owned(),
        )),
        None => Ok(()),
    }
}

fn server(store: &dyn TokenStore, name: &str) -> Result<ServerRecord, Error> {
    store
        .get_server(name)?
        .ok_or_else(|| Error::UnknownServer(name.to_owned()))
}

struct Prepared {
    client: ClientRegistration,
    callback: CallbackServer,
    results: tokio::sync::oneshot::Receiver<CallbackResult>,
    registered: bool,
}

/// Pick the client and the callback port. A stored registration is reused only for the same issuer and the
/// same redirect URI; its port is tried first, and when that port is busy a free one is taken and a new
/// client registered. A pre-registered client has exactly one port, and a busy one is an error.
async fn prepare_client(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    server: &ServerRecord,
    discovery: &Discovery,
    opts: &LoginOptions,
    force_new: bool,
) -> Result<Prepared, Error> {
    let issuer = discovery.issuer();
    if server.client_id.is_some() {
        let (callback, redirect_uri, results) = start_callback_server(server.callback_port.unwrap_or(0)).await?;
        let client = configured_client(server, issuer, &redirect_uri)?;
        return Ok(Prepared {
            client,
            callback,
            results,
            registered: false,
        });
    }
    let stored = if force_new {
        None
    } else {
        // An unreadable record is as good as none: a new registration replaces it.
        store.get_client(name).ok().flatten().filter(|c| {
            c.source == ClientSource::Dynamic && c.issuer.as_deref().is_some_and(|i| same_issuer(i, issuer))
        })
    };
    let wanted = server
        .callback_port
        .or_else(|| stored.as_ref().and_then(ClientRegistration::redirect_port))
        .unwrap_or(0);
    let (callback, redirect_uri, results) = match start_callback_server(wanted).await {
        Err(Error::PortBusy(_)) if wanted != 0 => start_callback_server(0).await?,
        other => other?,
    };
    if let Some(client) = stored.filter(|c| c.redirect_uri == redirect_uri) {
        return Ok(Prepared {
            client,
            callback,
            results,
            registered: false,
        });
    }
    let Some(endpoint) = discovery.authorization_server.registration_endpoint.as_deref() else {
        return Err(Error::Unsupported(format!(
            "authorization server {} offers no dynamic client registration; register a client there, then: mcp-accounts remove {name} && mcp-accounts add {name} {} --client-id ID",
            sanitize(issuer),
            server.url
        )));
    };
    opts.report(LoginStep::Registering);
    let mut client = register_client(http, endpoint, &opts.client_name, &redirect_uri).await?;
    client.issuer = Some(issuer.to_owned());
    // Stored at once: registrations can be rate-limited, and a login abandoned in the browser should not
    // cost another one next time.
    store.set_client(name, &client)?;
    Ok(Prepared {
        client,
        callback,
        results,
        registered: true,
    })
}

/// The client of a server configured with `--client-id`; its secret comes from the environment and is
/// never stored.
fn configured_client(server: &ServerRecord, issuer: &str, redirect_uri: &str) -> Result<ClientRegistration, Error> {
    let client_id = server.client_id.clone().unwrap_or_default();
    let client_secret = match &server.client_secret_env {
        None => None,
        Some(var) => Some(Secret::new(std::env::var(var).map_err(|_| {
            Error::Unsupported(format!(
                "the client secret is read from the environment variable {var}, which is not set"
            ))
        })?)),
    };
    Ok(ClientRegistration {
        client_id,
        token_endpoint_auth_method: Some(
            if client_secret.is_some() {
                "client_secret_basic"
            } else {
                "none"
            }
            .to_owned(),
        ),
        client_secret,
        client_secret_expires_at: None,
        client_id_issued_at: None,
        issuer: Some(issuer.to_owned()),
        redirect_uri: redirect_uri.to_owned(),
        registered_at: unix_now(),
        source: ClientSource::Configured,
        registration_response: None,
    })
}

/// What stored for a configured client: never its secret.
fn storable(client: &ClientRegistration) -> ClientRegistration {
    let mut stored = client.clone();
    if stored.source == ClientSource::Configured {
        stored.client_secret = None;
    }
    stored
}

type AuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn oauth_client(metadata: &ServerMetadata, client: &ClientRegistration) -> Result<AuthClient, Error> {
    let auth = parse_endpoint("authorization_endpoint", &metadata.authorization_endpoint)?;
    let token = parse_endpoint("token_endpoint", &metadata.token_endpoint)?;
    let redirect = RedirectUrl::new(client.redirect_uri.clone())
        .map_err(|e| Error::Callback(format!("invalid redirect URI: {e}")))?;
    let mut oauth = BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(auth))
        .set_token_uri(TokenUrl::from_url(token))
        .set_redirect_uri(redirect);
    if let Some(secret) = &client.client_secret {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    // RFC 7591 §2: a client with a secret and no stated method uses HTTP Basic; a public client sends its
    // client_id in the body.
    let basic = client.client_secret.is_some()
        && client
            .token_endpoint_auth_method
            .as_deref()
            .is_none_or(|m| m == "client_secret_basic");
    Ok(oauth.set_auth_type(if basic {
        AuthType::BasicAuth
    } else {
        AuthType::RequestBody
    }))
}

enum Failure {
    /// The server does not know the client (`invalid_client`): worth one new registration.
    ClientRejected(String),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Other(e)
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Other(e.into())
    }
}

async fn authorize(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    discovery: &Discovery,
    prepared: Prepared,
    scopes: &[String],
    opts: &LoginOptions,
) -> Result<StoredToken, Failure> {
    let Prepared {
        client,
        callback,
        results,
        ..
    } = prepared;
    let oauth = oauth_client(&discovery.authorization_server, &client)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = oauth
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", &discovery.resource);
    for scope in scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (auth_url, state) = request.url();
    // Only https:// or loopback http:// ever reaches a browser (a javascript: or file: URL never does).
    check_transport(&auth_url).map_err(Error::from)?;
    callback.expect_state(state.secret());
    opts.report(LoginStep::WaitingForBrowser {
        url: auth_url.to_string(),
    });
    if let Some(open) = &opts.open_browser
        && let Err(reason) = open(&auth_url)
    {
        opts.report(LoginStep::BrowserNotOpened { reason });
    }

    let waited = tokio::select! {
        result = results => result.map_err(|_| Error::Callback("the callback server stopped unexpectedly".to_owned())),
        _ = tokio::time::sleep(opts.timeout) => Err(match callback.refused() {
            0 => Error::LoginTimedOut(opts.timeout.as_secs()),
            refused => Error::Callback(format!(
                "no browser callback for this login within {} s; {refused} answer(s) for another login attempt were refused (state mismatch)",
                opts.timeout.as_secs()
            )),
        }),
    };
    let mut result = match waited {
        Ok(result) => result,
        Err(e) => {
            callback.shutdown().await;
            return Err(e.into());
        }
    };
    let outcome = finish(
        store,
        http,
        name,
        discovery,
        &client,
        &oauth,
        &mut result,
        state,
        verifier,
        scopes,
        opts,
    )
    .await;
    result.answer(match &outcome {
        Ok(_) => Verdict::Success(format!("mcp-accounts is now logged in to {name}.")),
        Err(Failure::ClientRejected(detail)) => Verdict::Failure(format!(
            "The server rejected this client ({detail}); mcp-accounts registers a new one and opens a new sign-in."
        )),
        Err(Failure::Other(e)) => Verdict::Failure(e.to_string()),
    });
    callback.shutdown().await;
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    discovery: &Discovery,
    client: &ClientRegistration,
    oauth: &AuthClient,
    result: &mut CallbackResult,
    state: CsrfToken,
    verifier: oauth2::PkceCodeVerifier,
    scopes: &[String],
    opts: &LoginOptions,
) -> Result<StoredToken, Failure> {
    if result.state.as_ref().map(Secret::expose) != Some(state.secret().as_str()) {
        return Err(Error::Callback(
            "the browser returned an answer for a different login attempt (state mismatch); nothing was stored"
                .to_owned(),
        )
        .into());
    }
    // Before reading `error`: on an iss mismatch the error text comes from an unknown server.
    check_iss(&discovery.authorization_server, result.iss.as_deref())?;
    if let Some(error) = &result.error {
        let text = oauth_error_text(error, result.error_description.as_deref());
        if error == "invalid_client" {
            return Err(Failure::ClientRejected(text));
        }
        return Err(Error::Authorization(text).into());
    }
    let Some(code) = result.code.take() else {
        return Err(Error::Callback("the authorization response has no code".to_owned()).into());
    };
    opts.report(LoginStep::Exchanging);
    let response = oauth
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", &discovery.resource)
        .request_async(http)
        .await;
    let response = match response.map_err(classify) {
        Ok(r) => r,
        Err(Rejection::InvalidClient(text)) => return Err(Failure::ClientRejected(text)),
        Err(Rejection::InvalidGrant(text)) => {
            return Err(Error::Token(format!("the authorization server did not accept the code ({text})")).into());
        }
        Err(Rejection::Other(e)) => return Err(e.into()),
    };
    let token = token_from_response(&response, None, scopes, discovery.issuer(), &discovery.resource)?;
    store.save_login(name, discovery, &storable(client), &token)?;
    Ok(token)
}

fn oauth_error_text(error: &str, description: Option<&str>) -> String {
    match description {
        Some(d) => format!("{}: {}", sanitize(error), sanitize(d)),
        None => sanitize(error),
    }
}

enum Rejection {
    InvalidGrant(String),
    InvalidClient(String),
    Other(Error),
}

fn classify(e: RequestTokenError<Error, BasicErrorResponse>) -> Rejection {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let text = oauth_error_text(r.error().as_ref(), r.error_description().map(String::as_str));
            match r.error() {
                BasicErrorResponseType::InvalidGrant => Rejection::InvalidGrant(text),
                BasicErrorResponseType::InvalidClient => Rejection::InvalidClient(text),
                _ => Rejection::Other(Error::Token(format!("the token endpoint refused: {text}"))),
            }
        }
        RequestTokenError::Request(e) => Rejection::Other(e),
        RequestTokenError::Parse(e, _body) => Rejection::Other(Error::Token(format!(
            "the token response is not valid ({} at `{}`)",
            describe_json_error(e.inner()),
            e.path()
        ))),
        RequestTokenError::Other(text) => {
            Rejection::Other(Error::Token(format!("unexpected token response: {}", sanitize(&text))))
        }
    }
}

/// Build the stored token from a token response. `previous` is the token being refreshed: its refresh token
/// is kept when the response brings none (OAuth 2.1 §4.3.2), and so are its scopes. Refuses a token type other
/// than Bearer and an empty access token; an `expires_in` beyond ten years counts as ten years.
pub fn token_from_response(
    response: &BasicTokenResponse,
    previous: Option<&StoredToken>,
    requested_scopes: &[String],
    issuer: &str,
    resource: &str,
) -> Result<StoredToken, Error> {
    if *response.token_type() != BasicTokenType::Bearer {
        return Err(Error::Token(format!(
            "the server issued a {:?} token; MCP needs a Bearer token",
            sanitize(response.token_type().as_ref())
        )));
    }
    let access = response.access_token().secret();
    if access.is_empty() {
        return Err(Error::Token("the token response has an empty access_token".to_owned()));
    }
    let now = unix_now();
    let expires_at = response
        .expires_in()
        .map(|d| now.saturating_add(d.as_secs().min(MAX_EXPIRES_IN) as i64));
    let scopes = match (response.scopes(), previous) {
        (Some(granted), _) => granted.iter().map(|s| s.to_string()).collect(),
        (None, Some(prev)) => prev.scopes.clone(),
        (None, None) => requested_scopes.to_vec(),
    };
    let refresh_token = response
        .refresh_token()
        .map(|t| Secret::new(t.secret().clone()))
        .filter(|t| !t.expose().is_empty())
        .or_else(|| previous.and_then(|p| p.refresh_token.clone()));
    Ok(StoredToken {
        access_token: Secret::new(access.clone()),
        refresh_token,
        token_type: "Bearer".to_owned(),
        scopes,
        expires_at,
        issuer: issuer.to_owned(),
        resource: resource.to_owned(),
        obtained_at: now,
        last_refresh: previous.map(|_| RefreshRecord {
            at: now,
            ok: true,
            error: None,
        }),
    })
}

/// Refresh the token of NAME now (whatever its expiry).
pub async fn refresh(store: &dyn TokenStore, http: &HttpClient, name: &str) -> Result<StoredToken, Error> {
    refresh_unless_fresh(store, http, name, None).await
}

/// A usable access token for NAME: the stored one, or a refreshed one when fewer than 60 s remain.
pub async fn valid_token(store: &dyn TokenStore, http: &HttpClient, name: &str) -> Result<Secret, Error> {
    Ok(refresh_unless_fresh(store, http, name, Some(REFRESH_MARGIN_SECS))
        .await?
        .access_token)
}

/// Whether `valid_token` would refresh this token at `now` (fewer than 60 s left).
pub fn needs_refresh(token: &StoredToken, now: i64) -> bool {
    !fresh(token, Some(REFRESH_MARGIN_SECS), now)
}

fn fresh(token: &StoredToken, margin: Option<i64>, now: i64) -> bool {
    margin.is_some_and(|m| token.expires_at.is_none_or(|at| at - now > m))
}

/// With `margin: None`, always refresh; with `Some(secs)`, only when fewer than `secs` remain.
///
/// One refresh at a time per account, across processes: the refresher holds a lease in the store (never a
/// database lock across the network call); the others poll until the token changes or the lease is free.
/// A crashed refresher's lease expires.
pub async fn refresh_unless_fresh(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    margin: Option<i64>,
) -> Result<StoredToken, Error> {
    let server = server(store, name)?;
    let start = store.get_token(name)?.ok_or_else(|| Error::NeedsLogin {
        name: name.to_owned(),
        reason: format!("{name} is not logged in"),
    })?;
    if fresh(&start, margin, unix_now()) {
        return Ok(start);
    }
    let owner = format!("{}-{}", std::process::id(), CsrfToken::new_random().secret());
    // Longer than any refresh can take (one request, bounded by the client's total timeout).
    let ttl = http.config().timeout + http.config().connect_timeout + Duration::from_secs(5);
    let ttl_ms = ttl.as_millis() as i64;
    let give_up = Instant::now() + ttl + Duration::from_secs(5);
    while !store.try_acquire_lease(name, &owner, unix_now_ms(), ttl_ms)? {
        tokio::time::sleep(LEASE_POLL).await;
        match store.get_token(name)? {
            None => {
                return Err(Error::NeedsLogin {
                    name: name.to_owned(),
                    reason: format!("{name} was logged out meanwhile"),
                });
            }
            Some(current)
                if current.access_token != start.access_token
                    && (margin.is_none() || fresh(&current, margin, unix_now())) =>
            {
                return Ok(current);
            }
            Some(_) => {}
        }
        if Instant::now() > give_up {
            return Err(Error::Token(format!(
                "another process has been refreshing {name} for {} s; try again",
                ttl.as_secs()
            )));
        }
    }
    let result = refresh_holding_lease(store, http, name, &server, &start, margin).await;
    // Releasing can only fail on a database error; the lease then simply expires.
    let _ = store.release_lease(name, &owner);
    result
}

async fn refresh_holding_lease(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    server: &ServerRecord,
    start: &StoredToken,
    margin: Option<i64>,
) -> Result<StoredToken, Error> {
    let needs_login = |reason: String| Error::NeedsLogin {
        name: name.to_owned(),
        reason,
    };
    // Another process may have refreshed between our first read and taking the lease.
    let current = store
        .get_token(name)?
        .ok_or_else(|| needs_login(format!("{name} was logged out meanwhile")))?;
    if current.access_token != start.access_token && (margin.is_none() || fresh(&current, margin, unix_now())) {
        return Ok(current);
    }
    let Some(refresh_token) = current.refresh_token.clone() else {
        let expired = current.expires_at.is_some_and(|at| at <= unix_now());
        return Err(needs_login(if expired {
            "the token has expired and the server issued no refresh token".to_owned()
        } else {
            "the server issued no refresh token".to_owned()
        }));
    };
    let discovery = match fresh_metadata(store, name, server) {
        Some(stored) => stored,
        None => discover_account(store, http, name).await?,
    };
    if !same_issuer(discovery.issuer(), &current.issuer) {
        return Err(needs_login(format!(
            "the server now uses another authorization server ({})",
            sanitize(discovery.issuer())
        )));
    }
    let client = match &server.client_id {
        Some(_) => {
            let redirect = store
                .get_client(name)
                .ok()
                .flatten()
                .map(|c| c.redirect_uri)
                .unwrap_or_else(|| "http://127.0.0.1/callback".to_owned());
            configured_client(server, &current.issuer, &redirect)?
        }
        None => store
            .get_client(name)
            .ok()
            .flatten()
            .ok_or_else(|| needs_login("there is no client registration to refresh with".to_owned()))?,
    };
    let oauth = oauth_client(&discovery.authorization_server, &client)?;
    let response = oauth
        .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_owned()))
        .add_extra_param("resource", &current.resource)
        .request_async(http)
        .await;
    let failed = |error: String, drop_refresh: bool| {
        let mut kept = current.clone();
        if drop_refresh {
            kept.refresh_token = None;
        }
        kept.last_refresh = Some(RefreshRecord {
            at: unix_now(),
            ok: false,
            error: Some(error),
        });
        kept
    };
    match response.map_err(classify) {
        Ok(response) => {
            let new = token_from_response(
                &response,
                Some(&current),
                &current.scopes,
                &current.issuer,
                &current.resource,
            )?;
            if store.replace_token(name, &current, &new)? {
                Ok(new)
            } else {
                // Replaced meanwhile (a login, a logout): what is stored now wins.
                store
                    .get_token(name)?
                    .ok_or_else(|| needs_login(format!("{name} was logged out meanwhile")))
            }
        }
        Err(Rejection::InvalidGrant(text)) => {
            // The grant is dead: the refresh token is useless now, the access token may still work until it
            // expires.
            let reason = format!("the server rejected the refresh token ({text})");
            store.replace_token(name, &current, &failed(reason.clone(), true))?;
            Err(needs_login(reason))
        }
        Err(Rejection::InvalidClient(text)) => {
            let reason = format!("the server no longer accepts the client registration ({text})");
            if client.source == ClientSource::Dynamic {
                store.delete_client(name)?;
            }
            store.replace_token(name, &current, &failed(reason.clone(), false))?;
            Err(needs_login(reason))
        }
        Err(Rejection::Other(e)) => {
            // A passing failure (network, 5xx): keep everything, note it, let a later refresh try again.
            store.replace_token(name, &current, &failed(e.to_string(), false))?;
            Err(e)
        }
    }
}

/// Log out of NAME: revoke the refresh token, then the access token, at the server's RFC 7009 revocation
/// endpoint when it has one; then delete the token here. The client registration stays. When revocation
/// fails the token is kept (unless `local_only`, which skips the server).
pub async fn logout(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    local_only: bool,
) -> Result<LogoutOutcome, Error> {
    let server = server(store, name)?;
    let Some(token) = store.get_token(name)? else {
        return Ok(LogoutOutcome::NotLoggedIn);
    };
    let outcome = if local_only {
        LogoutOutcome::LocalOnly {
            reason: "--local: the server was not asked to revoke the token".to_owned(),
        }
    } else {
        revoke_at_server(store, http, name, &server, &token).await?
    };
    store.delete_token(name)?;
    Ok(outcome)
}

async fn revoke_at_server(
    store: &dyn TokenStore,
    http: &HttpClient,
    name: &str,
    server: &ServerRecord,
    token: &StoredToken,
) -> Result<LogoutOutcome, Error> {
    let discovery = match fresh_metadata(store, name, server) {
        Some(stored) => stored,
        None => discover_account(store, http, name).await?,
    };
    if !same_issuer(discovery.issuer(), &token.issuer) {
        return Ok(LogoutOutcome::LocalOnly {
            reason: "the token's authorization server is no longer the server's; it could not be asked".to_owned(),
        });
    }
    let Some(endpoint) = discovery.authorization_server.revocation_endpoint.as_deref() else {
        return Ok(LogoutOutcome::LocalOnly {
            reason: "the authorization server has no revocation endpoint".to_owned(),
        });
    };
    let endpoint = parse_endpoint("revocation_endpoint", endpoint)?;
    let client = match &server.client_id {
        Some(_) => configured_client(server, &token.issuer, "http://127.0.0.1/callback")?,
        None => match store.get_client(name).ok().flatten() {
            Some(c) => c,
            None => {
                return Ok(LogoutOutcome::LocalOnly {
                    reason: "there is no client registration to revoke with".to_owned(),
                });
            }
        },
    };
    // The refresh token first: revoking it ends the whole grant on most servers (RFC 7009 §2.1).
    if let Some(refresh) = &token.refresh_token {
        revoke_one(http, &endpoint, &client, refresh, "refresh_token").await?;
    }
    revoke_one(http, &endpoint, &client, &token.access_token, "access_token").await?;
    Ok(LogoutOutcome::Revoked)
}

/// One RFC 7009 request. oauth2-rs refuses revocation over plain http even to loopback, so this one form
/// POST is written here, through the same HTTP client.
async fn revoke_one(
    http: &HttpClient,
    endpoint: &Url,
    client: &ClientRegistration,
    token: &Secret,
    hint: &str,
) -> Result<(), Error> {
    let mut fields = vec![
        ("token", token.expose()),
        ("token_type_hint", hint),
        ("client_id", client.client_id.as_str()),
    ];
    if let Some(secret) = &client.client_secret {
        fields.push(("client_secret", secret.expose()));
    }
    let response = http.post_form(endpoint, &fields, "revocation").await?;
    if response.is_success() {
        return Ok(());
    }
    // RFC 7009 §2.2.1: a server that cannot revoke this kind of token says so; the other may still work.
    if response.status == 400
        && response
            .error_summary()
            .is_some_and(|s| s.starts_with("unsupported_token_type"))
    {
        return Ok(());
    }
    Err(Error::Token(format!(
        "revocation at {} failed ({}); the token was kept — retry, or delete it here only with: logout --local",
        redact_for_display(endpoint),
        response
            .error_summary()
            .unwrap_or_else(|| format!("HTTP {}", response.status))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::discovery::legacy_default_metadata;

    fn metadata() -> ServerMetadata {
        let mut m = legacy_default_metadata(&Url::parse("https://as.example").unwrap());
        m.code_challenge_methods_supported = Some(vec!["S256".into()]);
        m
    }

    #[test]
    fn iss_rules_of_rfc_9207() {
        let mut m = metadata();
        assert!(check_iss(&m, None).is_ok());
        assert!(check_iss(&m, Some("https://as.example")).is_ok());
        assert!(check_iss(&m, Some("https://evil.example")).is_err());
        m.authorization_response_iss_parameter_supported = Some(true);
        assert!(check_iss(&m, None).is_err());
        assert!(check_iss(&m, Some("https://as.example")).is_ok());
        // Exact comparison: no normalization.
        assert!(check_iss(&m, Some("https://as.example/")).is_err());
    }

    #[test]
    fn pkce_refused_without_s256() {
        let mut m = metadata();
        assert!(check_pkce(&m, DiscoveryMode::ProtectedResource).is_ok());
        m.code_challenge_methods_supported = Some(vec!["plain".into()]);
        let err = check_pkce(&m, DiscoveryMode::ProtectedResource)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not support PKCE S256"), "{err}");
        m.code_challenge_methods_supported = None;
        assert!(check_pkce(&m, DiscoveryMode::ProtectedResource).is_err());
        assert!(check_pkce(&m, DiscoveryMode::LegacyDefaults).is_ok());
    }

    #[test]
    fn token_response_keeps_old_refresh_token_and_caps_expiry() {
        let json = r#"{"access_token":"new-at","token_type":"bearer","expires_in":18446744073709551615}"#;
        let response: BasicTokenResponse = serde_json::from_str(json).unwrap();
        let previous = StoredToken {
            access_token: Secret::new("old-at"),
            refresh_token: Some(Secret::new("rt-1")),
            token_type: "Bearer".into(),
            scopes: vec!["a".into()],
            expires_at: Some(0),
            issuer: "https://as.example".into(),
            resource: "https://mcp.example".into(),
            obtained_at: 0,
            last_refresh: None,
        };
        let t = token_from_response(
            &response,
            Some(&previous),
            &[],
            "https://as.example",
            "https://mcp.example",
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "new-at");
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));
        assert_eq!(t.scopes, ["a"]);
        let at = t.expires_at.unwrap();
        assert!(at > unix_now() + 9 * 365 * 24 * 3600 && at <= unix_now() + MAX_EXPIRES_IN as i64);
        assert_eq!(t.last_refresh.map(|r| r.ok), Some(true));
    }

    #[test]
    fn negative_expires_in_is_a_parse_error() {
        let json = r#"{"access_token":"x","token_type":"Bearer","expires_in":-5}"#;
        assert!(serde_json::from_str::<BasicTokenResponse>(json).is_err());
    }
}
