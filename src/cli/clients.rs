//! `import` (find remote servers in the other clients' files and add them as accounts) and `connect`
//! (write the entry that makes a client use an account). Neither writes another client's file without
//! being asked: `import` never does, `connect` shows its diff first and keeps a backup.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;

use mcp_accounts::clock::unix_now;
use mcp_accounts::store::location::DbLocation;
use mcp_accounts::store::{ServerRecord, TokenStore, load_accounts, validate_name, validate_server_url};

use super::args::{ConnectArgs, ImportArgs};
use super::common::{CliError, CommandResult, no_such_server, one_line, open_for_reading, open_for_writing};
use super::output::print;
use crate::clients::edit::{self, Undone};
use crate::clients::{self, Client, Format, Places, Target};

fn places() -> Result<Places, CliError> {
    Places::from_env()
        .ok_or_else(|| CliError::Failed("HOME is not set, so the clients' files cannot be found".to_owned()))
}

fn client_named(id: &str) -> Result<Client, CliError> {
    Client::from_id(id).ok_or_else(|| {
        let known: Vec<&str> = Client::ALL.iter().map(|c| c.id()).collect();
        CliError::Usage(format!("no client called {id:?}; known: {}", known.join(", ")))
    })
}

/// `~/x` for a path under the home directory, so lines stay short.
fn shown(path: &std::path::Path, places: &Places) -> String {
    match path.strip_prefix(&places.home) {
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

/// A URL in the form accounts are stored under, for comparing.
fn canonical(url: &str) -> Option<String> {
    validate_server_url(url).ok()
}

/// `name` made a valid account name that is not in `taken` (compared without case).
fn unique_name(wanted: &str, taken: &BTreeSet<String>) -> String {
    let mut base: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    base = base.trim_matches('-').chars().take(60).collect();
    if base.is_empty() {
        base = "server".to_owned();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.to_lowercase()) || validate_name(&name).is_err() {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// `import [--apply] [--from CLIENT]`.
pub fn import(location: &DbLocation, args: ImportArgs) -> CommandResult {
    let places = places()?;
    let wanted = match &args.from {
        Some(id) => vec![client_named(id)?],
        None => Client::ALL.to_vec(),
    };
    let scan = clients::scan(&places, &wanted);
    let accounts = match open_for_reading(location)? {
        Some(store) => load_accounts(store.kv(), false)?,
        None => Vec::new(),
    };
    let mut taken: BTreeSet<String> = accounts.iter().map(|a| a.name.to_lowercase()).collect();
    let mut by_url: HashMap<String, String> = accounts
        .iter()
        .filter_map(|a| Some((canonical(&a.server.as_ref().ok()?.url)?, a.name.clone())))
        .collect();
    let mut text = String::new();
    let mut to_add: Vec<(String, String)> = Vec::new();
    for entry in &scan.entries {
        let Target::Remote { url } = &entry.target else {
            continue;
        };
        let from = format!("{}: {}", entry.client.id(), shown(&entry.path, &places));
        let Some(url) = canonical(url) else {
            text.push_str(&format!(
                "skip  {:<20} {} ({from}; not a URL mcp-accounts can use)\n",
                entry.key, url
            ));
            continue;
        };
        if let Some(existing) = by_url.get(&url) {
            text.push_str(&format!(
                "have  {:<20} {url} ({from}; the account {existing} has this URL)\n",
                entry.key
            ));
            continue;
        }
        let name = unique_name(&entry.key, &taken);
        let renamed = if name == entry.key {
            String::new()
        } else {
            format!("; renamed from {:?}", entry.key)
        };
        text.push_str(&format!("add   {name:<20} {url} ({from}{renamed})\n"));
        taken.insert(name.to_lowercase());
        by_url.insert(url.clone(), name.clone());
        to_add.push((name, url));
    }
    for (path, why) in &scan.unreadable {
        text.push_str(&format!("skipped {}: {}\n", shown(path, &places), one_line(why)));
    }
    if scan.entries.is_empty() && scan.unreadable.is_empty() {
        text.push_str("no MCP servers found in the clients' files\n");
    }
    if to_add.is_empty() {
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.apply {
        text.push_str(&format!(
            "{} server(s) to add; nothing was changed. Add them with: mcp-accounts import --apply{}\n",
            to_add.len(),
            args.from.as_deref().map(|f| format!(" --from {f}")).unwrap_or_default()
        ));
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_for_writing(location)?;
    for (name, url) in &to_add {
        let record = ServerRecord {
            url: url.clone(),
            client_id: None,
            client_secret_env: None,
            scopes: Vec::new(),
            callback_port: None,
            client_metadata_url: None,
            added_at: unix_now(),
        };
        store.add_server(name, &record)?;
    }
    text.push_str(&format!(
        "added {} account(s); log in to each with: mcp-accounts login NAME\n",
        to_add.len()
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `connect CLIENT NAME... [--dry-run | --undo] [--command PATH]`.
pub fn connect(location: &DbLocation, args: ConnectArgs) -> CommandResult {
    let client = client_named(&args.client)?;
    let places = places()?;
    let path = client.config_file(&places);
    if args.undo {
        return match edit::undo(&path).map_err(CliError::Failed)? {
            Some(Undone::Restored { backup }) => {
                print(&format!(
                    "restored {} from {}\n",
                    shown(&path, &places),
                    shown(&backup, &places)
                ))?;
                Ok(ExitCode::SUCCESS)
            }
            Some(Undone::Removed) => {
                print(&format!(
                    "removed {} (it did not exist before connect)\n",
                    shown(&path, &places)
                ))?;
                Ok(ExitCode::SUCCESS)
            }
            None => Err(CliError::Failed(format!(
                "no backup of {} to restore; connect has not changed it",
                shown(&path, &places)
            ))),
        };
    }
    if args.names.is_empty() {
        return Err(CliError::Usage(
            "name at least one account to connect (see: mcp-accounts list)".to_owned(),
        ));
    }
    let program = match &args.command {
        Some(program) => program.clone(),
        None => std::env::current_exe()
            .map_err(|e| CliError::Failed(format!("cannot find this program's path ({e}); pass --command PATH")))?
            .to_string_lossy()
            .into_owned(),
    };
    let store = open_for_reading(location)?;
    let mut servers = Vec::new();
    for name in &args.names {
        super::common::check_name(name)?;
        let server = store.as_ref().map(|s| s.get_server(name)).transpose()?.flatten();
        let server = server.ok_or_else(|| no_such_server(location, name))?;
        servers.push((name.clone(), server.url));
    }
    // An entry that already reaches the same server (the one `import` found, say) is replaced under its
    // own key; otherwise the account's name is the key.
    let existing = clients::scan(&places, &[client]);
    if let Some((bad, why)) = existing.unreadable.iter().find(|(p, _)| *p == path) {
        return Err(CliError::Failed(format!(
            "{}: {}; fix it first",
            shown(bad, &places),
            one_line(why)
        )));
    }
    let change = edit::plan(&path, |text| {
        let mut text = text.to_owned();
        for (name, url) in &servers {
            let key = existing
                .entries
                .iter()
                .filter(|e| e.path == path)
                .find(|e| match &e.target {
                    Target::Remote { url: u } => canonical(u).as_deref() == Some(url.as_str()),
                    Target::Account { name: n } => n == name,
                    Target::Other => false,
                })
                .map_or(name.as_str(), |e| e.key.as_str())
                .to_owned();
            text = match client.format() {
                Format::Toml => clients::toml::set_entry(&text, &key, &program, name)?,
                Format::Json | Format::Jsonc => {
                    clients::json::set_entry(client, &text, &key, &clients::entry_for(client, &program, name, url))?
                }
            };
        }
        Ok(text)
    })
    .map_err(|why| CliError::Failed(format!("{}: {}", shown(&path, &places), one_line(&why))))?;
    let names = args.names.join(", ");
    if change.is_noop() {
        print(&format!(
            "{} already uses mcp-accounts for {names}; nothing to change\n",
            client.id()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = change.diff(&shown(&path, &places));
    if args.dry_run {
        text.push_str("(dry run: nothing was changed)\n");
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let backup = change.apply().map_err(CliError::Failed)?;
    text.push_str(&format!(
        "{} now uses mcp-accounts for {names}; the file as it was is in {} (undo with: mcp-accounts connect {} --undo)\n",
        client.id(),
        shown(&backup, &places),
        client.id()
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
