//! The commands that never touch the network: `list`, `status`, `add`, `remove`.

use std::process::ExitCode;

use mcp_accounts::clock::unix_now;
use mcp_accounts::oauth::registration::validate_metadata_document_url;
use mcp_accounts::oauth::scope::validate_scope;
use mcp_accounts::store::location::DbLocation;
use mcp_accounts::store::{
    Account, KvStore, ServerRecord, Status, TokenStore, load_accounts, token_key, validate_server_url,
};
use mcp_accounts::text::clean;
use serde::Serialize;

use super::args::AddArgs;
use super::common::{CliError, CommandResult, check_name, no_such_server, open_for_reading, open_for_writing};
use super::output::{print, print_json, print_status_lines, print_table, table};
use crate::view::Summary;
use crate::view::time::{expiry_phrase, relative_expiry};

fn accounts(location: &DbLocation) -> Result<Vec<Account>, CliError> {
    match open_for_reading(location)? {
        Some(store) => Ok(load_accounts(store.kv(), false)?),
        // The default place before the first `add` is simply empty; a path someone chose should exist.
        None if location.is_default => Ok(Vec::new()),
        None => Err(CliError::Failed(format!(
            "there is no database at {}; check the path, or add a server to create it there",
            location.path.display()
        ))),
    }
}

/// `list [--json]`: a table (NAME, URL, STATUS, EXPIRES, SCOPES) or a JSON array.
pub fn list(location: &DbLocation, json: bool, color: bool) -> CommandResult {
    let now = unix_now();
    let accounts = accounts(location)?;
    if json {
        let rows: Vec<Summary> = accounts.iter().map(|a| Summary::of(a, now)).collect();
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if accounts.is_empty() {
        eprintln!("no servers configured; add one with: mcp-accounts add NAME URL");
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&render_table(&accounts, now), color)?;
    Ok(ExitCode::SUCCESS)
}

fn render_table(accounts: &[Account], now: i64) -> String {
    // Who each account is, when any says: the column that tells two accounts of one server apart.
    let with_identity = accounts.iter().any(|a| a.token().is_some_and(|t| t.identity.is_some()));
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            let token = a.token();
            let mut row = vec![
                a.name.clone(),
                a.server
                    .as_ref()
                    .map(|s| s.url.clone())
                    .unwrap_or_else(|_| "?".to_owned()),
                a.status(now).as_str().to_owned(),
                relative_expiry(token.and_then(|t| t.expires_at), token.is_some(), now),
                token
                    .map(|t| clean(&t.scopes.join(" ")).into_owned())
                    .unwrap_or_default(),
            ];
            if with_identity {
                let who = token.and_then(|t| t.identity.as_deref()).unwrap_or("-");
                row.insert(1, clean(who).into_owned());
            }
            row
        })
        .collect();
    if with_identity {
        table(&["NAME", "ACCOUNT", "URL", "STATUS", "EXPIRES", "SCOPES"], &rows)
    } else {
        table(&["NAME", "URL", "STATUS", "EXPIRES", "SCOPES"], &rows)
    }
}

#[derive(Serialize)]
struct StatusRow {
    #[serde(flatten)]
    summary: Summary,
    usable: bool,
    action: Option<String>,
}

