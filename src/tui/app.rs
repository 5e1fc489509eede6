//! The TUI's state and its update function. No I/O and no terminal here: keys and task results come in as
//! [`Event`]s, and what should happen in the world goes out as [`Command`]s for `tasks.rs` to run.

use std::collections::{BTreeMap, VecDeque};

use crossterm::event::KeyEvent;
use mcp_accounts::session::LoginStep;
use mcp_accounts::store::Account;

use super::form::{AddForm, FormOutcome};
use super::keys::{Action, Mode, action_for, is_ctrl_c};
use super::messages::{Command, Event, Success, TaskEvent, TaskKind};

/// How many entries the activity log keeps.
const LOG_LIMIT: usize = 500;
/// Ticks between background reloads of the store (another process may have changed it).
pub const RELOAD_EVERY_TICKS: u64 = 20;

/// Work in progress for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub kind: TaskKind,
    pub since: i64,
    pub step: Option<LoginStep>,
    /// When `step` arrived (a device code's time left counts from it).
    pub step_at: i64,
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

/// The pane the movement keys act on; Tab moves between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Details,
}

/// A destructive action waiting for a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Logout(String),
    Delete(String),
    /// Log in again to an account that is logged in (`device`: with a code on another device).
    Relogin {
        name: String,
        device: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help,
    Log,
    Confirm(Confirm),
    Add(Box<AddForm>),
    /// The paste field of a waiting login: the URL the browser ended on.
    Paste {
        name: String,
        text: String,
    },
    /// A waiting login's URL, alone on the screen for a mouse selection.
    Url(String),
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
    /// Which pane the movement keys act on.
    pub focus: Focus,
    /// The first row the list shows (kept by the movement keys, so that a page down shows the next page).
    pub list_top: usize,
    /// Lines the detail pane is scrolled down by.
    pub detail_scroll: u16,
    /// The terminal's size (width, height), for the scroll limits.
    pub size: (u16, u16),
    /// How far the details can scroll: set by the event loop from the layout after each update
    /// ([`App::set_detail_limit`]), so that drawing never writes state.
    pub detail_limit: u16,
    pub busy: BTreeMap<String, Busy>,
    pub outcomes: BTreeMap<String, Outcome>,
    pub popup: Option<Popup>,
    /// How far the help popup is scrolled down.
    pub popup_scroll: u16,
    /// The last verification of each account, with when it ran.
    pub verified: BTreeMap<String, (crate::verify::Verified, i64)>,
    /// The clients whose files use each account.
    pub clients: BTreeMap<String, Vec<&'static str>>,
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
            focus: Focus::List,
            list_top: 0,
            detail_scroll: 0,
            size: (100, 30),
            detail_limit: 0,
            busy: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            verified: BTreeMap::new(),
            clients: BTreeMap::new(),
            popup_scroll: 0,
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

    /// What has the keyboard now.
    pub fn mode(&self) -> Mode {
        match &self.popup {
            Some(Popup::Help) => Mode::Help,
            Some(Popup::Log) => Mode::Log,
            Some(Popup::Confirm(_)) => Mode::Confirm,
            Some(Popup::Add(_)) => Mode::Form,
            Some(Popup::Paste { .. }) => Mode::Paste,
            Some(Popup::Url(_)) => Mode::Url,
            None if self.filtering => Mode::Filter,
            None => Mode::Main,
        }
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
            Event::Resize { width, height } => {
                self.size = (width, height);
                Vec::new()
            }
            Event::InputClosed => {
                self.quit = true;
                Vec::new()
            }
            Event::Clients(clients) => {
                self.clients = clients;
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
                // Where the selection was: when its account is gone (deleted), the row that took its place.
                let was_at = self.selected_index();
                self.accounts = accounts;
                self.loaded = true;
                self.reload_pending = false;
                let still_there = self
                    .selected
                    .as_ref()
                    .is_some_and(|name| self.visible().iter().any(|a| &a.name == name));
                if !still_there {
                    let visible = self.visible();
                    self.selected = was_at
                        .filter(|_| !visible.is_empty())
                        .map(|i| visible[i.min(visible.len() - 1)].name.clone())
                        .or_else(|| self.current_name());
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
                // Events that only say what happened keep the step before (it holds the URL to copy).
                match &step {
                    LoginStep::BrowserNotOpened { reason } => {
                        self.say(
                            Level::Error,
                            format!("{name}: {reason}; copy the URL from the detail pane into a browser"),
                        );
                        return Vec::new();
                    }
                    LoginStep::AnswerRefused { .. } => {
                        self.say(
                            Level::Error,
                            format!(
                                "{name}: an answer that does not belong to this login was refused (wrong or missing state); still waiting"
                            ),
                        );
                        return Vec::new();
                    }
                    LoginStep::MetadataDocumentUnsupported => {
                        self.note(
                            Level::Info,
                            format!(
                                "{name}: the authorization server does not accept client ID metadata documents; registering a client instead"
                            ),
                        );
                        return Vec::new();
                    }
                    LoginStep::RegistrationRetried { refused, retry } => {
                        self.note(
                            Level::Info,
                            format!("{name}: the redirect URI {refused} was refused; registering with {retry}"),
                        );
                        return Vec::new();
                    }
                    LoginStep::WaitingForBrowser { .. } => {
                        self.note(Level::Info, format!("{name}: waiting for the browser"));
                    }
                    LoginStep::DeviceCode { user_code, .. } => {
                        self.note(
                            Level::Info,
                            format!("{name}: waiting for the code {user_code} to be entered on another device"),
                        );
                    }
                    _ => {}
                }
                if let Some(busy) = self.busy.get_mut(&name) {
                    busy.step = Some(step);
                    busy.step_at = self.now;
                }
                Vec::new()
            }
            TaskEvent::Done { name, kind, outcome } => {
                self.busy.remove(&name);
                if let Ok(Success::Verified(v)) = &outcome {
                    self.verified.insert(name.clone(), ((**v).clone(), self.now));
                }
                let (level, text) = match outcome {
                    Ok(success) => (Level::Success, success.describe(self.now)),
                    Err(failure) => match failure.describe() {
                        Some(text) => (Level::Error, format!("{} failed: {text}", kind.noun())),
                        None => (Level::Info, format!("{} cancelled; nothing changed", kind.noun())),
                    },
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
                self.say(Level::Error, format!("cannot read the accounts: {error}"));
                Vec::new()
            }
        }
    }

    /// Set the status line and log it.
    pub(super) fn say(&mut self, level: Level, text: String) {
        // The same words again (a key pressed twice): the status line stays, the log gets no copy.
        if self.status.as_ref().is_some_and(|s| s.text == text) {
            if let Some(status) = &mut self.status {
                status.at = self.now;
            }
            return;
        }
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
        let mode = self.mode();
        let action = action_for(mode, &key);
        match mode {
            Mode::Main => action.map(|a| self.act(a)).unwrap_or_default(),
            Mode::Filter => {
                self.filter_key(action, key);
                Vec::new()
            }
            Mode::Paste => self.paste_key(action, key),
            Mode::Help | Mode::Log => {
                self.scroll_popup(mode, action);
                Vec::new()
            }
            Mode::Url => {
                if action == Some(Action::Close) {
                    self.popup = None;
                }
                Vec::new()
            }
            Mode::Confirm => self.confirm_key(action),
            Mode::Form => self.form_key(action, key),
        }
    }

    fn form_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Command> {
        let names: Vec<String> = self.accounts.iter().map(|a| a.name.clone()).collect();
        let Some(Popup::Add(form)) = &mut self.popup else {
            return Vec::new();
        };
        match form.key(action, &key, &|name| names.iter().any(|n| n == name)) {
            FormOutcome::Editing => Vec::new(),
            FormOutcome::Cancelled => {
                self.popup = None;
                Vec::new()
            }
            FormOutcome::Submitted(server) => {
                self.popup = None;
                self.start(&server.name.clone(), TaskKind::Add);
                vec![Command::Add(server)]
            }
        }
    }

    fn filter_key(&mut self, action: Option<Action>, key: KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        match (action, key.code) {
            (Some(Action::ClearFilter), _) => {
                self.filter.clear();
                self.filtering = false;
            }
            (Some(Action::KeepFilter), _) => self.filtering = false,
            (_, KeyCode::Backspace) => {
                self.filter.pop();
            }
            (_, KeyCode::Char(c)) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                self.filter.push(c)
            }
            _ => {}
        }
        self.selected = self.current_name();
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom | Action::ScrollDown | Action::ScrollUp => {
                self.navigate(action)
            }
            Action::SwitchPane => self.switch_pane(),
            Action::Help => {
                self.popup = Some(Popup::Help);
                self.popup_scroll = 0;
            }
            Action::Log => {
                self.popup = Some(Popup::Log);
                self.popup_scroll = 0;
            }
            Action::Add => self.popup = Some(Popup::Add(Box::default())),
            Action::Filter => {
                self.filtering = true;
                self.focus = Focus::List;
            }
            Action::Quit => self.quit = true,
            Action::Cancel => return self.cancel(),
            // Actions of the other modes.
            Action::Close
            | Action::Yes
            | Action::No
            | Action::KeepFilter
            | Action::ClearFilter
            | Action::NextField
            | Action::PreviousField
            | Action::Submit => {}
            Action::RefreshAll => return self.refresh_all(),
            Action::CopyUrl | Action::OpenAgain | Action::PasteUrl | Action::ShowUrl => {
                return self.login_assist(action);
            }
            Action::Login
            | Action::DeviceLogin
            | Action::Refresh
            | Action::Logout
            | Action::Delete
            | Action::Discover
            | Action::Verify => return self.on_account(action),
        }
        Vec::new()
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
}
