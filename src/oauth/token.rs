//! The token endpoint: the authorization code exchange (with the PKCE verifier) and the refresh grant,
//! both with the RFC 8707 `resource`, through oauth2-rs and our [`HttpClient`] (so the transport rules and
//! caps apply). Failures are a typed [`TokenError`].

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, StandardRevocableToken, StandardTokenResponse,
    TokenResponse, TokenUrl,
};

use super::error::{Error, ErrorResponse, TokenError};
use super::http::{HttpClient, describe_json_error};
use super::metadata::ServerMetadata;
use super::registration::{AuthMethod, ClientRegistration};
use super::scope::is_scope_token;
use crate::secret::Secret;
use crate::text::sanitize;
use crate::urls::{UrlError, parse_endpoint};

/// The OpenID Connect field of a token response this client reads: the `id_token` (its claims say who
/// the user is; shown, never trusted for anything else).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenIdFields {
    /// The ID token (a JWT), when the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for OpenIdFields {}

/// A token response with the OpenID field.
pub type TokenResponseBody = StandardTokenResponse<OpenIdFields, BasicTokenType>;

/// An `expires_in` beyond ten years is taken as ten years (and never overflows the clock).
pub const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// What a token endpoint issued, checked: a non-empty Bearer access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The access token.
    pub access_token: Secret,
    /// A refresh token, when one was issued (never empty).
    pub refresh_token: Option<Secret>,
    /// The scopes granted, when the response says (`scope`).
    pub scopes: Option<Vec<String>>,
    /// Seconds until the access token expires, at most [`MAX_EXPIRES_IN`]; `None` when not said.
    pub expires_in: Option<u64>,
    /// Who the user is, from the OpenID `id_token`'s claims (not verified: for showing only).
    pub identity: Option<String>,
}

impl IssuedToken {
    /// Check a parsed token response: Bearer only, a non-empty access token, `expires_in` capped.
    pub fn from_response(response: &TokenResponseBody) -> Result<Self, TokenError> {
        if *response.token_type() != BasicTokenType::Bearer {
            return Err(TokenError::NotBearer {
                token_type: sanitize(response.token_type().as_ref()),
            });
        }
        let access = response.access_token().secret();
        if access.is_empty() {
            return Err(TokenError::EmptyAccessToken);
        }
        // RFC 6749 Appendix A: tokens are VSCHAR (printable ASCII and space); nothing else is stored.
        let vschar = |t: &str| t.bytes().all(|b| (0x20..=0x7E).contains(&b));
        if !vschar(access) {
            return Err(TokenError::BadTokenText { what: "access_token" });
        }
        let refresh_token = response
            .refresh_token()
            .map(|t| t.secret().clone())
            .filter(|t| !t.is_empty());
        if refresh_token.as_deref().is_some_and(|t| !vschar(t)) {
            return Err(TokenError::BadTokenText { what: "refresh_token" });
        }
        let scopes: Option<Vec<String>> = response
            .scopes()
            .map(|granted| granted.iter().map(|s| s.to_string()).collect());
        if let Some(bad) = scopes.iter().flatten().find(|s| !is_scope_token(s)) {
            return Err(TokenError::BadScope { scope: sanitize(bad) });
        }
        Ok(IssuedToken {
            access_token: Secret::new(access.clone()),
            refresh_token: refresh_token.map(Secret::new),
            scopes,
            expires_in: response.expires_in().map(|d| d.as_secs().min(MAX_EXPIRES_IN)),
            identity: response
                .extra_fields()
                .id_token
                .as_deref()
                .and_then(super::identity::from_id_token),
        })
    }

    /// Parse and check a token response body (RFC 6749 §5.1).
    pub fn from_json(body: &[u8]) -> Result<Self, TokenError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let response: TokenResponseBody =
            serde_path_to_error::deserialize(&mut de).map_err(|e| TokenError::Malformed {
                detail: describe_json_error(e.inner()),
                path: e.path().to_string(),
            })?;
        Self::from_response(&response)
    }
}

