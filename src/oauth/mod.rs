//! The MCP authorization protocol, one file per step, no I/O besides HTTP (and the loopback listener):
//!
//! - [`http`]: the one HTTP client (timeouts, no redirects, body cap, HTTPS-or-loopback rule).
//! - [`challenge`]: `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 6750 §3).
//! - [`discovery`]: RFC 9728 protected resource metadata, RFC 8414 / OIDC discovery, the 2025-03-26 fallback.
//! - [`registration`]: RFC 7591 dynamic client registration.
//! - [`callback`]: the one-shot loopback callback server (RFC 8252 §7.3).
//! - [`flow`]: login (PKCE S256, state, `iss`, `resource`), refresh, revocation (RFC 7009), `valid_token`.
//!
//! Everything that is stored goes through [`crate::store::TokenStore`]; nothing here knows about terminals.

pub mod callback;
pub mod challenge;
pub mod discovery;
pub mod flow;
pub mod http;
pub mod registration;

pub use callback::{CallbackResult, CallbackServer, start_callback_server};
pub use discovery::{Discovery, ProtectedResourceMetadata, ServerMetadata, discover, discover_auth_server};
pub use flow::{LoginOptions, LoginStep, login, logout, refresh, valid_token};
pub use http::{HttpClient, HttpConfig};
pub use registration::register_client;

use crate::store::StoreError;
use crate::urls::UrlError;

/// Everything that can go wrong while talking OAuth. Each message is one line that says what failed, and
/// where it helps, what to do. Text that came from a server is sanitized (no control characters, shortened).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url} sent more than {limit} bytes; refused")]
    BodyTooLarge { url: String, limit: usize },
    #[error("{url} answered HTTP {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        detail: Option<String>,
    },
    #[error("{url} redirected to {location}; redirects are not followed for {what}")]
    Redirected {
        url: String,
        location: String,
        what: &'static str,
    },
    #[error("{url}: {what} is not valid JSON of the expected shape ({detail})")]
    BadDocument {
        url: String,
        what: &'static str,
        detail: String,
    },
    #[error("{0}")]
    Discovery(String),
    #[error(
        "{url}: the metadata names issuer {found:?} but was looked up for {expected:?}; refusing it (RFC 8414 §3.3)"
    )]
    IssuerMismatch {
        url: String,
        expected: String,
        found: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("client registration failed: {0}")]
    Registration(String),
    #[error("{0}")]
    Callback(String),
    #[error(
        "the callback port {0} on 127.0.0.1 is in use by another program; this client is registered for that port only, so close that program and retry"
    )]
    PortBusy(u16),
    #[error("the login was refused by the authorization server: {0}")]
    Authorization(String),
    #[error("{0}")]
    Token(String),
    /// The stored grant is gone or unusable: only a new login helps.
    #[error("{reason}; run: mcp-accounts login {name}")]
    NeedsLogin { name: String, reason: String },
    #[error("no server named {0:?}; see: mcp-accounts list")]
    UnknownServer(String),
    #[error("the login was cancelled")]
    Cancelled,
    #[error("no browser callback within {0} s; the login was abandoned (run login again, or raise --timeout)")]
    LoginTimedOut(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Server-supplied text made safe for a terminal and a one-line message: control characters (escape
/// sequences included) become spaces, runs of white space collapse, and it is cut to 200 characters.
pub fn sanitize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    crate::urls::shorten(&cleaned)
}

pub(crate) use crate::clock::{unix_now, unix_now_ms};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_newlines() {
        assert_eq!(
            sanitize("bad\x1b[31m red\r\nline\tand\x07bell"),
            "bad [31m red line and bell"
        );
        assert_eq!(sanitize(&"x".repeat(500)).chars().count(), 201);
    }
}
