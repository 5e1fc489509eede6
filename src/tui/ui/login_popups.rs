//! The popups that help a waiting login: the paste field, and the login URL alone on the screen.

use mcp_accounts::text::{clean, wrap};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Wrap};

use super::activity::hint_line;
use super::theme::Theme;
use crate::tui::keys::{Mode, footer_hints};

/// The paste field: one line that shows the end of what was typed or pasted.
pub fn draw_paste(frame: &mut Frame, area: Rect, name: &str, text: &str, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(100);
    let rect = Rect::new(area.x + (area.width - width) / 2, area.y + area.height / 3, width, 7);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .padding(Padding::horizontal(1))
        .title(format!(" Paste the URL the browser ended on · {name} "));
    let inner = block.inner(rect);
    let shown = clean(text);
    let room = usize::from(inner.width.saturating_sub(1));
    let tail: String = {
        let chars: Vec<char> = shown.chars().collect();
        chars[chars.len().saturating_sub(room)..].iter().collect()
    };
    let lines = vec![
        Line::from(Span::styled(
            "http://127.0.0.1:…/callback?code=…&state=… (also when that page did not load)",
            theme.dim(),
        )),
        Line::from(tail.clone()),
        Line::default(),
        hint_line(&footer_hints(Mode::Paste), theme),
    ];
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
    frame.set_cursor_position(Position::new(inner.x + tail.chars().count() as u16, inner.y + 1));
}

/// The URL on a cleared screen, with no border or padding on its lines: a mouse selection of those lines
/// takes the URL and nothing else.
pub fn draw_url(frame: &mut Frame, area: Rect, url: &str, theme: &Theme) {
    frame.render_widget(Clear, area);
    let width = usize::from(area.width.max(8));
    let mut lines = vec![
        Line::from(Span::styled(
            "The login URL (select it with the mouse; Esc closes):",
            theme.dim(),
        )),
        Line::default(),
    ];
    lines.extend(
        wrap(&clean(url), width)
            .into_iter()
            .map(|piece| Line::from(Span::raw(piece))),
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
