//! Which client a login, refresh or logout uses: the configured one (`client_id` in the server record, its
//! secret looked up in the environment and never stored), else the stored dynamic registration when it
//! belongs to the same issuer.

use super::Session;
use super::error::Error;
use crate::oauth::metadata::{ServerMetadata, same_issuer};
use crate::oauth::registration::AuthMethod;
use crate::oauth::{ClientRegistration, ClientSource};
use crate::secret::Secret;
use crate::store::{ServerRecord, StoreError};

/// The redirect URI put into a configured client when no registration says which one it uses (refresh and
/// revocation do not send one).
pub const PLACEHOLDER_REDIRECT_URI: &str = "http://127.0.0.1/callback";

impl Session {
    /// The client of a server configured with a client id; its secret comes from the environment variable
    /// the record names. A client with a secret authenticates the way the server advertises: HTTP Basic
    /// when it lists `client_secret_basic` or nothing (RFC 7591's default), else `client_secret_post`.
    pub fn configured_client(
        &self,
        server: &ServerRecord,
        issuer: &str,
        metadata: &ServerMetadata,
        redirect_uri: &str,
    ) -> Result<ClientRegistration, Error> {
        let client_secret = match &server.client_secret_env {
            None => None,
            Some(var) => Some(Secret::new(
                (self.env)(var).ok_or_else(|| Error::ClientSecretMissing { var: var.clone() })?,
            )),
        };
        let supported = metadata
            .token_endpoint_auth_methods_supported
            .as_deref()
            .unwrap_or_default();
        let lists = |m: AuthMethod| supported.iter().any(|s| s == m.as_str());
        let method = match client_secret {
            None => AuthMethod::None,
            Some(_) if supported.is_empty() || lists(AuthMethod::ClientSecretBasic) => AuthMethod::ClientSecretBasic,
            Some(_) if lists(AuthMethod::ClientSecretPost) => AuthMethod::ClientSecretPost,
            Some(_) => AuthMethod::ClientSecretBasic,
        };
        Ok(ClientRegistration {
            client_id: server.client_id.clone().unwrap_or_default(),
            token_endpoint_auth_method: Some(method.as_str().to_owned()),
            client_secret,
            client_secret_expires_at: None,
            client_id_issued_at: None,
            issuer: Some(issuer.to_owned()),
            redirect_uri: redirect_uri.to_owned(),
            registered_at: self.now(),
            source: ClientSource::Configured,
            registration_response: None,
        })
    }

    /// The stored registration of NAME. A record that does not decode counts as none: a new registration
    /// replaces it. Any other store error (a busy database) is an error, never a reason to register again.
    pub fn stored_client(&self, name: &str) -> Result<Option<ClientRegistration>, Error> {
        match self.store.get_client(name) {
            Ok(client) => Ok(client),
            Err(StoreError::Record { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The stored dynamic registration of NAME, when it belongs to `issuer`.
    pub fn reusable_client(&self, name: &str, issuer: &str) -> Result<Option<ClientRegistration>, Error> {
        Ok(self.stored_client(name)?.filter(|c| {
            c.source == ClientSource::Dynamic && c.issuer.as_deref().is_some_and(|i| same_issuer(i, issuer))
        }))
    }

    /// The client to refresh or revoke the token of NAME with: the configured one (with the redirect URI of
    /// its stored record, if any), else the stored registration.
    pub fn client_for_token(
        &self,
        name: &str,
        server: &ServerRecord,
        issuer: &str,
        metadata: &ServerMetadata,
    ) -> Result<Option<ClientRegistration>, Error> {
        match &server.client_id {
            Some(_) => {
                let redirect = self
                    .stored_client(name)?
                    .map(|c| c.redirect_uri)
                    .unwrap_or_else(|| PLACEHOLDER_REDIRECT_URI.to_owned());
                self.configured_client(server, issuer, metadata, &redirect).map(Some)
            }
            None => self.stored_client(name),
        }
    }
}

/// What is stored of a client: never the secret of a configured one.
pub fn storable(client: &ClientRegistration) -> ClientRegistration {
    let mut stored = client.clone();
    if stored.source == ClientSource::Configured {
        stored.client_secret = None;
    }
    stored
}
