//! RFC 7591 dynamic client registration of a public native client, and the [`ClientRegistration`] a client
//! id comes with (however it was obtained).
//!
//! We register exactly what a loopback CLI is: `token_endpoint_auth_method: none` (the RFC's default is
//! `client_secret_basic`), `application_type: native` (MCP 2026-07-28; OIDC's default `web` forbids loopback
//! redirects), both grant types, and the one exact redirect URI this login listens on.

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

/// Register a public native client at `registration_endpoint` for `redirect_uri`.
///
/// The returned registration keeps everything the server sent (a client secret and its expiry too); its
/// `issuer` is left for the caller to fill in, since the registration endpoint does not say, and its
/// `registered_at` is `now`.
pub async fn register_client(
    http: &HttpClient,
    registration_endpoint: &str,
    client_name: &str,
    redirect_uri: &str,
    now: i64,
) -> Result<ClientRegistration, Error> {
    let endpoint =
        parse_endpoint("registration_endpoint", registration_endpoint).map_err(RegistrationError::InvalidEndpoint)?;
    let request = serde_json::json!({
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
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
        token_endpoint_auth_method: parsed.token_endpoint_auth_method,
        issuer: None,
        redirect_uri: redirect_uri.to_owned(),
        registered_at: now,
        source: ClientSource::Dynamic,
        registration_response: Some(raw.into()),
    })
}
