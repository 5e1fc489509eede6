//! The commands that talk to servers: `discover`, `login`, `refresh`, `logout`, `token`. Each builds a
//! small single-threaded runtime: the work is I/O-bound, and `list` never pays for one.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use super::output::{print, print_json};
use super::{CliError, CommandResult, check_name, one_line, open_for_reading, open_for_writing};
use crate::account::expiry_phrase;
use crate::browser::open_browser;
use crate::clock::unix_now;
use crate::oauth::discovery::DiscoveryMode;
use crate::oauth::flow::{self, LoginOptions, LoginStep, LogoutOutcome, discover_account};
use crate::oauth::{Discovery, HttpClient, HttpConfig};
use crate::paths::DbLocation;
use crate::store::{Store, StoredToken, TokenStore};

/// How many refreshes `refresh --all` runs at once.
pub const REFRESH_CONCURRENCY: usize = 64;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

fn http() -> Result<HttpClient, CliError> {
    Ok(HttpClient::new(HttpConfig::from_env())?)
}

/// Open the store for a command on NAME, failing clearly when there is no such server. Nothing is created
/// for a name that does not exist.
fn store_with(location: &DbLocation, name: &str) -> Result<Store, CliError> {
    check_name(name)?;
    let known = match open_for_reading(location)? {
        Some(store) => store.get_server(name)?.is_some(),
        None => false,
    };
    if !known {
        return Err(CliError::Failed(format!(
            "no server named {name:?}; see: mcp-accounts list"
        )));
    }
    open_for_writing(location)
}

/// `discover NAME [--json]`.
pub fn discover(location: &DbLocation, name: &str, json: bool) -> CommandResult {
    let store = store_with(location, name)?;
    let http = http()?;
    let discovery = runtime()?.block_on(discover_account(&store, &http, name))?;
    if json {
        print_json(&discovery)?;
    } else {
        print(&describe_discovery(&discovery))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human form of a discovery result.
pub fn describe_discovery(d: &Discovery) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let m = &d.authorization_server;
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<24}{value}\n"));
    line("server", &d.server_url);
    line("resource", &d.resource);
    line(
        "found through",
        match d.mode {
            DiscoveryMode::ProtectedResource => "protected resource metadata (RFC 9728)",
            DiscoveryMode::LegacyMetadata => "legacy: metadata at the server's origin (MCP 2025-03-26)",
            DiscoveryMode::LegacyDefaults => "legacy: default endpoints /authorize /token /register (MCP 2025-03-26)",
        },
    );
    if let Some(prm) = &d.protected_resource {
        line("resource metadata", d.protected_resource_url.as_deref().unwrap_or("-"));
        line("authorization servers", &prm.authorization_servers.join(" "));
        if let Some(scopes) = &prm.scopes_supported {
            line("scopes supported", &scopes.join(" "));
        }
    }
    if let Some(scope) = d.challenge.as_ref().and_then(|c| c.scope.as_deref()) {
        line("scope asked for (401)", scope);
    }
    line("issuer", &m.issuer);
    if let Some(url) = &d.authorization_server_url {
        line("metadata", url);
    }
    line("authorization endpoint", &m.authorization_endpoint);
    line("token endpoint", &m.token_endpoint);
    line(
        "registration endpoint",
        m.registration_endpoint.as_deref().unwrap_or("none"),
    );
    line(
        "revocation endpoint",
        m.revocation_endpoint.as_deref().unwrap_or("none"),
    );
    line("PKCE S256", yes_no(m.supports_s256()));
    line(
        "iss in response",
        yes_no(m.authorization_response_iss_parameter_supported == Some(true)),
    );
    out.push_str("tried\n");
    for a in &d.attempts {
        let used = if a.used { "  (used)" } else { "" };
        out.push_str(&format!("  {:<6}{}{used}\n", one_line(&a.outcome), a.url));
    }
    out
}

