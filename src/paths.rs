//! Where the database lives: `--db PATH`, else `MCP_ACCOUNTS_DB`, else
//! `$XDG_DATA_HOME/mcp-accounts/accounts.db` (`~/.local/share/mcp-accounts/accounts.db`), on macOS too:
//! one place for every platform a terminal user works on.

use std::path::PathBuf;

use etcetera::BaseStrategy;

/// The directory name under the data directory.
pub const APP_DIR: &str = "mcp-accounts";
/// The database file name.
pub const DB_FILE: &str = "accounts.db";

/// Where the database is, and whether it is the default location (whose directory we own and may tighten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbLocation {
    pub path: PathBuf,
    pub is_default: bool,
}

/// Resolve the database path. `explicit` is `--db` (clap has already folded `MCP_ACCOUNTS_DB` into it).
pub fn database_location(explicit: Option<PathBuf>) -> Result<DbLocation, String> {
    if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(DbLocation {
            path,
            is_default: false,
        });
    }
    let strategy = etcetera::choose_base_strategy()
        .map_err(|e| format!("cannot find your home directory ({e}); pass --db PATH"))?;
    Ok(DbLocation {
        path: strategy.data_dir().join(APP_DIR).join(DB_FILE),
        is_default: true,
    })
}
