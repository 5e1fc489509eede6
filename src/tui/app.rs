//! The TUI's state and its update function. No I/O and no terminal here: keys and task results come in as
//! [`Event`]s, and what should happen in the world goes out as [`Command`]s for `tasks.rs` to run.

use std::collections::{BTreeMap, VecDeque};

use crossterm::event::KeyEvent;

use super::form::{AddForm, FormOutcome, NewServer};
use super::keys::{Action, action_for, is_ctrl_c};
use crate::account::Account;
use crate::oauth::flow::LoginStep;

/// How many entries the activity log keeps.
const LOG_LIMIT: usize = 500;
/// Ticks between background reloads of the store (another process may have changed it).
pub const RELOAD_EVERY_TICKS: u64 = 20;

/// Everything the UI reacts to.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    /// Time passes (spinner, countdowns); `now` is Unix seconds.
    Tick {
        now: i64,
    },
    Resize,
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
        outcome: Result<String, Failure>,
    },
    LoadFailed(String),
}

/// How a task did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// What went wrong, in words.
    Error(String),
    /// The user (or quitting) stopped it.
    Cancelled,
}

impl From<String> for Failure {
    fn from(text: String) -> Self {
        Failure::Error(text)
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

/// Work in progress for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub kind: TaskKind,
    pub since: i64,
    pub step: Option<LoginStep>,
}

/// How the last task of an account ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub kind: TaskKind,
    pub level: Level,
    pub text: String,
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Error,
}

/// One line of the activity log, or the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: i64,
    pub level: Level,
    pub text: String,
}

/// A destructive action waiting for a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Logout(String),
    Delete(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help,
    Log,
    Confirm(Confirm),
    Add(AddForm),
}

/// The state of the UI.
#[derive(Debug)]
pub struct App {
    pub accounts: Vec<Account>,
    /// Whether the first load has arrived.
    pub loaded: bool,
    /// The selected account, by name (stable across reloads).
    pub selected: Option<String>,
    pub filter: String,
    pub filtering: bool,
    /// Lines the detail pane is scrolled down by.
    pub detail_scroll: u16,
    /// How far the detail pane can scroll, as the last drawing found (the one thing drawing writes back:
    /// only it knows the pane's height).
    pub detail_max_scroll: std::cell::Cell<u16>,
    pub busy: BTreeMap<String, Busy>,
    pub outcomes: BTreeMap<String, Outcome>,
    pub popup: Option<Popup>,
    pub status: Option<Message>,
    pub log: VecDeque<Message>,
    /// Unix seconds, from the last tick (injected: tests set it).
    pub now: i64,
    pub ticks: u64,
    /// Seconds east of UTC for showing times.
    pub utc_offset_secs: i32,
    /// `false` under `NO_COLOR`.
    pub color: bool,
    quit: bool,
    reload_pending: bool,
}

impl App {
    pub fn new(now: i64) -> Self {
        App {
            accounts: Vec::new(),
            loaded: false,
            selected: None,
            filter: String::new(),
            filtering: false,
            detail_scroll: 0,
            detail_max_scroll: std::cell::Cell::new(0),
            busy: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            popup: None,
            status: None,
            log: VecDeque::new(),
            now,
            ticks: 0,
            utc_offset_secs: 0,
            color: true,
            quit: false,
            reload_pending: true,
        }
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The accounts that pass the filter, in name order.
    pub fn visible(&self) -> Vec<&Account> {
        let needle = self.filter.to_lowercase();
        self.accounts
            .iter()
            .filter(|a| {
                needle.is_empty()
                    || a.name.to_lowercase().contains(&needle)
                    || a.server.as_ref().is_ok_and(|s| s.url.to_lowercase().contains(&needle))
            })
            .collect()
    }

    /// The index of the selected account among the visible ones.
    pub fn selected_index(&self) -> Option<usize> {
        let visible = self.visible();
        if visible.is_empty() {
            return None;
        }
        Some(
            self.selected
                .as_ref()
                .and_then(|name| visible.iter().position(|a| &a.name == name))
                .unwrap_or(0),
        )
    }

    /// The selected account.
    pub fn current(&self) -> Option<&Account> {
        let visible = self.visible();
        self.selected_index().map(|i| visible[i])
    }

    fn current_name(&self) -> Option<String> {
        self.current().map(|a| a.name.clone())
    }

    /// Apply one event; return what should be done.
    pub fn update(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Tick { now } => {
                self.now = now;
                self.ticks += 1;
                if self.ticks.is_multiple_of(RELOAD_EVERY_TICKS) && !self.reload_pending {
                    self.reload_pending = true;
                    return vec![Command::Reload];
                }
                Vec::new()
            }
            Event::Resize => Vec::new(),
            Event::InputClosed => {
                self.quit = true;
                Vec::new()
            }
            Event::Loaded(accounts) => {
                if !self.loaded {
                    let n = accounts.len();
                    self.note(
                        Level::Info,
                        format!("{n} server{} loaded", if n == 1 { "" } else { "s" }),
                    );
                }
                self.accounts = accounts;
                self.loaded = true;
                self.reload_pending = false;
                if self.selected.is_none() || self.current().map(|a| &a.name) != self.selected.as_ref() {
                    self.selected = self.current_name();
                }
                Vec::new()
            }
            Event::Task(task) => self.task(task),
            Event::Key(key) => self.key(key),
        }
    }

