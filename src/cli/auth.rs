//! The commands that talk to servers: `discover`, `refresh`, `logout`, `token` (`login` has a file of
//! its own). Each builds a
//! small single-threaded runtime: the work is I/O-bound, and `list` never pays for one.

use std::process::ExitCode;
use std::sync::Arc;

use futures::StreamExt;
use mcp_accounts::oauth::{Discovery, HttpClient};
use mcp_accounts::session::{
    self, DEFAULT_REFRESH_CONCURRENCY, LocalOnlyReason, LogoutOutcome, Session, usable_stored_token,
};
use mcp_accounts::store::location::DbLocation;
use mcp_accounts::store::{Store, StoredToken, TokenStore, load_accounts};
use mcp_accounts::text::clean;

use super::args::TokenFormat;
use super::common::{
    CliError, CommandResult, check_name, no_such_server, one_line, open_for_reading, open_for_writing,
};
use super::output::{print, print_json};
use crate::view::discovery::rows;
use crate::view::time::expiry_phrase;

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

fn session(store: Store) -> Result<Session, CliError> {
    let http = HttpClient::new(crate::config::http_config())?;
    Ok(Session::new(Arc::new(store), http))
}

/// Open the store for a command on NAME, failing clearly when there is no such server. Nothing is created
/// for a name that does not exist.
pub fn session_for(location: &DbLocation, name: &str) -> Result<Session, CliError> {
    check_name(name)?;
    let known = match open_for_reading(location)? {
        Some(store) => store.get_server(name)?.is_some(),
        None => false,
    };
    if !known {
        return Err(no_such_server(location, name));
    }
    session(open_for_writing(location)?)
}

