//! The key-value table every record lives in, and its SQLite implementation.
//!
//! One table, `kv(key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL)`, where `value` is
//! JSON text. Typed records are built on top of it in `tokens.rs` and `servers.rs`; this file knows nothing
//! of OAuth.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::error::StoreError;
use super::files;

/// How long a writer waits for another process's transaction before giving up. Long enough for a TUI and a
/// few CLI processes to take turns; each of our transactions is a handful of statements.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// Migrations, index `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &["CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );"];

/// One write of a batch applied by [`KvStore::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Insert or replace `key` with JSON text.
    Set(String, String),
    /// Remove `key` (nothing happens when it is absent).
    Delete(String),
}

/// Get, set and delete JSON values by key.
///
/// Values are JSON text; [`KvStoreExt`] adds typed access through serde. Every method is atomic on its own,
/// and [`KvStore::apply`] makes several writes one transaction.
pub trait KvStore: Send + Sync {
    /// The JSON text stored under `key`.
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Insert or replace `key`.
    fn set(&self, key: &str, json: &str) -> Result<(), StoreError>;
    /// Remove `key`; `true` when it existed.
    fn delete(&self, key: &str) -> Result<bool, StoreError>;
    /// Call `f` with every key starting with `prefix` and its JSON text, in key order, without collecting
    /// them (a list of 1,000 accounts stays small in memory).
    fn for_each_prefix(&self, prefix: &str, f: &mut dyn FnMut(&str, &str)) -> Result<(), StoreError>;
    /// Every key starting with `prefix`, in key order, with its JSON text.
    fn scan_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut rows = Vec::new();
        self.for_each_prefix(prefix, &mut |key, json| rows.push((key.to_owned(), json.to_owned())))?;
        Ok(rows)
    }
    /// Apply all writes in one transaction: afterwards either all of them happened or none did.
    fn apply(&self, writes: &[Write]) -> Result<(), StoreError>;
    /// Replace the value of `key` only when it currently is `expected` (`None`: absent). `new: None` deletes.
    /// Returns whether the swap happened. This is the primitive that `add` (no duplicates) and the
    /// cross-process refresh lease are built on.
    fn compare_and_swap(&self, key: &str, expected: Option<&str>, new: Option<&str>) -> Result<bool, StoreError>;
}

/// Typed access to a [`KvStore`] through serde.
pub trait KvStoreExt: KvStore {
    /// Read and decode `key`. A value that does not decode is an error naming the key.
    fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.get(key)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|source| StoreError::Record {
                    key: key.to_owned(),
                    source,
                }),
        }
    }

    /// Encode and store `value` under `key`.
    fn set_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.set(key, &to_json(key, value)?)
    }
}

impl<K: KvStore + ?Sized> KvStoreExt for K {}

/// Serialize a record for storage, naming the key on failure.
pub fn to_json<T: serde::Serialize>(key: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Record {
        key: key.to_owned(),
        source,
    })
}

/// How [`SqliteKv::open`] treats the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the directory (0700) and file (0600) when missing; migrate the schema.
    ReadWrite,
    /// Never create or change anything; a missing file is an error ([`StoreError::Missing`]).
    ReadOnly,
}

