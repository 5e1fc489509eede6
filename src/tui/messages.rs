//! What flows between the UI and the world: the [`Event`]s the app reacts to (input, ticks, loaded
//! accounts, typed task results) and the [`Command`]s it sends out for `tasks.rs` to run.

use crossterm::event::KeyEvent;
use mcp_accounts::session::{self, LoginStep, LogoutOutcome};
use mcp_accounts::store::{Account, AddError, StoreError};

use super::form::NewServer;
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
}

impl From<session::Error> for Failure {
    fn from(e: session::Error) -> Self {
        match e {
            session::Error::Cancelled => Failure::Cancelled,
            e => Failure::Session(e),
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
        }
    }
}

impl Failure {
    /// The failure in words, with the TUI's hint (the key to press) where one helps; `None` for a
    /// cancellation.
    pub fn describe(&self) -> Option<String> {
        match self {
            Failure::Session(e) if e.needs_login().is_some() => Some(format!("{e}; press l to log in")),
            Failure::Session(e) => Some(e.to_string()),
            Failure::Store(e) => Some(e.to_string()),
            Failure::Add(e) => Some(e.to_string()),
            Failure::Crashed(text) => Some(text.clone()),
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
        }
    }
}

/// What the UI asks the world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Reload,
    Login(String),
    /// Cancel a running login (frees its callback port).
    Cancel(String),
    Refresh(String),
    Logout(String),
    Discover(String),
    Add(NewServer),
    Delete(String),
}