/// `status [NAME] [--json]`: exit 0 when every account shown is usable, 1 when any needs action.
pub fn status(location: &DbLocation, name: Option<&str>, json: bool, color: bool) -> CommandResult {
    let now = unix_now();
    if let Some(name) = name {
        check_name(name)?;
    }
    let mut accounts = accounts(location)?;
    if let Some(name) = name {
        accounts.retain(|a| a.name == name);
        if accounts.is_empty() {
            return Err(no_such_server(location, name));
        }
    }
    let all_usable = accounts.iter().all(|a| a.usable(now));
    if json {
        let rows: Vec<StatusRow> = accounts
            .iter()
            .map(|a| StatusRow {
                summary: Summary::of(a, now),
                usable: a.usable(now),
                action: action(a, now),
            })
            .collect();
        print_json(&rows)?;
    } else if accounts.is_empty() {
        eprintln!("no servers configured; add one with: mcp-accounts add NAME URL");
    } else {
        let mut text = String::new();
        for a in &accounts {
            let token = a.token();
            let status = a.status(now);
            let mut line = format!("{}: {}", a.name, status.as_str());
            if let Some(who) = token.and_then(|t| t.identity.as_deref()) {
                line.push_str(&format!(" as {} (as the server says)", clean(who)));
            }
            // "valid, expires in 59m"; an expired one says it once: "expired 3m ago".
            match (token, status) {
                (Some(t), Status::Expired) => {
                    line = format!("{}: {}", a.name, expiry_phrase(t.expires_at, now));
                }
                (Some(t), _) => line.push_str(&format!(", {}", expiry_phrase(t.expires_at, now))),
                (None, _) => {}
            }
            if let Some(action) = action(a, now) {
                line.push_str(&format!(" — {action}"));
            } else if let Some(error) = a.last_error() {
                line.push_str(&format!(" (last refresh failed: {})", clean(&error)));
            }
            text.push_str(&line);
            text.push('\n');
        }
        print_status_lines(&text, color)?;
    }
    Ok(if all_usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the user should do about an account, when anything: the command to run.
fn action(account: &Account, now: i64) -> Option<String> {
    if account.usable(now) {
        return None;
    }
    Some(match account.status(now) {
        Status::Error => format!(
            "a stored record is unreadable; run: mcp-accounts remove {0} && mcp-accounts add {0} {1}",
            account.name,
            account.server.as_ref().map_or("URL", |s| s.url.as_str())
        ),
        _ => format!("run: mcp-accounts login {}", account.name),
    })
}

/// `add NAME URL [...]`: validate everything first; write nothing unless all of it is valid.
pub fn add(location: &DbLocation, args: AddArgs) -> CommandResult {
    check_name(&args.name)?;
    let url = validate_server_url(&args.url).map_err(|e| CliError::Usage(e.to_string()))?;
    for scope in &args.scopes {
        validate_scope(scope).map_err(|e| CliError::Usage(format!("{e} (pass --scope once per scope)")))?;
    }
    if let Some(id) = &args.client_id
        && (id.trim().is_empty() || id.chars().any(char::is_control))
    {
        return Err(CliError::Usage(
            "--client-id must not be empty or contain control characters".to_owned(),
        ));
    }
    if let Some(var) = &args.client_secret_env
        && (var.is_empty() || var.contains('='))
    {
        return Err(CliError::Usage(format!(
            "--client-secret-env {var:?} is not an environment variable name"
        )));
    }
    if let Some(document) = &args.client_metadata_url {
        validate_metadata_document_url(document).map_err(|e| CliError::Usage(format!("--client-metadata-url: {e}")))?;
    }
    let record = ServerRecord {
        url: url.clone(),
        client_id: args.client_id,
        client_secret_env: args.client_secret_env,
        scopes: args.scopes,
        callback_port: args.callback_port,
        client_metadata_url: args.client_metadata_url,
        added_at: unix_now(),
    };
    let store = open_for_writing(location)?;
    store.add_server(&args.name, &record)?;
    let same_url: Vec<String> = store
        .server_names()?
        .into_iter()
        .filter(|other| *other != args.name)
        .filter(|other| matches!(store.get_server(other), Ok(Some(s)) if s.url == url))
        .collect();
    if !same_url.is_empty() {
        eprintln!(
            "warning: {} uses the same URL as {}; a login to either asks the server to let you choose the account (or pass --prompt)",
            args.name,
            same_url.join(", ")
        );
    }
    print(&format!(
        "added {} ({url}); log in with: mcp-accounts login {}\n",
        args.name, args.name
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `remove NAME`: delete the server and everything stored for it in one transaction.
pub fn remove(location: &DbLocation, name: &str) -> CommandResult {
    check_name(name)?;
    let Some(store) = open_for_reading(location)? else {
        return Err(no_such_server(location, name));
    };
    if store.get_server(name)?.is_none() {
        return Err(no_such_server(location, name));
    }
    let had_token = store.kv().get(&token_key(name))?.is_some();
    drop(store);
    let store = open_for_writing(location)?;
    if !store.remove_server(name)? {
        return Err(no_such_server(location, name));
    }
    let note = if had_token {
        " (its token was deleted here, not revoked at the server)"
    } else {
        ""
    };
    print(&format!("removed {name}{note}\n"))?;
    Ok(ExitCode::SUCCESS)
}
