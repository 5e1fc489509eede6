//! Cross-process leases: "this process is refreshing (or logging in to) NAME until T". A lease is a record
//! in the store (`lease:refresh:NAME`, `lease:login:NAME`), never a database lock held across the network;
//! the [`LeaseGuard`] that holds one
//! gives it back when it is dropped, on every path out of the work it guards (an error, a cancelled
//! future). A crashed owner's lease is free at once when its process is gone, and expires anyway.

use std::sync::Arc;
use std::time::Duration;

use super::error::StoreError;
use super::process::new_owner_id;
use super::records::LeaseKind;
use super::tokens::TokenStore;

/// A held lease. Dropping it releases the lease (only if this owner still holds it).
pub struct LeaseGuard {
    store: Arc<dyn TokenStore>,
    kind: LeaseKind,
    name: String,
    owner: String,
}

impl std::fmt::Debug for LeaseGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseGuard")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("owner", &self.owner)
            .finish()
    }
}

impl LeaseGuard {
    /// Try to take the `kind` lease of `name` for `ttl` from `now_ms`. `None` when another live owner
    /// holds it.
    pub fn try_acquire(
        store: &Arc<dyn TokenStore>,
        kind: LeaseKind,
        name: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Option<LeaseGuard>, StoreError> {
        let owner = new_owner_id();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        if store.try_acquire_lease(kind, name, &owner, now_ms, ttl_ms)? {
            Ok(Some(LeaseGuard {
                store: store.clone(),
                kind,
                name: name.to_owned(),
                owner,
            }))
        } else {
            Ok(None)
        }
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        // Releasing can only fail on a database error; the lease then simply expires.
        let _ = self.store.release_lease(self.kind, &self.name, &self.owner);
    }
}
