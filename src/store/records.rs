//! The typed records of one account, and their keys. One account per configured server NAME:
//!
//! | key | record |
//! |---|---|
//! | `server:NAME` | [`ServerRecord`] |
//! | `oauth_metadata:NAME` | [`crate::oauth::Discovery`] |
//! | `oauth_client:NAME` | [`crate::oauth::ClientRegistration`] |
//! | `oauth_token:NAME` | [`StoredToken`] |
//! | `lease:refresh:NAME`, `lease:login:NAME` | [`Lease`] |

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::urls::{UrlError, canonical_server_url};

/// Key of the configured server NAME.
pub fn server_key(name: &str) -> String {
    format!("{}{name}", prefix::SERVER)
}
/// Key of the discovered OAuth metadata of NAME.
pub fn metadata_key(name: &str) -> String {
    format!("{}{name}", prefix::METADATA)
}
/// Key of the client registration of NAME.
pub fn client_key(name: &str) -> String {
    format!("{}{name}", prefix::CLIENT)
}
/// Key of the token of NAME.
pub fn token_key(name: &str) -> String {
    format!("{}{name}", prefix::TOKEN)
}
/// Key of a cross-process lease of NAME.
pub fn lease_key(kind: LeaseKind, name: &str) -> String {
    let prefix = match kind {
        LeaseKind::Refresh => prefix::LEASE,
        LeaseKind::Login => prefix::LOGIN_LEASE,
    };
    format!("{prefix}{name}")
}

/// What a lease guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseKind {
    /// A refresh: one at a time per account, so a rotated refresh token is never used twice.
    Refresh,
    /// A login: one at a time per account, so two browsers never race for one account.
    Login,
}

/// The key prefixes, for scans over every account.
pub mod prefix {
    /// `server:NAME`
    pub const SERVER: &str = "server:";
    /// `oauth_metadata:NAME`
    pub const METADATA: &str = "oauth_metadata:";
    /// `oauth_client:NAME`
    pub const CLIENT: &str = "oauth_client:";
    /// `oauth_token:NAME`
    pub const TOKEN: &str = "oauth_token:";
    /// `lease:refresh:NAME`
    pub const LEASE: &str = "lease:refresh:";
    /// `lease:login:NAME`
    pub const LOGIN_LEASE: &str = "lease:login:";
}

/// The longest server name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// A configured MCP server (`server:NAME`). Holds no secret: a client secret is read from the environment
/// variable named in `client_secret_env` when it is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// The canonical MCP endpoint URL (see [`validate_server_url`]).
    pub url: String,
    /// A pre-registered client id; when set, dynamic registration is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The environment variable that holds the client secret of a pre-registered client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_env: Option<String>,
    /// Scopes to request; empty means: take them from the server (401 challenge, then metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The loopback port of the login callback; `None` means any free port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_port: Option<u16>,
    /// A client ID metadata document URL to use as `client_id` where the authorization server accepts
    /// them (`client_id_metadata_document_supported`); elsewhere dynamic registration is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata_url: Option<String>,
    /// When it was added, Unix seconds.
    pub added_at: i64,
}

impl ServerRecord {
    /// A server at `url` (checked and stored in canonical form), with everything else left to the server
    /// and discovery, added now.
    pub fn new(url: &str) -> Result<Self, UrlError> {
        Ok(ServerRecord {
            url: canonical_server_url(url)?,
            client_id: None,
            client_secret_env: None,
            scopes: Vec::new(),
            callback_port: None,
            client_metadata_url: None,
            added_at: crate::clock::unix_now(),
        })
    }
}

/// Why a name is not a valid server name, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server name {shown:?}: {reason}")]
pub struct NameError {
    /// The name, shortened.
    pub shown: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A server NAME is 1–64 characters of `A-Z a-z 0-9 . _ -`: safe in a key, a file name and a shell.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            shown: crate::text::shorten(name),
            reason,
        })
    };
    if name.is_empty() {
        return err("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return err("it is longer than 64 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return err("use only letters, digits, '.', '_' and '-'");
    }
    if name.starts_with('-') {
        return err("it must not start with '-'");
    }
    Ok(())
}

/// Validate a server URL and return its canonical form (what is stored).
pub fn validate_server_url(raw: &str) -> Result<String, UrlError> {
    canonical_server_url(raw)
}

/// A stored OAuth token (`oauth_token:NAME`). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, when the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// As the server sent it (`Bearer`, `bearer`, …).
    pub token_type: String,
    /// Scopes granted (the response's `scope`, else the scopes requested).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The scopes the authorization asked for (a later login, a step-up, asks for these again, plus any
    /// new ones: a refresh cannot widen scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested_scopes: Vec<String>,
    /// Absolute expiry; `None` when the server did not say (`expires_in` is optional).
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The authorization server that issued it.
    pub issuer: String,
    /// The RFC 8707 resource it was requested for.
    pub resource: String,
    /// When this access token was obtained (login or last refresh).
    pub obtained_at: i64,
    /// The outcome of the last refresh attempt, successful or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<RefreshRecord>,
    /// Which issue of the token this is: new for a login, one more for each successful refresh (not for a
    /// failed one). Processes waiting for another's refresh watch it: a server may return the same access
    /// token, so the token itself cannot tell that a refresh happened.
    #[serde(default)]
    pub generation: u64,
    /// Who the user is (OpenID `email`, `preferred_username` or `sub`, from the `id_token` or userinfo);
    /// not verified, for showing only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// When a refresh was attempted and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// When, Unix seconds.
    pub at: i64,
    /// Whether it worked.
    pub ok: bool,
    /// What went wrong, in words (never a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A lease record: who holds it and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// A random id of the holder.
    pub owner: String,
    /// The process that holds it, for the liveness check.
    #[serde(default)]
    pub pid: Option<u32>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

impl Lease {
    /// Whether this lease keeps `owner` out at `now_ms`: it is someone else's, unexpired, and its
    /// process still runs.
    pub fn blocks(&self, owner: &str, now_ms: i64) -> bool {
        self.owner != owner && self.expires_at_ms > now_ms && self.pid.is_none_or(super::process::process_alive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "github", "my-server_2.prod", &"x".repeat(64)] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "slash/name", "ünï", "-flag", "a:b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
