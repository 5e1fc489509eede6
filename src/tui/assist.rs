//! Helping a login that waits for the browser: copy its URL (OSC 52), open the browser again, paste the
//! URL the browser ended on (when the browser cannot reach this machine), or show the URL alone.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mcp_accounts::session::LoginStep;

use super::app::{App, Level, Popup};
use super::keys::Action;
use super::messages::Command;

impl App {
    /// The URL of the selected account's login, when it waits for the browser; or the page of a login
    /// that waits for a code on another device (`true`).
    fn waiting_url(&self) -> Option<(String, String, bool)> {
        let name = self.current()?.name.clone();
        match &self.busy.get(&name)?.step {
            Some(LoginStep::WaitingForBrowser { url }) => Some((name, url.clone(), false)),
            Some(LoginStep::DeviceCode {
                verification_uri,
                verification_uri_complete,
                ..
            }) => {
                let page = verification_uri_complete.as_ref().unwrap_or(verification_uri);
                Some((name, page.clone(), true))
            }
            _ => None,
        }
    }

    /// `c`, `o`, `p` and `u`.
    pub(super) fn login_assist(&mut self, action: Action) -> Vec<Command> {
        let Some((name, url, device)) = self.waiting_url() else {
            let who = self
                .current()
                .map_or("the selected server".to_owned(), |a| a.name.clone());
            self.say(
                Level::Info,
                format!("no login of {who} is waiting for the browser; press l to start one"),
            );
            return Vec::new();
        };
        let what = if device { "page" } else { "URL" };
        match action {
            Action::CopyUrl => {
                self.say(
                    Level::Info,
                    format!(
                        "{name}: copied the login {what} to the clipboard (OSC 52; if the terminal refuses it, press u)"
                    ),
                );
                vec![Command::Copy(url)]
            }
            Action::OpenAgain => {
                self.say(Level::Info, format!("{name}: opening the browser on the login {what}"));
                vec![Command::OpenBrowser(url)]
            }
            Action::PasteUrl if device => {
                self.say(
                    Level::Info,
                    format!("{name}: this login waits for the code on another device; there is nothing to paste"),
                );
                Vec::new()
            }
            Action::PasteUrl => {
                self.popup = Some(Popup::Paste {
                    name,
                    text: String::new(),
                });
                Vec::new()
            }
            _ => {
                self.popup = Some(Popup::Url(url));
                Vec::new()
            }
        }
    }

    /// Keys in the paste field.
    pub(super) fn paste_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Command> {
        let Some(Popup::Paste { name, text }) = &mut self.popup else {
            return Vec::new();
        };
        match (action, key.code) {
            (Some(Action::Close), _) => self.popup = None,
            (Some(Action::Submit), _) => {
                let (name, text) = (name.clone(), std::mem::take(text));
                self.popup = None;
                if text.trim().is_empty() {
                    return Vec::new();
                }
                self.say(Level::Info, format!("{name}: checking the pasted URL"));
                return vec![Command::Paste { name, text }];
            }
            (_, KeyCode::Backspace) => {
                text.pop();
            }
            (_, KeyCode::Char('u')) if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            (_, KeyCode::Char(c)) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                text.push(c)
            }
            _ => {}
        }
        Vec::new()
    }
}
