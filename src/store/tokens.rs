//! Typed account records over any [`KvStore`]: the [`TokenStore`] trait the OAuth flow works against, and
//! [`KvTokenStore`], which implements it (and the server list) on the key-value table.

use serde::{Deserialize, Serialize};

use super::kv::{KvStore, KvStoreExt, Write, to_json};
use super::servers::ServerRecord;
use super::{StoreError, client_key, lease_key, metadata_key, prefix, server_key, token_key};
use crate::oauth::discovery::Discovery;
use crate::secret::Secret;

/// A stored OAuth token (`oauth_token:NAME`). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// As the server sent it (`Bearer`, `bearer`, …).
    pub token_type: String,
    /// Scopes granted (the response's `scope`, else the scopes requested).
    #[serde(default)]
    pub scopes: Vec<String>,
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
}

/// When a refresh was attempted and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub at: i64,
    pub ok: bool,
    /// What went wrong, in words (never a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a client id was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// RFC 7591 dynamic client registration.
    Dynamic,
    /// Configured by the user (`add --client-id`).
    Configured,
}

/// A client registration (`oauth_client:NAME`). It belongs to one issuer and one redirect URI.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRegistration {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// RFC 7591 `client_secret_expires_at` (0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<i64>,
    /// How the client authenticates at the token endpoint, as registered (`none` for a public client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// The authorization server this registration belongs to.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The exact redirect URI registered.
    pub redirect_uri: String,
    pub registered_at: i64,
    pub source: ClientSource,
    /// Everything the registration endpoint returned, kept as is (RFC 7591 §3.2.1: the server may change
    /// what was asked for, and may add fields such as `registration_access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_response: Option<RawJson>,
}

/// A JSON document kept verbatim as text (cheaper to load than a parsed value, and exactly what the server
/// sent).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl From<serde_json::Value> for RawJson {
    fn from(value: serde_json::Value) -> Self {
        // Serializing a Value cannot fail; the fallback keeps the type total.
        RawJson(serde_json::value::to_raw_value(&value).unwrap_or_else(|_| {
            serde_json::value::RawValue::from_string("null".to_owned()).expect("null is valid JSON")
        }))
    }
}

impl std::fmt::Debug for ClientRegistration {
    // The registration response can hold a secret or a registration access token: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("issuer", &self.issuer)
            .field("redirect_uri", &self.redirect_uri)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ClientRegistration {
    /// The loopback port of the registered redirect URI.
    pub fn redirect_port(&self) -> Option<u16> {
        url::Url::parse(&self.redirect_uri).ok().and_then(|u| u.port())
    }
}

/// A refresh lease (`lease:refresh:NAME`): who is refreshing and until when the claim holds. A crashed
/// owner's lease is free at once when its process is known to be gone, and expires anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub owner: String,
    /// The process that holds it, for the liveness check.
    #[serde(default)]
    pub pid: Option<u32>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// Everything the OAuth flow reads and writes, per server NAME. Implemented by [`KvTokenStore`] over any
/// [`KvStore`]; an implementation must make each method atomic.
pub trait TokenStore: Send + Sync {
    /// The configured server.
    fn get_server(&self, name: &str) -> Result<Option<ServerRecord>, StoreError>;
    fn get_token(&self, name: &str) -> Result<Option<StoredToken>, StoreError>;
    fn set_token(&self, name: &str, token: &StoredToken) -> Result<(), StoreError>;
    fn delete_token(&self, name: &str) -> Result<(), StoreError>;
    fn get_client(&self, name: &str) -> Result<Option<ClientRegistration>, StoreError>;
    fn set_client(&self, name: &str, client: &ClientRegistration) -> Result<(), StoreError>;
    fn delete_client(&self, name: &str) -> Result<(), StoreError>;
    fn get_metadata(&self, name: &str) -> Result<Option<Discovery>, StoreError>;
    fn set_metadata(&self, name: &str, discovery: &Discovery) -> Result<(), StoreError>;
    /// Store the outcome of a login in one transaction: the metadata used, the registration used and the
    /// new token, so a crash leaves either the old account or the new one.
    fn save_login(
        &self,
        name: &str,
        discovery: &Discovery,
        client: &ClientRegistration,
        token: &StoredToken,
    ) -> Result<(), StoreError>;
    /// Replace the token only if it is still `expected` (compare-and-swap on the whole record), so a
    /// refresh never overwrites a newer token another process stored meanwhile. Returns whether it did.
    fn replace_token(&self, name: &str, expected: &StoredToken, new: &StoredToken) -> Result<bool, StoreError>;
    /// Claim the refresh of `name` for `owner` until `now_ms + ttl_ms`. Succeeds when nobody holds a live
    /// lease (or `owner` already does).
    fn try_acquire_lease(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError>;
    /// Give the lease back (only if `owner` still holds it).
    fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError>;
}

/// The typed view of a [`KvStore`]: servers, tokens, registrations, metadata and leases.
#[derive(Debug)]
pub struct KvTokenStore<K> {
    kv: K,
}

impl<K: KvStore> KvTokenStore<K> {
    pub fn new(kv: K) -> Self {
        KvTokenStore { kv }
    }

