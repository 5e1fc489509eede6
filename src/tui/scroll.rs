//! Moving around: the selection in the list, the details pane and the help and log popups. j/k go a line,
//! PgDn/PgUp a page, g/G to the ends; Tab says whether the list or the details move. The help opens at its
//! top; the log at its newest line, and scrolling up goes back in time.

use ratatui::layout::Rect;

use super::app::{App, Focus};
use super::keys::{Action, MAIN, Mode};
use super::ui::layout::{layout, list_top};

impl App {
    /// Tab: the other pane takes the movement keys.
    pub(super) fn switch_pane(&mut self) {
        self.focus = match self.focus {
            Focus::List => Focus::Details,
            Focus::Details => Focus::List,
        };
    }

    /// A movement key in the main view, for the pane that has the focus.
    pub(super) fn navigate(&mut self, action: Action) {
        match self.focus {
            Focus::Details => {
                let page = i32::from(self.detail_page());
                let limit = i32::from(self.detail_limit);
                let step = step(action, page, limit);
                let scroll = (i32::from(self.detail_scroll) + step).clamp(0, limit);
                self.detail_scroll = u16::try_from(scroll).unwrap_or(0);
            }
            Focus::List => {
                let page = self.list_page();
                match action {
                    Action::Up => self.move_selection(|i, _| i.saturating_sub(1)),
                    Action::Down => self.move_selection(|i, _| i + 1),
                    Action::Top => self.move_selection(|_, _| 0),
                    Action::Bottom => self.move_selection(|_, n| n - 1),
                    // A page as a pager turns one: the rows shown move with the selection.
                    Action::ScrollDown => {
                        self.list_top += page;
                        self.move_selection(|i, _| i + page);
                    }
                    Action::ScrollUp => {
                        self.list_top = self.list_top.saturating_sub(page);
                        self.move_selection(|i, _| i.saturating_sub(page));
                    }
                    _ => {}
                }
            }
        }
    }

    /// The rows the list shows at the app's screen size.
    pub fn list_page(&self) -> usize {
        let (width, height) = self.size;
        let list = layout(Rect::new(0, 0, width, height)).list;
        usize::from(list.height.saturating_sub(2)).max(1)
    }

    /// A page of the details pane: its height (the screen less the activity pane, the footer and borders)
    /// less one line kept for context.
    fn detail_page(&self) -> u16 {
        self.size.1.saturating_sub(12).max(3)
    }

    /// Take the scroll limit of the details pane (computed from the layout) and stay within it.
    pub fn set_detail_limit(&mut self, limit: u16) {
        self.detail_limit = limit;
        self.detail_scroll = self.detail_scroll.min(limit);
    }

    fn move_selection(&mut self, to: impl FnOnce(usize, usize) -> usize) {
        let visible: Vec<String> = self.visible().iter().map(|a| a.name.clone()).collect();
        if let Some(current) = self.selected_index() {
            let index = to(current, visible.len()).min(visible.len() - 1);
            if index != current {
                self.detail_scroll = 0;
            }
            self.selected = Some(visible[index].clone());
            let rows = self.list_page();
            self.list_top = list_top(self.list_top, index, rows, visible.len());
        }
    }

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
        let step = action.map_or(0, |action| step(action, page, limit));
        // The help counts from its top; the log counts back from its newest line.
        let step = if mode == Mode::Log { -step } else { step };
        let scroll = (i32::from(self.popup_scroll) + step).clamp(0, limit);
        self.popup_scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    }
}

/// How far a movement key scrolls, in lines.
fn step(action: Action, page: i32, limit: i32) -> i32 {
    match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::ScrollDown => page,
        Action::ScrollUp => -page,
        Action::Bottom => limit,
        Action::Top => -limit,
        _ => 0,
    }
}
