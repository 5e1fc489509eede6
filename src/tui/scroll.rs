//! Scrolling the help and the activity log popups: j/k a line, PgDn/PgUp a page, g/G the ends. The help
//! opens at its top; the log at its newest line, and scrolling up goes back in time.

use super::app::App;
use super::keys::{Action, MAIN, Mode};

impl App {
    /// A key in the help or the log popup.
    pub(super) fn scroll_popup(&mut self, mode: Mode, action: Option<Action>) {
        if action == Some(Action::Close) {
            self.popup = None;
            self.popup_scroll = 0;
            return;
        }
        // How far it can go: the help's lines, or the log's (each entry a few lines at most); the drawing
        // stops at the true end.
        let limit = match mode {
            Mode::Log => i32::try_from(self.log.len() * 4).unwrap_or(i32::MAX),
            _ => (MAIN.len() + 3) as i32,
        };
        let page = i32::from(self.size.1.saturating_sub(6).max(1));
        let step = match action {
            Some(Action::Down) => 1,
            Some(Action::Up) => -1,
            Some(Action::ScrollDown) => page,
            Some(Action::ScrollUp) => -page,
            Some(Action::Bottom) => limit,
            Some(Action::Top) => -limit,
            _ => 0,
        };
        // The help counts from its top; the log counts back from its newest line.
        let step = if mode == Mode::Log { -step } else { step };
        let scroll = (i32::from(self.popup_scroll) + step).clamp(0, limit);
        self.popup_scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    }
}