/// The oauth2-rs client for one authorization server and one registration.
pub(super) type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponseBody,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Build the oauth2-rs client: both endpoints checked, the redirect URI, the client's authentication.
pub(super) fn oauth_client(metadata: &ServerMetadata, client: &ClientRegistration) -> Result<OAuthClient, Error> {
    let auth = parse_endpoint("authorization_endpoint", &metadata.authorization_endpoint)?;
    let token = parse_endpoint("token_endpoint", &metadata.token_endpoint)?;
    let redirect = RedirectUrl::new(client.redirect_uri.clone()).map_err(|reason| UrlError::InvalidField {
        what: "redirect_uri",
        raw: crate::text::shorten(&client.redirect_uri),
        reason,
    })?;
    let mut oauth = oauth2::Client::<
        BasicErrorResponse,
        TokenResponseBody,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
    >::new(ClientId::new(client.client_id.clone()))
    .set_auth_uri(AuthUrl::from_url(auth))
    .set_token_uri(TokenUrl::from_url(token))
    .set_redirect_uri(redirect);
    let method = client.auth_method();
    if let (Some(secret), true) = (&client.client_secret, method != AuthMethod::None) {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    // The method registered, on every token request: Basic, or the client id (and secret) in the body.
    Ok(oauth.set_auth_type(match method {
        AuthMethod::ClientSecretBasic => AuthType::BasicAuth,
        AuthMethod::ClientSecretPost | AuthMethod::None => AuthType::RequestBody,
    }))
}

/// Redeem an authorization code (RFC 6749 §4.1.3 with PKCE and RFC 8707 `resource`).
pub async fn exchange_code(
    http: &HttpClient,
    metadata: &ServerMetadata,
    client: &ClientRegistration,
    code: &Secret,
    verifier: PkceCodeVerifier,
    resource: &str,
) -> Result<IssuedToken, Error> {
    let oauth = oauth_client(metadata, client)?;
    let response = oauth
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", resource)
        .request_async(http)
        .await;
    Ok(IssuedToken::from_response(&response.map_err(classify)?)?)
}

/// Use a refresh token (RFC 6749 §6 with RFC 8707 `resource`).
pub async fn refresh(
    http: &HttpClient,
    metadata: &ServerMetadata,
    client: &ClientRegistration,
    refresh_token: &Secret,
    resource: &str,
) -> Result<IssuedToken, Error> {
    let oauth = oauth_client(metadata, client)?;
    let response = oauth
        .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_owned()))
        .add_extra_param("resource", resource)
        .request_async(http)
        .await;
    Ok(IssuedToken::from_response(&response.map_err(classify)?)?)
}

fn classify(e: RequestTokenError<Error, BasicErrorResponse>) -> Error {
    request_error(e)
}

/// A failed token-endpoint request of oauth2-rs (any grant) as our typed error.
pub(super) fn request_error<T>(e: RequestTokenError<Error, oauth2::StandardErrorResponse<T>>) -> Error
where
    T: oauth2::ErrorResponseType + AsRef<str> + std::fmt::Display + Send + Sync + 'static,
{
    match e {
        RequestTokenError::ServerResponse(r) => TokenError::Rejected(ErrorResponse::new(
            r.error().as_ref(),
            r.error_description().map(String::as_str),
        ))
        .into(),
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(e, _body) => TokenError::Malformed {
            detail: describe_json_error(e.inner()),
            path: e.path().to_string(),
        }
        .into(),
        RequestTokenError::Other(text) => TokenError::Unexpected {
            detail: sanitize(&text),
        }
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_capped_and_empty_refresh_tokens_dropped() {
        let t = IssuedToken::from_json(
            br#"{"access_token":"at","token_type":"bearer","expires_in":18446744073709551615,"refresh_token":""}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, Some(MAX_EXPIRES_IN));
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.scopes, None);
    }

    #[test]
    fn unusable_responses_are_typed() {
        assert!(matches!(
            IssuedToken::from_json(br#"{"access_token":"x","token_type":"Bearer","expires_in":-5}"#),
            Err(TokenError::Malformed { .. })
        ));
        assert!(matches!(
            IssuedToken::from_json(br#"{"access_token":"x","token_type":"mac"}"#),
            Err(TokenError::NotBearer { .. })
        ));
        assert!(matches!(
            IssuedToken::from_json(br#"{"access_token":"","token_type":"Bearer"}"#),
            Err(TokenError::EmptyAccessToken)
        ));
    }
}
