//! What can go wrong with the store.

use std::path::PathBuf;

/// What can go wrong with the store. Every variant that concerns the file names it, and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is not an SQLite database; it was not touched.
    #[error("{}: not an SQLite database (the file was left untouched)", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// SQLite found the file corrupt; it was not touched.
    #[error("{}: the database is corrupt ({detail}); the file was left untouched", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A newer schema than this build knows.
    #[error("{}: written by a newer mcp-accounts (schema {found}, this version knows {known}); upgrade mcp-accounts", path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// Opened read-only, and there is no database yet.
    #[error("{}: no database here yet", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file or its directory cannot be written.
    #[error("{}: the database is read-only; check the permissions of the file and its directory", path.display())]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// The file system is mounted read-only.
    #[error("{}: the file system is read-only; nothing was changed", path.display())]
    ReadOnlyFileSystem {
        /// The file.
        path: PathBuf,
    },
    /// Another process kept the database locked past the busy timeout.
    #[error("{}: the database stayed locked by another process; try again", path.display())]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// No space left.
    #[error("{}: the disk is full; nothing was changed", path.display())]
    DiskFull {
        /// The file.
        path: PathBuf,
    },
    /// SQLite could not open the file.
    #[error("{}: cannot open the database ({detail})", path.display())]
    CannotOpen {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A file system operation failed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// What the system said.
        source: std::io::Error,
    },
    /// Any other SQLite failure.
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Something at the database's path that another user could have put there or could read.
    #[error("{}: {reason}; refusing to use it (another user could read or replace the tokens)", path.display())]
    Unsafe {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: UnsafeReason,
    },
    /// A record that does not decode.
    #[error("stored record {key} is unreadable ({source}); it may have been written by a newer version")]
    Record {
        /// Its key.
        key: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// Why a file at the database's path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeReason {
    /// A symbolic link (it could point anywhere, and be changed).
    #[error("is a symbolic link")]
    SymbolicLink,
    /// A directory, a device, a socket.
    #[error("is not a regular file")]
    NotAFile,
    /// A file of another user.
    #[error("belongs to another user (uid {uid})")]
    OwnedByOther {
        /// Its owner.
        uid: u32,
    },
    /// A directory others may write to, without the sticky bit.
    #[error("is a directory others may write to (mode {mode:04o})")]
    DirectoryWritableByOthers {
        /// Its mode.
        mode: u32,
    },
    /// A directory that belongs to another user (who may replace the files in it).
    #[error("is a directory of another user (uid {uid})")]
    DirectoryOfOther {
        /// Its owner.
        uid: u32,
    },
    /// Group or other permission bits that cannot be removed.
    #[error("has mode {mode:04o}, readable by others, and it cannot be made private")]
    CannotTighten {
        /// Its mode.
        mode: u32,
    },
}