/// `discover NAME [--json]`.
pub fn discover(location: &DbLocation, name: &str, json: bool) -> CommandResult {
    let session = session_for(location, name)?;
    let discovery = runtime()?.block_on(session.discover(name))?;
    if json {
        print_json(&discovery)?;
    } else {
        print(&describe_discovery(&discovery))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human form of a discovery result.
pub fn describe_discovery(d: &Discovery) -> String {
    let mut out = format!("{:<24}{}\n", "server", clean(&d.server_url));
    for row in rows(d) {
        out.push_str(&format!("{:<24}{}\n", row.label, row.value));
    }
    out.push_str("tried\n");
    for a in &d.attempts {
        let used = if a.used { "  (used)" } else { "" };
        out.push_str(&format!(
            "  {:<6}{}{used}\n",
            one_line(&a.outcome.to_string()),
            clean(&a.url)
        ));
    }
    out
}

pub fn describe_token(token: &StoredToken, now: i64) -> String {
    let expiry = expiry_phrase(token.expires_at, now);
    let refresh = if token.refresh_token.is_some() {
        ""
    } else {
        ", no refresh token"
    };
    if token.scopes.is_empty() {
        format!("{expiry}{refresh}")
    } else {
        format!("{expiry}{refresh}; scopes: {}", clean(&token.scopes.join(" ")))
    }
}

/// `refresh NAME` or `refresh --all` (every logged-in account, [`DEFAULT_REFRESH_CONCURRENCY`] at a time).
pub fn refresh(location: &DbLocation, name: Option<&str>, all: bool) -> CommandResult {
    if let (Some(name), false) = (name, all) {
        let session = session_for(location, name)?;
        let token = runtime()?.block_on(session.refresh(name))?;
        print(&format!(
            "refreshed {name}: {}\n",
            describe_token(&token, session.now())
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_for_writing(location)?;
    let accounts = load_accounts(store.kv(), false)?;
    let session = session(store)?;
    let (logged_in, skipped): (Vec<_>, Vec<_>) = accounts.iter().partition(|a| a.token().is_some());
    let names: Vec<String> = logged_in.iter().map(|a| a.name.clone()).collect();
    let session_ref = &session;
    let mut results: Vec<(String, Result<StoredToken, session::Error>)> = runtime()?.block_on(
        futures::stream::iter(names)
            .map(|name| async move {
                let result = session_ref.refresh(&name).await;
                (name, result)
            })
            .buffer_unordered(DEFAULT_REFRESH_CONCURRENCY)
            .collect(),
    );
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    let mut failed = 0;
    for (name, result) in results {
        match result {
            Ok(token) => text.push_str(&format!(
                "refreshed {name}: {}\n",
                describe_token(&token, session.now())
            )),
            Err(e) => {
                failed += 1;
                let (CliError::Failed(message) | CliError::Usage(message)) = CliError::from(e);
                text.push_str(&format!("failed {name}: {}\n", one_line(&message)));
            }
        }
    }
    for a in skipped {
        text.push_str(&format!("skipped {}: not logged in\n", a.name));
    }
    if logged_in.is_empty() {
        eprintln!("no logged-in accounts to refresh");
    }
    print(&text)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `logout NAME [--local]`.
pub fn logout(location: &DbLocation, name: &str, local: bool) -> CommandResult {
    let session = session_for(location, name)?;
    let outcome = runtime()?.block_on(session.logout(name, local)).map_err(|e| {
        use mcp_accounts::oauth::Error as P;
        match &e {
            // The server could not be asked: the token is still here, and --local is the way out.
            session::Error::Protocol(P::Unreachable { .. } | P::Timeout { .. }) => CliError::Failed(format!(
                "{e}; the token is still stored here; to delete it here only: mcp-accounts logout {name} --local"
            )),
            _ => CliError::from(e),
        }
    })?;
    let text = match outcome {
        LogoutOutcome::NotLoggedIn => format!("{name} was not logged in; nothing to do\n"),
        LogoutOutcome::Revoked => {
            format!("logged out of {name}: the token was revoked at the server and deleted here\n")
        }
        LogoutOutcome::LocalOnly(LocalOnlyReason::Requested) => {
            format!(
                "logged out of {name}: the token was deleted here only (--local: the server was not asked to revoke the token)\n"
            )
        }
        LogoutOutcome::LocalOnly(reason) => {
            format!("logged out of {name}: the token was deleted here only ({reason})\n")
        }
        _ => format!("logged out of {name}\n"),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `token NAME`: only the token on stdout, so `$(mcp-accounts token NAME)` works. A token that is fresh
/// is read without opening the database for writing.
pub fn token(location: &DbLocation, name: &str, format: TokenFormat) -> CommandResult {
    check_name(name)?;
    let unknown = || no_such_server(location, name);
    let store = open_for_reading(location)?.ok_or_else(unknown)?;
    if store.get_server(name)?.is_none() {
        return Err(unknown());
    }
    // A token with time left is read without opening the database for writing; one of another
    // authorization server than the server names now is an error here too.
    match usable_stored_token(&store, name, mcp_accounts::clock::unix_now()) {
        Ok(Some(token)) => {
            print(&formatted(token.access_token.expose(), format))?;
            return Ok(ExitCode::SUCCESS);
        }
        // Refreshing (or saying what to do) needs the session.
        Ok(None)
        | Err(session::Error::NeedsLogin {
            reason: session::NeedsLogin::NotLoggedIn,
            ..
        }) => {}
        Err(e) => return Err(e.into()),
    }
    drop(store);
    let session = session(open_for_writing(location)?)?;
    let token = runtime()?.block_on(session.valid_token(name))?;
    print(&formatted(token.expose(), format))?;
    Ok(ExitCode::SUCCESS)
}

/// A token as `token --format` prints it, with its line end.
fn formatted(token: &str, format: TokenFormat) -> String {
    match format {
        TokenFormat::Raw => format!("{token}\n"),
        TokenFormat::Bearer => format!("Bearer {token}\n"),
        TokenFormat::HeadersJson => format!("{}\n", serde_json::json!({"Authorization": format!("Bearer {token}")})),
        // Single quotes keep a shell from expanding anything; a quote inside is closed, escaped, reopened.
        TokenFormat::Env => format!("export MCP_ACCOUNTS_TOKEN='{}'\n", token.replace('\'', r"'\''")),
    }
}