/// `login NAME [--no-browser] [--timeout SECS]`. The URL is always printed to stderr.
pub fn login(location: &DbLocation, name: &str, no_browser: bool, timeout: u64) -> CommandResult {
    let store = store_with(location, name)?;
    let http = http()?;
    let shown_name = name.to_owned();
    let opts = LoginOptions {
        timeout: Duration::from_secs(timeout),
        open_browser: (!no_browser).then(|| Arc::new(open_browser) as flow::BrowserOpener),
        on_step: Some(Arc::new(move |step| match step {
            LoginStep::Discovering => eprintln!("discovering the authorization server…"),
            LoginStep::Registering => eprintln!("registering mcp-accounts as a client…"),
            LoginStep::WaitingForBrowser { url } => {
                eprintln!(
                    "Open this URL in a browser to log in to {shown_name}:\n\n  {url}\n\nwaiting for the browser…"
                )
            }
            LoginStep::BrowserNotOpened { reason } => {
                eprintln!("({reason}; open the URL above by hand)")
            }
            LoginStep::Exchanging => {}
        })),
        ..LoginOptions::default()
    };
    let outcome = runtime()?.block_on(flow::login(&store, &http, name, &opts))?;
    print(&format!("logged in to {name}: {}\n", describe_token(&outcome.token)))?;
    Ok(ExitCode::SUCCESS)
}

fn describe_token(token: &StoredToken) -> String {
    let expiry = expiry_phrase(token.expires_at, unix_now());
    let refresh = if token.refresh_token.is_some() {
        ""
    } else {
        ", no refresh token"
    };
    if token.scopes.is_empty() {
        format!("{expiry}{refresh}")
    } else {
        format!("{expiry}{refresh}; scopes: {}", token.scopes.join(" "))
    }
}

/// `refresh NAME` or `refresh --all` (every logged-in account, [`REFRESH_CONCURRENCY`] at a time).
pub fn refresh(location: &DbLocation, name: Option<&str>, all: bool) -> CommandResult {
    let http = http()?;
    if let (Some(name), false) = (name, all) {
        let store = store_with(location, name)?;
        let token = runtime()?.block_on(flow::refresh(&store, &http, name))?;
        print(&format!("refreshed {name}: {}\n", describe_token(&token)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_for_writing(location)?;
    let accounts = crate::account::load_accounts(store.kv(), false)?;
    let (logged_in, skipped): (Vec<_>, Vec<_>) = accounts.iter().partition(|a| a.token().is_some());
    let names: Vec<String> = logged_in.iter().map(|a| a.name.clone()).collect();
    let store_ref = &store;
    let http_ref = &http;
    let mut results: Vec<(String, Result<StoredToken, crate::oauth::Error>)> = runtime()?.block_on(
        futures::stream::iter(names)
            .map(|name| async move {
                let result = flow::refresh(store_ref, http_ref, &name).await;
                (name, result)
            })
            .buffer_unordered(REFRESH_CONCURRENCY)
            .collect(),
    );
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    let mut failed = 0;
    for (name, result) in &results {
        match result {
            Ok(token) => text.push_str(&format!("refreshed {name}: {}\n", describe_token(token))),
            Err(e) => {
                failed += 1;
                text.push_str(&format!("failed {name}: {}\n", one_line(&e.to_string())));
            }
        }
    }
    for a in skipped {
        text.push_str(&format!("skipped {}: not logged in\n", a.name));
    }
    if results.is_empty() {
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
    let store = store_with(location, name)?;
    let http = http()?;
    let outcome = runtime()?.block_on(flow::logout(&store, &http, name, local))?;
    let text = match outcome {
        LogoutOutcome::NotLoggedIn => format!("{name} was not logged in; nothing to do\n"),
        LogoutOutcome::Revoked => {
            format!("logged out of {name}: the token was revoked at the server and deleted here\n")
        }
        LogoutOutcome::LocalOnly { reason } => {
            format!("logged out of {name}: the token was deleted here only ({reason})\n")
        }
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `token NAME`: only the token on stdout, so `$(mcp-accounts token NAME)` works. A token that is fresh
/// is read without opening the database for writing.
pub fn token(location: &DbLocation, name: &str) -> CommandResult {
    check_name(name)?;
    let unknown = || CliError::Failed(format!("no server named {name:?}; see: mcp-accounts list"));
    let store = open_for_reading(location)?.ok_or_else(unknown)?;
    if store.get_server(name)?.is_none() {
        return Err(unknown());
    }
    if let Some(token) = store.get_token(name)?
        && !flow::needs_refresh(&token, unix_now())
    {
        print(&format!("{}\n", token.access_token.expose()))?;
        return Ok(ExitCode::SUCCESS);
    }
    drop(store);
    let store = open_for_writing(location)?;
    let http = http()?;
    let token = runtime()?.block_on(flow::valid_token(&store, &http, name))?;
    print(&format!("{}\n", token.expose()))?;
    Ok(ExitCode::SUCCESS)
}
