//! RFC 7591 dynamic client registration of a public native client, and the [`ClientRegistration`] a client
//! id comes with (however it was obtained).
//!
//! We register what a loopback CLI is: `application_type: native` (MCP 2026-07-28; OIDC's default `web`
//! forbids loopback redirects), both grant types, the one exact redirect URI this login listens on, and the
//! client authentication the server advertises ([`choose_auth_method`]): a public client (`none`) when the
//! server lists `none` or nothing, else a confidential one whose secret is kept as a secret.

use serde::{Deserialize, Serialize};

use super::error::{Error, RegistrationError};
use super::http::{HttpClient, describe_json_error};
use crate::secret::Secret;
use crate::text::sanitize;
use crate::urls::{parse_endpoint, redact_for_display};

/// The name we register under unless the caller picks another.
pub const DEFAULT_CLIENT_NAME: &str = "mcp-accounts";

/// How a client id was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// RFC 7591 dynamic client registration.
    Dynamic,
    /// Configured by the user (`add --client-id`).
    Configured,
    /// A client ID metadata document: the `client_id` is an HTTPS URL the authorization server fetches
    /// (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25 and later).
    MetadataDocument,
}

/// How a client authenticates at the token and revocation endpoints (RFC 7591 §2
/// `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A public client: only `client_id` in the body.
    None,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
}

impl AuthMethod {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }
}

/// The method to register with, from the server's `token_endpoint_auth_methods_supported`: public when the
/// server lists `none` or lists nothing (a native app cannot keep a secret from its user, so public is
/// preferred wherever it is allowed); else `client_secret_post`, then `client_secret_basic`. A server that
/// lists only other methods (`private_key_jwt`) gets a public registration, which it may refuse.
pub fn choose_auth_method(supported: Option<&[String]>) -> AuthMethod {
    let Some(methods) = supported.filter(|m| !m.is_empty()) else {
        return AuthMethod::None;
    };
    let listed = |m: AuthMethod| methods.iter().any(|s| s == m.as_str());
    [
        AuthMethod::None,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretBasic,
    ]
    .into_iter()
    .find(|m| listed(*m))
    .unwrap_or(AuthMethod::None)
}

/// A client registration (stored as `oauth_client:NAME`). It belongs to one issuer and one redirect URI.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRegistration {
    /// The client id.
    pub client_id: String,
    /// The client secret, when the server issued one (or the user configured one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// RFC 7591 `client_secret_expires_at` (0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// RFC 7591 `client_id_issued_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<i64>,
    /// How the client authenticates at the token endpoint, as registered (`none` for a public client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// The authorization server this registration belongs to.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The exact redirect URI registered.
    pub redirect_uri: String,
    /// When it was registered (or configured), Unix seconds.
    pub registered_at: i64,
    /// How the client id was obtained.
    pub source: ClientSource,
    /// Everything the registration endpoint returned, kept as is (RFC 7591 §3.2.1: the server may change
    /// what was asked for, and may add fields such as `registration_access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_response: Option<RawJson>,
}

/// A JSON document kept verbatim as text (cheaper to load than a parsed value, and exactly what the server
/// sent).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl From<serde_json::Value> for RawJson {
    fn from(value: serde_json::Value) -> Self {
        // Serializing a Value cannot fail; the fallback keeps the type total.
        RawJson(serde_json::value::to_raw_value(&value).unwrap_or_else(|_| {
            serde_json::value::RawValue::from_string("null".to_owned()).expect("null is valid JSON")
        }))
    }
}

