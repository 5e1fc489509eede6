//! The authorization request and the checks of its response: PKCE S256 (RFC 7636), a 128-bit `state`, the
//! RFC 8707 `resource`, and RFC 9207 `iss` as MCP 2026-07-28 asks.
//!
//! [`AuthorizationRequest::start`] builds the URL for the browser and returns a [`PendingAuthorization`]
//! that remembers what the response must match (the issuer is recorded before the redirect, MCP 2026-07-28
//! "Authorization Response Validation"); [`PendingAuthorization::accept`] checks a response and yields the
//! code.

use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};
use url::Url;

use super::callback::CallbackResult;
use super::discovery::DiscoveryMode;
use super::error::{Error, ErrorResponse};
use super::metadata::ServerMetadata;
use super::registration::ClientRegistration;
use super::token::oauth_client;
use crate::secret::Secret;
use crate::text::sanitize;
use crate::urls::check_transport;

/// What an authorization request is made of.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    /// The authorization server.
    pub metadata: &'a ServerMetadata,
    /// The client, with the redirect URI the callback listens on.
    pub client: &'a ClientRegistration,
    /// The scopes to ask for (none: `scope` is left out).
    pub scopes: &'a [String],
    /// The RFC 8707 resource.
    pub resource: &'a str,
    /// OpenID Connect `prompt` (`select_account`, `login`, …), when the user should choose the account.
    pub prompt: Option<&'a str>,
}

impl AuthorizationRequest<'_> {
    /// Build the authorization URL with a fresh PKCE verifier and `state`. Only an `https://` (or loopback
    /// `http://`) URL is returned: a `javascript:` or `file:` endpoint never reaches a browser.
    pub fn start(&self) -> Result<PendingAuthorization, Error> {
        let oauth = oauth_client(self.metadata, self.client)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = oauth
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("resource", self.resource);
        for scope in self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(prompt) = self.prompt {
            request = request.add_extra_param("prompt", prompt);
        }
        let (url, state) = request.url();
        check_transport(&url)?;
        Ok(PendingAuthorization {
            url,
            state: Secret::new(state.secret().clone()),
            verifier,
            issuer: self.metadata.issuer.clone(),
            iss_required: self.metadata.authorization_response_iss_parameter_supported == Some(true),
        })
    }
}

/// An authorization request on its way through the browser.
pub struct PendingAuthorization {
    url: Url,
    state: Secret,
    verifier: PkceCodeVerifier,
    issuer: String,
    iss_required: bool,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// The URL to open in a browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `state` the response must carry.
    pub fn state(&self) -> &Secret {
        &self.state
    }

    /// Check an authorization response: the `state`, then `iss` (before reading `error`: on a mismatch the
    /// error text comes from an unknown server), then `error`, then the code. Returns the code and the PKCE
    /// verifier that redeems it.
    pub fn accept(self, result: &mut CallbackResult) -> Result<(Secret, PkceCodeVerifier), Error> {
        let same_state = result.state.as_ref().is_some_and(|state| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                state.expose().as_bytes(),
                self.state.expose().as_bytes(),
            ))
        });
        if !same_state {
            return Err(Error::StateMismatch);
        }
        check_iss(&self.issuer, self.iss_required, result.iss.as_deref())?;
        if let Some(error) = &result.error {
            return Err(Error::AuthorizationDenied(ErrorResponse::new(
                error,
                result.error_description.as_deref(),
            )));
        }
        let code = result.code.take().ok_or(Error::NoCode)?;
        Ok((code, self.verifier))
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
        (methods, _) => Err(Error::NoS256 {
            issuer: sanitize(&metadata.issuer),
            methods: methods.as_ref().map(|m| sanitize(&m.join(" "))),
        }),
    }
}

/// RFC 9207 §2.4 as MCP 2026-07-28 asks: compare `iss` when present; reject its absence when the server
/// said it sends it; exact string comparison.
pub fn check_iss(issuer: &str, required: bool, iss: Option<&str>) -> Result<(), Error> {
    match iss {
        Some(iss) if iss == issuer => Ok(()),
        Some(iss) => Err(Error::IssMismatch {
            found: sanitize(iss),
            expected: sanitize(issuer),
        }),
        None if required => Err(Error::IssMissing),
        None => Ok(()),
    }
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
        let issuer = "https://as.example";
        assert!(check_iss(issuer, false, None).is_ok());
        assert!(check_iss(issuer, false, Some("https://as.example")).is_ok());
        assert!(check_iss(issuer, false, Some("https://evil.example")).is_err());
        assert!(check_iss(issuer, true, None).is_err());
        assert!(check_iss(issuer, true, Some("https://as.example")).is_ok());
        // Exact comparison: no normalization.
        assert!(check_iss(issuer, true, Some("https://as.example/")).is_err());
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
}