    fn task(&mut self, event: TaskEvent) -> Vec<Command> {
        match event {
            TaskEvent::Step { name, step } => {
                if let LoginStep::BrowserNotOpened { reason } = &step {
                    // Keep the step before (it holds the URL to copy); just say what happened.
                    self.say(
                        Level::Error,
                        format!("{name}: {reason}; copy the URL from the detail pane into a browser"),
                    );
                    return Vec::new();
                }
                if let LoginStep::WaitingForBrowser { .. } = &step {
                    self.note(Level::Info, format!("{name}: waiting for the browser"));
                }
                if let Some(busy) = self.busy.get_mut(&name) {
                    busy.step = Some(step);
                }
                Vec::new()
            }
            TaskEvent::Done { name, kind, outcome } => {
                self.busy.remove(&name);
                let (level, text) = match outcome {
                    Ok(text) => (Level::Success, text),
                    Err(Failure::Error(text)) => (Level::Error, format!("{} failed: {text}", kind.noun())),
                    Err(Failure::Cancelled) => (Level::Info, format!("{} cancelled; nothing changed", kind.noun())),
                };
                self.say(level, format!("{name}: {text}"));
                if kind == TaskKind::Add && level == Level::Success {
                    self.selected = Some(name.clone());
                    self.filter.clear();
                }
                self.outcomes.insert(
                    name,
                    Outcome {
                        kind,
                        level,
                        text,
                        at: self.now,
                    },
                );
                self.reload_pending = true;
                vec![Command::Reload]
            }
            TaskEvent::LoadFailed(error) => {
                self.reload_pending = false;
                self.say(Level::Error, error);
                Vec::new()
            }
        }
    }

    /// Set the status line and log it.
    fn say(&mut self, level: Level, text: String) {
        self.status = Some(Message {
            at: self.now,
            level,
            text: text.clone(),
        });
        self.note(level, text);
    }

