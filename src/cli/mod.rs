//! The headless front end: parse the command line, open the store, run one command, map the outcome to an
//! exit code (0 success, 1 failure or an account needing action, 2 usage). Errors are one line on stderr.

pub mod accounts;
pub mod args;
pub mod auth;
pub mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

use crate::paths::{DbLocation, database_location};
use crate::store::{KvTokenStore, OpenMode, SqliteKv, Store, StoreError};

/// The one error type of the binary: what failed, in one line, and which exit code it means.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: exit 2.
    Usage(String),
    /// The operation failed: exit 1.
    Failed(String),
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }

    fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => m,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl From<crate::oauth::Error> for CliError {
    fn from(e: crate::oauth::Error) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl From<crate::store::tokens::AddError> for CliError {
    fn from(e: crate::store::tokens::AddError) -> Self {
        CliError::Failed(e.to_string())
    }
}

/// What a command ended with, when it did not fail outright.
pub type CommandResult = Result<ExitCode, CliError>;

/// Run the program with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(e.message()));
            e.exit_code()
        }
    }
}

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> CommandResult {
    if cli.list && cli.command.is_some() {
        return Err(CliError::Usage(
            "--list is a command of its own; use either --list or a subcommand (see: mcp-accounts --help)".to_owned(),
        ));
    }
    let location = database_location(cli.db).map_err(CliError::Failed)?;
    match cli.command {
        None if cli.list => accounts::list(&location, cli.json),
        None if std::io::stdout().is_terminal() => crate::tui::run(&location).map(|()| ExitCode::SUCCESS),
        None => accounts::list(&location, false),
        Some(Command::List { json }) => accounts::list(&location, json),
        Some(Command::Status { name, json }) => accounts::status(&location, name.as_deref(), json),
        Some(Command::Add(args)) => accounts::add(&location, args),
        Some(Command::Remove { name }) => accounts::remove(&location, &name),
        Some(Command::Discover { name, json }) => auth::discover(&location, &name, json),
        Some(Command::Login {
            name,
            no_browser,
            timeout,
        }) => auth::login(&location, &name, no_browser, timeout),
        Some(Command::Refresh { name, all }) => auth::refresh(&location, name.as_deref(), all),
        Some(Command::Logout { name, local }) => auth::logout(&location, &name, local),
        Some(Command::Token { name }) => auth::token(&location, &name),
    }
}

/// Open the store to change it: creates the file (0600) and directory (0700) when missing. Warnings
/// (permissions that were too loose) go to stderr.
pub fn open_for_writing(location: &DbLocation) -> Result<Store, CliError> {
    let mut warnings = Vec::new();
    if location.is_default
        && let Some(dir) = location.path.parent()
    {
        // Our own directory: keep it private even if something loosened it.
        crate::store::kv::tighten(dir, 0o700, &mut warnings);
    }
    let kv = SqliteKv::open_reporting(&location.path, OpenMode::ReadWrite, &mut warnings);
    for warning in &warnings {
        eprintln!("warning: {}", one_line(warning));
    }
    Ok(KvTokenStore::new(kv?))
}

/// Open the store to read it, without creating anything: `None` when there is no database yet.
pub fn open_for_reading(location: &DbLocation) -> Result<Option<Store>, CliError> {
    match SqliteKv::open(&location.path, OpenMode::ReadOnly) {
        Ok(kv) => Ok(Some(KvTokenStore::new(kv))),
        Err(StoreError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Check a server name given on the command line.
pub fn check_name(name: &str) -> Result<(), CliError> {
    crate::store::validate_name(name).map_err(|e| CliError::Usage(e.to_string()))
}

/// Make a message one line: a multi-line error (from a library below us, say) is joined with "; ".
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// clap's errors are several lines with a usage block; say the same in one line, exit 2. Help and
/// version go to stdout as usual, exit 0.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(2);
    }
    let text = e.render().to_string();
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() && !line.starts_with("tip:") {
            parts.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    eprintln!("error: {} (see: mcp-accounts --help)", parts.join(" "));
    ExitCode::from(2)
}