    /// The key-value store underneath.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// Add a server; fails with [`AddError::Exists`] when NAME is taken (checked and written atomically).
    pub fn add_server(&self, name: &str, record: &ServerRecord) -> Result<(), AddError> {
        let key = server_key(name);
        let json = to_json(&key, record)?;
        if self.kv.compare_and_swap(&key, None, Some(&json))? {
            Ok(())
        } else {
            Err(AddError::Exists(name.to_owned()))
        }
    }

    /// Remove a server and everything stored for it, in one transaction. Returns whether it existed.
    pub fn remove_server(&self, name: &str) -> Result<bool, StoreError> {
        if self.kv.get(&server_key(name))?.is_none() {
            return Ok(false);
        }
        self.kv.apply(&[
            Write::Delete(server_key(name)),
            Write::Delete(token_key(name)),
            Write::Delete(client_key(name)),
            Write::Delete(metadata_key(name)),
            Write::Delete(lease_key(name)),
        ])?;
        Ok(true)
    }

    /// The names of all configured servers, sorted.
    pub fn server_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .kv
            .scan_prefix(prefix::SERVER)?
            .into_iter()
            .map(|(key, _)| key[prefix::SERVER.len()..].to_owned())
            .collect())
    }

    fn lease(&self, name: &str) -> Result<(Option<String>, Option<Lease>), StoreError> {
        let raw = self.kv.get(&lease_key(name))?;
        // An unreadable lease is treated as no lease: it only ever guards a refresh, never data.
        let lease = raw.as_deref().and_then(|text| serde_json::from_str(text).ok());
        Ok((raw, lease))
    }
}

/// Whether process `pid` still runs on this machine. Where that cannot be told (no `/proc`), it is assumed
/// to run, and its lease holds until it expires.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Why `add` failed.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("a server named {0:?} already exists (remove it first, or pick another name)")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<K: KvStore> TokenStore for KvTokenStore<K> {
    fn get_server(&self, name: &str) -> Result<Option<ServerRecord>, StoreError> {
        self.kv.get_json(&server_key(name))
    }

    fn get_token(&self, name: &str) -> Result<Option<StoredToken>, StoreError> {
        self.kv.get_json(&token_key(name))
    }

    fn set_token(&self, name: &str, token: &StoredToken) -> Result<(), StoreError> {
        self.kv.set_json(&token_key(name), token)
    }

    fn delete_token(&self, name: &str) -> Result<(), StoreError> {
        self.kv.delete(&token_key(name)).map(drop)
    }

    fn get_client(&self, name: &str) -> Result<Option<ClientRegistration>, StoreError> {
        self.kv.get_json(&client_key(name))
    }

    fn set_client(&self, name: &str, client: &ClientRegistration) -> Result<(), StoreError> {
        self.kv.set_json(&client_key(name), client)
    }

    fn delete_client(&self, name: &str) -> Result<(), StoreError> {
        self.kv.delete(&client_key(name)).map(drop)
    }

    fn get_metadata(&self, name: &str) -> Result<Option<Discovery>, StoreError> {
        self.kv.get_json(&metadata_key(name))
    }

    fn set_metadata(&self, name: &str, discovery: &Discovery) -> Result<(), StoreError> {
        self.kv.set_json(&metadata_key(name), discovery)
    }

    fn save_login(
        &self,
        name: &str,
        discovery: &Discovery,
        client: &ClientRegistration,
        token: &StoredToken,
    ) -> Result<(), StoreError> {
        let (mk, ck, tk) = (metadata_key(name), client_key(name), token_key(name));
        let writes = [
            Write::Set(mk.clone(), to_json(&mk, discovery)?),
            Write::Set(ck.clone(), to_json(&ck, client)?),
            Write::Set(tk.clone(), to_json(&tk, token)?),
        ];
        self.kv.apply(&writes)
    }

    fn replace_token(&self, name: &str, expected: &StoredToken, new: &StoredToken) -> Result<bool, StoreError> {
        let key = token_key(name);
        // Compare decoded records, not text, so that a record written by another serializer still matches.
        loop {
            let raw = self.kv.get(&key)?;
            let current: Option<StoredToken> = match raw.as_deref() {
                Some(text) => Some(serde_json::from_str(text).map_err(|source| StoreError::Record {
                    key: key.clone(),
                    source,
                })?),
                None => None,
            };
            if current.as_ref() != Some(expected) {
                return Ok(false);
            }
            if self
                .kv
                .compare_and_swap(&key, raw.as_deref(), Some(&to_json(&key, new)?))?
            {
                return Ok(true);
            }
        }
    }

    fn try_acquire_lease(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError> {
        let key = lease_key(name);
        let (raw, lease) = self.lease(name)?;
        let free = match &lease {
            None => true,
            Some(l) => l.owner == owner || l.expires_at_ms <= now_ms || l.pid.is_some_and(|pid| !process_alive(pid)),
        };
        if !free {
            return Ok(false);
        }
        let new = Lease {
            owner: owner.to_owned(),
            pid: Some(std::process::id()),
            expires_at_ms: now_ms.saturating_add(ttl_ms),
        };
        self.kv
            .compare_and_swap(&key, raw.as_deref(), Some(&to_json(&key, &new)?))
    }

    fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let (raw, lease) = self.lease(name)?;
        if lease.is_some_and(|l| l.owner == owner) {
            self.kv.compare_and_swap(&lease_key(name), raw.as_deref(), None)?;
        }
        Ok(())
    }
}
