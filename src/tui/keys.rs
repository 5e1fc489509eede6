//! The key tables: the one place that says which key does what, per mode (the main view, the filter line,
//! each kind of popup). The handler looks keys up here, and the footer and the help are built from the same
//! tables, so they cannot drift apart (gitui's `commands()` idea).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which table applies: what has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Main,
    Filter,
    Help,
    Log,
    Confirm,
    Form,
    Paste,
    Url,
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    /// A page down (the list or the details, whichever has the focus; a popup).
    ScrollDown,
    ScrollUp,
    /// Move the focus between the list and the details.
    SwitchPane,
    Login,
    /// Log in with a code entered on another device (RFC 8628).
    DeviceLogin,
    Refresh,
    RefreshAll,
    Logout,
    Discover,
    Verify,
    Add,
    Delete,
    Filter,
    Log,
    Help,
    Cancel,
    Quit,
    /// Close a popup.
    Close,
    /// Answer yes to a question.
    Yes,
    /// Answer no.
    No,
    /// Keep the filter and leave the filter line.
    KeepFilter,
    /// Clear the filter.
    ClearFilter,
    NextField,
    PreviousField,
    Submit,
    /// Copy the waiting login's URL to the clipboard (OSC 52).
    CopyUrl,
    /// Open the browser on the waiting login's URL again.
    OpenAgain,
    /// Paste the URL the browser ended on.
    PasteUrl,
    /// Show the waiting login's URL alone.
    ShowUrl,
}

/// One row of a table.
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the key is written in the footer and the help.
    pub label: &'static str,
    /// The word in the footer; `None` keeps it out of the footer (still in the help).
    pub hint: Option<&'static str>,
    pub description: &'static str,
    pub action: Action,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    hint: Option<&'static str>,
    description: &'static str,
    action: Action,
) -> Binding {
    Binding {
        keys,
        label,
        hint,
        description,
        action,
    }
}

/// The main view, in footer order.
pub const MAIN: &[Binding] = &[
    bind(
        &[KeyCode::Char('l')],
        "l",
        Some("login"),
        "log in to the selected server (opens the browser)",
        Action::Login,
    ),
    bind(
        &[KeyCode::Char('e')],
        "e",
        None,
        "log in with a code entered on another device, where the server offers it",
        Action::DeviceLogin,
    ),
    bind(
        &[KeyCode::Char('r')],
        "r",
        Some("refresh"),
        "refresh the selected server's token now",
        Action::Refresh,
    ),
    bind(
        &[KeyCode::Char('R')],
        "R",
        Some("all"),
        "refresh every logged-in account",
        Action::RefreshAll,
    ),
    bind(
        &[KeyCode::Char('x')],
        "x",
        Some("logout"),
        "log out: revoke the token at the server and delete it here (asks first)",
        Action::Logout,
    ),
    bind(
        &[KeyCode::Char('v')],
        "v",
        Some("verify"),
        "verify the account with one authenticated MCP request",
        Action::Verify,
    ),
    bind(&[KeyCode::Char('a')], "a", Some("add"), "add a server", Action::Add),
    bind(
        &[KeyCode::Char('d')],
        "d",
        Some("delete"),
        "delete the selected server and everything stored for it (asks first)",
        Action::Delete,
    ),
    bind(
        &[KeyCode::Char('D')],
        "D",
        None,
        "run discovery again and show what the server publishes",
        Action::Discover,
    ),
    bind(
        &[KeyCode::Char('/')],
        "/",
        Some("filter"),
        "filter the list by name or URL",
        Action::Filter,
    ),
    bind(
        &[KeyCode::Char('L')],
        "L",
        None,
        "show the whole activity log",
        Action::Log,
    ),
    bind(
        &[KeyCode::Char('c')],
        "c",
        None,
        "a waiting login: copy its URL or device page to the clipboard (OSC 52)",
        Action::CopyUrl,
    ),
    bind(
        &[KeyCode::Char('o')],
        "o",
        None,
        "a waiting login: open the browser on its URL again",
        Action::OpenAgain,
    ),
    bind(
        &[KeyCode::Char('p')],
        "p",
        None,
        "a waiting login: paste the URL the browser ended on",
        Action::PasteUrl,
    ),
    bind(
        &[KeyCode::Char('u')],
        "u",
        None,
        "a waiting login: show its URL alone, for a mouse selection",
        Action::ShowUrl,
    ),
    bind(&[KeyCode::Char('?')], "?", Some("help"), "this help", Action::Help),
    bind(
        &[KeyCode::Char('q')],
        "q",
        Some("quit"),
        "quit (Ctrl-C too); running logins are cancelled",
        Action::Quit,
    ),
    bind(
        &[KeyCode::Esc],
        "Esc",
        None,
        "cancel the selected server's login, clear the filter, or close a popup",
        Action::Cancel,
    ),
    bind(
        &[KeyCode::Tab, KeyCode::BackTab],
        "Tab",
        None,
        "switch the keys below between the list and the details",
        Action::SwitchPane,
    ),
    bind(
        &[KeyCode::Char('j'), KeyCode::Down],
        "j/↓",
        None,
        "next server; in the details, a line down",
        Action::Down,
    ),
    bind(
        &[KeyCode::Char('k'), KeyCode::Up],
        "k/↑",
        None,
        "previous server; in the details, a line up",
        Action::Up,
    ),
    bind(
        &[KeyCode::Char('g'), KeyCode::Home],
        "g/Home",
        None,
        "first server; in the details, the top",
        Action::Top,
    ),
    bind(
        &[KeyCode::Char('G'), KeyCode::End],
        "G/End",
        None,
        "last server; in the details, the end",
        Action::Bottom,
    ),
    bind(
        &[KeyCode::PageDown, KeyCode::Char(' ')],
        "PgDn",
        None,
        "a page down the list, or the details",
        Action::ScrollDown,
    ),
    bind(
        &[KeyCode::PageUp],
        "PgUp",
        None,
        "a page up the list, or the details",
        Action::ScrollUp,
    ),
];

