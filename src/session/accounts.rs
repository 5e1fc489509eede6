//! Several accounts on one authorization server: a login then asks the server to let the user choose the
//! account (OpenID `prompt`), and each account shows who it is (from the token response's `id_token`, or
//! the userinfo endpoint when `openid` was granted; shown, never verified).

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};

use super::client::storable;
use super::error::Error;
use super::{Session, stored_token};
use crate::oauth::metadata::same_issuer;
use crate::oauth::{ClientRegistration, Discovery, IssuedToken};
use crate::secret::Secret;
use crate::store::StoredToken;

impl Session {
    /// `select_account` (or `login` where the server does not list `select_account` in
    /// `prompt_values_supported`) when another account already uses this authorization server; else none.
    pub(super) fn shared_issuer_prompt(&self, name: &str, discovery: &Discovery) -> Result<Option<String>, Error> {
        let issuer = discovery.issuer();
        for other in self.store.server_names()? {
            if other == name {
                continue;
            }
            let by_metadata = matches!(self.store.get_metadata(&other), Ok(Some(d)) if same_issuer(d.issuer(), issuer));
            let by_token = matches!(self.store.get_token(&other), Ok(Some(t)) if same_issuer(&t.issuer, issuer));
            if by_metadata || by_token {
                let lists_select = discovery
                    .authorization_server
                    .prompt_values_supported
                    .as_ref()
                    .is_some_and(|values| values.iter().any(|v| v == "select_account"));
                return Ok(Some(if lists_select { "select_account" } else { "login" }.to_owned()));
            }
        }
        Ok(None)
    }

    /// Store what a login produced, in one transaction: the token (with who the user is, from the
    /// `id_token` or else the userinfo endpoint), the metadata used and the client used.
    pub(super) async fn keep_login(
        &self,
        name: &str,
        discovery: &Discovery,
        client: &ClientRegistration,
        issued: IssuedToken,
        scopes: &[String],
    ) -> Result<StoredToken, Error> {
        let mut token = stored_token(
            issued,
            None,
            scopes,
            discovery.issuer(),
            &discovery.resource,
            self.now(),
        );
        if token.identity.is_none() {
            token.identity = self
                .userinfo_identity(discovery, &token.scopes, &token.access_token)
                .await;
        }
        self.store.save_login(name, discovery, &storable(client), &token)?;
        Ok(token)
    }

    /// Who the token's user is, from the userinfo endpoint (when the server has one and `openid` was
    /// granted). Any failure is `None`: this is for showing, and never stops a login.
    pub(super) async fn userinfo_identity(
        &self,
        discovery: &Discovery,
        scopes: &[String],
        token: &Secret,
    ) -> Option<String> {
        let endpoint = discovery.authorization_server.userinfo_endpoint.as_deref()?;
        if !scopes.iter().any(|s| s == "openid") {
            return None;
        }
        let url = url::Url::parse(endpoint).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
        bearer.set_sensitive(true);
        headers.insert(AUTHORIZATION, bearer);
        let response = self.http.send(Method::GET, &url, headers, None).await.ok()?;
        if !response.is_success() {
            return None;
        }
        crate::oauth::identity::from_claims(&serde_json::from_slice(&response.body).ok()?)
    }
}
