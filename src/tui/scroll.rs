//! Scrolling the help and the activity log popups: j/k a line, PgDn/PgUp a page, g/G the ends. The help
//! opens at its top; the log at its newest line, and scrolling up goes back in time.

use super::app::App;
use super::keys::{Action, MAIN, Mode};

impl App {
    /// A key in the help or the log popup.
    pub(super) fn scroll_popup(&mut self, mode: Mode, action: Option<Action>) {
        let page = self.size.1.saturating_sub(6).max(1);
        if action == Some(Action::Close) {
            self.popup = None;
            self.popup_scroll = 0;
            return;
        }
        // How far it can go: the help's lines, or the log's (each entry a few lines at most); the drawing
        // stops at the true end.
        let (limit, towards_end) = match mode {
            Mode::Log => (u16::try_from(self.log.len() * 4).unwrap_or(u16::MAX), false),
            _ => ((MAIN.len() + 3) as u16, true),
        };
        // For the help, "down" is further from the start; for the log, further from the newest end.
        let (further, back) = if towards_end {
            (Action::Down, Action::Up)
        } else {
            (Action::Up, Action::Down)
        };
        let (page_further, page_back) = if towards_end {
            (Action::ScrollDown, Action::ScrollUp)
        } else {
            (Action::ScrollUp, Action::ScrollDown)
        };
        let (far_end, near_end) = if towards_end {
            (Action::Bottom, Action::Top)
        } else {
            (Action::Top, Action::Bottom)
        };
        let scroll = self.popup_scroll;
        self.popup_scroll = match action {
            Some(a) if a == further => scroll.saturating_add(1),
            Some(a) if a == back => scroll.saturating_sub(1),
            Some(a) if a == page_further => scroll.saturating_add(page),
            Some(a) if a == page_back => scroll.saturating_sub(page),
            Some(a) if a == far_end => limit,
            Some(a) if a == near_end => 0,
            _ => scroll,
        }
        .min(limit);
    }
}
