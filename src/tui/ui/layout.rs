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

/// The first row to show of `count`, `rows` at a time, so that `selected` is in view: `top` when it already
/// is, else as little movement as brings it in; never past the last page. Drawing uses it too, since a
/// filter or a resize can move the selection without a key.
pub fn list_top(top: usize, selected: usize, rows: usize, count: usize) -> usize {
    let rows = rows.max(1);
    let top = top.min(count.saturating_sub(rows));
    if selected < top {
        selected
    } else if selected >= top + rows {
        selected + 1 - rows
    } else {
        top
    }
}