impl std::fmt::Debug for ClientRegistration {
    // The registration response can hold a secret or a registration access token: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("issuer", &self.issuer)
            .field("redirect_uri", &self.redirect_uri)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ClientRegistration {
    /// The loopback port of the registered redirect URI.
    pub fn redirect_port(&self) -> Option<u16> {
        url::Url::parse(&self.redirect_uri).ok().and_then(|u| u.port())
    }

    /// How this client authenticates: the method registered; without one, HTTP Basic when it has a secret
    /// (RFC 7591 §2's default) and none otherwise. A secret-based method without a secret falls back to
    /// none.
    pub fn auth_method(&self) -> AuthMethod {
        match (self.token_endpoint_auth_method.as_deref(), self.client_secret.is_some()) {
            (Some("client_secret_post"), true) => AuthMethod::ClientSecretPost,
            (Some("client_secret_basic") | None, true) => AuthMethod::ClientSecretBasic,
            _ => AuthMethod::None,
        }
    }

    /// Whether the registered redirect URI is the callback at `redirect_uri`: the same port and path on a
    /// loopback host (`localhost` and `127.0.0.1` both reach the listener on 127.0.0.1).
    pub fn listens_on(&self, redirect_uri: &str) -> bool {
        match (url::Url::parse(&self.redirect_uri), url::Url::parse(redirect_uri)) {
            (Ok(registered), Ok(wanted)) => {
                crate::urls::is_loopback_url(&registered)
                    && registered.scheme() == wanted.scheme()
                    && registered.port() == wanted.port()
                    && registered.path() == wanted.path()
            }
            _ => false,
        }
    }
}

/// The fields of an RFC 7591 §3.2.1 response that we read; the whole document is kept as well.
#[derive(Deserialize)]
struct RegistrationResponse {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    client_secret_expires_at: Option<i64>,
    #[serde(default)]
    client_id_issued_at: Option<i64>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
}

/// Why a URL cannot be a client ID metadata document's `client_id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} cannot be a client ID metadata document URL: {reason}")]
pub struct MetadataDocumentUrlError {
    /// The URL as given, shortened.
    pub url: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// Check a client ID metadata document URL: `https://` with a path, no fragment, no user name or password
/// (draft-ietf-oauth-client-id-metadata-document §3; MCP 2025-11-25 "Client ID Metadata Documents").
pub fn validate_metadata_document_url(raw: &str) -> Result<url::Url, MetadataDocumentUrlError> {
    let refuse = |reason| MetadataDocumentUrlError {
        url: crate::text::shorten(raw),
        reason,
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| refuse("it is not a URL"))?;
    if url.scheme() != "https" || url.host().is_none() {
        return Err(refuse("it must be https://"));
    }
    if url.path().trim_matches('/').is_empty() {
        return Err(refuse("it needs a path (https://host/client.json)"));
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("no fragment, user name or password is allowed"));
    }
    Ok(url)
}

/// What to register.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationRequest<'a> {
    /// The `client_name`.
    pub client_name: &'a str,
    /// The one redirect URI.
    pub redirect_uri: &'a str,
    /// How the client will authenticate ([`choose_auth_method`]).
    pub auth_method: AuthMethod,
    /// Also ask for the device authorization grant (RFC 8628), where the server offers it.
    pub device_grant: bool,
}

