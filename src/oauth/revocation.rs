//! RFC 7009 token revocation. oauth2-rs refuses revocation over plain http even to loopback, so this one form
//! POST is written here, through the same HTTP client (transport rules and caps apply).

use base64::Engine;
use reqwest::header::HeaderValue;
use url::Url;

use super::error::{Error, ErrorCode};
use super::http::HttpClient;
use super::registration::{AuthMethod, ClientRegistration};
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

/// Revoke one token at `endpoint`, authenticating as the client does at the token endpoint. A server that
/// cannot revoke this kind of token says so (`unsupported_token_type`, RFC 7009 §2.2.1): that counts as
/// done, since the other token may still be revoked.
pub async fn revoke(
    http: &HttpClient,
    endpoint: &Url,
    client: &ClientRegistration,
    token: &Secret,
    kind: TokenKind,
) -> Result<(), Error> {
    let mut fields = vec![("token", token.expose()), ("token_type_hint", kind.hint())];
    let mut authorization = None;
    match (client.auth_method(), &client.client_secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => authorization = Some(basic(&client.client_id, secret)),
        (AuthMethod::ClientSecretPost, Some(secret)) => {
            fields.push(("client_id", client.client_id.as_str()));
            fields.push(("client_secret", secret.expose()));
        }
        _ => fields.push(("client_id", client.client_id.as_str())),
    }
    let response = http
        .post_form_with(endpoint, &fields, authorization, "revocation")
        .await?;
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

/// An HTTP Basic `Authorization` value for a client (RFC 6749 §2.3.1: both parts form-encoded first).
fn basic(client_id: &str, secret: &Secret) -> HeaderValue {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(client_id), encode(secret.expose()));
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    let mut header = HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    header.set_sensitive(true);
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_then_base64() {
        let header = basic("my client", &Secret::new("s3:cr/t"));
        let value = header.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(value).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "my+client:s3%3Acr%2Ft");
        assert!(header.is_sensitive());
    }
}
