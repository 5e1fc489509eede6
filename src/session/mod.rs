//! Account sessions: the protocol steps of [`crate::oauth`] over the records of [`crate::store`], with an
//! HTTP client and a clock that the caller provides.
//!
//! A [`Session`] is what a front end (or another MCP client) uses:
//! - [`Session::discover`] and the metadata cache policy ([`metadata`]: stored metadata younger than a day,
//!   for the same URL, is used; anything else is discovered again);
//! - [`Session::login`] ([`login`]): client choice ([`client`]), the browser round trip, the code exchange,
//!   everything stored in one transaction;
//! - [`Session::refresh`] and [`Session::valid_token`] ([`refresh`]): one refresh at a time per account,
//!   across processes, through a lease;
//! - [`Session::logout`] ([`logout`]): RFC 7009 revocation, then the local delete;
//! - [`Session::authorized_request`] ([`request`]): a request to the MCP server with the token attached, one
//!   refresh on a 401, and `insufficient_scope` reported as a typed outcome.
//!
//! Nothing here prints, and no error carries a command-line hint.

pub mod accounts;
pub mod client;
pub mod device;
pub mod error;
pub mod login;
pub mod logout;
pub mod metadata;
pub mod options;
mod recent;
pub mod refresh;
pub mod request;
pub mod wait;

use std::sync::Arc;

pub use error::{Error, NeedsLogin};
pub use login::{BrowserOpener, DeviceFlow, LoginOptions, LoginOutcome, LoginStep, OFFLINE_ACCESS, StepReporter};
pub use logout::{LocalOnlyReason, LogoutOutcome};
pub use metadata::METADATA_MAX_AGE_SECS;
pub use options::PastedUrls;
pub use refresh::{REFRESH_MARGIN_SECS, needs_refresh, usable_stored_token};
pub use request::{AuthorizedRequest, RequestOutcome, StreamOutcome};

use crate::clock::{Clock, SystemClock};
use crate::oauth::{HttpClient, IssuedToken};
use crate::store::{RefreshRecord, ServerRecord, StoredToken, TokenStore};

/// How many refreshes a front end runs at once when it refreshes every account.
pub const DEFAULT_REFRESH_CONCURRENCY: usize = 64;

/// Looks up an environment variable (where a configured client's secret is read from).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// An account session: a store, an HTTP client, a clock, and where configured secrets come from. Cheap to
/// share behind an `Arc`; every method takes `&self`.
#[derive(Clone)]
pub struct Session {
    store: Arc<dyn TokenStore>,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    env: EnvLookup,
    /// The URL and token of each account as [`Session::authorized_stream`] last read them.
    recent: recent::RecentMap,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over `store`, with the system clock and the process environment.
    pub fn new(store: Arc<dyn TokenStore>, http: HttpClient) -> Self {
        Session {
            store,
            http,
            clock: Arc::new(SystemClock),
            env: Arc::new(|var| std::env::var(var).ok()),
            recent: Arc::default(),
        }
    }

    /// Use another clock (tests move time instead of waiting).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Read configured client secrets through `env` instead of the process environment.
    pub fn with_env(mut self, env: EnvLookup) -> Self {
        self.env = env;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Now, in Unix seconds, by the session's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The configured server NAME.
    pub fn server(&self, name: &str) -> Result<ServerRecord, Error> {
        self.store
            .get_server(name)?
            .ok_or_else(|| Error::UnknownServer { name: name.to_owned() })
    }

    fn needs_login(&self, name: &str, reason: NeedsLogin) -> Error {
        Error::NeedsLogin {
            name: name.to_owned(),
            reason,
        }
    }
}

/// The stored form of a token the server issued. `previous` is the token being refreshed: its refresh token
/// is kept when the response brings none (OAuth 2.1 §4.3.2), and so are its scopes (granted and requested)
/// when the response does not say; without one, the scopes asked for stand in, and are recorded as asked.
pub fn stored_token(
    issued: IssuedToken,
    previous: Option<&StoredToken>,
    requested_scopes: &[String],
    issuer: &str,
    resource: &str,
    now: i64,
) -> StoredToken {
    let scopes = match (issued.scopes, previous) {
        (Some(granted), _) => granted,
        (None, Some(prev)) => prev.scopes.clone(),
        (None, None) => requested_scopes.to_vec(),
    };
    let requested_scopes = match previous {
        Some(prev) => prev.requested_scopes.clone(),
        None => requested_scopes.to_vec(),
    };
    StoredToken {
        access_token: issued.access_token,
        refresh_token: issued
            .refresh_token
            .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
        token_type: "Bearer".to_owned(),
        scopes,
        requested_scopes,
        expires_at: issued
            .expires_in
            .map(|secs| now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))),
        issuer: issuer.to_owned(),
        resource: resource.to_owned(),
        obtained_at: now,
        last_refresh: previous.map(|_| RefreshRecord {
            at: now,
            ok: true,
            error: None,
        }),
        // A login's token starts a sequence of its own (a time-based start, so that a login between two
        // reads never looks like the same issue); a refresh continues it.
        generation: match previous {
            Some(prev) => prev.generation.wrapping_add(1),
            None => (now as u64) << 20,
        },
        identity: issued.identity.or_else(|| previous.and_then(|p| p.identity.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::token::MAX_EXPIRES_IN;
    use crate::secret::Secret;

    #[test]
    fn a_refreshed_token_keeps_the_old_refresh_token_and_scopes() {
        let issued = IssuedToken::from_json(
            br#"{"access_token":"new-at","token_type":"bearer","expires_in":18446744073709551615}"#,
        )
        .unwrap();
        let previous = StoredToken {
            access_token: Secret::new("old-at"),
            refresh_token: Some(Secret::new("rt-1")),
            token_type: "Bearer".into(),
            scopes: vec!["a".into()],
            requested_scopes: vec!["a".into(), "b".into()],
            expires_at: Some(0),
            issuer: "https://as.example".into(),
            resource: "https://mcp.example".into(),
            obtained_at: 0,
            last_refresh: None,
            generation: 0,
            identity: None,
        };
        let now = 1_000_000;
        let t = stored_token(
            issued,
            Some(&previous),
            &[],
            "https://as.example",
            "https://mcp.example",
            now,
        );
        assert_eq!(t.access_token.expose(), "new-at");
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));
        assert_eq!(t.scopes, ["a"]);
        assert_eq!(t.requested_scopes, ["a", "b"]);
        assert_eq!(t.expires_at, Some(now + MAX_EXPIRES_IN as i64));
        assert_eq!(t.last_refresh.map(|r| r.ok), Some(true));
    }
}
