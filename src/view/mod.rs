//! What the command line and the terminal UI both show, computed once: the `list --json` row, time phrases
//! ([`time`]) and the rows that describe a discovery result ([`discovery`]). A discovery row's values have
//! passed [`mcp_accounts::text::clean`]; a [`Summary`] keeps the stored strings as they are, for JSON, whose
//! writer escapes what could steer a terminal (`cli/output.rs`).

pub mod discovery;
pub mod time;

use mcp_accounts::store::{Account, Status};
use serde::Serialize;

/// The command that logs in again asking for more scopes: `mcp-accounts login NAME --scope a --scope b`.
pub fn login_with_scopes(name: &str, scopes: &[String]) -> String {
    let mut command = format!("mcp-accounts login {name}");
    for scope in scopes {
        command.push_str(&format!(" --scope {scope}"));
    }
    command
}

/// One account in `list --json`. Holds no token and no secret.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub name: String,
    pub url: String,
    pub status: Status,
    pub expires_at: Option<String>,
    pub expires_in_secs: Option<i64>,
    pub scopes: Vec<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub has_refresh_token: bool,
    pub last_error: Option<String>,
    /// Who the account is, as the server said (OpenID claims; not verified).
    pub identity: Option<String>,
}

impl Summary {
    /// The row of `account` at `now`.
    pub fn of(account: &Account, now: i64) -> Summary {
        let token = account.token();
        let expires_at = token.and_then(|t| t.expires_at);
        Summary {
            name: account.name.clone(),
            url: account.server.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
            status: account.status(now),
            expires_at: expires_at.map(time::rfc3339),
            expires_in_secs: expires_at.map(|at| at - now),
            scopes: token.map(|t| t.scopes.clone()).unwrap_or_default(),
            issuer: token.map(|t| t.issuer.clone()),
            client_id: account.client_id().map(str::to_owned),
            has_refresh_token: token.is_some_and(|t| t.refresh_token.is_some()),
            last_error: account.last_error(),
            identity: token.and_then(|t| t.identity.clone()),
        }
    }
}
