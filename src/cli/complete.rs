//! Shell completion. The script `completions SHELL` prints calls this program back with `COMPLETE=SHELL`
//! in the environment (clap_complete's dynamic completion), so that subcommands and options complete from
//! the same definitions as the parser, and account and client names from the store and the client list as
//! they are at that moment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};
use mcp_accounts::store::location::database_location;
use mcp_accounts::store::{OpenMode, SqliteKv, TokenStore};

use crate::clients::Client;

/// The environment variable the scripts set when they ask for completions.
const VAR: &str = "COMPLETE";

/// When this run is the shell asking for completions, answer from `command` and exit; otherwise return
/// at once.
pub fn answer_if_asked(command: fn() -> clap::Command) {
    CompleteEnv::with_factory(command).var(VAR).complete();
}

/// The script that registers the completion with the shell called `name` (bash, zsh, fish, elvish,
/// powershell).
pub fn script(name: &str) -> Result<Vec<u8>, std::io::Error> {
    let shells = Shells::builtins();
    let completer = shells
        .completer(name)
        .ok_or_else(|| std::io::Error::other(format!("no completion for {name}")))?;
    let mut script = Vec::new();
    completer.write_registration(VAR, "mcp-accounts", "mcp-accounts", &callback_program(), &mut script)?;
    Ok(script)
}

/// The program the script calls back: as it was started, made absolute when it was started by a path (a
/// bare name is found on PATH again, and keeps working after an upgrade).
fn callback_program() -> String {
    let started = std::env::args_os().next().map(PathBuf::from).unwrap_or_default();
    let program = if started.components().count() > 1 {
        std::path::absolute(&started).unwrap_or(started)
    } else if started.as_os_str().is_empty() {
        PathBuf::from("mcp-accounts")
    } else {
        started
    };
    program.to_string_lossy().into_owned()
}

/// The names of the configured accounts, for the NAME arguments.
pub fn account_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| stored_names().into_iter().map(CompletionCandidate::new).collect())
}

/// The clients `connect` and `import --from` know.
pub fn client_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        Client::ALL
            .into_iter()
            .map(|c| CompletionCandidate::new(c.id()))
            .collect()
    })
}

/// The account names in the database the command line being completed points at (its `--db`, else
/// MCP_ACCOUNTS_DB, else the default), read-only; nothing at all when there is no database or it cannot be
/// read: a completion never prints an error or creates a file.
fn stored_names() -> Vec<String> {
    let explicit = db_in(std::env::args_os()).or_else(|| std::env::var_os("MCP_ACCOUNTS_DB").map(PathBuf::from));
    let Ok(location) = database_location(explicit) else {
        return Vec::new();
    };
    read_names(&location.path).unwrap_or_default()
}

fn read_names(path: &Path) -> Option<Vec<String>> {
    let kv = SqliteKv::open(path, OpenMode::ReadOnly).ok()?;
    let mut names = mcp_accounts::store::KvTokenStore::new(kv).server_names().ok()?;
    names.sort_by_key(|n| n.to_lowercase());
    Some(names)
}

/// The value of `--db PATH` or `--db=PATH` among `args`.
fn db_in(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--db" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--db=")) {
            return Some(PathBuf::from(path));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_the_line_being_completed_is_found() {
        let line = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            db_in(line(&[
                "mcp-accounts",
                "--",
                "mcp-accounts",
                "--db",
                "/x/a.db",
                "login",
                ""
            ])),
            Some(PathBuf::from("/x/a.db"))
        );
        assert_eq!(
            db_in(line(&["mcp-accounts", "login", "--db=/y.db", "a"])),
            Some(PathBuf::from("/y.db"))
        );
        assert_eq!(db_in(line(&["mcp-accounts", "login", "a"])), None);
    }
}
