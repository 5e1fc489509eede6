//! The key table: the one place that says which key does what. The handler looks keys up here and the
//! footer and help overlay are built from it, so they cannot drift apart (gitui's `commands()` idea).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key in the main view does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    ScrollDown,
    ScrollUp,
    Login,
    Refresh,
    RefreshAll,
    Logout,
    Discover,
    Add,
    Delete,
    Filter,
    Log,
    Help,
    Cancel,
    Quit,
}

/// One row of the table.
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the key is written in the footer and the help.
    pub label: &'static str,
    /// The word in the footer; `None` keeps it out of the footer (still in the help).
    pub hint: Option<&'static str>,
    pub description: &'static str,
    pub action: Action,
}

/// Every binding of the main view, in footer order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('l')],
        label: "l",
        hint: Some("login"),
        description: "log in to the selected server (opens the browser)",
        action: Action::Login,
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        hint: Some("refresh"),
        description: "refresh the selected server's token now",
        action: Action::Refresh,
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        label: "R",
        hint: Some("all"),
        description: "refresh every logged-in account",
        action: Action::RefreshAll,
    },
    Binding {
        keys: &[KeyCode::Char('x')],
        label: "x",
        hint: Some("logout"),
        description: "log out: revoke the token at the server and delete it here (asks first)",
        action: Action::Logout,
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        hint: Some("add"),
        description: "add a server",
        action: Action::Add,
    },
    Binding {
        keys: &[KeyCode::Char('d')],
        label: "d",
        hint: Some("delete"),
        description: "delete the selected server and everything stored for it (asks first)",
        action: Action::Delete,
    },
    Binding {
        keys: &[KeyCode::Char('D')],
        label: "D",
        hint: None,
        description: "run discovery again and show what the server publishes",
        action: Action::Discover,
    },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        hint: Some("filter"),
        description: "filter the list by name or URL",
        action: Action::Filter,
    },
    Binding {
        keys: &[KeyCode::Char('L')],
        label: "L",
        hint: None,
        description: "show the whole activity log",
        action: Action::Log,
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        hint: Some("help"),
        description: "this help",
        action: Action::Help,
    },
    Binding {
        keys: &[KeyCode::Char('q')],
        label: "q",
        hint: Some("quit"),
        description: "quit (Ctrl-C too); running logins are cancelled",
        action: Action::Quit,
    },
    Binding {
        keys: &[KeyCode::Esc],
        label: "Esc",
        hint: None,
        description: "cancel the selected server's login, clear the filter, or close a popup",
        action: Action::Cancel,
    },
    Binding {
        keys: &[KeyCode::Char('j'), KeyCode::Down],
        label: "j/↓",
        hint: None,
        description: "next server",
        action: Action::Down,
    },
    Binding {
        keys: &[KeyCode::Char('k'), KeyCode::Up],
        label: "k/↑",
        hint: None,
        description: "previous server",
        action: Action::Up,
    },
    Binding {
        keys: &[KeyCode::Char('g'), KeyCode::Home],
        label: "g/Home",
        hint: None,
        description: "first server",
        action: Action::Top,
    },
    Binding {
        keys: &[KeyCode::Char('G'), KeyCode::End],
        label: "G/End",
        hint: None,
        description: "last server",
        action: Action::Bottom,
    },
    Binding {
        keys: &[KeyCode::PageDown, KeyCode::Char(' ')],
        label: "PgDn",
        hint: None,
        description: "scroll the details down",
        action: Action::ScrollDown,
    },
    Binding {
        keys: &[KeyCode::PageUp],
        label: "PgUp",
        hint: None,
        description: "scroll the details up",
        action: Action::ScrollUp,
    },
];

/// Whether the key is Ctrl-C, which quits from anywhere.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

/// The action of a key in the main view.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if is_ctrl_c(key) {
        return Some(Action::Quit);
    }
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    BINDINGS.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

/// The footer: `key hint` pairs of the bindings that have a hint.
pub fn footer_hints() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter_map(|b| b.hint.map(|hint| (b.label, hint)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_binding_and_keys_do_not_clash() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            assert!(!seen.contains(&b.action), "{:?} bound twice", b.action);
            seen.push(b.action);
            for key in b.keys {
                let owners = BINDINGS.iter().filter(|o| o.keys.contains(key)).count();
                assert_eq!(owners, 1, "{key:?} is bound more than once");
            }
        }
    }

    #[test]
    fn the_footer_names_the_main_actions() {
        let hints = footer_hints();
        for (label, hint) in [
            ("l", "login"),
            ("r", "refresh"),
            ("x", "logout"),
            ("q", "quit"),
            ("?", "help"),
        ] {
            assert!(hints.contains(&(label, hint)), "{hints:?}");
        }
    }
}