/// The SQLite implementation of [`KvStore`]: one file, WAL journal, a busy timeout so that a TUI and several
/// CLI processes can share it.
pub struct SqliteKv {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteKv")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteKv {
    /// Open (and in [`OpenMode::ReadWrite`], create) the database at `path`.
    ///
    /// A file that is not an SQLite database, or is corrupt, is an error naming the file, and the file is
    /// left exactly as it was: nothing is written before the header and the schema have been read.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        let mut warnings = Vec::new();
        Self::open_reporting(path, mode, &mut warnings)
    }

    /// Like [`SqliteKv::open`], and collects what the user should know but that is not an error (a
    /// database file whose permissions were looser than 0600 and have been tightened, say).
    ///
    /// Before anything is opened, what another local user could have put at the path is refused
    /// ([`files::check_safe`]): a symbolic link, a file (or `-wal`/`-shm`) of another user, a directory
    /// anyone may write to. SQLite then opens the file without following links.
    pub fn open_reporting(path: &Path, mode: OpenMode, warnings: &mut Vec<String>) -> Result<Self, StoreError> {
        let exists = files::check_safe(path)?;
        if !exists && mode == OpenMode::ReadOnly {
            return Err(StoreError::Missing { path: path.to_owned() });
        }
        if exists {
            files::check_header(path)?;
        }
        match mode {
            OpenMode::ReadWrite => files::prepare(path, exists, warnings)?,
            // Reading does not create anything, but tokens readable by others are made private (or refused).
            OpenMode::ReadOnly => files::tighten_existing(path, warnings)?,
        }
        let flags = match mode {
            OpenMode::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
            OpenMode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let opened = Connection::open_with_flags(path, flags).map_err(|e| StoreError::sqlite(path, e));
        let configured = opened.and_then(|conn| {
            let kv = SqliteKv {
                conn: Mutex::new(conn),
                path: path.to_owned(),
            };
            kv.configure(mode).map(|()| kv)
        });
        match configured {
            // Reading needs the shared-memory file beside a WAL database; on a read-only file system or a
            // full disk it cannot be made. When there is no WAL content that it would miss, read the file
            // as immutable instead (no locks, no -shm): a valid token stays readable.
            Err(
                StoreError::ReadOnly { .. }
                | StoreError::ReadOnlyFileSystem { .. }
                | StoreError::DiskFull { .. }
                | StoreError::CannotOpen { .. }
                | StoreError::Io { .. },
            ) if mode == OpenMode::ReadOnly && !files::has_wal_content(path) => Self::open_immutable(path),
            other => other,
        }
    }

    /// A WAL database in a directory we may not write to cannot get its shared-memory file; when nobody can
    /// write the file anyway, SQLite may read it as immutable (no locks, no `-shm`).
    fn open_immutable(path: &Path) -> Result<Self, StoreError> {
        let absolute = std::path::absolute(path).map_err(|e| StoreError::io(path, "cannot resolve the path", e))?;
        let mut uri =
            url::Url::from_file_path(&absolute).map_err(|()| StoreError::ReadOnly { path: path.to_owned() })?;
        uri.set_query(Some("immutable=1"));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(uri.as_str(), flags).map_err(|e| StoreError::sqlite(path, e))?;
        let kv = SqliteKv {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        };
        kv.configure(OpenMode::ReadOnly)?;
        Ok(kv)
    }

    /// A private database in memory, for tests and for library users that bring their own persistence.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::sqlite(&path, e))?;
        let kv = SqliteKv {
            conn: Mutex::new(conn),
            path,
        };
        kv.configure(OpenMode::ReadWrite)?;
        Ok(kv)
    }

    /// The file this store lives in (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `PRAGMA integrity_check` and return its verdict (`"ok"` when the file is sound).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let conn = self.lock();
        conn.query_row("PRAGMA integrity_check", [], |row| row.get::<_, String>(0))
            .map_err(|e| self.err(e))
    }

    fn configure(&self, mode: OpenMode) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        // Reading the schema version and the table list first makes SQLite parse the header and the schema
        // page: a corrupt file fails here, before anything is written to it.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.err(e))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))
            .map_err(|e| self.err(e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if mode == OpenMode::ReadOnly {
            // A reader scans each page once: a small page cache costs nothing and keeps `list` small.
            conn.pragma_update(None, "cache_size", -256).map_err(|e| self.err(e))?;
            if version < SCHEMA_VERSION {
                return Err(StoreError::Missing {
                    path: self.path.clone(),
                });
            }
            return Ok(());
        }
        // WAL lets readers (the TUI) and one writer (a CLI refresh) work at once. synchronous=FULL because a
        // rotated refresh token that is lost on power failure means the user has to log in again.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| self.err(e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.err(e))?;
        if version < SCHEMA_VERSION {
            drop(conn);
            self.migrate()?;
        }
        Ok(())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        // Read again inside the write lock: another process may have migrated meanwhile.
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.err(e))?;
        for (from, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            tx.execute_batch(sql).map_err(|e| self.err(e))?;
            tx.pragma_update(None, "user_version", from as i64 + 1)
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the connection half-used: every statement is either
        // done or rolled back by SQLite. So a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }
}

impl KvStore for SqliteKv {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT value FROM kv WHERE key = ?1")
            .map_err(|e| self.err(e))?;
        stmt.query_row([key], |row| row.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set(&self, key: &str, json: &str) -> Result<(), StoreError> {
        self.apply(&[Write::Set(key.to_owned(), json.to_owned())])
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let conn = self.lock();
        let n = conn
            .execute("DELETE FROM kv WHERE key = ?1", [key])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn for_each_prefix(&self, prefix: &str, f: &mut dyn FnMut(&str, &str)) -> Result<(), StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![prefix, prefix_end(prefix)])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let text = |i| row.get_ref(i).and_then(|v| v.as_str().map_err(Into::into));
            f(text(0).map_err(|e| self.err(e))?, text(1).map_err(|e| self.err(e))?);
        }
        Ok(())
    }

    fn apply(&self, writes: &[Write]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        for write in writes {
            apply_one(&tx, write).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn compare_and_swap(&self, key: &str, expected: Option<&str>, new: Option<&str>) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        // IMMEDIATE takes the write lock before the read, so no other process can change the value between
        // the comparison and the write.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let current: Option<String> = tx
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |row| row.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        let write = match new {
            Some(json) => Write::Set(key.to_owned(), json.to_owned()),
            None => Write::Delete(key.to_owned()),
        };
        apply_one(&tx, &write).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(true)
    }
}

fn apply_one(tx: &rusqlite::Transaction<'_>, write: &Write) -> rusqlite::Result<()> {
    match write {
        Write::Set(key, json) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, unixepoch())
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )?;
            stmt.execute(params![key, json])?;
        }
        Write::Delete(key) => {
            let mut stmt = tx.prepare_cached("DELETE FROM kv WHERE key = ?1")?;
            stmt.execute([key])?;
        }
    }
    Ok(())
}

