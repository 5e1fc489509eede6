//! Requests to an account's MCP server with its token: what a proxy or a verification builds on.
//!
//! The token is attached as `Authorization: Bearer` (MCP "Token Requirements": on every request, never in
//! the URL) and only ever sent to the server URL configured for the account. A 401 leads to one refresh
//! (unless another process already renewed the token) and one retry; a 403 with `insufficient_scope` is
//! returned as [`RequestOutcome::InsufficientScope`], for the caller to decide on a step-up login.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use url::Url;

use super::Session;
use super::error::{Error, NeedsLogin};
use super::recent::Recent;
use super::refresh::REFRESH_MARGIN_SECS;
use crate::oauth::challenge::BearerChallenge;
use crate::oauth::http::{Response, StreamingResponse};
use crate::secret::Secret;
use crate::urls::{UrlError, redact_for_display};

/// A request to the MCP server of an account.
#[derive(Debug, Clone)]
pub struct AuthorizedRequest {
    /// The method (`POST` for JSON-RPC messages).
    pub method: Method,
    /// Where to send it instead of the server URL: only a URL of the same origin is accepted (the message
    /// endpoint of the older HTTP+SSE transport, say). `None`: the server URL.
    pub target: Option<Url>,
    /// Headers besides `Authorization`, which is always ours.
    pub headers: HeaderMap,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// How long the server may take to start its answer; `None`: the HTTP client's timeout.
    pub wait: Option<Duration>,
}

impl AuthorizedRequest {
    /// A request of `method` to the server URL, with no headers or body yet.
    pub fn new(method: Method) -> Self {
        AuthorizedRequest {
            method,
            target: None,
            headers: HeaderMap::new(),
            body: None,
            wait: None,
        }
    }
}

/// How an authorized request ended, when it reached the server.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestOutcome<R = Response> {
    /// The server's answer (any status except the two below).
    Response(R),
    /// 403 with a `Bearer` challenge `error="insufficient_scope"`: the token lacks scopes. A refresh cannot
    /// widen scope; only a new authorization with the union of scopes can (MCP 2026-07-28 step-up).
    InsufficientScope {
        /// The scopes the challenge names (authoritative for this request).
        scopes: Vec<String>,
        /// The whole challenge.
        challenge: BearerChallenge,
        /// The server's answer.
        response: R,
    },
}

/// How long [`Session::authorized_stream`] reuses the URL and token it read, in milliseconds.
pub const RECENT_MS: i64 = 1000;

/// [`RequestOutcome`] with the body still to be read: what [`Session::authorized_stream`] returns.
pub type StreamOutcome = RequestOutcome<StreamingResponse>;

impl Session {
    /// Send `request` to the MCP server of NAME with a valid token and read the answer (within the body
    /// cap); on a 401, refresh once and retry once. A second 401 means only a new login helps.
    pub async fn authorized_request(&self, name: &str, request: &AuthorizedRequest) -> Result<RequestOutcome, Error> {
        Ok(match self.authorized_stream(name, request).await? {
            RequestOutcome::Response(response) => RequestOutcome::Response(response.read().await?),
            RequestOutcome::InsufficientScope {
                scopes,
                challenge,
                response,
            } => RequestOutcome::InsufficientScope {
                scopes,
                challenge,
                response: response.read().await?,
            },
        })
    }

    /// [`Session::authorized_stream`] for a request, returning once the headers arrive: the body (an event
    /// stream, say) is read by the caller as it comes.
    pub async fn authorized_stream(&self, name: &str, request: &AuthorizedRequest) -> Result<StreamOutcome, Error> {
        let (base, token) = self.url_and_token(name).await?;
        let url = match &request.target {
            Some(target) if target.origin() != base.origin() => {
                return Err(Error::ForeignTarget {
                    name: name.to_owned(),
                    url: redact_for_display(target),
                });
            }
            Some(target) => target.clone(),
            None => base,
        };
        let response = self.send_with(&url, request, &token).await?;
        if response.status != 401 {
            return Ok(classify(response));
        }
        self.forget_recent(name);
        let renewed = match self.store.get_token(name)? {
            // Another process renewed it meanwhile: use that one.
            Some(stored) if stored.access_token != token => stored.access_token,
            _ => self.refresh(name).await?.access_token,
        };
        let response = self.send_with(&url, request, &renewed).await?;
        if response.status == 401 {
            return Err(self.needs_login(name, NeedsLogin::TokenRefused));
        }
        Ok(classify(response))
    }

    /// The server URL and a valid token of NAME: read from the store (refreshing when needed), or, within
    /// [`RECENT_MS`] of the last read and with more than a minute left, as read then. A proxy sends one
    /// request after another; the store is read at most once a second for them, and what another process
    /// changes is seen within that second.
    async fn url_and_token(&self, name: &str) -> Result<(Url, Secret), Error> {
        let now_ms = self.clock.now_ms();
        if let Some(recent) = self.recent().get(name)
            && now_ms - recent.read_at_ms < RECENT_MS
            && recent
                .expires_at
                .is_none_or(|at| at - now_ms / 1000 > REFRESH_MARGIN_SECS)
        {
            return Ok((recent.url.clone(), recent.token.clone()));
        }
        let server = self.server(name)?;
        let url = Url::parse(&server.url).map_err(|reason| {
            crate::oauth::Error::from(UrlError::Invalid {
                raw: server.url.clone(),
                reason,
            })
        })?;
        let token = self.refresh_unless_fresh(name, Some(REFRESH_MARGIN_SECS)).await?;
        self.recent().insert(
            name.to_owned(),
            Recent {
                url: url.clone(),
                token: token.access_token.clone(),
                expires_at: token.expires_at,
                read_at_ms: now_ms,
            },
        );
        Ok((url, token.access_token))
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Recent>> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drop what [`Session::url_and_token`] remembers of NAME (after a 401, a logout, a login).
    pub(crate) fn forget_recent(&self, name: &str) {
        self.recent().remove(name);
    }

    async fn send_with(
        &self,
        url: &Url,
        request: &AuthorizedRequest,
        token: &Secret,
    ) -> Result<StreamingResponse, Error> {
        let mut headers = request.headers.clone();
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        Ok(self
            .http
            .open(
                request.method.clone(),
                url,
                headers,
                request.body.clone(),
                request.wait.unwrap_or(self.http.config().timeout),
            )
            .await?)
    }
}

fn classify(response: StreamingResponse) -> StreamOutcome {
    if response.status == 403
        && let Some(challenge) = BearerChallenge::from_headers(
            response
                .headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
        && challenge.error.as_deref() == Some("insufficient_scope")
    {
        return RequestOutcome::InsufficientScope {
            scopes: challenge.scopes(),
            challenge,
            response,
        };
    }
    RequestOutcome::Response(response)
}
