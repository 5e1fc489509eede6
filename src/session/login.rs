//! Logging in: the metadata (stored or discovered), a client (configured, a client ID metadata document,
//! stored, or registered now), the browser round trip through the loopback callback, the code exchange.
//!
//! Nothing is stored until the token arrives: then the metadata used, the client used and the token are
//! written in one transaction. A login that is abandoned, fails, is cancelled or killed leaves every record
//! of the account as it was (a new registration is committed only together with the token it produced).
//! One login per account runs at a time, across processes (a login lease). A stale registration
//! (`invalid_client`) is replaced once.

use std::time::Duration;

use tokio::sync::oneshot;

pub use super::options::{BrowserOpener, DeviceFlow, LoginOptions, LoginStep, StepReporter};

use super::Session;
use super::error::Error;
use crate::oauth::authorize::check_pkce;
use crate::oauth::callback::{CallbackResult, CallbackServer, Verdict, start_callback_server};
use crate::oauth::device::offers_device_grant;
use crate::oauth::registration::{RegistrationRequest, choose_auth_method};
use crate::oauth::{
    self, AuthorizationRequest, ClientRegistration, ClientSource, Discovery, ErrorCode, ErrorResponse,
    PendingAuthorization, RegistrationError, TokenError, register_client, token,
};
use crate::store::{LeaseGuard, LeaseKind, ServerRecord, StoreError, StoredToken};
use crate::text::sanitize;

/// The scope that asks for a refresh token where the authorization server lists it (OIDC; SEP-2207).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// What a successful login did.
#[derive(Debug)]
pub struct LoginOutcome {
    /// The token stored.
    pub token: StoredToken,
    /// Whether discovery ran (rather than using stored metadata).
    pub discovered: bool,
    /// Whether a client was registered during this login.
    pub registered: bool,
}

/// A client and a callback server listening on its redirect URI.
struct Prepared {
    client: ClientRegistration,
    callback: CallbackServer,
    results: oneshot::Receiver<CallbackResult>,
    registered: bool,
}

/// How one authorization attempt failed.
enum Failure {
    /// The server does not know the client (`invalid_client`): worth one new registration.
    ClientRejected(ErrorResponse),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Other(e)
    }
}

impl From<oauth::Error> for Failure {
    fn from(e: oauth::Error) -> Self {
        Failure::Other(e.into())
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Other(e.into())
    }
}

/// What one authorization attempt works with.
struct Attempt<'a> {
    name: &'a str,
    discovery: &'a Discovery,
    scopes: &'a [String],
    opts: &'a LoginOptions,
    /// The `prompt` sent (see [`LoginOptions::prompt`]).
    prompt: Option<String>,
}

impl Session {
    /// Log in to the server NAME. Cancelling `opts.cancel` (or dropping the future) stops the login and frees
    /// the callback port; nothing is stored then.
    pub async fn login(&self, name: &str, opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        let server = self.server(name)?;
        // Held until this function returns, on every path (a cancelled future included).
        // A device code lives up to half an hour on the servers seen; the lease outlives it.
        let lease_time = match opts.device {
            DeviceFlow::Never => opts.timeout,
            _ => opts.timeout.max(Duration::from_secs(1800)),
        };
        let _lease = self.login_lease(name, lease_time)?;
        let outcome = tokio::select! {
            outcome = self.login_inner(name, &server, opts) => outcome,
            // Dropping the inner future drops its callback server, which frees the port.
            _ = opts.cancel.cancelled() => Err(Error::Cancelled),
        };
        // Requests from now on use the new token.
        self.forget_recent(name);
        outcome
    }

    /// Log in again asking for `challenged` scopes besides those asked for before (MCP 2026-07-28 step-up:
    /// the union of the previously requested scopes and the challenged ones; a refresh cannot widen scope).
    /// The caller bounds how often it steps up.
    pub async fn step_up(&self, name: &str, challenged: &[String], opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        let mut opts = opts.clone();
        opts.extra_scopes.extend(challenged.iter().cloned());
        self.login(name, &opts).await
    }

    /// The login lease of NAME, or why not: another live login holds it.
    pub(super) fn login_lease(&self, name: &str, timeout: Duration) -> Result<LeaseGuard, Error> {
        // Longer than a login can take: the browser wait and a few requests around it.
        let config = self.http.config();
        let ttl = timeout + 4 * (config.timeout + config.connect_timeout) + Duration::from_secs(30);
        match LeaseGuard::try_acquire(&self.store, LeaseKind::Login, name, self.clock.now_ms(), ttl)? {
            Some(guard) => Ok(guard),
            None => Err(Error::LoginInProgress {
                name: name.to_owned(),
                pid: self.store.get_lease(LeaseKind::Login, name)?.and_then(|l| l.pid),
            }),
        }
    }

