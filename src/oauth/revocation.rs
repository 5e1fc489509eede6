//! RFC 7009 token revocation. oauth2-rs refuses revocation over plain http even to loopback, so this one form
//! POST is written here, through the same HTTP client (transport rules and caps apply).

use url::Url;

use super::error::{Error, ErrorCode};
use super::http::HttpClient;
use super::registration::ClientRegistration;
use crate::secret::Secret;
use crate::urls::redact_for_display;

/// Which token is being revoked (RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `access_token`
    Access,
    /// `refresh_token`
    Refresh,
}

impl TokenKind {
    fn hint(self) -> &'static str {
        match self {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }
    }
}

/// Revoke one token at `endpoint`. A server that cannot revoke this kind of token says so
/// (`unsupported_token_type`, RFC 7009 §2.2.1): that counts as done, since the other token may still be
/// revoked.
pub async fn revoke(
    http: &HttpClient,
    endpoint: &Url,
    client: &ClientRegistration,
    token: &Secret,
    kind: TokenKind,
) -> Result<(), Error> {
    let mut fields = vec![
        ("token", token.expose()),
        ("token_type_hint", kind.hint()),
        ("client_id", client.client_id.as_str()),
    ];
    if let Some(secret) = &client.client_secret {
        fields.push(("client_secret", secret.expose()));
    }
    let response = http.post_form(endpoint, &fields, "revocation").await?;
    if response.is_success() {
        return Ok(());
    }
    let error = response.oauth_error();
    if response.status == 400
        && error
            .as_ref()
            .is_some_and(|e| e.code == ErrorCode::UnsupportedTokenType)
    {
        return Ok(());
    }
    Err(Error::Revocation {
        endpoint: redact_for_display(endpoint),
        status: response.status,
        error,
    })
}
