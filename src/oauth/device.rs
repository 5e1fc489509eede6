//! The device authorization grant (RFC 8628): for a machine without a browser the user can reach. The
//! server hands out a code and a page; the user enters the code there on any device, while we poll the
//! token endpoint at the server's interval (5 s more after each `slow_down`) until the code expires.
//! Through oauth2-rs and our [`HttpClient`], with the RFC 8707 `resource` on both requests.

use std::time::Duration;

use oauth2::{
    DeviceAuthorizationUrl, DeviceCodeErrorResponseType, RequestTokenError, Scope, StandardDeviceAuthorizationResponse,
};

use super::error::Error;
use super::http::HttpClient;
use super::metadata::ServerMetadata;
use super::registration::{ClientRegistration, DEVICE_CODE_GRANT};
use super::token::{IssuedToken, oauth_client, request_error};
use crate::text::sanitize;
use crate::urls::{check_transport, parse_endpoint};

/// Whether the authorization server offers device logins (an endpoint, and the grant when it lists grants).
pub fn offers_device_grant(metadata: &ServerMetadata) -> bool {
    metadata.device_authorization_endpoint.is_some()
        && metadata
            .grant_types_supported
            .as_ref()
            .is_none_or(|grants| grants.iter().any(|g| g == DEVICE_CODE_GRANT))
}

/// A started device login: what the user has to do, and what polling needs.
pub struct DeviceLogin {
    /// The code to enter.
    pub user_code: String,
    /// The page to enter it on (checked: https, or http to this machine).
    pub verification_uri: String,
    /// The page with the code already in it, when the server gives one (checked the same way).
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
    details: StandardDeviceAuthorizationResponse,
}

impl std::fmt::Debug for DeviceLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceLogin")
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Ask the server for a device code.
pub async fn start(
    http: &HttpClient,
    metadata: &ServerMetadata,
    client: &ClientRegistration,
    scopes: &[String],
    resource: &str,
) -> Result<DeviceLogin, Error> {
    let endpoint = metadata
        .device_authorization_endpoint
        .as_deref()
        .ok_or_else(|| Error::NoDeviceLogin {
            issuer: sanitize(&metadata.issuer),
        })?;
    let url = parse_endpoint("device_authorization_endpoint", endpoint)?;
    let oauth = oauth_client(metadata, client)?.set_device_authorization_url(DeviceAuthorizationUrl::from_url(url));
    let mut request = oauth.exchange_device_code().add_extra_param("resource", resource);
    for scope in scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let details: StandardDeviceAuthorizationResponse = request.request_async(http).await.map_err(request_error)?;
    let page = |raw: &str| -> Result<String, Error> {
        let url = parse_endpoint("verification_uri", raw)?;
        check_transport(&url)?;
        Ok(url.to_string())
    };
    Ok(DeviceLogin {
        user_code: sanitize(details.user_code().secret()),
        verification_uri: page(details.verification_uri().as_str())?,
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| page(u.secret()))
            .transpose()?,
        expires_in: details.expires_in(),
        details,
    })
}

/// Poll the token endpoint until the user has entered the code, refused, or the code expired.
pub async fn finish(
    http: &HttpClient,
    metadata: &ServerMetadata,
    client: &ClientRegistration,
    login: &DeviceLogin,
    resource: &str,
) -> Result<IssuedToken, Error> {
    let oauth = oauth_client(metadata, client)?;
    let response = oauth
        .exchange_device_access_token(&login.details)
        .add_extra_param("resource", resource)
        .request_async(http, tokio::time::sleep, None)
        .await;
    match response {
        Ok(body) => Ok(IssuedToken::from_response(&body)?),
        Err(RequestTokenError::ServerResponse(r)) if *r.error() == DeviceCodeErrorResponseType::ExpiredToken => {
            Err(Error::DeviceCodeExpired {
                secs: login.expires_in.as_secs(),
            })
        }
        Err(RequestTokenError::ServerResponse(r)) if *r.error() == DeviceCodeErrorResponseType::AccessDenied => {
            Err(Error::DeviceLoginDenied)
        }
        Err(other) => Err(request_error(other)),
    }
}
