//! Drawing: reads the [`App`] and nothing else (no I/O, no state written back). One file per pane:
//! [`list`], [`detail`], [`activity`] (the activity pane, the status line and the footer) and [`popups`];
//! [`layout`](mod@layout) places them and [`theme`] colours them.
//! Every string that came from a server passes through [`mcp_accounts::text::clean`] first, so no escape
//! sequence from a hostile server reaches the terminal.

pub mod activity;
pub mod detail;
pub mod layout;
pub mod list;
pub mod login_popups;
pub mod popups;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::app::{App, Popup};
use layout::layout;
use theme::Theme;

/// The smallest screen the panes fit on (columns, rows): the list keeps its names and the details a
/// readable width.
pub const MIN_SIZE: (u16, u16) = (50, 12);

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "terminal too small\nneeds {}x{} (now {}x{}); q quits",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        let y = area.y + area.height / 2;
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            Rect::new(area.x, y.saturating_sub(1), area.width, 3.min(area.height)),
        );
        return;
    }
    let areas = layout(area);
    if !app.loaded {
        frame.render_widget(
            Paragraph::new("Loading accounts…").alignment(Alignment::Center).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .title(" mcp-accounts "),
            ),
            areas.body,
        );
    } else if app.accounts.is_empty() {
        draw_welcome(frame, areas.body, &theme);
    } else {
        list::draw(frame, areas.list, app, &theme);
        detail::draw(frame, areas.detail, app, &theme);
    }
    activity::draw(frame, areas.activity, app, &theme);
    activity::draw_status(frame, areas.status, app, &theme);
    activity::draw_footer(frame, areas.footer, app, &theme);

    match &app.popup {
        Some(Popup::Help) => popups::draw_help(frame, area, app.popup_scroll, &theme),
        Some(Popup::Log) => popups::draw_log(frame, area, app, app.popup_scroll, &theme),
        Some(Popup::Confirm(confirm)) => popups::draw_confirm(frame, area, confirm, &theme),
        Some(Popup::Add(form)) => popups::draw_form(frame, area, form, &theme),
        Some(Popup::Paste { name, text }) => login_popups::draw_paste(frame, area, name, text, &theme),
        Some(Popup::Url(url)) => login_popups::draw_url(frame, area, url, &theme),
        None => {}
    }
}

fn draw_welcome(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = Text::from(vec![
        Line::default(),
        Line::from(Span::styled("No MCP servers yet.", theme.heading())),
        Line::default(),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("a", theme.key()),
            Span::raw(" to add one: a name and the server's MCP URL."),
        ]),
        Line::from("Then press l to log in; the browser opens for you."),
        Line::default(),
        Line::from(Span::styled("From a shell: mcp-accounts add NAME URL", theme.dim())),
        Line::from(Span::styled("Press ? for every key.", theme.dim())),
    ]);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border(true))
                    .title(" mcp-accounts "),
            ),
        area,
    );
}
