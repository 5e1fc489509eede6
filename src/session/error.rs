//! The errors of the session layer: typed, each one line, with no command-line words (a front end adds its
//! own hint: "run: mcp-accounts login NAME" on the command line, "press l" in the TUI).

use crate::oauth::{self, ErrorResponse};
use crate::store::StoreError;

/// Why an account needs a new login: nothing short of one can help.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeedsLogin {
    /// There is no token.
    NotLoggedIn,
    /// The token was deleted while we waited for another process.
    LoggedOutMeanwhile,
    /// The token cannot be renewed: the server issued no refresh token.
    NoRefreshToken {
        /// Whether the access token has expired already.
        expired: bool,
    },
    /// The server said the refresh token is dead (`invalid_grant`).
    RefreshRejected(ErrorResponse),
    /// The server no longer knows the client registration (`invalid_client`).
    ClientRejected(ErrorResponse),
    /// There is no client registration to refresh with.
    NoRegistration,
    /// The MCP server now names another authorization server than the one that issued the token.
    AuthorizationServerChanged {
        /// The new issuer, sanitized.
        issuer: String,
    },
    /// The MCP server refused the access token, and a refresh did not help.
    TokenRefused,
}

impl NeedsLogin {
    fn describe(&self, name: &str) -> String {
        match self {
            NeedsLogin::NotLoggedIn => format!("{name} is not logged in"),
            NeedsLogin::LoggedOutMeanwhile => format!("{name} was logged out meanwhile"),
            NeedsLogin::NoRefreshToken { expired: true } => {
                "the token has expired and the server issued no refresh token".to_owned()
            }
            NeedsLogin::NoRefreshToken { expired: false } => "the server issued no refresh token".to_owned(),
            NeedsLogin::RefreshRejected(e) => format!("the server rejected the refresh token ({e})"),
            NeedsLogin::ClientRejected(e) => {
                format!("the server no longer accepts the client registration ({e})")
            }
            NeedsLogin::NoRegistration => "there is no client registration to refresh with".to_owned(),
            NeedsLogin::AuthorizationServerChanged { issuer } => {
                format!("the server now uses another authorization server ({issuer})")
            }
            NeedsLogin::TokenRefused => "the server refused the access token, also after a refresh".to_owned(),
        }
    }
}

/// Everything that can go wrong in a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No server is configured under this name.
    #[error("no server named {name:?}")]
    UnknownServer {
        /// The name asked for.
        name: String,
    },
    /// Only a new login helps.
    #[error("{}", reason.describe(name))]
    NeedsLogin {
        /// The account.
        name: String,
        /// Why.
        reason: NeedsLogin,
    },
    /// A protocol step failed.
    #[error(transparent)]
    Protocol(#[from] oauth::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The login was cancelled (by the caller, or by quitting).
    #[error("the login was cancelled")]
    Cancelled,
    /// A request for the account's token to another origin than its server's.
    #[error("refusing to send the token of {name} to {url}, which is not the origin of its server")]
    ForeignTarget {
        /// The account.
        name: String,
        /// The URL refused, as it may be shown.
        url: String,
    },
    /// Nobody completed the login in the browser in time.
    #[error("no browser callback within {secs} s; the login was abandoned")]
    LoginTimedOut {
        /// The timeout.
        secs: u64,
    },
    /// Only answers for another login attempt (a wrong `state`) came back in time.
    #[error(
        "no browser callback for this login within {secs} s; {refused} answer(s) for another login attempt were refused (state mismatch)"
    )]
    StaleCallbacks {
        /// The timeout.
        secs: u64,
        /// How many answers were refused.
        refused: usize,
    },
    /// Another process holds the refresh lease for too long.
    #[error("another process has been refreshing {name} for {secs} s; try again")]
    RefreshBusy {
        /// The account.
        name: String,
        /// How long we waited.
        secs: u64,
    },
    /// No configured client id and no registration endpoint.
    #[error("authorization server {issuer} offers no dynamic client registration")]
    NoDynamicRegistration {
        /// The account.
        name: String,
        /// The issuer, sanitized.
        issuer: String,
        /// The server URL of the account.
        url: String,
    },
    /// The configured client's secret is not in the environment.
    #[error("the client secret is read from the environment variable {var}, which is not set")]
    ClientSecretMissing {
        /// The variable.
        var: String,
    },
    /// The authorization server does not accept the client id, also after registering again.
    #[error("the authorization server does not accept the client id ({0})")]
    ClientRejected(ErrorResponse),
    /// The token endpoint refused the authorization code (`invalid_grant`).
    #[error("the authorization server did not accept the code ({0})")]
    CodeRejected(ErrorResponse),
    /// Revocation failed, so the token was kept.
    #[error("{0}; the token was kept")]
    RevocationFailed(#[source] oauth::Error),
    /// Another login of this account runs (in this process or another).
    #[error("login for {name} is already in progress{}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    LoginInProgress {
        /// The account.
        name: String,
        /// The process that runs it, when known.
        pid: Option<u32>,
    },
    /// The authorization server refused every loopback redirect URI we could register.
    #[error(
        "authorization server {issuer} refused to register the redirect URIs {} ({}); it does not take native clients this way",
        tried.join(" and "),
        error.as_ref().map(ToString::to_string).unwrap_or_else(|| "no reason given".to_owned())
    )]
    RedirectUriRefused {
        /// The issuer, sanitized.
        issuer: String,
        /// The redirect URIs tried.
        tried: Vec<String>,
        /// The last refusal.
        error: Option<ErrorResponse>,
    },
    /// A pre-registered client id was used with another authorization server than the one the MCP server
    /// names now (MCP 2026-07-28: credentials belong to one issuer).
    #[error(
        "the client id {client_id} was used with authorization server {registered_with}, but the server now names {now}; a pre-registered client belongs to one authorization server"
    )]
    ConfiguredClientMismatch {
        /// The account.
        name: String,
        /// The configured client id.
        client_id: String,
        /// The issuer it was used with.
        registered_with: String,
        /// The issuer named now.
        now: String,
    },
}

impl Error {
    /// The account that needs a login, when that is what this error means.
    pub fn needs_login(&self) -> Option<&str> {
        match self {
            Error::NeedsLogin { name, .. } => Some(name),
            _ => None,
        }
    }
}
