//! Accounts as the user sees them: one per configured server, with its records and a status computed from
//! the stored token alone (never the network). What `list`, `status` and the TUI show is built from these.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::StoreError;
use super::kv::KvStore;
use super::records::{ServerRecord, StoredToken, prefix};
use crate::oauth::{ClientRegistration, Discovery};

/// Under this many seconds left, a token is `expiring`.
pub const EXPIRING_WITHIN_SECS: i64 = 300;

/// The status of an account's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No token: never logged in, or logged out.
    None,
    /// Valid for five minutes or more (or without a stated expiry).
    Valid,
    /// Valid for less than five minutes.
    Expiring,
    /// Past its expiry.
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
pub type Loaded<T> = Result<T, Unreadable>;

/// A stored record that does not decode (written by a newer version, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored record {key} is unreadable ({detail})")]
pub struct Unreadable {
    /// Its key.
    pub key: String,
    /// What is wrong, without quoting the record.
    pub detail: String,
}

/// Everything stored for one server.
#[derive(Debug, Clone)]
pub struct Account {
    /// The server's name.
    pub name: String,
    /// The configured server.
    pub server: Loaded<ServerRecord>,
    /// The token, when there is one.
    pub token: Option<Loaded<StoredToken>>,
    /// The client registration, when there is one.
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

    /// The client id in use: the registration's, else the configured one.
    pub fn client_id(&self) -> Option<&str> {
        self.client
            .as_ref()
            .and_then(|c| c.as_ref().ok())
            .map(|c| c.client_id.as_str())
            .or_else(|| self.server.as_ref().ok().and_then(|s| s.client_id.as_deref()))
    }

    /// The first problem to show: an unreadable record, else the last failed refresh.
    pub fn last_error(&self) -> Option<String> {
        if let Err(e) = &self.server {
            return Some(e.to_string());
        }
        if let Some(Err(e)) = &self.token {
            return Some(e.to_string());
        }
        if let Some(Err(e)) = &self.client {
            return Some(e.to_string());
        }
        self.token()
            .and_then(|t| t.last_refresh.as_ref())
            .filter(|r| !r.ok)
            .and_then(|r| r.error.clone())
    }
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
    // As a person reads a list: `github` next to `GitLab`, not after every capital letter.
    accounts.sort_by_cached_key(|a| (a.name.to_lowercase(), a.name.clone()));
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
    serde_json::from_str(json).map_err(|e| Unreadable {
        key: key.to_owned(),
        detail: crate::oauth::http::describe_json_error(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_thresholds() {
        let token = |expires_at| StoredToken {
            access_token: crate::secret::Secret::new("a"),
            refresh_token: None,
            token_type: "Bearer".into(),
            scopes: vec![],
            requested_scopes: vec![],
            expires_at,
            issuer: "i".into(),
            resource: "r".into(),
            obtained_at: 0,
            last_refresh: None,
            generation: 0,
            identity: None,
        };
        assert_eq!(token_status(&token(Some(1000)), 1000), Status::Expired);
        assert_eq!(token_status(&token(Some(1299)), 1000), Status::Expiring);
        assert_eq!(token_status(&token(Some(1300)), 1000), Status::Valid);
        assert_eq!(token_status(&token(None), 1000), Status::Valid);
    }
}
