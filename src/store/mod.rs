//! Where accounts live: one SQLite file holding one key-value table of JSON records. Imports the protocol
//! types it stores ([`crate::oauth`]) and nothing from the layers above.
//!
//! - [`kv`]: the [`KvStore`] trait and its SQLite implementation [`SqliteKv`] (WAL, busy timeout, 0600 file).
//! - [`records`]: the typed records of an account and their keys; what a valid NAME is.
//! - [`tokens`]: the [`TokenStore`] trait (every record of an account, atomic replacements, the lease
//!   primitive) and [`KvTokenStore`], its implementation over any [`KvStore`].
//! - [`lease`]: the cross-process refresh lease, held by a guard that releases it on drop.
//! - [`accounts`]: every account as the user sees it, with a status computed from the stored token.
//! - [`location`]: where the database file is by default.
//! - [`error`]: what can go wrong ([`StoreError`]).
//! - [`files`]: the database's files, ours alone: what another user could put at its path is refused.
//! - [`process`]: lease owner ids and process liveness.
//!
//! This module never does network I/O.

pub mod accounts;
pub mod error;
pub mod files;
pub mod kv;
pub mod lease;
pub mod location;
pub mod process;
pub mod records;
pub mod tokens;

pub use accounts::{Account, Status, Unreadable, load_accounts};
pub use error::{StoreError, UnsafeReason};
pub use kv::{KvStore, KvStoreExt, OpenMode, SqliteKv, Write};
pub use lease::LeaseGuard;
pub use records::{
    Lease, LeaseKind, RefreshRecord, ServerRecord, StoredToken, client_key, lease_key, metadata_key, prefix,
    server_key, token_key, validate_name, validate_server_url,
};
pub use tokens::{AddError, KvTokenStore, Store, TokenStore};
