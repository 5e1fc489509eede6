//! RFC 7591 dynamic client registration of a public native client.
//!
//! We register exactly what a loopback CLI is: `token_endpoint_auth_method: none` (the RFC's default is
//! `client_secret_basic`), `application_type: native` (MCP 2026-07-28; OIDC's default `web` forbids loopback
//! redirects), both grant types, and the one exact redirect URI this login listens on.

use serde::Deserialize;
use url::Url;

use super::http::HttpClient;
use super::{Error, sanitize, unix_now};
use crate::secret::Secret;
use crate::store::{ClientRegistration, ClientSource};
use crate::urls::redact_for_display;

/// The name we register under unless the caller picks another.
pub const DEFAULT_CLIENT_NAME: &str = "mcp-accounts";

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
/// `issuer` is left for the caller to fill in, since the registration endpoint does not say.
pub async fn register_client(
    http: &HttpClient,
    registration_endpoint: &str,
    client_name: &str,
    redirect_uri: &str,
) -> Result<ClientRegistration, Error> {
    let endpoint = Url::parse(registration_endpoint)
        .map_err(|e| Error::Registration(format!("invalid registration endpoint: {e}")))?;
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
        let detail = response
            .error_summary()
            .unwrap_or_else(|| format!("HTTP {}", response.status));
        return Err(Error::Registration(format!(
            "{} answered {detail}",
            redact_for_display(&endpoint)
        )));
    }
    let raw: serde_json::Value = response.json("registration response")?;
    let parsed: RegistrationResponse = serde_json::from_value(raw.clone()).map_err(|e| Error::BadDocument {
        url: redact_for_display(&endpoint),
        what: "registration response",
        detail: super::http::describe_json_error(&e),
    })?;
    if parsed.client_id.trim().is_empty() {
        return Err(Error::Registration(format!(
            "{} returned an empty client_id",
            redact_for_display(&endpoint)
        )));
    }
    if let Some(uris) = &parsed.redirect_uris
        && !uris.iter().any(|u| u == redirect_uri)
    {
        return Err(Error::Registration(format!(
            "the server registered other redirect URIs ({}) than the one asked for ({redirect_uri})",
            sanitize(&uris.join(" "))
        )));
    }
    Ok(ClientRegistration {
        client_id: parsed.client_id,
        client_secret: parsed.client_secret.filter(|s| !s.is_empty()).map(Secret::new),
        client_secret_expires_at: parsed.client_secret_expires_at,
        client_id_issued_at: parsed.client_id_issued_at,
        token_endpoint_auth_method: parsed.token_endpoint_auth_method,
        issuer: None,
        redirect_uri: redirect_uri.to_owned(),
        registered_at: unix_now(),
        source: ClientSource::Dynamic,
        registration_response: Some(raw.into()),
    })
}
