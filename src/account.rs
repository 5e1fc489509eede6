//! Accounts as the user sees them: one per configured server, with its records and a status computed from
//! the stored token alone (never the network). Shared by `list`, `status` and the TUI.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::oauth::Discovery;
use crate::store::{ClientRegistration, KvStore, ServerRecord, StoreError, StoredToken, prefix};

/// Under this many seconds left, a token is `expiring`.
pub const EXPIRING_WITHIN_SECS: i64 = 300;

/// The status of an account's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No token: never logged in, or logged out.
    None,
    Valid,
    /// Valid for less than five minutes.
    Expiring,
    Expired,
    /// A record of this account cannot be read.
    Error,
}

impl Status {
    /// The word shown in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::None => "none",
            Status::Valid => "valid",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::Error => "error",
        }
    }
}

/// A record that may not have decoded: `Err` holds the reason.
pub type Loaded<T> = Result<T, String>;

/// Everything stored for one server.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub server: Loaded<ServerRecord>,
    pub token: Option<Loaded<StoredToken>>,
    pub client: Option<Loaded<ClientRegistration>>,
    /// Loaded only when asked for (the TUI); `list` does not need it.
    pub metadata: Option<Loaded<Box<Discovery>>>,
}

impl Account {
    /// The token status at `now` (Unix seconds).
    pub fn status(&self, now: i64) -> Status {
        if self.server.is_err() || matches!(self.token, Some(Err(_))) || matches!(self.client, Some(Err(_))) {
            return Status::Error;
        }
        match &self.token {
            Some(Ok(token)) => token_status(token, now),
            _ => Status::None,
        }
    }

    /// The usable token, if its record decoded.
    pub fn token(&self) -> Option<&StoredToken> {
        self.token.as_ref().and_then(|t| t.as_ref().ok())
    }

    /// Whether the account can be used without the user doing anything: a live token, or an expired one
    /// that a refresh token can renew (`token` does that by itself).
    pub fn usable(&self, now: i64) -> bool {
        match self.status(now) {
            Status::Valid | Status::Expiring => true,
            Status::Expired => self.token().is_some_and(|t| t.refresh_token.is_some()),
            Status::None | Status::Error => false,
        }
    }

    /// What the user should do, when anything.
    pub fn action(&self, now: i64) -> Option<String> {
        if self.usable(now) {
            return None;
        }
        Some(match self.status(now) {
            Status::Error => format!(
                "a stored record is unreadable; run: mcp-accounts remove {0} && mcp-accounts add {0} URL",
                self.name
            ),
            _ => format!("run: mcp-accounts login {}", self.name),
        })
    }

    /// The first problem to show: an unreadable record, else the last failed refresh.
    pub fn last_error(&self) -> Option<String> {
        if let Err(e) = &self.server {
            return Some(e.clone());
        }
        if let Some(Err(e)) = &self.token {
            return Some(e.clone());
        }
        if let Some(Err(e)) = &self.client {
            return Some(e.clone());
        }
        self.token()
            .and_then(|t| t.last_refresh.as_ref())
            .filter(|r| !r.ok)
            .and_then(|r| r.error.clone())
    }

    /// The row of `list --json`.
    pub fn summary(&self, now: i64) -> Summary {
        let token = self.token();
        let expires_at = token.and_then(|t| t.expires_at);
        Summary {
            name: self.name.clone(),
            url: self.server.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
            status: self.status(now),
            expires_at: expires_at.map(rfc3339),
            expires_in_secs: expires_at.map(|at| at - now),
            scopes: token.map(|t| t.scopes.clone()).unwrap_or_default(),
            issuer: token.map(|t| t.issuer.clone()),
            client_id: self
                .client
                .as_ref()
                .and_then(|c| c.as_ref().ok())
                .map(|c| c.client_id.clone())
                .or_else(|| self.server.as_ref().ok().and_then(|s| s.client_id.clone())),
            has_refresh_token: token.is_some_and(|t| t.refresh_token.is_some()),
            last_error: self.last_error(),
        }
    }
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
}

/// The status of a token at `now`.
pub fn token_status(token: &StoredToken, now: i64) -> Status {
    match token.expires_at {
        None => Status::Valid,
        Some(at) if at <= now => Status::Expired,
        Some(at) if at - now < EXPIRING_WITHIN_SECS => Status::Expiring,
        Some(_) => Status::Valid,
    }
}

