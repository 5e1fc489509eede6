//! Logging out: revoke the refresh token, then the access token, at the server's RFC 7009 revocation
//! endpoint when it has one; then delete the token here. The client registration stays. When revocation
//! fails the token is kept.

use super::Session;
use super::error::Error;
use crate::oauth::metadata::same_issuer;
use crate::oauth::revocation::{TokenKind, revoke};
use crate::oauth::{self};
use crate::store::{ServerRecord, StoredToken};
use crate::urls::parse_endpoint;

/// What `logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutOutcome {
    /// There was no token.
    NotLoggedIn,
    /// Revoked at the server (RFC 7009), then deleted here.
    Revoked,
    /// Deleted here only.
    LocalOnly(LocalOnlyReason),
}

/// Why a logout did not ask the server to revoke the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalOnlyReason {
    /// The caller asked not to.
    #[error("the server was not asked to revoke the token")]
    Requested,
    /// The token's authorization server is not the server's any more.
    #[error("the token's authorization server is no longer the server's; it could not be asked")]
    AuthorizationServerChanged,
    /// No `revocation_endpoint` in the metadata.
    #[error("the authorization server has no revocation endpoint")]
    NoRevocationEndpoint,
    /// No client to authenticate the revocation with.
    #[error("there is no client registration to revoke with")]
    NoRegistration,
}

impl Session {
    /// Log out of NAME: revoke at the server unless `local_only`, then delete the token here.
    pub async fn logout(&self, name: &str, local_only: bool) -> Result<LogoutOutcome, Error> {
        self.forget_recent(name);
        let server = self.server(name)?;
        let Some(token) = self.store.get_token(name)? else {
            return Ok(LogoutOutcome::NotLoggedIn);
        };
        let outcome = if local_only {
            LogoutOutcome::LocalOnly(LocalOnlyReason::Requested)
        } else {
            self.revoke_at_server(name, &server, &token).await?
        };
        self.store.delete_token(name)?;
        Ok(outcome)
    }

    async fn revoke_at_server(
        &self,
        name: &str,
        server: &ServerRecord,
        token: &StoredToken,
    ) -> Result<LogoutOutcome, Error> {
        let (discovery, _) = self.metadata(name, server).await?;
        if !same_issuer(discovery.issuer(), &token.issuer) {
            return Ok(LogoutOutcome::LocalOnly(LocalOnlyReason::AuthorizationServerChanged));
        }
        let Some(endpoint) = discovery.authorization_server.revocation_endpoint.as_deref() else {
            return Ok(LogoutOutcome::LocalOnly(LocalOnlyReason::NoRevocationEndpoint));
        };
        let endpoint = parse_endpoint("revocation_endpoint", endpoint).map_err(oauth::Error::from)?;
        let Some(client) = self.client_for_token(name, server, &token.issuer, &discovery.authorization_server)? else {
            return Ok(LogoutOutcome::LocalOnly(LocalOnlyReason::NoRegistration));
        };
        let kept = |e: oauth::Error| match e {
            oauth::Error::Revocation { .. } => Error::RevocationFailed(e),
            other => other.into(),
        };
        // The refresh token first: revoking it ends the whole grant on most servers (RFC 7009 §2.1).
        if let Some(refresh) = &token.refresh_token {
            revoke(&self.http, &endpoint, &client, refresh, TokenKind::Refresh)
                .await
                .map_err(kept)?;
        }
        revoke(&self.http, &endpoint, &client, &token.access_token, TokenKind::Access)
            .await
            .map_err(kept)?;
        Ok(LogoutOutcome::Revoked)
    }
}
