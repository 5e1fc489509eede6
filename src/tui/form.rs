//! The add-server form: a few one-line text fields, validated with the same rules as `mcp-accounts add`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mcp_accounts::oauth::registration::validate_metadata_document_url;
use mcp_accounts::oauth::scope::validate_scope;
use mcp_accounts::store::{validate_name, validate_server_url};

use super::keys::Action;

/// A one-line text field with a cursor (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    pub text: String,
    pub cursor: usize,
}

impl TextField {
    /// Apply an editing key; returns whether the key was an editing key. Besides the arrows, Home, End,
    /// Backspace and Delete, the usual line-editing keys: Ctrl-A/E (start/end), Ctrl-U/K (delete to the
    /// start/end), Ctrl-W (delete the word before), Alt-B/F (a word back/forward).
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        let len = self.text.chars().count();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_index(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte_index(self.cursor);
                self.text.truncate(at);
            }
            KeyCode::Char('w') if ctrl => {
                let start = self.word_start();
                let (from, to) = (self.byte_index(start), self.byte_index(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
            }
            KeyCode::Char('b') if alt => self.cursor = self.word_start(),
            KeyCode::Char('f') if alt => self.cursor = self.word_end(),
            KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                let at = self.byte_index(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_index(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_index(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// Where the word before the cursor starts (spaces before it skipped).
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor.min(chars.len());
        while i > 0 && !is_word(chars[i - 1]) {
            i -= 1;
        }
        while i > 0 && is_word(chars[i - 1]) {
            i -= 1;
        }
        i
    }

    /// Where the word after the cursor ends.
    fn word_end(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor.min(chars.len());
        while i < chars.len() && !is_word(chars[i]) {
            i += 1;
        }
        while i < chars.len() && is_word(chars[i]) {
            i += 1;
        }
        i
    }

    fn byte_index(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(i, _)| i)
    }
}

/// Word characters for Ctrl-W and Alt-B/F: a URL's parts are words of their own.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The fields of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Url,
    Scopes,
    ClientId,
    ClientSecretEnv,
    ClientMetadataUrl,
    CallbackPort,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::Url,
        Field::Scopes,
        Field::ClientId,
        Field::ClientSecretEnv,
        Field::ClientMetadataUrl,
        Field::CallbackPort,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Url => "URL",
            Field::Scopes => "Scopes",
            Field::ClientId => "Client ID",
            Field::ClientSecretEnv => "Secret env var",
            Field::ClientMetadataUrl => "Metadata doc",
            Field::CallbackPort => "Callback port",
        }
    }

    pub fn placeholder(self) -> &'static str {
        match self {
            Field::Name => "e.g. notes (letters, digits, . _ -)",
            Field::Url => "e.g. https://notes.example.com/mcp",
            Field::Scopes => "optional; default: what the server asks for",
            Field::ClientId => "optional; default: dynamic registration",
            Field::ClientSecretEnv => "optional; the variable holding the client's secret",
            Field::ClientMetadataUrl => "optional; https:// client ID metadata document",
            Field::CallbackPort => "optional; default: any free port",
        }
    }
}

/// What the form produces once valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServer {
    pub name: String,
    /// Canonical.
    pub url: String,
    pub scopes: Vec<String>,
    pub client_id: Option<String>,
    /// The environment variable of the client's secret (read at login, never stored).
    pub client_secret_env: Option<String>,
    pub client_metadata_url: Option<String>,
    pub callback_port: Option<u16>,
}

/// The form's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddForm {
    pub fields: [TextField; 7],
    pub focus: usize,
    /// The first validation problem, with the field it belongs to.
    pub error: Option<(Field, String)>,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormOutcome {
    Editing,
    Cancelled,
    Submitted(NewServer),
}

impl AddForm {
    pub fn value(&self, field: Field) -> &str {
        &self.fields[field as usize].text
    }

    pub fn focused(&self) -> Field {
        Field::ALL[self.focus]
    }

