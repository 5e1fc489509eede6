//! A device login (RFC 8628): for a machine whose callback port the user's browser cannot reach and
//! where pasting is not possible. Same lease, metadata, client choice and storage as a browser login; the
//! user enters a code on another device while the token endpoint is polled.

use super::Session;
use super::client::PLACEHOLDER_REDIRECT_URI;
use super::error::Error;
use super::login::LoginOutcome;
use super::options::{DeviceFlow, LoginOptions, LoginStep};
use crate::oauth::device::offers_device_grant;
use crate::oauth::registration::{RegistrationRequest, choose_auth_method};
use crate::oauth::{self, Discovery, device, register_client};
use crate::text::sanitize;

impl Session {
    /// Log in to NAME with the device authorization grant ([`LoginOptions::device`] set to required).
    /// Cancelling `opts.cancel` stops the polling; nothing is stored then. `opts.timeout` does not apply:
    /// the code's own lifetime does.
    pub async fn device_login(&self, name: &str, opts: &LoginOptions) -> Result<LoginOutcome, Error> {
        let mut opts = opts.clone();
        opts.device = DeviceFlow::Required;
        self.login(name, &opts).await
    }

    /// The device login itself, once the metadata is known (called by the login).
    pub(super) async fn device_inner(
        &self,
        name: &str,
        server: &crate::store::ServerRecord,
        discovery: Discovery,
        discovered: bool,
        scopes: &[String],
        opts: &LoginOptions,
    ) -> Result<LoginOutcome, Error> {
        let metadata = &discovery.authorization_server;
        if !offers_device_grant(metadata) {
            return Err(oauth::Error::NoDeviceLogin {
                issuer: sanitize(metadata.issuer.as_str()),
            }
            .into());
        }
        let issuer = discovery.issuer();
        let (client, registered) = if server.client_id.is_some() {
            (
                self.configured_client(server, issuer, metadata, PLACEHOLDER_REDIRECT_URI)?,
                false,
            )
        } else if let Some(stored) = self.reusable_client(name, issuer)? {
            (stored, false)
        } else {
            let endpoint = metadata
                .registration_endpoint
                .as_deref()
                .ok_or_else(|| Error::NoDynamicRegistration {
                    name: name.to_owned(),
                    issuer: sanitize(issuer),
                    url: server.url.clone(),
                })?;
            opts.report(LoginStep::Registering);
            let request = RegistrationRequest {
                client_name: &opts.client_name,
                redirect_uri: PLACEHOLDER_REDIRECT_URI,
                auth_method: choose_auth_method(metadata.token_endpoint_auth_methods_supported.as_deref()),
                device_grant: true,
            };
            let mut client = register_client(&self.http, endpoint, request, self.now()).await?;
            client.issuer = Some(issuer.to_owned());
            (client, true)
        };
        let login = device::start(&self.http, metadata, &client, scopes, &discovery.resource).await?;
        opts.report(LoginStep::DeviceCode {
            verification_uri: login.verification_uri.clone(),
            verification_uri_complete: login.verification_uri_complete.clone(),
            user_code: login.user_code.clone(),
            expires_in: login.expires_in.as_secs(),
        });
        if let (Some(open), Some(page)) = (&opts.open_browser, &login.verification_uri_complete)
            && let Ok(url) = url::Url::parse(page)
            && let Err(e) = open(&url)
        {
            opts.report(LoginStep::BrowserNotOpened { reason: e.to_string() });
        }
        let issued = device::finish(&self.http, metadata, &client, &login, &discovery.resource).await?;
        opts.report(LoginStep::Exchanging);
        let token = self.keep_login(name, &discovery, &client, issued, scopes).await?;
        Ok(LoginOutcome {
            token,
            discovered,
            registered,
        })
    }
}