/// The smallest string greater than every string starting with `prefix` (for a key range scan).
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

impl StoreError {
    pub(crate) fn sqlite(path: &Path, e: rusqlite::Error) -> Self {
        let path = path.to_owned();
        let code = e.sqlite_error_code();
        match code {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            // SQLite says "disk I/O error" or "unable to open" when it cannot make its -shm or -wal; the file
            // system says why.
            Some(
                ErrorCode::ReadOnly | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::PermissionDenied,
            ) if let Some(trouble) = files::disk_trouble(&path) => match trouble {
                files::DiskTrouble::Full => StoreError::DiskFull { path },
                files::DiskTrouble::ReadOnly => StoreError::ReadOnlyFileSystem { path },
            },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy { path },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => StoreError::CannotOpen {
                path,
                detail: e.to_string(),
            },
            _ => StoreError::Sqlite { path, source: e },
        }
    }

    pub(super) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::StorageFull => return StoreError::DiskFull { path: path.to_owned() },
            std::io::ErrorKind::ReadOnlyFilesystem => return StoreError::ReadOnlyFileSystem { path: path.to_owned() },
            _ => {}
        }
        StoreError::Io {
            path: path.to_owned(),
            action,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_scan_stays_inside_the_prefix() {
        let kv = SqliteKv::open_in_memory().unwrap();
        for key in ["server:a", "server:b", "servers", "server", "oauth_token:a", "server;"] {
            kv.set(key, "1").unwrap();
        }
        let keys: Vec<String> = kv.scan_prefix("server:").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["server:a", "server:b"]);
    }

    #[test]
    fn compare_and_swap_only_swaps_the_expected_value() {
        let kv = SqliteKv::open_in_memory().unwrap();
        assert!(kv.compare_and_swap("k", None, Some("1")).unwrap());
        assert!(!kv.compare_and_swap("k", None, Some("2")).unwrap());
        assert!(!kv.compare_and_swap("k", Some("3"), Some("2")).unwrap());
        assert!(kv.compare_and_swap("k", Some("1"), Some("2")).unwrap());
        assert_eq!(kv.get("k").unwrap().as_deref(), Some("2"));
        assert!(kv.compare_and_swap("k", Some("2"), None).unwrap());
        assert_eq!(kv.get("k").unwrap(), None);
    }
}
