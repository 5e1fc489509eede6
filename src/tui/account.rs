//! The keys that act on the selected account (log in, with a browser or a code on another device;
//! refresh, log out, verify, discover, delete), the questions some of them ask first, and refreshing every
//! account at once. Each starts a task: the account shows as busy until its result comes back.

use super::app::{App, Busy, Confirm, Level, Popup};
use super::keys::Action;
use super::messages::{Command, TaskKind};

impl App {
    /// An action on the selected account.
    pub(super) fn on_account(&mut self, action: Action) -> Vec<Command> {
        let Some(account) = self.current() else {
            self.say(Level::Info, "no server selected; press a to add one".to_owned());
            return Vec::new();
        };
        let name = account.name.clone();
        let has_token = account.token().is_some();
        let usable = account.usable(self.now);
        if let Some(busy) = self.busy.get(&name) {
            let hint = if busy.kind == TaskKind::Login {
                "; Esc cancels the login"
            } else {
                ""
            };
            self.say(Level::Info, format!("{name} is busy ({}){hint}", busy.kind.verb()));
            return Vec::new();
        }
        let device = action == Action::DeviceLogin;
        match action {
            // A usable account is asked about first, as gh does: a new login replaces its token.
            Action::Login | Action::DeviceLogin if usable => {
                self.popup = Some(Popup::Confirm(Confirm::Relogin { name, device }));
            }
            Action::Login | Action::DeviceLogin => return self.log_in(name, device),
            Action::Discover => return self.begin(name, TaskKind::Discover, Command::Discover),
            Action::Verify => return self.begin(name, TaskKind::Verify, Command::Verify),
            Action::Refresh if !has_token => {
                self.say(Level::Info, format!("{name} is not logged in; press l to log in"));
            }
            Action::Refresh => return self.begin(name, TaskKind::Refresh, Command::Refresh),
            Action::Logout if !has_token => self.say(Level::Info, format!("{name} is not logged in")),
            Action::Logout => self.popup = Some(Popup::Confirm(Confirm::Logout(name))),
            _ => self.popup = Some(Popup::Confirm(Confirm::Delete(name))),
        }
        Vec::new()
    }

    fn log_in(&mut self, name: String, device: bool) -> Vec<Command> {
        if device {
            self.begin(name, TaskKind::Login, Command::DeviceLogin)
        } else {
            self.begin(name, TaskKind::Login, Command::Login)
        }
    }

    /// Mark `name` busy with `kind` and say what to run.
    fn begin(&mut self, name: String, kind: TaskKind, command: fn(String) -> Command) -> Vec<Command> {
        self.start(&name, kind);
        vec![command(name)]
    }

    /// Mark `name` busy with `kind` (its spinner turns until the task's result comes). What the status
    /// line said of the account's last task is old news then, and goes.
    pub(super) fn start(&mut self, name: &str, kind: TaskKind) {
        if self
            .status
            .as_ref()
            .is_some_and(|said| said.text.starts_with(&format!("{name}: ")))
        {
            self.status = None;
        }
        self.busy.insert(
            name.to_owned(),
            Busy {
                kind,
                since: self.now,
                step: None,
                step_at: self.now,
            },
        );
    }

    /// y or n on a question.
    pub(super) fn confirm_key(&mut self, action: Option<Action>) -> Vec<Command> {
        let Some(Popup::Confirm(confirm)) = &self.popup else {
            return Vec::new();
        };
        let confirm = confirm.clone();
        match action {
            Some(Action::Yes) => {
                self.popup = None;
                self.confirmed(confirm)
            }
            Some(Action::No) => {
                self.popup = None;
                let what = match &confirm {
                    Confirm::Logout(name) => format!("{name} stays logged in"),
                    Confirm::Delete(name) => format!("{name} was not deleted"),
                    Confirm::Relogin { name, .. } => format!("{name} keeps its login"),
                };
                self.say(Level::Info, what);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn confirmed(&mut self, confirm: Confirm) -> Vec<Command> {
        let name = match &confirm {
            Confirm::Logout(name) | Confirm::Delete(name) | Confirm::Relogin { name, .. } => name.clone(),
        };
        if self.busy.contains_key(&name) {
            self.say(Level::Info, format!("{name} is busy; try again when it is done"));
            return Vec::new();
        }
        match confirm {
            Confirm::Logout(name) => self.begin(name, TaskKind::Logout, Command::Logout),
            Confirm::Delete(name) => self.begin(name, TaskKind::Delete, Command::Delete),
            Confirm::Relogin { name, device } => self.log_in(name, device),
        }
    }

    /// R: refresh every logged-in account that is not busy.
    pub(super) fn refresh_all(&mut self) -> Vec<Command> {
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
            .flat_map(|name| self.begin(name, TaskKind::Refresh, Command::Refresh))
            .collect()
    }
}