    async fn login_inner(&self, name: &str, server: &ServerRecord, opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        let (discovery, discovered) = match self.fresh_metadata(name, server)? {
            Some(stored) => (stored, false),
            None => {
                opts.report(LoginStep::Discovering);
                // Stored only with the token, if the login succeeds.
                (self.discover_unsaved(server).await?, true)
            }
        };
        let device = match opts.device {
            DeviceFlow::Never => false,
            DeviceFlow::WhenOffered => offers_device_grant(&discovery.authorization_server),
            DeviceFlow::Required => true,
        };
        let previous = match self.store.get_token(name) {
            Ok(token) => token,
            Err(StoreError::Record { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let scopes = login_scopes(server, &discovery, previous.as_ref(), &opts.extra_scopes);
        if device {
            return self
                .device_inner(name, server, discovery, discovered, &scopes, opts)
                .await;
        }
        check_pkce(&discovery.authorization_server, discovery.mode)?;
        let prompt = match &opts.prompt {
            Some(prompt) => Some(prompt.clone()),
            None => self.shared_issuer_prompt(name, &discovery)?,
        };
        let attempt = Attempt {
            name,
            discovery: &discovery,
            scopes: &scopes,
            opts,
            prompt,
        };
        let mut registered = false;
        let mut reregistered = false;
        loop {
            let prepared = self.prepare_client(&attempt, server, reregistered).await?;
            registered |= prepared.registered;
            let source = prepared.client.source;
            match self.authorize(&attempt, prepared).await {
                Ok(token) => {
                    return Ok(LoginOutcome {
                        token,
                        discovered,
                        registered,
                    });
                }
                // A stale registration (the server forgot us): register again, once. The stale one stays
                // stored until the new one has produced a token.
                Err(Failure::ClientRejected(_)) if !reregistered && source == ClientSource::Dynamic => {
                    reregistered = true;
                }
                Err(Failure::ClientRejected(e)) => return Err(Error::ClientRejected(e)),
                Err(Failure::Other(e)) => return Err(e),
            }
        }
    }

    /// Pick the client and the callback port. A configured client is used as it is (its one port; a busy
    /// one is an error). A client ID metadata document is used where the authorization server accepts
    /// them. Otherwise a stored registration is reused only for the same issuer and the same redirect URI;
    /// its port is tried first, and when that port is busy a free one is taken and a new client registered.
    async fn prepare_client(
        &self,
        attempt: &Attempt<'_>,
        server: &ServerRecord,
        force_new: bool,
    ) -> Result<Prepared, Error> {
        let issuer = attempt.discovery.issuer();
        let metadata = &attempt.discovery.authorization_server;
        let fixed_port = attempt.opts.callback_port.or(server.callback_port);
        if let Some(client_id) = &server.client_id {
            self.check_configured_issuer(attempt.name, client_id, issuer)?;
            let (callback, redirect_uri, results) = start_callback_server(fixed_port.unwrap_or(0)).await?;
            let client = self.configured_client(server, issuer, metadata, &redirect_uri)?;
            return Ok(Prepared {
                client,
                callback,
                results,
                registered: false,
            });
        }
        if let Some(document) = &server.client_metadata_url {
            if metadata.client_id_metadata_document_supported == Some(true) {
                let (callback, redirect_uri, results) = start_callback_server(fixed_port.unwrap_or(0)).await?;
                let client = metadata_document_client(document, issuer, &redirect_uri, self.now());
                return Ok(Prepared {
                    client,
                    callback,
                    results,
                    registered: false,
                });
            }
            attempt.opts.report(LoginStep::MetadataDocumentUnsupported);
        }
        let stored = if force_new {
            None
        } else {
            self.reusable_client(attempt.name, issuer)?
        };
        let wanted = fixed_port
            .or_else(|| stored.as_ref().and_then(ClientRegistration::redirect_port))
            .unwrap_or(0);
        let (callback, redirect_uri, results) = match start_callback_server(wanted).await {
            // A remembered port may be taken by now; a port asked for this login must be that port.
            Err(oauth::Error::PortBusy(_)) if wanted != 0 && attempt.opts.callback_port.is_none() => {
                start_callback_server(0).await?
            }
            other => other?,
        };
        if let Some(client) = stored.filter(|c| c.listens_on(&redirect_uri)) {
            return Ok(Prepared {
                client,
                callback,
                results,
                registered: false,
            });
        }
        let Some(endpoint) = metadata.registration_endpoint.as_deref() else {
            return Err(Error::NoDynamicRegistration {
                name: attempt.name.to_owned(),
                issuer: sanitize(issuer),
                url: server.url.clone(),
            });
        };
        attempt.opts.report(LoginStep::Registering);
        let mut client = self.register(attempt, endpoint, &redirect_uri).await?;
        client.issuer = Some(issuer.to_owned());
        // Not stored here: a registration is committed only together with the token it produced, so an
        // abandoned login cannot replace a working registration.
        Ok(Prepared {
            client,
            callback,
            results,
            registered: true,
        })
    }

    /// Register a client for the callback at `redirect_uri` with the authentication the server advertises.
    /// A refusal of the redirect URI (OIDC servers are strict about native redirect URIs) is retried once
    /// with the `localhost` form of the same callback (MCP 2026-07-28 "Application Type and Redirect URI
    /// Constraints"), and otherwise explained.
    async fn register(
        &self,
        attempt: &Attempt<'_>,
        endpoint: &str,
        redirect_uri: &str,
    ) -> Result<ClientRegistration, Error> {
        let metadata = &attempt.discovery.authorization_server;
        let request = |redirect_uri| RegistrationRequest {
            client_name: &attempt.opts.client_name,
            redirect_uri,
            auth_method: choose_auth_method(metadata.token_endpoint_auth_methods_supported.as_deref()),
            device_grant: offers_device_grant(metadata),
        };
        let refused_redirect = |e: &oauth::Error| match e {
            oauth::Error::Registration(RegistrationError::Refused { error: Some(error), .. })
                if matches!(
                    error.code,
                    ErrorCode::InvalidRedirectUri | ErrorCode::InvalidClientMetadata
                ) =>
            {
                Some(error.clone())
            }
            _ => None,
        };
        let first = register_client(&self.http, endpoint, request(redirect_uri), self.now()).await;
        let Err(e) = &first else { return Ok(first?) };
        if refused_redirect(e).is_none() {
            return Ok(first?);
        }
        let retry = redirect_uri.replacen("127.0.0.1", "localhost", 1);
        attempt.opts.report(LoginStep::RegistrationRetried {
            refused: redirect_uri.to_owned(),
            retry: retry.clone(),
        });
        match register_client(&self.http, endpoint, request(&retry), self.now()).await {
            Err(e) => match refused_redirect(&e) {
                Some(error) => Err(Error::RedirectUriRefused {
                    issuer: sanitize(attempt.discovery.issuer()),
                    tried: vec![redirect_uri.to_owned(), retry],
                    error: Some(error),
                }),
                None => Err(e.into()),
            },
            ok => Ok(ok?),
        }
    }

    /// MCP 2026-07-28: pre-registered credentials belong to one authorization server; when the server names
    /// another one now, say so rather than try them there.
    fn check_configured_issuer(&self, name: &str, client_id: &str, issuer: &str) -> Result<(), Error> {
        match self.stored_client(name)? {
            Some(stored)
                if stored.source == ClientSource::Configured
                    && stored.client_id == client_id
                    && stored
                        .issuer
                        .as_deref()
                        .is_some_and(|i| !crate::oauth::metadata::same_issuer(i, issuer)) =>
            {
                Err(Error::ConfiguredClientMismatch {
                    name: name.to_owned(),
                    client_id: sanitize(client_id),
                    registered_with: sanitize(stored.issuer.as_deref().unwrap_or_default()),
                    now: sanitize(issuer),
                })
            }
            _ => Ok(()),
        }
    }

    /// The browser round trip and the code exchange for one prepared client.
    async fn authorize(&self, attempt: &Attempt<'_>, prepared: Prepared) -> Result<StoredToken, Failure> {
        let Prepared {
            client,
            callback,
            results,
            ..
        } = prepared;
        let opts = attempt.opts;
        let scopes = with_offline_access(attempt.scopes, &attempt.discovery.authorization_server, &client);
        let pending = AuthorizationRequest {
            metadata: &attempt.discovery.authorization_server,
            client: &client,
            scopes: &scopes,
            resource: &attempt.discovery.resource,
            prompt: attempt.prompt.as_deref(),
        }
        .start()?;
        callback.expect_state(pending.state().expose());
        opts.report(LoginStep::WaitingForBrowser {
            url: pending.url().to_string(),
        });
        if let Some(open) = &opts.open_browser
            && let Err(e) = open(pending.url())
        {
            opts.report(LoginStep::BrowserNotOpened { reason: e.to_string() });
        }

        let waited = super::wait::answer(&callback, results, pending.state(), opts).await;
        let mut result = match waited {
            Ok(result) => result,
            Err(e) => {
                callback.shutdown().await;
                return Err(e.into());
            }
        };
        let outcome = self.finish(attempt, &client, &scopes, pending, &mut result).await;
        result.answer(match &outcome {
            Ok(_) => Verdict::Success(format!("mcp-accounts is now logged in to {}.", attempt.name)),
            Err(Failure::ClientRejected(e)) => Verdict::Failure(format!(
                "The server rejected this client ({e}); mcp-accounts registers a new one and opens a new sign-in."
            )),
            Err(Failure::Other(e)) => Verdict::Failure(e.to_string()),
        });
        callback.shutdown().await;
        outcome
    }

    /// Check the authorization response, redeem the code, store everything.
    async fn finish(
        &self,
        attempt: &Attempt<'_>,
        client: &ClientRegistration,
        scopes: &[String],
        pending: PendingAuthorization,
        result: &mut CallbackResult,
    ) -> Result<StoredToken, Failure> {
        let discovery = attempt.discovery;
        let (code, verifier) = match pending.accept(result) {
            Ok(accepted) => accepted,
            Err(oauth::Error::AuthorizationDenied(e)) if e.code == ErrorCode::InvalidClient => {
                return Err(Failure::ClientRejected(e));
            }
            Err(e) => return Err(e.into()),
        };
        attempt.opts.report(LoginStep::Exchanging);
        let issued = match token::exchange_code(
            &self.http,
            &discovery.authorization_server,
            client,
            &code,
            verifier,
            &discovery.resource,
        )
        .await
        {
            Ok(issued) => issued,
            Err(oauth::Error::Token(TokenError::Rejected(e))) if e.code == ErrorCode::InvalidClient => {
                return Err(Failure::ClientRejected(e));
            }
            Err(oauth::Error::Token(TokenError::Rejected(e))) if e.code == ErrorCode::InvalidGrant => {
                return Err(Error::CodeRejected(e).into());
            }
            Err(e) => return Err(e.into()),
        };
        let token = self.keep_login(attempt.name, discovery, client, issued, scopes).await?;
        Ok(token)
    }
}

/// The scopes a login asks for: the configured ones, else what the server asks for (the 401's `scope`, else
/// the resource's `scopes_supported`); plus whatever the last login asked for (so a step-up is kept) and the
/// extra ones. In that order, without repeats.
pub fn login_scopes(
    server: &ServerRecord,
    discovery: &Discovery,
    previous: Option<&StoredToken>,
    extra: &[String],
) -> Vec<String> {
    let base = if server.scopes.is_empty() {
        discovery.default_scopes()
    } else {
        server.scopes.clone()
    };
    let earlier = previous.map(|t| t.requested_scopes.clone()).unwrap_or_default();
    let mut scopes: Vec<String> = Vec::new();
    for scope in base.into_iter().chain(earlier).chain(extra.iter().cloned()) {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes
}

/// `offline_access` is added when the authorization server lists it in `scopes_supported` and the client
/// was registered by us, with the `refresh_token` grant (MCP 2026-07-28 "Refresh Tokens"); never otherwise.
pub fn with_offline_access(
    scopes: &[String],
    metadata: &oauth::ServerMetadata,
    client: &ClientRegistration,
) -> Vec<String> {
    let listed = metadata
        .scopes_supported
        .as_ref()
        .is_some_and(|s| s.iter().any(|s| s == OFFLINE_ACCESS));
    let mut scopes = scopes.to_vec();
    if listed && client.source == ClientSource::Dynamic && !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        scopes.push(OFFLINE_ACCESS.to_owned());
    }
    scopes
}

/// The client of a client ID metadata document: the document's URL is the `client_id`; no secret.
fn metadata_document_client(url: &str, issuer: &str, redirect_uri: &str, now: i64) -> ClientRegistration {
    ClientRegistration {
        client_id: url.to_owned(),
        client_secret: None,
        client_secret_expires_at: None,
        client_id_issued_at: None,
        token_endpoint_auth_method: Some("none".to_owned()),
        issuer: Some(issuer.to_owned()),
        redirect_uri: redirect_uri.to_owned(),
        registered_at: now,
        source: ClientSource::MetadataDocument,
        registration_response: None,
    }
}
