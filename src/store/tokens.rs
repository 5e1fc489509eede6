//! Typed account records over any [`KvStore`]: the [`TokenStore`] trait the session layer works against,
//! and [`KvTokenStore`], which implements it (and the server list) on the key-value table.

use super::error::StoreError;
use super::kv::{KvStore, KvStoreExt, SqliteKv, Write, to_json};
use super::records::{
    Lease, LeaseKind, ServerRecord, StoredToken, client_key, lease_key, metadata_key, prefix, server_key, token_key,
};

/// The account store the binary uses: typed records over the SQLite table.
pub type Store = KvTokenStore<SqliteKv>;
use crate::oauth::{ClientRegistration, Discovery};

/// Everything the session layer reads and writes, per server NAME. Implemented by [`KvTokenStore`] over
/// any [`KvStore`]; an implementation must make each method atomic. A read is `Ok(None)` only when there
/// is no such record; a record that does not decode, a busy or unreadable database are errors.
pub trait TokenStore: Send + Sync {
    /// The configured server.
    fn get_server(&self, name: &str) -> Result<Option<ServerRecord>, StoreError>;
    /// The names of all configured servers, sorted.
    fn server_names(&self) -> Result<Vec<String>, StoreError>;
    /// The token.
    fn get_token(&self, name: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Store the token.
    fn set_token(&self, name: &str, token: &StoredToken) -> Result<(), StoreError>;
    /// Delete the token.
    fn delete_token(&self, name: &str) -> Result<(), StoreError>;
    /// The client registration.
    fn get_client(&self, name: &str) -> Result<Option<ClientRegistration>, StoreError>;
    /// Store the client registration.
    fn set_client(&self, name: &str, client: &ClientRegistration) -> Result<(), StoreError>;
    /// Delete the client registration.
    fn delete_client(&self, name: &str) -> Result<(), StoreError>;
    /// The discovered metadata.
    fn get_metadata(&self, name: &str) -> Result<Option<Discovery>, StoreError>;
    /// Store the discovered metadata.
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
    fn try_acquire_lease(
        &self,
        kind: LeaseKind,
        name: &str,
        owner: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Give the lease back (only if `owner` still holds it).
    fn release_lease(&self, kind: LeaseKind, name: &str, owner: &str) -> Result<(), StoreError>;
    /// The lease of `name` as stored (held or not).
    fn get_lease(&self, kind: LeaseKind, name: &str) -> Result<Option<Lease>, StoreError>;
}

/// The typed view of a [`KvStore`]: servers, tokens, registrations, metadata and leases.
#[derive(Debug)]
pub struct KvTokenStore<K> {
    kv: K,
}

impl<K: KvStore> KvTokenStore<K> {
    /// Typed records over `kv`.
    pub fn new(kv: K) -> Self {
        KvTokenStore { kv }
    }

    /// The key-value store underneath.
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// Add a server; fails with [`AddError::Exists`] when NAME is taken (checked and written atomically).
    pub fn add_server(&self, name: &str, record: &ServerRecord) -> Result<(), AddError> {
        // Names that differ only in case would be two accounts a person cannot tell apart.
        if let Some(existing) = self
            .server_names()?
            .into_iter()
            .find(|n| n != name && n.eq_ignore_ascii_case(name))
        {
            return Err(AddError::SameButCase {
                wanted: name.to_owned(),
                existing,
            });
        }
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
            Write::Delete(lease_key(LeaseKind::Refresh, name)),
            Write::Delete(lease_key(LeaseKind::Login, name)),
        ])?;
        Ok(true)
    }

    fn lease(&self, kind: LeaseKind, name: &str) -> Result<(Option<String>, Option<Lease>), StoreError> {
        let raw = self.kv.get(&lease_key(kind, name))?;
        // An unreadable lease is treated as no lease: it only ever guards a refresh, never data.
        let lease = raw.as_deref().and_then(|text| serde_json::from_str(text).ok());
        Ok((raw, lease))
    }
}

/// Why `add` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddError {
    /// The name is taken.
    #[error("a server named {0:?} already exists (remove it first, or pick another name)")]
    Exists(String),
    /// Another server has the same name in another case.
    #[error(
        "a server named {existing:?} already exists; names that differ only in case ({wanted:?}) are the same name"
    )]
    SameButCase {
        /// The name asked for.
        wanted: String,
        /// The name that exists.
        existing: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<K: KvStore> TokenStore for KvTokenStore<K> {
    fn server_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .kv
            .scan_prefix(prefix::SERVER)?
            .into_iter()
            .map(|(key, _)| key[prefix::SERVER.len()..].to_owned())
            .collect())
    }

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

    fn try_acquire_lease(
        &self,
        kind: LeaseKind,
        name: &str,
        owner: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let key = lease_key(kind, name);
        let (raw, lease) = self.lease(kind, name)?;
        if lease.as_ref().is_some_and(|l| l.blocks(owner, now_ms)) {
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

    fn release_lease(&self, kind: LeaseKind, name: &str, owner: &str) -> Result<(), StoreError> {
        let (raw, lease) = self.lease(kind, name)?;
        if lease.is_some_and(|l| l.owner == owner) {
            self.kv.compare_and_swap(&lease_key(kind, name), raw.as_deref(), None)?;
        }
        Ok(())
    }

    fn get_lease(&self, kind: LeaseKind, name: &str) -> Result<Option<Lease>, StoreError> {
        Ok(self.lease(kind, name)?.1)
    }
}
