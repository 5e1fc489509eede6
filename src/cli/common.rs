//! What the commands share: the one error type of the command line (with its hints and exit codes),
//! opening the store, checking a name, one-line messages.

use std::process::ExitCode;

use mcp_accounts::session;
use mcp_accounts::store::location::DbLocation;
use mcp_accounts::store::{KvTokenStore, OpenMode, SqliteKv, Store, StoreError};

/// The one error type of the binary: what failed, in one line, with the hint of the command line, and
/// which exit code it means.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: exit 2.
    Usage(String),
    /// The operation failed: exit 1.
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => m,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Failed(store_message(&e))
    }
}

impl From<mcp_accounts::oauth::Error> for CliError {
    fn from(e: mcp_accounts::oauth::Error) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl From<mcp_accounts::store::AddError> for CliError {
    fn from(e: mcp_accounts::store::AddError) -> Self {
        match e {
            mcp_accounts::store::AddError::Store(e) => e.into(),
            e => CliError::Failed(e.to_string()),
        }
    }
}

impl From<session::Error> for CliError {
    fn from(e: session::Error) -> Self {
        CliError::Failed(session_message(&e))
    }
}

/// A session error in one line, with what to run about it.
pub fn session_message(e: &session::Error) -> String {
    use session::Error as E;
    match e {
        E::UnknownServer { name } => unknown_server(name),
        E::NeedsLogin { name, .. } => format!("{e}; run: mcp-accounts login {name}"),
        E::NoDynamicRegistration { name, url, .. } => format!(
            "{e}; register a client there, then: mcp-accounts remove {name} && mcp-accounts add {name} {url} --client-id ID"
        ),
        E::LoginTimedOut { .. } => format!("{e} (run login again, or raise --timeout)"),
        E::RevocationFailed(_) => format!("{e} — retry, or delete it here only with: logout --local"),
        E::RedirectUriRefused { .. } => {
            format!("{e}; register a client there, then add the server again with --client-id ID")
        }
        E::ConfiguredClientMismatch { name, .. } => format!(
            "{e}; if that client id is registered there too, run: mcp-accounts remove {name}, then add it again"
        ),
        E::Store(store) => store_message(store),
        _ => e.to_string(),
    }
}

/// A store error with what to do about it on the command line.
fn store_message(e: &StoreError) -> String {
    match e {
        StoreError::NotADatabase { .. } if DB_CHOSEN.get() == Some(&true) => {
            format!("{e}; move it away or check the --db path (or MCP_ACCOUNTS_DB)")
        }
        StoreError::NotADatabase { .. } => format!("{e}; move it away or pass --db PATH"),
        _ => e.to_string(),
    }
}

/// The error for a NAME that is not configured.
pub fn unknown_server(name: &str) -> String {
    format!("no server named {name:?}; see: mcp-accounts list")
}

/// The error for a NAME that is not configured, with the closest configured name when one is close
/// ("did you mean acct-01?").
pub fn no_such_server(location: &DbLocation, name: &str) -> CliError {
    let names = match open_for_reading(location) {
        Ok(Some(store)) => mcp_accounts::store::TokenStore::server_names(&store).unwrap_or_default(),
        _ => Vec::new(),
    };
    CliError::Failed(match closest(name, &names) {
        Some(near) => format!("no server named {name:?}; did you mean {near}? (see: mcp-accounts list)"),
        None => unknown_server(name),
    })
}

/// The name in `names` closest to `wanted`, when it is close: the same but for case, or at most two edits
/// away (a third of the name at most).
pub fn closest<'a>(wanted: &str, names: &'a [String]) -> Option<&'a str> {
    let lower = wanted.to_lowercase();
    names
        .iter()
        .map(|n| (strsim::levenshtein(&lower, &n.to_lowercase()), n))
        .filter(|(distance, n)| *distance <= 2 && *distance * 3 <= n.chars().count().max(wanted.chars().count()))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, n)| n.as_str())
}

/// Whether the database path was chosen (`--db` or `MCP_ACCOUNTS_DB`) rather than the default, for the
/// hints (set once by [`super::run`]).
pub static DB_CHOSEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// What a command ended with, when it did not fail outright.
pub type CommandResult = Result<ExitCode, CliError>;

/// Open the store to change it: creates the file (0600) and directory (0700) when missing. Warnings
/// (permissions that were too loose) go to stderr.
pub fn open_for_writing(location: &DbLocation) -> Result<Store, CliError> {
    // A chosen path is created only one directory deep: a typo in --db must not make a directory chain.
    let new = !location.path.exists();
    if new
        && !location.is_default
        && let Some(dir) = location
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        && let Some(above) = dir.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        return Err(CliError::Failed(format!(
            "{} does not exist; check the database path (only its own directory is created)",
            above.display()
        )));
    }
    let mut warnings = Vec::new();
    let kv = SqliteKv::open_reporting(&location.path, OpenMode::ReadWrite, &mut warnings);
    // Our own directory: keep it private even if something loosened it, once the open has shown that
    // the path is ours.
    if kv.is_ok()
        && location.is_default
        && let Some(dir) = location.path.parent()
    {
        mcp_accounts::store::files::tighten(dir, 0o700, &mut warnings)?;
    }
    for warning in &warnings {
        eprintln!("warning: {}", one_line(warning));
    }
    let store = KvTokenStore::new(kv?);
    if new {
        eprintln!("created the database {}", location.path.display());
    }
    Ok(store)
}

/// Open the store to read it, without creating anything: `None` when there is no database yet.
pub fn open_for_reading(location: &DbLocation) -> Result<Option<Store>, CliError> {
    let mut warnings = Vec::new();
    let opened = SqliteKv::open_reporting(&location.path, OpenMode::ReadOnly, &mut warnings);
    for warning in &warnings {
        eprintln!("warning: {}", one_line(warning));
    }
    match opened {
        Ok(kv) => Ok(Some(KvTokenStore::new(kv))),
        Err(StoreError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Check a server name given on the command line.
pub fn check_name(name: &str) -> Result<(), CliError> {
    mcp_accounts::store::validate_name(name).map_err(|e| CliError::Usage(e.to_string()))
}

/// Make a message one line: a multi-line error (from a library below us, say) is joined with "; ", and
/// nothing in it can steer the terminal.
pub fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    mcp_accounts::text::clean(&joined).into_owned()
}