/// The filter line: everything else is typed into the filter.
pub const FILTER: &[Binding] = &[
    bind(
        &[KeyCode::Enter],
        "Enter",
        Some("keep"),
        "keep the filter",
        Action::KeepFilter,
    ),
    bind(
        &[KeyCode::Esc],
        "Esc",
        Some("clear"),
        "clear the filter",
        Action::ClearFilter,
    ),
];

/// The help popup.
pub const HELP: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('q'), KeyCode::Char('?'), KeyCode::Enter],
        "Esc",
        Some("close"),
        "close the help",
        Action::Close,
    ),
    bind(
        &[KeyCode::Char('j'), KeyCode::Down],
        "j",
        Some("scroll"),
        "scroll down",
        Action::Down,
    ),
    bind(&[KeyCode::Char('k'), KeyCode::Up], "k", None, "scroll up", Action::Up),
    bind(&[KeyCode::PageDown], "PgDn", None, "a page down", Action::ScrollDown),
    bind(&[KeyCode::PageUp], "PgUp", None, "a page up", Action::ScrollUp),
    bind(
        &[KeyCode::Char('g'), KeyCode::Home],
        "g",
        None,
        "to the top",
        Action::Top,
    ),
    bind(
        &[KeyCode::Char('G'), KeyCode::End],
        "G",
        None,
        "to the end",
        Action::Bottom,
    ),
];

/// The activity log popup: it opens at the newest entry; scrolling goes back in time.
pub const LOG: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('q'), KeyCode::Char('L'), KeyCode::Enter],
        "Esc",
        Some("close"),
        "close the log",
        Action::Close,
    ),
    bind(
        &[KeyCode::Char('j'), KeyCode::Down],
        "j",
        Some("scroll"),
        "newer",
        Action::Down,
    ),
    bind(&[KeyCode::Char('k'), KeyCode::Up], "k", None, "older", Action::Up),
    bind(&[KeyCode::PageDown], "PgDn", None, "a page newer", Action::ScrollDown),
    bind(&[KeyCode::PageUp], "PgUp", None, "a page older", Action::ScrollUp),
    bind(
        &[KeyCode::Char('g'), KeyCode::Home],
        "g",
        None,
        "the oldest",
        Action::Top,
    ),
    bind(
        &[KeyCode::Char('G'), KeyCode::End],
        "G",
        None,
        "the newest",
        Action::Bottom,
    ),
];

