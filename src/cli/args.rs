//! The command line, as clap derives it. DESIGN.md ("Command line") is the reference.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::complete::{account_names, client_names};

/// See and fix the OAuth accounts of your remote MCP servers.
///
/// Without a command, opens the terminal UI (or prints the list when the output is not a terminal).
#[derive(Debug, Parser)]
#[command(name = "mcp-accounts", version)]
#[command(
    after_help = "Exit codes: 0 success, 1 the operation failed or an account needs action, 2 usage error.\n\
Environment: MCP_ACCOUNTS_DB (database file), BROWSER (program that opens the login URL),\n\
MCP_ACCOUNTS_HTTP_TIMEOUT (seconds per request), MCP_ACCOUNTS_TRACE_HTTP=1 (print each request)."
)]
pub struct Cli {
    /// The database file [default: $XDG_DATA_HOME/mcp-accounts/accounts.db]
    #[arg(long, global = true, value_name = "PATH", env = "MCP_ACCOUNTS_DB")]
    pub db: Option<PathBuf>,

    /// Colour the status words of list and status: auto (on a terminal, unless NO_COLOR is set),
    /// always or never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print the accounts and exit (the same as `list`)
    #[arg(long)]
    pub list: bool,

    /// With --list: print JSON
    #[arg(long, requires = "list")]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the configured servers with their token status and expiry (never the network)
    List {
        /// Print a JSON array (it never contains a token or secret)
        #[arg(long)]
        json: bool,
    },
    /// Add an MCP server
    Add(AddArgs),
    /// Remove a server and everything stored for it (run logout first to revoke its token)
    Remove {
        /// The server's name
        #[arg(add = account_names())]
        name: String,
    },
    /// Run OAuth discovery now, store and print the metadata
    Discover {
        /// The server's name
        #[arg(add = account_names())]
        name: String,
        /// Print the whole discovery result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Log in through the browser (authorization code + PKCE), or with a code on another device
    Login(LoginArgs),
    /// Refresh tokens now
    Refresh {
        /// The server's name
        #[arg(required_unless_present = "all", conflicts_with = "all", add = account_names())]
        name: Option<String>,
        /// Refresh every logged-in account, concurrently
        #[arg(long)]
        all: bool,
    },
    /// Revoke the token at the server (RFC 7009), then delete it here; the client registration stays
    Logout {
        /// The server's name
        #[arg(add = account_names())]
        name: String,
        /// Only delete the token here; do not contact the server
        #[arg(long)]
        local: bool,
    },
    /// Print a valid access token, refreshing it first when it expires within 60 s
    Token {
        /// The server's name
        #[arg(add = account_names())]
        name: String,
        /// How to print it: the bare token, `Bearer TOKEN`, `{"Authorization":"Bearer TOKEN"}` (Claude
        /// Code's headersHelper), or `export MCP_ACCOUNTS_TOKEN=TOKEN` for a shell
        #[arg(long, value_enum, default_value_t = TokenFormat::Raw)]
        format: TokenFormat,
    },
    /// Bridge stdio to the server with this account's token: a drop-in for `npx mcp-remote URL`
    Proxy(ProxyArgs),
    /// Find remote MCP servers in the other clients' configuration files and add them as accounts (a dry
    /// run unless --apply; never changes those files)
    Import(ImportArgs),
    /// Make a client use mcp-accounts for these accounts: writes its configuration entry (a diff is shown
    /// and a backup kept)
    Connect(ConnectArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell (e.g. `source
    /// <(mcp-accounts completions bash)`); it completes account names from the database too
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the manual page (roff), e.g. `mcp-accounts man | man -l -`
    Man,
    /// Prove the account works: one authenticated MCP exchange; prints the server, its protocol version
    /// and how many tools, resources and prompts it offers
    Verify {
        /// The server's name
        #[arg(add = account_names())]
        name: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when every account shown is usable, 1 when any needs action (never the network)
    Status {
        /// Only this server
        #[arg(add = account_names())]
        name: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A name for the server: 1-64 of A-Z a-z 0-9 . _ -
    pub name: String,
    /// The MCP endpoint URL (https://, or http:// to this machine)
    pub url: String,
    /// A client id registered with the authorization server (skips dynamic registration)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The environment variable holding that client's secret (read at login, never stored)
    #[arg(long, value_name = "VAR", requires = "client_id")]
    pub client_secret_env: Option<String>,
    /// A scope to request (repeat for several); default: what the server asks for
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// The loopback port for the login callback; default: any free port
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub callback_port: Option<u16>,
    /// A client ID metadata document (an https:// URL) to use as the client id where the authorization
    /// server accepts them; elsewhere a client is registered
    #[arg(long, value_name = "URL", conflicts_with = "client_id")]
    pub client_metadata_url: Option<String>,
}

/// The shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    /// Always
    Always,
    /// Never
    Never,
}

/// How `token` prints the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenFormat {
    /// The token alone
    Raw,
    /// `Bearer TOKEN`
    Bearer,
    /// `{"Authorization":"Bearer TOKEN"}` (Claude Code's headersHelper)
    HeadersJson,
    /// `export MCP_ACCOUNTS_TOKEN=TOKEN`
    Env,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The server's name
    #[arg(add = account_names())]
    pub name: String,
    /// An extra header for every request, as NAME:VALUE (repeat for several), as mcp-remote takes it
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Never open a browser: a request that needs more scopes gets an error naming them
    #[arg(long)]
    pub no_browser: bool,
    /// How long a step-up login waits for the browser, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Add what was found (without it, only show what would be added)
    #[arg(long)]
    pub apply: bool,
    /// Only this client's files: claude-code, claude-desktop, cursor, vscode, codex, gemini, windsurf, zed
    #[arg(long, value_name = "CLIENT", add = client_names())]
    pub from: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The client: claude-code, claude-desktop, cursor, vscode, codex, gemini, windsurf, zed
    #[arg(add = client_names())]
    pub client: String,
    /// The accounts to connect
    #[arg(add = account_names())]
    pub names: Vec<String>,
    /// Show the change without writing it
    #[arg(long, conflicts_with = "undo")]
    pub dry_run: bool,
    /// Put back the client's file as it was before the last connect
    #[arg(long)]
    pub undo: bool,
    /// The mcp-accounts program the client runs [default: this program's full path]
    #[arg(long, value_name = "PATH")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server's name
    #[arg(add = account_names())]
    pub name: String,
    /// Do not start a browser; only print the URL
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Ask for this scope too, besides those asked for before (repeat for several)
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Also read the URL the browser ended on from stdin (on by default when stdin is a terminal)
    #[arg(long, conflicts_with = "device")]
    pub paste: bool,
    /// Log in with a code entered on another device (RFC 8628), where the server offers it
    #[arg(long)]
    pub device: bool,
    /// The loopback port for this login's callback (for a forwarded port, say)
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..), conflicts_with = "device")]
    pub callback_port: Option<u16>,
    /// OpenID prompt for the server: select_account, login, consent or none [default: select_account when
    /// another account uses the same authorization server]
    #[arg(long, value_name = "VALUE")]
    pub prompt: Option<String>,
}
