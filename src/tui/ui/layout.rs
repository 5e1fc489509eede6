//! Where each pane goes: a pure function of the screen size, shared by drawing and by the scroll limit of
//! the details pane.

use ratatui::layout::{Constraint, Layout, Rect};

/// Where each pane goes on a screen of `area`.
pub struct Areas {
    pub body: Rect,
    pub list: Rect,
    pub detail: Rect,
    pub activity: Rect,
    pub status: Rect,
    pub footer: Rect,
}

/// The layout: a pure function of the screen size, shared by drawing and by the scroll limits.
pub fn layout(area: Rect) -> Areas {
    let activity_height = if area.height >= 30 { 6 } else { 4 };
    let [body, activity, status, footer] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(activity_height),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let list_width = (area.width * 9 / 20).clamp(30, 60);
    let [list, detail] = Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);
    Areas {
        body,
        list,
        detail,
        activity,
        status,
        footer,
    }
}
