//! Requests to an account's MCP server with its token: what a proxy or a verification builds on.
//!
//! The token is attached as `Authorization: Bearer` (MCP "Token Requirements": on every request, never in
//! the URL) and only ever sent to the server URL configured for the account. A 401 leads to one refresh
//! (unless another process already renewed the token) and one retry; a 403 with `insufficient_scope` is
//! returned as [`RequestOutcome::InsufficientScope`], for the caller to decide on a step-up login.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use url::Url;

use super::Session;
use super::error::{Error, NeedsLogin};
use crate::oauth::challenge::BearerChallenge;
use crate::oauth::http::Response;
use crate::secret::Secret;
use crate::urls::UrlError;

/// A request to the MCP server of an account.
#[derive(Debug, Clone)]
pub struct AuthorizedRequest {
    /// The method (`POST` for JSON-RPC messages).
    pub method: Method,
    /// Headers besides `Authorization`, which is always ours.
    pub headers: HeaderMap,
    /// The body.
    pub body: Option<Vec<u8>>,
}

/// How an authorized request ended, when it reached the server.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestOutcome {
    /// The server's answer (any status except the two below).
    Response(Response),
    /// 403 with a `Bearer` challenge `error="insufficient_scope"`: the token lacks scopes. A refresh cannot
    /// widen scope; only a new authorization with the union of scopes can (MCP 2026-07-28 step-up).
    InsufficientScope {
        /// The scopes the challenge names (authoritative for this request).
        scopes: Vec<String>,
        /// The whole challenge.
        challenge: BearerChallenge,
        /// The server's answer.
        response: Response,
    },
}

impl Session {
    /// Send `request` to the MCP server of NAME with a valid token; on a 401, refresh once and retry once.
    /// A second 401 means only a new login helps.
    pub async fn authorized_request(&self, name: &str, request: &AuthorizedRequest) -> Result<RequestOutcome, Error> {
        let server = self.server(name)?;
        let url = Url::parse(&server.url).map_err(|reason| {
            crate::oauth::Error::from(UrlError::Invalid {
                raw: server.url.clone(),
                reason,
            })
        })?;
        let token = self.valid_token(name).await?;
        let response = self.send_with(&url, request, &token).await?;
        if response.status != 401 {
            return Ok(classify(response));
        }
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

    async fn send_with(&self, url: &Url, request: &AuthorizedRequest, token: &Secret) -> Result<Response, Error> {
        let mut headers = request.headers.clone();
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        Ok(self
            .http
            .send(request.method.clone(), url, headers, request.body.clone())
            .await?)
    }
}

fn classify(response: Response) -> RequestOutcome {
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
