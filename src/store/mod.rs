//! Where accounts live: one SQLite file holding one key-value table of JSON records.
//!
//! - [`kv`]: the [`KvStore`] trait and its SQLite implementation [`SqliteKv`] (WAL, busy timeout, 0600 file).
//! - [`servers`]: validated server names and URLs, and the `server:NAME` record.
//! - [`tokens`]: the [`TokenStore`] trait (tokens, client registrations, discovered metadata, the refresh
//!   lease) and [`KvTokenStore`], its implementation over any [`KvStore`].
//!
//! Keys, one account per configured server NAME:
//! `server:NAME`, `oauth_metadata:NAME`, `oauth_client:NAME`, `oauth_token:NAME`, `lease:refresh:NAME`.
//! This module never does network I/O.

pub mod kv;
pub mod servers;
pub mod tokens;

use std::path::PathBuf;

pub use kv::{KvStore, KvStoreExt, OpenMode, SqliteKv, Write};
pub use servers::{ServerRecord, validate_name, validate_server_url};
pub use tokens::{ClientRegistration, ClientSource, KvTokenStore, RefreshRecord, StoredToken, TokenStore};

/// The account store the binary uses: typed records over the SQLite table.
pub type Store = KvTokenStore<SqliteKv>;

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
/// Key of the cross-process refresh lease of NAME.
pub fn lease_key(name: &str) -> String {
    format!("{}{name}", prefix::LEASE)
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
}

/// What can go wrong with the store. Every variant that concerns the file names it, and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: not an SQLite database (the file was left untouched; move it away or pass --db)", path.display())]
    NotADatabase { path: PathBuf },
    #[error("{}: the database is corrupt ({detail}); the file was left untouched", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: written by a newer mcp-accounts (schema {found}, this version knows {known}); upgrade mcp-accounts", path.display())]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{}: no database here yet", path.display())]
    Missing { path: PathBuf },
    #[error("{}: the database is read-only; check the permissions of the file and its directory", path.display())]
    ReadOnly { path: PathBuf },
    #[error("{}: the database stayed locked by another process; try again", path.display())]
    Busy { path: PathBuf },
    #[error("{}: the disk is full; nothing was changed", path.display())]
    DiskFull { path: PathBuf },
    #[error("{}: cannot open the database ({detail})", path.display())]
    CannotOpen { path: PathBuf, detail: String },
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("stored record {key} is unreadable ({source}); it may have been written by a newer version")]
    Record { key: String, source: serde_json::Error },
}
