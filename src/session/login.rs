//! Logging in: the metadata (stored or discovered), a client (configured, stored, or registered now), the
//! browser round trip through the loopback callback, the code exchange; the result is stored in one
//! transaction. A stale registration (`invalid_client`) is replaced once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::client::storable;
use super::error::Error;
use super::{Session, stored_token};
use crate::oauth::authorize::check_pkce;
use crate::oauth::callback::{CallbackResult, CallbackServer, Verdict, start_callback_server};
use crate::oauth::registration::DEFAULT_CLIENT_NAME;
use crate::oauth::{
    self, AuthorizationRequest, ClientRegistration, ClientSource, Discovery, ErrorCode, ErrorResponse,
    PendingAuthorization, TokenError, register_client, token,
};
use crate::store::{ServerRecord, StoredToken};
use crate::text::sanitize;

/// How long a login waits for the browser unless told otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// Opens a URL in a browser. The caller owns the browser: the session only reports the URL and, when this
/// fails, why.
pub type BrowserOpener = Arc<dyn Fn(&Url) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync>;
/// Receives the steps of a login as they happen.
pub type StepReporter = Arc<dyn Fn(LoginStep) + Send + Sync>;

/// Where a login is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginStep {
    /// Discovery runs (the stored metadata was missing or old).
    Discovering,
    /// A client is being registered.
    Registering,
    /// The authorization URL is ready; the user completes the login in a browser.
    WaitingForBrowser {
        /// The URL to open.
        url: String,
    },
    /// The browser could not be started; the user has to open the URL by hand.
    BrowserNotOpened {
        /// Why, in words.
        reason: String,
    },
    /// The code is being exchanged for a token.
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
    /// Told about each step.
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
}

impl Session {
    /// Log in to the server NAME. Cancelling `opts.cancel` (or dropping the future) stops the login and frees
    /// the callback port; nothing is stored then.
    pub async fn login(&self, name: &str, opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        tokio::select! {
            outcome = self.login_inner(name, opts) => outcome,
            // Dropping the inner future drops its callback server, which frees the port.
            _ = opts.cancel.cancelled() => Err(Error::Cancelled),
        }
    }

    async fn login_inner(&self, name: &str, opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        let server = self.server(name)?;
        let (discovery, discovered) = match self.fresh_metadata(name, &server)? {
            Some(stored) => (stored, false),
            None => {
                opts.report(LoginStep::Discovering);
                (self.discover(name).await?, true)
            }
        };
        check_pkce(&discovery.authorization_server, discovery.mode)?;
        let scopes = if server.scopes.is_empty() {
            discovery.default_scopes()
        } else {
            server.scopes.clone()
        };
        let attempt = Attempt {
            name,
            discovery: &discovery,
            scopes: &scopes,
            opts,
        };
        let mut registered = false;
        let mut reregistered = false;
        loop {
            let prepared = self.prepare_client(&attempt, &server, reregistered).await?;
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
                // A stale registration (the server forgot us): drop it, register again, once.
                Err(Failure::ClientRejected(_)) if !reregistered && source == ClientSource::Dynamic => {
                    self.store.delete_client(name)?;
                    reregistered = true;
                }
                Err(Failure::ClientRejected(e)) => return Err(Error::ClientRejected(e)),
                Err(Failure::Other(e)) => return Err(e),
            }
        }
    }

    /// Pick the client and the callback port. A stored registration is reused only for the same issuer and
    /// the same redirect URI; its port is tried first, and when that port is busy a free one is taken and a
    /// new client registered. A pre-registered client has exactly one port, and a busy one is an error.
    async fn prepare_client(
        &self,
        attempt: &Attempt<'_>,
        server: &ServerRecord,
        force_new: bool,
    ) -> Result<Prepared, Error> {
        let issuer = attempt.discovery.issuer();
        if server.client_id.is_some() {
            let (callback, redirect_uri, results) = start_callback_server(server.callback_port.unwrap_or(0)).await?;
            let client = self.configured_client(server, issuer, &redirect_uri)?;
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
            self.reusable_client(attempt.name, issuer)?
        };
        let wanted = server
            .callback_port
            .or_else(|| stored.as_ref().and_then(ClientRegistration::redirect_port))
            .unwrap_or(0);
        let (callback, redirect_uri, results) = match start_callback_server(wanted).await {
            Err(oauth::Error::PortBusy(_)) if wanted != 0 => start_callback_server(0).await?,
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
        let Some(endpoint) = attempt.discovery.authorization_server.registration_endpoint.as_deref() else {
            return Err(Error::NoDynamicRegistration {
                name: attempt.name.to_owned(),
                issuer: sanitize(issuer),
                url: server.url.clone(),
            });
        };
        attempt.opts.report(LoginStep::Registering);
        let mut client = register_client(
            &self.http,
            endpoint,
            &attempt.opts.client_name,
            &redirect_uri,
            self.now(),
        )
        .await?;
        client.issuer = Some(issuer.to_owned());
        // Stored at once: registrations can be rate-limited, and a login abandoned in the browser should not
        // cost another one next time.
        self.store.set_client(attempt.name, &client)?;
        Ok(Prepared {
            client,
            callback,
            results,
            registered: true,
        })
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
        let pending = AuthorizationRequest {
            metadata: &attempt.discovery.authorization_server,
            client: &client,
            scopes: attempt.scopes,
            resource: &attempt.discovery.resource,
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

        let secs = opts.timeout.as_secs();
        let waited = tokio::select! {
            result = results => result.map_err(|_| Error::from(oauth::Error::CallbackStopped)),
            _ = tokio::time::sleep(opts.timeout) => Err(match callback.refused() {
                0 => Error::LoginTimedOut { secs },
                refused => Error::StaleCallbacks { secs, refused },
            }),
        };
        let mut result = match waited {
            Ok(result) => result,
            Err(e) => {
                callback.shutdown().await;
                return Err(e.into());
            }
        };
        let outcome = self.finish(attempt, &client, pending, &mut result).await;
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
        let token = stored_token(
            issued,
            None,
            attempt.scopes,
            discovery.issuer(),
            &discovery.resource,
            self.now(),
        );
        self.store
            .save_login(attempt.name, discovery, &storable(client), &token)?;
        Ok(token)
    }
}
