//! Configured servers: the `server:NAME` record, and what a valid NAME and URL are.

use serde::{Deserialize, Serialize};

use crate::urls::{UrlError, canonical_server_url};

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
    /// When it was added, Unix seconds.
    pub added_at: i64,
}

/// Why a name is not a valid server name, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server name {shown:?}: {reason}")]
pub struct NameError {
    shown: String,
    reason: &'static str,
}

/// A server NAME is 1–64 characters of `A-Z a-z 0-9 . _ -`: safe in a key, a file name and a shell.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            shown: crate::urls::shorten(name),
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

/// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
pub fn validate_scope(scope: &str) -> Result<(), String> {
    if !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
    {
        Ok(())
    } else {
        Err(format!(
            "invalid scope {:?}: a scope is printable ASCII without spaces or quotes (pass --scope once per scope)",
            crate::urls::shorten(scope)
        ))
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

    #[test]
    fn scopes() {
        assert!(validate_scope("mcp:tools").is_ok());
        assert!(validate_scope("read write").is_err());
        assert!(validate_scope("").is_err());
        assert!(validate_scope("a\"b").is_err());
    }
}
