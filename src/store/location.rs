//! Where the database lives by default: `$XDG_DATA_HOME/mcp-accounts/accounts.db`
//! (`~/.local/share/mcp-accounts/accounts.db`), on macOS too: one place for every platform a terminal user
//! works on. A program may pass its own path instead (the binary's `--db` and `MCP_ACCOUNTS_DB`).

use std::path::PathBuf;

use etcetera::BaseStrategy;

/// The directory name under the data directory.
pub const APP_DIR: &str = "mcp-accounts";
/// The database file name.
pub const DB_FILE: &str = "accounts.db";

/// Where the database is, and whether it is the default location (whose directory we own and may tighten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbLocation {
    /// The database file.
    pub path: PathBuf,
    /// Whether it is the default location.
    pub is_default: bool,
}

/// The home directory is unknown, so there is no default location.
#[derive(Debug, thiserror::Error)]
#[error("cannot find your home directory ({0})")]
pub struct NoHomeDirectory(#[from] etcetera::HomeDirError);

/// Resolve the database path: `explicit` when given (and not empty), else the default location.
pub fn database_location(explicit: Option<PathBuf>) -> Result<DbLocation, NoHomeDirectory> {
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(DbLocation {
            path,
            is_default: false,
        });
    }
    let strategy = etcetera::choose_base_strategy()?;
    Ok(DbLocation {
        path: strategy.data_dir().join(APP_DIR).join(DB_FILE),
        is_default: true,
    })
}