/// The grant type of RFC 8628 device logins.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Register a native client at `registration_endpoint`.
///
/// The returned registration keeps everything the server sent (a client secret and its expiry too) and the
/// authentication method the server confirmed (else the one asked for); its `issuer` is left for the caller
/// to fill in, since the registration endpoint does not say, and its `registered_at` is `now`.
pub async fn register_client(
    http: &HttpClient,
    registration_endpoint: &str,
    request: RegistrationRequest<'_>,
    now: i64,
) -> Result<ClientRegistration, Error> {
    let RegistrationRequest {
        client_name,
        redirect_uri,
        auth_method,
        device_grant,
    } = request;
    let mut grant_types = vec!["authorization_code", "refresh_token"];
    if device_grant {
        grant_types.push(DEVICE_CODE_GRANT);
    }
    let endpoint =
        parse_endpoint("registration_endpoint", registration_endpoint).map_err(RegistrationError::InvalidEndpoint)?;
    let request = serde_json::json!({
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": auth_method.as_str(),
        "application_type": "native",
    });
    let response = http.post_json(&endpoint, &request, "client registration").await?;
    if !response.is_success() {
        return Err(RegistrationError::Refused {
            endpoint: redact_for_display(&endpoint),
            status: response.status,
            error: response.oauth_error(),
        }
        .into());
    }
    let raw: serde_json::Value = response.json("registration response")?;
    let parsed: RegistrationResponse = serde_json::from_value(raw.clone()).map_err(|e| Error::BadDocument {
        url: redact_for_display(&endpoint),
        what: "registration response",
        detail: describe_json_error(&e),
    })?;
    if parsed.client_id.trim().is_empty() {
        return Err(RegistrationError::EmptyClientId {
            endpoint: redact_for_display(&endpoint),
        }
        .into());
    }
    // RFC 6749 Appendix A: client_id and client_secret are VSCHAR; nothing else is stored or sent.
    let vschar = |t: &str| t.bytes().all(|b| (0x20..=0x7E).contains(&b));
    for (what, value) in [
        ("client_id", Some(&parsed.client_id)),
        ("client_secret", parsed.client_secret.as_ref()),
    ] {
        if value.is_some_and(|v| !vschar(v)) {
            return Err(RegistrationError::BadCredential {
                endpoint: redact_for_display(&endpoint),
                what,
            }
            .into());
        }
    }
    if let Some(uris) = &parsed.redirect_uris
        && !uris.iter().any(|u| u == redirect_uri)
    {
        return Err(RegistrationError::RedirectMismatch {
            registered: sanitize(&uris.join(" ")),
            asked: redirect_uri.to_owned(),
        }
        .into());
    }
    Ok(ClientRegistration {
        client_id: parsed.client_id,
        client_secret: parsed.client_secret.filter(|s| !s.is_empty()).map(Secret::new),
        client_secret_expires_at: parsed.client_secret_expires_at,
        client_id_issued_at: parsed.client_id_issued_at,
        token_endpoint_auth_method: Some(
            parsed
                .token_endpoint_auth_method
                .filter(|m| crate::urls::is_uri_text(m))
                .unwrap_or_else(|| auth_method.as_str().to_owned()),
        ),
        issuer: None,
        redirect_uri: redirect_uri.to_owned(),
        registered_at: now,
        source: ClientSource::Dynamic,
        registration_response: Some(terminal_safe(raw).into()),
    })
}

/// The registration response as it is kept: every string made terminal-safe (it is shown nowhere, but a
/// server's text is stored only once it cannot steer a terminal).
fn terminal_safe(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(crate::text::clean(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(terminal_safe).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (crate::text::clean(&k).into_owned(), terminal_safe(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn the_method_follows_what_the_server_lists() {
        assert_eq!(choose_auth_method(None), AuthMethod::None);
        assert_eq!(choose_auth_method(Some(&[])), AuthMethod::None);
        assert_eq!(
            choose_auth_method(Some(&methods(&["client_secret_basic", "none"]))),
            AuthMethod::None
        );
        // The MCP Python SDK's authorization servers.
        assert_eq!(
            choose_auth_method(Some(&methods(&["client_secret_post", "client_secret_basic"]))),
            AuthMethod::ClientSecretPost
        );
        assert_eq!(
            choose_auth_method(Some(&methods(&["client_secret_basic"]))),
            AuthMethod::ClientSecretBasic
        );
        assert_eq!(
            choose_auth_method(Some(&methods(&["private_key_jwt"]))),
            AuthMethod::None
        );
    }

    #[test]
    fn metadata_document_urls() {
        assert!(validate_metadata_document_url("https://app.example.com/client.json").is_ok());
        for bad in [
            "http://app.example.com/client.json",
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/c.json#x",
            "https://u:p@app.example.com/c.json",
            "not a url",
        ] {
            assert!(validate_metadata_document_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_callbacks_match_by_port_and_path() {
        let client = ClientRegistration {
            client_id: "c".into(),
            client_secret: None,
            client_secret_expires_at: None,
            client_id_issued_at: None,
            token_endpoint_auth_method: None,
            issuer: None,
            redirect_uri: "http://localhost:4000/callback".into(),
            registered_at: 0,
            source: ClientSource::Dynamic,
            registration_response: None,
        };
        assert!(client.listens_on("http://127.0.0.1:4000/callback"));
        assert!(!client.listens_on("http://127.0.0.1:4001/callback"));
        assert!(!client.listens_on("http://127.0.0.1:4000/other"));
        assert_eq!(client.auth_method(), AuthMethod::None);
    }
}
