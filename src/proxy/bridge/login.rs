//! Logging in again from the proxy, in the browser, when that is what a request needs: more scopes (a
//! 403 with `insufficient_scope`: a step-up), or a new login (a token the server refuses and that no
//! refresh can save, an account never logged in, an authorization server that changed). One login at a
//! time: a request that waited for another's login uses what it got.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_accounts::session::{Error, LoginOptions, LoginStep};
use mcp_accounts::text::clean;

use super::Bridge;

/// How long after a new login another one is not tried: a server that refuses every token would
/// otherwise have the browser open on every request.
const LOGIN_PAUSE: Duration = Duration::from_secs(600);

impl Bridge {
    /// One step-up login at a time: a request that waited for another's finds the scopes there already.
    pub(super) async fn step_up(&self, scopes: &[String]) -> Result<(), Error> {
        let _one_at_a_time = self.step_up.lock().await;
        let name = &self.settings.name;
        if let Some(token) = self.session.store().get_token(name)?
            && scopes.iter().all(|s| token.scopes.contains(s))
            && token.obtained_at >= self.session.now() - 5
        {
            return Ok(());
        }
        self.log(&format!(
            "the server wants the scope(s) {} for a request; logging in again in the browser",
            scopes.join(" ")
        ));
        self.session.step_up(name, scopes, &self.login_options()).await?;
        Ok(())
    }

    /// A new login in the browser for a request that failed with `why` (a token past saving), begun at
    /// `request_started`; whether there is a new token to retry with. `false` when a login of this
    /// proxy began under [`LOGIN_PAUSE`] before the request did: it did not help.
    pub(super) async fn log_in_again(&self, why: &Error, request_started: Instant) -> Result<bool, Error> {
        let name = &self.settings.name;
        let failed_with = self.session.store().get_token(name)?.map(|t| t.access_token);
        let _one_at_a_time = self.step_up.lock().await;
        // Another request's login finished while this one waited.
        if self.session.store().get_token(name)?.map(|t| t.access_token) != failed_with {
            return Ok(true);
        }
        {
            let mut last = self.last_login.lock().unwrap_or_else(|p| p.into_inner());
            match *last {
                // One began after this request did: retry with what it got.
                Some(at) if at >= request_started => return Ok(true),
                Some(at) if at.elapsed() < LOGIN_PAUSE => return Ok(false),
                _ => *last = Some(Instant::now()),
            }
        }
        self.log(&format!("{why}; logging in again in the browser"));
        // Discovery first, whatever is stored: a refused token can mean the server moved to another
        // authorization server, and the login then registers there.
        self.session.discover(name).await?;
        self.session.login(name, &self.login_options()).await?;
        Ok(true)
    }

    /// How the proxy logs in: the browser of its settings, the URL on stderr in case none opens.
    fn login_options(&self) -> LoginOptions {
        let shown = self.settings.name.clone();
        LoginOptions {
            timeout: self.settings.login_timeout,
            open_browser: self.settings.browser.clone(),
            on_step: Some(Arc::new(move |step| {
                if let LoginStep::WaitingForBrowser { url } = step {
                    eprintln!(
                        "mcp-accounts proxy ({shown}): if no browser opened, open this URL: {}",
                        clean(&url)
                    );
                }
            })),
            ..LoginOptions::default()
        }
    }
}
