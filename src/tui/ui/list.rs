//! The list pane: one row per account with its badge, name, host and time left.

use mcp_accounts::store::{Account, Status};
use mcp_accounts::text::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::layout::list_top;
use super::theme::{SPINNER, Theme};
use crate::tui::app::{App, Focus};
use crate::tui::messages::TaskKind;
use crate::view::time::time_left;

/// `● valid`, or a spinner and the work in progress.
fn badge(app: &App, account: &Account, theme: &Theme) -> Span<'static> {
    if let Some(busy) = app.busy.get(&account.name) {
        let frame = SPINNER[(app.ticks as usize) % SPINNER.len()];
        let word = match busy.kind {
            TaskKind::Login => "login",
            TaskKind::Refresh => "refresh",
            TaskKind::Logout => "logout",
            TaskKind::Discover => "discover",
            TaskKind::Add => "adding",
            TaskKind::Delete => "delete",
            TaskKind::Verify => "verify",
        };
        return Span::styled(format!("{frame} {word:<8}"), theme.fg(Color::Cyan));
    }
    let status = account.status(app.now);
    let dot = match status {
        Status::None => "○",
        Status::Error => "✗",
        _ => "●",
    };
    Span::styled(format!("{dot} {:<8}", status.as_str()), theme.status(status))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let visible = app.visible();
    let selected = app.selected_index();
    // Where the selection is, as in a pager: [26/65].
    let position = selected.map_or_else(|| "0".to_owned(), |i| (i + 1).to_string());
    let title = if app.filter.is_empty() {
        format!(" Servers [{position}/{}] ", app.accounts.len())
    } else {
        format!(
            " Servers [{position}/{}] of {} · /{} ",
            visible.len(),
            app.accounts.len(),
            app.filter
        )
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(app.focus == Focus::List))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    // Where the movement keys left the list, with the selection in view.
    let first = selected.map_or(0, |s| list_top(app.list_top, s, height, visible.len()));
    let width = inner.width as usize;
    // badge (10) + space + name + [space + host] + space + time left (7); the host goes first when narrow.
    let left_w = 7;
    let flexible = width.saturating_sub(10 + 1 + 1 + left_w);
    let (name_w, host_w) = if flexible >= 20 {
        let name_w = (flexible * 2 / 5).clamp(8, 20);
        (name_w, flexible - name_w - 1)
    } else {
        (flexible, 0)
    };
    let mut lines = Vec::new();
    for (i, account) in visible.iter().enumerate().skip(first).take(height) {
        let host = account
            .server
            .as_ref()
            .ok()
            .and_then(|s| url::Url::parse(&s.url).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        let mut spans = vec![
            badge(app, account, theme),
            Span::raw(" "),
            Span::raw(fit(&account.name, name_w)),
        ];
        if host_w > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(fit(&host, host_w), theme.dim()));
        }
        spans.push(Span::raw(" "));
        spans.push(Span::raw(format!("{:>left_w$}", time_left(account.token(), app.now))));
        let line = if Some(i) == selected {
            let plain: Vec<Span> = spans.into_iter().map(|s| Span::raw(s.content)).collect();
            Line::from(plain).style(theme.selected())
        } else {
            Line::from(spans)
        };
        lines.push(line);
    }
    if visible.is_empty() {
        lines.push(Line::from(Span::styled("no server matches the filter", theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