/// Load every account, in name order. A record that does not decode marks its account, it does not fail
/// the whole list. `with_metadata` also loads the discovered metadata (larger; the TUI shows it).
pub fn load_accounts(kv: &dyn KvStore, with_metadata: bool) -> Result<Vec<Account>, StoreError> {
    // Records are decoded as they stream out of the store: the JSON text of 1,000 accounts is never held at
    // once.
    let mut tokens = decode_all(kv, prefix::TOKEN)?;
    let mut clients = decode_all(kv, prefix::CLIENT)?;
    let mut metadata = if with_metadata {
        decode_all(kv, prefix::METADATA)?
    } else {
        BTreeMap::new()
    };
    let mut accounts = Vec::new();
    kv.for_each_prefix(prefix::SERVER, &mut |key, json| {
        let name = &key[prefix::SERVER.len()..];
        accounts.push(Account {
            name: name.to_owned(),
            server: decode(key, json),
            token: tokens.remove(name),
            client: clients.remove(name),
            metadata: metadata.remove(name),
        });
    })?;
    Ok(accounts)
}

fn decode_all<T: serde::de::DeserializeOwned>(
    kv: &dyn KvStore,
    prefix: &str,
) -> Result<BTreeMap<String, Loaded<T>>, StoreError> {
    let mut records = BTreeMap::new();
    kv.for_each_prefix(prefix, &mut |key, json| {
        records.insert(key[prefix.len()..].to_owned(), decode(key, json));
    })?;
    Ok(records)
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, json: &str) -> Loaded<T> {
    serde_json::from_str(json).map_err(|e| {
        format!(
            "stored record {key} is unreadable ({})",
            crate::oauth::http::describe_json_error(&e)
        )
    })
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Expiry relative to now: `in 42m`, `in 3h 5m`, `expired 2d ago`; `-` without a token, `no expiry` when
/// the server did not say.
pub fn relative_expiry(expires_at: Option<i64>, has_token: bool, now: i64) -> String {
    match (has_token, expires_at) {
        (false, _) => "-".to_owned(),
        (true, None) => "no expiry".to_owned(),
        (true, Some(at)) if at > now => format!("in {}", span(at - now)),
        (true, Some(at)) => format!("expired {} ago", span(now - at)),
    }
}

/// The expiry as a phrase after a name: `expires in 59m`, `expired 2m ago`, `no expiry`.
pub fn expiry_phrase(expires_at: Option<i64>, now: i64) -> String {
    let relative = relative_expiry(expires_at, true, now);
    if relative.starts_with("in ") {
        format!("expires {relative}")
    } else {
        relative
    }
}

/// A duration in its two largest units: `45s`, `42m`, `3h 5m`, `2d 4h`.
pub fn span(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{m}m"),
        3600..86_400 if m == 0 => format!("{h}h"),
        3600..86_400 => format!("{h}h {m}m"),
        _ if h == 0 => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_expiry_reads_naturally() {
        let now = 1_000_000;
        assert_eq!(relative_expiry(Some(now + 42 * 60), true, now), "in 42m");
        assert_eq!(
            relative_expiry(Some(now + 3 * 3600 + 5 * 60 + 10), true, now),
            "in 3h 5m"
        );
        assert_eq!(relative_expiry(Some(now + 3600), true, now), "in 1h");
        assert_eq!(relative_expiry(Some(now + 45), true, now), "in 45s");
        assert_eq!(relative_expiry(Some(now - 2 * 86_400), true, now), "expired 2d ago");
        assert_eq!(
            relative_expiry(Some(now - 2 * 86_400 - 3 * 3600), true, now),
            "expired 2d 3h ago"
        );
        assert_eq!(relative_expiry(Some(now), true, now), "expired 0s ago");
        assert_eq!(relative_expiry(None, true, now), "no expiry");
        assert_eq!(relative_expiry(None, false, now), "-");
        assert_eq!(expiry_phrase(Some(now + 42 * 60), now), "expires in 42m");
        assert_eq!(expiry_phrase(Some(now - 120), now), "expired 2m ago");
        assert_eq!(expiry_phrase(None, now), "no expiry");
    }

    #[test]
    fn status_thresholds() {
        let token = |expires_at| StoredToken {
            access_token: crate::secret::Secret::new("a"),
            refresh_token: None,
            token_type: "Bearer".into(),
            scopes: vec![],
            expires_at,
            issuer: "i".into(),
            resource: "r".into(),
            obtained_at: 0,
            last_refresh: None,
        };
        assert_eq!(token_status(&token(Some(1000)), 1000), Status::Expired);
        assert_eq!(token_status(&token(Some(1299)), 1000), Status::Expiring);
        assert_eq!(token_status(&token(Some(1300)), 1000), Status::Valid);
        assert_eq!(token_status(&token(None), 1000), Status::Valid);
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
