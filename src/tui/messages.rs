//! What flows between the UI and the world: the [`Event`]s the app reacts to (input, ticks, loaded
//! accounts, typed task results) and the [`Command`]s it sends out for `tasks.rs` to run.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;
use mcp_accounts::oauth;
use mcp_accounts::session::{self, LoginStep, LogoutOutcome};
use mcp_accounts::store::{Account, AddError, StoreError};

use super::form::NewServer;
use crate::verify::{Verified, VerifyError};
use crate::view::time::expiry_phrase;

/// Everything the UI reacts to.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    /// Time passes (spinner, countdowns); `now` is Unix seconds.
    Tick {
        now: i64,
    },
    /// The terminal's size.
    Resize {
        width: u16,
        height: u16,
    },
    /// The terminal's input ended (it was closed): quit.
    InputClosed,
    /// A fresh load of every account from the store.
    Loaded(Vec<Account>),
    /// Which clients use which account (their configuration files read again with each load): account
    /// name → client ids.
    Clients(BTreeMap<String, Vec<&'static str>>),
    /// A background task reports.
    Task(TaskEvent),
}

/// What background tasks report.
#[derive(Debug)]
pub enum TaskEvent {
    Step {
        name: String,
        step: LoginStep,
    },
    Done {
        name: String,
        kind: TaskKind,
        outcome: Result<Success, Failure>,
    },
    /// Reading the accounts failed.
    LoadFailed(StoreError),
}

/// What a task achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    LoggedIn { expires_at: Option<i64> },
    Refreshed { expires_at: Option<i64> },
    LoggedOut(LogoutOutcome),
    Discovered { issuer: String },
    Added { url: String },
    Deleted { existed: bool },
    Verified(Box<Verified>),
}

/// How a task did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The session failed.
    Session(session::Error),
    /// The store failed.
    Store(StoreError),
    /// Adding a server failed (its name is taken, say).
    Add(AddError),
    /// The user (or quitting) stopped it.
    Cancelled,
    /// The task itself died (a bug); the text says how.
    Crashed(String),
    /// The server answered, but not as the account needs (more scopes, not MCP).
    Verify(String),
}

impl From<session::Error> for Failure {
    fn from(e: session::Error) -> Self {
        match e {
            session::Error::Cancelled => Failure::Cancelled,
            e => Failure::Session(e),
        }
    }
}

impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Session(e) => e.into(),
            e @ VerifyError::Scopes(_) => Failure::Verify(format!("{e}; log in again with those scopes")),
            e => Failure::Verify(e.to_string()),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl Success {
    /// The result in words, at `now`.
    pub fn describe(&self, now: i64) -> String {
        match self {
            Success::LoggedIn { expires_at } => format!("logged in; {}", expiry_phrase(*expires_at, now)),
            Success::Refreshed { expires_at } => format!("refreshed; {}", expiry_phrase(*expires_at, now)),
            Success::LoggedOut(LogoutOutcome::NotLoggedIn) => "was not logged in".to_owned(),
            Success::LoggedOut(LogoutOutcome::LocalOnly(reason)) => format!("logged out here only ({reason})"),
            Success::LoggedOut(_) => "logged out; the token was revoked at the server".to_owned(),
            Success::Discovered { issuer } => format!("discovered {issuer}"),
            Success::Added { url } => format!("added {url}; press l to log in"),
            Success::Deleted { existed: true } => "deleted".to_owned(),
            Success::Deleted { existed: false } => "was already gone".to_owned(),
            Success::Verified(v) => format!("works: {}", verified_summary(v)),
        }
    }
}

impl Failure {
    /// The failure in words, with the TUI's hint (the key to press) where one helps; `None` for a
    /// cancellation.
    pub fn describe(&self) -> Option<String> {
        match self {
            Failure::Session(e) if e.needs_login().is_some() => Some(format!("{e}; press l to log in")),
            Failure::Session(e @ session::Error::Protocol(oauth::Error::NoDeviceLogin { .. })) => {
                Some(format!("{e}; press l to log in in the browser"))
            }
            Failure::Session(e) => Some(e.to_string()),
            Failure::Store(e) => Some(e.to_string()),
            Failure::Add(e) => Some(e.to_string()),
            Failure::Crashed(text) | Failure::Verify(text) => Some(text.clone()),
            Failure::Cancelled => None,
        }
    }
}

/// The kinds of work a task does for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Login,
    Refresh,
    Logout,
    Discover,
    Add,
    Delete,
    Verify,
}

impl TaskKind {
    /// The work as a noun, for "… failed".
    pub fn noun(self) -> &'static str {
        match self {
            TaskKind::Login => "login",
            TaskKind::Refresh => "refresh",
            TaskKind::Logout => "logout",
            TaskKind::Discover => "discovery",
            TaskKind::Add => "adding",
            TaskKind::Delete => "deleting",
            TaskKind::Verify => "verification",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            TaskKind::Login => "logging in",
            TaskKind::Refresh => "refreshing",
            TaskKind::Logout => "logging out",
            TaskKind::Discover => "discovering",
            TaskKind::Add => "adding",
            TaskKind::Delete => "deleting",
            TaskKind::Verify => "verifying",
        }
    }
}

/// What the UI asks the world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Reload,
    Login(String),
    /// Log in with a code entered on another device.
    DeviceLogin(String),
    /// Cancel a running login (frees its callback port).
    Cancel(String),
    Refresh(String),
    Logout(String),
    Discover(String),
    Add(NewServer),
    Delete(String),
    Verify(String),
    /// Give a waiting login the URL its browser ended on.
    Paste {
        name: String,
        text: String,
    },
    /// Open the browser on a URL again.
    OpenBrowser(String),
    /// Put text on the clipboard through the terminal (OSC 52); the event loop writes it.
    Copy(String),
}

/// A verification in one line: the server, the protocol, what it offers.
pub fn verified_summary(v: &Verified) -> String {
    let server = v.server_label().unwrap_or_else(|| "the server".to_owned());
    let count = |n: Option<usize>, one: &str, many: &str| match n {
        Some(1) => Some(format!("1 {one}")),
        Some(n) => Some(format!("{n} {many}")),
        None => None,
    };
    let offers: Vec<String> = [
        count(v.tools, "tool", "tools"),
        count(v.resources, "resource", "resources"),
        count(v.prompts, "prompt", "prompts"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let offers = if offers.is_empty() {
        "nothing listed".to_owned()
    } else {
        offers.join(", ")
    };
    format!("{server}, MCP {}, {offers} ({} ms)", v.protocol_version, v.took_ms)
}