    /// Handle a key: `action` is what the form's key table says it does; any other key edits the focused
    /// field. `taken` says whether a name is already in use.
    pub fn key(&mut self, action: Option<Action>, key: &KeyEvent, taken: &dyn Fn(&str) -> bool) -> FormOutcome {
        match action {
            Some(Action::Close) => return FormOutcome::Cancelled,
            Some(Action::NextField) => self.focus = (self.focus + 1) % Field::ALL.len(),
            Some(Action::PreviousField) => self.focus = (self.focus + Field::ALL.len() - 1) % Field::ALL.len(),
            Some(Action::Submit) => match self.validate(taken) {
                Ok(server) => return FormOutcome::Submitted(server),
                Err((field, message)) => {
                    self.focus = field as usize;
                    self.error = Some((field, message));
                }
            },
            _ => {
                if self.fields[self.focus].edit(key) && self.error.as_ref().is_some_and(|(f, _)| *f == self.focused()) {
                    self.error = None;
                }
            }
        }
        FormOutcome::Editing
    }

    /// Check every field; the first problem is returned with its field.
    pub fn validate(&self, taken: &dyn Fn(&str) -> bool) -> Result<NewServer, (Field, String)> {
        let name = self.value(Field::Name).trim().to_owned();
        validate_name(&name).map_err(|e| (Field::Name, e.to_string()))?;
        if taken(&name) {
            return Err((Field::Name, format!("a server named {name:?} already exists")));
        }
        let url = validate_server_url(self.value(Field::Url)).map_err(|e| (Field::Url, e.to_string()))?;
        let scopes: Vec<String> = self
            .value(Field::Scopes)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        for scope in &scopes {
            validate_scope(scope).map_err(|e| (Field::Scopes, e.to_string()))?;
        }
        let client_id = Some(self.value(Field::ClientId).trim().to_owned()).filter(|c| !c.is_empty());
        let client_secret_env = Some(self.value(Field::ClientSecretEnv).trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(var) = &client_secret_env {
            if client_id.is_none() {
                return Err((
                    Field::ClientSecretEnv,
                    "a secret belongs to a client ID: fill in the client ID too".to_owned(),
                ));
            }
            if var.contains(['=', ' ']) {
                return Err((
                    Field::ClientSecretEnv,
                    format!("{var:?} is not an environment variable name"),
                ));
            }
        }
        let client_metadata_url =
            Some(self.value(Field::ClientMetadataUrl).trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(document) = &client_metadata_url {
            if client_id.is_some() {
                return Err((
                    Field::ClientMetadataUrl,
                    "leave this empty when a client ID is given".to_owned(),
                ));
            }
            validate_metadata_document_url(document).map_err(|e| (Field::ClientMetadataUrl, e.to_string()))?;
        }
        let port_text = self.value(Field::CallbackPort).trim();
        let callback_port = if port_text.is_empty() {
            None
        } else {
            match port_text.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err((Field::CallbackPort, format!("{port_text:?} is not a port (1-65535)"))),
            }
        };
        Ok(NewServer {
            name,
            url,
            scopes,
            client_id,
            client_secret_env,
            client_metadata_url,
            callback_port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tui::keys::{Mode, action_for};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// Send a key through the form's key table, as the app does.
    fn press(form: &mut AddForm, code: KeyCode, taken: &dyn Fn(&str) -> bool) -> FormOutcome {
        let k = key(code);
        form.key(action_for(Mode::Form, &k), &k, taken)
    }

    fn type_text(form: &mut AddForm, text: &str) {
        for c in text.chars() {
            press(form, KeyCode::Char(c), &|_| false);
        }
    }

    #[test]
    fn editing_moves_the_cursor_over_characters() {
        let mut f = TextField::default();
        for c in "héllo".chars() {
            f.edit(&key(KeyCode::Char(c)));
        }
        f.edit(&key(KeyCode::Left));
        f.edit(&key(KeyCode::Left));
        f.edit(&key(KeyCode::Backspace));
        assert_eq!(f.text, "hélo");
        f.edit(&key(KeyCode::Home));
        f.edit(&key(KeyCode::Delete));
        assert_eq!((f.text.as_str(), f.cursor), ("élo", 0));
    }

    #[test]
    fn the_usual_line_editing_keys_work() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let alt = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
        let mut f = TextField::default();
        for c in "https://notes.example.com/mcp".chars() {
            f.edit(&key(KeyCode::Char(c)));
        }
        f.edit(&ctrl('w'));
        assert_eq!(f.text, "https://notes.example.com/");
        f.edit(&alt('b'));
        f.edit(&alt('b'));
        assert_eq!(f.cursor, "https://notes.".len());
        f.edit(&alt('f'));
        assert_eq!(f.cursor, "https://notes.example".len());
        f.edit(&ctrl('k'));
        assert_eq!(f.text, "https://notes.example");
        f.edit(&ctrl('a'));
        assert_eq!(f.cursor, 0);
        f.edit(&ctrl('e'));
        f.edit(&alt('b'));
        f.edit(&ctrl('u'));
        assert_eq!((f.text.as_str(), f.cursor), ("example", 0));
    }

    #[test]
    fn a_secret_variable_needs_a_client_id() {
        let mut form = AddForm::default();
        type_text(&mut form, "corp");
        press(&mut form, KeyCode::Tab, &|_| false);
        type_text(&mut form, "https://corp.example/mcp");
        for _ in 0..3 {
            press(&mut form, KeyCode::Tab, &|_| false);
        }
        assert_eq!(form.focused(), Field::ClientSecretEnv);
        type_text(&mut form, "CORP_SECRET");
        press(&mut form, KeyCode::Enter, &|_| false);
        assert_eq!(form.error.as_ref().map(|e| e.0), Some(Field::ClientSecretEnv));
        press(&mut form, KeyCode::BackTab, &|_| false);
        type_text(&mut form, "corp-client");
        let FormOutcome::Submitted(server) = press(&mut form, KeyCode::Enter, &|_| false) else {
            panic!("{:?}", form.error);
        };
        assert_eq!(server.client_secret_env.as_deref(), Some("CORP_SECRET"));
        assert_eq!(server.client_id.as_deref(), Some("corp-client"));
    }

    #[test]
    fn submits_a_valid_server_and_points_at_the_first_problem() {
        let mut form = AddForm::default();
        type_text(&mut form, "notes");
        press(&mut form, KeyCode::Tab, &|_| false);
        type_text(&mut form, "http://notes.example.com/mcp");
        assert_eq!(press(&mut form, KeyCode::Enter, &|_| false), FormOutcome::Editing);
        let (field, message) = form.error.clone().unwrap();
        assert_eq!(field, Field::Url);
        assert!(message.contains("only allowed to this machine"), "{message}");
        for _ in 0.."http://".len() {
            press(&mut form, KeyCode::Home, &|_| false);
        }
        press(&mut form, KeyCode::Right, &|_| false);
        press(&mut form, KeyCode::Right, &|_| false);
        press(&mut form, KeyCode::Right, &|_| false);
        press(&mut form, KeyCode::Right, &|_| false);
        type_text(&mut form, "s");
        assert!(form.error.is_none(), "editing the field clears its error");
        press(&mut form, KeyCode::Tab, &|_| false);
        type_text(&mut form, "notes:read notes:write");
        let outcome = press(&mut form, KeyCode::Enter, &|_| false);
        assert_eq!(
            outcome,
            FormOutcome::Submitted(NewServer {
                name: "notes".into(),
                url: "https://notes.example.com/mcp".into(),
                scopes: vec!["notes:read".into(), "notes:write".into()],
                client_id: None,
                client_secret_env: None,
                client_metadata_url: None,
                callback_port: None,
            })
        );
        assert!(matches!(
            press(&mut form, KeyCode::Enter, &|n| n == "notes"),
            FormOutcome::Editing
        ));
        assert_eq!(form.error.as_ref().unwrap().0, Field::Name);
    }
}