/// A yes/no question.
pub const CONFIRM: &[Binding] = &[
    bind(
        &[KeyCode::Char('y'), KeyCode::Char('Y'), KeyCode::Enter],
        "y",
        Some("yes"),
        "yes, do it",
        Action::Yes,
    ),
    bind(
        &[KeyCode::Char('n'), KeyCode::Char('N'), KeyCode::Esc, KeyCode::Char('q')],
        "n",
        Some("no"),
        "no, leave it",
        Action::No,
    ),
];

/// The add-server form: everything else edits the focused field.
pub const FORM: &[Binding] = &[
    bind(
        &[KeyCode::Tab, KeyCode::Down],
        "Tab",
        Some("next field"),
        "next field",
        Action::NextField,
    ),
    bind(
        &[KeyCode::BackTab, KeyCode::Up],
        "S-Tab",
        None,
        "previous field",
        Action::PreviousField,
    ),
    bind(
        &[KeyCode::Enter],
        "Enter",
        Some("add"),
        "add the server",
        Action::Submit,
    ),
    bind(&[KeyCode::Esc], "Esc", Some("cancel"), "cancel", Action::Close),
];

/// The paste field of a waiting login: everything else edits the text.
pub const PASTE: &[Binding] = &[
    bind(
        &[KeyCode::Enter],
        "Enter",
        Some("use it"),
        "finish the login with the pasted URL",
        Action::Submit,
    ),
    bind(
        &[KeyCode::Esc],
        "Esc",
        Some("cancel"),
        "close the paste field",
        Action::Close,
    ),
];

/// A login URL shown alone.
pub const URL: &[Binding] = &[bind(
    &[KeyCode::Esc, KeyCode::Char('q'), KeyCode::Char('u'), KeyCode::Enter],
    "Esc",
    Some("close"),
    "close",
    Action::Close,
)];

/// The table of a mode.
pub fn table(mode: Mode) -> &'static [Binding] {
    match mode {
        Mode::Main => MAIN,
        Mode::Filter => FILTER,
        Mode::Help => HELP,
        Mode::Log => LOG,
        Mode::Confirm => CONFIRM,
        Mode::Form => FORM,
        Mode::Paste => PASTE,
        Mode::Url => URL,
    }
}

/// Whether the key is Ctrl-C, which quits from anywhere.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

/// The action of a key in `mode`, if the mode's table has one.
pub fn action_for(mode: Mode, key: &KeyEvent) -> Option<Action> {
    if is_ctrl_c(key) {
        return Some(Action::Quit);
    }
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    table(mode)
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The footer of `mode`: `key hint` pairs of the bindings that have a hint.
pub fn footer_hints(mode: Mode) -> Vec<(&'static str, &'static str)> {
    table(mode)
        .iter()
        .filter_map(|b| b.hint.map(|hint| (b.label, hint)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_a_mode_every_action_has_one_binding_and_keys_do_not_clash() {
        for mode in [
            Mode::Main,
            Mode::Filter,
            Mode::Help,
            Mode::Log,
            Mode::Confirm,
            Mode::Form,
            Mode::Paste,
            Mode::Url,
        ] {
            let bindings = table(mode);
            let mut seen = Vec::new();
            for b in bindings {
                assert!(!seen.contains(&b.action), "{mode:?}: {:?} bound twice", b.action);
                seen.push(b.action);
                for key in b.keys {
                    let owners = bindings.iter().filter(|o| o.keys.contains(key)).count();
                    assert_eq!(owners, 1, "{mode:?}: {key:?} is bound more than once");
                }
            }
        }
    }

    #[test]
    fn the_footer_names_the_actions_of_the_mode() {
        let hints = footer_hints(Mode::Main);
        for (label, hint) in [
            ("l", "login"),
            ("r", "refresh"),
            ("x", "logout"),
            ("q", "quit"),
            ("?", "help"),
        ] {
            assert!(hints.contains(&(label, hint)), "{hints:?}");
        }
        assert_eq!(footer_hints(Mode::Confirm), [("y", "yes"), ("n", "no")]);
        assert_eq!(footer_hints(Mode::Help), [("Esc", "close"), ("j", "scroll")]);
    }
}