    /// Add to the activity log only.
    fn note(&mut self, level: Level, text: String) {
        if self.log.len() == LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(Message {
            at: self.now,
            level,
            text,
        });
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Command> {
        if is_ctrl_c(&key) {
            self.quit = true;
            return Vec::new();
        }
        if let Some(popup) = self.popup.take() {
            return self.popup_key(popup, key);
        }
        if self.filtering {
            self.filter_key(key);
            return Vec::new();
        }
        match action_for(&key) {
            Some(action) => self.act(action),
            None => Vec::new(),
        }
    }

    fn popup_key(&mut self, popup: Popup, key: KeyEvent) -> Vec<Command> {
        use crossterm::event::KeyCode;
        match popup {
            Popup::Help | Popup::Log => {
                if !matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter | KeyCode::Char('L')
                ) {
                    self.popup = Some(popup);
                }
                Vec::new()
            }
            Popup::Confirm(confirm) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => self.confirmed(confirm),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                    self.say(Level::Info, "cancelled".to_owned());
                    Vec::new()
                }
                _ => {
                    self.popup = Some(Popup::Confirm(confirm));
                    Vec::new()
                }
            },
            Popup::Add(mut form) => {
                let names: Vec<String> = self.accounts.iter().map(|a| a.name.clone()).collect();
                match form.key(&key, &|name| names.iter().any(|n| n == name)) {
                    FormOutcome::Editing => {
                        self.popup = Some(Popup::Add(form));
                        Vec::new()
                    }
                    FormOutcome::Cancelled => Vec::new(),
                    FormOutcome::Submitted(server) => {
                        self.start(&server.name.clone(), TaskKind::Add);
                        vec![Command::Add(server)]
                    }
                }
            }
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.filtering = false;
            }
            KeyCode::Enter => self.filtering = false,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) => self.filter.push(c),
            _ => {}
        }
        self.selected = self.current_name();
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let visible: Vec<String> = self.visible().iter().map(|a| a.name.clone()).collect();
        if let Some(current) = self.selected_index() {
            let index = to(current, visible.len()).min(visible.len() - 1);
            if index != current {
                self.detail_scroll = 0;
            }
            self.selected = Some(visible[index].clone());
        }
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Up => self.move_selection(|i, _| i.saturating_sub(1)),
            Action::Down => self.move_selection(|i, _| i + 1),
            Action::Top => self.move_selection(|_, _| 0),
            Action::Bottom => self.move_selection(|_, n| n - 1),
            Action::ScrollDown => {
                self.detail_scroll = self.detail_scroll.saturating_add(5).min(self.detail_max_scroll.get())
            }
            Action::ScrollUp => self.detail_scroll = self.detail_scroll.saturating_sub(5),
            Action::Help => self.popup = Some(Popup::Help),
            Action::Log => self.popup = Some(Popup::Log),
            Action::Add => self.popup = Some(Popup::Add(AddForm::default())),
            Action::Filter => self.filtering = true,
            Action::Quit => self.quit = true,
            Action::Cancel => return self.cancel(),
            Action::RefreshAll => return self.refresh_all(),
            Action::Login | Action::Refresh | Action::Logout | Action::Delete | Action::Discover => {
                let Some(account) = self.current() else {
                    self.say(Level::Info, "no server selected; press a to add one".to_owned());
                    return Vec::new();
                };
                let name = account.name.clone();
                let has_token = account.token().is_some();
                if let Some(busy) = self.busy.get(&name) {
                    let hint = if busy.kind == TaskKind::Login {
                        "; Esc cancels the login"
                    } else {
                        ""
                    };
                    self.say(Level::Info, format!("{name} is busy ({}){hint}", busy.kind.verb()));
                    return Vec::new();
                }
                match action {
                    Action::Login => {
                        self.start(&name, TaskKind::Login);
                        return vec![Command::Login(name)];
                    }
                    Action::Discover => {
                        self.start(&name, TaskKind::Discover);
                        return vec![Command::Discover(name)];
                    }
                    Action::Refresh if !has_token => {
                        self.say(Level::Info, format!("{name} is not logged in; press l to log in"));
                    }
                    Action::Refresh => {
                        self.start(&name, TaskKind::Refresh);
                        return vec![Command::Refresh(name)];
                    }
                    Action::Logout if !has_token => {
                        self.say(Level::Info, format!("{name} is not logged in"));
                    }
                    Action::Logout => self.popup = Some(Popup::Confirm(Confirm::Logout(name))),
                    _ => self.popup = Some(Popup::Confirm(Confirm::Delete(name))),
                }
            }
        }
        Vec::new()
    }

    fn start(&mut self, name: &str, kind: TaskKind) {
        self.busy.insert(
            name.to_owned(),
            Busy {
                kind,
                since: self.now,
                step: None,
            },
        );
    }

    fn confirmed(&mut self, confirm: Confirm) -> Vec<Command> {
        let (name, kind) = match &confirm {
            Confirm::Logout(name) => (name.clone(), TaskKind::Logout),
            Confirm::Delete(name) => (name.clone(), TaskKind::Delete),
        };
        if self.busy.contains_key(&name) {
            self.say(Level::Info, format!("{name} is busy; try again when it is done"));
            return Vec::new();
        }
        self.start(&name, kind);
        match confirm {
            Confirm::Logout(name) => vec![Command::Logout(name)],
            Confirm::Delete(name) => vec![Command::Delete(name)],
        }
    }

    fn cancel(&mut self) -> Vec<Command> {
        if let Some(name) = self.current_name()
            && self.busy.get(&name).is_some_and(|b| b.kind == TaskKind::Login)
        {
            self.say(Level::Info, format!("{name}: cancelling the login"));
            return vec![Command::Cancel(name)];
        }
        if !self.filter.is_empty() {
            self.filter.clear();
            self.selected = self.current_name();
        } else {
            self.status = None;
        }
        Vec::new()
    }

    fn refresh_all(&mut self) -> Vec<Command> {
        let names: Vec<String> = self
            .accounts
            .iter()
            .filter(|a| a.token().is_some() && !self.busy.contains_key(&a.name))
            .map(|a| a.name.clone())
            .collect();
        if names.is_empty() {
            self.say(Level::Info, "no logged-in account to refresh".to_owned());
            return Vec::new();
        }
        self.say(Level::Info, format!("refreshing {} accounts", names.len()));
        names
            .into_iter()
            .map(|name| {
                self.start(&name, TaskKind::Refresh);
                Command::Refresh(name)
            })
            .collect()
    }
}
